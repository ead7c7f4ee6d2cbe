"""What each segment is: figures per feature, what sets it apart, a name, a description, an action.

Names come from the centroid and the features' roles (``roles``): a feature is "high" when the
segment's mean sits at least ``NOTABLE_Z`` standard deviations above all customers, "very high"
from ``STRONG_Z``, "average" within ``NOTABLE_Z``, and each role says it in its own words
(recency high = "lapsed", frequency high = "frequent", income high = "high income"). So a name
can never contradict its centroid, and it follows the segment, not its number.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .playbook import play_for
from .prep import FeatureSpec, Preparer
from .roles import NOTABLE_Z, ROLE_WORDS, FeatureProfile, friendly, level_word, resolve_roles, term
from .spread import QuietFeature, quiet_features

NAME_TERMS = 2
RFM_ROLES = ("recency", "frequency", "monetary")


@dataclass(frozen=True)
class SegmentProfile:
    id: int
    name: str
    size: int
    share: float
    features: list[FeatureProfile]
    distinguishing: list[str]
    description: str
    action: str
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["profile"] = {f.feature: _rounded({k: v for k, v in asdict(f).items()
                                                 if k != "feature" and v is not None})
                           for f in self.features}
        del data["features"]
        data["share"] = round(self.share, 6)
        return data


def _rounded(values: dict[str, Any]) -> dict[str, Any]:
    return {k: round(v, 6) if isinstance(v, float) else v for k, v in values.items()}


def profile_segments(
    frame: pd.DataFrame, prepared: np.ndarray, labels: np.ndarray, preparer: Preparer,
    roles: Mapping[str, str] | None = None,
    quiet: Mapping[str, QuietFeature] | None = None, medians: bool = True,
) -> list[SegmentProfile]:
    """Per-segment statistics, names (unique within the run), descriptions and actions.

    ``roles`` gives the role of some or all features (``roles.ROLES``); the others are detected
    from their names, and unknown roles or columns raise as in ``roles.resolve_roles``.
    ``quiet`` are the features that barely vary (``spread.quiet_features``, computed here when
    not given): they keep their figures but name nothing, describe nothing and fire no play.
    ``medians=False`` leaves each feature's median out (None): names, descriptions and plays do
    not read it, and it is most of the time on large tables (``alternatives`` profiles three
    more ks only to name them).
    """
    k = int(labels.max()) + 1
    n = len(labels)
    role_of = resolve_roles([s.name for s in preparer.specs], roles)
    numeric = [s for s in preparer.specs if s.kind == "numeric"]
    if quiet is None:
        quiet = quiet_features(frame, [s.name for s in numeric])
    categorical = [s for s in preparer.specs if s.kind == "categorical"]
    sizes = np.bincount(labels, minlength=k)
    raw = np.column_stack([frame[s.name].to_numpy(dtype="float64") for s in numeric]
                          ) if numeric else np.empty((n, 0))
    overall = raw.mean(axis=0)
    # Numeric features are the first columns of the prepared matrix, in spec order.
    means, z, middle = _numeric_figures(raw, prepared[:, :len(numeric)], labels, sizes, medians)
    texts = {spec.name: frame[spec.name].astype(str).to_numpy() for spec in categorical}
    per_segment: list[list[FeatureProfile]] = []
    for seg in range(k):
        items = [FeatureProfile(spec.name, "numeric", mean=float(means[seg, j]),
                                median=None if middle is None else float(middle[seg, j]),
                                overall_mean=float(overall[j]), z=float(z[seg, j]),
                                role=role_of[spec.name])
                 for j, spec in enumerate(numeric)]
        members = labels == seg
        for spec in categorical:
            best = _categorical_profile(texts[spec.name], members, spec, role_of[spec.name])
            if best is not None:
                items.append(best)
        per_segment.append(items)
    # What names, descriptions and plays may read: every feature but the quiet ones.
    telling = [[f for f in items if f.feature not in quiet] for items in per_segment]
    names = _unique_names(telling)
    profiles = []
    for seg, items in enumerate(per_segment):
        size = int(sizes[seg])
        ranked = sorted(telling[seg], key=lambda f: -abs(f.z))
        distinguishing = [f.feature for f in ranked if abs(f.z) >= NOTABLE_Z]
        play = play_for(telling[seg])
        profiles.append(SegmentProfile(
            seg, names[seg], size, size / n, items, distinguishing,
            describe(size, size / n, ranked), " ".join(play.actions[:2]),
            {"playbook": play.to_dict()},
        ))
    return profiles


def _numeric_figures(raw: np.ndarray, prepared: np.ndarray, labels: np.ndarray,
                     sizes: np.ndarray, medians: bool
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(k, features) means of the ``raw`` values and of the ``prepared`` ones (the z-scores),
    and the medians when asked (else None)."""
    k, columns = len(sizes), raw.shape[1]
    if not medians:
        # Means alone need no grouping: weighted counts, one pass over each column.
        with np.errstate(invalid="ignore", divide="ignore"):
            return (np.column_stack([np.bincount(labels, raw[:, j], k) / sizes
                                     for j in range(columns)]).reshape(k, columns),
                    np.column_stack([np.bincount(labels, prepared[:, j], k) / sizes
                                     for j in range(columns)]).reshape(k, columns), None)
    # Medians need each segment's values together: customers grouped by segment once (a stable
    # sort), so each segment's values are a slice rather than a masked copy.
    order = np.argsort(labels, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    grouped, grouped_z = raw[order], prepared[order]
    means, z, middle = (np.full((k, columns), np.nan) for _ in range(3))
    for seg in range(k):
        rows = slice(bounds[seg], bounds[seg + 1])
        for j in range(columns if bounds[seg + 1] > bounds[seg] else 0):
            means[seg, j] = grouped[rows, j].mean()
            z[seg, j] = grouped_z[rows, j].mean()
            middle[seg, j] = np.median(grouped[rows, j])
    return means, z, middle


def _categorical_profile(text: np.ndarray, members: np.ndarray, spec: FeatureSpec,
                         role: str) -> FeatureProfile | None:
    """The level whose share in the segment stands out most against all customers (``text``:
    every customer's value as text)."""
    best: FeatureProfile | None = None
    for level in spec.categories:
        overall = float((text == level).mean())
        inside = float((text[members] == level).mean())
        spread = np.sqrt(overall * (1 - overall)) or 1.0
        candidate = FeatureProfile(spec.name, "categorical", z=(inside - overall) / spread,
                                   level=level, share=inside, overall_share=overall, role=role)
        if best is None or candidate.z > best.z:
            best = candidate
    return best


def _subject(f: FeatureProfile) -> tuple[str, str]:
    """What a name's term talks about: a role with its own words speaks once per name
    ("frequent" from frequency or total_items, not both); other features each by their noun."""
    if f.kind == "numeric" and f.role in ROLE_WORDS:
        return (f.role, "")
    return (f.role, f.feature)


def _speaks_rfm(items: list[FeatureProfile]) -> bool:
    """A purchase-behaviour table: it has a recency or frequency feature."""
    return any(f.kind == "numeric" and f.role in ("recency", "frequency") for f in items)


def _name_order(items: list[FeatureProfile], rfm_first: bool) -> list[FeatureProfile]:
    """In a purchase-behaviour table notable recency, frequency and spend lead in RFM order
    ("recent, frequent, high spend"); every other feature follows by how far it sits from
    average. Each subject appears once, in its most telling feature."""
    by_distance = sorted(items, key=lambda f: -abs(f.z))
    rfm = [f for role in RFM_ROLES for f in by_distance if rfm_first and f.kind == "numeric"
           and f.role == role and abs(f.z) >= NOTABLE_Z]
    ordered, seen = [], set()
    for f in rfm + [f for f in by_distance if f not in rfm]:
        if _subject(f) not in seen:
            seen.add(_subject(f))
            ordered.append(f)
    return ordered


def _unique_names(per_segment: list[list[FeatureProfile]]) -> list[str]:
    rfm_first = any(_speaks_rfm(items) for items in per_segment)
    ranked = [_name_order(items, rfm_first) for items in per_segment]
    # Name by what sets the segment apart (up to NAME_TERMS features); a segment with nothing
    # notable is named by its two strongest features, which then read "average ...".
    depth = [_initial_depth(r, rfm_first) for r in ranked]

    def build(seg: int) -> str:
        text = ", ".join(term(f) for f in ranked[seg][:depth[seg]])
        # Every feature barely varies (the naming guard): nothing to name the segment by.
        return text[:1].upper() + text[1:] if text else f"Segment {seg}"

    names = [build(s) for s in range(len(ranked))]
    while True:
        clashes = [s for s in range(len(names)) if names.count(names[s]) > 1]
        growable = [s for s in clashes if depth[s] < len(ranked[s])]
        if not growable:
            break
        for s in growable:
            depth[s] += 1
        names = [build(s) for s in range(len(ranked))]
    # Same words on every feature: centroids differ only within one level band. Number them.
    for s in range(len(names)):
        if names.count(names[s]) > 1:
            names[s] = f"{names[s]} (segment {s})"
    return names


def _initial_depth(ranked: list[FeatureProfile], rfm_first: bool) -> int:
    notable = [f for f in ranked if abs(f.z) >= NOTABLE_Z]
    rfm = sum(f.kind == "numeric" and f.role in RFM_ROLES for f in notable) if rfm_first else 0
    if rfm >= 2:
        return rfm  # up to three RFM words read as one phrase
    if notable:
        return min(NAME_TERMS, len(notable))
    return min(NAME_TERMS, len(ranked))


def _figure(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}"


def _reading(f: FeatureProfile) -> str:
    """How a figure reads: the role's word ('lapsed') where it has one, else 'high'/'low'."""
    return term(f) if f.role in ROLE_WORDS else level_word(f.z)


def describe(size: int, share: float, ranked: list[FeatureProfile]) -> str:
    notable = [f for f in ranked if abs(f.z) >= NOTABLE_Z]
    text = f"{size:,} customers ({share:.0%} of all). "
    if not notable:
        return text + ("They sit close to the average customer on every feature used, "
                       "the broad middle of the customer base.")
    parts = []
    for f in notable[:4]:
        if f.kind == "numeric":
            parts.append(f"{friendly(f.feature)} averages {_figure(f.mean)} against "
                         f"{_figure(f.overall_mean)} overall ({_reading(f)})")
        else:
            parts.append(f"{f.share:.0%} are {f.level} against {f.overall_share:.0%} overall")
    rest = [f for f in ranked if abs(f.z) < NOTABLE_Z]
    text += "Compared with all customers, " + "; ".join(parts) + "."
    if rest:
        text += " " + ", ".join(friendly(f.feature).capitalize() if i == 0 else
                                friendly(f.feature) for i, f in enumerate(rest))
        text += " is close to average." if len(rest) == 1 else " are close to average."
    return text
