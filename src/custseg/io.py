"""Reading tables in the formats stores export, and writing outputs atomically.

Which formats are read (``file_kind``) and the checks of an input file are defined below the
readers, in ``dialect``; they are also reachable here, as ``io.file_kind`` and ``io.check_file``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from .cores import side_by_side
from .dialect import ReadOptions
from .dialect import check_file as check_file
from .dialect import file_kind as file_kind
from .errors import DataError
from .features.customers import read_customers
from .schema import resolve_name


def read_table(path: str | os.PathLike[str], encoding: str | None = None, *,
               delimiter: str | None = None, decimal: str | None = None,
               sheet: str | None = None, header_row: int | None = None,
               first_column_is_id: bool = False) -> pd.DataFrame:
    """Read a table the way ``custseg segment`` does: dialect detected, ids kept as text,
    numbers parsed (decimal commas, currency), missing tokens as missing.

    Raises :class:`DataError` with the fix for every common defect.
    """
    options = ReadOptions(encoding=encoding, delimiter=delimiter, decimal=decimal, sheet=sheet,
                          header_row=header_row)
    table = read_customers(path, options, resolve=resolve_name,
                           first_column_is_id=first_column_is_id)
    return table.frame.reset_index(drop=True)


def read_segments(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A segments.csv written by ``custseg segment``, given the file or its --out folder."""
    path = Path(path)
    path = path / "segments.csv" if path.is_dir() else path
    frame = read_table(path, first_column_is_id=True)
    missing = {"segment", "segment_name"} - set(frame.columns)
    if missing:
        raise DataError(f"'{path}' lacks column(s) {', '.join(sorted(missing))}; pass the --out "
                        "folder of custseg segment or its segments.csv")
    if frame.iloc[:, 0].duplicated().any():
        raise DataError(f"'{path}' lists a customer twice in its first (id) column; pass the "
                        "--out folder of custseg segment or its segments.csv")
    return frame


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; move it into place only if the block succeeds.

    Readers never see a half-written file: the rename is atomic on one filesystem. A target that
    is an existing folder, lies under a file or cannot be created, and a full disk, raise
    :class:`DataError` naming the path and the fix.
    """
    target = Path(target)
    check_output_file(target, probe=False)  # the mkstemp below is the probe
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                        dir=target.parent)
    except OSError as exc:
        raise write_error(target, exc) from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        try:
            yield tmp
        except OSError as exc:
            if not _disk_full(exc):
                raise
            raise write_error(target, exc) from None
        try:
            os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs are ordinary files
            os.replace(tmp, target)
        except OSError as exc:
            raise write_error(target, exc) from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


def check_output_file(target: str | os.PathLike[str], probe: bool = True) -> Path:
    """Fail early, with the fix, when ``target`` cannot be written as a file.

    Catches an existing folder, a path under a file and (with ``probe``: a temporary file is
    created and removed in the nearest existing folder) a place that takes no new files, such as
    a read-only disk or /proc. Creates nothing that stays. Call it before expensive work.
    """
    target = Path(target)
    if target.is_dir():
        raise DataError(f"output '{target}' is an existing folder; give the path of a file to "
                        f"write, e.g. '{target / 'output.csv'}'")
    if os.path.lexists(target) and not target.exists():
        raise DataError(f"output '{target}' is a broken link; remove it or choose another path")
    folder = existing_ancestor(target.parent)
    if not folder.is_dir():
        raise DataError(f"cannot write '{target}': '{folder}' is a file, not a folder; choose a "
                        "path under a folder")
    if probe:
        probe_folder(folder, target)
    return target


def existing_ancestor(path: Path) -> Path:
    """``path`` itself or its nearest ancestor that exists (as a file, folder or link)."""
    while not os.path.lexists(path) and path.parent != path:
        path = path.parent
    return path


def probe_folder(folder: Path, target: Path) -> None:
    """Create and remove a temporary file in ``folder``; DataError if that is impossible."""
    try:
        fd, name = tempfile.mkstemp(prefix=".custseg-probe-", dir=folder)
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        where = (f"cannot write in '{target}'" if folder == target else
                 f"cannot write '{target}': '{folder}' does not accept new files")
        raise DataError(f"{where} ({_reason(exc)}); choose a folder you can write to") from None


def write_error(target: Path, exc: OSError) -> DataError:
    """The one-line DataError for an output that could not be written."""
    fix = ("free some space or choose another disk" if _disk_full(exc)
           else "check that the path is a folder you can write to, or choose another")
    return DataError(f"could not write '{target}' ({_reason(exc)}); {fix}")


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


def _disk_full(exc: OSError) -> bool:
    import errno

    return exc.errno in {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


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
# ...except a sign followed only by digits, spaces, dots and parentheses: a phone number
# (+44 7700 900001) or a signed number. Such a "formula" can call no function and reference no
# cell, so it is data and is written exactly as read (ids included).
NUMBER_LIKE = r"[+-][0-9][0-9 ().]*"


def safe_for_spreadsheets(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells and headers that a spreadsheet would evaluate get a leading apostrophe.

    Applied to every CSV custseg writes (OWASP's advice for CSV injection): '=HYPERLINK(...)'
    is shown as text, never run. Numbers are untouched: -5 stays a number.
    """
    def neutral(value: object) -> object:
        if (isinstance(value, str) and value.startswith(FORMULA_STARTS)
                and not re.fullmatch(NUMBER_LIKE, value)):
            return "'" + value
        return value

    out = frame.rename(columns=lambda c: neutral(str(c)))
    for column in out.columns:
        values = out[column]
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            text = values.astype("string")
            # The first character decides; the pattern runs only on the few cells it flags.
            starts = text.str.slice(0, 1).isin(FORMULA_STARTS).fillna(False).to_numpy(bool)
            if not starts.any():
                continue
            flagged = text[starts]
            risky = np.zeros(len(text), dtype=bool)
            risky[np.flatnonzero(starts)] = ~flagged.str.fullmatch(NUMBER_LIKE).fillna(False)
            if risky.any():
                out[column] = values.where(~risky, "'" + text.astype(object))
    return out


def write_csv_chunk(frame: pd.DataFrame, handle: Any, header: bool) -> None:
    """Append a chunk to an open CSV (streaming writers), spreadsheet-safe like every CSV."""
    safe_for_spreadsheets(frame).to_csv(handle, index=False, header=header, lineterminator="\n")


PARALLEL_CSV_ROWS = 200_000  # from here, the rows are formatted in parts side by side


def _write_csv(frame: pd.DataFrame, target: Path | BinaryIO) -> None:
    # pyarrow's writer is ~7x faster than DataFrame.to_csv on a million rows.
    table = pa.Table.from_pandas(safe_for_spreadsheets(frame), preserve_index=False)
    parts = min(os.cpu_count() or 1, table.num_rows // PARALLEL_CSV_ROWS)
    if parts < 2:
        pacsv.write_csv(table, target, pacsv.WriteOptions(quoting_style="needed"))
        return
    # Formatting numbers is the cost and one writer uses one core; the parts are written
    # concatenated, the header only before the first: the same bytes as one writer's.
    bounds = np.linspace(0, table.num_rows, parts + 1).astype(int)

    def formatted(part: int) -> bytes:
        buffer = BytesIO()
        options = pacsv.WriteOptions(quoting_style="needed", include_header=part == 0)
        pacsv.write_csv(table.slice(bounds[part], bounds[part + 1] - bounds[part]), buffer,
                        options)
        return buffer.getvalue()

    chunks = side_by_side(formatted, range(parts))
    if isinstance(target, Path):
        with open(target, "wb") as handle:
            handle.writelines(chunks)
    else:
        target.writelines(chunks)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The bytes ``write_table`` writes to a .csv file (for downloads)."""
    buffer = BytesIO()
    _write_csv(frame, buffer)
    return buffer.getvalue()
