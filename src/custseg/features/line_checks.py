"""How a purchase history's cells read from text become values, in SQL, and the checks over
every line that those readings rest on.

Numbers (quantity, price, amount) read from text are refused where a cell is not a number
(naming the lines) and counted where written with currency or grouping (``check_numbers``);
ids group as BIGINT when every one is a plain whole number, else stay text (``customer_key``).
Most cells pass a cheap test first (``_present``) and only the others get the full rules.
``prescan`` makes all of these checks, the shapes of the dates (``dates``) and a text file's
own first scan (``first_scan``) in one read of the lines; typed columns need none of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from ..errors import DataError
from ..first_scan import PendingScan
from ..missing import LONGEST_TOKEN, is_missing_sql
from ..numbers import is_plain_sql, number_sql
from ..sql import ident as _q
from .columns import ColumnMap
from .customers import is_number_type
from .dates import HEAD, is_native, trimmed_sql

MONEY = "DECIMAL(18,6)"


def _offenders(con: duckdb.DuckDBPyConnection, column: str, bad: str,
               header_line: int = 1) -> str:
    """'value' (line n) for the first three offending lines; ``bad`` tests the column ``v``;
    ``header_line`` is the header's line in the file (title lines above it count)."""
    rows = con.execute(f"""
        SELECT line, v FROM (SELECT row_number() OVER () + {header_line} AS line,
                                    CAST({_q(column)} AS VARCHAR) AS v FROM raw)
        WHERE {bad} ORDER BY line LIMIT 3""").fetchall()
    return ", ".join(f"{v!r} (line {line})" for line, v in rows)


def _present(text: str) -> str:
    """SQL: true for text that is certainly not a missing token, decided without trimming or
    lowering it: no space at either end, and longer than any token or starting with a digit
    (no token does). Most cells pass; the others get the full test (``_missing``)."""
    return (f"(NOT suffix({text}, ' ') AND (({text} >= '0' AND {text} < ':') OR "
            f"(strlen({text}) > {LONGEST_TOKEN} AND NOT prefix({text}, ' '))))")


def _missing(text: str) -> str:
    """``is_missing_sql`` with the cheap test first (the same result, a fraction of the time
    on ten million cells)."""
    return (f"(CASE WHEN {text} IS NULL THEN true WHEN {_present(text)} THEN false "
            f"ELSE {is_missing_sql(text)} END)")


def number(column: str | None, types: dict[str, str], decimal: str) -> str:
    """SQL: a number column (quantity, price, amount) as exact ``MONEY``; NULL where the cell
    is missing or not a number (``check_numbers`` refuses those first), or there is no column."""
    if column is None:
        return "NULL"
    if is_number_type(types[column]):
        return f"CAST({_q(column)} AS {MONEY})"
    text = f"CAST({_q(column)} AS VARCHAR)"
    full = f"TRY_CAST({number_sql(text, decimal)} AS {MONEY})"
    if decimal != ".":
        return full
    # A cell that reads as a plain number (casts allow spaces around it) is that number, as
    # ``number_sql`` reads it; of the missing tokens only 'nan' reads so, and NaN is no
    # DECIMAL either way. The other cells take the whole rule.
    return (f"(CASE WHEN TRY_CAST({text} AS DOUBLE) IS NOT NULL "
            f"THEN TRY_CAST(TRY_CAST({text} AS DOUBLE) AS {MONEY}) ELSE {full} END)")


def _number_state(column: str, decimal: str) -> str:
    """SQL classifying each cell of a number column read from text: 1 text that is not a
    number (refused), 2 a number not written plainly (currency, grouping: counted), else 0.
    Plain numbers are told apart first, cheaply; the full rules run on the other cells only."""
    v = f"CAST({_q(column)} AS VARCHAR)"
    value = f"TRY_CAST({number_sql(v, decimal)} AS {MONEY})"
    # A plain number in range (as ``number``) is neither; no missing token is one.
    plain = (f"WHEN TRY_CAST(TRY_CAST({v} AS DOUBLE) AS {MONEY}) IS NOT NULL THEN 0 "
             if decimal == "." else "")
    return (f"(CASE {plain}WHEN {_missing(v)} THEN 0 WHEN {value} IS NULL THEN 1 "
            f"WHEN NOT {is_plain_sql(v, decimal)} THEN 2 ELSE 0 END)")


def check_numbers(con: duckdb.DuckDBPyConnection, columns: ColumnMap,
                  types: dict[str, str], decimal: str, header_line: int = 1,
                  counts: dict[str, tuple[int, int]] | None = None) -> dict[str, int]:
    """Refuse number columns with text that is not a number; count money written as text.

    ``counts`` (column -> bad, converted) are the counts when a scan made them already
    (``prescan``); otherwise they are counted here.
    """
    converted: dict[str, int] = {}
    for column in (columns.quantity, columns.price, columns.amount):
        if column is None or is_number_type(types[column]):
            continue
        if counts is not None and column in counts:
            count: tuple[int, int] = counts[column]
        else:
            state = _number_state(column, decimal)
            row = con.execute(f"SELECT count(*) FILTER (WHERE {state} = 1), "
                              f"count(*) FILTER (WHERE {state} = 2) FROM raw").fetchone()
            assert row is not None
            count = (int(row[0]), int(row[1]))
        if count[0]:
            value = f"TRY_CAST({number_sql('v', decimal)} AS {MONEY})"
            bad = f"NOT {is_missing_sql('v')} AND {value} IS NULL"
            raise DataError(
                f"column '{column}' should hold numbers but {count[0]} line(s) do not: "
                f"{_offenders(con, column, bad, header_line)}; fix those cells or map another "
                "column"
            )
        if count[1]:
            converted[column] = int(count[1])
    return converted


def text_or_null(column: str | None) -> str:
    """A text column trimmed, with missing tokens (NA, null, -...) as NULL."""
    if column is None:
        return "NULL"
    text = f"CAST({_q(column)} AS VARCHAR)"
    return (f"(CASE WHEN {text} IS NULL THEN NULL WHEN {_present(text)} THEN {text} "
            f"WHEN {is_missing_sql(text)} THEN NULL ELSE trim({text}) END)")


@dataclass(frozen=True)
class Checks:
    """What the scan of the text columns found (``prescan``)."""

    heads: str | None = None                  # table of date heads for ``read_dates``
    numbers: dict[str, tuple[int, int]] = field(default_factory=dict)
    ids: tuple[int, int] | None = None        # customer_key's two counts
    lines: int | None = None
    extra_lines: int = 0                      # text lines with fields past the header


def prescan(con: duckdb.DuckDBPyConnection, columns: ColumnMap, types: dict[str, str],
            decimal: str, date_format: str | None,
            pending: PendingScan | None = None) -> Checks:
    """One scan for every check of columns read from text: the shapes of the dates (grouped on
    their first characters, as ``read_dates`` reads them), numbers (``check_numbers``) and
    ids (``customer_key``); with ``pending``, the text file's own first scan too (lines with
    fields past the header). Nothing to scan for typed columns (Parquet, DataFrames)."""
    heads = not is_native(types[columns.date]) and date_format is None
    numbers = [c for c in (columns.quantity, columns.price, columns.amount)
               if c is not None and not is_number_type(types[c])]
    ids = _integer_type(types[columns.customer]) is None
    # Each cell is classified once (a state per column), then counted.
    states = [_number_state(c, decimal) for c in numbers]
    counts = [f"count(*) FILTER (WHERE s{i} = {k})" for i in range(len(numbers)) for k in (1, 2)]
    if ids:
        states.append(_id_state(columns.customer))
        counts += [f"count(*) FILTER (WHERE s{len(numbers)} & {k} = {k})" for k in (1, 2)]
    if not heads and not counts:
        return Checks()
    relation = "raw"
    if pending is not None:
        relation = "raw_all"
        states.append(pending.extra)
        counts.append(f"count(*) FILTER (WHERE s{len(states) - 1})")
    classified = "".join(f", {state} AS s{i}" for i, state in enumerate(states))
    aliased = "".join(f", {c} AS c{i}" for i, c in enumerate(counts, start=1))
    if heads:
        text = trimmed_sql(f"CAST({_q(columns.date)} AS VARCHAR)")
        con.execute(f"""CREATE OR REPLACE TEMP TABLE date_heads AS
            SELECT head, count(*) AS n{aliased}
            FROM (SELECT left({text}, {HEAD}) AS head{classified} FROM {relation})
            GROUP BY head""")
        sums = ", ".join(f"coalesce(sum(c{i}), 0)" for i in range(1, len(counts) + 1))
        row = con.execute(f"SELECT coalesce(sum(n), 0){', ' if sums else ''}{sums} "
                          "FROM date_heads").fetchone()
    else:
        row = con.execute(f"SELECT count(*){aliased} FROM (SELECT 1{classified} "
                          f"FROM {relation})").fetchone()
    assert row is not None
    values = [int(v) for v in row]
    extra = values.pop() if pending is not None else 0
    found = {column: (values[1 + 2 * i], values[2 + 2 * i]) for i, column in enumerate(numbers)}
    return Checks("date_heads" if heads else None, found,
                  (values[-2], values[-1]) if ids else None, values[0], extra)


def _integer_type(kind: str) -> str | None:
    base = kind.split("(")[0]
    if base in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT",
                "UINTEGER"):
        return base
    return None


def _id_state(column: str) -> str:
    """SQL classifying each text id: bit 1 present but not a plain whole number without leading
    zeros (then ids stay text), bit 2 written with spaces around it (counted)."""
    text = f"CAST({_q(column)} AS VARCHAR)"
    whole = "'-?[1-9][0-9]{0,17}|0'"
    return (f"(CASE WHEN {text} IS NULL THEN 0 "
            f"WHEN {_present(text)} THEN (CASE WHEN regexp_full_match({text}, {whole}) THEN 0 "
            "ELSE 1 END) "
            f"WHEN {is_missing_sql(text)} THEN 0 "
            f"ELSE (CASE WHEN regexp_full_match(trim({text}), {whole}) THEN 0 ELSE 1 END) "
            f"+ (CASE WHEN {text} <> trim({text}) THEN 2 ELSE 0 END) END)")


def customer_key(con: duckdb.DuckDBPyConnection, column: str, kind: str,
                 counts: tuple[int, int] | None = None) -> tuple[str, int]:
    """SQL for the customer id, exactly as written, and how many ids had spaces around them.

    Ids are text: 0012346 and 12346 are two customers. Where every id is a plain whole number
    without leading zeros, grouping runs on BIGINT (a third faster), which writes back the same
    text. Missing tokens (NA, null, -...) are no customer. ``counts`` are ``_id_state``'s
    counts when a scan made them already.
    """
    if _integer_type(kind):
        return f"CAST({_q(column)} AS BIGINT)", 0
    text = f"CAST({_q(column)} AS VARCHAR)"
    if counts is None:
        state = _id_state(column)
        row = con.execute(f"SELECT count(*) FILTER (WHERE {state} & 1 = 1), "
                          f"count(*) FILTER (WHERE {state} & 2 = 2) FROM raw").fetchone()
        assert row is not None
        counts = (int(row[0]), int(row[1]))
    if kind.split("(")[0] == "VARCHAR" and counts[0] == 0:
        # Every id present is a plain whole number, spaces around it aside, and no missing
        # token reads as one: the cast (which allows the spaces) is the id or NULL.
        return f"TRY_CAST({text} AS BIGINT)", int(counts[1])
    return text_or_null(column), int(counts[1])
