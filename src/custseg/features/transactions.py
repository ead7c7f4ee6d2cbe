"""Purchase history -> one row of features per customer, in DuckDB.

DuckDB reads CSV or Parquet straight from disk and aggregates out of core, so memory stays bounded
by the number of customers, not lines. Values are parsed with checks that report the column,
a few offending values and their line numbers (``line_checks``); money is exact DECIMAL so sums
do not depend on row order. Nothing is dropped silently: every excluded or unusual line is counted
in ``quality``.

The lines are read twice, and never kept: one scan of the columns read from text decides how
dates are written, checks numbers and ids and makes a text file's own checks (``prescan``; no
scan at all for Parquet's typed columns), then one pass parses every line into all the
groupings at once (``line_sql``): the customers' aggregates, their distinct orders and products,
and the quality counts (table ``per_customer``). The product tables read the lines again later,
through the view ``lines``. DuckDB works within ``MEMORY_LIMIT_MB`` (``duck_session``), spilling
beyond it.
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
from ..first_scan import finish_scan, first_read, settle
from ..numbers import CURRENCY_PATTERN, detect_decimal
from ..sources import Source, open_source
from ..sql import ident as _q
from ..sql import literal as _lit
from .columns import ColumnMap, map_columns
from .date_window import date_notes, no_dates_error, today, window_counts
from .dates import bad_dates_error, read_dates
from .duck_session import connect, execute_bounded
from .feature_sql import customer_sql, feature_names, final_sql
from .line_checks import Checks, check_numbers, customer_key, prescan
from .line_sql import QUALITY_COUNTS, lines_sql, quality_sql


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
    # The DuckDB session whose view ``lines`` reads the purchase lines, for product analyses.
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


def customer_features(
    source: str | os.PathLike[str] | pd.DataFrame, given: dict[str, str | None] | None = None,
    as_of: str | dt.date | None = None, date_format: str | None = None,
    encoding: str | None = None, missing_ok: bool = False, options: ReadOptions | None = None,
) -> HistoryFeatures:
    """Per-customer features and data-quality counts of a purchase history.

    ``given`` maps roles to column names (the CLI flags); with ``missing_ok`` a given name the
    file lacks falls back to detection (scoring a file laid out differently from training).
    """
    con = connect()
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
    # A text file's own first scan (``first_scan``) is left to ``prescan``: one read less.
    opened = open_source(con, source, options, scan=False)
    columns, dialect, checks = first_read(
        con, opened.pending,
        lambda: first_reads(con, opened, given, missing_ok, options, date_format))
    types = opened.types
    # Dates: one decision for the whole column (dates.py); a semicolon file or decimal commas
    # make day-first the default when no date proves the order.
    dates = read_dates(con, columns.date, types[columns.date], date_format,
                       european=dialect.decimal == "," or dialect.delimiter == ";",
                       header_line=dialect.header_row, heads=checks.heads)
    converted = check_numbers(con, columns, types, dialect.decimal, dialect.header_row,
                              checks.numbers)
    customer, ids_trimmed = customer_key(con, columns.customer, types[columns.customer],
                                         checks.ids)
    if checks.heads:
        con.execute(f"DROP TABLE {checks.heads}")
    given_as_of = parse_as_of(as_of)
    # Dates before 1970 or after the as-of date (after today when none is given) are left out
    # (``day`` NULL) and counted; they never set the default as-of date.
    limit = given_as_of or today()
    lines = lines_sql(columns, types, dialect.decimal, dates, customer, limit)
    # One read of the lines feeds every grouping at once (a common table expression DuckDB
    # streams to each of its readers): the customers' aggregates over the lines the features
    # use, and the quality counts over every line, stored as one more row (``quality``).
    used = "customer IS NOT NULL AND day IS NOT NULL"
    # A purchase line without an order id is its day's order (as ``order_key`` in ``lines``).
    order_key = "coalesce(order_raw, CAST(day AS VARCHAR))" if columns.order else "day"
    per_customer = customer_sql(f"(SELECT * FROM parsed WHERE {used})", columns.has_money,
                                columns.product is not None, columns.quantity is not None,
                                order_key)
    execute_bounded(con, f"""CREATE TEMP TABLE per_customer AS
        WITH parsed AS ({lines})
        SELECT false AS quality, * FROM ({per_customer})
        UNION ALL BY NAME
        SELECT true AS quality, {quality_sql(columns, limit)} FROM parsed""")
    row = con.execute("SELECT counts, first_any, last_any, returned_amount FROM per_customer "
                      "WHERE quality").fetchone()
    assert row is not None
    n = dict(zip(QUALITY_COUNTS, (int(v) for v in row[0]), strict=True))
    total = n["lines"]  # every line of the file, counted in the same pass
    first_day, last_day, returned = row[1], row[2], row[3]
    if n["date_bad"]:
        raise bad_dates_error(con, columns.date, dates, dialect.header_row)
    require_customers(n["lines"] - n["no_customer"], total, columns)
    window = window_counts(n["date_early"], n["date_late"], given_as_of)
    if last_day is None and not (given_as_of and n["date_late"]):
        raise no_dates_error(columns.date, {"lines_without_date": n["date_missing"], **window})
    as_of_day = given_as_of or last_day + dt.timedelta(days=1)
    counts = {
        "first_day": str(first_day), "last_day": str(last_day),
        "lines_without_customer": n["no_customer"], "lines_without_date": n["date_missing"],
        **window, "date_order": dates.order, "date_formats": list(dates.formats),
        "return_lines": n["returns"],
        "returned_amount": float(returned if returned is not None else 0),
        "zero_or_negative_price_lines": n["bad_price"],
        "exact_duplicate_lines": total - n["distinct"],
        "lines_used": n["used"], "returns_used": n["returns_used"],
        "numbers_from_text": converted, "ids_trimmed": ids_trimmed,
        "currency_signs": currency_signs(con, converted),
        "zero_amount_lines": n["zero_amount"] if columns.has_money else None,
        "zero_quantity_lines": n["zero_quantity"] if columns.quantity else None,
    }
    return _aggregate(con, columns, total, as_of_day, counts, dialect, lines,
                      [*opened.notes, *date_notes(dates, counts, limit)])


def currency_signs(con: duckdb.DuckDBPyConnection, converted: dict[str, int]
                   ) -> dict[str, int]:
    """Cells per currency sign or code (``numbers.CURRENCY_PATTERN``) in the money columns
    that were written as text: what the report may name the currency by. Read only when some
    amounts were converted (``converted``), so a plainly numeric file costs no extra scan."""
    if not converted:
        return {}
    found: dict[str, int] = {}
    for column in converted:
        sign = f"upper(regexp_extract(CAST({_q(column)} AS VARCHAR), {_lit(CURRENCY_PATTERN)}))"
        for text, n in con.execute(f"SELECT {sign} AS s, count(*) FROM raw WHERE {sign} <> '' "
                                   "GROUP BY s").fetchall():
            found[str(text)] = found.get(str(text), 0) + int(n)
    return dict(sorted(found.items(), key=lambda item: -item[1]))


def first_reads(con: duckdb.DuckDBPyConnection, opened: Source,
                 given: dict[str, str | None] | None, missing_ok: bool, options: ReadOptions,
                 date_format: str | None) -> tuple[ColumnMap, Dialect, Checks]:
    """The columns' roles, the dialect and ``prescan``, which also makes the first scan of a
    text file; when something is wrong before that, the file's own problems are said first."""
    types = opened.types
    try:
        if con.execute("SELECT 1 FROM raw LIMIT 1").fetchone() is None:
            raise DataError(f"'{opened.label}' has a header but no purchase lines; export it "
                            "again with data")
        given = dict(given or {})
        if missing_ok:
            given = {role: name for role, name in given.items() if name in types}
        columns = map_columns(list(types), given)
    except DataError:
        settle(con, opened.pending)
        raise
    dialect = _history_dialect(con, opened, columns, options)
    checks = prescan(con, columns, types, dialect.decimal, date_format, opened.pending)
    if opened.pending is not None:
        if checks.lines is None:  # nothing to check: the file's scan on its own
            settle(con, opened.pending)
        else:
            finish_scan(con, opened.pending, checks.extra_lines)
    return columns, dialect, checks


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
               as_of: dt.date, counts: dict[str, Any], dialect: Dialect, lines: str,
               notes: list[str]) -> HistoryFeatures:
    as_of_sql = f"DATE {_lit(as_of.isoformat())}"
    # The lines themselves are not kept: the view reads them again for the product tables.
    con.execute(f"""CREATE TEMP VIEW lines AS
        SELECT customer, day, coalesce(order_raw, CAST(day AS VARCHAR)) AS order_key, product,
               quantity, amount, is_return
        FROM ({lines}) WHERE customer IS NOT NULL AND day IS NOT NULL AND day <= {as_of_sql}""")
    require_lines(counts["lines_used"], as_of)
    returns_used = counts.pop("returns_used")
    money = columns.has_money
    # Every line dated on or before the as-of date is in (later ones have no day).
    customers = "(SELECT * FROM per_customer WHERE NOT quality) per_customer"
    # Unordered: finish_features sorts the customers (as for every engine).
    sql = final_sql(as_of, money=money, product=columns.product is not None,
                    quantity=columns.quantity is not None, returns=returns_used > 0,
                    source=customers)
    frame = con.execute(sql).df()
    con.execute("DROP TABLE per_customer")
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
