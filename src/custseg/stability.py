"""Is each segment real? Bootstrap stability of every segment, after Hennig's ``clusterboot``.

Method (Hennig 2007, "Cluster-wise assessment of cluster stability", Computational Statistics &
Data Analysis 52; R package fpc, ``clusterboot`` with ``bootmethod="boot"``): draw a bootstrap
resample of the customers, keep each drawn customer once, refit K-means with the same k on it,
and for every segment of the real fit take the Jaccard similarity |A ∩ B| / |A ∪ B| with the most
similar segment of the refit, both restricted to the customers in the resample. A segment's
stability is the mean over the resamples. Hennig's reading: a mean Jaccard of at least 0.85 is a
stable segment, 0.75 to 0.85 fairly stable, 0.6 to 0.75 a pattern but weak, below 0.6 unstable.

Customers are weighted rows (duplicates are counts, see ``kmeans``): keeping each drawn
customer once means every customer is in a resample with probability 1 - (1 - 1/n)^n (about
0.632), so a row shared by c customers contributes Binomial(c, that probability) of them. On large
tables the resamples are drawn from an order-free sample of ``STABILITY_SAMPLE`` customers: the
refits then cost the same at a million customers as at a few thousand. Stability on a sample is,
if anything, lower than on all customers (fewer customers, noisier refits), so it errs on the side
of caution.
"""

from __future__ import annotations

import numpy as np

from .kmeans import assign
from .kmeans_batch import fit_batch

DEFAULT_RUNS = 50
STABILITY_SAMPLE = 2000  # customers the resamples are drawn from on larger tables
REFIT_RESTARTS = 3  # k-means++ restarts per refit (clusterboot's kmeansCBI default is 1)
METHOD = ("bootstrap as in Hennig's clusterboot (R package fpc): refit K-means on resamples of "
          "the customers, each drawn customer once; a segment's stability is its mean Jaccard "
          "similarity with the most similar segment of each refit")
# Hennig's thresholds, highest first: (lowest mean Jaccard, label).
LABELS = ((0.85, "stable"), (0.75, "fairly stable"), (0.6, "weak"), (0.0, "unstable"))


def label(stability: float) -> str:
    """Hennig's word for a segment's mean Jaccard similarity."""
    return next(word for floor, word in LABELS if stability >= floor)


def reported(values: np.ndarray | None, segment_id: int) -> float | None:
    """A segment's stability as summary.json and model.json give it: 3 decimals; None when
    stability was off or the segment never appeared in a resample."""
    if values is None or np.isnan(values[segment_id]):
        return None
    return round(float(values[segment_id]), 3)


def resample_weights(counts: np.ndarray, runs: int, rng: np.random.Generator) -> np.ndarray:
    """(runs, m) customers of each row kept in each resample (each drawn customer once)."""
    n = int(counts.sum())
    kept = 1.0 - (1.0 - 1.0 / n) ** n if n > 1 else 1.0
    return rng.binomial(counts.astype(np.int64), kept, size=(runs, len(counts))).astype(
        np.float64)


class Bootstrap:
    """The resamples of one table, shared by every k judged (common random numbers: the same
    resamples for k=3 and k=5, so their stability differs by the segments, not the draws).

    The refits depend only on the resamples and k, not on the partition judged, so each k is
    refitted once and any partition with that k (the sweep's, the polished final one) is judged
    against the same refits.
    """

    def __init__(self, X: np.ndarray, counts: np.ndarray, runs: int, seed: int) -> None:
        self.X = X
        self.seed = seed
        self.customers = int(counts.sum())  # customers the resamples are drawn from
        self.weights = resample_weights(counts, runs, np.random.default_rng(seed))
        self._refits: dict[int, np.ndarray] = {}

    def refit_labels(self, k: int) -> np.ndarray:
        if k not in self._refits:
            rng = np.random.default_rng([self.seed, k])
            self._refits[k] = fit_batch(self.X, self.weights, k, rng,
                                        n_init=REFIT_RESTARTS).labels
        return self._refits[k]

    def stability(self, labels: np.ndarray, k: int) -> np.ndarray:
        """Mean best-match Jaccard of each of the ``k`` segments of ``labels`` (one per row of
        ``X``) over the refits. A segment absent from a resample (possible for a tiny one) is
        left out of that resample's mean, as in ``clusterboot``."""
        return mean_jaccard(labels, self.refit_labels(k), self.weights, k)

    def judge(self, centers: np.ndarray) -> np.ndarray:
        """Stability of each segment of a fit given by its ``centers``: each row of ``X`` in
        the segment of its nearest centre, as the fit assigns customers."""
        return self.stability(assign(self.X, centers)[0], len(centers))


def mean_jaccard(labels: np.ndarray, refit_labels: np.ndarray, weights: np.ndarray,
                 k: int) -> np.ndarray:
    """For every segment of ``labels``: mean over replicates of the weighted Jaccard with its
    best-matching segment of that replicate's ``refit_labels``."""
    runs = len(refit_labels)
    flat = ((np.arange(runs)[:, None] * k + labels[None, :]) * k + refit_labels).ravel()
    overlap = np.bincount(flat, weights=weights.ravel(), minlength=runs * k * k).reshape(
        runs, k, k)
    original = overlap.sum(axis=2)  # (runs, k) customers of each real segment in the resample
    refitted = overlap.sum(axis=1)  # (runs, k) customers of each refit segment
    union = original[:, :, None] + refitted[:, None, :] - overlap
    with np.errstate(invalid="ignore", divide="ignore"):
        jaccard = np.where(union > 0, overlap / union, 0.0)
    best = jaccard.max(axis=2)
    best[original == 0] = np.nan
    return np.nanmean(best, axis=0)
