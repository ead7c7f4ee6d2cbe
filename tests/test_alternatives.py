"""k in business terms (issue 14, item 4): the run's k beside k-1 to k+2, as segments with
names, sizes, revenue shares and stability, in summary.json and the report, built from the
sweep's fits without refitting."""

from __future__ import annotations

import json

import numpy as np
import pytest

import custseg
from custseg import select_k
from custseg.datasets.synthetic_history import purchase_history
from custseg.kmeans import assign
from custseg.report import render_report
from custseg.report.answer import percent

from .test_report_trust import _text


@pytest.fixture(scope="module")
def table_run() -> custseg.SegmentationResult:
    """The built-in customer table (no money), k chosen from 2..10, stability measured."""
    return custseg.segment(stability_runs=10)


@pytest.fixture(scope="module")
def history_run() -> custseg.SegmentationResult:
    """A purchase history with money, k chosen from 2..6."""
    lines, _ = purchase_history(400, seed=3)
    return custseg.segment(lines, transactions=True, k_max=6, stability_runs=10)


def _by_k(result: custseg.SegmentationResult) -> dict[int, dict]:
    return {row["k"]: row for row in result.summary["k_alternatives"]}


@pytest.mark.parametrize("run", ["table_run", "history_run"])
def test_the_runs_k_is_its_segments(run, request):
    result = request.getfixturevalue(run)
    summary = result.summary
    own = _by_k(result)[summary["k"]]["segments"]
    assert [(s["name"], s["customers"], s["share"]) for s in own] == [
        (s["name"], s["size"], s["share"]) for s in summary["segments"]]
    assert [s["stability"] for s in own] == [s["stability"] for s in summary["segments"]]


@pytest.mark.parametrize("run", ["table_run", "history_run"])
def test_neighbours_are_k_minus_one_to_k_plus_two_within_the_sweep(run, request):
    result = request.getfixturevalue(run)
    k = result.summary["k"]
    swept = [score["k"] for score in result.summary["k_selection"]["scores"]]
    expected = [other for other in swept if k - 1 <= other <= k + 2]
    assert sorted(_by_k(result)) == expected == [row["k"] for row in
                                                  result.summary["k_alternatives"]]
    assert len(expected) >= 2
    for other, row in _by_k(result).items():
        assert len(row["segments"]) == other
        assert len({s["name"] for s in row["segments"]}) == other  # names unique within a k


@pytest.mark.parametrize("run", ["table_run", "history_run"])
def test_sizes_sum_to_the_customers(run, request):
    result = request.getfixturevalue(run)
    n = result.summary["n_customers"]
    for row in result.summary["k_alternatives"]:
        assert sum(s["customers"] for s in row["segments"]) == n
        assert sum(s["share"] for s in row["segments"]) == pytest.approx(1, abs=1e-5)
        sizes = [s["customers"] for s in row["segments"]]
        if row["k"] != result.summary["k"]:
            assert sizes == sorted(sizes, reverse=True)  # neighbours largest first


def test_neighbours_are_the_sweeps_fits_with_every_customer_at_the_nearest_centre(table_run):
    """No refit: each neighbour's sizes are the nearest-centre counts of its sweep fit, and its
    stabilities the sweep's bootstrap figures of that fit (least and mean as in k_selection)."""
    scores = {s["k"]: s for s in table_run.summary["k_selection"]["scores"]}
    for k, row in _by_k(table_run).items():
        if k == table_run.summary["k"]:
            continue
        fit = table_run.model.sweep_fits_[k]
        counts = np.bincount(assign(table_run.prepared, fit.centers)[0], minlength=k)
        assert [s["customers"] for s in row["segments"]] == sorted(counts, reverse=True)
        stabilities = [s["stability"] for s in row["segments"]]
        assert min(stabilities) == pytest.approx(scores[k]["stability_min"], abs=1e-3)
        assert np.mean(stabilities) == pytest.approx(scores[k]["stability_mean"], abs=1e-3)


def test_revenue_shares_sum_to_one_with_money(history_run):
    revenue = history_run.assignments["monetary"].to_numpy()
    kpis = {row["name"]: row["revenue_share"] for row in history_run.summary["kpis"]}
    for row in history_run.summary["k_alternatives"]:
        shares = [s["revenue_share"] for s in row["segments"]]
        assert sum(shares) == pytest.approx(1, abs=1e-5)
        if row["k"] == history_run.summary["k"]:
            assert shares == pytest.approx([kpis[s["name"]] for s in row["segments"]], abs=1e-6)
    assert revenue.sum() > 0


def test_no_revenue_without_money(table_run):
    for row in table_run.summary["k_alternatives"]:
        assert all("revenue_share" not in s for s in row["segments"])


def test_a_given_k_has_nothing_to_compare():
    result = custseg.segment(k=4, stability_runs=0)
    assert result.summary["k_alternatives"] == []
    page = render_report(result)
    assert 'id="k-alternatives"' not in page and "Other k in business terms" not in page


def test_renamed_segments_are_renamed_in_the_runs_k(table_run):
    renamed = table_run.renamed({0: "Core customers"})
    own = _by_k(renamed)[renamed.summary["k"]]["segments"]
    assert own[0]["name"] == "Core customers"


def test_neighbour_ks_stay_in_the_sweep():
    assert select_k.neighbour_ks(4, range(2, 11)) == [3, 5, 6]
    assert select_k.neighbour_ks(2, range(2, 11)) == [3, 4]
    assert select_k.neighbour_ks(10, range(2, 11)) == [9]
    assert select_k.neighbour_ks(4, [4]) == []


def test_the_report_shows_the_table_and_the_answer_points_to_it(history_run):
    page = render_report(history_run)
    summary = history_run.summary
    start = page.index('id="k-alternatives"')
    table = page[start:page.index("</table>", start)]
    rows = ["<tr" + row for row in table.split("<tr")[2:]]  # after the head
    assert len(rows) == len(summary["k_alternatives"])
    chosen = [r for r in rows if r.startswith('<tr class="chosen"')]
    assert len(chosen) == 1 and f"{summary['k']} (chosen)" in _text(chosen[0])
    for row, alternative in zip(rows, summary["k_alternatives"], strict=True):
        text = _text(row)
        assert text.startswith(str(alternative["k"]))
        for segment in alternative["segments"]:
            assert segment["name"] in text
            shares = f"{percent(segment['share'])} / {percent(segment['revenue_share'])}"
            assert f"{segment['customers']:,} · {shares}" in text
    # The answer, before the statistics, points to it.
    assert 'href="#k-alternatives"' in page[:page.index('id="choose-k"')]
    assert page.index('id="k-alternatives"') > page.index('id="choose-k"')


def test_summary_file_holds_the_alternatives(tmp_path, history_run):
    history_run.save(tmp_path / "out")
    saved = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert saved["k_alternatives"] == history_run.summary["k_alternatives"]
