"""Engines: where the heavy work of a run happens, behind one small interface (``base.Engine``).

``local`` runs on this machine (DuckDB, scikit-learn); ``spark`` (extra ``[spark]``) runs the
purchase-history features and the full-data fit on a Spark cluster.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import param_error
from .base import Engine, EngineInfo, Progress, SegmentFiles

__all__ = ["Engine", "EngineInfo", "Progress", "SegmentFiles", "open_engine"]


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
