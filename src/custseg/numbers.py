"""Numbers as shops write them: decimal commas, thousands separators, currency signs and codes.

Every rule is a SQL expression (DuckDB) over a column's text, so customer tables and purchase
histories parse numbers the same way, and a million cells cost one vectorised pass. What was not
plain (a currency sign stripped, a thousands separator removed) is counted by the callers; the
decimal separator is part of the file's dialect and stated there.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from .missing import is_missing_sql
from .sql import ident as _q
from .sql import literal as _lit

# Currency signs and ISO codes that exports put before or after amounts.
CURRENCY_SIGNS = "£$€¥₹₽₩¢"
CURRENCY_CODES = ("EUR", "USD", "GBP", "CHF", "JPY", "CNY", "INR", "AUD", "CAD", "NZD", "SEK",
                  "NOK", "DKK", "PLN", "CZK", "HUF", "BRL", "MXN", "ZAR", "RUB", "TRY")
CURRENCY_PATTERN = (f"[{CURRENCY_SIGNS}]|"
                    f"\\b(?i:{'|'.join(CURRENCY_CODES)}|kr|zł|Kč|Fr\\.?|R\\$)(\\b|$)")
# A value that is plainly numeric in either convention, once signs and codes are gone.
GROUPED_COMMA = r"^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$"     # 1,234.50
GROUPED_DOT = r"^[-+]?\d{1,3}(\.\d{3})+(,\d+)?$"       # 1.234,50
GROUPED_SPACE = r"^[-+]?\d{1,3}([  ']\d{3})+([.,]\d+)?$"  # 1 234,50 / 1'234.50
COMMA_DECIMAL = r"^[-+]?\d*,\d+$"                       # 12,5
LARGEST = 1e100  # beyond this, squares overflow float64 in the statistics: refused, not used



def _stripped(text: str) -> str:
    """The text without currency signs/codes, spaces around, and accounting parentheses."""
    no_currency = f"trim(regexp_replace({text}, {_lit(CURRENCY_PATTERN)}, '', 'g'))"
    # (12.50) is accounting notation for -12.50.
    return (f"(CASE WHEN regexp_full_match({no_currency}, '\\(.*\\)') "
            f"THEN '-' || trim(substr({no_currency}, 2, length({no_currency}) - 2)) "
            f"ELSE {no_currency} END)")


def number_sql(text: str, decimal: str) -> str:
    """SQL: the DOUBLE that the text ``text`` writes, NULL if it is missing or not a number.

    ``decimal`` is the file's decimal separator ('.' or ','); the other one may group thousands,
    as may spaces and apostrophes.
    """
    s = _stripped(text)
    if decimal == ",":
        cleaned = (f"CASE WHEN regexp_full_match({s}, {_lit(GROUPED_DOT)}) "
                   f"THEN replace(replace({s}, '.', ''), ',', '.') "
                   f"WHEN regexp_full_match({s}, {_lit(GROUPED_SPACE)}) "
                   f"THEN replace(regexp_replace({s}, '[  '']', '', 'g'), ',', '.') "
                   f"WHEN regexp_full_match({s}, {_lit(COMMA_DECIMAL)}) "
                   f"THEN replace({s}, ',', '.') ELSE {s} END")
    else:
        cleaned = (f"CASE WHEN regexp_full_match({s}, {_lit(GROUPED_COMMA)}) "
                   f"THEN replace({s}, ',', '') "
                   f"WHEN regexp_full_match({s}, {_lit(GROUPED_SPACE)}) "
                   f"THEN regexp_replace({s}, '[  '']', '', 'g') ELSE {s} END")
    plain = plain_sql(text, decimal)
    parsed = f"TRY_CAST({cleaned} AS DOUBLE)"
    # CASE runs each branch only on the rows that reach it: plain numbers (most cells) never
    # pay for the regular expressions.
    return (f"(CASE WHEN {is_missing_sql(text)} THEN NULL WHEN {plain} IS NOT NULL THEN {plain} "
            f"ELSE {parsed} END)")


def plain_sql(text: str, decimal: str) -> str:
    """SQL: the DOUBLE of a number written plainly (digits, the file's decimal separator, a
    sign, an exponent; no currency, no grouping), else NULL. With a decimal comma, 1.234 is
    not plain: it may be a thousands group."""
    if decimal == ",":
        return (f"(CASE WHEN regexp_full_match(trim({text}), '[-+]?\\d+(,\\d+)?') "
                f"THEN TRY_CAST(replace(trim({text}), ',', '.') AS DOUBLE) END)")
    return f"TRY_CAST(trim({text}) AS DOUBLE)"


def is_plain_sql(text: str, decimal: str = ".") -> str:
    """SQL: true when the text is a number written plainly (see ``plain_sql``)."""
    return f"({plain_sql(text, decimal)} IS NOT NULL)"


def detect_decimal(con: duckdb.DuckDBPyConnection, relation: str, columns: list[str],
                   sample_rows: int = 20_000) -> str:
    """',' when the cells of ``columns`` write decimals with commas more often than with dots.

    Values such as 1,234 or 1.234 are ambiguous (a decimal or a thousands group) and are not
    counted either way.
    """
    if not columns:
        return "."
    comma_votes, dot_votes = [], []
    for column in columns:
        s = _stripped(f"CAST({_q(column)} AS VARCHAR)")
        comma_votes.append(f"count(*) FILTER (WHERE regexp_full_match({s}, "
                           f"'[-+]?(\\d{{1,3}}([. ]\\d{{3}})+|\\d+),\\d+') AND NOT "
                           f"regexp_full_match({s}, '[-+]?\\d{{1,3}}(,\\d{{3}})+'))")
        dot_votes.append(f"count(*) FILTER (WHERE regexp_full_match({s}, "
                         f"'[-+]?(\\d{{1,3}}(,\\d{{3}})+|\\d*)\\.\\d+') AND NOT "
                         f"regexp_full_match({s}, '[-+]?\\d{{1,3}}(\\.\\d{{3}})+'))")
    row = con.execute(f"SELECT {' + '.join(comma_votes)}, {' + '.join(dot_votes)} "
                      f"FROM (SELECT * FROM {relation} LIMIT {sample_rows})").fetchone()
    assert row is not None
    return "," if int(row[0] or 0) > int(row[1] or 0) else "."



@dataclass
class ColumnNumbers:
    """How the cells of one text column read as numbers."""

    present: int        # cells that are not missing
    parsed: int         # present cells that read as numbers
    converted: int      # of those, cells that were not plain (currency, grouping, comma)
    bad_lines: list[int]  # index labels (line - 2) of a few present cells that did not parse
    bad_values: list[str]

    @property
    def bad(self) -> int:
        return self.present - self.parsed

    @property
    def numeric_share(self) -> float:
        return self.parsed / self.present if self.present else 0.0
