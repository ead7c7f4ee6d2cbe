"""A customer table read on its own thread while the command line loads the modelling code.

``custseg segment`` needs scikit-learn (its estimator base classes and KMeans, about 1.5 s of
imports) before it can validate the options and fit, and reading a large CSV is mostly DuckDB
work, which runs without holding Python's GIL. So the command starts the read first and imports
meanwhile (``bench/RESULTS.md`` has what it saves). The read writes nothing: a bad option still
fails before anything is written, and a read error surfaces where the pipeline would have raised
it, when the table is asked for.
"""

from __future__ import annotations

import os
import threading

import pandas as pd

from .clean import read_customer_table
from .dialect import ReadOptions
from .features.customers import CustomerTable


class EarlyRead:
    """``read_customer_table(data, options, id_col)``, started now on a thread."""

    def __init__(self, data: str | os.PathLike[str] | pd.DataFrame | None,
                 options: ReadOptions, id_col: str | None) -> None:
        self.options = options
        self.id_col = id_col
        self._table: CustomerTable | None = None
        self._error: BaseException | None = None
        # A daemon: a run that stops on a bad option does not wait for the read to finish.
        self._thread = threading.Thread(target=self._read, args=(data,), name="custseg-read",
                                        daemon=True)
        self._thread.start()

    def _read(self, data: str | os.PathLike[str] | pd.DataFrame | None) -> None:
        try:
            self._table = read_customer_table(data, self.options, self.id_col)
        except BaseException as exc:  # noqa: BLE001 - raised again in the caller by table()
            self._error = exc

    def table(self, options: ReadOptions, id_col: str | None) -> CustomerTable:
        """The table as read, once the read is done; its error if it failed. ``options`` and
        ``id_col`` are the run's own, which must be those the read started with."""
        if (options, id_col) != (self.options, self.id_col):
            raise ValueError("the early read used other read options than the run")
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._table is not None
        return self._table
