"""The first scan of a CSV/TSV file: the read that surfaces the file's own problems.

``sources`` opens a text file as views over DuckDB's reader; nothing is read until a query
runs. The first read finds lines with more fields than the header (``finish_scan`` refuses the
file, naming the first), turns the reader's errors into one-line DataErrors and, for a file
whose quoted cells hold line breaks, switches to one thread and reads again (``scanning``,
``Reread``). ``sources`` makes that scan itself, or leaves it to the caller's own first read
(``PendingScan``) so that the file is read once less; ``settle`` makes it when the caller
stopped before its own.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from .dialect import read_error
from .errors import DataError

T = TypeVar("T")


@dataclass
class PendingScan:
    """What the first scan of a text file checks, left to the caller's own first scan so that
    the file is read once less: it reads ``raw_all`` (``raw`` and a few spare columns) and
    counts the lines where ``extra`` holds (fields past the header), then calls
    ``finish_scan``; read errors in it go through ``scanning``."""

    path: Path
    kind: str
    extra: str          # SQL over raw_all: the line has more fields than the header
    header_row: int
    width: int          # fields in the header
    view: str           # the statement creating raw_all (parallel=true)
    serial: bool = False  # raw_all was made again with parallel=false


@contextlib.contextmanager
def scanning(con: duckdb.DuckDBPyConnection, pending: PendingScan | None) -> Iterator[None]:
    """Around the first reads of a text file: its reading errors as one-line DataErrors; a file
    whose quoted cells hold line breaks, which DuckDB's parallel scanner cannot read, switches
    to one thread, and the block raises ``Reread`` so that the caller reads it again."""
    if pending is None:
        yield
        return
    try:
        yield
    except duckdb.Error as exc:
        # The reader's errors (DuckDB raises some as the plain Error); others are not the file's.
        if not (type(exc) is duckdb.Error
                or isinstance(exc, (duckdb.InvalidInputException, duckdb.IOException))):
            raise
        if "quoted new line" in str(exc).lower() and not pending.serial:
            pending.serial = True
            con.execute(pending.view.replace("parallel=true", "parallel=false"))
            raise Reread from None
        raise read_error(pending.path, pending.kind, exc) from None


class Reread(Exception):  # noqa: N818 - a signal, not an error
    """The text file was reopened with one thread: read it again."""


def finish_scan(con: duckdb.DuckDBPyConnection, pending: PendingScan | None,
                extra_lines: int) -> None:
    """After the first scan: refuse a file with ``extra_lines`` lines with more fields than its
    header, naming the first."""
    if pending is None or not extra_lines:
        return
    line = con.execute(f"SELECT min(_line) FROM (SELECT row_number() OVER () + "
                       f"{pending.header_row} AS _line, * FROM raw_all) "
                       f"WHERE {pending.extra}").fetchone()
    assert line is not None
    raise DataError(f"file '{pending.path}' line {line[0]} has more fields than its header "
                    f"({pending.width}); check the delimiter (--delimiter) and quoting, "
                    "or name the extra column in the header")


def settle(con: duckdb.DuckDBPyConnection, pending: PendingScan | None) -> None:
    """The first scan of a text file opened with ``scan=False`` (``Source.pending``), when the
    caller stopped before its own: what that scan finds wrong with the file is said first, as
    by ``open_source``."""
    if pending is None:
        return
    row = first_scan_row(con, pending, f"SELECT count(*) FILTER (WHERE {pending.extra}) "
                                       "FROM raw_all")
    finish_scan(con, pending, int(row[0]))


def first_scan_row(con: duckdb.DuckDBPyConnection, pending: PendingScan, sql: str
                   ) -> tuple[Any, ...]:
    """The one row of ``sql``, a first scan of the text file ``pending`` (``first_read``)."""
    row = first_read(con, pending, lambda: con.execute(sql).fetchone())
    assert row is not None
    return row


def first_read(con: duckdb.DuckDBPyConnection, pending: PendingScan | None,
               read: Callable[[], T]) -> T:
    """``read()``, the first reads of the text file ``pending`` (none for a typed file): done
    again with one thread when its quoted cells hold line breaks (``scanning``)."""
    while True:
        try:
            with scanning(con, pending):
                return read()
        except Reread:
            continue
