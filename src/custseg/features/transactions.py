"""Purchase history -> one row of features per customer, in DuckDB.

DuckDB reads CSV or Parquet straight from disk and aggregates out of core, so memory stays bounded
by the number of customers, not lines. Values are parsed here with checks that report the column,
a few offending values and their line numbers; money is exact DECIMAL so sums do not depend on
row order. Nothing is dropped silently: every excluded or unusual line is counted in ``quality``.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field, replace
from typing import Any

import duckdb
import pandas as pd

from ..dialect import Dialect, ReadOptions
from ..errors import DataError
from ..missing import is_missing_sql
from ..numbers import detect_decimal, is_plain_sql, number_sql
from ..sources import Source, open_source
from ..sql import ident as _q
from ..sql import literal as _lit
from .columns import ColumnMap, map_columns
from .customers import is_number_type
from .dates import (
    bad_dates_error,
    date_notes,
    no_dates_error,
    plausible_sql,
    read_dates,
    today,
    window_counts,
    window_counts_sql,
)
from .feature_sql import DUCKDB, feature_names, features_sql

MONEY = "DECIMAL(18,6)"


@dataclass(frozen=True)
class HistoryFeatures:
    """A purchase history's per-customer features, what was read and counted to get them, and
    (local engine) the DuckDB session holding its lines; a context manager that closes it."""

    frame: pd.DataFrame            # customer id column (original name) + features
    columns: ColumnMap
    as_of: dt.date
    features: list[str]
    quality: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    dialect: Dialect = field(default_factory=lambda: Dialect("csv"))
    # The DuckDB session holding the parsed lines (view ``lines``), for product analyses.
    connection: duckdb.DuckDBPyConnection | None = None

    @property
    def money(self) -> bool:
        return self.columns.has_money

    def close(self) -> None:
        """Close the DuckDB session; whoever asked for the features closes it (``with``)."""
        if self.connection is not None:
            self.connection.close()
            object.__setattr__(self, "connection", None)  # closed: nothing to query any more

    def __enter__(self) -> HistoryFeatures:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()




def _history_dialect(con: duckdb.DuckDBPyConnection, opened: Source, columns: ColumnMap,
                     options: ReadOptions) -> Dialect:
    """The file's dialect with its decimal separator, decided from the money columns."""
    if options.decimal is not None:
        return replace(opened.dialect, decimal=options.decimal)
    money = [c for c in (columns.quantity, columns.price, columns.amount)
             if c is not None and opened.types[c] == "VARCHAR"]
    decimal = detect_decimal(con, "raw", money)
    if decimal == opened.dialect.decimal:
        return opened.dialect
    return replace(opened.dialect, decimal=decimal,
                   guessed=opened.dialect.guessed + ("decimal comma",))


def _offenders(con: duckdb.DuckDBPyConnection, column: str, bad: str,
               header_line: int = 1) -> str:
    """'value' (line n) for the first three offending lines; ``bad`` tests the column ``v``;
    ``header_line`` is the header's line in the file (title lines above it count)."""
    rows = con.execute(f"""
        SELECT line, v FROM (SELECT row_number() OVER () + {header_line} AS line,
                                    CAST({_q(column)} AS VARCHAR) AS v FROM raw)
        WHERE {bad} ORDER BY line LIMIT 3""").fetchall()
    return ", ".join(f"{v!r} (line {line})" for line, v in rows)


def _number(column: str | None, types: dict[str, str], decimal: str) -> str:
    if column is None:
        return "NULL"
    if is_number_type(types[column]):
        return f"CAST({_q(column)} AS {MONEY})"
    return f"TRY_CAST({number_sql(f'CAST({_q(column)} AS VARCHAR)', decimal)} AS {MONEY})"


def check_numbers(con: duckdb.DuckDBPyConnection, columns: ColumnMap,
                   types: dict[str, str], decimal: str, header_line: int = 1) -> dict[str, int]:
    """Refuse number columns with text that is not a number; count money written as text."""
    converted: dict[str, int] = {}
    for column in (columns.quantity, columns.price, columns.amount):
        if column is None or is_number_type(types[column]):
            continue
        value = f"TRY_CAST({number_sql('v', decimal)} AS {MONEY})"
        bad = f"NOT {is_missing_sql('v')} AND {value} IS NULL"
        count = con.execute(f"""
            SELECT count(*) FILTER (WHERE {bad}),
                   count(*) FILTER (WHERE {value} IS NOT NULL AND NOT {is_plain_sql('v', decimal)})
            FROM (SELECT CAST({_q(column)} AS VARCHAR) AS v FROM raw)""").fetchone()
        assert count is not None
        if count[0]:
            raise DataError(
                f"column '{column}' should hold numbers but {count[0]} line(s) do not: "
                f"{_offenders(con, column, bad, header_line)}; fix those cells or map another "
                "column"
            )
        if count[1]:
            converted[column] = int(count[1])
    return converted


def _text_or_null(column: str | None) -> str:
    """A text column trimmed, with missing tokens (NA, null, -...) as NULL."""
    if column is None:
        return "NULL"
    text = f"CAST({_q(column)} AS VARCHAR)"
    return f"CASE WHEN {is_missing_sql(text)} THEN NULL ELSE trim({text}) END"


def customer_features(
    source: str | os.PathLike[str] | pd.DataFrame, given: dict[str, str | None] | None = None,
    as_of: str | dt.date | None = None, date_format: str | None = None,
    encoding: str | None = None, missing_ok: bool = False, options: ReadOptions | None = None,
) -> HistoryFeatures:
    """Per-customer features and data-quality counts of a purchase history.

    ``given`` maps roles to column names (the CLI flags); with ``missing_ok`` a given name the
    file lacks falls back to detection (scoring a file laid out differently from training).
    """
    con = duckdb.connect()
    try:
        return _features(con, source, given, as_of, date_format, missing_ok,
                         options or ReadOptions(encoding=encoding))
    except BaseException:
        con.close()  # the session lives only as long as the features it made
        raise


def _features(con: duckdb.DuckDBPyConnection, source: str | os.PathLike[str] | pd.DataFrame,
              given: dict[str, str | None] | None, as_of: str | dt.date | None,
              date_format: str | None, missing_ok: bool, options: ReadOptions
              ) -> HistoryFeatures:
    opened = open_source(con, source, options)
    label, types = opened.label, opened.types
    total = con.execute("SELECT count(*) FROM raw").fetchone()[0]  # type: ignore[index]
    if total == 0:
        raise DataError(f"'{label}' has a header but no purchase lines; export it again with data")
    given = dict(given or {})
    if missing_ok:
        given = {role: name for role, name in given.items() if name in types}
    columns = map_columns(list(types), given)
    dialect = _history_dialect(con, opened, columns, options)
    # Dates: one decision for the whole column (dates.py); a semicolon file or decimal commas
    # make day-first the default when no date proves the order.
    dates = read_dates(con, columns.date, types[columns.date], date_format,
                       european=dialect.decimal == "," or dialect.delimiter == ";",
                       header_line=dialect.header_row)
    converted = check_numbers(con, columns, types, dialect.decimal, dialect.header_row)
    order, product = _text_or_null(columns.order), _text_or_null(columns.product)
    quantity = _number(columns.quantity, types, dialect.decimal)
    price = _number(columns.price, types, dialect.decimal)
    if columns.amount:
        amount = _number(columns.amount, types, dialect.decimal)
    elif columns.quantity and columns.price:
        amount = f"CAST({quantity} * {price} AS DECIMAL(38,6))"
    else:
        amount = "NULL"
    date_text = dates.text_sql(_q(columns.date))
    given_as_of = parse_as_of(as_of)
    # Dates before 1970 or after the as-of date (after today when none is given) are left out
    # (``day`` NULL) and counted; they never set the default as-of date.
    limit = given_as_of or today()
    early, late = window_counts_sql("_d", limit)
    # Derived columns get _-prefixed names first: DuckDB names are case-insensitive, so an
    # alias "quantity" would clash with a raw "Quantity". Parsed once into a table: a view
    # re-parsed by each later query measured slower on ten million lines.
    no_quantity_returns = "false" if columns.quantity else "coalesce(_amount < 0, false)"
    customer_sql, ids_trimmed = customer_key(con, columns.customer, types[columns.customer])
    every_column = ", ".join(_q(c) for c in types)
    con.execute(f"""
        CREATE TEMP TABLE parsed AS
        SELECT _customer AS customer,
               {plausible_sql("_d", limit)} AS day, _order AS order_raw, _product AS product,
               _quantity AS quantity, _price AS price, _amount AS amount,
               (coalesce(regexp_matches(_order, '^C[0-9]+$'), false)
                OR coalesce(_quantity < 0, false) OR {no_quantity_returns}) AS is_return,
               _date_missing AS date_missing, NOT _date_missing AND _d IS NULL AS date_bad,
               coalesce({early}, false) AS date_early, coalesce({late}, false) AS date_late,
               _row_hash
        FROM (SELECT *, {dates.parse("_dv")} AS _d,
                     {dates.missing_sql("_dv")} AS _date_missing FROM (
              SELECT {customer_sql} AS _customer,
                     {date_text} AS _dv, {order} AS _order, {product} AS _product,
                     {quantity} AS _quantity, {price} AS _price, {amount} AS _amount,
                     hash({every_column}) AS _row_hash
              FROM raw))""")
    used = "customer IS NOT NULL AND day IS NOT NULL"
    # One pass for every check and count. Exact duplicates are counted by a 64-bit hash of all
    # columns (twice as fast as DISTINCT * on ten million lines; a collision, odds ~1e-6 at that
    # size, could only undercount by one).
    scan = con.execute(f"""
        SELECT count(*) FILTER (WHERE date_bad), count(*) FILTER (WHERE customer IS NOT NULL),
               min(day), max(day),
               count(*) FILTER (WHERE customer IS NULL), count(*) FILTER (WHERE date_missing),
               count(*) FILTER (WHERE date_early),
               count(*) FILTER (WHERE is_return),
               coalesce(sum(-amount) FILTER (WHERE is_return), 0),
               count(*) FILTER (WHERE price <= 0),
               count(DISTINCT _row_hash),
               count(*) FILTER (WHERE {used}), count(*) FILTER (WHERE {used} AND is_return),
               count(*) FILTER (WHERE date_late)
        FROM parsed""").fetchone()
    assert scan is not None
    if scan[0]:
        raise bad_dates_error(con, columns.date, dates, dialect.header_row)
    require_customers(int(scan[1]), total, columns)
    window = window_counts(scan[6], scan[13], given_as_of)
    if scan[3] is None and not (given_as_of and scan[13]):
        raise no_dates_error(columns.date, {"lines_without_date": int(scan[5]), **window})
    as_of_day = given_as_of or scan[3] + dt.timedelta(days=1)
    counts = {
        "first_day": str(scan[2]), "last_day": str(scan[3]),
        "lines_without_customer": int(scan[4]), "lines_without_date": int(scan[5]),
        **window, "date_order": dates.order, "date_formats": list(dates.formats),
        "return_lines": int(scan[7]),
        "returned_amount": float(scan[8]), "zero_or_negative_price_lines": int(scan[9]),
        "exact_duplicate_lines": total - int(scan[10]),
        "lines_used": int(scan[11]), "returns_used": int(scan[12]),
        "numbers_from_text": converted, "ids_trimmed": ids_trimmed,
    }
    return _aggregate(con, columns, total, as_of_day, counts, dialect,
                      [*opened.notes, *date_notes(dates, counts, limit)])


def customer_key(con: duckdb.DuckDBPyConnection, column: str, kind: str) -> tuple[str, int]:
    """SQL for the customer id, exactly as written, and how many ids had spaces around them.

    Ids are text: 0012346 and 12346 are two customers. Where every id is a plain whole number
    without leading zeros, grouping runs on BIGINT (a third faster), which writes back the same
    text. Missing tokens (NA, null, -...) are no customer.
    """
    base = kind.split("(")[0]
    if base in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT",
                "UINTEGER"):
        return f"CAST({_q(column)} AS BIGINT)", 0
    text = f"CAST({_q(column)} AS VARCHAR)"
    row = con.execute(f"""
        SELECT count(*) FILTER (WHERE NOT {is_missing_sql(text)}
                                AND NOT regexp_full_match(trim({text}), '-?[1-9][0-9]{{0,17}}|0')),
               count(*) FILTER (WHERE {text} <> trim({text}) AND NOT {is_missing_sql(text)})
        FROM raw""").fetchone()
    assert row is not None
    if base == "VARCHAR" and row[0] == 0:
        return (f"CASE WHEN {is_missing_sql(text)} THEN NULL "
                f"ELSE CAST(trim({text}) AS BIGINT) END"), int(row[1])
    return _text_or_null(column), int(row[1])


def require_customers(lines_with_customer: int, total: int, columns: ColumnMap) -> None:
    """Checks every engine makes the same way, with the same message."""
    if lines_with_customer == 0:
        raise DataError(f"every one of the {total:,} lines lacks a customer id (column "
                        f"'{columns.customer}' is empty); name the right column with "
                        "--customer-col")


def require_lines(lines_used: int, as_of: dt.date) -> None:
    if lines_used == 0:
        raise DataError(f"no purchase lines on or before the as-of date {as_of}; pick a later "
                        "--as-of")


def parse_as_of(as_of: str | dt.date | None) -> dt.date | None:
    if as_of is None or isinstance(as_of, dt.date):
        return as_of
    try:
        return dt.date.fromisoformat(as_of)
    except ValueError:
        raise DataError(f"--as-of '{as_of}' is not a date; use YYYY-MM-DD") from None


def _aggregate(con: duckdb.DuckDBPyConnection, columns: ColumnMap, total: int,
               as_of: dt.date, counts: dict[str, Any], dialect: Dialect,
               notes: list[str]) -> HistoryFeatures:
    as_of_sql = f"DATE {_lit(as_of.isoformat())}"
    con.execute(f"""CREATE TEMP VIEW lines AS
        SELECT customer, day, coalesce(order_raw, CAST(day AS VARCHAR)) AS order_key, product,
               quantity, amount, is_return
        FROM parsed WHERE customer IS NOT NULL AND day IS NOT NULL AND day <= {as_of_sql}""")
    require_lines(counts["lines_used"], as_of)
    returns_used = counts.pop("returns_used")
    money = columns.has_money
    sql = features_sql(DUCKDB, as_of_sql, money=money, product=columns.product is not None,
                       quantity=columns.quantity is not None, returns=returns_used > 0)
    frame = con.execute(sql).df()
    return finish_features(frame, columns, as_of, total, counts, returns_used > 0, dialect,
                           notes, connection=con)


def finish_features(frame: pd.DataFrame, columns: ColumnMap, as_of: dt.date, total: int,
                    counts: dict[str, Any], returns: bool, dialect: Dialect,
                    reading_notes: list[str], *, engine: str | None = None,
                    connection: duckdb.DuckDBPyConnection | None = None) -> HistoryFeatures:
    """Shared by every engine: id and integer types, feature list, notes (``reading_notes``
    first), quality counts (``engine`` names a non-local engine in them)."""
    money = columns.has_money
    frame = frame.rename(columns={"customer": columns.customer})
    # Ids stay as read (text, or whole numbers that write back the same text); sorted so that
    # every engine returns customers in one order.
    frame = frame.sort_values(columns.customer, ignore_index=True)
    for name in ("recency_days", "frequency", "tenure_days", "distinct_products"):
        if name in frame:
            frame[name] = frame[name].astype("int64")
    names = feature_names(money, columns.product is not None, returns)
    notes = []
    if not money:
        notes.append("no money column (amount, or quantity and price): segments use recency, "
                     "frequency, tenure, products and items only, without spend")
    quality = {
        "lines": total,
        "customers": int(len(frame)),
        "as_of": as_of.isoformat(),
        **counts,
        "returned_amount": round(counts["returned_amount"], 2) if money else None,
        "zero_or_negative_price_lines": (counts["zero_or_negative_price_lines"] if columns.price
                                         else None),
        "returns_netting": ("return lines (order ids starting with C, or negative quantities) "
                            "count as returns: their negative amounts are netted into monetary "
                            "and they are not orders" if counts["return_lines"]
                            else "no returns found"),
        "duplicates_policy": "exact duplicate lines are kept (they may be genuine repeat "
                             "purchases) and counted here",
    }
    if engine is not None:
        quality["engine"] = engine
    return HistoryFeatures(frame, columns, as_of, names, quality, [*reading_notes, *notes],
                           dialect, connection)

