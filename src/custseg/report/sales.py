"""The purchase-history charts as inline SVG: what each segment buys and monthly sales."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from . import svg
from .svg import Entry, Scale, colour

WIDTH = 800


def affinity_chart(top: Any, names: dict[int, str], per_segment: int = 5) -> str:
    """Each segment's most over-indexed products (index 100 = like everyone), one panel per
    segment on one shared scale so that panels compare."""
    segments = sorted(int(s) for s in top["segment"].unique())
    parts = [_part(top, seg, per_segment) for seg in segments]
    labels = [str(p) for part in parts for p in part["product"]]
    left = 10 + min(svg.labels_width(labels, 10), 240) + 8
    right = WIDTH - 10 - svg.text_width("10,000", 10) - 6
    largest = max((float(v) for part in parts for v in part["affinity_index"]), default=100.0)
    ticks = svg.nice_ticks(0, max(largest, 100.0), 5)
    xs = Scale(0, ticks[-1], left, right)
    shares = {"buyers", "segment_share", "overall_share"} <= set(top.columns)
    y, row, out = 6.0, 18, []
    for seg, part in zip(segments, parts, strict=True):
        name = f"{seg}: {names.get(seg, seg)}"
        out.append(svg.rect(10, y + 2, 10, 10, colour(seg)))
        out.append(svg.text(26, y + 7, svg.fit(name, WIDTH - 40, 11), 11,
                            attrs='font-weight="bold"'))
        y += 18
        for i, record in enumerate(part.to_dict("records")):
            middle = y + row * (i + 0.5)
            product, index = str(record["product"]), float(record["affinity_index"])
            out.append(svg.lines_text(left - 6, middle + 3.5, [svg.fit(product, left - 16, 10)],
                                      10, "end", full=product))
            hover = f"{name}: {product}, affinity index {index:,.0f}"
            if shares:
                hover += (f" ({int(record['buyers']):,} buyers; {record['segment_share']:.1%} of"
                          f" the segment vs {record['overall_share']:.1%} of all customers)")
            out.append(svg.rect(left, middle - 6, xs(index) - left, 12, colour(seg), hover))
            out.append(svg.text(xs(index) + 4, middle, f"{index:,.0f}", 10))
        end = y + row * len(part)
        out.append(svg.line(xs(100), y - 2, xs(100), end + 2, "#777", 1, "2 2"))
        y = end + 10
    tick_text = svg.tick_format(ticks)
    out += svg.x_axis(xs, ticks, [tick_text(t) for t in ticks], 6, y,
                      ["affinity index (100 = as likely as all customers; dotted line)"],
                      grid=False)
    return svg.document(WIDTH, y + 46, "Top products by affinity index per segment", out)


def _part(top: Any, segment: int, per_segment: int) -> Any:
    return top[top["segment"] == segment].head(per_segment)


def monthly_chart(monthly: Any, names: dict[int, str]) -> str:
    """Monthly units of the top products, one panel per product, one line per segment; a month
    without a sale is drawn as 0 (the table lists months with sales only)."""
    products = list(dict.fromkeys(str(p) for p in monthly["product"]))
    months = pd.period_range(pd.Timestamp(monthly["month"].min()).to_period("M"),
                             pd.Timestamp(monthly["month"].max()).to_period("M"), freq="M")
    month_names = [str(m) for m in months]  # 2024-01: the same text in every locale
    frame = monthly.assign(month=pd.to_datetime(monthly["month"]).dt.to_period("M").astype(str),
                           product=monthly["product"].astype(str))
    units = frame.groupby(["product", "segment", "month"])["units"].sum()
    segments = sorted(int(s) for s in frame["segment"].unique())
    legend, height = svg.legend(
        [Entry("line", colour(s), f"{s}: {names.get(s, s)}") for s in segments], 10, 6,
        WIDTH - 20)
    series = {}
    for product in products:
        part = units.loc[product]
        series[product] = {int(s): part.loc[s].reindex(month_names, fill_value=0.0).tolist()
                           for s in sorted(part.index.get_level_values(0).unique())}
    scales = {product: svg.nice_ticks(*svg.padded(
        [v for vs in lines.values() for v in vs] + [0.0], zero=True), count=3)
        for product, lines in series.items()}
    formats = {product: svg.tick_format(ticks) for product, ticks in scales.items()}
    left = 10 + svg.labels_width(formats[p](t) for p, ticks in scales.items() for t in ticks) + 8
    xs = Scale(0, max(len(months) - 1, 1), left, WIDTH - 20)
    y, panel, parts = 12 + height, 120.0, legend
    for product, lines in series.items():
        ticks = scales[product]
        ys = Scale(ticks[0], ticks[-1], y + panel - 8, y + 28)
        parts.append(svg.text(10, y + 8, svg.fit(product, WIDTH - 20, 11), 11,
                              attrs='font-weight="bold"'))
        parts += svg.y_axis(ys, ticks, [formats[product](t) for t in ticks], left, xs.end)
        parts.append(svg.line(left, ys.start, xs.end, ys.start, "#999"))
        for seg, values in lines.items():
            who = f"{seg}: {names.get(seg, seg)}"
            points = [(xs(i), ys(v)) for i, v in enumerate(values)]
            parts.append(svg.polyline(points, colour(seg), 1.6))
            parts += [svg.circle(px, py, 2.2, colour(seg),
                                 f"{product}, {who}, {month}: {v:,.0f} units")
                      for (px, py), month, v in zip(points, month_names, values, strict=True)]
        y += panel + 6
    # Month labels under the last panel only (the panels share the axis), spaced not to touch.
    step = max(1, math.ceil(len(months) * 56 / (xs.end - xs.start)))
    shown = list(range(0, len(months), step))
    parts += svg.x_axis(xs, shown, [month_names[i] for i in shown], ys.end, ys.start,
                        ["month"], grid=False)
    return svg.document(WIDTH, y + 36, "Monthly units of the top products per segment", parts)
