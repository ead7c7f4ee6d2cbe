"""Inline SVG primitives for the report's charts: escaping, numbers, text sizes, scales, axes and
legends.

The report is one file read offline and forwarded by email, so charts are plain SVG markup with
no script and no network; a ``<title>`` on a mark is the browser's own hover tooltip. Output is
deterministic (no generated ids, coordinates rounded to 0.1 px) so that the same run gives the
same bytes, and small.
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

FONT = "Helvetica, Arial, sans-serif"
INK = "#222"
MUTED = "#555"
GRID = "#e4e4e4"

# Helvetica/Arial advance widths (1/1000 em) of the printable ASCII characters, space to tilde.
_WIDTHS = (
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    556, 556, 333, 500, 278, 556, 556, 722, 500, 500, 500, 334, 260, 334, 584)
# The reader's fallback font may be wider than Arial (DejaVu Sans, the usual Linux sans-serif,
# is about 12% wider): room for text is measured for the wider one, so no label is cut off.
_WIDER = 1.15

# Segment colours: matplotlib's tab10, then tab20's light tones (distinct from the first ten),
# then evenly spread hues; one function so that a segment has the same colour in every chart.
_PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
            "#7f7f7f", "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896",
            "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def colour(segment: int) -> str:
    """The colour of segment ``segment`` (a hex string), the same in every chart and card."""
    if segment < len(_PALETTE):
        return _PALETTE[segment]
    hue = (segment * 137.508) % 360  # golden angle: neighbours far apart on the colour wheel
    return _hsl_hex(hue, 0.55, 0.5)


def _hsl_hex(hue: float, saturation: float, lightness: float) -> str:
    chroma = (1 - abs(2 * lightness - 1)) * saturation
    x = chroma * (1 - abs((hue / 60) % 2 - 1))
    sector = int(hue // 60) % 6
    r, g, b = [(chroma, x, 0.0), (x, chroma, 0.0), (0.0, chroma, x), (0.0, x, chroma),
               (x, 0.0, chroma), (chroma, 0.0, x)][sector]
    m = lightness - chroma / 2
    return "#" + "".join(f"{round((v + m) * 255):02x}" for v in (r, g, b))


def esc(text: object) -> str:
    """Text and attribute values as XML: segment and product names are typed by users."""
    value = _NOT_XML.sub("", str(text))
    return (value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def num(value: float) -> str:
    """A coordinate to 0.1 px, the same text for the same value on every machine."""
    rounded = round(float(value), 1)
    text = f"{rounded + 0.0:.1f}"  # + 0.0 turns -0.0 into 0.0
    return text[:-2] if text.endswith(".0") else text


def human(value: float | None) -> str:
    """A figure as people read it: thousands separated, a few significant digits."""
    if value is None or not math.isfinite(value):
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:,.1f}" if abs(value) >= 10 else f"{value:,.2f}"


def percent(share: float, decimals: int = 0) -> str:
    return f"{100 * share:.{decimals}f}%"


def text_width(text: str, size: float) -> float:
    """Room to leave for ``text`` at font ``size`` px (for the widest likely font)."""
    units = 0
    for char in text:
        code = ord(char)
        units += _WIDTHS[code - 32] if 32 <= code < 127 else (1000 if code >= 0x1100 else 600)
    return units * size / 1000 * _WIDER


def fit(text: str, width: float, size: float) -> str:
    """``text`` cut with an ellipsis to fit ``width`` (the whole text goes in a title)."""
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + "…", size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _fit_end(text: str, width: float, size: float) -> str:
    """The end of ``text`` after an ellipsis, to fit ``width``: '…then lapsed'."""
    while text and text_width("…" + text, size) > width:
        text = text[1:]
    return "…" + text.lstrip()


def wrap(text: str, width: float, size: float, max_lines: int = 2) -> list[str]:
    """``text`` broken at spaces into lines of at most ``width``; the last one cut to fit."""
    lines: list[str] = []
    words = text.split(" ")
    current = ""
    for i, word in enumerate(words):
        candidate = f"{current} {word}" if current else word
        if text_width(candidate, size) <= width or not current:
            current = candidate
            continue
        if len(lines) == max_lines - 1:
            current = " ".join([current, *words[i:]])
            break
        lines.append(current)
        current = word
    lines.append(current)
    return [fit(line, width, size) for line in lines]


@dataclass(frozen=True)
class Scale:
    """A linear map from data values to pixels."""

    lo: float
    hi: float
    start: float
    end: float

    def __call__(self, value: float) -> float:
        span = self.hi - self.lo
        if not span:
            return (self.start + self.end) / 2
        return self.start + (value - self.lo) / span * (self.end - self.start)


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """About ``count`` round tick values covering ``lo``..``hi`` (steps of 1, 2, 2.5 or 5)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [0.0]
    if hi <= lo:
        lo, hi = lo - (abs(lo) or 1) * 0.5, hi + (abs(hi) or 1) * 0.5
    raw = (hi - lo) / max(count, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(lo / step + 1e-9) * step
    ticks = [round(first, 12)]
    while ticks[-1] < hi - step * 1e-9 or len(ticks) < 2:
        ticks.append(round(first + len(ticks) * step, 12))
    return ticks


def tick_format(ticks: Sequence[float]) -> Callable[[float], str]:
    """Tick labels with as many decimals as the step needs, thousands separated."""
    step = abs(ticks[1] - ticks[0]) if len(ticks) > 1 else 1.0
    decimals = 0
    while decimals < 6 and abs(step * 10**decimals - round(step * 10**decimals)) > 1e-6:
        decimals += 1
    return lambda value: f"{value + 0.0:,.{decimals}f}"


def padded(values: Iterable[float | None], pad: float = 0.05,
           zero: bool = False) -> tuple[float, float]:
    """The range of the finite ``values`` widened by ``pad`` of it each side; with ``zero`` the
    range includes 0 and is not widened past it (bars start at 0)."""
    finite = [v for v in values if v is not None and math.isfinite(v)]
    if not finite:
        return 0.0, 1.0
    lo, hi = min(finite), max(finite)
    if zero:
        lo, hi = min(lo, 0.0), max(hi, 0.0)
    margin = (hi - lo) * pad or abs(hi) * 0.1 or 1.0
    low = 0.0 if zero and lo == 0 else lo - margin
    high = 0.0 if zero and hi == 0 else hi + margin
    return low, high


def title(text: str) -> str:
    return f"<title>{esc(text)}</title>"


def text(x: float, y: float, content: str, size: float = 11, anchor: str = "start",
         attrs: str = "") -> str:
    """A line of text centred vertically on y (``lines_text`` puts lines on baselines)."""
    dy = ' dy=".35em"'
    anchor_attr = "" if anchor == "start" else f' text-anchor="{anchor}"'
    extra = f" {attrs}" if attrs else ""
    return (f'<text x="{num(x)}" y="{num(y)}"{dy} font-size="{num(size)}"{anchor_attr}{extra}>'
            f"{esc(content)}</text>")


def lines_text(x: float, y: float, lines: Sequence[str], size: float = 11,
               anchor: str = "start", attrs: str = "", full: str | None = None) -> str:
    """Lines stacked from baseline ``y``; ``full`` (the uncut text) becomes a hover title."""
    anchor_attr = "" if anchor == "start" else f' text-anchor="{anchor}"'
    extra = f" {attrs}" if attrs else ""
    spans = "".join(f'<tspan x="{num(x)}" dy="{"0" if i == 0 else num(size * 1.2)}">'
                    f"{esc(line)}</tspan>" for i, line in enumerate(lines))
    hover = title(full) if full is not None and [full] != list(lines) else ""
    return (f'<text x="{num(x)}" y="{num(y)}" font-size="{num(size)}"{anchor_attr}{extra}>'
            f"{hover}{spans}</text>")


def rect(x: float, y: float, width: float, height: float, fill: str, hover: str | None = None,
         attrs: str = "") -> str:
    extra = f" {attrs}" if attrs else ""
    body = f'x="{num(x)}" y="{num(y)}" width="{num(max(width, 0))}" height="{num(height)}"'
    if hover is None:
        return f'<rect {body} fill="{fill}"{extra}/>'
    return f'<rect {body} fill="{fill}"{extra}>{title(hover)}</rect>'


def line(x1: float, y1: float, x2: float, y2: float, stroke: str, width: float = 1,
         dash: str | None = None) -> str:
    dashed = f' stroke-dasharray="{dash}"' if dash else ""
    return (f'<line x1="{num(x1)}" y1="{num(y1)}" x2="{num(x2)}" y2="{num(y2)}" '
            f'stroke="{stroke}" stroke-width="{num(width)}"{dashed}/>')


def circle(x: float, y: float, r: float, fill: str, hover: str | None = None,
           attrs: str = "") -> str:
    extra = f" {attrs}" if attrs else ""
    body = f'<circle cx="{num(x)}" cy="{num(y)}" r="{num(r)}" fill="{fill}"{extra}'
    return f"{body}/>" if hover is None else f"{body}>{title(hover)}</circle>"


def dots(xs: Scale, ys: Scale, points: Any) -> str:
    """Path data for many dots at once (``points``: an n x 2 array), each a zero-length stroke
    "Mx yh0" that round caps draw as a dot, coordinates to 0.1 px as ``num`` writes them."""
    tenths = np.rint(np.column_stack([xs(points[:, 0]), ys(points[:, 1])]) * 10).astype(np.int64)
    # One flat list, not a list per point: thousands of small lists wake the garbage collector,
    # which then walks every object of a large run (tens of milliseconds).
    flat = iter(tenths.ravel().tolist())
    return "".join(f"M{_tenths(x)} {_tenths(y)}h0" for x, y in zip(flat, flat, strict=True))


def _tenths(value: int) -> str:
    whole, tenth = divmod(abs(value), 10)
    sign = "-" if value < 0 else ""
    return f"{sign}{whole}" if tenth == 0 else f"{sign}{whole}.{tenth}"


def polyline(points: Sequence[tuple[float, float] | None], stroke: str, width: float = 1.5,
             dash: str | None = None) -> str:
    """A line through ``points``; None breaks it (a missing value is a gap, not a zero)."""
    commands, pen_down = [], False
    for point in points:
        if point is None:
            pen_down = False
            continue
        commands.append(f"{'L' if pen_down else 'M'}{num(point[0])} {num(point[1])}")
        pen_down = True
    dashed = f' stroke-dasharray="{dash}"' if dash else ""
    return (f'<path d="{"".join(commands)}" fill="none" stroke="{stroke}" '
            f'stroke-width="{num(width)}"{dashed}/>')


def x_axis(scale: Scale, ticks: Sequence[float], labels: Sequence[str], top: float,
           bottom: float, label: Sequence[str] = (), grid: bool = True) -> list[str]:
    """Tick labels under ``bottom``, grid lines up to ``top``, the axis title under them."""
    parts = []
    for tick, name in zip(ticks, labels, strict=True):
        x = scale(tick)
        if grid:
            parts.append(line(x, top, x, bottom, GRID))
        parts.append(text(x, bottom + 12, name, 10, "middle", attrs=f'fill="{MUTED}"'))
    parts.append(line(scale.start, bottom, scale.end, bottom, "#999"))
    if label:
        parts.append(lines_text((scale.start + scale.end) / 2, bottom + 36, label, 11,
                                "middle"))
    return parts


def y_axis(scale: Scale, ticks: Sequence[float], labels: Sequence[str], left: float,
           right: float, grid: bool = True) -> list[str]:
    parts = []
    for tick, name in zip(ticks, labels, strict=True):
        y = scale(tick)
        if grid:
            parts.append(line(left, y, right, y, GRID))
        parts.append(text(left - 5, y, name, 10, "end", attrs=f'fill="{MUTED}"'))
    return parts


def labels_width(labels: Iterable[str], size: float = 10) -> float:
    return max((text_width(label, size) for label in labels), default=0.0)


@dataclass(frozen=True)
class Entry:
    """A legend entry: a mark (see ``_mark``), its colour and its text."""

    mark: str
    colour: str
    label: str


def legend(entries: Sequence[Entry], x: float, y: float, width: float,
           size: float = 11) -> tuple[list[str], float]:
    """Entries flowed into rows within ``width`` from (x, y); returns the parts and the height."""
    parts, row, cx = ['<g class="legend">'], 0, x
    max_label = width - 30
    labels = [fit(entry.label, max_label, size) for entry in entries]
    for entry, label in zip(entries, labels, strict=True):
        if labels.count(label) > 1 and label != entry.label:
            # Cut alike, two entries would read the same: show the end, where they differ.
            label = _fit_end(entry.label, max_label, size)
        room = 22 + text_width(label, size) + 14
        if cx > x and cx + room > x + width:
            row, cx = row + 1, x
        cy = y + row * (size + 8) + size / 2
        parts.append(f'<g class="entry">{_mark(entry, cx, cy)}'
                     f'{text(cx + 22, cy, label, size)}</g>')
        cx += room
    parts.append("</g>")
    return parts, (row + 1) * (size + 8)


_DASHES = {"line": None, "dash": "4 3", "dotted": "2 2"}


def _mark(entry: Entry, x: float, y: float) -> str:
    """The entry's mark as drawn in the chart: "dot", "square", "cross", a line ("line",
    "dash", "dotted"), or a line with a dot on it ("dot-line", "dot-dash")."""
    if entry.mark == "square":
        return rect(x + 3, y - 6, 12, 12, entry.colour)
    if entry.mark == "cross":
        return cross(x + 9, y, 6, entry.colour)
    if entry.mark == "dot":
        return circle(x + 9, y, 5, entry.colour)
    dotted, kind = entry.mark.startswith("dot-"), entry.mark.removeprefix("dot-")
    drawn = line(x, y, x + 18, y, entry.colour, 2, _DASHES.get(kind))
    return drawn + (circle(x + 9, y, 4, entry.colour) if dotted else "")


def cross(x: float, y: float, r: float, fill: str, hover: str | None = None) -> str:
    """An X marker (segment centres), outlined in white to stand out over points."""
    d = (f"M{num(x - r)} {num(y - r)}L{num(x + r)} {num(y + r)}"
         f"M{num(x - r)} {num(y + r)}L{num(x + r)} {num(y - r)}")
    inner = f'<path d="{d}" stroke="{fill}" stroke-width="{num(r / 2)}"/>'
    outline = f'<path d="{d}" stroke="#fff" stroke-width="{num(r / 2 + 2.5)}"/>'
    body = title(hover) if hover is not None else ""
    return f'<g stroke-linecap="round">{body}{outline}{inner}</g>'


def document(width: float, height: float, label: str, parts: Iterable[str]) -> str:
    """The ``<svg>`` element; its size scales down with the page (CSS max-width)."""
    w, h = num(math.ceil(width)), num(math.ceil(height))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" '
            f'height="{h}" role="img" aria-label="{esc(label)}" font-family="{FONT}" '
            f'fill="{INK}">' + "".join(parts) + "</svg>")


def data_uri(svg: str) -> str:
    """An SVG as a data URI, for an ``<img>`` (no hover titles there) or other viewers."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
