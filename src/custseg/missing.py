"""The tokens that mean "no value" in real exports, in one place for every reader.

Spreadsheets, databases and pandas write a missing cell in many ways; a reader that knew only the
empty cell would turn ``NA`` into a customer called "NA" or a category level. Every reader
(customer tables, purchase histories in DuckDB, the Spark engine) uses this list, compared after
trimming spaces and ignoring case, and counts the cells it treats as missing.
"""

from __future__ import annotations

MISSING_TOKENS: tuple[str, ...] = ("", "na", "n/a", "null", "none", "nan", "-", "#n/a", "nat")
# Text longer than this (trimmed) is no token: readers of millions of cells test the length
# before lowering and comparing.
LONGEST_TOKEN = max(len(token) for token in MISSING_TOKENS)


def is_missing_sql(expr: str) -> str:
    """A SQL condition (DuckDB and Spark) true when the text ``expr`` is missing."""
    tokens = ", ".join("'" + t.replace("'", "''") + "'" for t in MISSING_TOKENS)
    return f"(({expr}) IS NULL OR lower(trim({expr})) IN ({tokens}))"


def is_missing_quick_sql(text: str, trimmed: bool = False) -> str:
    """``is_missing_sql`` with the length tested first (DuckDB and Spark): only text as short
    as the longest token is lowered and compared, which on millions of cells is most of the
    cost (Spark lowers through ICU). The tokens are ASCII and lowering never shortens text, so
    longer text is none. ``trimmed``: ``text`` has no spaces around it (no trim to measure)."""
    length = f"length({text})" if trimmed else f"length(trim({text}))"
    return f"({text} IS NULL OR ({length} <= {LONGEST_TOKEN} AND {is_missing_sql(text)}))"
