"""RFM scores (1-5 by quintiles) and the named RFM segment map on recency x frequency.

Scores: the quintile boundaries of a feature are its 20th, 40th, 60th and 80th percentiles; a
customer's score is 1 plus the number of boundaries its value exceeds (for recency, fewer days
is better, so the scale is reversed). Equal values always get equal scores, and nothing depends
on row order. With heavy ties (most customers buying once) some scores stay unused, which is
honest: those customers cannot be told apart.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# The widely used map on R (rows) x F (columns), as R/F score ranges -> name.
RFM_MAP: list[tuple[range, range, str]] = [
    (range(1, 2), range(1, 2), "Lost"),
    (range(1, 2), range(2, 3), "Hibernating"),
    (range(2, 3), range(1, 3), "Hibernating"),
    (range(1, 3), range(3, 5), "At Risk"),
    (range(1, 3), range(5, 6), "Can't Lose Them"),
    (range(3, 4), range(1, 3), "About To Sleep"),
    (range(3, 4), range(3, 4), "Need Attention"),
    (range(3, 5), range(4, 6), "Loyal Customers"),
    (range(4, 5), range(1, 2), "Promising"),
    (range(5, 6), range(1, 2), "New Customers"),
    (range(4, 6), range(2, 4), "Potential Loyalists"),
    (range(5, 6), range(4, 6), "Champions"),
]
RFM_NAMES = ["Champions", "Loyal Customers", "Potential Loyalists", "New Customers", "Promising",
             "Need Attention", "About To Sleep", "At Risk", "Can't Lose Them", "Hibernating",
             "Lost"]


def rfm_name(r: int, f: int) -> str:
    names = [name for rs, fs, name in RFM_MAP if r in rs and f in fs]
    if len(names) != 1:
        raise ValueError(f"RFM cell R={r}, F={f} maps to {names}")
    return names[0]


def quintile_score(values: pd.Series, higher_is_better: bool = True) -> pd.Series:
    data = values.to_numpy(dtype="float64")
    if not higher_is_better:
        data = -data
    bounds = np.quantile(data, [0.2, 0.4, 0.6, 0.8])
    scores = 1 + (data[:, None] > bounds[None, :]).sum(axis=1)
    return pd.Series(scores.astype("int64"), index=values.index)


def rfm_scores(features: pd.DataFrame) -> pd.DataFrame:
    """Columns rfm_r, rfm_f, rfm_m (missing without money) and rfm_segment."""
    out = pd.DataFrame(index=features.index)
    out["rfm_r"] = quintile_score(features["recency_days"], higher_is_better=False)
    out["rfm_f"] = quintile_score(features["frequency"])
    if "monetary" in features:
        out["rfm_m"] = quintile_score(features["monetary"])
    else:
        out["rfm_m"] = pd.Series(pd.NA, index=features.index, dtype="Int64")
    # Scores are 1-5: every customer's name is one of the 25 cells, looked up at once.
    cells = np.array([[rfm_name(r, f) for f in range(1, 6)] for r in range(1, 6)], dtype=object)
    r, f = out["rfm_r"].to_numpy(), out["rfm_f"].to_numpy()
    out["rfm_segment"] = cells[r - 1, f - 1].tolist()
    return out
