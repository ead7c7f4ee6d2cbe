"""SegmentModel as specification: scikit-learn conformance, toy cases, invariances, bad params."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score
from sklearn.utils.estimator_checks import check_estimator

from custseg import SegmentModel
from custseg.errors import ConfigError, DataError

from .conftest import INCOME_SPENDING_LIST


def test_passes_check_estimator():
    # No documented exceptions are needed: every applicable check passes. (check_array_api_input
    # is skipped by scikit-learn itself unless SCIPY_ARRAY_API is set.)
    results = check_estimator(SegmentModel(), on_fail=None)
    failed = [(r["check_name"], str(r["exception"])[:200]) for r in results
              if r["status"] == "failed"]
    assert failed == []


def test_hand_computed_toy_case():
    # Two obvious groups; after standardising, the centres are symmetric around zero.
    X = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 0.0], [10.0, 1.0], [10.0, 0.5]])
    model = SegmentModel(k=2).fit(X)
    # the larger group (three rows at x=10) gets id 0
    assert model.labels_.tolist() == [1, 1, 0, 0, 0]
    std_x = X[:, 0].std()
    assert model.cluster_centers_[0, 0] == pytest.approx((10 - X[:, 0].mean()) / std_x)
    assert model.cluster_centers_[1, 0] == pytest.approx((0 - X[:, 0].mean()) / std_x)
    assert model.segment_sizes_.tolist() == [3, 2]


def _reference_lloyd(X: np.ndarray, centres: np.ndarray, iterations: int = 100) -> np.ndarray:
    """A ten-line K-means: assign to nearest centre, move centres to means, until stable."""
    labels = None
    for _ in range(iterations):
        new = ((X[:, None, :] - centres[None]) ** 2).sum(axis=2).argmin(axis=1)
        if labels is not None and (new == labels).all():
            break
        labels = new
        centres = np.array([X[labels == j].mean(axis=0) for j in range(len(centres))])
    return labels


def test_agrees_with_reference_lloyd(mall):
    model = SegmentModel(k=5).fit(mall[INCOME_SPENDING_LIST])
    X = model.preparer_.transform(mall[INCOME_SPENDING_LIST])
    reference = _reference_lloyd(X, model.cluster_centers_.copy())
    assert (reference == model.labels_).all()  # the fit is a fixed point of Lloyd's algorithm


def test_matches_plain_kmeans_partition(mall):
    model = SegmentModel(k=5).fit(mall[INCOME_SPENDING_LIST])
    X = model.preparer_.transform(mall[INCOME_SPENDING_LIST])
    plain = KMeans(5, n_init=10, random_state=0).fit(X)
    assert adjusted_rand_score(plain.labels_, model.labels_) == 1.0
    assert model.inertia_ == pytest.approx(plain.inertia_, rel=1e-9)


@pytest.mark.parametrize("seed", [1, 7, 123])
def test_other_seeds_same_partition_same_ids(mall, seed):
    base = SegmentModel(k=5, seed=0).fit(mall[INCOME_SPENDING_LIST])
    other = SegmentModel(k=5, seed=seed).fit(mall[INCOME_SPENDING_LIST])
    assert (base.labels_ == other.labels_).all()


@pytest.mark.parametrize("shuffle_seed", [0, 1, 2])
def test_row_order_does_not_matter(mall, shuffle_seed):
    base = SegmentModel().fit(mall[INCOME_SPENDING_LIST])
    shuffled = mall.sample(frac=1, random_state=shuffle_seed)
    other = SegmentModel().fit(shuffled[INCOME_SPENDING_LIST])
    back = pd.Series(other.labels_, index=shuffled.index).sort_index().to_numpy()
    assert (back == base.labels_).all()


def test_same_seed_same_everything(mall):
    a = SegmentModel().fit(mall[["Gender", "Age", *INCOME_SPENDING_LIST]])
    b = SegmentModel().fit(mall[["Gender", "Age", *INCOME_SPENDING_LIST]])
    assert (a.labels_ == b.labels_).all()
    assert np.array_equal(a.cluster_centers_, b.cluster_centers_)


def test_canonical_ids_are_largest_first(mall):
    model = SegmentModel().fit(mall[INCOME_SPENDING_LIST])
    sizes = np.bincount(model.labels_)
    assert sizes.tolist() == sorted(sizes.tolist(), reverse=True) == [81, 39, 35, 23, 22]


def test_ties_in_size_broken_by_centroid_coordinates():
    X = np.array([[5.0], [5.1], [0.0], [0.1], [10.0], [10.1]])
    model = SegmentModel(k=3).fit(X)
    # all three segments have two rows: ordered by centre coordinate
    assert model.labels_.tolist() == [1, 1, 0, 0, 2, 2]


def test_large_input_polishes_sample_solution_on_all_rows():
    rng = np.random.default_rng(0)
    centres = rng.normal(scale=5, size=(4, 3))
    X = np.vstack([c + rng.normal(size=(3000, 3)) for c in centres])
    model = SegmentModel(k=4, fit_sample=1000, silhouette_sample=500).fit(X)
    full = KMeans(4, n_init=10, random_state=0).fit(model.preparer_.transform(pd.DataFrame(
        X, columns=[f"x{i}" for i in range(3)])))
    assert model.inertia_ <= full.inertia_ * 1.01
    assert adjusted_rand_score(full.labels_, model.labels_) > 0.99


def test_predict_reproduces_training_labels(mall):
    frame = mall[["Gender", "Age", *INCOME_SPENDING_LIST]]
    model = SegmentModel().fit(frame)
    assert (model.predict(frame) == model.labels_).all()
    assert model.transform(frame).shape == (200, model.n_clusters_)


def test_categorical_columns_are_one_hot(mall):
    model = SegmentModel(k=2).fit(mall[["Gender", "Age"]])
    assert model.preparer_.output_names == ["Age", "Gender=Female", "Gender=Male"]
    X = model.preparer_.transform(mall[["Gender", "Age"]])
    assert set(np.round(X[:, 1], 4)) == {0.0, 0.7071}  # a category change is 1.0 apart


BAD_PARAMS = [
    ({"k": 1}, r"The 'k' parameter must be an int in \[2, 50\] or 'auto'\. Got 1 instead\."),
    ({"k": 51}, r"The 'k' parameter must be an int in \[2, 50\] or 'auto'\. Got 51"),
    ({"k": "many"}, r"The 'k' parameter must be an int in \[2, 50\] or 'auto'\. Got 'many'"),
    ({"k": 2.5}, r"The 'k' parameter must be an int"),
    ({"k_min": 1}, r"The 'k_min' parameter must be an int >= 2\. Got 1 instead\."),
    ({"k_min": 5, "k_max": 4}, r"The 'k_max' parameter must be an int >= k_min \(5\)\. Got 4"),
    ({"n_init": 0}, r"The 'n_init' parameter must be an int >= 1\. Got 0"),
    ({"seed": -1}, r"The 'seed' parameter must be a non-negative int\. Got -1"),
    ({"stability_ks": "some"},
     r"The 'stability_ks' parameter must be 'contenders' or 'all'\. Got 'some'"),
]


@pytest.mark.parametrize(("params", "pattern"), BAD_PARAMS)
def test_bad_parameters(params, pattern):
    with pytest.raises(ConfigError, match=pattern):
        SegmentModel(**params).fit(np.arange(20.0).reshape(10, 2))


def test_nan_is_rejected_with_the_fix():
    X = pd.DataFrame({"a": [1.0, np.nan, 3.0], "g": ["x", "y", "x"]})
    with pytest.raises(DataError, match="contains NaN; impute or drop"):
        SegmentModel(k=2).fit(X)
