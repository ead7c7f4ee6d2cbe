"""Choosing k: sweep a range, score every partition four ways, recommend one and say why.

The rule (documented in the README): take the k with the highest silhouette, unless one of its
segments does not hold up in bootstrap refits (stability below ``FAIRLY_STABLE``, see
``stability``) while a k whose every segment does has a silhouette within
``SIMILAR_SILHOUETTE``: then the best of those. A silhouette alone rewards a partition that
scores well once; stability asks whether the same customers would be grouped together again. A k
whose silhouette is within ``SILHOUETTE_TOLERANCE`` of the pick is named in the reason as a near
tie, so the user can choose it knowingly. Calinski-Harabasz, Davies-Bouldin and the inertia elbow
are reported beside it, with a warning when they point elsewhere.

(An earlier rule preferred the smallest k within the tolerance. On planted five-group data it
picked k=4 at 0.503 over k=5 at 0.510, although inertia fell by a third from 4 to 5: the
tolerance hid real structure, so the pick is now the plain maximum.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from .cores import side_by_side
from .errors import DataError
from .kmeans import KMeansFit, Weighted, assign, fit_restarts
from .silhouette import distance_sums, silhouette_of
from .stability import Bootstrap
from .timings import stage
from .wording import spoken_list

SILHOUETTE_TOLERANCE = 0.01
TINY_SEGMENT_SHARE = 0.02
FAIRLY_STABLE = 0.75  # Hennig's lower bound of "fairly stable" (see stability.LABELS)
SIMILAR_SILHOUETTE = 0.05
# The ks shown beside the chosen one ("k in business terms", ``alternatives``): k-BELOW to
# k+ABOVE, among the ks swept. Splitting a segment is the usual next question, hence two above.
BELOW = 1
ABOVE = 2
# Which ks bootstrap stability judges: "contenders" (the ks the rule can choose, see
# ``contenders``, and then the ks shown beside the choice) or "all" (``custseg choose-k``).
STABILITY_KS = ("contenders", "all")
RULE = ("highest silhouette, unless a segment of that k is weak or unstable (bootstrap "
        f"stability below {FAIRLY_STABLE}) and a k with every segment at least fairly stable "
        f"has a silhouette within {SIMILAR_SILHOUETTE}: then the best of those (near ties within "
        f"{SILHOUETTE_TOLERANCE} are named in the reason)")


@dataclass
class KScore:
    k: int
    inertia: float
    silhouette: float
    calinski_harabasz: float
    davies_bouldin: float
    smallest_share: float
    stability_min: float | None = None  # least stable segment's bootstrap Jaccard (None: off)
    stability_mean: float | None = None


@dataclass
class KSelection:
    scores: list[KScore]
    recommended: int
    reason: str
    picks: dict[str, int]
    rule: str = RULE
    warnings: list[str] = field(default_factory=list)
    rows_scored: int = 0
    # The ks bootstrap stability judged (empty: stability off); the others cannot be chosen.
    stability_judged: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["scores"] = [
            {key: (round(v, 6) if isinstance(v, float) else v) for key, v in asdict(s).items()}
            for s in self.scores
        ]
        return data


def _cluster_means(X: np.ndarray, labels: np.ndarray, w: np.ndarray,
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Present segment ids, their weighted sizes and weighted means."""
    sizes = np.bincount(labels, weights=w)
    present = np.flatnonzero(sizes)
    sums = np.stack([np.bincount(labels, weights=w * X[:, j], minlength=len(sizes))
                     for j in range(X.shape[1])], axis=1)
    return present, sizes[present], sums[present] / sizes[present, None]


def calinski_harabasz(X: np.ndarray, labels: np.ndarray, w: np.ndarray) -> float:
    """``sklearn.metrics.calinski_harabasz_score`` of the data expanded by the weights ``w``."""
    present, sizes, means = _cluster_means(X, labels, w)
    n, k = float(w.sum()), len(present)
    if k < 2:
        return 1.0
    rank = np.full(int(labels.max()) + 1, -1)
    rank[present] = np.arange(k)
    extra = float((sizes * ((means - np.average(X, axis=0, weights=w)) ** 2).sum(axis=1)).sum())
    intra = float((w * ((X - means[rank[labels]]) ** 2).sum(axis=1)).sum())
    return 1.0 if intra == 0.0 else extra * (n - k) / (intra * (k - 1.0))


def davies_bouldin(X: np.ndarray, labels: np.ndarray, w: np.ndarray) -> float:
    """``sklearn.metrics.davies_bouldin_score`` of the data expanded by the weights ``w``."""
    present, sizes, means = _cluster_means(X, labels, w)
    rank = np.full(int(labels.max()) + 1, -1)
    rank[present] = np.arange(len(present))
    to_own = np.sqrt(((X - means[rank[labels]]) ** 2).sum(axis=1))
    intra = np.bincount(rank[labels], weights=w * to_own) / sizes
    between = np.sqrt(((means[:, None, :] - means[None, :, :]) ** 2).sum(axis=2))
    if np.allclose(intra, 0) or np.allclose(between, 0):
        return 0.0
    between[between == 0] = np.inf
    return float(np.max((intra[:, None] + intra[None, :]) / between, axis=1).mean())


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


def k_range(k_min: int, k_max: int, n_rows: int, n_distinct: int) -> list[int]:
    """The ks a sweep tries: k_min up to k_max, at most one per distinct customer."""
    if n_rows < k_min:
        raise DataError(f"only {n_rows} customer(s) (n_samples={n_rows}) but k_min is "
                        f"{k_min}; add customers or lower --k-min")
    if n_distinct < k_min:
        raise DataError(
            f"only {n_distinct} distinct customer(s) (rows with different feature values) but "
            f"k_min is {k_min}; add customers or features, or lower --k-min"
        )
    return list(range(k_min, min(k_max, n_distinct) + 1))


def check_k_fits(k: int, n_rows: int, n_distinct: int) -> None:
    """A DataError when a given k is more than the customers (or distinct customers)."""
    if n_rows < k:
        raise DataError(f"k={k} needs at least {k} customers but there are only {n_rows} "
                        f"(n_samples={n_rows}); lower --k or add customers")
    if n_distinct < k:
        raise DataError(f"k={k} is more than the {n_distinct} distinct customers (rows with "
                        f"different feature values); use --k {max(n_distinct, 2)} or fewer")


def sweep(
    fit_rows: Weighted, sil_rows: Weighted, ks: list[int], seed: int, n_init: int,
    max_iter: int, on_k: Callable[[int], None] | None = None,
    bootstrap: Bootstrap | None = None, restart_rows: Weighted | None = None,
    stability_ks: str = "contenders",
) -> tuple[KSelection, dict[int, KMeansFit]]:
    """Fit every k on the weighted rows ``fit_rows`` (restarts on ``restart_rows``, a sample
    of them, when given: ``fit_restarts``); return the selection and the fits. The ks are
    fitted, and judged for stability, side by side (``cores.side_by_side``).

    Inertia, Calinski-Harabasz, Davies-Bouldin and segment shares are those of the customers
    ``fit_rows`` stand for; silhouettes are taken on ``sil_rows``, each row assigned to its
    nearest centre of every k's fit. With every distinct row in both (no sampling), all of
    them equal what the full data give.

    With a ``bootstrap``, partitions are judged for stability (least stable segment and mean):
    with ``stability_ks="all"`` every k; by default only the ks the rule can choose
    (``contenders``), then the ks shown beside the choice (``neighbour_ks``). Bootstrap refits
    are most of the sweep's time, and a k whose silhouette is too far below the best cannot be
    chosen whatever its stability.
    """
    restarts = restart_rows or fit_rows
    fits = dict(zip(ks, side_by_side(
        lambda k: fit_restarts(restarts, fit_rows, k, seed, n_init, max_iter), ks), strict=True))
    for k in ks:
        if on_k:
            on_k(k)
    sil_labels = [assign(sil_rows.X, fits[k].centers)[0] for k in ks]
    sums = distance_sums(sil_rows.X, sil_labels, sil_rows.weight)
    sils = [silhouette_of(labels, part, sil_rows.weight)
            for labels, part in zip(sil_labels, sums, strict=True)]
    # Kept with each fit: the final silhouette is then an update, not a second pass.
    fits = {k: replace(fits[k], silhouette_sums=part) for k, part in zip(ks, sums, strict=True)}
    scores = []
    for k, sil in zip(ks, sils, strict=True):
        labels, w = fits[k].labels, fit_rows.weight
        scores.append(KScore(
            k=k, inertia=fits[k].inertia, silhouette=sil,
            calinski_harabasz=calinski_harabasz(fit_rows.X, labels, w),
            davies_bouldin=davies_bouldin(fit_rows.X, labels, w),
            smallest_share=float(np.bincount(labels, weights=w, minlength=k).min() / w.sum()),
        ))
    if bootstrap is None:
        return recommend(scores, rows_scored=fit_rows.customers), fits
    first = ks if stability_ks == "all" else [s.k for s in contenders(scores)]
    judged = _judge(bootstrap, fits, first)
    selection = recommend(_with_stability(scores, judged), rows_scored=fit_rows.customers)
    # The ks shown beside the choice are judged only now: which they are depends on the choice.
    judged |= _judge(bootstrap, fits, [k for k in neighbour_ks(selection.recommended, ks)
                                       if k not in judged])
    selection.scores = _with_stability(scores, judged)
    selection.stability_judged = sorted(judged)
    # Kept with each fit too: each segment's stability, for the view of k in business terms.
    return selection, {k: replace(fit, stability=judged.get(k)) for k, fit in fits.items()}


def neighbour_ks(k: int, swept: Sequence[int]) -> list[int]:
    """The ks beside ``k`` worth showing: k-BELOW to k+ABOVE, among those the sweep tried."""
    return [other for other in sorted(swept) if other != k and k - BELOW <= other <= k + ABOVE]


def contenders(scores: list[KScore]) -> list[KScore]:
    """The ks the rule can choose: silhouette within ``SIMILAR_SILHOUETTE`` of the best."""
    best = max(s.silhouette for s in scores)
    return [s for s in scores if s.silhouette >= best - SIMILAR_SILHOUETTE]


def _judge(bootstrap: Bootstrap, fits: dict[int, KMeansFit], ks: list[int]
           ) -> dict[int, np.ndarray]:
    """Each segment's stability for every k of ``ks``, side by side."""
    with stage("stability"):
        return dict(zip(ks, side_by_side(lambda k: bootstrap.judge(fits[k].centers), ks),
                        strict=True))


def _with_stability(scores: list[KScore], judged: dict[int, np.ndarray]) -> list[KScore]:
    """``scores`` with the least and mean stability of every judged k (others left None)."""
    return [replace(s, stability_min=float(np.nanmin(judged[s.k])),
                    stability_mean=float(np.nanmean(judged[s.k])))
            if s.k in judged else s for s in scores]


def _stable_choice(scores: list[KScore], best: KScore) -> tuple[KScore, str]:
    """The k to recommend and, when stability moved it off the best silhouette, why.

    Never a k with a weak or unstable segment when a k with every segment at least fairly
    stable has a silhouette within ``SIMILAR_SILHOUETTE`` of the best: of those, the highest
    silhouette.
    """
    if trusted(best):
        return best, ""
    steadier = [s for s in contenders(scores) if trusted(s)]
    if not steadier:
        return best, ""
    chosen = max(steadier, key=lambda s: s.silhouette)
    assert best.stability_min is not None and chosen.stability_min is not None
    return chosen, (
        f"k={best.k} has the highest silhouette ({best.silhouette:.3f}) but a segment that "
        f"does not hold up in bootstrap refits (stability {best.stability_min:.2f}, below "
        f"{FAIRLY_STABLE}); k={chosen.k} has a similar silhouette ({chosen.silhouette:.3f}, "
        f"within {SIMILAR_SILHOUETTE}) and every segment at least fairly stable (least "
        f"{chosen.stability_min:.2f})")


def trusted(score: KScore) -> bool:
    """Every segment at least fairly stable (or stability not measured)."""
    return score.stability_min is None or score.stability_min >= FAIRLY_STABLE


def recommend(scores: list[KScore], rows_scored: int) -> KSelection:
    best = max(scores, key=lambda s: s.silhouette)
    chosen, stability_reason = _stable_choice(scores, best)
    ks = [s.k for s in scores]
    picks = {
        "silhouette": best.k,
        "calinski_harabasz": max(scores, key=lambda s: s.calinski_harabasz).k,
        "davies_bouldin": min(scores, key=lambda s: s.davies_bouldin).k,
        "elbow": elbow(ks, [s.inertia for s in scores]),
    }
    runner_up = max((s for s in scores if s.k != chosen.k), key=lambda s: s.silhouette,
                    default=None)
    if stability_reason:
        reason = stability_reason
    else:
        reason = f"k={chosen.k} has the highest silhouette ({chosen.silhouette:.3f}"
        reason += (f"; next best k={runner_up.k} at {runner_up.silhouette:.3f})" if runner_up
                   else ")")
        if chosen.stability_min is not None:
            reason += f"; its least stable segment scores {chosen.stability_min:.2f}"
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
        reason += "; " + spoken_list([labels[a] for a in agree]) + verb
    warnings = []
    if differ:
        warnings.append("the indices disagree: " + ", ".join(
            f"{labels[name]} points to k={k}" for name, k in differ.items())
            + f"; the rule picks k={chosen.k}")
    if not trusted(chosen):
        warnings.append(
            f"at k={chosen.k} the least stable segment scores {chosen.stability_min:.2f} "
            f"(below {FAIRLY_STABLE}) and no k with every segment at least fairly stable has "
            f"a silhouette within {SIMILAR_SILHOUETTE}; treat the weak segments with care")
    if chosen.k == ks[-1] and len(ks) > 1:
        warnings.append(f"the pick is the largest k tried (k={chosen.k}); a larger --k-max may "
                        "score better")
    if chosen.smallest_share < TINY_SEGMENT_SHARE:
        warnings.append(f"at k={chosen.k} the smallest segment holds only "
                        f"{chosen.smallest_share:.1%} of customers; consider a smaller k")
    return KSelection(scores, chosen.k, reason + ".", picks, warnings=warnings,
                      rows_scored=rows_scored)
