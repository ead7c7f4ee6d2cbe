"""K-means on one machine: weighted scikit-learn fits on distinct rows, fast on large tables.

Duplicates are weights: customer tables often hold few distinct rows (RFM scores, Likert
answers), so every fit runs on the distinct prepared rows with their counts as
``sample_weight``. A million customers on a few hundred distinct points is then an exact fit
that takes milliseconds, and every index equals what the full data give.

The expensive part of K-means on a million distinct rows is not the Lloyd iterations
(milliseconds each) but k-means++ seeding and restarts. So when there are more distinct rows than
the fit sample, the restarts run on a sample and the best sample solution is polished with Lloyd
iterations on every distinct row: the basin is found cheaply and the final partition is a true
local optimum of the full data.

Samples draw customers, not distinct rows: each copy of a row has its own order-free key (the
row's seeded hash mixed with its occurrence number among identical rows), the copies with the
smallest keys are taken and collapsed back to distinct rows and counts. So a row held by 30% of
customers is about 30% of the sample, never all of it or none of it, and neither the sample nor
the result depends on the order of the rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans

from .cores import side_by_side, threadpools

KMEANS_TOL = 1e-4  # scikit-learn's default, relative to the mean feature variance
# Up to this many (distinct) rows a fit runs on one OpenMP thread: starting threads and meeting at
# barriers every Lloyd iteration costs more than the work (a 125-row fit took 0.4 s on two busy
# cores, 0.05 s on one). scikit-learn's results do not depend on the thread count.
ONE_THREAD_ROWS = 8192
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


@dataclass
class KMeansFit:
    centers: np.ndarray
    labels: np.ndarray  # of the rows fitted (distinct rows of a sample or of the whole table)
    inertia: float  # weighted: equal to the inertia of the customers those rows stand for
    n_iter: int
    # Set by the k sweep: the silhouette rows' distance sums by segment of this fit
    # (silhouette.distance_sums), from which the final silhouette is updated.
    silhouette_sums: np.ndarray | None = None
    # Set by the k sweep with bootstrap on: each segment's stability, in the order of centers.
    stability: np.ndarray | None = None


@dataclass(frozen=True)
class Weighted:
    """Distinct prepared rows and how many customers each stands for."""

    X: np.ndarray  # (m, d) float64
    weight: np.ndarray  # (m,) float64 holding whole counts
    index: np.ndarray  # (m,) position of each row in the table's distinct rows

    @property
    def customers(self) -> int:
        return int(self.weight.sum())


@dataclass(frozen=True)
class Distinct:
    """A prepared table as its distinct rows, in an order-free (hash) order."""

    X: np.ndarray  # (m, d) the distinct rows
    counts: np.ndarray  # (m,) int64 customers per distinct row
    inverse: np.ndarray  # (n,) the distinct row of each customer
    hashes: np.ndarray  # (m,) seeded uint64 hash of each distinct row

    @property
    def n_rows(self) -> int:
        return len(self.inverse)

    def everything(self) -> Weighted:
        """Every distinct row with its count, in hash order (for Lloyd from given centres)."""
        return Weighted(self.X, self.counts.astype(np.float64), np.arange(len(self.X)))

    def sample(self, size: int, at_least: int = 1) -> Weighted:
        """``size`` customers drawn order-free, as distinct rows with counts, sorted by value.

        Every distinct row when there are at most ``size`` of them (then nothing is sampled and
        every figure is exact), or when the sample would hold fewer than ``at_least`` rows.
        Smaller samples are subsets of larger ones.
        """
        m = len(self.X)
        weight = self.counts
        if m > size:
            row_of_copy, keys = self._copies
            chosen = np.argpartition(keys, size - 1)[:size]
            sampled = np.bincount(row_of_copy[chosen], minlength=m)
            if np.count_nonzero(sampled) >= at_least:
                weight = sampled
        index = np.flatnonzero(weight)
        # k-means++ draws depend on the order of the rows it is given: sorting by value makes
        # the restarts on a table without duplicates exactly those of a plain fit on its rows
        # sorted the same way (as custseg did before fitting distinct rows).
        index = index[canonical_order(self.X[index])]
        return Weighted(self.X[index], weight[index].astype(np.float64), index)

    @cached_property
    def _copies(self) -> tuple[np.ndarray, np.ndarray]:
        """The distinct row of each customer (copy) in hash order, and each copy's sampling key:
        the row's hash mixed with the copy's occurrence number among identical rows."""
        m = len(self.X)
        if m == self.n_rows:  # no duplicates: every occurrence number is 0
            return np.arange(m), _mix(self.hashes + _GOLDEN)
        starts = np.cumsum(self.counts) - self.counts
        row_of_copy = np.repeat(np.arange(m), self.counts)
        occurrence = np.arange(self.n_rows, dtype=np.uint64) - np.repeat(
            starts, self.counts).astype(np.uint64)
        return row_of_copy, _mix(self.hashes[row_of_copy] + (occurrence + np.uint64(1)) * _GOLDEN)


def canonical_order(X: np.ndarray) -> np.ndarray:
    """Row indices sorting ``X`` lexicographically, so that fits ignore the input row order."""
    if X.shape[1] == 0:
        return np.arange(len(X))
    return np.lexsort(X.T[::-1])


def segment_order(centers: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """The canonical numbering of segments: largest first, ties broken by the centroid
    coordinates (so seeds, threads and row order never renumber them)."""
    # np.lexsort's last key is the primary one.
    return np.lexsort(tuple(centers[:, j] for j in reversed(range(centers.shape[1])))
                      + (-np.asarray(sizes),))


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: turns structured 64-bit integers into well-spread keys."""
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def row_hashes(X: np.ndarray, seed: int = 0) -> np.ndarray:
    """A seeded 64-bit hash of each row's values (equal rows, equal hashes)."""
    hash_key = f"{seed % 10**16:016d}"
    return pd.util.hash_pandas_object(pd.DataFrame(X), index=False, hash_key=hash_key).to_numpy()


def distinct_rows(X: np.ndarray, seed: int = 0) -> Distinct:
    """The distinct rows of ``X`` with their counts, ordered by seeded hash (not by input order).

    Hashing rows and grouping the 64-bit keys is several times faster than
    ``np.unique(axis=0)`` on a million rows. Rows grouped together are checked to be equal, and
    on a hash collision (about 1 in 10^7 for a million distinct rows) we fall back to the exact,
    lexicographic ``np.unique``.
    """
    X = np.asarray(X, dtype=np.float64)
    hashes = row_hashes(X, seed)
    codes, uniques = pd.factorize(hashes)  # numbered by first appearance: depends on row order
    order = np.argsort(uniques)  # so renumber by hash (all different: no ties)
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    inverse = rank[codes]
    counts = np.bincount(inverse, minlength=len(order))
    rows = np.empty((len(order), X.shape[1]))
    rows[inverse] = X
    shared = counts[inverse] > 1
    if shared.any() and not np.array_equal(rows[inverse[shared]], X[shared]):
        rows, inverse, counts = np.unique(X, axis=0, return_inverse=True, return_counts=True)
        return Distinct(rows, counts.astype(np.int64), inverse.ravel().astype(np.int64),
                        row_hashes(rows, seed))
    return Distinct(rows, counts.astype(np.int64), inverse.astype(np.int64),
                    np.asarray(uniques)[order])


def _weighted_tol(data: Weighted) -> float:
    """The ``tol`` that makes scikit-learn's stopping rule that of the expanded data.

    KMeans scales ``tol`` by the mean unweighted variance of the rows it is given; the customers
    behind distinct rows have the weighted variance.
    """
    if len(data.X) < 2 or data.weight.max() == 1:
        return KMEANS_TOL
    plain = float(np.var(data.X, axis=0).mean())
    return KMEANS_TOL * weighted_variance(data.X, data.weight) / plain if plain > 0 \
        else KMEANS_TOL


def weighted_variance(X: np.ndarray, weight: np.ndarray) -> float:
    """The mean feature variance of the customers the weighted rows ``X`` stand for."""
    mean = np.average(X, axis=0, weights=weight)
    return float(np.average((X - mean) ** 2, axis=0, weights=weight).mean())


def fit_kmeans(
    data: Weighted, k: int, seed: int, n_init: int = 10, max_iter: int = 300,
    init: np.ndarray | None = None,
) -> KMeansFit:
    """Best of ``n_init`` weighted k-means++ runs (or Lloyd from ``init`` when given)."""
    random_state = seed % 2**32  # any non-negative seed; scikit-learn takes 32 bits
    tol = _weighted_tol(data)
    if init is not None:
        model = KMeans(n_clusters=k, init=init, n_init=1, max_iter=max_iter, tol=tol,
                       random_state=random_state)
    else:
        model = KMeans(n_clusters=k, init="k-means++", n_init=n_init, max_iter=max_iter,
                       tol=tol, random_state=random_state)
    if len(data.X) <= ONE_THREAD_ROWS:
        with threadpools().limit(limits=1, user_api="openmp"):
            model.fit(data.X, sample_weight=data.weight)
    else:
        model.fit(data.X, sample_weight=data.weight)
    return KMeansFit(model.cluster_centers_, model.labels_.astype(np.int64),
                     float(model.inertia_), int(model.n_iter_))


def fit_restarts(restart_rows: Weighted, rows: Weighted, k: int, seed: int, n_init: int,
                 max_iter: int) -> KMeansFit:
    """Best of ``n_init`` k-means++ runs on ``restart_rows`` (a sample of ``rows``), then
    Lloyd iterations on ``rows`` from its centres.

    Restarts only have to find the basin of the best solution, which a few thousand customers
    show as well as twenty thousand at a quarter of the cost; the Lloyd pass then settles it on
    every row. When the sample is all of ``rows`` this is the plain best-of-``n_init`` fit.
    """
    best = fit_kmeans(restart_rows, k, seed, n_init, max_iter)
    if len(restart_rows.X) == len(rows.X) and restart_rows.customers == rows.customers:
        return best
    return fit_kmeans(rows, k, seed, init=best.centers, max_iter=max_iter)


ASSIGN_BLOCK = 65_536  # rows per block of nearest-centre work (a 3 MB slice at 6 features)


def assign(X: np.ndarray, centers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest centre (ties to the lowest id) and the Euclidean distance to it, in blocks.

    More than one block: the blocks run side by side, one per core on one BLAS thread each. The
    products are thin (rows x features times features x k), where BLAS's own threads cost more
    than they do: a million customers took 0.9 s with them on a busy machine, 0.2 s without.
    """
    labels = np.empty(len(X), dtype=np.int64)
    distances = np.empty(len(X), dtype=np.float64)
    center_sq = (centers**2).sum(axis=1)

    def block(start: int) -> None:
        rows = X[start:start + ASSIGN_BLOCK]
        sq = (rows**2).sum(axis=1)[:, None] - 2 * rows @ centers.T + center_sq[None, :]
        np.maximum(sq, 0, out=sq)
        best = sq.argmin(axis=1)
        labels[start:start + ASSIGN_BLOCK] = best
        distances[start:start + ASSIGN_BLOCK] = np.sqrt(sq[np.arange(len(rows)), best])

    if len(X) <= ASSIGN_BLOCK:
        # Also what stability's refits call from the sweep's threads: no nested thread pools.
        block(0)
    else:
        side_by_side(block, range(0, len(X), ASSIGN_BLOCK))
    return labels, distances
