"""Heat maps as inline SVG: segment profiles (z-scores) and migration between two runs."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import svg
from .svg import colour

WIDTH = 800
HEAD_LINES = 8  # lines a column head may take: enough for any generated segment name
# ColorBrewer's RdBu from blue (below average) to red (above), and Blues from 0 to 1: the
# diverging and sequential maps the matplotlib charts used (RdBu_r, Blues).
_RDBU = ("#053061", "#2166ac", "#4393c3", "#92c5de", "#d1e5f0", "#f7f7f7", "#fddbc7",
         "#f4a582", "#d6604d", "#b2182b", "#67001f")
_BLUES = ("#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5",
          "#08519c", "#08306b")


def ramp(anchors: Sequence[str], t: float) -> str:
    """The colour at ``t`` in 0..1 along ``anchors``, interpolated in RGB; grey when unknown."""
    if not math.isfinite(t):
        return "#dddddd"
    position = min(max(t, 0.0), 1.0) * (len(anchors) - 1)
    i = min(int(position), len(anchors) - 2)
    frac = position - i
    low, high = anchors[i], anchors[i + 1]
    return "#" + "".join(
        f"{round(int(low[j:j + 2], 16) * (1 - frac) + int(high[j:j + 2], 16) * frac):02x}"
        for j in (1, 3, 5))


def _heatmap(rows: Sequence[str], columns: Sequence[str], fills: list[list[str]],
             cells: list[list[list[str]]], light: list[list[bool]], hovers: list[list[str]],
             row_title: str, column_title: str, swatches: Sequence[str] | None = None,
             cell_height: float = 30) -> tuple[list[str], float, float]:
    """The grid with its labels; returns the parts, the width and the height used."""
    label_room = min(svg.labels_width(rows, 11), 260)
    left = 10 + (18 if row_title else 0) + label_room + 8
    width = min(max((WIDTH - left - 10) / max(len(columns), 1), 64), 140)
    # Segment names are wrapped whole, never cut: many segments make narrow columns, and a
    # cut name ("0: Average tenure, average sp…") can read the same as its neighbour's.
    heads = [svg.wrap(c, width - 8, 11, HEAD_LINES) for c in columns]
    top = 6 + (18 if column_title else 0) + 13.2 * max((len(h) for h in heads), default=1)
    top += 10 if swatches is not None else 0
    parts = []
    if column_title:
        parts.append(svg.text(left + width * len(columns) / 2, 12, column_title, 11, "middle",
                              attrs='font-weight="bold"'))
    first = 6 + (18 if column_title else 0) + 10
    for j, (head, full) in enumerate(zip(heads, columns, strict=True)):
        x = left + width * (j + 0.5)
        parts.append(svg.lines_text(x, first, head, 11, "middle", full=full))
        if swatches is not None:
            parts.append(svg.rect(x - 12, top - 10, 24, 5, swatches[j]))
    bottom = top + cell_height * len(rows)
    if row_title:
        middle = (top + bottom) / 2
        parts.append(svg.text(0, 0, row_title, 11, "middle", attrs=(
            f'font-weight="bold" transform="translate(16 {svg.num(middle)}) rotate(-90)"')))
    for i, row in enumerate(rows):
        y = top + cell_height * i
        parts.append(svg.lines_text(left - 6, y + cell_height / 2 + 4,
                                    [svg.fit(row, label_room, 11)], 11, "end", full=row))
        for j in range(len(columns)):
            x = left + width * j
            parts.append(svg.rect(x, y, width, cell_height, fills[i][j], hovers[i][j],
                                  'stroke="#fff"'))
            texts = cells[i][j]
            # one figure may take two lines in a narrow cell ("Female" over "58%")
            lines = (svg.wrap(texts[0], width - 6, 10) if len(texts) == 1 else
                     [svg.fit(t, width - 6, 10) for t in texts])
            base = y + cell_height / 2 + 3.5 - 6 * (len(lines) - 1)
            ink = "#fff" if light[i][j] else svg.INK
            parts.append(svg.lines_text(x + width / 2, base, lines, 10, "middle",
                                        f'fill="{ink}" pointer-events="none"'))
    return parts, left + width * len(columns) + 10, bottom


def profile_chart(features: list[str], names: list[str], z: np.ndarray,
                  annotations: list[list[str]]) -> str:
    """Heat map of z-scores, features down, segments across, annotated with segment means."""
    finite = np.abs(z[np.isfinite(z)])
    limit = max(1.5, float(finite.max()) if finite.size else 0.0)
    columns = [f"{i}: {n}" for i, n in enumerate(names)]
    values = z.tolist()
    fills = [[ramp(_RDBU, (v + limit) / (2 * limit)) for v in row] for row in values]
    light = [[math.isfinite(v) and abs(v) > limit * 0.6 for v in row] for row in values]
    hovers = [[f"{columns[j]}, {feature}: {annotations[i][j]} ({v:+.2f} sd from all customers)"
               for j, v in enumerate(row)] for i, (feature, row) in enumerate(zip(
                   features, values, strict=True))]
    cells = [[[text] for text in row] for row in annotations]
    parts, width, bottom = _heatmap(features, columns, fills, cells, light, hovers, "", "",
                                    swatches=[colour(i) for i in range(len(names))])
    parts += _colour_bar(max(10, width / 2 - 130), bottom + 16, 260, limit)
    return svg.document(max(width, 300), bottom + 76, "Feature averages by segment", parts)


def _colour_bar(x: float, y: float, width: float, limit: float) -> list[str]:
    """The key: colour for -limit..+limit standard deviations."""
    steps = 26
    parts = [svg.rect(x + width * k / steps, y, width / steps + 0.3, 12,
                      ramp(_RDBU, (k + 0.5) / steps)) for k in range(steps)]
    for value in (-limit, -limit / 2, 0.0, limit / 2, limit):
        px = x + width * (value + limit) / (2 * limit)
        parts.append(svg.line(px, y + 12, px, y + 16, "#777"))
        parts.append(svg.text(px, y + 24, f"{value:+.1f}" if value else "0", 10, "middle",
                              attrs=f'fill="{svg.MUTED}"'))
    parts.append(svg.text(x + width / 2, y + 44, "standard deviations from all customers "
                          "(blue below, red above)", 11, "middle"))
    return parts


def migration_svg(shares: Any, counts: Any) -> str:
    """Heat map of row shares, old segments down, new segments across, annotated with counts."""
    rows, columns = [str(r) for r in shares.index], [str(c) for c in shares.columns]
    values = shares.to_numpy(dtype=float).tolist()
    numbers = counts.to_numpy().tolist()
    fills = [[ramp(_BLUES, v) for v in row] for row in values]
    light = [[v > 0.6 for v in row] for row in values]
    cells = [[[f"{v:.0%}", f"({int(n):,})"] for v, n in zip(row, count, strict=True)]
             for row, count in zip(values, numbers, strict=True)]
    hovers = [[f"from {rows[i]} to {columns[j]}: {v:.0%} ({int(numbers[i][j]):,} customers)"
               for j, v in enumerate(row)] for i, row in enumerate(values)]
    parts, width, bottom = _heatmap(rows, columns, fills, cells, light, hovers, "old segment",
                                    "new segment", cell_height=36)
    return svg.document(max(width, 300), bottom + 10,
                        "Share of each old segment going to each new one", parts)
