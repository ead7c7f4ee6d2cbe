"""A customer table (one row per customer) read into a typed frame, with nothing changed silently.

Reading happens in DuckDB over the view that ``sources.open_source`` made: the id column stays
text exactly as written (trimmed of surrounding spaces); a text column whose cells are mostly
numbers becomes a number column (decimal comma, thousands groups, currency signs and codes
understood, each such cell counted); missing tokens (``NA``, ``null``, ``-``...) become missing
and are counted; cells of a number column that are not numbers are remembered with their lines,
so the schema check can refuse the column in one line if it is used.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from ..dialect import Dialect, ReadOptions
from ..errors import DataError
from ..missing import is_missing_sql
from ..names import column_key
from ..numbers import ColumnNumbers, detect_decimal, is_plain_sql, number_sql
from ..sources import VIEW, Source, open_source
from ..sql import ident as quote

NUMERIC_SHARE = 0.8  # a text column with at least this share of numbers is a number column
_ID_NAMES = {
    "customerid", "customer", "custid", "customerno", "customernumber", "clientid", "memberid",
    "membernumber", "memberno", "userid", "accountid", "id", "customercode", "clientno",
}
_NUMBER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE",
                 "DECIMAL", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT")


@dataclass
class CustomerTable:
    """The typed table and everything the reader did to get it."""

    frame: pd.DataFrame            # index + 2 = line number in the file (header on line 1)
    label: str
    dialect: Dialect
    id_column: str | None          # None: no id column found (customers numbered by row)
    columns: list[str]             # every column, as read
    bad_cells: dict[str, ColumnNumbers] = field(default_factory=dict)
    converted: dict[str, int] = field(default_factory=dict)      # money/grouping text read
    missing_tokens: dict[str, int] = field(default_factory=dict)  # NA, null, - ... cells
    ids_trimmed: int = 0
    notes: list[str] = field(default_factory=list)

    def quality(self) -> dict[str, Any]:
        """The reader's counts, for summary.json's data_quality."""
        return {"numbers_from_text": self.converted, "missing_tokens": self.missing_tokens,
                "ids_trimmed": self.ids_trimmed}


def is_number_type(kind: str) -> bool:
    return kind.split("(")[0] in _NUMBER_TYPES


def _text(column: str) -> str:
    return f"CAST({quote(column)} AS VARCHAR)"


def find_id_column(con: duckdb.DuckDBPyConnection, source: Source, given: str | None,
                   resolve: Any, first_column_is_id: bool = False) -> str | None:
    """The given id column, else one named like a customer id, else a leading column of unique
    whole numbers or text (not decimal numbers)."""
    if given:
        return str(resolve(source.columns, given, "--id-col"))
    if first_column_is_id:
        return source.columns[0]
    for column in source.columns:
        if column_key(column) in _ID_NAMES:
            return column
    first = source.columns[0]
    kind = source.types[first]
    if is_number_type(kind) and not kind.startswith(("TINYINT", "SMALLINT", "INTEGER", "BIGINT",
                                                     "HUGEINT", "U")):
        return None
    text = _text(first)
    row = con.execute(f"""
        SELECT count(*), count(DISTINCT trim({text})),
               count(*) FILTER (WHERE {is_missing_sql(text)}),
               count(*) FILTER (WHERE NOT regexp_full_match(trim({text}), '[-+]?\\d+')
                                AND TRY_CAST(trim({text}) AS DOUBLE) IS NOT NULL)
        FROM {VIEW}""").fetchone()
    assert row is not None
    total, distinct, missing, decimals = (int(v) for v in row)
    if total > 1 and distinct == total and missing == 0 and decimals == 0:
        return first
    return None


def read_customers(source: str | os.PathLike[str] | pd.DataFrame,
                   options: ReadOptions | None = None, id_col: str | None = None,
                   resolve: Any = None, first_column_is_id: bool = False) -> CustomerTable:
    """Read and type a customer table; ``resolve(columns, name, option)`` finds named columns."""
    con = duckdb.connect()
    try:
        opened = open_source(con, source, options)
        # Whether there is a row at all, not how many: counting would scan the whole file.
        if con.execute(f"SELECT 1 FROM {VIEW} LIMIT 1").fetchone() is None:
            raise DataError(f"file '{opened.label}' has a header but no rows; export the table "
                            "again with its data")
        id_column = find_id_column(con, opened, id_col, resolve, first_column_is_id)
        return _typed(con, opened, options or ReadOptions(), id_column)
    finally:
        con.close()


def _typed(con: duckdb.DuckDBPyConnection, opened: Source, options: ReadOptions,
           id_column: str | None) -> CustomerTable:
    first, dialect = _plain_first(con, opened, id_column, options)
    plain = first.plain
    # The id is read as text whatever it holds; of its statistics only missing tokens count.
    stats, tokens = _text_stats(con, opened, dialect, skip={*plain, id_column})
    if first.id_tokens:
        tokens = {str(id_column): first.id_tokens, **tokens}
    for column in plain:
        stats[column] = ColumnNumbers(first.rows, first.rows, 0, [], [])
    select, bad, converted = [], {}, {}
    for column, kind in opened.types.items():
        if column in plain or (column == id_column and first.ids is not None):
            continue
        number = (kind == "VARCHAR" and column != id_column and stats[column].present > 0
                  and stats[column].numeric_share >= NUMERIC_SHARE)
        select.append(_select_sql(column, kind, id_column, number, dialect.decimal))
        if number and stats[column].bad:
            bad[column] = stats[column]
        if number and stats[column].converted:
            converted[column] = stats[column].converted
    rest = (con.execute(f"SELECT {', '.join(select)} FROM {VIEW}").df() if select
            else pd.DataFrame(index=pd.RangeIndex(first.rows)))
    if first.ids is not None:
        rest[str(id_column)] = first.ids
    frame = pd.DataFrame({column: plain[column] if column in plain else rest[column]
                          for column in opened.types})
    trimmed = first.ids_trimmed
    for column in stats:
        values = frame[column]
        # Whole numbers without gaps read as integers (a segment id 2, not 2.0).
        if (column != id_column and values.dtype == "float64" and values.notna().all()
                and np.isfinite(values).all() and (values == values.round()).all()
                and values.abs().max() < 2**53):
            frame[column] = values.astype("int64")
    frame.index = pd.RangeIndex(dialect.header_row - 1, dialect.header_row - 1 + len(frame))
    notes = list(opened.notes)
    if trimmed:
        notes.append(f"{trimmed} id(s) had spaces around them, which were removed")
    for column, count in converted.items():
        notes.append(f"column '{column}': {count} value(s) written with currency signs, codes "
                     "or thousands separators were read as numbers")
    return CustomerTable(frame, opened.label, dialect, id_column, opened.columns, bad, converted,
                         tokens, trimmed, notes)


@dataclass(frozen=True)
class FirstPass:
    """What one scan of the table read: the plain number columns and the id column."""

    rows: int
    plain: dict[str, np.ndarray]  # text columns whose every cell is a plain finite number
    ids: pd.Series | None  # the id column as text, trimmed, missing tokens as missing
    id_tokens: int  # ids written as a missing token (NA, null...)
    ids_trimmed: int  # ids with spaces around them


def _plain_first(con: duckdb.DuckDBPyConnection, opened: Source, id_column: str | None,
                 options: ReadOptions) -> tuple[FirstPass, Dialect]:
    """The first scan (``_first_pass``) and the dialect with its decimal separator.

    Plain cells hold no comma, so when every text column is plain there is nothing to vote for
    a decimal comma and the sample ``detect_decimal`` reads is skipped. When the vote (or the
    user) says comma, plain '1.234' may be a thousands group: the plain reading is dropped.
    """
    texts = [c for c, kind in opened.types.items() if kind == "VARCHAR" and c != id_column]
    first = _first_pass(con, opened, id_column, [] if options.decimal == "," else texts)
    if options.decimal is None and len(first.plain) < len(texts):
        dialect = _with_decimal(con, opened, id_column, options)
    else:
        # Every text column plain: a decimal point (with none, the source's own separator).
        decimal = options.decimal or ("." if texts else opened.dialect.decimal)
        dialect = replace(opened.dialect, decimal=decimal)
    if dialect.decimal != ".":
        first = replace(first, plain={})
    return first, dialect


def _first_pass(con: duckdb.DuckDBPyConnection, opened: Source, id_column: str | None,
                candidates: list[str]) -> FirstPass:
    """One scan reading the ``candidates`` as plain numbers and the id column as text.

    The common case, a clean export, then costs one cheap cast per cell instead of the full
    rules (missing tokens, currency, grouping: ``_text_stats``), which run only on the columns
    that are not plain. With a decimal point a plain cell is exactly what ``number_sql`` reads
    first (``TRY_CAST``); no missing token casts to a finite number ('nan' casts to NaN), so such
    a column has nothing missing, converted or bad to count.
    """
    parts = [f"TRY_CAST({_text(c)} AS DOUBLE) AS c{i}" for i, c in enumerate(candidates)]
    text_id = id_column is not None and opened.types[id_column] == "VARCHAR"
    if text_id:
        text = _text(str(id_column))
        parts += [f"{_select_sql(str(id_column), 'VARCHAR', id_column, False, '.')}",
                  f"{text} IS NOT NULL AND trim({text}) <> '' AND {is_missing_sql(text)} "
                  "AS _id_token",
                  f"{text} <> trim({text}) AS _id_trimmed"]
    if not parts:
        return FirstPass(_count(con), {}, None, 0, 0)
    read = con.execute(f"SELECT {', '.join(parts)} FROM {VIEW}").df()
    plain = {}
    for i, column in enumerate(candidates):
        values = read[f"c{i}"].to_numpy(dtype=np.float64, na_value=np.nan)
        if np.isfinite(values).all():
            plain[column] = values
    if not text_id:
        return FirstPass(len(read), plain, None, 0, 0)
    return FirstPass(len(read), plain, read[str(id_column)],
                     int(read["_id_token"].sum()), int(read["_id_trimmed"].fillna(False).sum()))


def _count(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.execute(f"SELECT count(*) FROM {VIEW}").fetchone()[0])  # type: ignore[index]


def _select_sql(column: str, kind: str, id_column: str | None, number: bool,
                decimal: str) -> str:
    """How one column is read: native types as they are; text trimmed with missing tokens as
    NULL (the id column always stays text); or parsed as a number when ``number``."""
    text = _text(column)
    if kind != "VARCHAR":
        return quote(column)
    if number and column != id_column:
        return f"{number_sql(text, decimal)} AS {quote(column)}"
    return f"CASE WHEN {is_missing_sql(text)} THEN NULL ELSE trim({text}) END AS {quote(column)}"


def _column_stats(con: duckdb.DuckDBPyConnection, opened: Source, id_column: str | None,
                  options: ReadOptions) -> tuple[Dialect, dict[str, ColumnNumbers],
                                                 dict[str, int]]:
    """The decimal separator, and per text column its number counts, in one scan."""
    dialect = _with_decimal(con, opened, id_column, options)
    return (dialect, *_text_stats(con, opened, dialect))


def _with_decimal(con: duckdb.DuckDBPyConnection, opened: Source, id_column: str | None,
                  options: ReadOptions) -> Dialect:
    """The source's dialect with its decimal separator: given, or detected from text cells."""
    dialect = opened.dialect
    texts = [c for c, kind in opened.types.items() if kind == "VARCHAR" and c != id_column]
    if options.decimal is None and texts:
        decimal = detect_decimal(con, VIEW, texts)
        guessed = dialect.guessed + (("decimal comma",) if decimal == "," else ())
        dialect = replace(dialect, decimal=decimal, guessed=guessed)
    if options.decimal is not None:
        dialect = replace(dialect, decimal=options.decimal)
    return dialect


def _text_stats(con: duckdb.DuckDBPyConnection, opened: Source, dialect: Dialect,
                skip: Collection[str | None] = ()
                ) -> tuple[dict[str, ColumnNumbers], dict[str, int]]:
    """Per text column (those in ``skip`` aside) its number counts and missing tokens."""
    every = [c for c, kind in opened.types.items() if kind == "VARCHAR" and c not in skip]
    # Each cell's number, missing and plain flags are computed once (inner query), then counted
    # (outer query), with no window over the rows so DuckDB streams in parallel. Lines of bad
    # cells are looked up afterwards, only for the columns that have some.
    cells, parts = [], []
    for i, column in enumerate(every):
        text = _text(column)
        cells.append(f"{text} AS t{i}, {number_sql(text, dialect.decimal)} AS v{i}, "
                     f"{is_missing_sql(text)} AS m{i}, "
                     f"{is_plain_sql(text, dialect.decimal)} AS p{i}")
        parts.append(
            f"count(*) FILTER (WHERE NOT m{i}), count(v{i}), "
            f"count(*) FILTER (WHERE v{i} IS NOT NULL AND NOT p{i}), "
            f"count(*) FILTER (WHERE t{i} IS NOT NULL AND trim(t{i}) <> '' AND m{i})")
    stats: dict[str, ColumnNumbers] = {}
    tokens: dict[str, int] = {}
    if parts:
        row = con.execute(f"SELECT {', '.join(parts)} FROM (SELECT {', '.join(cells)} "
                          f"FROM {VIEW})").fetchone()
        assert row is not None
        for i, column in enumerate(every):
            present, parsed, converted, token = row[i * 4:(i + 1) * 4]
            stats[column] = ColumnNumbers(int(present), int(parsed), int(converted), [], [])
            if token:
                tokens[column] = int(token)
            if 0 < parsed < present:
                stats[column].bad_lines, stats[column].bad_values = _bad_cells(
                    con, column, dialect)
    return stats, tokens


def _bad_cells(con: duckdb.DuckDBPyConnection, column: str,
               dialect: Dialect) -> tuple[list[int], list[str]]:
    """Index labels (line - 2) and texts of the first three cells of ``column`` that are
    present but not numbers."""
    text = _text(column)
    rows = con.execute(f"""
        SELECT _row, t FROM (SELECT row_number() OVER () + {dialect.header_row - 2} AS _row,
                                    {text} AS t FROM {VIEW})
        WHERE NOT {is_missing_sql('t')} AND {number_sql('t', dialect.decimal)} IS NULL
        ORDER BY _row LIMIT 3""").fetchall()
    return [int(r[0]) for r in rows], [str(r[1]) for r in rows]


def iter_customers(source: str | os.PathLike[str], options: ReadOptions | None,
                   chunk_rows: int, numeric: list[str], id_column: str | None
                   ) -> Iterator[pd.DataFrame]:
    """Stream a table in chunks for scoring: ``numeric`` columns parsed as numbers (a cell that
    is not a number is a DataError naming its line), the id and other columns as text."""
    con = duckdb.connect()
    try:
        opened = open_source(con, source, options)
        dialect, stats, _ = _column_stats(con, opened, None, options or ReadOptions())
        select = []
        for column, kind in opened.types.items():
            number = column in numeric and column != id_column
            if number and kind == "VARCHAR" and stats[column].bad:
                raise bad_cells_error(column, stats[column])
            select.append(_select_sql(column, kind, id_column, number, dialect.decimal))
        with warnings.catch_warnings():
            # DuckDB suggests con.sql(...) to save a copy per batch, but a relation cannot run
            # beside the counting queries above on one connection; batches are small.
            warnings.filterwarnings("ignore", message="Arrow output on a DB-API result")
            reader = con.execute(f"SELECT {', '.join(select)} FROM {VIEW}").to_arrow_reader(
                chunk_rows)
        start = dialect.header_row - 1
        assert reader is not None
        for batch in reader:
            chunk = batch.to_pandas()
            chunk.index = pd.RangeIndex(start, start + len(chunk))
            start += len(chunk)
            yield chunk
    finally:
        con.close()


def bad_cells_error(column: str, stats: ColumnNumbers) -> DataError:
    lines = ", ".join(str(n + 2) for n in stats.bad_lines)
    return DataError(
        f"column '{column}' is numeric but line {stats.bad_lines[0] + 2} has "
        f"'{stats.bad_values[0]}' ({stats.bad} such value(s), lines {lines}); fix or empty those "
        "cells, or leave the column out of --features"
    )


def check_magnitude(frame: pd.DataFrame, columns: list[str], largest: float) -> None:
    """Values so large that their squares overflow are refused, naming the line."""
    for column in columns:
        values = frame[column].to_numpy(dtype="float64", na_value=np.nan)
        huge = np.abs(np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)) > largest
        if huge.any():
            where = frame.index[huge]
            raise DataError(
                f"column '{column}' has a value too large to compute with "
                f"({values[huge][0]:g} at line {int(where[0]) + 2}); check the column "
                "(a misplaced decimal separator, an id or a code?) or leave it out of --features"
            )
