"""The report's charts as inline SVG markup (see ``svg``): quality indices per k, stability,
the customer map, sizes and KPIs; heat maps are in ``heatmaps``, purchase charts in ``sales``.

Every ``*_chart`` function returns one ``<svg>`` element as text (``migration_chart``: as an
image URI, for compare.html). Segment colours come from ``colour`` so a segment looks the same
in every chart and on its card.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from . import svg
from .heatmaps import migration_svg, profile_chart
from .sales import affinity_chart, monthly_chart
from .svg import Entry, Scale, colour

__all__ = ["SCATTER_POINTS", "STABILITY_BANDS", "affinity_chart", "colour", "k_selection_chart",
           "kpi_chart", "migration_chart", "migration_svg", "monthly_chart", "profile_chart",
           "scatter_chart", "scatter_rows", "sizes_chart", "stability_chart"]

WIDTH = 800
SCATTER_POINTS = 5_000  # more points only blur the picture and bloat the file
# Room for a bar chart's row labels ("3: Recent, very frequent, very high spend"): generated
# names fit whole; only a longer name typed by a user is cut (its whole text is the hover).
ROW_LABELS = 380
LINE, CHOSEN, FAINT = "#4477aa", "#cc3311", "#88aadd"

# Hennig's bands for a segment's mean bootstrap Jaccard (custseg.stability.LABELS), drawn on the
# stability charts: (lower edge, upper edge, word, shade).
STABILITY_BANDS = ((0.0, 0.6, "unstable", "#f6d5d0"), (0.6, 0.75, "weak", "#fbe8c8"),
                   (0.75, 0.85, "fairly stable", "#e6f0d2"), (0.85, 1.0, "stable", "#cfe8cf"))

# (score key, panel title, name in hover texts, value format)
_INDICES: tuple[tuple[str, str, str, Callable[[float], str]], ...] = (
    ("silhouette", "Silhouette (higher is better)", "silhouette", "{:.3f}".format),
    ("calinski_harabasz", "Calinski-Harabasz (higher is better)", "Calinski-Harabasz",
     "{:,.1f}".format),
    ("davies_bouldin", "Davies-Bouldin (lower is better)", "Davies-Bouldin", "{:.3f}".format),
    ("inertia", "Inertia (look for the elbow)", "inertia", svg.human))


def migration_chart(shares: Any, counts: Any) -> str:
    """The migration heat map as an image URI: compare.html shows it in an ``<img>`` (inline,
    ``migration_svg``, it would also show each cell's figures on hover)."""
    return svg.data_uri(migration_svg(shares, counts))


def k_selection_chart(scores: list[dict[str, Any]], chosen: int) -> str:
    """The quality indices for each k, chosen k marked; a stability panel (least stable segment
    and mean, over Hennig's bands) under them when the scores carry bootstrap stability."""
    ks = [int(s["k"]) for s in scores]
    parts, height = svg.legend([Entry("dot-dash", CHOSEN, f"chosen k={chosen}")], 10, 6, WIDTH - 20)
    top, half = 10 + height, (WIDTH - 20) / 2
    for i, (key, name, short, form) in enumerate(_INDICES):
        values = [_value(s.get(key)) for s in scores]
        parts += _k_panel(10 + (i % 2) * half, top + (i // 2) * 215, half - 20, 205, name, ks,
                          [(values, LINE, None, short)], chosen, form)
    bottom = top + 2 * 215
    if any(s.get("stability_min") is not None for s in scores):
        entries = [Entry("dot-line", LINE, "least stable segment"),
                   Entry("dot-dash", FAINT, "mean of the segments"),
                   Entry("dotted", "#228833", "0.75: fairly stable or better")]
        legend, height = svg.legend(entries, 10, bottom + 6, WIDTH - 20)
        least = [_value(s.get("stability_min")) for s in scores]
        mean = [_value(s.get("stability_mean")) for s in scores]
        parts += legend + _k_panel(
            10, bottom + 10 + height, WIDTH - 20, 250,
            "Bootstrap stability of the segments (higher is better)", ks,
            [(least, LINE, None, "least stable segment"),
             (mean, FAINT, "5 3", "mean of the segments")], chosen, "{:.2f}".format,
            fixed=(0.0, 1.05, [0.0, 0.25, 0.5, 0.75, 1.0]))
        bottom += 20 + height + 250
    return svg.document(WIDTH, bottom, "Quality indices for each number of segments", parts)


def _value(value: Any) -> float:
    return math.nan if value is None else float(value)


Series = tuple[list[float], str, str | None, str]  # values, colour, dash pattern, name


def _k_panel(x: float, y: float, width: float, height: float, name: str, ks: list[int],
             series: list[Series], chosen: int, form: Callable[[float], str],
             fixed: tuple[float, float, list[float]] | None = None) -> list[str]:
    """One index (or the stability lines) against k; the first series carries the mark."""
    if fixed:
        lo, hi, ticks = fixed
    else:
        ticks = svg.nice_ticks(*svg.padded(v for s in series for v in s[0]), count=4)
        lo, hi = ticks[0], ticks[-1]
    tick_text = svg.tick_format(ticks)
    labels = [tick_text(t) for t in ticks]
    band_room = 80 if fixed else 0  # band words right of the stability panel
    left = x + svg.labels_width(labels) + 8
    right = x + width - band_room
    xs = Scale(ks[0] - 0.4, ks[-1] + 0.4, left, right)
    ys = Scale(lo, hi, y + height - 40, y + 24)
    parts = [svg.text(x, y + 10, svg.fit(name, width, 12), 12, attrs='font-weight="bold"')]
    if fixed:
        parts += _bands(left, right, ys)
        parts.append(svg.line(left, ys(0.75), right, ys(0.75), "#228833", 1.2, "2 2"))
    parts += svg.y_axis(ys, ticks, labels, left, right, grid=not fixed)
    step = max(1, math.ceil(len(ks) * 30 / max(right - left, 1)))
    parts += svg.x_axis(xs, ks[::step], [str(k) for k in ks[::step]], ys.end, ys.start,
                        ["k (number of segments)"], grid=False)
    if ks[0] <= chosen <= ks[-1]:
        parts.append(svg.line(xs(chosen), ys.end, xs(chosen), ys.start, CHOSEN, 1, "4 3"))
    for values, stroke, dash, short in series:
        points = [(xs(k), ys(v)) if math.isfinite(v) else None for k, v in zip(ks, values,
                                                                                 strict=True)]
        parts.append(svg.polyline(points, stroke, 2, dash))
        parts += [svg.circle(p[0], p[1], 3.5, stroke, f"k={k}: {short} {form(v)}")
                  for k, v, p in zip(ks, values, points, strict=True) if p is not None]
    values = series[0][0]
    if chosen in ks and math.isfinite(values[ks.index(chosen)]):
        value = values[ks.index(chosen)]
        parts.append(svg.circle(xs(chosen), ys(value), 6.5, CHOSEN,
                                f"chosen k={chosen}: {series[0][3]} {form(value)}",
                                attrs='class="chosen" stroke="#fff" stroke-width="1.5"'))
    return parts


def _bands(left: float, right: float, ys: Scale) -> list[str]:
    parts = []
    for low, high, word, shade in STABILITY_BANDS:
        parts.append(svg.rect(left, ys(high), right - left, ys(low) - ys(high), shade,
                              f"{word}: {low:.2f} to {high:.2f}"))
        parts.append(svg.text(right + 6, ys((low + high) / 2), word, 10,
                              attrs=f'fill="{svg.MUTED}"'))
    return parts


def stability_chart(names: list[str], values: list[float | None], labels: list[str]) -> str:
    """Each segment's bootstrap stability on 0..1 over Hennig's bands; segments without a value
    are written "not measured"."""
    rows = [f"{i}: {n}" for i, n in enumerate(names)]
    notes = [word if value is None else f"{word} ({value:.2f})"
             for value, word in zip(values, labels, strict=True)]
    left = 10 + min(svg.labels_width(rows, 11), ROW_LABELS) + 8
    right = WIDTH - 10 - svg.labels_width(notes, 10) - 8
    top, row = 34, 26
    bottom = top + row * len(names)
    xs = Scale(0.0, 1.0, left, right)
    parts = []
    for low, high, word, shade in STABILITY_BANDS:
        parts.append(svg.rect(xs(low), top, xs(high) - xs(low), bottom - top, shade,
                              f"{word}: {low:.2f} to {high:.2f}"))
        words = word.split(" ")
        parts.append(svg.lines_text(xs((low + high) / 2), top - 6 - 11 * (len(words) - 1),
                                    words, 9, "middle", f'fill="{svg.MUTED}"'))
    parts += [svg.line(xs(edge), top, xs(edge), bottom, "#777", 0.8, "4 3")
              for edge in (0.6, 0.75, 0.85)]
    for i, (value, note) in enumerate(zip(values, notes, strict=True)):
        middle = top + row * (i + 0.5)
        parts.append(_row_label(left - 6, middle, rows[i], left - 16))
        if value is None:
            parts.append(svg.text(left + 4, middle, note, 10,
                                  attrs=f'fill="{svg.MUTED}" font-style="italic"'))
            continue
        parts.append(svg.rect(left, middle - 8, xs(value) - left, 16, colour(i),
                              f"{rows[i]}: {note}"))
        parts.append(svg.text(xs(value) + 4, middle, note, 10))
    ticks = [0.0, 0.2, 0.4, 0.6, 0.75, 0.85, 1.0]
    parts += svg.x_axis(xs, ticks, [f"{t:g}" for t in ticks], top, bottom,
                        ["mean Jaccard similarity with the segment's best match in each refit"],
                        grid=False)
    return svg.document(WIDTH, bottom + 46, "Bootstrap stability of each segment", parts)


def _row_label(x: float, y: float, label: str, room: float, size: float = 11) -> str:
    """A right-aligned row label, cut to ``room`` with the whole label as its hover title."""
    return svg.lines_text(x, y + size * 0.35, [svg.fit(label, room, size)], size, "end",
                          full=label)


def scatter_rows(customers: int, seed: int) -> np.ndarray | None:
    """The customers the scatter draws: all, or a random ``SCATTER_POINTS`` of them (picked
    first so that only they are projected)."""
    if customers <= SCATTER_POINTS:
        return None
    return np.random.default_rng(seed).choice(customers, SCATTER_POINTS, replace=False)


def scatter_chart(points: np.ndarray, labels: np.ndarray, names: list[str], xlabel: str,
                  ylabel: str, centers: np.ndarray | None, seed: int) -> str:
    """Customers coloured by segment (a random ``SCATTER_POINTS`` of them), centres crossed."""
    keep = scatter_rows(len(points), seed)
    if keep is not None:
        points, labels = points[keep], labels[keep]
    both = points if centers is None else np.vstack([points, centers])
    xticks = svg.nice_ticks(*svg.padded(both[:, 0].tolist(), 0.02))
    yticks = svg.nice_ticks(*svg.padded(both[:, 1].tolist(), 0.02))
    xtext, ytext = svg.tick_format(xticks), svg.tick_format(yticks)
    ylabels = [ytext(t) for t in yticks]
    plot_height = 420
    ytitle = svg.wrap(ylabel, plot_height, 11)
    left = 10 + 14 * len(ytitle) + svg.labels_width(ylabels) + 8
    right = WIDTH - 10
    xtitle = svg.wrap(xlabel, right - left, 11)
    xs = Scale(xticks[0], xticks[-1], left, right)
    ys = Scale(yticks[0], yticks[-1], 10 + plot_height, 10)
    parts = svg.y_axis(ys, yticks, ylabels, left, right)
    parts += svg.x_axis(xs, xticks, [xtext(t) for t in xticks], ys.end, ys.start, xtitle)
    middle = (ys.start + ys.end) / 2
    parts.append(svg.lines_text(0, 0, ytitle, 11, "middle",
                                f'transform="translate({svg.num(20)} {svg.num(middle)}) '
                                f'rotate(-90)"'))
    for seg, name in enumerate(names):
        mine = points[labels == seg]
        dots = svg.dots(xs, ys, mine)
        # Zero-length strokes with round caps are dots: 13 bytes a customer instead of ~45.
        parts.append(f'<path class="points" d="{dots}" stroke="{colour(seg)}" stroke-width="5" '
                     f'stroke-linecap="round" stroke-opacity="0.7" fill="none">'
                     f'{svg.title(f"{seg}: {name} ({len(mine):,} customers drawn)")}</path>')
    if centers is not None:
        parts += [svg.cross(xs(cx), ys(cy), 7, "#111", f"centre of {seg}: {names[seg]} at "
                            f"({svg.human(cx)}, {svg.human(cy)})")
                  for seg, (cx, cy) in enumerate(centers.tolist())]
    entries = [Entry("dot", colour(i), f"{i}: {n}") for i, n in enumerate(names)]
    if centers is not None:
        entries.append(Entry("cross", "#111", "segment centre"))
    top = ys.start + 40 + 14 * len(xtitle)
    legend, height = svg.legend(entries, 10, top, WIDTH - 20)
    return svg.document(WIDTH, top + height + 4, "Scatter of customers coloured by segment",
                        parts + legend)


def sizes_chart(names: list[str], sizes: list[int]) -> str:
    """Customers per segment, with the count and share written at each bar."""
    total = max(sum(sizes), 1)
    rows = [f"{i}: {n}" for i, n in enumerate(names)]
    notes = [f"{size:,} ({size / total:.0%})" for size in sizes]
    left = 10 + min(svg.labels_width(rows, 11), ROW_LABELS) + 8
    right = WIDTH - 10 - svg.labels_width(notes, 10) - 8
    ticks = svg.nice_ticks(0, max(sizes, default=1) or 1, 5)
    xs = Scale(0, ticks[-1], left, right)
    top, row = 8, 26
    bottom = top + row * len(names)
    tick_text = svg.tick_format(ticks)
    parts = svg.x_axis(xs, ticks, [tick_text(t) for t in ticks], top, bottom, ["customers"])
    for i, (size, note) in enumerate(zip(sizes, notes, strict=True)):
        middle = top + row * (i + 0.5)
        parts.append(_row_label(left - 6, middle, rows[i], left - 16))
        parts.append(svg.rect(left, middle - 9, xs(size) - left, 18, colour(i),
                              f"{rows[i]}: {size:,} customers ({size / total:.1%})"))
        parts.append(svg.text(xs(size) + 4, middle, note, 10))
    return svg.document(WIDTH, bottom + 46, "Number of customers in each segment", parts)


def kpi_chart(kpis: list[dict[str, Any]]) -> str:
    """Share of customers next to share of revenue per segment (or customers alone)."""
    rows = [f"{k['segment']}: {k['name']}" for k in kpis]
    has_revenue = all(k.get("revenue_share") is not None for k in kpis)
    measures = [("share", "share of customers", FAINT)]
    if has_revenue:
        measures.append(("revenue_share", "share of revenue", "#dd8844"))
    legend, height = svg.legend([Entry("square", c, name) for _, name, c in measures], 10, 6,
                                WIDTH - 20)
    top, bar = 14 + height, 12 if has_revenue else 16
    row = bar * len(measures) + 12
    left = 10 + min(svg.labels_width(rows, 11), ROW_LABELS) + 24
    right = WIDTH - 10 - svg.text_width("100.0%", 10) - 8
    largest = max((float(k.get(key) or 0) for k in kpis for key, _, _ in measures), default=0)
    ticks = svg.nice_ticks(0, largest or 1, 5)
    xs = Scale(0, ticks[-1], left, right)
    bottom = top + row * len(kpis)
    percents = [100 * t for t in ticks]
    tick_text = svg.tick_format(percents)
    parts = legend + svg.x_axis(xs, ticks, [f"{tick_text(t)}%" for t in percents], top, bottom)
    for i, (kpi, label) in enumerate(zip(kpis, rows, strict=True)):
        start = top + row * i + 6
        middle = start + bar * len(measures) / 2
        parts.append(_row_label(left - 22, middle, label, left - 32))
        parts.append(svg.rect(left - 18, middle - 6, 12, 12, colour(int(kpi["segment"]))))
        for j, (key, name, fill) in enumerate(measures):
            value = float(kpi.get(key) or 0)
            y = start + bar * j
            parts.append(svg.rect(left, y, xs(value) - left, bar - 1, fill,
                                  f"{label}: {svg.percent(value, 1)} {name}"))
            parts.append(svg.text(xs(value) + 4, y + bar / 2, svg.percent(value, 1), 9))
    return svg.document(WIDTH, bottom + 24, "Share of customers and of revenue per segment",
                        parts)

