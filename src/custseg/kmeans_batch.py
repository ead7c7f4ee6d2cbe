"""Many small weighted K-means fits at once, vectorised over the fits.

Bootstrap stability refits K-means 50 times per k, and the gap statistic fits K-means on a dozen
reference data sets: hundreds of fits of a few thousand rows each. Calling scikit-learn once per
fit costs more in call overhead and thread start-up than in arithmetic at that size, so these fits
run side by side as arrays: replicate r has its own weights over the rows (a bootstrap drawing
counts) and optionally its own rows (a reference data set). k-means++ seeding (one candidate per
step), then Lloyd iterations until the centres move less than scikit-learn's tolerance (a
replicate that has converged drops out of the arrays); each fit is repeated ``n_init`` times and
the lowest inertia kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_ITER = 100
TOLERANCE = 1e-4


@dataclass(frozen=True)
class BatchFit:
    labels: np.ndarray  # (R, m) nearest centre of every row in every replicate
    inertia: np.ndarray  # (R,) weighted within-segment sum of squares of each replicate
    centers: np.ndarray  # (R, k, d)


def fit_batch(X: np.ndarray, weights: np.ndarray, k: int, rng: np.random.Generator,
              n_init: int = 1, max_iter: int = MAX_ITER) -> BatchFit:
    """K-means with ``k`` centres for every replicate.

    ``X`` is (m, d), shared by all replicates, or (R, m, d); ``weights`` is (R, m) (a row with
    weight 0 is not in that replicate). The best of ``n_init`` seeded runs per replicate is kept.
    """
    replicates = len(weights)
    X = np.asarray(X, dtype=np.float32)
    repeated_X = X if X.ndim == 2 else np.repeat(X, n_init, axis=0)
    runs = _lloyd(repeated_X, np.repeat(weights, n_init, axis=0).astype(np.float32), k, rng,
                  max_iter)
    inertia = runs.inertia.reshape(replicates, n_init)
    best = np.arange(replicates) * n_init + inertia.argmin(axis=1)
    return BatchFit(runs.labels[best], runs.inertia[best], runs.centers[best])


def _squared_distances(X: np.ndarray, X_sq: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """(R, m, k) squared distances of every row to every centre of its replicate."""
    d2 = _nearest_scores(X, centers)
    d2 += X_sq[..., None]
    return np.maximum(d2, 0.0, out=d2)


def _nearest_scores(X: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """(R, m, k) squared distance minus the row's own squared norm: enough to find the nearest
    centre, and one pass over the big array cheaper."""
    replicates, k, d = centers.shape
    if X.ndim == 2:
        scores = _shared_scores(X, centers).transpose(1, 0, 2)
    else:
        scores = np.matmul(X, -2.0 * centers.transpose(0, 2, 1))
        scores += (centers**2).sum(axis=2)[:, None, :]
    return scores


def _shared_scores(X: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """(m, R, k) scores of rows shared by every replicate, from one matrix product for all
    replicates (a loop of tiny products is ten times slower)."""
    replicates, k, d = centers.shape
    scores = (X @ (-2.0 * centers).reshape(replicates * k, d).T).reshape(len(X), replicates, k)
    scores += (centers**2).sum(axis=2)[None, :, :]
    return scores


def _nearest(X: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """(R, m) nearest centre of every row, arg-minimised along contiguous memory."""
    if X.ndim == 2:
        return _shared_scores(X, centers).argmin(axis=2).T
    return _nearest_scores(X, centers).argmin(axis=2)


def _seed(X: np.ndarray, X_sq: np.ndarray, weights: np.ndarray, k: int,
          rng: np.random.Generator) -> np.ndarray:
    """k-means++: each next centre drawn with probability proportional to weight x squared
    distance to the nearest centre chosen so far."""
    replicates, m = weights.shape
    rows = np.broadcast_to(X, (replicates, *X.shape[-2:]))
    pick = np.arange(replicates)
    centers = np.empty((replicates, k, X.shape[-1]), dtype=X.dtype)
    chance = weights.copy()
    closest = None
    for j in range(k):
        totals = chance.sum(axis=1)
        # All weight on the centres already chosen (fewer distinct rows than k): any row will do.
        flat = totals <= 0
        if flat.any():
            chance[flat] = weights[flat]
            totals[flat] = chance[flat].sum(axis=1)
        cumulative = np.cumsum(chance, axis=1)
        draws = rng.random(replicates) * totals
        index = np.minimum((cumulative < draws[:, None]).sum(axis=1), m - 1)
        centers[:, j] = rows[pick, index]
        d2 = _squared_distances(X, X_sq, centers[:, j:j + 1])[..., 0]
        closest = d2 if closest is None else np.minimum(closest, d2)
        chance = weights * closest
    return centers


def _lloyd(X: np.ndarray, weights: np.ndarray, k: int, rng: np.random.Generator,
           max_iter: int) -> BatchFit:
    replicates, m = weights.shape
    d = X.shape[-1]
    shared = X.ndim == 2
    X_sq = (X**2).sum(axis=-1)
    centers = _seed(X, X_sq, weights, k, rng)
    # scikit-learn's stopping rule: centres moved less than 1e-4 of the mean feature variance.
    tolerance = TOLERANCE * float(np.mean(X.reshape(-1, d).var(axis=0)))
    active = np.arange(replicates)  # replicates still moving: converged ones cost nothing more
    for _ in range(max_iter):
        rows = X if shared else X[active]
        w = weights[active]
        labels = _nearest(rows, centers[active])
        moved = _means(rows, w, labels, centers[active])
        shift = ((moved - centers[active]) ** 2).sum(axis=(1, 2))
        centers[active] = moved
        active = active[shift > tolerance]
        if not active.size:
            break
    d2 = _squared_distances(X, X_sq, centers)
    labels = d2.argmin(axis=2)
    inertia = (weights * np.take_along_axis(d2, labels[..., None], axis=2)[..., 0]).sum(axis=1)
    return BatchFit(labels, inertia, centers)


def _means(X: np.ndarray, weights: np.ndarray, labels: np.ndarray,
           centers: np.ndarray) -> np.ndarray:
    """Weighted mean of each segment's rows; an emptied segment keeps its centre (it can win
    rows back in the next iteration)."""
    replicates, k, d = centers.shape
    flat = (labels + (np.arange(replicates) * k)[:, None]).ravel()
    sizes = np.bincount(flat, weights=weights.ravel(), minlength=replicates * k)
    if X.ndim == 2:
        # Segment sums of all replicates as one product: a (R*k, m) matrix of each row's weight
        # in its segment times the shared rows.
        m = len(X)
        membership = np.zeros(replicates * k * m, dtype=X.dtype)
        membership[flat * m + np.tile(np.arange(m), replicates)] = weights.ravel()
        sums = membership.reshape(replicates * k, m) @ X
    else:
        sums = np.stack([np.bincount(flat, weights=(weights * X[..., j]).ravel(),
                                     minlength=replicates * k) for j in range(d)], axis=1)
    moved = centers.reshape(replicates * k, d).copy()
    filled = sizes > 0
    moved[filled] = sums[filled] / sizes[filled, None]
    return moved.reshape(replicates, k, d)
