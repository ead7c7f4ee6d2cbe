"""The read and clean stages of a customer table: typed by the reader, then checked and cleaned.

``read_customer_table`` returns the table as read; ``clean_table`` chooses the id and feature
columns, checks them, handles missing values and returns both the values as read (written back
in segments.csv) and the clean ones (what K-means sees).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from . import schema
from .datasets import sample_path
from .dialect import ReadOptions
from .errors import DataError
from .features.customers import CustomerTable, read_customers
from .prep import MissingReport, handle_missing

ROW_ID = "row_number"  # id column made up when the table has none
SAMPLE_LABEL = "built-in sample (Mall Customers)"


@dataclass(frozen=True)
class CleanTable:
    as_read: pd.DataFrame  # the values as read (typed), id column added when missing
    cleaned: pd.DataFrame  # missing values handled; index kept so rows match as_read
    columns: schema.ColumnChoice  # the id column and the features chosen
    missing: MissingReport
    notes: list[str]

    @property
    def id_column(self) -> str:
        assert self.columns.id_column is not None  # clean_table always sets one
        return self.columns.id_column


def read_customer_table(data: str | os.PathLike[str] | pd.DataFrame | None,
                        options: ReadOptions | None = None,
                        id_col: str | None = None) -> CustomerTable:
    """The customer table, typed by the reader (None means the built-in sample)."""
    if data is None:
        return replace(read_customers(sample_path(), options, id_col, schema.resolve_name),
                       label=SAMPLE_LABEL)
    if isinstance(data, pd.DataFrame) and data.empty:
        raise DataError("the DataFrame has no rows; pass a table with customers")
    return read_customers(data, options, id_col, schema.resolve_name)


def clean_table(table: CustomerTable, features: list[str] | None, missing: str) -> CleanTable:
    """Validate and clean a customer table (see the module docstring)."""
    frame, notes = schema.normalise_columns(table.frame)
    columns = schema.choose_roles(frame, table.id_column, features)
    notes = table.notes + notes + columns.notes
    if columns.id_column is None:
        frame = frame.copy()
        frame.insert(0, ROW_ID, np.arange(1, len(frame) + 1))
        columns = replace(columns, id_column=ROW_ID)
        notes.append(f"no customer id column found; customers are numbered by row in "
                     f"'{ROW_ID}' (pass --id-col to use a column)")
    else:
        schema.check_unique_ids(frame, columns.id_column)
    frame = schema.check_numeric(frame, columns.numeric, table.bad_cells)
    schema.check_not_empty_columns(frame, columns.features)
    for column in columns.categorical:
        frame[column] = frame[column].astype("string").astype(object).where(
            frame[column].notna(), None)
    clean, report = handle_missing(frame, columns.numeric, columns.categorical, missing)
    if len(clean) < 2:
        raise DataError(f"only {len(clean)} customer to segment; segments need at least 2 "
                        "customers (and k of them for k segments): pass the full table")
    return CleanTable(frame, clean, columns, report, notes)
