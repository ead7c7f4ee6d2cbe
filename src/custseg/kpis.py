"""Per-segment KPIs: size and, for purchase histories, revenue, order value, orders, recency."""

from __future__ import annotations

from typing import Any

import pandas as pd


def segment_kpis(assignments: pd.DataFrame, names: dict[int, str]) -> list[dict[str, Any]]:
    """One row per segment. Revenue figures need the history's monetary column."""
    # Only the columns read here: grouping the whole table copied every column (ids, names,
    # features as read) segment by segment, 0.2 s on a million customers.
    read = [c for c in ("segment", "monetary", "frequency", "avg_order_value", "recency_days")
            if c in assignments]
    groups = assignments[read].groupby("segment")
    total = len(assignments)
    has_money = "monetary" in assignments
    revenue_total = float(assignments["monetary"].sum()) if has_money else None
    rows = []
    for _, part in groups:
        segment = int(part["segment"].iloc[0])
        row: dict[str, Any] = {"segment": segment, "name": names[segment],
                               "customers": len(part), "share": round(len(part) / total, 6)}
        if has_money:
            revenue = float(part["monetary"].sum())
            orders = float(part["frequency"].sum())
            gross = float((part["avg_order_value"] * part["frequency"]).sum())
            row.update(revenue=round(revenue, 2),
                       revenue_share=round(revenue / revenue_total, 6) if revenue_total else None,
                       avg_order_value=round(gross / orders, 2) if orders else None)
        if "frequency" in part:
            row["orders_per_customer"] = round(float(part["frequency"].mean()), 3)
        if "recency_days" in part:
            row["median_recency_days"] = float(part["recency_days"].median())
        rows.append(row)
    return rows
