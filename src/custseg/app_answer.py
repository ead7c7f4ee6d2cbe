"""The page's opening after a run: the business answer, as report.html opens with it.

The period covered, the customers and their revenue, each segment's share of customers against
its share of revenue, its play and the revenue at stake, and how far to trust the segments (the
structure verdict and their stability) in words. The figures are the summary's (``kpis``,
``transactions``, ``currency``), written by the report's own formatters (``report.answer``), so
the page and report.html never disagree on a number or how it is written.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from .app_messages import for_markdown
from .report.answer import (
    best_segment,
    covered,
    currency_symbol,
    lead,
    money,
    percent,
    stability_words,
    total_revenue,
)


def segment_rows(summary: dict[str, Any]) -> pd.DataFrame:
    """One row per segment, every figure written for people: the answer's table."""
    kpis = {k["segment"]: k for k in summary.get("kpis") or []}
    with_money = total_revenue(summary) is not None
    rows = []
    for segment in summary["segments"]:
        figures = kpis.get(segment["id"], {})
        play = segment["extra"]["playbook"]
        row = {"segment": f"{segment['id']}: {segment['name']}",
               "customers": f"{segment['size']:,}",
               "share of customers": percent(segment["share"])}
        if with_money:
            row["share of revenue"] = percent(figures.get("revenue_share"))
            row["revenue at stake"] = money(figures.get("revenue") or 0, currency_symbol(summary))
        row["play"] = f"{play['goal']}: {play['actions'][0]}"
        row["stability"] = segment["stability_label"]
        rows.append(row)
    return pd.DataFrame(rows)


def headline(summary: dict[str, Any]) -> str | None:
    """The segment that brings the most revenue per customer, in one sentence (the report's
    choice, ``best_segment``)."""
    best = best_segment(summary)
    if best is None:
        return None
    # Markdown: a name may hold markup, and "$" would start LaTeX math.
    return (f"**{for_markdown(best['name'])}**: {percent(best['share'])} of customers "
            f"({best['customers']:,}) bring {percent(best['revenue_share'])} of revenue "
            f"({for_markdown(money(best['revenue'], currency_symbol(summary)))}).")


def segment_figures(summary: dict[str, Any], segment_id: int) -> dict[str, str]:
    """A segment's KPIs as people read them (shares in %, money in the run's currency)."""
    symbol = currency_symbol(summary)
    found: dict[str, Any] = next(
        (k for k in summary.get("kpis") or [] if k["segment"] == segment_id), {})
    written = {
        "customers": lambda v: f"{v:,}",
        "share": percent,
        "revenue": lambda v: money(v, symbol),
        "revenue_share": percent,
        "avg_order_value": lambda v: money(v, symbol, decimals=2),
        "orders_per_customer": lambda v: f"{v:,.1f}",
        "median_recency_days": lambda v: f"{v:,.0f} days",
    }
    shown = {"share": "share of customers", "revenue_share": "share of revenue",
             "avg_order_value": "average order", "median_recency_days": "median time since "
             "last purchase"}
    out = {}
    for key, value in found.items():
        if key in ("segment", "name") or value is None:
            continue
        label = shown.get(key, key.replace("_", " "))
        out[label] = (written[key](value) if key in written
                      else f"{value:,.4g}" if isinstance(value, float) else str(value))
    return out


def answer_section(summary: dict[str, Any]) -> None:
    """The answer in brief: the first thing after a run, above every statistic."""
    st.markdown(for_markdown(lead(summary)))
    figures = [("Customers", f"{summary['n_customers']:,}")]
    total, when = total_revenue(summary), covered(summary)
    if total is not None:
        figures.append(("Revenue", money(total, currency_symbol(summary))))
    if when:
        figures.append(("Period", when.split(" (")[-1].rstrip(")")))
    figures.append(("Segments", str(summary["k"])))
    for column, (label, value) in zip(st.columns(len(figures)), figures, strict=True):
        column.metric(label, for_markdown(value))  # the value is markdown too: "$" is math
    said = headline(summary)
    if said:
        st.markdown(said)
    st.dataframe(segment_rows(summary), hide_index=True, width="stretch")
    for segment in summary["segments"]:
        if "play_check" in segment:
            st.caption(for_markdown(f"Check the play of {segment['name']}: "
                                    f"{segment['play_check']['note']}"))
    structure = summary.get("structure")
    if structure and structure["clustered"]:
        st.info(f"**Natural groups: the segments follow real gaps between customers.** "
                f"{for_markdown(structure['verdict'])}", icon=":material/bubble_chart:")
    elif structure:  # not an error: a continuum still cuts into useful ranges
        st.warning(f"**A continuum, not natural groups: segments still cut it into useful "
                   f"ranges for targeting; borders are drawn, not found.** "
                   f"{for_markdown(structure['verdict'])}", icon=":material/linear_scale:")
    st.markdown(for_markdown(stability_words(summary)))
