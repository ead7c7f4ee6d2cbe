"""Reading tables in the formats stores export, and writing outputs atomically."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from .errors import DataError

SUPPORTED = {
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


def read_table(path: str | os.PathLike[str], encoding: str | None = None) -> pd.DataFrame:
    """Read a customer table, raising :class:`DataError` with the fix for every common defect."""
    path = Path(path)
    kind = file_kind(path)
    check_file(path)
    frame = _read(path, kind, encoding or "utf-8")
    if frame.shape[1] == 0:
        raise DataError(f"file '{path}' has no columns; export the table again with a header row")
    if len(frame) == 0:
        raise DataError(
            f"file '{path}' has a header but no rows; export the table again with its data"
        )
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def read_segments(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A segments.csv written by ``custseg segment``, given the file or its --out folder."""
    path = Path(path)
    path = path / "segments.csv" if path.is_dir() else path
    frame = read_table(path)
    missing = {"segment", "segment_name"} - set(frame.columns)
    if missing:
        raise DataError(f"'{path}' lacks column(s) {', '.join(sorted(missing))}; pass the --out "
                        "folder of custseg segment or its segments.csv")
    if frame.iloc[:, 0].duplicated().any():
        raise DataError(f"'{path}' lists a customer twice in its first (id) column; pass the "
                        "--out folder of custseg segment or its segments.csv")
    return frame


def check_file(path: Path) -> None:
    """The file exists, is a file and is not empty."""
    if not path.exists():
        raise DataError(f"file '{path}' not found; check the path and the current directory")
    if path.is_dir():
        raise DataError(f"'{path}' is a folder, not a file; give the path of a data file")
    if path.stat().st_size == 0:
        raise DataError(f"file '{path}' is empty; export the table again with a header and rows")


def _read(path: Path, kind: str, encoding: str) -> pd.DataFrame:
    with read_errors(path, kind, encoding):
        if kind in {"csv", "tsv"}:
            return pd.read_csv(path, sep="\t" if kind == "tsv" else ",", encoding=encoding,
                               encoding_errors="strict", skipinitialspace=True)
        if kind == "parquet":
            return pd.read_parquet(path)
        if kind == "excel":
            return pd.read_excel(path, engine="openpyxl")
        return pd.read_json(path, lines=True, encoding=encoding, dtype=False)


def iter_table(path: str | os.PathLike[str], chunk_rows: int,
               encoding: str | None = None) -> Iterator[pd.DataFrame]:
    """Read a table in chunks of ``chunk_rows`` rows (memory does not grow with the file).

    CSV, TSV and JSON lines stream; Parquet streams by record batch; Excel is read whole.
    Row labels continue across chunks, so error messages keep true line numbers.
    """
    path = Path(path)
    kind = file_kind(path)
    check_file(path)
    encoding = encoding or "utf-8"
    with read_errors(path, kind, encoding):
        if kind in {"csv", "tsv", "jsonl"}:
            reader = (pd.read_csv(path, sep="\t" if kind == "tsv" else ",", encoding=encoding,
                                  encoding_errors="strict", skipinitialspace=True,
                                  chunksize=chunk_rows) if kind != "jsonl" else
                      pd.read_json(path, lines=True, encoding=encoding, dtype=False,
                                   chunksize=chunk_rows))
            with reader:
                first = True
                for chunk in reader:
                    first = False
                    chunk.columns = [str(c).strip() for c in chunk.columns]
                    yield chunk
                if first:
                    raise DataError(f"file '{path}' has a header but no rows; export the table "
                                    "again with its data")
        elif kind == "parquet":
            import pyarrow.parquet as pq

            start = 0
            for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_rows):
                chunk = batch.to_pandas()
                chunk.index = pd.RangeIndex(start, start + len(chunk))
                start += len(chunk)
                yield chunk
        else:
            yield read_table(path, encoding)


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


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; move it into place only if the block succeeds.

    Readers never see a half-written file: the rename is atomic on one filesystem.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs are ordinary files
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(target: str | os.PathLike[str], text: str) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(target: str | os.PathLike[str], payload: Any) -> None:
    write_text(target, json.dumps(payload, indent=2, ensure_ascii=False, allow_nan=False) + "\n")


def write_table(target: str | os.PathLike[str], frame: pd.DataFrame) -> None:
    """Write a table as CSV or Parquet (by suffix), atomically."""
    target = Path(target)
    with atomic_path(target) as tmp:
        if target.suffix.lower() in {".parquet", ".pq"}:
            frame.to_parquet(tmp, index=False)
        else:
            _write_csv(frame, tmp)


# A spreadsheet evaluates a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_for_spreadsheets(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells and headers that a spreadsheet would evaluate get a leading apostrophe.

    Applied to every CSV custseg writes (OWASP's advice for CSV injection): '=HYPERLINK(...)'
    is shown as text, never run. Numbers are untouched: -5 stays a number.
    """
    def neutral(value: object) -> object:
        if isinstance(value, str) and value.startswith(FORMULA_STARTS):
            return "'" + value
        return value

    out = frame.rename(columns=lambda c: neutral(str(c)))
    for column in out.columns:
        values = out[column]
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            text = values.astype("string")
            risky = text.str.startswith(FORMULA_STARTS).fillna(False)
            if risky.any():
                out[column] = values.where(~risky.to_numpy(), "'" + text.astype(object))
    return out


def write_csv_chunk(frame: pd.DataFrame, handle: Any, header: bool) -> None:
    """Append a chunk to an open CSV (streaming writers), spreadsheet-safe like every CSV."""
    safe_for_spreadsheets(frame).to_csv(handle, index=False, header=header, lineterminator="\n")


def _write_csv(frame: pd.DataFrame, target: Path) -> None:
    # pyarrow's writer is ~7x faster than DataFrame.to_csv on a million rows.
    table = pa.Table.from_pandas(safe_for_spreadsheets(frame), preserve_index=False)
    pacsv.write_csv(table, target, pacsv.WriteOptions(quoting_style="needed"))
