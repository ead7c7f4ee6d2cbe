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
