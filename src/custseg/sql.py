"""SQL text written safely: identifiers and string literals, quoted by DuckDB's rules.

Column names come from users' files and may hold quotes, spaces or SQL words; every query that
names a column or embeds a path or pattern goes through these two functions.
"""

from __future__ import annotations


def ident(name: str) -> str:
    """A column or table name as a quoted identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A string as a single-quoted SQL literal."""
    return "'" + text.replace("'", "''") + "'"
