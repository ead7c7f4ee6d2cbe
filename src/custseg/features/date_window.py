"""Which parsed purchase dates are used: those from 1970-01-01 (``EARLIEST``) to the as-of date,
or to today when none is given. Dates outside are left out and counted, never silently, and
the user is told (``date_notes``); a history with no usable date at all is an error naming why
(``no_dates_error``). How each value is parsed into a date is decided in ``dates``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ..errors import DataError
from .dates import DateReading

EARLIEST = dt.date(1970, 1, 1)


def window_counts_sql(day: str, limit: dt.date) -> tuple[str, str]:
    """SQL conditions on a parsed DATE: before 1970, and after ``limit`` (as-of or today)."""
    return (f"({day} < DATE '{EARLIEST}')", f"({day} > DATE '{limit}')")


def plausible_sql(day: str, limit: dt.date) -> str:
    """``day`` when within 1970-01-01 .. ``limit``, else NULL (left out and counted)."""
    return f"CASE WHEN {day} BETWEEN DATE '{EARLIEST}' AND DATE '{limit}' THEN {day} END"


def window_counts(early: int, late: int, given_as_of: dt.date | None) -> dict[str, int]:
    """The quality counts of dates outside the window: after the as-of date if one was given,
    else after today ("in the future")."""
    return {"lines_before_1970": int(early),
            "lines_after_as_of": int(late) if given_as_of else 0,
            "lines_in_future": 0 if given_as_of else int(late)}


def window_note(counts: Mapping[str, Any], limit: dt.date) -> str | None:
    """A note for the user when dates before 1970 or in the future were left out."""
    parts = []
    if counts.get("lines_before_1970"):
        parts.append(f"{counts['lines_before_1970']:,} line(s) dated before 1970-01-01")
    if counts.get("lines_in_future"):
        parts.append(f"{counts['lines_in_future']:,} line(s) dated after today ({limit})")
    if not parts:
        return None
    later = "; pass --as-of to use dates after today" if counts.get("lines_in_future") else ""
    return (" and ".join(parts) + " were left out as implausible (a wrong date column or "
            f"format?){later}")


def date_notes(reading: DateReading, counts: Mapping[str, Any], limit: dt.date) -> list[str]:
    """What to tell the user about the dates: the ambiguity warning, lines left out."""
    notes = [reading.warning] if reading.warning else []
    window = window_note(counts, limit)
    return notes + ([window] if window else [])


def no_dates_error(column: str, counts: Mapping[str, Any]) -> DataError:
    """No line has a usable date: say why (all missing, or all outside the window)."""
    parts = [f"{counts.get(k, 0):,} {label}" for k, label in (
        ("lines_without_date", "empty or missing"), ("lines_before_1970", "before 1970"),
        ("lines_in_future", "in the future"), ("lines_after_as_of", "after the as-of date"))
        if counts.get(k)]
    why = ", ".join(parts) if parts else "none could be read"
    return DataError(f"column '{column}' has no usable purchase dates ({why}); name the date "
                     "column with --date-col, or give --as-of / --date-format")


def today() -> dt.date:
    return dt.date.today()
