"""K-means on one machine with scikit-learn, fast on large tables.

The expensive part of K-means on a million rows is not the Lloyd iterations (milliseconds each)
but k-means++ seeding and restarts. So for large inputs we run the restarts on a sample and polish
the best sample solution with Lloyd iterations on every row; the basin is found cheaply and the
final partition is a true local optimum of the full data.

Sampling is by a seeded hash of each row's values, so the sample, and hence the result, does not
depend on the order of the rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans


@dataclass
class KMeansFit:
    centers: np.ndarray
    labels: np.ndarray
    inertia: float
    n_iter: int


def canonical_order(X: np.ndarray) -> np.ndarray:
    """Row indices sorting ``X`` lexicographically, so that fits ignore the input row order."""
    if X.shape[1] == 0:
        return np.arange(len(X))
    return np.lexsort(X.T[::-1])


def row_hashes(X: np.ndarray, seed: int = 0) -> np.ndarray:
    """A seeded 64-bit hash of each row's values (equal rows, equal hashes)."""
    hash_key = f"{seed % 10**16:016d}"
    return pd.util.hash_pandas_object(pd.DataFrame(X), index=False, hash_key=hash_key).to_numpy()


def count_distinct_rows(keys: np.ndarray) -> int:
    """Distinct rows, counted by their hashes (``row_hashes``)."""
    # Hashing is ~10x faster than np.unique(axis=0) on a million rows; a 64-bit collision
    # could only make the count one lower, which is harmless for the k checks it serves.
    return int(pd.unique(keys).size)


def order_free_sample(X: np.ndarray, size: int, keys: np.ndarray) -> np.ndarray:
    """Indices of the ``size`` rows with the smallest ``keys`` (seeded row hashes), in canonical
    order. Smaller samples are subsets of larger ones, and row order never matters."""
    if len(X) <= size:
        return canonical_order(X)
    chosen = np.argpartition(keys, size - 1)[:size]
    return chosen[canonical_order(X[chosen])]


def fit_kmeans(
    X: np.ndarray, k: int, seed: int, n_init: int = 10, max_iter: int = 300,
    init: np.ndarray | None = None,
) -> KMeansFit:
    """Best of ``n_init`` k-means++ runs on ``X`` (or Lloyd from ``init`` when given)."""
    if init is not None:
        model = KMeans(n_clusters=k, init=init, n_init=1, max_iter=max_iter, random_state=seed)
    else:
        model = KMeans(n_clusters=k, init="k-means++", n_init=n_init, max_iter=max_iter,
                       random_state=seed)
    model.fit(X)
    return KMeansFit(model.cluster_centers_, model.labels_.astype(np.int64),
                     float(model.inertia_), int(model.n_iter_))


def assign(X: np.ndarray, centers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest centre (ties to the lowest id) and the Euclidean distance to it, in chunks."""
    labels = np.empty(len(X), dtype=np.int64)
    distances = np.empty(len(X), dtype=np.float64)
    center_sq = (centers**2).sum(axis=1)
    step = 65_536
    for start in range(0, len(X), step):
        block = X[start:start + step]
        sq = (block**2).sum(axis=1)[:, None] - 2 * block @ centers.T + center_sq[None, :]
        np.maximum(sq, 0, out=sq)
        best = sq.argmin(axis=1)
        labels[start:start + step] = best
        distances[start:start + step] = np.sqrt(sq[np.arange(len(block)), best])
    return labels, distances
