"""Independent fits side by side, one per core, each on one thread.

The k sweep fits every k, and the bootstrap refits every k, independently of each other: each is
many small matrix operations, where BLAS and OpenMP threads inside one fit cost more in start-up
and barriers than they save (and wait for each other badly when other work shares the cores). So
the fits of different k run in parallel threads (numpy and scikit-learn release the GIL in their
loops), each limited to one BLAS/OpenMP thread. Every fit has its own seed and its own rows, so
the results do not depend on the number of cores or on which thread ran first; and with one
thread per fit, floating-point sums are added in the same order on any machine.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import cache
from typing import TypeVar

from threadpoolctl import ThreadpoolController

Item = TypeVar("Item")
Result = TypeVar("Result")


@cache
def threadpools() -> ThreadpoolController:
    # Built once: inspecting the loaded libraries takes ~10 ms, limiting them then ~50 us.
    return ThreadpoolController()


@contextmanager
def one_thread() -> Iterator[None]:
    """BLAS and OpenMP on one thread inside the block (process-wide, restored on leaving)."""
    with threadpools().limit(limits=1):
        yield


def side_by_side(work: Callable[[Item], Result], items: Sequence[Item]) -> list[Result]:
    """``[work(item) for item in items]``, run on up to one thread per core, each limited to one
    BLAS/OpenMP thread."""
    workers = min(len(items), os.cpu_count() or 1)
    with one_thread():
        if workers <= 1:
            return [work(item) for item in items]
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="custseg-fit") as pool:
            return list(pool.map(work, items))


__all__ = ["one_thread", "side_by_side", "threadpools"]
