"""Lists as a sentence says them, for every message, reason and report line that names several
things: "a", "a and b", "a, b and c" (or "... or c" for choices)."""

from __future__ import annotations

from collections.abc import Sequence


def spoken_list(words: Sequence[str], last: str = "and") -> str:
    """``words`` joined by commas, the last two by ``last`` ("and", "or")."""
    if len(words) < 2:
        return "".join(words)
    return ", ".join(words[:-1]) + f" {last} " + words[-1]
