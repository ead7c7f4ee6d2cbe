"""Any input (CSV/TSV, Parquet, Excel, JSON lines, a DataFrame) as one DuckDB view, ``raw``.

Customer tables and purchase histories are both read here, so they accept the same files and
state the same dialect. Text formats are read with every column as text: ids keep their leading
zeros and prefixes, and numbers are parsed later by one set of rules (``numbers``). Column names
are checked here once: a duplicate name is an error naming it; an empty one becomes
``column_N`` (said in a note).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from .dialect import (
    Dialect,
    ReadOptions,
    check_file,
    csv_options,
    encoding_of,
    file_kind,
    read_error,
    read_errors,
    readable_path,
    sniff,
    with_encoding,
)
from .errors import ConfigError, DataError
from .first_scan import PendingScan, finish_scan, first_scan_row
from .sql import ident as quote
from .sql import literal as _lit

VIEW = "raw"


@dataclass
class Source:
    """The opened input: a label for messages, how it was read, its columns and their types."""

    label: str
    dialect: Dialect
    types: dict[str, str]              # column -> DuckDB type (VARCHAR for text formats)
    notes: list[str] = field(default_factory=list)
    rows: int | None = None            # data lines, when reading had to count them (text)
    # A text file opened without its first scan (``open_source(..., scan=False)``).
    pending: PendingScan | None = None

    @property
    def columns(self) -> list[str]:
        return list(self.types)


def open_source(con: duckdb.DuckDBPyConnection, source: str | os.PathLike[str] | pd.DataFrame,
                options: ReadOptions | None = None, *, scan: bool = True) -> Source:
    """Create the view ``raw`` over ``source`` in ``con``; return what was read and how.

    A text file is scanned once here (lines with more fields than the header, format errors,
    the line count); with ``scan=False`` that is left to the caller's first scan
    (``Source.pending``; see ``first_scan``).
    """
    options = options or ReadOptions()
    # DuckDB draws a progress bar on the terminal for long queries; custseg has its own.
    con.execute("SET enable_progress_bar = false")
    if isinstance(source, pd.DataFrame):
        _reject_text_options(options, "a DataFrame")
        frame, notes = _named(_text_objects(source), "the DataFrame")
        con.register("raw_frame", frame)
        con.execute(f"CREATE OR REPLACE VIEW {VIEW} AS SELECT * FROM raw_frame")
        return Source("DataFrame", Dialect("dataframe", decimal=options.decimal or "."),
                      _types(con), notes)
    path = Path(source)
    kind = file_kind(path)
    check_file(path)
    rows, pending = None, None
    if kind in ("csv", "tsv"):
        dialect, notes, rows, pending = _open_csv(con, path, kind, options, scan)
    elif kind == "parquet":
        _reject_text_options(options, "Parquet files")
        notes = []
        try:
            con.execute(f"CREATE OR REPLACE VIEW {VIEW} AS SELECT * FROM "
                        f"read_parquet({_lit(str(path))})")
        except duckdb.Error as exc:
            raise read_error(path, kind, exc) from None
        dialect = Dialect("parquet", decimal=options.decimal or ".")
    elif kind == "excel":
        frame, dialect, notes = _read_excel(path, options)
        con.register("raw_frame", frame)
        con.execute(f"CREATE OR REPLACE VIEW {VIEW} AS SELECT * FROM raw_frame")
    else:
        frame, notes = _read_json_lines(path, options)
        con.register("raw_frame", frame)
        con.execute(f"CREATE OR REPLACE VIEW {VIEW} AS SELECT * FROM raw_frame")
        dialect = Dialect("jsonl", encoding=options.encoding or "utf-8",
                          decimal=options.decimal or ".")
    types = _types(con)
    if not types:
        raise DataError(f"file '{path}' has no columns; export the table again with a header row")
    return Source(str(path), dialect, types, notes, rows, pending)


def _types(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return {str(row[0]): str(row[1]) for row in con.execute(f"DESCRIBE {VIEW}").fetchall()}


def _reject_text_options(options: ReadOptions, what: str) -> None:
    given = [name for name in ("encoding", "delimiter", "sheet", "header_row")
             if getattr(options, name) is not None]
    if given:
        flags = ", ".join("--" + name.replace("_", "-") for name in given)
        raise ConfigError(f"{flags} do not apply to {what}; leave them out")


def _named(frame: pd.DataFrame, where: str) -> tuple[pd.DataFrame, list[str]]:
    """Column names as text, trimmed; empty ones named column_N; duplicates refused."""
    names, notes = [], []
    for position, column in enumerate(frame.columns, start=1):
        name = "" if column is None or (isinstance(column, float) and pd.isna(column)) \
            else str(column).strip()
        if not name or name.startswith("Unnamed: "):
            name = f"column_{position}"
            notes.append(f"column {position} of {where} has no name; it is called '{name}'")
        names.append(name)
    seen: dict[str, int] = {}
    for name in names:
        seen[name.lower()] = seen.get(name.lower(), 0) + 1
    repeated = [n for n in dict.fromkeys(names) if seen[n.lower()] > 1]
    if repeated:
        shown = ", ".join(f"'{n}'" for n in repeated)
        raise DataError(f"{where} has duplicate column names ({shown}); give every column its "
                        "own name in the header")
    frame = frame.copy(deep=False)
    frame.columns = names
    return frame, notes


def _text_objects(frame: pd.DataFrame) -> pd.DataFrame:
    """Object columns holding mixed Python values become text (DuckDB needs one type)."""
    out = frame.copy(deep=False)
    for column in out.columns:
        values = out[column]
        if values.dtype == object:
            out[column] = values.map(_as_text, na_action="ignore").astype(object)
    return out.reset_index(drop=True)


def _as_text(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
    return str(value)


def _open_csv(con: duckdb.DuckDBPyConnection, path: Path, kind: str, options: ReadOptions,
              scan: bool = True) -> tuple[Dialect, list[str], int | None, PendingScan | None]:
    encoding, detected = encoding_of(path, options.encoding)
    readable, duck_encoding = readable_path(path, encoding)
    if options.delimiter is None and kind == "tsv":
        options = replace(options, delimiter="\t")
    dialect = sniff(con, readable, kind, duck_encoding, options)
    dialect = with_encoding(dialect, encoding, detected)
    reader_options = csv_options(dialect, duck_encoding)
    skip = dialect.header_row - 1
    header = _header_fields(readable, duck_encoding, dialect, skip)
    if header is None:
        raise DataError(f"file '{path}' is empty; export the table again with a header and rows")
    header = list(header)
    # Fields past the last named header cell: empty ones (trailing delimiters) are dropped,
    # values there mean a line with more fields than the header.
    width = len(header)
    while width and (header[width - 1] is None or str(header[width - 1]).strip() == ""):
        width -= 1
    frame, notes = _named(pd.DataFrame(columns=header[:width]), f"file '{path}'")
    # Explicit columns (no sniffing of the data): a few spare ones catch lines with more fields
    # than the header, which are refused with their line number.
    spare = [f"_extra{i}" for i in range(width, len(header) + 4)]
    columns = "{" + ", ".join(f"{_lit(n)}: 'VARCHAR'" for n in [*frame.columns, *spare]) + "}"
    filled = " OR ".join(f"trim(coalesce({quote(c)}, '')) <> ''" for c in spare)
    view = (f"CREATE OR REPLACE VIEW raw_all AS SELECT * FROM read_csv({_lit(str(readable))}, "
            f"header=false, skip={skip + 1}, auto_detect=false, columns={columns}, "
            f"parallel=true, {reader_options})")
    pending = PendingScan(path, kind, f"({filled})", dialect.header_row, width, view)
    kept = ", ".join(quote(n) for n in frame.columns)
    try:
        con.execute(view)
        con.execute(f"CREATE OR REPLACE VIEW {VIEW} AS SELECT {kept} FROM raw_all")
    except duckdb.Error as exc:
        raise read_error(path, kind, exc) from None
    if not scan:
        return dialect, notes, None, pending
    # One scan: counts the lines, finds lines with extra fields and surfaces format errors now.
    row = first_scan_row(con, pending, f"SELECT count(*) FILTER (WHERE {filled}), count(*) "
                                       "FROM raw_all")
    finish_scan(con, pending, int(row[0]))
    return dialect, notes, int(row[1]), None


def _header_fields(path: Path, encoding: str | None, dialect: Dialect,
                   skip: int) -> list[str | None] | None:
    """The header line's fields, parsed with the dialect (Python's csv module; no sniffing)."""
    import csv
    import gzip

    opener: Any = gzip.open if path.suffix.lower() == ".gz" else open
    codec = {None: "utf-8-sig", "utf-16": "utf-16"}.get(encoding, encoding or "utf-8")
    try:
        with opener(path, "rt", encoding=codec, newline="") as handle:
            for _ in range(skip):
                handle.readline()
            row = next(csv.reader(handle, delimiter=dialect.delimiter or ",",
                                  quotechar=dialect.quote or '"'), None)
    except UnicodeDecodeError:
        raise DataError(f"file '{path}' is not valid UTF-8 text; pass its encoding, e.g. "
                        "--encoding latin-1 or --encoding cp1252, or re-save it as UTF-8") from None
    if row is None:
        return None
    return [field if field.strip() else None for field in row]


def _read_excel(path: Path, options: ReadOptions) -> tuple[pd.DataFrame, Dialect, list[str]]:
    """The chosen sheet (default: the first) with title rows above the header skipped."""
    if options.encoding or options.delimiter:
        raise ConfigError("--encoding and --delimiter do not apply to Excel files; leave them out")
    import openpyxl

    with read_errors(path, "excel", "utf-8"):
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            sheets = list(book.sheetnames)
            wanted = [_choose_sheet(path, sheets, options.sheet)] if options.sheet else sheets
            for sheet in wanted:
                rows = _rows_of(book[sheet])
                if options.sheet or _header_index(rows) < len(rows) - 1:
                    break  # the first sheet holding a table (a header and a row below it)
        finally:
            book.close()
    notes = []
    if len(sheets) > 1 and options.sheet is None:
        notes.append(f"read sheet '{sheet}' of {len(sheets)} ({', '.join(sheets)}); choose "
                     "another with --sheet")
    if not rows:
        raise DataError(f"sheet '{sheet}' of '{path}' is empty; choose the sheet with the "
                        f"table with --sheet (sheets: {', '.join(sheets)})")
    header_index = (options.header_row - 1 if options.header_row else _header_index(rows))
    if header_index >= len(rows):
        raise DataError(f"--header-row {options.header_row} is past the last row "
                        f"({len(rows)}) of sheet '{sheet}'")
    guessed = (("sheet",) if len(sheets) > 1 and options.sheet is None else ()) + (
        ("header row",) if header_index and options.header_row is None else ())
    frame = pd.DataFrame(rows[header_index + 1:], columns=rows[header_index], dtype=object)
    if frame.empty:
        raise DataError(f"sheet '{sheet}' of '{path}' has a header but no rows; choose the "
                        f"sheet with the table with --sheet (sheets: {', '.join(sheets)})")
    frame, name_notes = _named(frame, f"sheet '{sheet}' of '{path}'")
    dialect = Dialect("excel", decimal=options.decimal or ".", header_row=header_index + 1,
                      sheet=sheet, guessed=guessed)
    return _text_objects(frame), dialect, notes + name_notes


def _rows_of(sheet: Any) -> list[list[Any]]:
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    while rows and all(v is None or str(v).strip() == "" for v in rows[-1]):
        rows.pop()
    return rows


def _choose_sheet(path: Path, sheets: list[str], wanted: str | None) -> str:
    if wanted is None:
        return sheets[0]
    if wanted in sheets:
        return wanted
    if wanted.isdigit() and 1 <= int(wanted) <= len(sheets):
        return sheets[int(wanted) - 1]
    raise DataError(f"sheet '{wanted}' not found in '{path}'; sheets are: "
                    f"{', '.join(repr(s) for s in sheets)}")


def _header_index(rows: list[list[Any]]) -> int:
    """The first row as wide as the table below it and made of text: title rows sit above."""
    def filled(row: list[Any]) -> int:
        return sum(v is not None and str(v).strip() != "" for v in row)

    if not rows:
        return 0
    width = max(filled(r) for r in rows[:50])
    for index, row in enumerate(rows[:50]):
        if filled(row) >= width and all(isinstance(v, str) for v in row if v is not None):
            return index
    return 0


def _read_json_lines(path: Path, options: ReadOptions) -> tuple[pd.DataFrame, list[str]]:
    """JSON lines, nested objects flattened with dotted names (``customer.id``)."""
    if options.delimiter or options.sheet or options.header_row:
        raise ConfigError("--delimiter, --sheet and --header-row do not apply to JSON lines")
    encoding, _ = encoding_of(path, options.encoding)
    records: list[Any] = []
    with read_errors(path, "jsonl", encoding):
        import gzip

        opener: Any = gzip.open if path.suffix.lower() == ".gz" else open
        with opener(path, "rt", encoding=encoding) as handle:
            text = handle.read()
    stripped = text.strip()
    if stripped.startswith("["):  # a JSON array of records, as many tools write .json
        try:
            records = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise DataError(f"file '{path}' is not valid JSON ({exc.msg} at line {exc.lineno})"
                            "; export it again as JSON lines, one object per line") from None
    else:
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise DataError(f"file '{path}' line {number} is not valid JSON ({exc.msg}); "
                                "fix that line or export the file again") from None
    if not records:
        raise DataError(f"file '{path}' has no records; export the table again with its data")
    if not all(isinstance(r, dict) for r in records):
        raise DataError(f"file '{path}' has lines that are not JSON objects; each line must "
                        "be one record like {\"customer_id\": \"001\", \"income\": 42}")
    flat = pd.json_normalize(records, sep=".")
    notes = []
    nested = [c for c in flat.columns if "." in str(c)]
    if nested:
        notes.append(f"nested fields flattened with dotted names ({', '.join(nested[:5])}"
                     f"{', ...' if len(nested) > 5 else ''})")
    frame, name_notes = _named(flat.astype(object).where(flat.notna(), None), f"file '{path}'")
    return _text_objects(frame), notes + name_notes
