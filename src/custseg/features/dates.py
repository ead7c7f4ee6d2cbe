"""Purchase dates: how a column is read is decided once, from every line; then each value is
parsed in SQL by the rule of its shape (the shapes and their SQL are in ``date_sql``).

What is read (``read_dates``):
- native DATE / TIMESTAMP columns (Parquet, DataFrames) as they are; a TIMESTAMP WITH TIME ZONE
  gives its date in UTC;
- text in the shapes of ``date_sql``: ISO 8601 dates and timestamps, other year-first dates,
  compact ``20101206``, and day-first or month-first dates with a 4- or a 2-digit year and an
  optional time;
- Excel serial day numbers (``40179``, ``40179.5``), when every value of the column is one
  between 25569 (1970-01-01) and 73051 (2099-12-31).

Day-first or month-first is decided for the whole column: a value whose first field is above 12
proves day-first, one whose second field is above 12 proves month-first. Proof of both is an
error naming lines of each kind; proof of one decides; no proof at all (every date ambiguous)
reads month-first, or day-first when the dates use dots or the file is European (decimal
comma), and says so in a warning. ``--date-format`` (strptime syntax) overrides all of this; a
format without a time reads the date before the first space, so ``%d/%m/%Y`` also reads
``12/06/2010 10:08``.

The decision costs one grouped scan of the column on its first 11 characters (a few thousand
groups for ten million lines); the values are then parsed in one pass, by SQL that has a branch
only for the shapes present (``DateReading.sql``, and ``spark_sql`` for Spark). Which of the
parsed dates are used (1970 to the as-of date) is ``date_window``'s.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import duckdb

from ..errors import DataError
from ..missing import is_missing_quick_sql, is_missing_sql
from ..sql import ident as _q
from ..sql import literal as _lit
from .date_sql import Rule, given_format_duckdb, given_format_spark, rules_duckdb, rules_spark

EXCEL_FIRST, EXCEL_LAST = 25569, 73051          # 1970-01-01 .. 2099-12-31
ORDERS = ("day-first", "month-first", "year-first", "iso", "excel-serial", "native", "given")
NATIVE_TYPES = ("DATE", "TIMESTAMP")
HEAD = 11  # characters that hold the date part of every shape read here, and the next one


@dataclass(frozen=True)
class DateReading:
    """How a date column is read: SQL over the trimmed text (``{v}``) giving a DATE or NULL."""

    order: str                                  # one of ORDERS
    formats: tuple[str, ...]                    # strptime formats of the date parts read
    rules: tuple[Rule, ...] = ()
    given: str | None = None                    # --date-format
    native: str | None = None                   # the column's DuckDB type when a date type
    warning: str | None = None                  # said to the user (every date was ambiguous)

    @property
    def sql(self) -> str:
        """DuckDB: a DATE from the text ``{v}`` (``text_sql`` of the column), NULL if not one."""
        if self.native:
            if "TIME ZONE" in self.native:
                return "CAST(timezone('UTC', {v}) AS DATE)"
            return "CAST({v} AS DATE)"
        if self.given is not None:
            return given_format_duckdb(self.given)
        return rules_duckdb(self.rules)

    @property
    def spark_sql(self) -> str:
        """The same reading in Spark SQL, over ``{v}``."""
        if self.native:
            return "CAST({v} AS DATE)"
        if self.given is not None:
            return given_format_spark(self.given)
        return rules_spark(self.rules)

    def parse(self, text: str) -> str:
        """DuckDB SQL reading the expression ``text`` (best a column name: it is repeated)."""
        return self.sql.replace("{v}", text)

    def text_sql(self, column_sql: str) -> str:
        """The column as the text the reading expects (native columns stay as they are)."""
        return column_sql if self.native else trimmed_sql(f"CAST({column_sql} AS VARCHAR)")

    def missing_sql(self, text: str) -> str:
        """True where the value is missing (empty, NA, null, ...): no date, not a bad date."""
        if self.native:
            return f"({text} IS NULL)"
        return is_missing_quick_sql(text, trimmed=True)

    @property
    def description(self) -> str:
        """What was read, for messages: 'day-first (%d/%m/%Y)'."""
        if self.order == "given":
            return f"--date-format '{self.given}'"
        return f"{self.order} ({', '.join(self.formats)})" if self.formats else self.order


def trimmed_sql(text: str) -> str:
    """DuckDB: ``trim(text)``, trimming only text with a space at either end (most dates have
    none; trimming every one of ten million cost twice as much as reading the column)."""
    return (f"(CASE WHEN prefix({text}, ' ') OR suffix({text}, ' ') THEN trim({text}) "
            f"ELSE {text} END)")


def is_native(kind: str) -> bool:
    return kind.split("(")[0].split(" ")[0].startswith(NATIVE_TYPES)


def read_dates(con: duckdb.DuckDBPyConnection, column: str, kind: str,
               date_format: str | None = None, *, european: bool = False,
               header_line: int = 1, relation: str = "raw",
               heads: str | None = None) -> DateReading:
    """Decide how the column ``column`` of ``relation`` is read (see the module docstring).

    ``kind`` is its DuckDB type; ``european`` says the file is likely day-first (decimal comma);
    ``header_line`` is the file line of the header, so data row n is line ``header_line + n``.
    ``heads`` names a table of the column's heads already counted (``head``: the trimmed text's
    first ``HEAD`` characters, ``n``: its lines), made by a scan that checked other columns too.
    Raises DataError for values that match no shape, naming their lines.
    """
    if is_native(kind):
        return DateReading("native", (kind,), native=kind)
    if date_format is not None:
        _check_format(con, date_format)
        return DateReading("given", (date_format,), given=date_format)
    text = trimmed_sql(f"CAST({_q(column)} AS VARCHAR)")
    counted = (f"(SELECT head, n FROM {heads})" if heads else
               f"(SELECT left({text}, {HEAD}) AS head, count(*) AS n FROM {relation} GROUP BY 1)")
    shapes = f"""
        SELECT head, n, {_layout_sql('head')} AS layout,
               regexp_extract(head, '^([0-9]{{1,2}})([-/.,])([0-9]{{1,2}})([-/.,])([0-9]+)(,?)',
                              ['a', 's', 'b', 's2', 'y', 'c']) AS f
        FROM {counted}"""
    rows = con.execute(f"""
        SELECT CASE WHEN layout = 'numeric' AND f.s <> f.s2 THEN 'other' ELSE layout END AS kind,
               CASE WHEN layout = 'numeric' THEN f.s ELSE '' END AS sep,
               CASE WHEN layout = 'numeric' THEN length(f.y) ELSE 0 END AS year_digits,
               layout = 'numeric' AND f.c = ',' AS comma,
               sum(n) AS lines,
               coalesce(sum(n) FILTER (WHERE TRY_CAST(f.a AS INT) BETWEEN 13 AND 31
                                       AND TRY_CAST(f.b AS INT) BETWEEN 1 AND 12), 0) AS day,
               coalesce(sum(n) FILTER (WHERE TRY_CAST(f.b AS INT) BETWEEN 13 AND 31
                                       AND TRY_CAST(f.a AS INT) BETWEEN 1 AND 12), 0) AS month,
               coalesce(sum(n) FILTER (WHERE TRY_CAST(left(head, 5) AS INT)
                                       BETWEEN {EXCEL_FIRST} AND {EXCEL_LAST}), 0) AS serial,
               min(head) AS example
        FROM ({shapes}) GROUP BY ALL ORDER BY lines DESC, kind, sep, year_digits, comma
        """).fetchall()
    groups = [_Group(*row) for row in rows]
    present = [g for g in groups if g.kind != "missing"]
    if not present:
        return DateReading("iso", ())
    reading = _decide(con, column, present, european, header_line, relation)
    # Values of no known shape can never parse: say so now, before the lines are read.
    if any(g.kind == "other" or (g.kind == "excel" and reading.order != "excel-serial")
           for g in present):
        raise bad_dates_error(con, column, reading, header_line, relation)
    return reading


@dataclass(frozen=True)
class _Group:
    kind: str
    sep: str
    year_digits: int
    comma: bool
    lines: int
    day: int
    month: int
    serial: int
    example: str


def _layout_sql(head: str) -> str:
    return f"""CASE
        WHEN {is_missing_sql(head)} THEN 'missing'
        WHEN regexp_matches({head}, '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}(?:[T ]|$)') THEN 'iso'
        WHEN regexp_matches({head}, '^[0-9]{{4}}[-/.][0-9]{{1,2}}[-/.][0-9]{{1,2}}(?:[T ]|$)')
            THEN 'year-first'
        WHEN regexp_matches({head}, '^[0-9]{{8}}$') THEN 'compact'
        WHEN regexp_matches({head}, '^[0-9]{{5}}(?:[.,][0-9]*)?$') THEN 'excel'
        WHEN regexp_matches({head}, '^[0-9]{{1,2}}[-/.,][0-9]{{1,2}}[-/.,]'
                                    || '(?:[0-9]{{4}}|[0-9]{{2}})(?:[ ,]|$)') THEN 'numeric'
        ELSE 'other' END"""


def _decide(con: duckdb.DuckDBPyConnection, column: str, present: list[_Group], european: bool,
            header_line: int, relation: str) -> DateReading:
    total = sum(g.lines for g in present)
    excel = [g for g in present if g.kind == "excel"]
    if sum(g.lines for g in excel) == total and sum(g.serial for g in excel) == total:
        rule = Rule("excel", total)
        return DateReading("excel-serial", (rule.format,), (rule,))
    numeric = [g for g in present if g.kind == "numeric"]
    day = sum(g.day for g in numeric)
    month = sum(g.month for g in numeric)
    warning = None
    if day and month:
        raise _contradiction(con, column, day, month, numeric, header_line, relation)
    if day or month:
        day_first = bool(day)
    else:
        dots = sum(g.lines for g in numeric if g.sep == ".")
        day_first = european or dots * 2 > sum(g.lines for g in numeric)
    rules = [Rule("numeric", g.lines, g.sep, g.year_digits, day_first, g.comma)
             for g in numeric]
    rules += [Rule(g.kind, g.lines) for g in present if g.kind in ("iso", "year-first",
                                                                   "compact")]
    rules.sort(key=lambda r: -r.lines)
    if numeric:
        order = "day-first" if day_first else "month-first"
        if not (day or month):
            warning = _ambiguous(column, numeric, total, day_first, european)
    elif rules and all(r.layout == "iso" for r in rules):
        order = "iso"
    else:
        order = "year-first"
    formats = tuple(dict.fromkeys(r.format for r in rules))
    return DateReading(order, formats, tuple(rules), warning=warning)


def _ambiguous(column: str, numeric: list[_Group], total: int, day_first: bool,
               european: bool) -> str:
    lines = sum(g.lines for g in numeric)
    main = max(numeric, key=lambda g: g.lines)
    found = re.match(r"(\d{1,2})[-/.,](\d{1,2})[-/.,](\d{2,4})", main.example)
    assert found is not None  # the group's heads matched this shape in SQL
    example = found.group(0)
    a, b, year = found.groups()
    day, month = (a, b) if day_first else (b, a)
    full_year = int(year) if len(year) == 4 else (2000 + int(year) if int(year) < 69
                                                   else 1900 + int(year))
    try:
        meaning = f"{int(day)} {dt.date(full_year, int(month), int(day)):%B %Y}"
    except ValueError:
        meaning = "another day"
    if not day_first:
        why = "the more common order"
    elif european:
        why = "the file looks European (decimal comma or semicolons)"
    else:
        why = "dates written with dots usually are"
    other = Rule("numeric", sep=main.sep, year_digits=main.year_digits,
                 day_first=not day_first).format
    chosen, alternative = ("day-first", "month-first") if day_first else ("month-first",
                                                                          "day-first")
    which = "date" if lines == total else "day/month date"
    return (f"every {which} in column '{column}' ({lines:,} lines) could be day-first or "
            f"month-first (no day or month above 12): they were read {chosen}, as {why} "
            f"('{example}' is {meaning}); if they are {alternative}, give "
            f"--date-format '{other}'")


def _lines_sql(column: str, relation: str, header_line: int) -> str:
    return (f"SELECT row_number() OVER () + {int(header_line)} AS line, "
            f"trim(CAST({_q(column)} AS VARCHAR)) AS v FROM {relation}")


def _contradiction(con: duckdb.DuckDBPyConnection, column: str, day: int, month: int,
                   numeric: list[_Group], header_line: int, relation: str) -> DataError:
    fields = ("regexp_extract(v, '^([0-9]{1,2})[-/.,]([0-9]{1,2})[-/.,]', ['a', 'b'])")
    found = con.execute(f"""
        SELECT kind, line, v FROM (
            SELECT line, v, CASE
                WHEN TRY_CAST(f.a AS INT) BETWEEN 13 AND 31
                     AND TRY_CAST(f.b AS INT) BETWEEN 1 AND 12 THEN 'day'
                WHEN TRY_CAST(f.b AS INT) BETWEEN 13 AND 31
                     AND TRY_CAST(f.a AS INT) BETWEEN 1 AND 12 THEN 'month' END AS kind,
                row_number() OVER (PARTITION BY kind ORDER BY line) AS rank
            FROM (SELECT line, v, {fields} AS f FROM ({_lines_sql(column, relation, header_line)})
                  WHERE regexp_matches(v, '^[0-9]{{1,2}}[-/.,][0-9]{{1,2}}[-/.,]')))
        WHERE kind IS NOT NULL AND rank <= 3 ORDER BY kind, line""").fetchall()
    shown = {kind: ", ".join(f"'{v}' (line {line})" for k, line, v in found if k == kind)
             for kind in ("day", "month")}
    main = max(numeric, key=lambda g: g.lines)
    dmy = Rule("numeric", sep=main.sep, year_digits=main.year_digits, day_first=True).format
    mdy = Rule("numeric", sep=main.sep, year_digits=main.year_digits).format
    return DataError(
        f"column '{column}' mixes day-first and month-first dates: {day:,} line(s) have a day "
        f"above 12 first, e.g. {shown['day']}, and {month:,} line(s) a month second, e.g. "
        f"{shown['month']}; a column must use one order: fix those lines, or give the format "
        f"with --date-format (e.g. '{dmy}' or '{mdy}')")


def bad_dates_error(con: duckdb.DuckDBPyConnection, column: str, reading: DateReading,
                    header_line: int = 1, relation: str = "raw") -> DataError:
    """The error for values the chosen reading cannot read, naming their lines and values."""
    parse = reading.parse("v")
    rows = con.execute(f"""
        SELECT count(*) OVER () AS bad, line, v FROM ({_lines_sql(column, relation, header_line)})
        WHERE NOT {reading.missing_sql('v')} AND {parse} IS NULL
        ORDER BY line LIMIT 3""").fetchall()
    if not rows:  # the caller's count came from another engine; nothing to show here
        return DataError(f"column '{column}' has values that are not dates; fix them, or give "
                         "the format with --date-format (e.g. --date-format '%d/%m/%Y')")
    shown = ", ".join(f"{v!r} (line {line})" for _, line, v in rows)
    more = f" and {rows[0][0] - len(rows):,} more line(s)" if rows[0][0] > len(rows) else ""
    hint = ""
    if any(re.fullmatch(r"\d{5}([.,]\d+)?", str(v)) for _, _, v in rows):
        hint = (f"; numbers are read as Excel serial dates only when every value is one from "
                f"{EXCEL_FIRST} (1970-01-01) to {EXCEL_LAST} (2099-12-31)")
    if reading.order == "given":
        advice = f"fix them, or change --date-format ('{reading.given}' does not read them)"
    else:
        advice = "fix them, or give the format with --date-format (e.g. --date-format '%d/%m/%Y')"
        if reading.formats:
            advice += f"; the other dates read as {reading.description}"
    return DataError(f"column '{column}' has values that are not dates: {shown}{more}; "
                     f"{advice}{hint}")


def _check_format(con: duckdb.DuckDBPyConnection, fmt: str) -> None:
    if "%" not in fmt:
        raise DataError(f"--date-format '{fmt}' has no % directive; write it in strptime "
                        "syntax, e.g. --date-format '%d/%m/%Y'")
    try:
        con.execute(f"SELECT try_strptime('2000-01-01', {_lit(fmt)})").fetchall()
    except duckdb.Error as exc:
        detail = str(exc).strip().splitlines()[0][:120]
        raise DataError(f"--date-format '{fmt}' is not a strptime format ({detail}); e.g. "
                        "--date-format '%d/%m/%Y'") from None


__all__ = ["DateReading", "Rule", "bad_dates_error", "read_dates"]
