from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

import custseg
from custseg.datasets.synthetic_history import purchase_history
from custseg.io import write_table
from custseg.roles import NOTABLE_Z, STRONG_Z, friendly

from .conftest import INCOME_SPENDING_LIST
from .test_roles import generic_table


@pytest.mark.parametrize(("column", "noun"), [
    ("Annual Income (k$)", "income"), ("Spending Score (1-100)", "spending"),
    ("total_spend", "spend"), ("Age", "age"), ("monetary", "spend"),
    ("recency_days", "days since last purchase"),
])
def test_friendly_names(column, noun):
    assert friendly(column) == noun


def test_mall_names_follow_the_centroids():
    result = custseg.segment(features=INCOME_SPENDING_LIST)
    names = [p.name for p in result.profiles]
    assert names == ["Average income, average spending", "High spending, high income",
                     "Low spending, high income", "Low income, low spending",
                     "Low income, high spending"]
    assert [p.extra["playbook"]["rule"].split(":")[0] for p in result.profiles] == [
        "broad", "VIP", "share of wallet", "price-led", "loyal on a budget"]
    assert "VIP" in result.profiles[1].action


# The z band each word of a name promises, written out here independently of custseg.roles.
_INF = math.inf
_BANDS = {"very high": (STRONG_Z, _INF), "high": (NOTABLE_Z, STRONG_Z),
          "average": (-NOTABLE_Z, NOTABLE_Z), "low": (-STRONG_Z, -NOTABLE_Z),
          "very low": (-_INF, -STRONG_Z)}
_ROLE_TERMS = {
    "recency": {"long lapsed": "very high", "lapsed": "high", "recent": "low",
                "very recent": "very low", "average recency": "average"},
    "frequency": {"very frequent": "very high", "frequent": "high", "infrequent": "low",
                  "very infrequent": "very low", "average frequency": "average"},
    "interval": {"very long gaps between orders": "very high",
                 "long gaps between orders": "high", "short gaps between orders": "low",
                 "very short gaps between orders": "very low",
                 "average gaps between orders": "average"},
    "order_value": {"very big baskets": "very high", "big baskets": "high",
                    "small baskets": "low", "very small baskets": "very low",
                    "average basket size": "average"},
    "tenure": {"long-standing": (NOTABLE_Z, _INF), "newer": "low", "new": "very low",
               "average tenure": "average"},
    "breadth": {"very wide range": "very high", "wide range": "high", "narrow range": "low",
                "very narrow range": "very low", "average product range": "average"},
    "returns": {"very many returns": "very high", "many returns": "high",
                "few returns": "low", "very few returns": "very low",
                "average returns": "average"},
    "age": {"much older": "very high", "older": "high", "younger": "low",
            "much younger": "very low", "average age": "average"},
}


def _in_band(z, band):
    low, high = _BANDS[band] if isinstance(band, str) else band
    return low <= z < high


def _backed(term, features):
    """Some feature of the segment says what ``term`` claims."""
    for f in features:
        if f.kind == "categorical":
            # Levels keep their case, except the first letter of a name.
            if term.lower() in (f"{f.level}".lower(), f"mostly {f.level}".lower(),
                                f"few {f.level}".lower()):
                return True
        elif f.role in _ROLE_TERMS:
            if term in _ROLE_TERMS[f.role] and _in_band(f.z, _ROLE_TERMS[f.role][term]):
                return True
        else:
            match = re.fullmatch(r"(very high|high|average|low|very low) (.+)", term)
            if match and match[2] == friendly(f.feature) and _in_band(f.z, match[1]):
                return True
    return False


def _assert_names_consistent(result):
    names = [p.name for p in result.profiles]
    assert len(set(names)) == len(names)
    for p in result.profiles:
        text = re.sub(r" \(segment \d+\)$", "", p.name)
        terms = text[:1].lower() + text[1:]
        for term in terms.split(", "):
            assert _backed(term, p.features), (p.name, term, p.features)


@pytest.mark.parametrize("features", [
    None, ["Age", *INCOME_SPENDING_LIST], INCOME_SPENDING_LIST, ["Gender", "Age"],
])
@pytest.mark.parametrize("k", [3, 5, 8, 10])
def test_names_unique_and_never_contradict_centroid(features, k):
    _assert_names_consistent(custseg.segment(features=features, k=k))


def test_names_stay_unique_when_centroids_look_alike():
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"id": range(600), "a": rng.normal(size=600), "b": rng.normal(size=600)})
    _assert_names_consistent(custseg.segment(frame, k=12))


@pytest.mark.parametrize("k", [3, 6])
def test_generic_table_names_never_contradict_centroid(k):
    frame, _ = generic_table()
    _assert_names_consistent(custseg.segment(frame, k=k, seed=0))


@pytest.fixture(scope="module")
def history_path(tmp_path_factory):
    lines, _ = purchase_history(2000, seed=2)
    path = tmp_path_factory.mktemp("history") / "h.csv"
    write_table(path, lines)
    return path


@pytest.mark.parametrize("k", [4, 7])
def test_history_names_read_in_rfm_words(history_path, k):
    result = custseg.segment(history_path, transactions=True, k=k)
    _assert_names_consistent(result)
    names = [p.name for p in result.profiles]
    assert not any(re.search(r"\b(high|low) (recency|frequency|days)\b", n.lower()) for n in names)
    if k == 4:
        assert "Recent, frequent, high spend" in names
    for p in result.profiles:
        roles = {f.feature: f.role for f in p.features}
        assert roles["recency_days"] == "recency" and roles["monetary"] == "monetary"
        # A name mentions a role with its own words once: "frequent" from frequency or
        # total_items, never both.
        assert len(re.findall(r"\b(?:in)?frequent\b", p.name.lower())) <= 1


def test_profile_has_every_figure():
    result = custseg.segment(features=INCOME_SPENDING_LIST)
    segment = result.summary["segments"][2]
    income = segment["profile"]["Annual Income (k$)"]
    assert set(income) >= {"mean", "median", "overall_mean", "z", "role"}
    assert income["role"] == "capacity"
    assert segment["profile"]["Spending Score (1-100)"]["role"] == "monetary"
    assert segment["share"] == 0.175
    assert segment["distinguishing"] == ["Spending Score (1-100)", "Annual Income (k$)"]
    assert "35 customers (18% of all)" in segment["description"]
    assert segment["action"]


def test_roles_given_to_segment_profiles_override_detection():
    from custseg.profile import profile_segments

    frame, _ = generic_table()
    result = custseg.segment(frame, k=3, seed=0)
    profiles = profile_segments(result.data, result.prepared, result.model.labels_,
                                result.model.preparer_, roles={"orders_last_year": "other"})
    names = " / ".join(p.name for p in profiles).lower()
    assert "high orders last year" in names and "frequent" not in names
