"""Engines: where the heavy work of a run happens, behind one small interface (``base.Engine``).

``local`` runs on this machine (DuckDB, scikit-learn); ``spark`` (extra ``[spark]``) runs the
purchase-history features and the full-data fit on a Spark cluster.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

from ..errors import param_error
from .base import Engine, EngineInfo, Progress, SegmentFiles

__all__ = ["Engine", "EngineInfo", "Progress", "SegmentFiles", "open_engine", "warm_up"]


def open_engine(name: str, master: str | None = None, conf: Mapping[str, str] | None = None,
                seed: int = 0) -> Engine:
    """The engine called ``name``; ``spark`` raises MissingExtraError without pyspark."""
    if name == "local":
        from .local import LocalEngine

        return LocalEngine()
    if name == "spark":
        from .spark import SparkEngine

        return SparkEngine(master, dict(conf or {}), seed)
    raise param_error("engine", "'local' or 'spark'", name)


def warm_up(name: str, master: str | None = None, conf: Mapping[str, str] | None = None) -> None:
    """Start the slow part of engine ``name`` on a thread now, for the run to find it ready.

    Spark's JVM and session take about 10 s to start, mostly waiting on the JVM, and the
    command line has 1-2 s of imports and checks to do before the run asks for the session:
    the two overlap. The run's own ``session`` call then joins the same session (pyspark's
    builder holds one lock while it creates it) or, if the start failed here, starts it again
    and reports what went wrong. The local engine has nothing slow to start.
    """
    if name != "spark":
        return

    def start() -> None:
        try:
            from .spark_columns import session

            session(master, dict(conf or {}))
        except BaseException:  # noqa: BLE001, S110 - the run's own start says what went wrong
            pass

    threading.Thread(target=start, name="custseg-spark-start", daemon=True).start()
