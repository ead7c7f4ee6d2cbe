"""The local engine: purchase-history features in DuckDB, K-means with scikit-learn."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..dialect import ReadOptions
from ..features.transactions import HistoryFeatures, customer_features
from ..model import SegmentModel
from .base import EngineInfo, Progress


class LocalEngine:
    def history_features(self, source: Any, columns: Mapping[str, str | None], as_of: Any,
                         date_format: str | None, options: ReadOptions) -> HistoryFeatures:
        return customer_features(source, dict(columns), as_of=as_of, date_format=date_format,
                                 options=options)

    def fit(self, model: SegmentModel, X: pd.DataFrame, on_progress: Progress) -> np.ndarray:
        return model.fit_steps(X, on_progress).prepared

    def info(self, customers: int) -> EngineInfo:
        return EngineInfo("local")

    def close(self) -> None:
        pass
