"""The page's "Data quality": every count the library reported while reading, never silent,
written for people (thousands separated, money in the run's currency) and in the report's words
(report.html's purchase-history table), so the page and the report say the same thing."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from .app_messages import for_markdown, in_page_terms
from .report.answer import currency_symbol
from .report.checks import history_checks


def history_rows(quality: dict[str, Any], symbol: str | None) -> pd.DataFrame:
    """A purchase history's quality counts as a table of text: check, lines, what was done.
    The lines read and used lead (the report says them in the sentence above its table)."""
    rows = [("purchase lines read", quality["lines"], "all read"),
            ("lines used", quality["lines_used"], "in the customers' features"),
            *history_checks(quality, symbol)]
    return pd.DataFrame([{"check": check, "lines": f"{lines:,}", "what was done": done}
                         for check, lines, done in rows],
                        columns=["check", "lines", "what was done"])


def quality_section(summary: dict[str, Any]) -> None:
    """The data-quality counts of a run's ``summary``."""
    quality = summary["data_quality"]
    history = summary.get("transactions")
    with st.expander("Data quality", expanded=bool(history)):
        if history:
            rows = history_rows(history["quality"], currency_symbol(summary))
            # Every row in view (35 px each, the header too), counts right-aligned as numbers.
            st.dataframe(rows, hide_index=True, width="stretch", height=35 * (len(rows) + 1) + 3,
                         column_config={"lines": st.column_config.TextColumn(
                             alignment="right")})
            for note in history["notes"]:
                st.warning(for_markdown(in_page_terms(note)))
        missing = quality["missing"]
        st.markdown(f"{quality['rows_read']:,} rows read, {quality['rows_used']:,} customers "
                    f"used; {missing['rows_affected']:,} row(s) with missing values "
                    f"({for_markdown(missing['policy'])}).")
        if quality["constant_columns_dropped"]:
            st.markdown("Dropped (same value for everyone): " + ", ".join(
                for_markdown(c) for c in quality["constant_columns_dropped"]))
        for column, why in quality["columns_not_used"].items():
            st.markdown(for_markdown(f"Not used: {column} ({in_page_terms(why)})"))
        currency = summary.get("currency") or {}
        if currency.get("symbol"):  # where the page's currency comes from: given or detected
            st.caption(for_markdown(f"Money is shown in {currency['symbol']} "
                                    f"({in_page_terms(currency['source'])})."))
