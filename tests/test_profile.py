from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import custseg
from custseg.profile import NOTABLE_Z, friendly

from .conftest import INCOME_SPENDING_LIST


@pytest.mark.parametrize(("column", "noun"), [
    ("Annual Income (k$)", "income"), ("Spending Score (1-100)", "spending"),
    ("total_spend", "spend"), ("Age", "age"),
])
def test_friendly_names(column, noun):
    assert friendly(column) == noun


def test_mall_names_follow_the_centroids():
    result = custseg.segment(features=INCOME_SPENDING_LIST)
    names = [p.name for p in result.profiles]
    assert names == ["Average income, average spending", "High spending, high income",
                     "Low spending, high income", "Low income, low spending",
                     "Low income, high spending"]
    assert "VIP" in result.profiles[1].action


def _assert_names_consistent(result):
    names = [p.name for p in result.profiles]
    assert len(set(names)) == len(names)
    for p in result.profiles:
        text = p.name.lower()
        for f in p.features:
            noun = friendly(f.feature)
            if f.kind != "numeric":
                continue
            if f"high {noun}" in text:
                assert f.z >= NOTABLE_Z, (p.name, f)
            if f"low {noun}" in text:
                assert f.z <= -NOTABLE_Z, (p.name, f)
            if f"average {noun}" in text:
                assert abs(f.z) < NOTABLE_Z, (p.name, f)
            if noun == "age" and ("older" in text):
                assert f.z >= NOTABLE_Z
            if noun == "age" and ("younger" in text):
                assert f.z <= -NOTABLE_Z


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


def test_profile_has_every_figure():
    result = custseg.segment(features=INCOME_SPENDING_LIST)
    segment = result.summary["segments"][2]
    income = segment["profile"]["Annual Income (k$)"]
    assert set(income) >= {"mean", "median", "overall_mean", "z"}
    assert segment["share"] == 0.175
    assert segment["distinguishing"] == ["Spending Score (1-100)", "Annual Income (k$)"]
    assert "35 customers (18% of all)" in segment["description"]
    assert segment["action"]
