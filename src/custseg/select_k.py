"""Choosing k: sweep a range, score every partition four ways, recommend one and say why.

The rule (documented in the README): take the k with the highest silhouette. A k whose silhouette
is within ``SILHOUETTE_TOLERANCE`` of it is named in the reason as a near tie, so the user can
choose it knowingly. Calinski-Harabasz, Davies-Bouldin and the inertia elbow are reported beside
it, with a warning when they point elsewhere.

(An earlier rule preferred the smallest k within the tolerance. On planted five-group data it
picked k=4 at 0.503 over k=5 at 0.510, although inertia fell by a third from 4 to 5: the
tolerance hid real structure, so the pick is now the plain maximum.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score

from .engines.local import KMeansFit, assign, fit_kmeans, order_free_sample

SILHOUETTE_TOLERANCE = 0.01
TINY_SEGMENT_SHARE = 0.02
RULE = "highest silhouette (near ties within 0.01 are named in the reason)"


@dataclass
class KScore:
    k: int
    inertia: float
    silhouette: float
    calinski_harabasz: float
    davies_bouldin: float
    smallest_share: float


@dataclass
class KSelection:
    scores: list[KScore]
    recommended: int
    reason: str
    picks: dict[str, int]
    rule: str = RULE
    warnings: list[str] = field(default_factory=list)
    rows_scored: int = 0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["scores"] = [
            {key: (round(v, 6) if isinstance(v, float) else v) for key, v in asdict(s).items()}
            for s in self.scores
        ]
        return data


def silhouettes(X: np.ndarray, label_sets: list[np.ndarray]) -> list[float]:
    """Mean silhouette of several labelings of the same rows, in one pass over the distances.

    Equal to ``sklearn.metrics.silhouette_score`` (singletons score 0), but the O(n^2) distances
    are computed block by block in float64 and multiplied at once by every labeling's
    membership matrix, so the whole k sweep shares them and no n x n matrix is ever held
    (10,000 rows: 80 MB per block instead of 800 MB, and no page faults on a huge array).
    """
    X64 = np.ascontiguousarray(X, dtype=np.float64)
    n = len(X64)
    rows = np.arange(n)
    widths = [int(labels.max()) + 1 for labels in label_sets]
    offsets = np.concatenate([[0], np.cumsum(widths)])
    members = np.zeros((n, int(offsets[-1])))
    for labels, offset in zip(label_sets, offsets[:-1], strict=True):
        members[rows, offset + labels] = 1.0
    squared = (X64 * X64).sum(axis=1)
    sums = np.empty_like(members)
    step = 1024
    for start in range(0, n, step):
        block = X64[start:start + step]
        d = block @ X64.T
        d *= -2
        d += squared[start:start + step, None]
        d += squared[None, :]
        np.maximum(d, 0, out=d)
        np.sqrt(d, out=d)
        d[np.arange(len(block)), np.arange(start, start + len(block))] = 0.0
        sums[start:start + step] = d @ members
    results = []
    for labels, offset, k in zip(label_sets, offsets[:-1], widths, strict=True):
        part = sums[:, offset:offset + k]
        counts = members[:, offset:offset + k].sum(axis=0)
        own = counts[labels]
        a = part[rows, labels] / np.maximum(own - 1, 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = part / counts
        means[rows, labels] = np.inf
        means[:, counts == 0] = np.inf
        b = means.min(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            s = (b - a) / np.maximum(a, b)
        s[own == 1] = 0.0
        results.append(float(np.nan_to_num(s).mean()))
    return results


def elbow(ks: list[int], inertias: list[float]) -> int:
    """The k farthest below the straight line joining the first and last inertia (kneedle)."""
    if len(ks) < 3:
        return ks[0]
    x = (np.array(ks) - ks[0]) / (ks[-1] - ks[0])
    y = np.array(inertias)
    span = y[0] - y[-1]
    y = (y - y[-1]) / span if span > 0 else np.zeros_like(y)
    gap = (1 - x) - y
    return int(ks[int(np.argmax(gap))])


def sweep(
    X: np.ndarray, ks: list[int], seed: int, n_init: int, fit_sample: int, keys: np.ndarray,
    sil_rows: np.ndarray, on_k: Callable[[int], None] | None = None,
) -> tuple[KSelection, dict[int, KMeansFit], np.ndarray]:
    """Fit every k on (a sample of) ``X``; return the selection, the fits and the rows used.

    Silhouettes are taken on the rows ``sil_rows`` of ``X``, each assigned to its nearest centre
    of every k's fit.
    """
    rows = order_free_sample(X, fit_sample, keys)
    fitted_rows = X[rows]
    fits: dict[int, KMeansFit] = {}
    for k in ks:
        fits[k] = fit_kmeans(fitted_rows, k, seed, n_init)
        if on_k:
            on_k(k)
    sils = silhouettes(X[sil_rows], [assign(X[sil_rows], fits[k].centers)[0] for k in ks])
    scores = []
    for k, sil in zip(ks, sils, strict=True):
        labels = fits[k].labels
        scores.append(KScore(
            k=k, inertia=fits[k].inertia, silhouette=sil,
            calinski_harabasz=float(calinski_harabasz_score(fitted_rows, labels)),
            davies_bouldin=float(davies_bouldin_score(fitted_rows, labels)),
            smallest_share=float(np.bincount(labels, minlength=k).min() / len(labels)),
        ))
    return recommend(scores, rows_scored=len(rows)), fits, rows


def recommend(scores: list[KScore], rows_scored: int) -> KSelection:
    chosen = max(scores, key=lambda s: s.silhouette)
    ks = [s.k for s in scores]
    picks = {
        "silhouette": chosen.k,
        "calinski_harabasz": max(scores, key=lambda s: s.calinski_harabasz).k,
        "davies_bouldin": min(scores, key=lambda s: s.davies_bouldin).k,
        "elbow": elbow(ks, [s.inertia for s in scores]),
    }
    runner_up = max((s for s in scores if s.k != chosen.k), key=lambda s: s.silhouette,
                    default=None)
    reason = f"k={chosen.k} has the highest silhouette ({chosen.silhouette:.3f}"
    reason += f"; next best k={runner_up.k} at {runner_up.silhouette:.3f})" if runner_up else ")"
    near = [s for s in scores if s.k != chosen.k
            and s.silhouette >= chosen.silhouette - SILHOUETTE_TOLERANCE]
    if near:
        reason += ("; near tie with " + ", ".join(f"k={s.k}" for s in near)
                   + f" (within {SILHOUETTE_TOLERANCE})")
    agree = [name for name, k in picks.items() if name != "silhouette" and k == chosen.k]
    differ = {name: k for name, k in picks.items() if name != "silhouette" and k != chosen.k}
    labels = {"calinski_harabasz": "Calinski-Harabasz", "davies_bouldin": "Davies-Bouldin",
              "elbow": "the inertia elbow"}
    if agree:
        verb = " agree" if len(agree) > 1 else " agrees"
        names = [labels[a] for a in agree]
        joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        reason += "; " + joined + verb
    warnings = []
    if differ:
        warnings.append("the indices disagree: " + ", ".join(
            f"{labels[name]} points to k={k}" for name, k in differ.items())
            + f"; silhouette (the rule) picks k={chosen.k}")
    if chosen.k == ks[-1] and len(ks) > 1:
        warnings.append(f"the pick is the largest k tried (k={chosen.k}); a larger --k-max may "
                        "score better")
    if chosen.smallest_share < TINY_SEGMENT_SHARE:
        warnings.append(f"at k={chosen.k} the smallest segment holds only "
                        f"{chosen.smallest_share:.1%} of customers; consider a smaller k")
    return KSelection(scores, chosen.k, reason + ".", picks, warnings=warnings,
                      rows_scored=rows_scored)
