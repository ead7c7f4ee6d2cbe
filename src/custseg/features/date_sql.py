"""The shapes of date values and how each is read, as SQL for DuckDB and for Spark.

A ``Rule`` is one shape: the pattern that recognises it and the SQL that reads its date. Shapes:
- ISO 8601 dates and timestamps (``2010-12-06``, ``2010-12-06 10:08:00``,
  ``2010-12-06T10:08:00.123+01:00``, ``...Z``). Only the date is used, and it is the calendar
  date *as written*: ``2010-12-06T23:30:00-05:00`` is 6 December, not converted to UTC;
- other year-first dates (``2010/12/6``, ``2010.12.06``) and compact ``20101206``;
- day-first or month-first dates with the separator ``/``, ``-``, ``.`` or ``,`` and a 4- or a
  2-digit year (``12/06/2010``, ``2/20/11``), optionally followed by a time (``10:08``,
  ``10:08:33``, ``10:08 PM``, a zone). A 2-digit year is read only from exactly two digits:
  00-68 are 2000-2068, 69-99 are 1969-1999 (as strptime ``%y``); it never becomes year 0011;
- Excel serial day numbers (``40179``, ``40179.5``: day 0 is 1899-12-30).

A column's values are parsed by one SQL ``CASE`` whose branches are only the shapes present, most
frequent first (``rules_duckdb``); the same rules render to Spark SQL (``rules_spark``), and so
does a ``--date-format`` in strptime syntax (``given_format_duckdb``, ``given_format_spark``).
Which shapes are present, and whether dates are day-first, is decided in ``dates``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..errors import DataError
from ..sql import literal as _lit

EXCEL_EPOCH = dt.date(1899, 12, 30)

# Patterns use only [0-9] classes (no backslashes) so that DuckDB (RE2) and Spark (Java) read
# them the same way and they need no escaping inside SQL literals.
_TIME = "(?:[01]?[0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:[.,][0-9]{1,9})?)?"
_AMPM = "(?: ?[AaPp][.]?[Mm][.]?)?"
_ZONE = "(?: ?(?:Z|UTC|GMT|[+-](?:[01][0-9]|2[0-3])(?::?[0-5][0-9])?))?"
_ISO_TAIL = f"(?:(?:T| +){_TIME}{_AMPM}{_ZONE})?"
_NUM_TAIL = f"(?: +{_TIME}{_AMPM}{_ZONE})?"
_NUM_COMMA_TAIL = f", +{_TIME}{_AMPM}{_ZONE}"    # '12/9/2010, 9:30:00 AM' (JavaScript)
_TIME_DIRECTIVES = ("%H", "%I", "%M", "%S", "%f", "%p", "%z", "%Z", "%T", "%R", "%X", "%c")


def _spark_lit(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


@dataclass(frozen=True)
class Rule:
    """One shape of value and how to read its date, in DuckDB and in Spark SQL."""

    layout: str             # iso | year-first | compact | numeric | excel
    lines: int = 0          # how many lines have this shape (branches are tried most first)
    sep: str = "/"          # numeric: the separator between day, month and year
    year_digits: int = 4    # numeric: 4 or 2
    day_first: bool = False
    comma: bool = False     # numeric: a comma between the date and the time

    @property
    def pattern(self) -> str:
        if self.layout == "iso":
            return f"^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}{_ISO_TAIL}$"
        if self.layout == "year-first":
            return f"^[0-9]{{4}}[-/.][0-9]{{1,2}}[-/.][0-9]{{1,2}}{_ISO_TAIL}$"
        if self.layout == "compact":
            return "^[0-9]{8}$"
        if self.layout == "excel":
            return "^[0-9]{5}(?:[.,][0-9]+)?$"
        s = "[.]" if self.sep == "." else self.sep
        tail = _NUM_COMMA_TAIL if self.comma else _NUM_TAIL
        return f"^[0-9]{{1,2}}{s}[0-9]{{1,2}}{s}[0-9]{{{self.year_digits}}}{tail}$"

    @property
    def format(self) -> str:
        """The strptime format of the date part (said in quality and messages)."""
        if self.layout in ("iso", "year-first"):
            return "%Y-%m-%d" if self.layout == "iso" else "%Y/%m/%d"
        if self.layout == "compact":
            return "%Y%m%d"
        if self.layout == "excel":
            return "Excel serial day number"
        year = "%Y" if self.year_digits == 4 else "%y"
        first, second = ("%d", "%m") if self.day_first else ("%m", "%d")
        return f"{first}{self.sep}{second}{self.sep}{year}"

    def duckdb(self, v: str) -> str:
        if self.layout == "iso":
            return f"TRY_CAST(left({v}, 10) AS DATE)"
        if self.layout == "year-first":
            part = f"regexp_extract({v}, '^[0-9]{{4}}[-/.][0-9]{{1,2}}[-/.][0-9]{{1,2}}')"
            return f"TRY_CAST(replace(replace({part}, '/', '-'), '.', '-') AS DATE)"
        if self.layout == "compact":
            return f"CAST(try_strptime({v}, '%Y%m%d') AS DATE)"
        if self.layout == "excel":
            return (f"DATE '{EXCEL_EPOCH}' + "
                    f"CAST(floor(CAST(replace({v}, ',', '.') AS DOUBLE)) AS INTEGER)")
        fmt = self.format + ("," if self.comma else "")
        return f"CAST(try_strptime({_date_part_duckdb(v)}, {_lit(fmt)}) AS DATE)"

    def spark(self, v: str) -> str:
        if self.layout == "iso":
            return f"to_date(try_to_timestamp(substring({v}, 1, 10), 'yyyy-MM-dd'))"
        if self.layout == "year-first":
            part = f"regexp_extract({v}, '^[0-9]{{4}}[-/.][0-9]{{1,2}}[-/.][0-9]{{1,2}}', 0)"
            return f"to_date(try_to_timestamp(translate({part}, '/.', '--'), 'yyyy-M-d'))"
        if self.layout == "compact":
            return f"to_date(try_to_timestamp({v}, 'yyyyMMdd'))"
        if self.layout == "excel":
            return (f"date_add(DATE'{EXCEL_EPOCH}', "
                    f"CAST(floor(CAST(replace({v}, ',', '.') AS DOUBLE)) AS INT))")
        return _spark_strptime(_date_part_spark(v), self.format + ("," if self.comma else ""))


def _date_part_duckdb(v: str) -> str:
    """The text before the first space (measured: a third of split_part and rtrim's time)."""
    return f"CASE WHEN strpos({v}, ' ') > 0 THEN left({v}, strpos({v}, ' ') - 1) ELSE {v} END"


def _date_part_spark(v: str) -> str:
    return f"substring_index({v}, ' ', 1)"


def _spark_strptime(text: str, fmt: str) -> str:
    parsed = f"to_date(try_to_timestamp({text}, {_spark_lit(java_pattern(fmt))}))"
    if "%y" not in fmt:
        return parsed
    # Spark reads 'yy' as 2000-2099; strptime (and DuckDB) as 1969-2068.
    return f"(CASE WHEN year({parsed}) >= 2069 THEN add_months({parsed}, -1200) ELSE {parsed} END)"


_JAVA = {"Y": "yyyy", "y": "yy", "m": "M", "d": "d", "H": "H", "I": "h", "M": "m", "S": "s",
         "f": "SSSSSS", "p": "a", "b": "MMM", "B": "MMMM", "a": "EEE", "A": "EEEE", "j": "D",
         "z": "XX", "Z": "z", "e": "d"}
_JAVA_FIXED = {"m": "MM", "d": "dd", "H": "HH", "I": "hh", "M": "mm", "S": "ss", "e": "dd"}


def java_pattern(fmt: str) -> str:
    """A strptime format as a Spark (java.time) pattern.

    Numbers take one or two digits, as strptime reads them, except next to another number with
    nothing between (``%Y%m%d``), where they take two.
    """
    tokens = re.findall(r"%.|[^%]+", fmt)
    out = []
    for i, token in enumerate(tokens):
        if token == "%%":
            out.append("'%'")
        elif token.startswith("%"):
            key = token[1]
            if key not in _JAVA:
                raise DataError(f"--date-format '{fmt}': {token} is not supported by the Spark "
                                "engine; use %Y %y %m %d %H %I %M %S %f %p %b %B or --engine local")
            glued = any(0 <= j < len(tokens) and tokens[j].startswith("%") and tokens[j] != "%%"
                        for j in (i - 1, i + 1))
            out.append(_JAVA_FIXED.get(key, _JAVA[key]) if glued else _JAVA[key])
        else:
            plain = re.sub(r"[A-Za-z'\[\]#{}]+", lambda m: "'" + m.group().replace("'", "''")
                           + "'", token)
            out.append(plain)
    return "".join(out)


def _given_text(fmt: str, date_part: Callable[[str], str]) -> str:
    """A format without a time reads the date before the first space (and a comma): the time
    is ignored, so '%d/%m/%Y' reads '12/06/2010 10:08'."""
    if any(d in fmt for d in _TIME_DIRECTIVES) or " " in fmt:
        return "{v}"
    return date_part("{v}")


def _case(branches: list[tuple[str, str]], otherwise: str) -> str:
    if not branches:
        return otherwise
    return "CASE " + " ".join(f"WHEN {c} THEN {r}" for c, r in branches) + \
        f" ELSE {otherwise} END"


def rules_duckdb(rules: Sequence[Rule]) -> str:
    """DuckDB: a DATE from the text ``{v}`` by the first rule it matches, NULL if none."""
    return _case([(f"regexp_full_match({{v}}, {_lit(r.pattern[1:-1])})", r.duckdb("{v}"))
                  for r in rules], "CAST(NULL AS DATE)")


def rules_spark(rules: Sequence[Rule]) -> str:
    """The same in Spark SQL, over ``{v}``."""
    return _case([(f"{{v}} RLIKE {_spark_lit(r.pattern)}", r.spark("{v}"))
                  for r in rules], "CAST(NULL AS DATE)")


def given_format_duckdb(fmt: str) -> str:
    """DuckDB: a DATE from the text ``{v}`` read with the strptime format ``fmt``, else NULL."""
    text = _given_text(fmt, lambda v: f"rtrim({_date_part_duckdb(v)}, ',')")
    return f"CAST(try_strptime({text}, {_lit(fmt)}) AS DATE)"


def given_format_spark(fmt: str) -> str:
    """The same in Spark SQL, over ``{v}``."""
    text = _given_text(fmt, lambda v: f"TRIM(TRAILING ',' FROM {_date_part_spark(v)})")
    return _spark_strptime(text, fmt)


__all__ = ["EXCEL_EPOCH", "Rule", "given_format_duckdb", "given_format_spark", "java_pattern",
           "rules_duckdb", "rules_spark"]
