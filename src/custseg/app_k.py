"""Choosing k on the page: the side-by-side view of k in business terms with a button per k
(``pick_k``), and "How k was chosen", the statistics behind the number of segments, after the
segments themselves (a manager reads the answer first; an analyst checks the choice there)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from . import stability
from .app_messages import for_markdown, in_page_terms
from .report import charts
from .report.answer import percent
from .report.markup import either


def how_k_was_chosen(summary: dict[str, Any]) -> None:
    """The rule, the index charts and the per-k table of an automatic run's ``summary``."""
    selection = summary["k_selection"]
    with st.expander("How k was chosen"):
        st.markdown(f"**{for_markdown(selection['reason'])}**  \n"
                    f"Rule: {for_markdown(selection['rule'])}.")
        for warning in selection.get("warnings", []):
            st.caption(f"Note: {for_markdown(in_page_terms(warning))}")
        structure = summary.get("structure")
        if structure:
            figures = structure["figures"]
            st.caption(f"Natural groups or a continuum: {for_markdown(structure['method'])}. Best "
                       f"k={figures['best_k']}, gap gain over k=1 "
                       f"{figures['gain_over_k1']:+.3f} ({figures['customers_checked']:,} "
                       "customers checked).")
        if not selection["scores"]:
            return
        st.image(charts.k_selection_chart(selection["scores"], selection["recommended"]))
        scores = pd.DataFrame(selection["scores"]).set_index("k")
        stability = ["stability_min", "stability_mean"]
        if set(stability) <= set(scores.columns) and scores[stability].notna().any().any():
            # next to the silhouette: the rule reads the two together
            rest = [c for c in scores.columns if c not in ("silhouette", *stability)]
            scores = scores[["silhouette", *stability, *rest]].rename(columns={
                "stability_min": "stability (least stable segment)",
                "stability_mean": "stability (mean)"})
            st.caption("Stability: mean Jaccard similarity of a segment with its best match over "
                       f"{summary['stability']['runs']} bootstrap refits (Hennig's "
                       "clusterboot); 0.75 and above is at least fairly stable.")
        else:
            scores = scores.drop(columns=stability, errors="ignore")
        st.dataframe(scores, width="stretch")


def pick_k(summary: dict[str, Any], data_key: str) -> int:
    """The number of segments: picked from the side-by-side view of the automatic run's
    ``k_alternatives`` (a button per k), or typed for a k outside the view. Starts at the
    recommendation; the number box is the one place the choice is held."""
    selection = summary["k_selection"]
    recommended = int(selection["recommended"])
    key = f"k_{data_key}"  # keyed by the data and options: new data starts again
    # Set before the box is drawn (not through its ``value``), so that a button's callback may
    # change it without Streamlit warning that a widget's value was set twice.
    st.session_state.setdefault(key, recommended)
    rows = summary.get("k_alternatives") or []
    if rows:
        k_view(rows, recommended, int(st.session_state[key]), key)
    st.caption(f"{for_markdown(selection['reason'])} "
               + ("Or type any other number of segments; " if rows else
                  "Pick another number to see the segments it gives; ")
               + "\"How k was chosen\" below the segments shows the statistics.")
    return int(st.number_input("Number of segments (k)", min_value=2, max_value=50, step=1,
                               key=key))


def k_view(rows: list[dict[str, Any]], recommended: int, shown: int, key: str) -> None:
    """The recommended k beside its neighbours in business terms, one card per k: each
    segment's name, customers, share of customers (and of revenue, histories with money) and
    stability, with a button that shows that k's segments below."""
    with_money = any("revenue_share" in seg for row in rows for seg in row["segments"])
    st.subheader("Other numbers of segments in business terms")
    st.caption("What " + either([row["k"] for row in rows]) + " segments would mean: "
               "customers (share of all)" + (", share of revenue" if with_money else "")
               + " and how stable each segment is. The figures are each k's fit in the "
               "automatic run, named by the same rules; showing a k fits it again on every "
               "customer, so a size may move a little.")
    for column, row in zip(st.columns(len(rows)), rows, strict=True):
        k = int(row["k"])
        card = column.container(border=True)
        tags = [t for t, on in (("recommended", k == recommended), ("shown below", k == shown))
                if on]
        card.markdown(f"**{k} segments**" + (f" ({', '.join(tags)})" if tags else ""))
        card.markdown("\n".join(f"- {_segment_line(seg, with_money)}" for seg in row["segments"]))
        card.button(f"Show {k} segments", key=f"show_{key}_{k}", disabled=k == shown,
                    type="primary" if k != shown else "secondary", width="stretch",
                    on_click=_show, args=(key, k))


def _segment_line(segment: dict[str, Any], with_money: bool) -> str:
    """'**Older**: 58 customers (29%) · 31% of revenue · stable'."""
    figures = f"{segment['customers']:,} customers ({percent(segment['share'])})"
    if with_money:
        figures += f" · {percent(segment.get('revenue_share'))} of revenue"
    value = segment.get("stability")
    steadiness = "stability not measured" if value is None else stability.label(value)
    return f"**{for_markdown(segment['name'])}**: {figures} · {steadiness}"


def _show(key: str, k: int) -> None:
    # A callback runs before the page is drawn again: the number box then shows k.
    st.session_state[key] = k
