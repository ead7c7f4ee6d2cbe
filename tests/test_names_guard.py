"""The naming guard (custseg.spread): a feature that barely varies in its own units names no
segment, fires no play, and the run says why; a feature that varies still names."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import custseg
from custseg.spread import quiet_features, time_unit

_TENURE_WORDS = ("newer", "new,", "long-standing", "tenure")


def _table(tenure_low: tuple[float, float], tenure_high: tuple[float, float]) -> pd.DataFrame:
    """Two groups of 300 customers apart on tenure (and a little on income)."""
    rng = np.random.default_rng(7)
    n = 300
    return pd.DataFrame({
        "customer_id": np.arange(2 * n),
        "tenure_days": np.concatenate([rng.uniform(*tenure_low, n), rng.uniform(*tenure_high, n)]),
        "income": np.concatenate([rng.normal(50, 10, n), rng.normal(58, 10, n)]),
    })


def _segment(table: pd.DataFrame) -> custseg.SegmentationResult:
    return custseg.segment(table, k=2, stability_runs=0)


def test_tenure_within_twelve_weeks_names_no_segment():
    # Every customer first bought within 12 weeks (480 to 564 days ago), as in issue 14: the
    # two groups sit far apart in standard deviations, but the standard deviation is ~25 days.
    result = _segment(_table((480, 515), (530, 564)))
    names = " ".join(p.name.lower() for p in result.profiles)
    assert not any(word in names for word in _TENURE_WORDS), names
    assert all("tenure" not in p.extra["playbook"]["rule"] for p in result.profiles)
    assert all("tenure_days" not in p.distinguishing for p in result.profiles)
    kept = result.summary["names_guard"]["kept_out"]
    assert [k["feature"] for k in kept] == ["tenure_days"]
    assert kept[0]["spread"] < 30 and "days" in kept[0]["reason"]
    # The figures stay: the profile still reports the feature.
    assert all("tenure_days" in p.to_dict()["profile"] for p in result.profiles)


def test_tenure_that_varies_still_names():
    result = _segment(_table((30, 200), (600, 900)))
    names = " ".join(p.name.lower() for p in result.profiles)
    assert "long-standing" in names and ("newer" in names or "new" in names), names
    assert result.summary["names_guard"]["kept_out"] == []


def test_report_says_why_a_feature_names_nothing():
    from custseg.report import render_report

    html = render_report(_segment(_table((480, 515), (530, 564))))
    assert 'class="kept-out"' in html
    assert "<code>tenure_days</code>, because its spread across customers" in html


@pytest.mark.parametrize(("feature", "unit"), [
    ("tenure_days", "days"), ("recency_days", "days"), ("mean_days_between_orders", "days"),
    ("DaysSinceLastOrder", "days"), ("weeks_active", "weeks"), ("months_as_customer", "months"),
    ("income", None), ("daysy", None),
])
def test_time_units_are_read_from_the_name(feature, unit):
    found = time_unit(feature)
    assert (found[0] if found else None) == unit


def test_relative_spread_under_five_percent_of_the_mean_is_quiet():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"income": rng.normal(1000, 20, 500),   # sd 2% of the mean
                          "spend": rng.normal(1000, 200, 500),   # sd 20% of the mean
                          "recency_days": rng.normal(60, 40, 500),  # sd 40 days
                          "tenure_days": rng.normal(900, 12, 500),  # sd 12 days: quiet
                          "balance": rng.normal(0, 1, 500)})     # mean 0: no relative test
    quiet = quiet_features(frame, list(frame.columns))
    assert sorted(quiet) == ["income", "tenure_days"]
    assert "under 5%" in quiet["income"].reason


def test_every_feature_quiet_leaves_plain_segment_names():
    rng = np.random.default_rng(3)
    table = pd.DataFrame({"customer_id": np.arange(400),
                          "income": np.concatenate([rng.normal(1000, 3, 200),
                                                    rng.normal(1010, 3, 200)])})
    result = _segment(table)
    assert sorted(p.name for p in result.profiles) == ["Segment 0", "Segment 1"]
    assert all(p.extra["playbook"]["goal"] == "test and learn" for p in result.profiles)


def test_a_history_whose_customers_all_started_within_twelve_weeks_names_no_tenure():
    # Issue 14's store: every customer's first purchase falls in the first 12 weeks of two
    # years of history, so tenure_days spreads over about 24 days (standard deviation).
    rng = np.random.default_rng(11)
    rows = []
    for customer in range(400):
        first = int(rng.integers(0, 84))
        regular = customer % 2 == 0
        later = rng.choice(np.arange(first + 1, 730), size=20 if regular else 2, replace=False)
        for day in [first, *later.tolist()]:
            rows.append((f"K{customer}", pd.Timestamp("2023-01-01") + pd.Timedelta(days=day),
                         float(rng.uniform(30, 50) if regular else rng.uniform(5, 15))))
    lines = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    for k in (2, 4):
        result = custseg.segment(lines, transactions=True, k=k, stability_runs=0)
        assert "tenure_days" in result.summary["features"]
        kept = {q["feature"] for q in result.summary["names_guard"]["kept_out"]}
        assert kept == {"tenure_days"}
        names = " ".join(p.name.lower() for p in result.profiles)
        assert not any(word in names for word in _TENURE_WORDS), names
        assert all(not p.extra["playbook"]["rule"].startswith("onboard")
                   for p in result.profiles)
