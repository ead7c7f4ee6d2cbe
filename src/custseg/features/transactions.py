"""Purchase history -> one row of features per customer, in DuckDB.

DuckDB reads CSV or Parquet straight from disk and aggregates out of core, so memory stays bounded
by the number of customers, not lines. Values are parsed here with checks that report the column,
a few offending values and their line numbers; money is exact DECIMAL so sums do not depend on
row order. Nothing is dropped silently: every excluded or unusual line is counted in ``quality``.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from .. import io
from ..errors import DataError
from .columns import ColumnMap, map_columns
from .spec import DUCKDB, feature_names, features_sql

DATE_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y/%m/%d", "%Y%m%d",
                "%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y", "%d/%m/%Y %H:%M",
                "%d/%m/%Y %H:%M:%S", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d.%m.%Y %H:%M"]
MONEY = "DECIMAL(18,6)"
_NUMERIC_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE",
                  "DECIMAL", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT")


@dataclass
class HistoryFeatures:
    frame: pd.DataFrame            # customer id column (original name) + features
    columns: ColumnMap
    as_of: dt.date
    features: list[str]
    quality: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    # The DuckDB session holding the parsed lines (view ``lines``), for product analyses.
    connection: duckdb.DuckDBPyConnection | None = None

    @property
    def money(self) -> bool:
        return self.columns.has_money


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _open(con: duckdb.DuckDBPyConnection, source: str | os.PathLike[str] | pd.DataFrame,
          encoding: str | None) -> str:
    """Create the view ``raw`` over the source; return a label for messages."""
    if isinstance(source, pd.DataFrame):
        con.register("raw_frame", source)
        con.execute("CREATE VIEW raw AS SELECT * FROM raw_frame")
        return "DataFrame"
    path = Path(source)
    kind = io.file_kind(path)
    io.check_file(path)
    if kind in ("csv", "tsv"):
        delim = "\\t" if kind == "tsv" else ","
        options = f"all_varchar=true, header=true, delim=E'{delim}', quote='\"'"
        if encoding and encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
            options += f", encoding={_lit(encoding)}"
        reader = f"read_csv({_lit(str(path))}, {options})"
    elif kind == "parquet":
        reader = f"read_parquet({_lit(str(path))})"
    else:
        con.register("raw_frame", io.read_table(path, encoding=encoding))
        reader = "raw_frame"
    try:
        con.execute(f"CREATE VIEW raw AS SELECT * FROM {reader}")
        con.execute("SELECT * FROM raw LIMIT 1").fetchall()
    except duckdb.Error as exc:
        detail = str(exc).strip().splitlines()[0]
        if "unicode" in detail.lower() or "utf" in detail.lower():
            raise DataError(f"file '{path}' is not valid UTF-8 text; pass its encoding, e.g. "
                            "--encoding latin-1, or re-save it as UTF-8") from None
        raise DataError(f"file '{path}' could not be read as {kind} ({detail[:160]}); check "
                        "that it is complete and of the type its extension says") from None
    return str(path)


def _types(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return {row[0]: str(row[1]) for row in con.execute("DESCRIBE raw").fetchall()}


def _offenders(con: duckdb.DuckDBPyConnection, column: str, bad: str) -> str:
    """'value' (line n) for the first three offending lines; ``bad`` tests the column ``v``."""
    rows = con.execute(f"""
        SELECT line, v FROM (SELECT row_number() OVER () + 1 AS line,
                                    CAST({_q(column)} AS VARCHAR) AS v FROM raw)
        WHERE {bad} ORDER BY line LIMIT 3""").fetchall()
    return ", ".join(f"{v!r} (line {line})" for line, v in rows)


def _date_parser(con: duckdb.DuckDBPyConnection, column: str, kind: str,
                 date_format: str | None) -> str:
    """A SQL template over ``{v}`` (the column as text): a TIMESTAMP, NULL if unparseable.

    The first format that parses every value of a sample wins, so a column is read one way
    throughout (never day-first on some lines and month-first on others).
    """
    if any(t in kind for t in ("DATE", "TIMESTAMP")):
        return "CAST({v} AS TIMESTAMP)"
    if date_format:
        return f"try_strptime({{v}}, {_lit(date_format)})"
    sample = [r[0] for r in con.execute(
        f"SELECT DISTINCT trim(CAST({_q(column)} AS VARCHAR)) AS v FROM raw "
        f"WHERE v IS NOT NULL AND v <> '' LIMIT 5000").fetchall()]
    candidates = ["TRY_CAST({v} AS TIMESTAMP)"] + [f"try_strptime({{v}}, {_lit(f)})"
                                                    for f in DATE_FORMATS]
    if sample:
        frame = pd.DataFrame({"v": sample})  # noqa: F841 - read by the SQL below
        for parser in candidates:
            test = parser.replace("{v}", "v")
            failures = con.execute(f"SELECT count(*) FROM frame WHERE {test} IS NULL").fetchone()
            if failures and failures[0] == 0:
                return parser
    bad = "v IS NOT NULL AND trim(v) <> '' AND TRY_CAST(trim(v) AS TIMESTAMP) IS NULL"
    raise DataError(
        f"column '{column}' has values that are not dates: {_offenders(con, column, bad)}; fix "
        "them, or give the format with --date-format (e.g. --date-format '%d/%m/%Y')"
    )


def _number(column: str | None, types: dict[str, str]) -> str:
    if column is None:
        return "NULL"
    if types[column].split("(")[0] in _NUMERIC_TYPES:
        return f"CAST({_q(column)} AS {MONEY})"
    return f"TRY_CAST(TRY_CAST(trim(CAST({_q(column)} AS VARCHAR)) AS DOUBLE) AS {MONEY})"


def _check_numbers(con: duckdb.DuckDBPyConnection, columns: ColumnMap,
                   types: dict[str, str]) -> None:
    for column in (columns.quantity, columns.price, columns.amount):
        if column is None or types[column].split("(")[0] in _NUMERIC_TYPES:
            continue
        bad = ("v IS NOT NULL AND trim(v) <> '' AND "
               "TRY_CAST(TRY_CAST(trim(v) AS DOUBLE) AS DECIMAL(18,6)) IS NULL")
        count = con.execute(f"SELECT count(*) FROM (SELECT CAST({_q(column)} AS VARCHAR) AS v "
                            f"FROM raw) WHERE {bad}").fetchone()
        if count and count[0]:
            raise DataError(
                f"column '{column}' should hold numbers but {count[0]} line(s) do not: "
                f"{_offenders(con, column, bad)}; fix those cells or map another column"
            )


def customer_features(
    source: str | os.PathLike[str] | pd.DataFrame, given: dict[str, str | None] | None = None,
    as_of: str | dt.date | None = None, date_format: str | None = None,
    encoding: str | None = None, missing_ok: bool = False,
) -> HistoryFeatures:
    """Per-customer features and data-quality counts of a purchase history.

    ``given`` maps roles to column names (the CLI flags); with ``missing_ok`` a given name the
    file lacks falls back to detection (scoring a file laid out differently from training).
    """
    con = duckdb.connect()
    label = _open(con, source, encoding)
    types = _types(con)
    total = con.execute("SELECT count(*) FROM raw").fetchone()[0]  # type: ignore[index]
    if total == 0:
        raise DataError(f"'{label}' has a header but no purchase lines; export it again with data")
    given = dict(given or {})
    if missing_ok:
        given = {role: name for role, name in given.items() if name in types}
    columns = map_columns(list(types), given)
    parse_date = _date_parser(con, columns.date, types[columns.date], date_format)
    _check_numbers(con, columns, types)
    order = (f"NULLIF(trim(CAST({_q(columns.order)} AS VARCHAR)), '')" if columns.order
             else "NULL")
    product = (f"NULLIF(trim(CAST({_q(columns.product)} AS VARCHAR)), '')" if columns.product
               else "NULL")
    quantity, price = _number(columns.quantity, types), _number(columns.price, types)
    if columns.amount:
        amount = _number(columns.amount, types)
    elif columns.quantity and columns.price:
        amount = f"CAST({quantity} * {price} AS DECIMAL(38,6))"
    else:
        amount = "NULL"
    date_text = f"trim(CAST({_q(columns.date)} AS VARCHAR))" if "VARCHAR" in types[
        columns.date] else _q(columns.date)
    # Derived columns get _-prefixed names first: DuckDB names are case-insensitive, so an
    # alias "quantity" would clash with a raw "Quantity". Parsed once into a table: a view
    # re-parsed by each later query measured slower on ten million lines.
    parse = parse_date.replace("{v}", "_dv")
    no_quantity_returns = "false" if columns.quantity else "coalesce(_amount < 0, false)"
    every_column = ", ".join(_q(c) for c in types)
    con.execute(f"""
        CREATE TEMP TABLE parsed AS
        SELECT _customer AS customer,
               CAST({parse} AS DATE) AS day, _order AS order_raw, _product AS product,
               _quantity AS quantity, _price AS price, _amount AS amount,
               (coalesce(regexp_matches(_order, '^C[0-9]+$'), false)
                OR coalesce(_quantity < 0, false) OR {no_quantity_returns}) AS is_return,
               _dv IS NULL OR CAST(_dv AS VARCHAR) = '' AS date_missing,
               _dv IS NOT NULL AND CAST(_dv AS VARCHAR) <> '' AND {parse} IS NULL AS date_bad,
               _row_hash
        FROM (SELECT {_customer_key(con, columns.customer, types[columns.customer])}
                         AS _customer,
                     {date_text} AS _dv, {order} AS _order, {product} AS _product,
                     {quantity} AS _quantity, {price} AS _price, {amount} AS _amount,
                     hash({every_column}) AS _row_hash
              FROM raw)""")
    given_as_of = parse_as_of(as_of)
    after = f"DATE {_lit(given_as_of.isoformat())}" if given_as_of else "NULL"
    used = (f"customer IS NOT NULL AND day IS NOT NULL AND ({after} IS NULL OR day <= {after})")
    # One pass for every check and count. Exact duplicates are counted by a 64-bit hash of all
    # columns (twice as fast as DISTINCT * on ten million lines; a collision, odds ~1e-6 at that
    # size, could only undercount by one).
    scan = con.execute(f"""
        SELECT count(*) FILTER (WHERE date_bad), count(*) FILTER (WHERE customer IS NOT NULL),
               min(day), max(day),
               count(*) FILTER (WHERE customer IS NULL), count(*) FILTER (WHERE date_missing),
               count(*) FILTER (WHERE day > {after}),
               count(*) FILTER (WHERE is_return),
               coalesce(sum(-amount) FILTER (WHERE is_return), 0),
               count(*) FILTER (WHERE price <= 0),
               count(DISTINCT _row_hash),
               count(*) FILTER (WHERE {used}), count(*) FILTER (WHERE {used} AND is_return)
        FROM parsed""").fetchone()
    assert scan is not None
    if scan[0]:
        bad = (f"v IS NOT NULL AND trim(v) <> '' AND "
               f"{parse_date.replace('{v}', 'trim(v)')} IS NULL")
        raise DataError(f"column '{columns.date}' has {scan[0]} value(s) that are not dates in "
                        f"the format of the rest: {_offenders(con, columns.date, bad)}; fix them "
                        "or give the format with --date-format")
    require_customers(int(scan[1]), total, columns)
    as_of_day = given_as_of or scan[3] + dt.timedelta(days=1)
    counts = {
        "first_day": str(scan[2]), "last_day": str(scan[3]),
        "lines_without_customer": int(scan[4]), "lines_without_date": int(scan[5]),
        "lines_after_as_of": int(scan[6]), "return_lines": int(scan[7]),
        "returned_amount": float(scan[8]), "zero_or_negative_price_lines": int(scan[9]),
        "exact_duplicate_lines": total - int(scan[10]),
        "lines_used": int(scan[11]), "returns_used": int(scan[12]),
    }
    return _aggregate(con, columns, total, as_of_day, counts)


def _customer_key(con: duckdb.DuckDBPyConnection, column: str, kind: str) -> str:
    """Customer ids as BIGINT when the column holds whole numbers (grouping on integers is a
    third faster; a float id like 17850.0, as pandas exports it, counts as 17850), else trimmed
    text (whole-number text ids become integers after aggregation)."""
    base = kind.split("(")[0]
    if base in _NUMERIC_TYPES:
        fractional = con.execute(f"SELECT count(*) FROM raw WHERE {_q(column)} <> "
                                 f"round({_q(column)})").fetchone()
        if fractional and fractional[0] == 0:
            return f"CAST({_q(column)} AS BIGINT)"
    text = f"NULLIF(trim(CAST({_q(column)} AS VARCHAR)), '')"
    return f"regexp_replace({text}, '\\.0+$', '')" if base == "VARCHAR" else text


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
               as_of: dt.date, counts: dict[str, Any]) -> HistoryFeatures:
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
    found = finish_features(frame, columns, as_of, total, counts, returns_used > 0)
    found.connection = con
    return found


def finish_features(frame: pd.DataFrame, columns: ColumnMap, as_of: dt.date, total: int,
                    counts: dict[str, Any], returns: bool) -> HistoryFeatures:
    """Shared by every engine: id and integer types, feature list, notes, quality counts."""
    money = columns.has_money
    frame = frame.rename(columns={"customer": columns.customer})
    ids = frame[columns.customer]
    textual = ids.dtype == object or pd.api.types.is_string_dtype(ids)
    if textual and ids.str.fullmatch(r"-?\d{1,18}").all():
        frame[columns.customer] = ids.astype("int64")
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
    return HistoryFeatures(frame, columns, as_of, names, quality, notes)

