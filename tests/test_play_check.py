"""Plays cross-checked against the RFM map (custseg.play_check): a segment whose play misfits
a large share of its customers says so, with the split."""

from __future__ import annotations

from html import escape

import pandas as pd

import custseg
from custseg.datasets.synthetic_history import purchase_history
from custseg.play_check import CLASH_SHARE, play_checks
from custseg.profile import SegmentProfile
from custseg.report import render_report

from .conftest import summary_errors


def _profile(segment_id: int, size: int, rule: str) -> SegmentProfile:
    play = {"goal": "g", "actions": ["a"], "rule": f"{rule}: condition"}
    return SegmentProfile(segment_id, f"segment {segment_id}", size, 0.5, [], [], "", "",
                          {"playbook": play})


def _assignments(groups: dict[int, dict[str, int]]) -> pd.DataFrame:
    rows = [(seg, name) for seg, counts in groups.items() for name, n in counts.items()
            for _ in range(n)]
    return pd.DataFrame(rows, columns=["segment", "rfm_segment"])


def test_a_win_back_segment_full_of_loyal_customers_says_so():
    # The case: a "Lapsed" segment holds 628 Loyal Customers and 1,376 Potential
    # Loyalists next to 4,000 lapsing customers.
    assignments = _assignments({
        0: {"Champions": 3000, "Loyal Customers": 500, "Lost": 100},
        1: {"Loyal Customers": 628, "Potential Loyalists": 1376, "Lost": 2500,
            "Hibernating": 1500}})
    profiles = [_profile(0, 3600, "reward loyalty"), _profile(1, 6004, "win back")]
    checks = play_checks(profiles, assignments)
    assert list(checks) == [1]
    check = checks[1]
    assert check["rfm_groups"] == {"Loyal Customers": 628, "Potential Loyalists": 1376}
    assert check["customers"] == 2004
    assert check["share"] == round(2004 / 6004, 6)
    assert check["note"].startswith("2,004 of them (33%) are 628 Loyal Customers and 1,376 "
                                    "Potential Loyalists by the RFM map: keep them out of the "
                                    "win-back list")


def test_a_loyalty_segment_full_of_lapsed_customers_says_so():
    assignments = _assignments({0: {"Champions": 60, "At Risk": 25, "Lost": 15}})
    checks = play_checks([_profile(0, 100, "reward loyalty")], assignments)
    assert checks[0]["rfm_groups"] == {"At Risk": 25, "Lost": 15}
    assert checks[0]["note"] == ("40 of them (40%) are 25 At Risk and 15 Lost by the RFM map: "
                                 "they have stopped buying, so give them the win-back message "
                                 "instead.")


def test_a_small_share_or_a_play_without_a_clash_says_nothing():
    below = int(CLASH_SHARE * 100) - 1
    assignments = _assignments({
        0: {"Lost": 100 - below, "Champions": below},
        1: {"Champions": 50, "Lost": 50}})
    # Segment 0: win-back with a share of active customers just under the threshold;
    # segment 1: a play ("activate") that no RFM group contradicts.
    profiles = [_profile(0, 100, "win back"), _profile(1, 100, "activate")]
    assert play_checks(profiles, assignments) == {}
    at = _assignments({0: {"Lost": 100 - below - 1, "Champions": below + 1}})
    assert list(play_checks([_profile(0, 100, "win back")], at)) == [0]


def test_a_customer_table_has_nothing_to_check():
    assert play_checks([_profile(0, 10, "win back")], pd.DataFrame({"segment": [0] * 10})) == {}


def test_a_history_run_checks_its_plays_in_the_summary_and_the_report():
    lines, _ = purchase_history(2000, seed=2)
    result = custseg.segment(lines, transactions=True, k=2, stability_runs=0)
    assert summary_errors(result.summary) == []
    html = render_report(result)
    segments = result.summary["segments"]
    # At k=2 the loyalty segment holds many customers the RFM map calls At Risk or worse,
    # counted here from segments.csv's own columns.
    lapsing = {"At Risk", "Can't Lose Them", "Hibernating", "Lost"}
    for segment in segments:
        members = result.assignments[result.assignments["segment"] == segment["id"]]
        share = members["rfm_segment"].isin(lapsing).mean()
        if segment["extra"]["playbook"]["rule"].startswith(("reward loyalty", "onboard")):
            assert ("play_check" in segment) == (share >= 0.2), (segment["name"], share)
    checked = [s for s in segments if "play_check" in s]
    assert checked
    for segment in checked:
        assert escape(segment["play_check"]["note"]) in html
