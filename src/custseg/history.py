"""Purchase histories: features in, and the RFM view and quality accounting added to a result."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from .features.transactions import HistoryFeatures, customer_features
from .rfm import RFM_NAMES, rfm_scores

if TYPE_CHECKING:
    from .pipeline import SegmentationResult

__all__ = ["attach", "customer_features", "default_features"]

# What K-means clusters on by default: the RFM core plus basket size and tenure, which separate
# new customers from occasional ones. The other features are kept in features.csv and
# segments.csv and can be chosen with --features.
DEFAULT_WITH_MONEY = ["recency_days", "frequency", "monetary", "avg_order_value", "tenure_days"]
DEFAULT_WITHOUT_MONEY = ["recency_days", "frequency", "tenure_days", "distinct_products",
                         "total_items"]


# log1p (with log1p="auto") only for money and count features, as DESIGN.md says: they are
# heavily right-skewed. Day counts stay linear: on planted data, logging recency stretched the
# few-days end and merged recent regulars with lapsed customers (ARI 0.80 instead of 0.9+).
LOG_CANDIDATES = {"frequency", "monetary", "avg_order_value", "distinct_products", "total_items"}


def default_log1p(found: HistoryFeatures, features: list[str]) -> list[str]:
    from .prep import skewed_columns

    candidates = [f for f in features if f in LOG_CANDIDATES]
    return skewed_columns(found.frame, candidates) if candidates else []


def default_features(found: HistoryFeatures) -> list[str]:
    wanted = DEFAULT_WITH_MONEY if found.money else DEFAULT_WITHOUT_MONEY
    return [f for f in wanted if f in found.features]


def attach(result: SegmentationResult, found: HistoryFeatures) -> None:
    """Add every feature, the RFM columns and the history's quality counts to ``result``."""
    id_column = found.columns.customer
    table = found.frame.set_index(id_column)
    scores = rfm_scores(found.frame).set_index(found.frame[id_column])
    order = result.assignments[id_column]
    for name in found.features:
        if name not in result.assignments:
            result.assignments[name] = table.loc[order, name].to_numpy()
    for column in scores.columns:
        result.assignments[column] = scores.loc[order, column].to_numpy()
    result.features_table = found.frame
    cross = pd.crosstab(result.assignments["segment"], result.assignments["rfm_segment"])
    cross = cross.reindex(columns=[n for n in RFM_NAMES if n in cross.columns])
    result.summary["transactions"] = {
        "columns": found.columns.to_dict(),
        "as_of": found.as_of.isoformat(),
        "money": found.money,
        "features_computed": found.features,
        "quality": found.quality,
        "notes": found.notes,
    }
    result.summary["rfm"] = {
        "counts": {name: int(n) for name, n in
                   result.assignments["rfm_segment"].value_counts().items()},
        "by_segment": {int(seg): {str(k): int(v) for k, v in row.items() if v}
                       for seg, row in zip(cross.index.tolist(), cross.to_dict("records"),
                                           strict=True)},
    }
    result.summary["data_quality"]["notes"] += found.notes
    result.warnings += found.notes
    result.history_connection = found.connection
    if found.columns.product is not None and found.connection is not None:
        _products(result, found)


def _products(result: SegmentationResult, found: HistoryFeatures) -> None:
    """Affinity, share of spend and monthly sales per segment (tables, summary, report)."""
    from . import affinity

    con, id_column = found.connection, found.columns.customer
    assert con is not None
    segments = result.assignments[[id_column, "segment"]]
    top = affinity.product_affinity(con, segments, id_column)
    shares = affinity.spend_share(con, segments, id_column, found.money)
    monthly = affinity.monthly_sales(con, segments, id_column, found.money)
    result.extra_tables.update({"affinity.csv": top, "product_share.csv": shares,
                                "monthly_sales.csv": monthly})
    result.summary["products"] = {
        "affinity_rule": (f"index = P(product | segment) / P(product) x 100; products bought by "
                          f"at least {affinity.MIN_BUYERS} customers and "
                          f"{affinity.MIN_SHARE:.0%} of the segment"),
        "top_by_segment": {int(part["segment"].iloc[0]):
                           part[["product", "affinity_index", "segment_share"]]
                           .round(4).to_dict("records") for _, part in top.groupby("segment")},
        "monthly_products": sorted(monthly["product"].unique().tolist()),
    }
