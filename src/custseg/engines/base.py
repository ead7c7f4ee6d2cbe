"""The engine interface: what the pipeline asks of an engine, and what a result keeps of it.

An engine computes a purchase history's per-customer features, fits a model on the customer
table, and says how segment assignments are written. Everything else (cleaning, choosing k on a
sample, profiles, names, summary, report) is the same code for every engine.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from ..dialect import ReadOptions
    from ..features.transactions import HistoryFeatures
    from ..model import SegmentModel

Progress = Callable[[str], None]


@dataclass(frozen=True)
class SegmentFiles:
    """How an engine's segment assignments are written: ``segments.csv`` and/or
    ``segments.parquet`` partitioned by segment (one folder per segment, as Spark and Hive
    lay them out)."""

    csv: bool = True
    parquet_by_segment: bool = False

    def write_partitioned(self, assignments: pd.DataFrame, folder: Path) -> None:
        """segments.parquet into ``folder`` when this engine writes it (segments.csv is one
        of the rendered files)."""
        if self.parquet_by_segment:
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(assignments, preserve_index=False)
            pq.write_to_dataset(table, str(folder / "segments.parquet"),
                                partition_cols=["segment"])


@dataclass(frozen=True)
class EngineInfo:
    """What a result records about the engine that made it (summary.json ``engine``)."""

    name: str
    details: dict[str, str] = field(default_factory=dict)
    files: SegmentFiles = SegmentFiles()

    def to_dict(self) -> dict[str, str] | None:
        """None for the local engine (summary.json has no ``engine`` block then)."""
        return {"name": self.name, **self.details} if self.details else None


class Engine(Protocol):
    """The interface the pipeline uses; see ``local.LocalEngine`` and ``spark.SparkEngine``."""

    def history_features(self, source: Any, columns: Mapping[str, str | None], as_of: Any,
                         date_format: str | None, options: ReadOptions) -> HistoryFeatures:
        """Per-customer features of a purchase history (one row per customer)."""

    def fit(self, model: SegmentModel, X: pd.DataFrame, on_progress: Progress) -> np.ndarray:
        """Fit ``model`` on the clean customer table ``X`` (feature columns only); return the
        prepared matrix K-means saw (one row per row of ``X``), so nothing prepares it twice."""

    def info(self, customers: int) -> EngineInfo:
        """What the result records about this engine, and how it writes segments."""

    def close(self) -> None:
        """Release what the engine holds (temporary files, sessions it started)."""
