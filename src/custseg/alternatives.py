"""k in business terms: the recommended k beside its neighbours, as segments a manager reads.

For the k of the run and each neighbour (``select_k.neighbour_ks``: k-1 to k+2, among the ks
the sweep tried), each segment's name, customers, share of customers, share of revenue (purchase
histories with money) and bootstrap stability. So choosing 3, 4 or 5 segments reads as "who, how
many, how much revenue", not as silhouettes.

Nothing is refitted: a neighbour's segments are its sweep fit's centres (``select_k.sweep``,
kept as ``SegmentModel.sweep_fits_``) with every customer assigned to the nearest one on the
prepared data, named by ``profile.profile_segments``, the naming code of the main result. Its
stability is the sweep's bootstrap judgement of that fit. The run's own k is not computed here:
``chosen`` reads it from the main result's profiles, so its entry is the result's segments,
renamed ones included.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .cores import one_thread
from .kmeans import assign, segment_order
from .model import SegmentModel
from .profile import SegmentProfile, profile_segments
from .select_k import neighbour_ks
from .spread import QuietFeature


@dataclass(frozen=True)
class SegmentAtK:
    """One segment of one k, in business terms."""

    name: str
    customers: int
    share: float  # of all customers
    revenue_share: float | None  # of the total of ``monetary`` (None: no money in the data)
    stability: float | None  # mean bootstrap Jaccard (None: stability off or never seen)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "customers": self.customers,
                                "share": round(self.share, 6)}
        if self.revenue_share is not None:
            data["revenue_share"] = round(self.revenue_share, 6)
        data["stability"] = None if self.stability is None else round(self.stability, 3)
        return data


@dataclass(frozen=True)
class KAlternative:
    """The segments one k would give, largest first (the run's k: in its segments' order)."""

    k: int
    segments: tuple[SegmentAtK, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"k": self.k, "segments": [s.to_dict() for s in self.segments]}


def neighbours(model: SegmentModel, frame: pd.DataFrame, prepared: np.ndarray,
               roles: Mapping[str, str], quiet: Mapping[str, QuietFeature],
               revenue: np.ndarray | None) -> tuple[KAlternative, ...]:
    """The neighbouring ks' segments (none when k was given: there was no sweep).

    ``frame`` and ``prepared`` are the customers as the main result profiled them (features as
    cleaned, the matrix K-means saw); ``revenue`` is each customer's money, in the same order.
    """
    fits = model.sweep_fits_

    def one(k: int) -> KAlternative:
        labels, kept = _nearest(prepared, fits[k].centers)
        profiles = profile_segments(frame, prepared, labels, model.preparer_, roles, quiet,
                                    medians=False)
        stability = fits[k].stability
        return _alternative(profiles, labels, None if stability is None else stability[kept],
                            revenue)

    # One after the other on one BLAS thread: side by side (``cores.side_by_side``) was slower
    # on two cores (0.7 to 1.0 s against 0.55 s on 300,000 customers), as profiling is
    # mostly Python-held numpy calls on slices that fight over the GIL.
    with one_thread():
        return tuple(one(k) for k in neighbour_ks(int(model.n_clusters_), list(fits)))


def chosen(profiles: Sequence[SegmentProfile], labels: np.ndarray,
           stability: np.ndarray | None, revenue: np.ndarray | None) -> KAlternative:
    """The run's own k, read from its result: its segments' names and sizes as profiled,
    ``labels`` each customer's segment id, ``stability`` by segment id (``model.stability_``)."""
    return _alternative(profiles, labels, stability, revenue)


def revenue_of(assignments: pd.DataFrame, history: bool) -> np.ndarray | None:
    """Each customer's money (``monetary``, the history's total spend), or None for a
    customer table or a history without money: then segments have sizes only."""
    if not history or "monetary" not in assignments:
        return None
    return assignments["monetary"].to_numpy(dtype="float64")


def _alternative(profiles: Sequence[SegmentProfile], labels: np.ndarray,
                 stability: np.ndarray | None, revenue: np.ndarray | None) -> KAlternative:
    """``stability`` and ``labels`` by segment id, ``revenue`` by customer."""
    k = len(profiles)
    total = float(revenue.sum()) if revenue is not None else 0.0
    revenue_by_segment = (np.bincount(labels, weights=revenue, minlength=k) / total
                          if revenue is not None and total else None)
    return KAlternative(k, tuple(
        SegmentAtK(p.name, p.size, p.share,
                   None if revenue_by_segment is None else float(revenue_by_segment[p.id]),
                   None if stability is None else _finite(float(stability[p.id])))
        for p in profiles))


def in_k_order(chosen_k: KAlternative, others: Sequence[KAlternative]
                 ) -> list[dict[str, Any]]:
    """summary.json's ``k_alternatives``: every k shown, in increasing k (empty when k was
    given, so there is nothing to compare)."""
    if not others:
        return []
    return [a.to_dict() for a in sorted([chosen_k, *others], key=lambda a: a.k)]


def _nearest(prepared: np.ndarray, centers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each customer's segment, numbered largest first, and for each such segment the index
    of its centre in ``centers``. A centre nearest to no customer is left out, so profiles
    never see an empty segment."""
    # The assignment every other path makes (ties to the lowest id), so a neighbour's
    # customers are the ones scoring with that k's centres would give.
    raw, _ = assign(prepared, centers)
    sizes = np.bincount(raw, minlength=len(centers))
    # The main result's numbering, so that equal-sized segments come in the same order.
    kept = segment_order(centers, sizes)[: int((sizes > 0).sum())]
    rank = np.full(len(centers), -1)
    rank[kept] = np.arange(len(kept))
    return rank[raw], kept


def _finite(value: float) -> float | None:
    """A stability, or None for a segment that never appeared in a resample (NaN)."""
    return None if np.isnan(value) else float(value)
