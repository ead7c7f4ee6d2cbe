from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import silhouette_score

from custseg.select_k import KScore, elbow, recommend, silhouettes


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
