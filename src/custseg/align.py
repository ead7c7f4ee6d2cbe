"""Stable segments over time: match a new fit's segments to an old model's by centroid.

Each new segment is placed in the old model's prepared space (its customers' features, prepared
the old way, averaged) and matched to the old centroids by optimal assignment (Hungarian
algorithm). A pair counts as the same segment when the centres are within ``MATCH_DISTANCE``
(standard deviations, Euclidean). Matched segments keep the old id when it exists in the new
numbering (ids stay 0..k-1) and always keep the old name; the rest are reported as new, and
unmatched old segments as vanished.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist

from .errors import DataError
from .model import SegmentModel

MATCH_DISTANCE = 1.0


@dataclass
class Alignment:
    order: list[int]                       # new id -> position in the fit's canonical order
    names: dict[int, str]                  # new id -> name kept from the old model
    matched: list[dict[str, Any]] = field(default_factory=list)
    new: list[int] = field(default_factory=list)
    vanished: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {"match_distance": MATCH_DISTANCE, "matched": self.matched, "new": self.new,
                "vanished": self.vanished}

    def warnings(self) -> list[str]:
        lines = [f"segment {n} is new: no segment of the old model lies within "
                 f"{MATCH_DISTANCE} of it" for n in self.new]
        lines += [f"old segment {v['old_id']} '{v['name']}' has no counterpart in this run"
                  for v in self.vanished]
        lines += [f"old segment {m['old_id']} '{m['name']}' continues as segment {m['new_id']}"
                  for m in self.matched if m["old_id"] != m["new_id"]]
        return lines


def match(model: SegmentModel, features: pd.DataFrame, old: SegmentModel) -> Alignment:
    """How to renumber ``model``'s segments (fitted on ``features``) to follow ``old``."""
    old_names = {s.name: s.kind for s in old.preparer_.specs}
    new_names = {s.name: s.kind for s in model.preparer_.specs}
    if old_names != new_names:
        raise DataError(
            f"--align-to model uses features {', '.join(old_names)} but this run uses "
            f"{', '.join(new_names)}; align only runs on the same features (pass --features)"
        )
    k = model.n_clusters_
    in_old_space = old.preparer_.transform(features.reset_index(drop=True))
    centres = np.vstack([in_old_space[model.labels_ == j].mean(axis=0) for j in range(k)])
    cost = cdist(centres, old.cluster_centers_)
    rows, cols = linear_sum_assignment(cost)
    pairs = [(int(j), int(i)) for j, i in zip(rows, cols, strict=True)
             if cost[j, i] <= MATCH_DISTANCE]
    new_id: dict[int, int] = {j: i for j, i in pairs if i < k}
    free = [x for x in range(k) if x not in new_id.values()]
    for j in range(k):
        if j not in new_id:
            new_id[j] = free.pop(0)
    order = [0] * k
    for position, ident in new_id.items():
        order[ident] = position
    old_labels = list(old.segment_names_)
    matched_old = {i for _, i in pairs}
    return Alignment(
        order=order,
        names={new_id[j]: old_labels[i] for j, i in pairs},
        matched=[{"old_id": i, "new_id": new_id[j], "name": old_labels[i],
                  "distance": round(float(cost[j, i]), 4)} for j, i in sorted(pairs)],
        new=sorted(new_id[j] for j in range(k) if j not in dict(pairs)),
        vanished=[{"old_id": i, "name": old_labels[i]} for i in range(len(old_labels))
                  if i not in matched_old],
    )
