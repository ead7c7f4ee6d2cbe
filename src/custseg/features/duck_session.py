"""The DuckDB session that reads a purchase history, and statements run within its memory.

DuckDB works within ``MEMORY_LIMIT_MB``, spilling to disk beyond it; a statement that cannot
finish so is run again with more (``execute_bounded``). The features (``transactions``) and the
product tables (``affinity``) both run their large statements here.
"""

from __future__ import annotations

import os
import tempfile

import duckdb

from ..sql import literal as _lit

# The memory DuckDB may hold (MB); its hash tables spill to disk beyond it. Ten million lines'
# distinct orders, products and lines (grouped as 64-bit hashes, ``feature_sql``) fit in it
# without spilling: at 1024 MB a tenth of a gigabyte spilled, and the whole run peaked at
# 1.35 GB either way; DuckDB's default (80% of RAM) took the process to 2.2 GB. A statement
# that cannot finish within it (each thread needs some memory for every hash table open at once)
# is run again with twice as much (``execute_bounded``).
MEMORY_LIMIT_MB = 1280


def connect() -> duckdb.DuckDBPyConnection:
    """A DuckDB session for a purchase history: bounded memory, spilling to a private folder
    under the system's temporary directory (DuckDB's default is ``.tmp`` in the current one)."""
    con = duckdb.connect()
    spill = os.path.join(tempfile.gettempdir(), f"custseg-duckdb-{os.getpid()}")
    con.execute(f"SET temp_directory = {_lit(spill)}")
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT_MB}MB'")
    # Results here are aggregates: no need to keep the order lines were read in.
    con.execute("SET preserve_insertion_order = false")
    return con


def execute_bounded(con: duckdb.DuckDBPyConnection, sql: str,
                    limit_mb: int | None = None) -> None:
    """Run a statement (one that makes a table) within ``limit_mb`` (default: the session's
    ``MEMORY_LIMIT_MB``) or, when DuckDB runs out of memory it cannot spill (each thread needs
    some for every hash table open at once), again with twice as much, up to 16 times."""
    base = limit_mb or MEMORY_LIMIT_MB
    factor = 1
    try:
        if base != MEMORY_LIMIT_MB:
            con.execute(f"SET memory_limit = '{base}MB'")
        while True:
            try:
                con.execute(sql)
                return
            except duckdb.OutOfMemoryException:
                if factor == 16:
                    raise
                factor *= 2
                con.execute(f"SET memory_limit = '{base * factor}MB'")
    finally:
        if base * factor != MEMORY_LIMIT_MB:
            con.execute(f"SET memory_limit = '{MEMORY_LIMIT_MB}MB'")
