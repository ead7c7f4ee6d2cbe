"""The purchase-history stage's own outputs: default features, and after the fit the extras a
history adds to a result (every feature and RFM column per customer, quality counts, RFM view,
product tables), computed while the stage still holds its DuckDB session and returned as values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from . import affinity
from .features.transactions import HistoryFeatures
from .prep import skewed_columns
from .rfm import RFM_NAMES, rfm_scores

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


def default_log1p(history: HistoryFeatures, features: list[str]) -> list[str]:
    candidates = [f for f in features if f in LOG_CANDIDATES]
    return skewed_columns(history.frame, candidates) if candidates else []


def default_features(history: HistoryFeatures) -> list[str]:
    wanted = DEFAULT_WITH_MONEY if history.money else DEFAULT_WITHOUT_MONEY
    return [f for f in wanted if f in history.features]


@dataclass(frozen=True)
class HistoryExtras:
    """What a purchase history adds to a segmentation."""

    columns: pd.DataFrame  # computed features not clustered on + RFM columns, in assignment order
    features_table: pd.DataFrame  # features.csv: every customer's computed features
    transactions: dict[str, Any]  # summary.json "transactions"
    rfm: dict[str, Any]  # summary.json "rfm"
    notes: list[str]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # affinity.csv, ...
    products: dict[str, Any] | None = None  # summary.json "products"


def history_extras(history: HistoryFeatures, assignments: pd.DataFrame) -> HistoryExtras:
    """Every feature, the RFM columns and the quality counts, for the customers of
    ``assignments`` (in their order); product tables when the history names products."""
    id_column = history.columns.customer
    table = history.frame.set_index(id_column)
    scores = rfm_scores(history.frame).set_index(history.frame[id_column])
    order = assignments[id_column]
    columns = pd.DataFrame(index=assignments.index)
    for name in history.features:
        if name not in assignments:
            columns[name] = table.loc[order, name].to_numpy()
    for column in scores.columns:
        columns[column] = scores.loc[order, column].to_numpy()
    cross = pd.crosstab(assignments["segment"], columns["rfm_segment"])
    cross = cross.reindex(columns=[n for n in RFM_NAMES if n in cross.columns])
    transactions = {
        "columns": history.columns.to_dict(),
        "as_of": history.as_of.isoformat(),
        "money": history.money,
        "features_computed": history.features,
        "quality": history.quality,
        "notes": history.notes,
    }
    rfm = {
        "counts": {name: int(n) for name, n in columns["rfm_segment"].value_counts().items()},
        "by_segment": {int(seg): {str(k): int(v) for k, v in row.items() if v}
                       for seg, row in zip(cross.index.tolist(), cross.to_dict("records"),
                                           strict=True)},
    }
    tables: dict[str, pd.DataFrame] = {}
    products = None
    if history.columns.product is not None and history.connection is not None:
        tables, products = _products(history, assignments[[id_column, "segment"]])
    return HistoryExtras(columns, history.frame, transactions, rfm, list(history.notes), tables,
                         products)


def _products(history: HistoryFeatures, segments: pd.DataFrame
              ) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Affinity, share of spend and monthly sales per segment (tables, summary, report)."""
    con, id_column = history.connection, history.columns.customer
    assert con is not None
    top = affinity.product_affinity(con, segments, id_column)
    shares = affinity.spend_share(con, segments, id_column, history.money)
    monthly = affinity.monthly_sales(con, segments, id_column, history.money)
    tables = {"affinity.csv": top, "product_share.csv": shares, "monthly_sales.csv": monthly}
    summary = {
        "affinity_rule": (f"index = P(product | segment) / P(product) x 100; products bought by "
                          f"at least {affinity.MIN_BUYERS} customers and "
                          f"{affinity.MIN_SHARE:.0%} of the segment"),
        "top_by_segment": {int(part["segment"].iloc[0]):
                           part[["product", "affinity_index", "segment_share"]]
                           .round(4).to_dict("records") for _, part in top.groupby("segment")},
        "monthly_products": sorted(monthly["product"].unique().tolist()),
    }
    return tables, summary
