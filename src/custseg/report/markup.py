"""What report.html's sections share: escaping, number formats and what a page shows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from ..wording import spoken_list

# The id of the "Other k in business terms" table (``k_table``), which the answer links to.
K_ALTERNATIVES_ID = "k-alternatives"


def e(value: object) -> str:
    """Text from the data as HTML text (quotes too: some of it lands in attributes)."""
    return escape(str(value), quote=True)


def c(value: float) -> str:
    """A count with thousands separated."""
    return f"{value:,}"


def join(items: Sequence[str], sep: str = ", ") -> str:
    return sep.join(items)


def either(ks: Sequence[int]) -> str:
    """Numbers as one reads them out as choices: '3, 5 or 6'."""
    return spoken_list([str(k) for k in ks], "or")


def code_list(names: Sequence[Any]) -> str:
    return join([f"<code>{e(n)}</code>" for n in names])


@dataclass(frozen=True)
class Page:
    """What the page shows, gathered by ``render_report``."""

    summary: dict[str, Any]
    profiles: Sequence[Any]
    charts: Mapping[str, str | None]  # chart id (chart-k, ...) -> SVG markup, None if not drawn
    scatter_axes: tuple[str, str]
    two_features: bool
    colours: Sequence[str]
    affinity_rows: Mapping[int, Sequence[Mapping[Any, Any]]]
    rfm_names: Sequence[str]
    segment_stability: Mapping[int, str]
    roles: Sequence[tuple[str, str, str]]
    generated: str
    scatter_points: int


def chart(page: Page, chart_id: str) -> str:
    return f'<div class="chart" id="{chart_id}">{page.charts[chart_id]}</div>\n'


