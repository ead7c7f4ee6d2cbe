"""Synthetic customer tables with planted segments, for tests and benchmarks."""

from __future__ import annotations

import numpy as np
import pandas as pd

# Planted groups: (share, age, income k$, spending score, visits/month, basket $, tenure years)
_GROUPS = {
    "affluent loyal":      (0.15, 45, 110, 80, 6.0, 95, 8.0),
    "young enthusiasts":   (0.20, 26, 40, 75, 8.0, 35, 2.0),
    "careful savers":      (0.25, 52, 85, 25, 2.0, 60, 10.0),
    "budget occasional":   (0.25, 38, 30, 20, 1.0, 20, 3.0),
    "mainstream families": (0.15, 40, 65, 55, 4.0, 55, 5.0),
}
_SPREAD = (6.0, 10.0, 8.0, 1.0, 10.0, 1.5)
FEATURES = ["age", "annual_income", "spending_score", "visits_per_month", "avg_basket",
            "tenure_years"]


def synthetic_customers(n: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """``n`` customers x 6 numeric features, and the planted group of each customer."""
    rng = np.random.default_rng(seed)
    shares = np.array([g[0] for g in _GROUPS.values()])
    truth = rng.choice(len(shares), size=n, p=shares / shares.sum())
    means = np.array([g[1:] for g in _GROUPS.values()])
    values = means[truth] + rng.normal(size=(n, len(_SPREAD))) * np.array(_SPREAD)
    values = np.clip(values, 0, None)
    frame = pd.DataFrame(values.round(2), columns=FEATURES)
    frame.insert(0, "customer_id", np.arange(1, n + 1))
    return frame, truth


# Duplicate-heavy survey table: three 1-5 scores, so at most 125 distinct rows however many
# customers (as with RFM scores or Likert answers). Means per group: (share, three scores).
_SURVEY_GROUPS = {
    "fans of product, not of service":  (0.30, 4.5, 4.5, 1.5),
    "fans of service, not of product":  (0.30, 1.5, 4.5, 4.5),
    "price-led":                        (0.20, 4.5, 1.5, 4.5),
    "unhappy":                          (0.20, 2.0, 2.0, 2.0),
}
# Calibrated (300,000 rows, seed 0): plain KMeans(n_init=10) on the standardised full data picks
# k=4 among 2..10 by silhouette (0.515, next best k=5 at 0.433), ARI 0.89 with these groups.
# A wider spread blurs the groups (0.9: ARI 0.86; 1.0: ARI 0.80), a narrower one makes it easy.
_SURVEY_SPREAD = 0.85
SURVEY_FEATURES = ["product_score", "service_score", "value_score"]


def survey_scores(n: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """``n`` customers x three integer 1-5 scores from four planted groups, and each customer's
    group: a table of very few distinct rows."""
    rng = np.random.default_rng(seed)
    shares = np.array([g[0] for g in _SURVEY_GROUPS.values()])
    truth = rng.choice(len(shares), size=n, p=shares / shares.sum())
    means = np.array([g[1:] for g in _SURVEY_GROUPS.values()])
    noisy = means[truth] + rng.normal(size=(n, len(SURVEY_FEATURES))) * _SURVEY_SPREAD
    scores = np.clip(np.rint(noisy), 1, 5).astype(np.int64)
    frame = pd.DataFrame(scores, columns=SURVEY_FEATURES)
    frame.insert(0, "customer_id", np.arange(1, n + 1))
    return frame, truth
