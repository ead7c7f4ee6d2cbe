"""The page's column mapping, always shown: what the file is, and which column plays which
role (a history's customer, date, money, order and product; a table's id and features).

Pre-filled by detection (``app_detect``), editable, and complete before anything runs: a role
nobody could find stays empty with a message until the analyst picks it. The analyst's choices
are kept per file shape (its column names), so a new upload with the same columns keeps them and
a file of another shape starts from its own detection.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pandas as pd
import streamlit as st

from .app_detect import (
    REQUIRED_HISTORY_ROLES,
    repeated_id_column,
    unnamed_id_columns,
)
from .app_messages import for_markdown
from .errors import DataError
from .features.columns import ROLE_NAMES, find_columns
from .schema import choose_roles, normalise_columns

KINDS = ("Customer table (one row per customer)", "Purchase history (one row per purchase line)")
NONE = "(none)"
NO_ID = "(none: number the rows)"
ROLE_LABELS = {
    "customer": "Customer id column", "date": "Purchase date column",
    "order": "Order or invoice column", "product": "Product column",
    "quantity": "Quantity column", "price": "Unit price column",
    "amount": "Amount (line total) column",
}
_SAVED = "_mapping_by_shape"  # session state: file shape -> the analyst's choices
_SHAPE = "_mapping_shape"  # session state: the shape the widgets show now


def _history_keys() -> list[str]:
    return [f"map_{role}" for role in ROLE_NAMES]


def detected_choices(preview: pd.DataFrame, detected_id: str | None,
                     history: str | None) -> dict[str, Any]:
    """Every mapping widget's starting value for this file, from detection alone; ``history``
    is ``app_detect.history_reason`` of the preview (None: it looks like a customer table)."""
    columns = [str(c) for c in preview.columns]
    found = find_columns(columns)
    choices: dict[str, Any] = {"kind": KINDS[1] if history else KINDS[0]}
    for role in ROLE_NAMES:
        optional = role not in REQUIRED_HISTORY_ROLES
        choices[f"map_{role}"] = found[role] or (NONE if optional else None)
    frame, _ = normalise_columns(preview)
    try:
        features = choose_roles(frame, detected_id).features
    except DataError:  # nothing usable as a table: the page says so if it is run as one
        features = []
    unnamed = [] if detected_id else unnamed_id_columns(frame, features)
    choices["id_col"] = detected_id or (None if unnamed else NO_ID)
    choices["features"] = [f for f in features if f not in unnamed]
    return choices


def restore(columns: list[str], detected: dict[str, Any]) -> None:
    """Put this file shape's choices into the widgets' state before they are drawn: the
    analyst's saved ones, else detection. Same shape as shown: only the values Streamlit dropped
    (a widget not drawn in a run, e.g. while the uploader was empty) come back."""
    shape = hashlib.sha1("\x1f".join(columns).encode()).hexdigest()
    saved = st.session_state.setdefault(_SAVED, {})
    values = {**detected, **saved.get(shape, {})}
    if st.session_state.get(_SHAPE) != shape:
        st.session_state[_SHAPE] = shape
        for key, value in values.items():
            st.session_state[key] = value
    else:
        for key, value in values.items():
            st.session_state.setdefault(key, value)


def hidden() -> None:
    """The mapping is not drawn in this run (no file): Streamlit forgets its widgets' values,
    so the next run puts the saved ones back (``restore``) even for a file of the same shape."""
    st.session_state.pop(_SHAPE, None)


def remember(keys: list[str]) -> None:
    """Save the drawn widgets' values as the analyst's choices for this file shape."""
    shape = st.session_state[_SHAPE]
    saved = st.session_state[_SAVED].setdefault(shape, {})
    saved.update({key: st.session_state[key] for key in keys if key in st.session_state})


def choose_kind(reason: str | None) -> bool:
    """The "What is it?" control; True for a purchase history."""
    kind = st.radio("What is it?", KINDS, horizontal=True, key="kind")
    if reason:
        st.info(f"{for_markdown(reason)} Choose \"Customer table\" if each row is a customer.",
                icon=":material/receipt_long:")
    remember(["kind"])
    return kind == KINDS[1]


def history_mapping(preview: pd.DataFrame) -> dict[str, Any] | None:
    """The history's columns by role, or None (with the reason on the page) until the
    customer and date columns are picked, each column once."""
    columns = [str(c) for c in preview.columns]
    st.markdown("**Columns** (detected from their names; change any that is wrong)")
    boxes = st.columns(4)
    picked: dict[str, str | None] = {}
    for i, role in enumerate(ROLE_NAMES):
        if role in REQUIRED_HISTORY_ROLES:
            value = boxes[i % 4].selectbox(ROLE_LABELS[role], columns, index=None,
                                           key=f"map_{role}", placeholder=f"pick the {role} "
                                           "column")
        else:
            value = boxes[i % 4].selectbox(ROLE_LABELS[role], [NONE, *columns],
                                           key=f"map_{role}")
        picked[role] = None if value in (None, NONE) else value
    remember(_history_keys())
    missing = [role for role in REQUIRED_HISTORY_ROLES if picked[role] is None]
    if missing:
        st.warning(for_markdown(_missing_message(missing, preview)), icon=":material/touch_app:")
        return None
    used = [c for c in picked.values() if c is not None]
    twice = sorted({c for c in used if used.count(c) > 1})
    if twice:
        roles = [r for r, c in picked.items() if c == twice[0]]
        st.warning(for_markdown(f"'{twice[0]}' is picked as both the {roles[0]} and the "
                                f"{roles[1]} column; pick each column once."))
        return None
    if not (picked["amount"] or (picked["quantity"] and picked["price"])):
        st.caption("No amount, nor quantity and unit price: segments use recency, frequency, "
                   "tenure and products, without spend. Pick a money column if the file has "
                   "one.")
    return {"transactions": True, **{f"{role}_col": c for role, c in picked.items()}}


def _missing_message(missing: list[str], preview: pd.DataFrame) -> str:
    if missing == ["customer"]:
        hint = repeated_id_column(preview, None)
        looked = ", ".join(ROLE_NAMES["customer"][:5])
        return ("Pick the customer id column above: no column is named like one (looked for "
                f"names like {looked})." + (f" '{hint}' repeats like a customer id."
                                             if hint else ""))
    if missing == ["date"]:
        return "Pick the purchase date column above: no column is named like a date."
    return "Pick the customer id and the purchase date columns above."


def table_mapping(preview: pd.DataFrame, detected_id: str | None) -> dict[str, Any] | None:
    """The table's id column and features, or None (with the reason) until an id column that
    detection could not settle is picked."""
    frame, _ = normalise_columns(preview)
    columns = [str(c) for c in frame.columns]
    candidates = [c for c in columns if c != detected_id]
    id_col = st.selectbox("Customer id column", [NO_ID, *columns], index=None, key="id_col",
                          placeholder="pick the customer id column")
    features = st.multiselect("Features", candidates, key="features")
    remember(["id_col", "features"])
    if id_col is None:
        unnamed = unnamed_id_columns(frame, candidates)
        st.warning(for_markdown(f"Pick the customer id column above: "
                                f"'{unnamed[0] if unnamed else '?'}' has a different whole "
                                f"number on every row, like an id. Pick \"{NO_ID}\" if it is "
                                "a measurement to cluster."),
                   icon=":material/touch_app:")
        return None
    missing = int(frame[features].isna().any(axis=1).sum()) if features else 0
    st.caption(f"{len(preview):,} rows previewed; {missing:,} with missing values in the "
               "chosen features (they are filled with the median or most common value).")
    return {"id_col": None if id_col == NO_ID else id_col, "features": features or None}
