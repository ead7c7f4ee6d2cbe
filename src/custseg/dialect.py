"""How an input file is written: its format (by suffix), and for text its encoding, delimiter,
quote, decimal separator and header line.

Real exports are not all UTF-8 with commas: Excel in most of Europe writes semicolons and decimal
commas, "Unicode text" is UTF-16 with a byte-order mark, CRMs put title lines above the header.
Encodings are read from byte-order marks (or given); delimiter, quote and title lines come from
DuckDB's CSV sniffer (or are given); the decimal separator is decided from the values
(``numbers.detect_decimal``). Whatever was detected rather than given is listed in ``guessed``
and stated in the summary and the report. A file that cannot be read is one ``DataError``
(``check_file``, ``read_error``, ``read_errors``) naming the file and the fix.
"""

from __future__ import annotations

import atexit
import codecs
import contextlib
import gzip
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from .errors import ConfigError, DataError
from .sql import literal as _lit

SUPPORTED = {  # file suffix -> reader
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "excel",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
SUPPORTED_HELP = "CSV (.csv), TSV (.tsv), Parquet (.parquet), Excel (.xlsx) or JSON lines (.jsonl)"
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"),
         (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))


@dataclass(frozen=True)
class ReadOptions:
    """What the user said about the file (None: detect)."""

    encoding: str | None = None
    delimiter: str | None = None
    decimal: str | None = None
    sheet: str | None = None
    header_row: int | None = None

    def __post_init__(self) -> None:
        if self.delimiter is not None:
            object.__setattr__(self, "delimiter", parse_delimiter(self.delimiter))
        if self.decimal is not None and self.decimal not in (".", ","):
            raise ConfigError(f"The 'decimal' parameter must be '.' or ','. Got "
                              f"{self.decimal!r} instead.")
        if self.header_row is not None and (isinstance(self.header_row, bool)
                                            or not isinstance(self.header_row, int)
                                            or self.header_row < 1):
            raise ConfigError(f"The 'header_row' parameter must be an int >= 1 (the line of the "
                              f"header, the first line is 1). Got {self.header_row!r} instead.")
        if self.encoding is not None:
            try:
                codecs.lookup(self.encoding)
            except LookupError:
                raise DataError(f"unknown encoding '{self.encoding}'; use a Python codec name "
                                "such as utf-8, utf-16, latin-1 or cp1252") from None


def parse_delimiter(text: str) -> str:
    named = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
    value = named.get(text.lower(), text)
    if len(value) != 1 or value in "\"'\r\n" or value.isalnum():
        raise ConfigError(f"The 'delimiter' parameter must be one character such as ',' ';' "
                          f"'|' or 'tab'. Got {text!r} instead.")
    return value


@dataclass(frozen=True)
class Dialect:
    """How the input was read, as stated in summary.json and the report."""

    format: str
    encoding: str | None = None
    delimiter: str | None = None
    quote: str | None = None
    decimal: str = "."
    header_row: int = 1          # line (text) or row (Excel) of the header, 1-based
    sheet: str | None = None
    guessed: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["guessed"] = list(self.guessed)
        return data

    def describe(self) -> str:
        parts = [self.format.upper() if self.format != "dataframe" else "DataFrame"]
        if self.encoding:
            parts.append(self.encoding.upper().replace("-SIG", " with BOM"))
        if self.delimiter:
            parts.append(f"{DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))}-separated")
        if self.sheet:
            parts.append(f"sheet '{self.sheet}'")
        parts.append("decimal comma" if self.decimal == "," else "decimal point")
        if self.header_row != 1:
            parts.append(f"header on {'row' if self.format == 'excel' else 'line'} "
                         f"{self.header_row}")
        text = ", ".join(parts)
        if self.guessed:
            text += f" ({', '.join(self.guessed)} detected)"
        return text


def file_kind(path: Path) -> str:
    """The reader to use for ``path``, by its suffix (``.csv.gz`` counts as ``.csv``)."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in {".gz", ".bz2", ".zst", ".xz", ".zip"}:
        suffixes = suffixes[:-1]
    suffix = suffixes[-1] if suffixes else ""
    if suffix not in SUPPORTED:
        shown = suffix or "(no extension)"
        raise DataError(
            f"unsupported file type '{shown}' for '{path}'; save it as {SUPPORTED_HELP}"
        )
    return SUPPORTED[suffix]


def check_file(path: Path) -> None:
    """The file exists, is a file and is not empty."""
    if not path.exists():
        raise DataError(f"file '{path}' not found; check the path and the current directory")
    if path.is_dir():
        raise DataError(f"'{path}' is a folder, not a file; give the path of a data file")
    if path.stat().st_size == 0:
        raise DataError(f"file '{path}' is empty; export the table again with a header and rows")


def _peek(path: Path, size: int = 4) -> bytes:
    opener: Any = gzip.open if path.suffix.lower() == ".gz" else open
    with opener(path, "rb") as handle:
        return bytes(handle.read(size))


def encoding_of(path: Path, given: str | None) -> tuple[str, bool]:
    """The Python codec name of the file's text and whether it was detected (not given)."""
    if given:
        return codecs.lookup(given).name, False
    head = _peek(path)
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name, True
    return "utf-8", False


_transcoded: list[str] = []


@atexit.register
def _remove_transcoded() -> None:
    for name in _transcoded:
        with contextlib.suppress(OSError):
            os.unlink(name)


def readable_path(path: Path, encoding: str) -> tuple[Path, str | None]:
    """A path DuckDB can read and the encoding to tell it (None: UTF-8).

    Encodings DuckDB lacks (cp1252, UTF-32...) are transcoded to a temporary UTF-8 file, line by
    line, so memory does not grow with the file.
    """
    name = codecs.lookup(encoding).name
    # DuckDB's CSV reader decodes these itself; other encodings are transcoded first.
    duck = {"utf-8": None, "utf-8-sig": None, "utf-16": "utf-16",
            "iso8859-1": "latin-1", "latin-1": "latin-1"}
    # DuckDB reads UTF-16 only little-endian with its byte-order mark, and not compressed.
    native_utf16 = (path.suffix.lower() != ".gz" and _peek(path, 2) == codecs.BOM_UTF16_LE)
    if name in duck and (name != "utf-16" or native_utf16):
        return path, duck[name]
    fd, target = tempfile.mkstemp(prefix="custseg-utf8-", suffix=".csv")
    _transcoded.append(target)
    opener: Any = gzip.open if path.suffix.lower() == ".gz" else open
    try:
        with opener(path, "rb") as raw, os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            reader = codecs.getreader(name)(raw, "strict")
            while chunk := reader.read(1 << 20):
                out.write(chunk)
    except UnicodeDecodeError as exc:
        raise DataError(f"file '{path}' is not valid {encoding} text (byte "
                        f"0x{exc.object[exc.start]:02x}); pass its real encoding with "
                        "--encoding, e.g. --encoding cp1252, or re-save it as UTF-8") from None
    return Path(target), None



def csv_options(dialect: Dialect, encoding: str | None) -> str:
    """The read_csv options shared by the header read and the data read."""
    options = [f"delim={_lit(dialect.delimiter or ',')}",
               f"quote={_lit(dialect.quote or chr(34))}", "all_varchar=true",
               "null_padding=true", "strict_mode=false"]
    if dialect.quote:
        options.append(f"escape={_lit(dialect.quote)}")
    if encoding:
        options.append(f"encoding={_lit(encoding)}")
    return ", ".join(options)


def sniff(con: duckdb.DuckDBPyConnection, path: Path, kind: str, encoding: str | None,
          options: ReadOptions) -> Dialect:
    """Delimiter, quote and title lines from DuckDB's sniffer unless given."""
    guessed: list[str] = []
    delimiter, quote, skip = options.delimiter, '"', 0
    if delimiter is None or options.header_row is None:
        args = [_lit(str(path))]
        if encoding:
            args.append(f"encoding={_lit(encoding)}")
        if delimiter:
            args.append(f"delim={_lit(delimiter)}")
        found = None
        # Strict first; lenient (quoted line breaks, stray quotes) if that fails; if the
        # sniffer gives up altogether, the extension's delimiter and no title lines.
        for strict in ("true", "false"):
            try:
                found = con.execute(f"SELECT Delimiter, Quote, SkipRows FROM sniff_csv("
                                    f"{', '.join(args)}, sample_size=20480, "
                                    f"strict_mode={strict})").fetchone()
                break
            except duckdb.Error as exc:
                if "unicode" in str(exc).lower():
                    raise read_error(path, kind, exc) from None
        if found is None:
            found = (delimiter or ("\t" if kind == "tsv" else ","), '"', 0)
        if delimiter is None:
            delimiter = str(found[0]) if found[0] else ("\t" if kind == "tsv" else ",")
            guessed.append("delimiter")
        if found[1] and found[1] != "(empty)":
            quote = str(found[1])
        skip = int(found[2] or 0)
        if skip and options.header_row is None:
            guessed.append("header line")
    header_row = options.header_row or skip + 1
    return Dialect(kind, delimiter=delimiter, quote=quote, header_row=header_row,
                   guessed=tuple(guessed))


def read_error(path: Path, kind: str, exc: Exception) -> DataError:
    """One line for a DuckDB reading error, with the fix."""
    detail = " ".join(str(exc).split())
    lower = detail.lower()
    if "unicode" in lower or "invalid utf" in lower:
        line = re.search(r"line:? (\d+)", lower)
        where = f" (line {line.group(1)})" if line else ""
        return DataError(f"file '{path}' is not valid UTF-8 text{where}; pass its encoding, "
                         "e.g. --encoding latin-1 or --encoding cp1252, or re-save it as UTF-8")
    if "expected" in lower and "column" in lower or "too many" in lower:
        return DataError(f"file '{path}' has lines with more fields than its header "
                         f"({detail[:200]}); check the delimiter (--delimiter) and quoting")
    return DataError(f"file '{path}' could not be read as {kind} ({detail[:200]}); check that "
                     "it is complete, of the type its extension says, and its delimiter")


@contextlib.contextmanager
def read_errors(path: Path, kind: str, encoding: str) -> Iterator[None]:
    """Turn the readers' exceptions into one-line DataErrors that say what to do."""
    try:
        yield
    except DataError:
        raise
    except UnicodeDecodeError as exc:
        raise DataError(
            f"file '{path}' is not valid {encoding.upper()} text (byte "
            f"0x{exc.object[exc.start]:02x} at offset {exc.start}); pass its encoding, e.g. "
            "--encoding latin-1 or --encoding cp1252, or re-save it as UTF-8"
        ) from None
    except LookupError:
        raise DataError(
            f"unknown encoding '{encoding}'; use a Python codec name such as utf-8, latin-1 "
            "or cp1252"
        ) from None
    except pd.errors.EmptyDataError:
        raise DataError(
            f"file '{path}' is empty; export the table again with a header and rows"
        ) from None
    except pd.errors.ParserError as exc:
        detail = str(exc).strip().splitlines()[-1]
        raise DataError(
            f"file '{path}' is not a well-formed {kind.upper()} table ({detail}); "
            "check the delimiter and quoting"
        ) from None
    except ValueError as exc:
        # pandas/pyarrow/openpyxl raise ValueError (or subclasses) for corrupt files.
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(
            f"file '{path}' could not be read as {kind} ({detail}); check that the file is "
            "complete and of the type its extension says"
        ) from None
    except OSError as exc:
        raise DataError(f"file '{path}' could not be read ({exc.strerror or exc}); "
                        "check its permissions and that it is complete") from None


def with_encoding(dialect: Dialect, encoding: str, detected: bool) -> Dialect:
    guessed = dialect.guessed + (("encoding",) if detected else ())
    return replace(dialect, encoding=encoding, guessed=guessed)
