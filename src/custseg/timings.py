"""Where a run's time goes: named stages on a monotonic clock, recorded only when asked for.

``with stage("sweep"):`` marks a stage anywhere in the library; it costs nothing unless a
``record()`` block is active in the same context (``custseg segment --timings``, ``make bench``).
Stages nest, and time is charged to the innermost open stage only, so the figures of one run add
up to the time spent inside ``record()`` with no double counting: the k sweep's stability refits
count as "stability", not also as "sweep".
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

# The stages a segment run goes through, in pipeline order (what --timings prints).
STAGES = ("read", "features", "prepare", "sweep", "stability", "fit", "profile", "report",
          "write")
OTHER = "other"  # time inside record() but outside any stage


class Timings:
    """Seconds per stage of one run."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._open: list[str] = []
        self._since = time.perf_counter()

    def _charge(self) -> None:
        now = time.perf_counter()
        name = self._open[-1] if self._open else OTHER
        self.seconds[name] = self.seconds.get(name, 0.0) + now - self._since
        self._since = now

    def enter(self, name: str) -> None:
        self._charge()
        self._open.append(name)

    def leave(self) -> None:
        self._charge()
        self._open.pop()

    def finish(self) -> None:
        self._charge()

    def ordered(self) -> list[tuple[str, float]]:
        """(stage, seconds) in pipeline order; stages that did not run are left out."""
        names = [s for s in STAGES if s in self.seconds]
        names += sorted(s for s in self.seconds if s not in STAGES)
        return [(name, self.seconds[name]) for name in names]


_ACTIVE: ContextVar[Timings | None] = ContextVar("custseg_timings", default=None)


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Charge the time inside the block to ``name`` (when recording)."""
    timings = _ACTIVE.get()
    if timings is None:
        yield
        return
    timings.enter(name)
    try:
        yield
    finally:
        timings.leave()


@contextmanager
def record() -> Iterator[Timings]:
    """Record the stages run inside the block; the Timings are complete when it ends."""
    timings = Timings()
    token = _ACTIVE.set(timings)
    try:
        yield timings
    finally:
        timings.finish()
        _ACTIVE.reset(token)


__all__ = ["STAGES", "Timings", "record", "stage"]
