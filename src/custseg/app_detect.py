"""What an uploaded file looks like, from its first rows: a purchase history or a customer
table, which column plays which role, and which columns could be an id nobody named as one.

Used by the web app to pre-fill its column mapping. Nothing here decides on a guess: a role
that is not found by name stays empty (the analyst picks it), and the reasons are returned as
sentences the page shows.
"""

from __future__ import annotations

import pandas as pd

from .features.columns import find_columns
from .names import column_key

REQUIRED_HISTORY_ROLES = ("customer", "date")
# Parts of a header that say "identifier" (cust_no, shopper_ref, account_key...).
_ID_HINTS = ("id", "no", "num", "code", "key", "ref", "cust", "client", "member", "account",
             "user", "shopper", "buyer")
# Fewer distinct values than this are a category (units bought, a store), not customers.
MIN_DISTINCT_IDS = 10


def _is_whole_or_text(values: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
        return False
    if pd.api.types.is_float_dtype(values):
        present = values.dropna()
        return bool(len(present)) and bool((present == present.round()).all())
    return True


def is_date_column(values: pd.Series) -> bool:
    """Dates as dates, as text (2011-12-09, 12/9/2011) or as numbers written YYYYMMDD."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return True
    present = values.dropna()
    if present.empty:
        return False
    if pd.api.types.is_integer_dtype(present):
        # CDNOW and many tills write 19970101: eight digits that read as a real date.
        parsed = pd.to_datetime(present.astype("int64").astype(str), format="%Y%m%d",
                                errors="coerce")
        return bool(parsed.notna().all() and present.between(19000101, 21001231).all())
    if pd.api.types.is_numeric_dtype(present):
        return False
    sample = present.astype(str).head(200)
    return bool(sample.str.match(r"^\s*\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}").all())


def date_column(frame: pd.DataFrame) -> str | None:
    """The column holding purchase dates: named like one, else the first whose values are."""
    named = find_columns([str(c) for c in frame.columns])["date"]
    if named is not None and is_date_column(frame[named]):
        return named
    return next((str(c) for c in frame.columns if is_date_column(frame[c])), named)


def repeated_id_column(frame: pd.DataFrame, named: str | None) -> str | None:
    """A column whose values repeat the way a customer id does in a purchase history: the one
    named like a customer, else a whole-number or text column whose name says "identifier"."""
    candidates = [named] if named else [
        str(c) for c in frame.columns
        if any(hint in column_key(str(c)) for hint in _ID_HINTS)]
    for column in candidates:
        values = frame[column].dropna()
        if (_is_whole_or_text(values) and not is_date_column(values)
                and MIN_DISTINCT_IDS <= values.nunique() < len(values)):
            return column
    return None


def history_reason(frame: pd.DataFrame) -> str | None:
    """Why ``frame`` (a file's first rows) looks like a purchase history, or None."""
    named = find_columns([str(c) for c in frame.columns])["customer"]
    ids = repeated_id_column(frame, named)
    dates = date_column(frame)
    if ids is None or dates is None or ids == dates:
        return None
    values = frame[ids].dropna()
    return (f"This looks like a purchase history: '{ids}' repeats like a customer id "
            f"({len(values) / values.nunique():.1f} lines per id in the first {len(frame):,} "
            f"rows) and '{dates}' holds dates.")


def unnamed_id_columns(frame: pd.DataFrame, features: list[str]) -> list[str]:
    """Feature columns of whole numbers with a different value on every row: customer ids
    nobody named as such, which would otherwise be clustered as if they measured something."""
    return [c for c in features
            if pd.api.types.is_integer_dtype(frame[c]) and frame[c].notna().all()
            and frame[c].nunique() == len(frame) > MIN_DISTINCT_IDS]
