"""Duplicates are weights: fits on distinct rows with counts equal fits on the full data.

Tests as specification: every weighted index against scikit-learn on the expanded data, the
invariances (row order, thread count), samples that represent duplicates by weight, the
duplicate-heavy survey table of issue 10, and the parameter checks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import (
    adjusted_rand_score,
    calinski_harabasz_score,
    davies_bouldin_score,
    silhouette_score,
)
from threadpoolctl import threadpool_limits

import custseg
from custseg import SegmentModel
from custseg import kmeans as local
from custseg.datasets.synthetic import SURVEY_FEATURES, survey_scores
from custseg.errors import ConfigError
from custseg.kmeans import assign, distinct_rows
from custseg.select_k import calinski_harabasz, davies_bouldin, sweep
from custseg.silhouette import silhouettes


def _expand(X: np.ndarray, w: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    counts = w.astype(int)
    return np.repeat(X, counts, axis=0), np.repeat(labels, counts)


@pytest.fixture
def weighted_toy() -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 3))
    w = rng.integers(1, 6, size=60).astype(float)
    w[:3] = 1.0
    labels = [rng.integers(0, k, size=60) for k in (2, 3, 5)]
    # segment 3 is one row standing for one customer (a singleton: scores 0); segment 4 one row
    # standing for four (its customers are at distance 0 from each other: a = 0, score 1)
    odd = rng.integers(0, 3, size=60)
    odd[0], odd[3], w[3] = 3, 4, 4.0
    return X, w, [*labels, odd]


def test_weighted_silhouette_equals_sklearn_on_expanded_data(weighted_toy):
    X, w, label_sets = weighted_toy
    ours = silhouettes(X, label_sets, w)
    theirs = [silhouette_score(*_expand(X, w, labels)) for labels in label_sets]
    # Not 1e-12: scikit-learn's distance between two copies of a row is sqrt(rounding error),
    # about 1e-8, where ours is exactly 0.
    assert ours == pytest.approx(theirs, abs=1e-9)


def test_weighted_calinski_harabasz_and_davies_bouldin_equal_sklearn(weighted_toy):
    X, w, label_sets = weighted_toy
    for labels in label_sets:
        expanded = _expand(X, w, labels)
        assert calinski_harabasz(X, labels, w) == pytest.approx(
            calinski_harabasz_score(*expanded), rel=1e-9)
        assert davies_bouldin(X, labels, w) == pytest.approx(
            davies_bouldin_score(*expanded), rel=1e-9)


def _few_distinct_table(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    """Two integer scores on a 1..6 grid: at most 36 distinct rows, three clear groups."""
    rng = np.random.default_rng(seed)
    group = rng.choice(3, size=n, p=[0.5, 0.3, 0.2])
    centres = np.array([[1.5, 1.5], [5.0, 2.0], [3.0, 5.5]])
    values = np.clip(np.rint(centres[group] + rng.normal(scale=0.6, size=(n, 2))), 1, 6)
    return pd.DataFrame(values.astype(int), columns=["a", "b"])


def test_every_index_of_the_sweep_equals_the_full_data():
    X = SegmentModel(k=2).fit(_few_distinct_table()).preparer_.transform(_few_distinct_table())
    data = distinct_rows(X)
    assert len(data.X) <= 36 and data.counts.sum() == len(X)
    everything = data.everything()
    selection, fits = sweep(everything, everything, [2, 3, 4, 5], seed=0, n_init=10,
                            max_iter=300)
    assert selection.rows_scored == len(X)
    for score in selection.scores:
        labels = assign(X, fits[score.k].centers)[0]
        centres = fits[score.k].centers
        assert score.inertia == pytest.approx(((X - centres[labels]) ** 2).sum(), rel=1e-9)
        assert score.silhouette == pytest.approx(silhouette_score(X, labels), abs=1e-9)
        assert score.calinski_harabasz == pytest.approx(calinski_harabasz_score(X, labels),
                                                        rel=1e-9)
        assert score.davies_bouldin == pytest.approx(davies_bouldin_score(X, labels), rel=1e-9)
        assert score.smallest_share == np.bincount(labels).min() / len(X)


def test_fit_on_few_distinct_rows_equals_plain_kmeans_on_all_rows():
    frame = _few_distinct_table()
    model = SegmentModel(k=3).fit(frame)
    X = model.preparer_.transform(frame)
    plain = KMeans(3, n_init=10, random_state=0).fit(X)
    assert adjusted_rand_score(plain.labels_, model.labels_) == 1.0
    assert model.inertia_ == pytest.approx(plain.inertia_, rel=1e-9)
    assert model.silhouette_ == pytest.approx(silhouette_score(X, model.labels_), abs=1e-9)
    assert model.segment_sizes_.tolist() == np.bincount(model.labels_).tolist()
    assert len(model.labels_) == len(frame)  # one label per customer, not per distinct row
    assert (model.predict(frame) == model.labels_).all()


def test_duplicates_are_sampled_by_weight_not_all_or_nothing():
    rng = np.random.default_rng(0)
    heavy = np.zeros((30_000, 2))  # 30% of the customers share one row
    X = np.vstack([heavy, rng.normal(size=(70_000, 2))])
    data = distinct_rows(X, seed=0)
    sample = data.sample(5000)
    assert sample.customers == 5000
    share = sample.weight[(sample.X == 0).all(axis=1)].sum() / 5000
    assert share == pytest.approx(0.3, abs=0.03)  # binomial sd 0.0065
    bigger = data.sample(8000)
    assert set(sample.index) <= set(bigger.index)
    shuffled = distinct_rows(X[rng.permutation(len(X))], seed=0).sample(5000)
    assert np.array_equal(shuffled.X, sample.X) and np.array_equal(shuffled.weight, sample.weight)


@pytest.mark.parametrize("sampled", [False, True], ids=["exact", "sampled"])
def test_row_order_does_not_matter_on_a_duplicate_heavy_table(sampled):
    frame = survey_scores(6000, seed=1)[0][SURVEY_FEATURES]
    # 100-row samples from about 120 distinct rows: restarts and silhouettes on samples
    params = {"fit_sample": 100, "silhouette_sample": 100} if sampled else {}
    base = SegmentModel(**params).fit(frame)
    shuffled = frame.sample(frac=1, random_state=5)
    other = SegmentModel(**params).fit(shuffled)
    back = pd.Series(other.labels_, index=shuffled.index).sort_index().to_numpy()
    assert (back == base.labels_).all()
    assert np.array_equal(other.cluster_centers_, base.cluster_centers_)
    assert other.k_selection_.to_dict() == base.k_selection_.to_dict()
    assert other.silhouette_ == base.silhouette_


def test_thread_count_does_not_matter(monkeypatch):
    monkeypatch.setattr(local, "ONE_THREAD_ROWS", 0)  # let even small fits use threads
    rng = np.random.default_rng(4)
    X = np.vstack([c + rng.normal(size=(700, 3)) for c in rng.normal(scale=4, size=(4, 3))])
    X = np.round(X, 1)  # some duplicate rows too
    fits = []
    for threads in (1, 2):
        with threadpool_limits(limits=threads):
            fits.append(SegmentModel(k="auto", k_max=6, fit_sample=500,
                                     silhouette_sample=500).fit(X))
    one, two = fits
    assert (one.labels_ == two.labels_).all()
    np.testing.assert_allclose(one.cluster_centers_, two.cluster_centers_, rtol=1e-12)
    assert one.k_selection_.recommended == two.k_selection_.recommended


def test_survey_table_of_300k_customers_finds_the_four_groups():
    frame, truth = survey_scores(300_000, seed=0)
    result = custseg.segment(frame, k="auto")
    assert result.summary["k"] == 4
    labels = result.assignments["segment"].to_numpy()
    assert adjusted_rand_score(truth, labels) >= 0.85
    # The full-data reference: scikit-learn on the prepared table, its silhouette on a large
    # sample (with 125 distinct rows ours is exact; a 10,000-row sample is within ~0.005).
    X = result.model.preparer_.transform(frame[SURVEY_FEATURES])
    with threadpool_limits(limits=1):
        plain = KMeans(4, n_init=10, random_state=0).fit(X)
    reference = silhouette_score(X, plain.labels_, sample_size=10_000, random_state=0)
    assert result.summary["silhouette"] == pytest.approx(reference, abs=0.02)
    assert adjusted_rand_score(plain.labels_, labels) > 0.99
    assert result.model.inertia_ <= plain.inertia_ * (1 + 1e-9)


def test_max_iter_reaches_every_fit(monkeypatch):
    seen: list[int] = []

    class Spy(KMeans):
        def fit(self, X, y=None, sample_weight=None):
            seen.append(self.max_iter)
            return super().fit(X, y, sample_weight)

    monkeypatch.setattr(local, "KMeans", Spy)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 2))
    SegmentModel(k="auto", k_max=4, max_iter=2, fit_sample=200).fit(X)
    assert len(seen) == 3 + 1  # restarts for k = 2, 3, 4 on the sample, then the polish
    assert set(seen) == {2}
    assert SegmentModel(k=3, max_iter=1, fit_sample=200).fit(X).n_iter_ == 1


def test_parameter_constraints_cover_every_parameter():
    assert set(SegmentModel._parameter_constraints) == set(SegmentModel().get_params())


BAD_PARAMS = [
    ({"max_iter": 0}, r"The 'max_iter' parameter must be an int >= 1\. Got 0 instead\."),
    ({"k_max": 1}, r"The 'k_max' parameter must be an int >= 2\. Got 1 instead\."),
    ({"fit_sample": 50}, r"The 'fit_sample' parameter must be an int >= 100\. Got 50"),
    ({"silhouette_sample": 1e4}, r"The 'silhouette_sample' parameter must be an int >= 100\."),
    ({"k": True}, r"The 'k' parameter must be an int in \[2, 50\] or 'auto'\. Got True"),
    ({"seed": 1.0}, r"The 'seed' parameter must be a non-negative int\. Got 1\.0 instead\."),
    ({"n_init": None}, r"The 'n_init' parameter must be an int >= 1\. Got None instead\."),
    ({"log1p": "spend"},
     r"The 'log1p' parameter must be 'none', 'auto' or a list of column names\. Got 'spend' "
     r"instead; for one column pass \['spend'\]\.$"),
    ({"log1p": "Auto"}, r"The 'log1p' parameter must be 'none', 'auto' or a list"),
    ({"log1p": {"x0"}}, r"The 'log1p' parameter must be 'none', 'auto' or a list"),
    ({"log1p": [0]}, r"The 'log1p' parameter must be 'none', 'auto' or a list of column names "
                     r"\(strings\)\. Got \[0\] instead\."),
    ({"log1p": ["x0", "spend"]},
     r"^column 'spend' given in log1p is not a numeric feature; numeric features are: 'x0', "
     r"'x1'$"),
]


@pytest.mark.parametrize(("params", "pattern"), BAD_PARAMS)
def test_bad_parameters_one_line_each(params, pattern):
    X = pd.DataFrame(np.arange(20.0).reshape(10, 2), columns=["x0", "x1"])
    with pytest.raises(ConfigError, match=pattern):
        SegmentModel(**params).fit(X)


def test_log1p_names_a_column_list():
    frame = pd.DataFrame({"spend": np.exp(np.arange(30) / 3.0), "visits": np.arange(30.0)})
    model = SegmentModel(k=2, log1p=["spend"]).fit(frame)
    assert [s.transform for s in model.preparer_.specs] == ["log1p", "none"]
    with pytest.raises(ConfigError, match=r"column 'visits ' given in log1p is not a numeric"):
        SegmentModel(k=2, log1p=["visits "]).fit(frame)


def test_a_hash_collision_falls_back_to_exact_distinct_rows(monkeypatch):
    monkeypatch.setattr(local, "row_hashes",
                        lambda X, seed=0: np.zeros(len(X), dtype=np.uint64))
    X = np.array([[1.0, 2.0], [3.0, 4.0], [1.0, 2.0], [0.0, 5.0]])
    data = distinct_rows(X)
    assert data.X.tolist() == [[0.0, 5.0], [1.0, 2.0], [3.0, 4.0]]
    assert data.counts.tolist() == [1, 2, 1]
    assert np.array_equal(data.X[data.inverse], X)
