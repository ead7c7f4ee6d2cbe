"""Column roles: which column is the customer id, which are features, and are they usable.

Every check here raises :class:`DataError` whose one line names the column, shows a few offending
values with their row numbers, and says what to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import DataError
from .features.customers import bad_cells_error, check_magnitude
from .names import column_key
from .numbers import LARGEST, ColumnNumbers

# Header spellings seen in the wild that mean the same column. The Kaggle copy of the Mall
# Customers table says "Genre" where it means "Gender".
COLUMN_ALIASES = {"Genre": "Gender"}

MAX_CATEGORY_LEVELS = 12  # more distinct values than this is a name/text column, not a category
_FIRST_ROW_LINE = 2  # data row 0 is line 2 of a file with a header


@dataclass
class ColumnChoice:
    """The id column and the features chosen from a table."""

    id_column: str | None
    numeric: list[str]
    categorical: list[str]
    skipped: dict[str, str] = field(default_factory=dict)  # column -> why it is not a feature
    notes: list[str] = field(default_factory=list)

    @property
    def features(self) -> list[str]:
        return self.numeric + self.categorical


def normalise_columns(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Rename known header variants (``Genre`` -> ``Gender``); return the notes saying so."""
    renames = {old: new for old, new in COLUMN_ALIASES.items()
               if old in frame.columns and new not in frame.columns}
    notes = [f"column '{old}' read as '{new}'" for old, new in renames.items()]
    return (frame.rename(columns=renames) if renames else frame), notes


def _columns_hint(frame: pd.DataFrame) -> str:
    return ", ".join(f"'{c}'" for c in frame.columns)


def resolve_column(frame: pd.DataFrame, name: str, option: str) -> str:
    """The column called ``name`` (aliases and case-insensitive matches allowed)."""
    return resolve_name([str(c) for c in frame.columns], name, option)


def resolve_name(columns: list[str], name: str, option: str) -> str:
    """The column of ``columns`` called ``name``; a DataError listing the columns otherwise."""
    if name in columns:
        return name
    alias = COLUMN_ALIASES.get(name) or {v: k for k, v in COLUMN_ALIASES.items()}.get(name)
    if alias and alias in columns:
        return alias
    by_key = {column_key(c): c for c in columns}
    if column_key(name) in by_key:
        return by_key[column_key(name)]
    shown = ", ".join(f"'{c}'" for c in columns)
    raise DataError(f"column '{name}' given in {option} not found; columns are: {shown}")


def choose_roles(
    frame: pd.DataFrame, id_column: str | None = None, features: list[str] | None = None
) -> ColumnChoice:
    """Pick the feature columns beside the id column (found by the reader, or None), checking
    that named columns exist."""
    notes: list[str] = []
    skipped: dict[str, str] = {}
    if features:
        chosen = [resolve_column(frame, f, "--features") for f in features]
        if id_column in chosen:
            raise DataError(
                f"column '{id_column}' is the customer id and cannot also be a feature; "
                "remove it from --features or pass another --id-col"
            )
        if len(set(chosen)) != len(chosen):
            raise DataError("--features names a column twice; list each column once")
    else:
        chosen = [str(c) for c in frame.columns if c != id_column]
    numeric: list[str] = []
    categorical: list[str] = []
    for column in chosen:
        values = frame[column]
        if _is_numeric(values):
            numeric.append(column)
        elif _is_date_like(values):
            skipped[column] = "dates are not a feature; derive e.g. tenure from them"
        elif values.nunique(dropna=True) <= MAX_CATEGORY_LEVELS or features:
            categorical.append(column)
        else:
            skipped[column] = (f"text with {values.nunique()} distinct values (more than "
                               f"{MAX_CATEGORY_LEVELS}); name it in --features to use it")
    if not numeric and not categorical:
        separators = [d for d in (",", ";", "\t", "|") if any(d in str(c) for c in frame.columns)]
        if separators:
            raise DataError(
                f"no usable feature columns: the header was read as {_columns_hint(frame)}, "
                f"which looks split wrongly; pass the delimiter, e.g. --delimiter "
                f"'{separators[0] if separators[0] != chr(9) else 'tab'}'"
            )
        raise DataError(
            f"no usable feature columns (columns are: {_columns_hint(frame)}); "
            "name numeric or categorical columns with --features"
        )
    return ColumnChoice(id_column, numeric, categorical, skipped, notes)


def _is_numeric(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def _is_date_like(values: pd.Series) -> bool:
    if pd.api.types.is_datetime64_any_dtype(values):
        return True
    sample = values.dropna().astype(str).head(50)
    return bool(not sample.empty
                and sample.str.match(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}").all())


def _rows(index: pd.Index, limit: int = 3) -> str:
    return ", ".join(str(int(i) + _FIRST_ROW_LINE) for i in list(index)[:limit])


def check_numeric(frame: pd.DataFrame, columns: list[str],
                  bad_cells: dict[str, ColumnNumbers] | None = None) -> pd.DataFrame:
    """Return ``frame`` with numeric columns as float; reject text, infinite and huge values.

    ``bad_cells`` are the reader's counts of cells that are not numbers in number columns.
    Row numbers in messages are file line numbers (index + 2).
    """
    frame = frame.copy()
    for column in columns:
        values = frame[column]
        if bad_cells and column in bad_cells:
            raise bad_cells_error(column, bad_cells[column])
        if not _is_numeric(values):
            text = values.astype("string").str.strip()
            parsed = pd.to_numeric(text, errors="coerce")
            bad = text.notna() & (text != "") & parsed.isna()
            if bad.any():
                first = bad[bad].index[0]
                raise DataError(
                    f"column '{column}' is numeric but line {int(first) + _FIRST_ROW_LINE} has "
                    f"'{values[first]}' ({int(bad.sum())} such value(s), lines "
                    f"{_rows(bad[bad].index)}); fix or empty those cells, or leave the column "
                    "out of --features"
                )
            values = parsed
        values = values.astype("float64")
        infinite = np.isinf(values.to_numpy())
        if infinite.any():
            where = frame.index[infinite]
            raise DataError(
                f"column '{column}' has infinite values (lines {_rows(where)}); replace them with "
                "real numbers or empty cells (empty cells are imputed)"
            )
        frame[column] = values
    check_magnitude(frame, columns, LARGEST)
    return frame


def check_not_empty_columns(frame: pd.DataFrame, columns: list[str]) -> None:
    for column in columns:
        if frame[column].isna().all():
            raise DataError(
                f"column '{column}' has no values at all; fill it in or leave it out of --features"
            )


def check_unique_ids(frame: pd.DataFrame, id_column: str) -> None:
    ids = frame[id_column]
    if ids.isna().any():
        lines = _rows(ids[ids.isna()].index)
        raise DataError(
            f"id column '{id_column}' has empty cells (lines {lines}); give every customer an id "
            "or choose another column with --id-col"
        )
    if not ids.is_unique:  # one hash pass; finding which ids repeat costs three times more
        duplicated = ids[ids.duplicated(keep=False)]
        examples = ", ".join(str(v) for v in pd.unique(duplicated)[:5])
        raise DataError(
            f"id column '{id_column}' has duplicate ids ({duplicated.nunique()} ids repeat, e.g. "
            f"{examples}); each customer must appear once: deduplicate the file or choose "
            "another column with --id-col"
        )
