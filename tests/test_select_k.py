from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import silhouette_score

from custseg.select_k import KScore, elbow, recommend
from custseg.silhouette import distance_sums, moved_sums, silhouette_of, silhouettes


def test_shared_matrix_silhouette_equals_sklearn():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 3))
    label_sets = [rng.integers(0, k, size=300) for k in (2, 3, 5)]
    label_sets.append(np.r_[np.zeros(299, dtype=int), [1]])  # a singleton segment scores 0
    ours = silhouettes(X, label_sets)
    theirs = [silhouette_score(X, labels) for labels in label_sets]
    assert ours == pytest.approx(theirs, abs=1e-12)


def test_blocked_computation_matches_sklearn_on_more_rows_than_a_block():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(4500, 4))
    labels = rng.integers(0, 4, size=4500)
    assert silhouettes(X, [labels])[0] == pytest.approx(silhouette_score(X, labels), abs=1e-10)


@pytest.mark.parametrize("moved", [0, 1, 37, 400])
def test_silhouette_updated_for_moved_rows_equals_a_fresh_one(moved):
    # The final fit moves a few sample rows across a boundary; the update must give exactly
    # the silhouette a fresh pass gives, weights, a new segment id and emptied segments included.
    rng = np.random.default_rng(3)
    X = rng.normal(size=(2500, 3))
    weights = rng.integers(1, 4, size=2500).astype(float)
    before = rng.integers(0, 4, size=2500)
    after = before.copy()
    rows = rng.choice(2500, size=moved, replace=False)
    after[rows] = rng.integers(0, 5, size=moved)  # 4 is a segment the sweep did not have
    sums = distance_sums(X, [before], weights)[0]
    updated = moved_sums(X, weights, sums, before, after)
    assert updated is not None
    fresh = silhouettes(X, [after], weights)[0]
    assert silhouette_of(after, updated, weights) == pytest.approx(fresh, abs=1e-12)
    assert fresh == pytest.approx(silhouette_score(np.repeat(X, weights.astype(int), axis=0),
                                                   np.repeat(after, weights.astype(int))),
                                  abs=1e-9)


def test_silhouette_update_declines_when_most_rows_moved():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(200, 2))
    before = rng.integers(0, 3, size=200)
    sums = distance_sums(X, [before])[0]
    assert moved_sums(X, np.ones(200), sums, before, (before + 1) % 3) is None


def test_elbow_finds_the_bend():
    assert elbow([2, 3, 4, 5, 6, 7], [100, 60, 25, 22, 20, 19]) == 4


def _score(k, sil, ch=100.0, db=1.0, inertia=10.0, smallest=0.1):
    return KScore(k, inertia, sil, ch, db, smallest)


def test_rule_takes_highest_silhouette():
    chosen = recommend([_score(2, 0.30), _score(3, 0.50), _score(4, 0.45)], 100)
    assert chosen.recommended == 3
    assert chosen.reason.startswith("k=3 has the highest silhouette (0.500; next best k=4")


def test_rule_names_near_ties_but_keeps_the_best():
    chosen = recommend([_score(2, 0.30), _score(3, 0.495), _score(4, 0.50)], 100)
    assert chosen.recommended == 4
    assert "near tie with k=3 (within 0.01)" in chosen.reason


def test_disagreement_and_tiny_segments_are_warned():
    chosen = recommend([_score(2, 0.30, ch=300), _score(3, 0.60, smallest=0.01)], 100)
    assert any("Calinski-Harabasz points to k=2" in w for w in chosen.warnings)
    assert any("smallest segment holds only 1.0%" in w for w in chosen.warnings)
