"""The page's "How k was chosen": the statistics behind the number of segments, after the
segments themselves (a manager reads the answer first; an analyst checks the choice here)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from .app_messages import in_page_terms
from .report import charts


def how_k_was_chosen(summary: dict[str, Any]) -> None:
    """The rule, the index charts and the per-k table of an automatic run's ``summary``."""
    selection = summary["k_selection"]
    with st.expander("How k was chosen"):
        st.markdown(f"**{selection['reason']}**  \nRule: {selection['rule']}.")
        for warning in selection.get("warnings", []):
            st.caption(f"Note: {in_page_terms(warning)}")
        structure = summary.get("structure")
        if structure:
            figures = structure["figures"]
            st.caption(f"Natural groups or a continuum: {structure['method']}. Best "
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
    """The number of segments, starting from the recommendation of the automatic run."""
    selection = summary["k_selection"]
    st.caption(f"{selection['reason']} Pick another number to see the segments it gives; "
               "\"How k was chosen\" below the segments shows the statistics.")
    # Keyed by the data and options: new data starts again from its recommendation.
    return int(st.number_input("Number of segments (k)", min_value=2, max_value=50,
                               value=int(selection["recommended"]), step=1,
                               key=f"k_{data_key}"))
