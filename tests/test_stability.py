"""Segments you can trust: bootstrap stability, the structure check and the k rule using them."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans

import custseg
from custseg.cli import main
from custseg.datasets.synthetic import synthetic_customers
from custseg.kmeans_batch import fit_batch
from custseg.select_k import KScore, recommend
from custseg.stability import label, mean_jaccard
from custseg.structure import check_structure

INCOME_SPEND = ["Annual Income (k$)", "Spending Score (1-100)"]


@pytest.fixture(scope="module")
def mall_auto():
    return custseg.segment(None, features=INCOME_SPEND, seed=0)


def test_mall_five_segments_are_each_stable():
    result = custseg.segment(None, features=INCOME_SPEND, k=5, seed=0)
    segments = result.summary["segments"]
    assert all(s["stability"] >= 0.9 and s["stability_label"] == "stable" for s in segments)
    assert result.summary["stability"]["runs"] == 50


def test_mall_six_segments_split_one_that_does_not_hold():
    segments = custseg.segment(None, features=INCOME_SPEND, k=6, seed=0).summary["segments"]
    weakest = min(segments, key=lambda s: s["stability"])
    assert weakest["stability"] < 0.75
    assert weakest["stability_label"] in ("weak", "unstable")
    assert weakest["stability_label"] == label(weakest["stability"])


def test_mall_auto_still_picks_five_with_stability_per_k(mall_auto):
    summary = mall_auto.summary
    assert summary["k"] == 5
    scores = summary["k_selection"]["scores"]
    assert [s["k"] for s in scores] == list(range(2, 11))
    judged = summary["k_selection"]["stability_judged"]
    silhouettes = {s["k"]: s["silhouette"] for s in scores}
    can_win = {k for k, sil in silhouettes.items() if sil >= max(silhouettes.values()) - 0.05}
    assert set(judged) == can_win | {4, 6, 7}  # and the ks shown beside k=5
    for s in scores:
        if s["k"] in judged:
            assert 0 <= s["stability_min"] <= s["stability_mean"] <= 1
        else:
            assert s["stability_min"] is None and s["stability_mean"] is None
    five = next(s for s in scores if s["k"] == 5)
    assert five["stability_min"] == pytest.approx(min(x["stability"] for x in summary["segments"]),
                                                  abs=1e-3)
    assert summary["structure"]["clustered"] is True
    assert summary["structure"]["verdict"].startswith("The customers form natural groups")


def test_judging_every_k_changes_nothing_but_fills_the_others(mall_auto):
    # The refits of a k do not depend on which other ks are judged (common random numbers):
    # judging all of them gives the same figures where both judged, and the same choice.
    every = custseg.segment(None, features=INCOME_SPEND, seed=0, stability_ks="all").summary
    assert every["k_selection"]["stability_judged"] == list(range(2, 11))
    assert all(s["stability_min"] is not None for s in every["k_selection"]["scores"])
    few = {s["k"]: s for s in mall_auto.summary["k_selection"]["scores"]}
    for s in every["k_selection"]["scores"]:
        if s["k"] in mall_auto.summary["k_selection"]["stability_judged"]:
            assert s == few[s["k"]]
    assert every["k_selection"]["recommended"] == mall_auto.summary["k_selection"]["recommended"]
    assert every["k_selection"]["reason"] == mall_auto.summary["k_selection"]["reason"]
    assert every["segments"] == mall_auto.summary["segments"]


def test_same_seed_same_stability_and_structure(mall_auto):
    again = custseg.segment(None, features=INCOME_SPEND, seed=0).summary
    assert [s["stability"] for s in again["segments"]] == [
        s["stability"] for s in mall_auto.summary["segments"]]
    assert again["structure"] == mall_auto.summary["structure"]
    assert again["k_selection"]["scores"] == mall_auto.summary["k_selection"]["scores"]


def test_a_single_gaussian_cloud_is_a_continuum_and_still_segmented(tmp_path):
    rng = np.random.default_rng(3)
    table = pd.DataFrame(rng.normal(size=(800, 3)) * [10, 5, 2] + [50, 20, 5],
                         columns=["spend", "visits", "basket"])
    table.insert(0, "customer_id", np.arange(1, 801))
    table.to_csv(tmp_path / "cloud.csv", index=False)
    result = custseg.segment(tmp_path / "cloud.csv", k=4, seed=0)
    structure = result.summary["structure"]
    assert structure["clustered"] is False
    assert "continuum" in structure["verdict"] and "targeting" in structure["verdict"]
    assert result.summary["k"] == 4 and len(result.summary["segments"]) == 4


def test_planted_groups_are_clustered(tmp_path):
    path = tmp_path / "planted.csv"
    assert main(["generate", "--kind", "table", "--customers", "3000", "--out", str(path)]) == 0
    summary = custseg.segment(path, seed=0).summary
    assert summary["structure"]["clustered"] is True
    assert summary["k"] == 5
    assert min(s["stability"] for s in summary["segments"]) >= 0.85
    # 3,000 distinct customers: resampled from an order-free sample of 2,000.
    assert summary["stability"]["customers_resampled"] == 2000


def test_few_distinct_rows_are_resampled_whole(tmp_path):
    # 125 possible answers: every distinct row with its full count, however many customers.
    from custseg.datasets.synthetic import survey_scores

    survey, _ = survey_scores(6000, seed=0)
    survey.to_csv(tmp_path / "survey.csv", index=False)
    summary = custseg.segment(tmp_path / "survey.csv", k=4, seed=0).summary
    assert summary["stability"]["customers_resampled"] == 6000
    assert all(s["stability_label"] == "stable" for s in summary["segments"])


def test_structure_figures_are_the_gap_statistic():
    rng = np.random.default_rng(0)
    groups = np.concatenate([c + rng.normal(size=(300, 2)) for c in ([0, 0], [8, 0], [0, 8])])
    structure = check_structure(groups, np.ones(len(groups)), seed=0)
    figures = structure.to_dict()["figures"]
    assert structure.clustered and figures["k"][0] == 1
    # Three planted groups: the gap climbs from k=1 to k=3.
    assert figures["gap"][2] - figures["gap"][0] > 0.5
    assert figures["best_k"] >= 3 and all(se > 0 for se in figures["gap_se"])


def test_a_lattice_of_survey_scores_is_not_mistaken_for_groups():
    # Independent 1-5 answers: 125 stacked points, no groups. K-means on a lattice beats a
    # uniform reference at every k, so without spreading the levels this would read "clustered".
    rng = np.random.default_rng(1)
    scores = rng.integers(1, 6, size=(5000, 3)).astype(float)
    rows, counts = np.unique(scores, axis=0, return_counts=True)
    assert check_structure(rows, counts.astype(float), seed=0).clustered is False


def test_duplicates_count_as_customers_in_the_structure_check():
    # Whole-number coordinates: three groups as distinct rows with counts, and the same
    # customers one row each, get the same verdict.
    rng = np.random.default_rng(2)
    groups = np.rint(np.concatenate([c + rng.normal(size=(400, 2)) * 1.5
                                     for c in ([0, 0], [9, 0], [0, 9])]))
    rows, counts = np.unique(groups, axis=0, return_counts=True)
    assert len(rows) < len(groups) / 2
    as_counts = check_structure(rows, counts.astype(float), seed=0)
    as_rows = check_structure(groups, np.ones(len(groups)), seed=0)
    assert as_counts.clustered is as_rows.clustered is True


def test_stability_off_is_stated_not_guessed():
    result = custseg.segment(None, features=INCOME_SPEND, seed=0, stability_runs=0)
    summary = result.summary
    assert summary["stability"]["runs"] == 0
    assert all(s["stability"] is None and s["stability_label"] == "not measured"
               for s in summary["segments"])
    assert all(s["stability_min"] is None for s in summary["k_selection"]["scores"])
    assert summary["k"] == 5
    assert result.model_dict()["training"]["stability"] == {str(i): None for i in range(5)}


def test_model_file_keeps_stability(tmp_path):
    result = custseg.segment(None, features=INCOME_SPEND, k=5, seed=0)
    result.save(tmp_path / "out")
    training = json.loads((tmp_path / "out" / "model.json").read_text())["training"]
    assert training["stability"] == {str(s["id"]): s["stability"]
                                     for s in result.summary["segments"]}
    assert training["structure_clustered"] is True
    custseg.load_model(tmp_path / "out" / "model.json")  # still a valid model file


def test_hennig_labels():
    assert [label(v) for v in (1.0, 0.85, 0.849, 0.75, 0.7, 0.6, 0.59, 0.0)] == [
        "stable", "stable", "fairly stable", "fairly stable", "weak", "weak", "unstable",
        "unstable"]


def test_jaccard_of_a_segment_with_its_best_match():
    labels = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    refits = np.array([[1, 1, 1, 1, 0, 0, 0, 0],   # same partition, other numbers: 1, 1
                       [0, 0, 0, 1, 1, 1, 1, 1]])  # one customer moved: 3/4 and 4/5
    weights = np.ones((2, 8))
    weights[1, 0] = 0  # customer 0 not in the second resample: 2/3 and 4/5
    jaccard = mean_jaccard(labels, refits, weights, 2)
    assert jaccard == pytest.approx([(1 + 2 / 3) / 2, (1 + 4 / 5) / 2])


def test_batched_kmeans_matches_scikit_learn():
    X, _ = synthetic_customers(2000, seed=4)
    values = X.drop(columns="customer_id").to_numpy()
    values = (values - values.mean(axis=0)) / values.std(axis=0)
    weights = np.ones((3, len(values)))
    weights[1, ::2] = 0
    weights[2] = np.arange(len(values)) % 3
    fits = fit_batch(values, weights, 5, np.random.default_rng(0), n_init=3)
    for r in range(3):
        reference = KMeans(5, n_init=10, random_state=0).fit(values, sample_weight=weights[r])
        assert fits.inertia[r] == pytest.approx(reference.inertia_, rel=0.01)
        # Labels are the nearest centre of every row, present in the replicate or not.
        d2 = ((values[:, None, :] - fits.centers[r][None]) ** 2).sum(axis=2)
        assert np.array_equal(fits.labels[r], d2.argmin(axis=1))


def _score(k: int, silhouette: float, least: float | None) -> KScore:
    return KScore(k, 100.0 / k, silhouette, 10.0, 1.0, 0.1, least,
                  None if least is None else least + 0.05)


def test_rule_prefers_a_stable_k_with_a_similar_silhouette():
    selection = recommend([_score(3, 0.50, 0.92), _score(4, 0.53, 0.55), _score(5, 0.45, 0.9)],
                          rows_scored=1000)
    assert selection.recommended == 3
    assert "k=4 has the highest silhouette" in selection.reason
    assert "k=3 has a similar silhouette" in selection.reason
    assert selection.picks["silhouette"] == 4


def test_rule_keeps_the_best_silhouette_when_no_stable_k_is_close():
    selection = recommend([_score(3, 0.30, 0.92), _score(4, 0.53, 0.55)], rows_scored=1000)
    assert selection.recommended == 4
    assert any("least stable segment scores 0.55" in w for w in selection.warnings)


def test_rule_is_the_plain_silhouette_without_stability():
    selection = recommend([_score(3, 0.50, None), _score(4, 0.53, None)], rows_scored=1000)
    assert selection.recommended == 4
    assert "stable" not in selection.reason


def test_cli_shows_stability_and_structure(capsys, tmp_path):
    code = main(["segment", "--features", ",".join(INCOME_SPEND), "--k", "5",
                 "--out", str(tmp_path / "o"), "--quiet"])
    out = capsys.readouterr().out
    assert code == 0
    assert "stability" in out and " stable" in out
    assert "Structure: The customers form natural groups" in out
    code = main(["choose-k", "--features", ",".join(INCOME_SPEND), "--quiet"])
    out = capsys.readouterr().out
    assert code == 0 and "stability: least stable segment / mean" in out
    assert "0.93/0.96" in out.replace(" ", "")


@pytest.mark.parametrize("argv", [["--stability-runs", "-1"], ["--stability-runs", "two"]])
def test_cli_refuses_a_bad_number_of_runs(argv, capsys, tmp_path):
    out = tmp_path / "o"
    assert main(["segment", "--out", str(out), "--quiet", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("custseg: error:") and "stability" in err and "\n" not in err
    assert not out.exists()
