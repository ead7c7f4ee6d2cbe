"""What each segment is: figures per feature, what sets it apart, a name, a description, an action.

Names come from the centroid: a feature is "high" when the segment's mean sits at least
``NOTABLE_Z`` standard deviations above all customers, "very high" from ``STRONG_Z``; "average"
within ``NOTABLE_Z``. So a name can never contradict its centroid, and it follows the segment,
not its number.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .playbook import play_for
from .prep import Preparer

NOTABLE_Z = 0.5
STRONG_Z = 1.5
NAME_TERMS = 2

# Words that tell what a column measures, so names and actions read naturally.
_ROLE_WORDS = {
    "capacity": ("income", "salary", "wage", "wealth", "earning"),
    "spend": ("spend", "monetary", "revenue", "sales", "amount", "value", "basket", "purchase"),
    "age": ("age",),
    "recency": ("recency", "days since", "last purchase"),
    "frequency": ("frequency", "visits", "transactions"),
}
_DROP_WORDS = {"annual", "total", "score", "k$", "usd", "eur", "gbp"}

# Purchase-history features speak RFM language: (high, very high, low, very low, noun).
_VOCAB = {
    "recency_days": ("lapsed", "long lapsed", "recent", "very recent", "recency"),
    "frequency": ("frequent", "very frequent", "infrequent", "very infrequent", "frequency"),
    "monetary": ("high spend", "very high spend", "low spend", "very low spend", "spend"),
    "avg_order_value": ("big baskets", "very big baskets", "small baskets", "very small baskets",
                        "basket size"),
    "tenure_days": ("long-standing", "long-standing", "newer", "new", "tenure"),
    "mean_days_between_orders": ("long gaps between orders", "very long gaps between orders",
                                 "short gaps between orders", "very short gaps between orders",
                                 "gaps between orders"),
    "distinct_products": ("wide range", "very wide range", "narrow range", "very narrow range",
                          "product range"),
    "total_items": ("many items", "very many items", "few items", "very few items", "items"),
    "return_share": ("many returns", "very many returns", "few returns", "very few returns",
                     "returns"),
}
RFM_ORDER = ["recency_days", "frequency", "monetary"]


@dataclass
class FeatureProfile:
    feature: str
    kind: str
    mean: float | None = None
    median: float | None = None
    overall_mean: float | None = None
    z: float = 0.0
    level: str | None = None        # categorical: the level that sets the segment apart most
    share: float | None = None      # categorical: share of that level in the segment
    overall_share: float | None = None


@dataclass
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


def friendly(column: str) -> str:
    """A short noun for a column: 'Annual Income (k$)' -> 'income'."""
    if column in _VOCAB:
        return _VOCAB[column][4]
    text = re.sub(r"\(.*?\)", " ", column)
    text = re.sub(r"[_\-]+", " ", text).lower()
    words = [w for w in text.split() if w not in _DROP_WORDS]
    return " ".join(words) or column.lower()


def role(column: str) -> str | None:
    text = column.lower().replace("_", " ")
    for name, words in _ROLE_WORDS.items():
        if any(re.search(rf"\b{re.escape(w)}", text) for w in words):
            return name
    return None


def level_word(z: float) -> str:
    if z >= STRONG_Z:
        return "very high"
    if z >= NOTABLE_Z:
        return "high"
    if z <= -STRONG_Z:
        return "very low"
    if z <= -NOTABLE_Z:
        return "low"
    return "average"


def term(profile: FeatureProfile) -> str:
    """The words a name uses for one feature of one segment."""
    if profile.kind == "categorical":
        share = profile.share or 0.0
        if profile.z <= -NOTABLE_Z:
            return f"few {profile.level}"
        return f"{profile.level}" if share >= 0.95 else f"mostly {profile.level}"
    noun = friendly(profile.feature)
    word = level_word(profile.z)
    if profile.feature in _VOCAB and word != "average":
        high, very_high, low, very_low, _ = _VOCAB[profile.feature]
        return {"very high": very_high, "high": high, "low": low, "very low": very_low}[word]
    if role(profile.feature) == "age" and word != "average":
        return {"very high": "much older", "high": "older", "low": "younger",
                "very low": "much younger"}[word]
    return f"{word} {noun}"


def profile_segments(
    frame: pd.DataFrame, prepared: np.ndarray, labels: np.ndarray, preparer: Preparer
) -> list[SegmentProfile]:
    """Per-segment statistics, names (unique within the run), descriptions and actions."""
    k = int(labels.max()) + 1
    n = len(labels)
    numeric = [s for s in preparer.specs if s.kind == "numeric"]
    categorical = [s for s in preparer.specs if s.kind == "categorical"]
    raw = {s.name: frame[s.name].to_numpy(dtype="float64") for s in numeric}
    column_of = {s.name: i for i, s in enumerate(numeric)}
    per_segment: list[list[FeatureProfile]] = []
    for seg in range(k):
        members = labels == seg
        items: list[FeatureProfile] = []
        for spec in numeric:
            values = raw[spec.name][members]
            items.append(FeatureProfile(
                spec.name, "numeric", float(values.mean()), float(np.median(values)),
                float(raw[spec.name].mean()),
                float(prepared[members, column_of[spec.name]].mean()),
            ))
        for spec in categorical:
            text = frame[spec.name].astype(str).to_numpy()
            best: FeatureProfile | None = None
            for level in spec.categories:
                overall = float((text == level).mean())
                inside = float((text[members] == level).mean())
                spread = np.sqrt(overall * (1 - overall)) or 1.0
                candidate = FeatureProfile(spec.name, "categorical", z=(inside - overall) / spread,
                                           level=level, share=inside, overall_share=overall)
                if best is None or candidate.z > best.z:
                    best = candidate
            if best is not None:
                items.append(best)
        per_segment.append(items)
    names = _unique_names(per_segment)
    profiles = []
    for seg, items in enumerate(per_segment):
        size = int((labels == seg).sum())
        ranked = sorted(items, key=lambda f: -abs(f.z))
        distinguishing = [f.feature for f in ranked if abs(f.z) >= NOTABLE_Z]
        play = play_for(items)
        profiles.append(SegmentProfile(
            seg, names[seg], size, size / n, items, distinguishing,
            describe(size, size / n, ranked), " ".join(play.actions[:2]), {"playbook":
                                                                          play.to_dict()},
        ))
    return profiles


def _name_order(items: list[FeatureProfile]) -> list[FeatureProfile]:
    """Notable recency, frequency and spend first, in RFM order ("recent, frequent, high spend"),
    then every other feature by how far it sits from average."""
    rfm = [f for name in RFM_ORDER for f in items
           if f.feature == name and abs(f.z) >= NOTABLE_Z]
    return rfm + sorted((f for f in items if f not in rfm), key=lambda f: -abs(f.z))


def _unique_names(per_segment: list[list[FeatureProfile]]) -> list[str]:
    ranked = [_name_order(items) for items in per_segment]
    # Name by what sets the segment apart (up to NAME_TERMS features); a segment with nothing
    # notable is named by its two strongest features, which then read "average ...".
    depth = [_initial_depth(r) for r in ranked]

    def build(seg: int) -> str:
        text = ", ".join(term(f) for f in ranked[seg][:depth[seg]])
        return text[:1].upper() + text[1:]

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


def _initial_depth(ranked: list[FeatureProfile]) -> int:
    notable = sum(abs(f.z) >= NOTABLE_Z for f in ranked)
    rfm = sum(f.feature in RFM_ORDER and abs(f.z) >= NOTABLE_Z for f in ranked)
    if rfm >= 2:
        return rfm  # up to three RFM words read as one phrase
    if notable:
        return min(NAME_TERMS, notable)
    return min(NAME_TERMS, len(ranked))


def _figure(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}"


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
                         f"{_figure(f.overall_mean)} overall ({level_word(f.z)})")
        else:
            parts.append(f"{f.share:.0%} are {f.level} against {f.overall_share:.0%} overall")
    rest = [f for f in ranked if abs(f.z) < NOTABLE_Z]
    text += "Compared with all customers, " + "; ".join(parts) + "."
    if rest:
        text += " " + ", ".join(friendly(f.feature).capitalize() if i == 0 else
                                friendly(f.feature) for i, f in enumerate(rest))
        text += " is close to average." if len(rest) == 1 else " are close to average."
    return text
