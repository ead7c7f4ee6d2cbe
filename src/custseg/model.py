"""SegmentModel: K-means segmentation as a scikit-learn estimator.

``fit`` prepares the features (standardise, one-hot, optional log1p), chooses k when asked, runs
K-means with k-means++ and restarts, and numbers the segments canonically: largest first, ties
broken by centroid coordinates. So seeds, thread counts and row order never renumber segments.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from .engines.local import (
    KMeansFit,
    assign,
    count_distinct_rows,
    fit_kmeans,
    order_free_sample,
    row_hashes,
)
from .errors import DataError, param_error
from .prep import Preparer
from .select_k import KSelection, silhouettes, sweep

MAX_K = 50


def _frame_from(model: SegmentModel, X: Any, *, reset: bool) -> pd.DataFrame:
    """Validate ``X`` the scikit-learn way and return it as a frame with the training names."""
    if isinstance(X, pd.DataFrame) and not all(
        pd.api.types.is_numeric_dtype(X[c]) and not pd.api.types.is_bool_dtype(X[c])
        for c in X.columns
    ):
        # Mixed numeric/categorical frame: scikit-learn's validator would coerce everything to
        # float, so we keep the columns and check names ourselves.
        columns = [str(c) for c in X.columns]
        if reset:
            model.feature_names_in_ = np.asarray(columns, dtype=object)
            model.n_features_in_ = len(columns)
        if len(X) == 0:
            raise DataError("no customers to segment (0 rows); pass a table with rows")
        return X.reset_index(drop=True)
    array = validate_data(model, X, reset=reset, dtype="numeric", ensure_min_samples=1)
    names = getattr(model, "feature_names_in_", None)
    columns = [str(n) for n in names] if names is not None else [
        f"x{i}" for i in range(array.shape[1])]
    return pd.DataFrame(np.asarray(array, dtype=np.float64), columns=columns)


class SegmentModel(ClusterMixin, TransformerMixin, BaseEstimator):
    """K-means customer segmentation with k chosen from the data and canonical segment ids.

    Parameters
    ----------
    k : int or "auto"
        Number of segments; "auto" picks one in [k_min, k_max] by the rule in ``select_k``.
    k_min, k_max : int
        Range searched when ``k="auto"``.
    n_init : int
        k-means++ restarts; the best (lowest inertia) run is kept.
    seed : int
        Random seed; the same data and seed always give the same segments.
    log1p : "none", "auto" or list of column names
        Which numeric columns to log1p before standardising ("auto": skewed, non-negative ones).
    fit_sample : int
        Above this many rows, restarts run on an order-free sample and the best solution is
        polished with Lloyd iterations on all rows.
    silhouette_sample : int
        Rows used for silhouette (quadratic cost) when there are more.
    """

    def __init__(
        self, k: int | str = "auto", *, k_min: int = 2, k_max: int = 10, n_init: int = 10,
        max_iter: int = 300, seed: int = 0, log1p: str | list[str] = "none",
        fit_sample: int = 20_000, silhouette_sample: int = 10_000,
    ) -> None:
        self.k = k
        self.k_min = k_min
        self.k_max = k_max
        self.n_init = n_init
        self.max_iter = max_iter
        self.seed = seed
        self.log1p = log1p
        self.fit_sample = fit_sample
        self.silhouette_sample = silhouette_sample

    def _check_params(self) -> None:
        auto = isinstance(self.k, str) and self.k == "auto"
        is_int = isinstance(self.k, numbers.Integral) and not isinstance(self.k, bool)
        if not auto and not (is_int and 2 <= int(self.k) <= MAX_K):
            raise param_error("k", f"an int in [2, {MAX_K}] or 'auto'", self.k)
        for name, low in (("k_min", 2), ("k_max", 2), ("n_init", 1), ("max_iter", 1),
                          ("fit_sample", 100), ("silhouette_sample", 100)):
            value = getattr(self, name)
            if not isinstance(value, numbers.Integral) or value < low:
                raise param_error(name, f"an int >= {low}", value)
        if self.k_max < self.k_min:
            raise param_error("k_max", f"an int >= k_min ({self.k_min})", self.k_max)
        if not isinstance(self.seed, numbers.Integral) or self.seed < 0:
            raise param_error("seed", "a non-negative int", self.seed)

    def fit(self, X: Any, y: Any = None,
            on_progress: Callable[[str], None] | None = None) -> SegmentModel:
        """Prepare ``X``, choose k if asked, fit K-means and number segments canonically."""
        self._check_params()
        frame = _frame_from(self, X, reset=True)
        numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])
                   and not pd.api.types.is_bool_dtype(frame[c])]
        categorical = [c for c in frame.columns if c not in numeric]
        if frame[numeric].isna().any().any() or frame[categorical].isna().any().any():
            raise DataError("Input X contains NaN; impute or drop missing values before fitting "
                            "(custseg.segment does this with missing='impute')")
        self.preparer_ = Preparer.fit(frame, numeric, categorical, log1p=self.log1p)
        X_prep = self.preparer_.transform(frame)
        n_rows = len(X_prep)
        keys = row_hashes(X_prep, int(self.seed))
        n_distinct = count_distinct_rows(keys)
        seed = int(self.seed)
        # One order-free sample serves every silhouette of the fit.
        sil_rows = order_free_sample(X_prep, self.silhouette_sample, keys)
        if self.k == "auto":
            ks = self._k_range(n_rows, n_distinct)
            self.k_selection_: KSelection | None
            self.k_selection_, fits, rows = sweep(
                X_prep, ks, seed, self.n_init, self.fit_sample, keys, sil_rows,
                on_k=(lambda k: on_progress(f"k={k}")) if on_progress else None)
            k = self.k_selection_.recommended
            best = self._polish(X_prep, fits[k], rows, k, seed)
        else:
            k = int(self.k)
            self._check_k_fits(k, n_rows, n_distinct)
            self.k_selection_ = None
            rows = order_free_sample(X_prep, self.fit_sample, keys)
            best = self._polish(X_prep, fit_kmeans(X_prep[rows], k, seed, self.n_init), rows,
                                k, seed)
        self._set_canonical(best.centers, X_prep)
        self.n_iter_ = best.n_iter
        self.silhouette_ = silhouettes(X_prep[sil_rows], [self.labels_[sil_rows]])[0]
        return self

    def _k_range(self, n_rows: int, n_distinct: int) -> list[int]:
        if n_rows < self.k_min:
            raise DataError(f"only {n_rows} customer(s) (n_samples={n_rows}) but k_min is "
                            f"{self.k_min}; add customers or lower --k-min")
        if n_distinct < self.k_min:
            raise DataError(
                f"only {n_distinct} distinct customer(s) (rows with different feature values) but "
                f"k_min is {self.k_min}; add customers or features, or lower --k-min"
            )
        return list(range(self.k_min, min(self.k_max, n_distinct, MAX_K) + 1))

    @staticmethod
    def _check_k_fits(k: int, n_rows: int, n_distinct: int) -> None:
        if n_rows < k:
            raise DataError(f"k={k} needs at least {k} customers but there are only {n_rows} "
                            f"(n_samples={n_rows}); lower --k or add customers")
        if n_distinct < k:
            raise DataError(f"k={k} is more than the {n_distinct} distinct customers (rows with "
                            f"different feature values); use --k {max(n_distinct, 2)} or fewer")

    def _polish(self, X: np.ndarray, fit: KMeansFit, rows: np.ndarray, k: int,
                seed: int) -> KMeansFit:
        """A fit on the sample ``X[rows]`` polished by Lloyd iterations on every row."""
        if len(rows) == len(X):
            return fit  # the sample was every row
        return fit_kmeans(X, k, seed, init=fit.centers, max_iter=self.max_iter)

    def _set_canonical(self, centers: np.ndarray, X: np.ndarray) -> None:
        k = len(centers)
        # Labels are the nearest centre, exactly what predict() and scoring compute, so scoring
        # the training data always reproduces the training assignments.
        labels, distances = assign(X, centers)
        sizes = np.bincount(labels, minlength=k)
        # Sort by size (descending), then by centroid coordinates: np.lexsort's last key is primary.
        order = np.lexsort(tuple(centers[:, j] for j in reversed(range(centers.shape[1])))
                           + (-sizes,))
        rank = np.empty(k, dtype=np.int64)
        rank[order] = np.arange(k)
        self.cluster_centers_ = centers[order]
        self.labels_ = rank[labels]
        self.n_clusters_ = k
        self.segment_sizes_ = sizes[order]
        self.inertia_ = float((distances**2).sum())

    def reorder(self, order: list[int]) -> None:
        """Renumber segments: new id ``i`` is the segment at position ``order[i]`` (alignment)."""
        order_array = np.asarray(order)
        rank = np.empty_like(order_array)
        rank[order_array] = np.arange(len(order_array))
        self.cluster_centers_ = self.cluster_centers_[order_array]
        self.segment_sizes_ = self.segment_sizes_[order_array]
        self.labels_ = rank[self.labels_]

    def _prepared(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "cluster_centers_")
        return self.preparer_.transform(_frame_from(self, X, reset=False))

    def assign_frame(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Segment ids and distances for a customer table, tolerant the way scoring needs.

        Unlike ``predict`` (strict scikit-learn validation), extra columns are ignored, missing
        values take the training median/mode and unseen category levels only warn. Missing
        feature columns are a :class:`DataError` naming them.
        """
        check_is_fitted(self, "cluster_centers_")
        return assign(self.preparer_.transform(frame.reset_index(drop=True)),
                      self.cluster_centers_)

    def predict(self, X: Any) -> np.ndarray:
        """Segment id of each row: its nearest centroid."""
        return assign(self._prepared(X), self.cluster_centers_)[0]

    def transform(self, X: Any) -> np.ndarray:
        """Distance from each row to every centroid, as in ``sklearn.cluster.KMeans``."""
        prepared = self._prepared(X)
        diff = prepared[:, None, :] - self.cluster_centers_[None, :, :]
        return np.sqrt((diff**2).sum(axis=2))

    def fit_predict(self, X: Any, y: Any = None, **kwargs: Any) -> np.ndarray:
        return self.fit(X).labels_

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        return tags
