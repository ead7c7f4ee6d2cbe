"""Silhouettes of many labelings of one sample, and of a labeling a few rows away from one of them.

The O(n^2) part of a silhouette is, for every row, the sum of its distances to the rows of each
segment. ``distance_sums`` computes those sums for every labeling of the k sweep in one blocked
pass over the distances; ``silhouette_of`` turns one labeling's sums into the mean silhouette; and
``moved_sums`` updates the sums when only a few rows changed segment (the final Lloyd pass on all
customers moves a handful of the sample's rows across a boundary), with distances to those rows
only. The updated figure is the exact silhouette of the new labeling, at a cost proportional to
the rows that moved instead of a second quadratic pass.
"""

from __future__ import annotations

import numpy as np

from .cores import side_by_side

BLOCK = 1024  # rows of distances held at once: 10,000 rows cost 80 MB per block, not 800 MB
MOVED_LIMIT = 0.25  # above this share of rows moved, recomputing is as cheap as updating


def _augmented(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``left``, ``right`` with ``left[i] @ right[j]`` = |x_i|^2 - 2 x_i.x_j + |x_j|^2: the
    squared distances of a block come out of one matrix product, instead of a product and three
    passes over a block of 80 MB (the passes, not the arithmetic, were the silhouette's time)."""
    squared = (X * X).sum(axis=1)[:, None]
    ones = np.ones((len(X), 1))
    return (np.hstack([-2.0 * X, squared, ones]), np.ascontiguousarray(
        np.hstack([X, ones, squared]).T))


def _distances(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Euclidean distances of the rows of ``left`` to those of ``right`` (``_augmented``)."""
    d = left @ right
    np.maximum(d, 0, out=d)
    return np.sqrt(d, out=d)


def _membership(labels: np.ndarray, weights: np.ndarray, k: int) -> np.ndarray:
    members = np.zeros((len(labels), k))
    members[np.arange(len(labels)), labels] = weights
    return members


def distance_sums(X: np.ndarray, label_sets: list[np.ndarray],
                  weights: np.ndarray | None = None) -> list[np.ndarray]:
    """For each labeling, the (n, k) weighted sums of each row's distances to each segment, from
    one pass over the distances shared by all labelings (a row's distance to itself is 0).
    Blocks of rows run side by side, one per core."""
    X64 = np.ascontiguousarray(X, dtype=np.float64)
    n = len(X64)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    widths = [int(labels.max()) + 1 for labels in label_sets]
    offsets = np.concatenate([[0], np.cumsum(widths)]).astype(int)
    members = np.concatenate([_membership(labels, w, k)
                              for labels, k in zip(label_sets, widths, strict=True)], axis=1)
    left, right = _augmented(X64)
    sums = np.empty_like(members)

    def block(start: int) -> None:
        d = _distances(left[start:start + BLOCK], right)
        d[np.arange(len(d)), np.arange(start, start + len(d))] = 0.0
        sums[start:start + BLOCK] = d @ members

    side_by_side(block, range(0, n, BLOCK))
    return [sums[:, offsets[i]:offsets[i + 1]] for i in range(len(label_sets))]


def silhouette_of(labels: np.ndarray, sums: np.ndarray, weights: np.ndarray | None = None
                  ) -> float:
    """Mean silhouette of ``labels`` from its distance sums. ``weights`` (whole counts) make each
    row stand for that many identical customers: the result equals
    ``sklearn.metrics.silhouette_score`` on the expanded data, where a customer's duplicates are
    in its own segment at distance 0 (singletons score 0)."""
    n, k = sums.shape
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    rows = np.arange(n)
    counts = np.bincount(labels, weights=w, minlength=k)
    own = counts[labels]
    # A customer's own copy is not its neighbour: n_C - 1 others in its segment.
    a = sums[rows, labels] / np.maximum(own - 1, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / counts
    means[rows, labels] = np.inf
    means[:, counts == 0] = np.inf
    b = means.min(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = (b - a) / np.maximum(a, b)
    s[own == 1] = 0.0
    return float((np.nan_to_num(s) * w).sum() / w.sum())


def silhouettes(X: np.ndarray, label_sets: list[np.ndarray],
                weights: np.ndarray | None = None) -> list[float]:
    """Mean silhouette of several labelings of the same rows, in one pass over the distances."""
    sums = distance_sums(X, label_sets, weights)
    return [silhouette_of(labels, part, weights)
            for labels, part in zip(label_sets, sums, strict=True)]


def moved_sums(X: np.ndarray, weights: np.ndarray, sums: np.ndarray, before: np.ndarray,
               after: np.ndarray) -> np.ndarray | None:
    """The distance sums of labeling ``after``, from those of ``before`` (same segment ids):
    each moved row's weighted distances leave its old segment's column and join its new one.
    None when more than ``MOVED_LIMIT`` of the rows moved (recompute instead)."""
    moved = np.flatnonzero(before != after)
    k = max(sums.shape[1], int(after.max()) + 1)
    if moved.size > MOVED_LIMIT * len(X):
        return None
    updated = np.zeros((len(X), k))
    updated[:, :sums.shape[1]] = sums
    if moved.size:
        left, right = _augmented(np.ascontiguousarray(X, dtype=np.float64))
        d = _distances(left[moved], right).T  # (n, moved), as distance_sums computes them
        d[moved, np.arange(moved.size)] = 0.0
        d *= np.asarray(weights, dtype=np.float64)[moved][None, :]
        updated -= d @ _membership(before[moved], np.ones(moved.size), k)
        updated += d @ _membership(after[moved], np.ones(moved.size), k)
    return updated


__all__ = ["distance_sums", "moved_sums", "silhouette_of", "silhouettes"]
