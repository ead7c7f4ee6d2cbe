"""Do the customers form natural groups, or a continuum that segments merely cut?

Anchor: the gap statistic (Tibshirani, Walther & Hastie 2001, "Estimating the number of clusters
in a data set via the gap statistic", JRSS B 63). For each k, compare the log of the K-means
within-segment dispersion W_k of the customers with its mean over reference data sets drawn
uniformly in the box of the customers' principal components (the paper's reference (b), which
follows the shape of the data), on at most ``REFERENCE_ROWS`` customers:
Gap(k) = mean(log W*_k) - log W_k, with s_k the reference standard deviation times
sqrt(1 + 1/B).

The paper's rule, the first k with Gap(k) >= Gap(k+1) - s(k+1), answers "how many clusters" and
says k=1 on the Mall income x spending table, whose five groups are plain to the eye: there
two clusters explain little more than one (the groups sit in a ring around a middle group), so
the gap first dips and only then climbs. The question here is different: is there any k at which
the customers are markedly more grouped than structureless data of the same shape? So the
customers count as clustered when some k's gap exceeds Gap(1) by more than ``MARGIN`` standard
errors (of both) and by at least ``MIN_GAIN`` in log dispersion (a dispersion about 10% smaller,
relative to the reference, than at k=1). A single Gaussian cloud is less grouped than a uniform
box at every k (its gap falls as k grows), a uniform box is level, planted groups climb.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .cores import side_by_side
from .kmeans_batch import fit_batch

REFERENCES = 10  # uniform reference data sets (the paper uses 10 to 20)
REFERENCE_ROWS = 1000  # customers checked, and rows per reference set, at most
FEW_LEVELS = 50  # a column with at most this many values is a lattice (see dequantise)
MAX_K = 8
MARGIN = 2.0
MIN_GAIN = 0.1
RESTARTS = 3
# Lloyd iterations per fit: the dispersion is within a fraction of a percent of converged by
# then, far below the reference spread, and slow-converging uniform references stop paying.
ITERATIONS = 30
METHOD = ("gap statistic (Tibshirani, Walther & Hastie 2001) against uniform data in the "
          "principal-component box; clustered when some k's gap exceeds the gap at k=1 by more "
          f"than {MARGIN:g} standard errors and {MIN_GAIN:g}")


@dataclass(frozen=True)
class Structure:
    clustered: bool
    gap: list[float]  # Gap(k) for k = 1..len
    gap_se: list[float]  # s_k
    best_k: int  # the k whose gap rises most above Gap(1), in standard errors
    gain: float  # Gap(best_k) - Gap(1)
    rows: int  # customers the check was run on
    verdict: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "clustered": self.clustered,
            "method": METHOD,
            "figures": {
                "k": list(range(1, len(self.gap) + 1)),
                "gap": [round(g, 4) for g in self.gap],
                "gap_se": [round(s, 4) for s in self.gap_se],
                "best_k": self.best_k,
                "gain_over_k1": round(self.gain, 4),
                "references": REFERENCES,
                "customers_checked": self.rows,
            },
            "verdict": self.verdict,
        }


def log_dispersion(X: np.ndarray, weights: np.ndarray, ks: list[int], seed: int) -> np.ndarray:
    """(R, len(ks)) log of the mean within-segment squared distance of the best K-means fit, for
    replicates that share rows ``X`` (m, d) or have their own (R, m, d). The ks are fitted side
    by side, each with its own seeded generator (so the result does not depend on the cores)."""
    total = weights.sum(axis=1)

    def one(k: int) -> np.ndarray:
        if k == 1:
            mean = (weights[..., None] * X).sum(axis=-2) / total[:, None]
            spread = weights * ((X - mean[:, None, :]) ** 2).sum(axis=-1)
            inertia = spread.sum(axis=1)
        else:
            inertia = fit_batch(X, weights, k, np.random.default_rng([seed, k]),
                                n_init=RESTARTS, max_iter=ITERATIONS).inertia
        return np.log(np.maximum(inertia / total, 1e-300))

    # Largest k first: the slowest fits start first, so the cores finish together.
    by_k = dict(zip(sorted(ks, reverse=True), side_by_side(one, sorted(ks, reverse=True)),
                    strict=True))
    return np.stack([by_k[k] for k in ks], axis=1)


def reference_sets(X: np.ndarray, counts: np.ndarray, rows: int,
                   rng: np.random.Generator) -> np.ndarray:
    """(REFERENCES, rows, d) uniform draws in the box of the weighted principal components."""
    mean = np.average(X, axis=0, weights=counts)
    centred = (X - mean) * np.sqrt(counts)[:, None]
    _, _, axes = np.linalg.svd(centred, full_matrices=False)
    projected = (X - mean) @ axes.T
    low, high = projected.min(axis=0), projected.max(axis=0)
    uniform = rng.uniform(low, high, size=(REFERENCES, rows, len(low)))
    return uniform @ axes + mean


def customer_rows(X: np.ndarray, counts: np.ndarray, rows: int,
                  rng: np.random.Generator) -> np.ndarray:
    """At most ``rows`` customers drawn from distinct rows with counts, one row each, with
    columns of few values spread out (see ``dequantise``)."""
    customers = int(counts.sum())
    if customers > rows:
        drawn = rng.choice(len(X), size=rows, p=counts / customers)
    else:
        drawn = np.repeat(np.arange(len(X)), counts.astype(np.int64))
    return dequantise(X[drawn], rng)


def dequantise(X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Spread each value of a column with at most ``FEW_LEVELS`` values uniformly over the
    half-way points to its neighbours.

    Scores from 1 to 5, order counts and category indicators stack customers on a lattice, and
    K-means on a lattice beats a uniform reference at every k: without this, any survey table
    would read as "natural groups". Spread out, customers with the same score are no longer a
    group by themselves, while groups of scores (1-2 against 4-5) still stand apart.
    """
    spread = X.copy()
    for j in range(X.shape[1]):
        levels = np.unique(X[:, j])
        if not 2 <= len(levels) <= FEW_LEVELS:
            continue
        halfway = (levels[1:] + levels[:-1]) / 2
        low = np.concatenate([[2 * levels[0] - halfway[0]], halfway])
        high = np.concatenate([halfway, [2 * levels[-1] - halfway[-1]]])
        position = np.searchsorted(levels, X[:, j])
        spread[:, j] = rng.uniform(low[position], high[position])
    return spread


def check_structure(X: np.ndarray, counts: np.ndarray, seed: int) -> Structure:
    """The gap check on distinct prepared rows ``X`` with ``counts`` customers each."""
    rng = np.random.default_rng(seed)
    customers = customer_rows(X, counts, REFERENCE_ROWS, rng)
    n = len(customers)
    ks = list(range(1, max(2, min(MAX_K, len(X))) + 1))
    observed = log_dispersion(customers, np.ones((1, n)), ks, seed)[0]
    references = reference_sets(customers, np.ones(n), n, rng)
    simulated = log_dispersion(references, np.ones((REFERENCES, n)), ks, seed + 1)
    gap = simulated.mean(axis=0) - observed
    se = simulated.std(axis=0) * np.sqrt(1 + 1 / REFERENCES)
    rise = gap[1:] - gap[0]
    # Standard error of a difference of two gaps (treated as independent: conservative).
    spread = np.sqrt(se[1:] ** 2 + se[0] ** 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(spread > 0, rise / spread, np.inf * np.sign(rise))
    best = int(np.argmax(z))
    clustered = bool(z[best] > MARGIN and rise[best] >= MIN_GAIN)
    best_k = ks[best + 1]
    return Structure(clustered, gap.tolist(), se.tolist(), best_k, float(rise[best]), n,
                     verdict(clustered, best_k))


def verdict(clustered: bool, best_k: int) -> str:
    if clustered:
        return (f"The customers form natural groups: at k={best_k} they are markedly more "
                "grouped than structureless data of the same shape, so segments follow real "
                "gaps between customers.")
    return ("The customers form a continuum rather than natural groups: no k groups them "
            "markedly better than structureless data of the same shape. Segments still cut it "
            "into useful ranges for targeting, but their borders are drawn, not found.")
