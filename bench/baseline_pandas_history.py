"""The plain pandas script custseg's purchase-history features are measured against.

Reads the history (CSV or Parquet) with pandas, then groupby: the same nine definitions as
custseg (see features/feature_sql.py). Prints JSON with the customer count and a checksum of
recency, frequency and monetary, so the two can be compared.
"""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd


def features(path: str) -> pd.DataFrame:
    lines = pd.read_parquet(path) if path.endswith(".parquet") else pd.read_csv(path)
    lines = lines.dropna(subset=["CustomerID"])
    lines["day"] = pd.to_datetime(lines["InvoiceDate"]).dt.normalize()
    lines["amount"] = lines["Quantity"] * lines["UnitPrice"]
    lines["is_return"] = lines["InvoiceNo"].astype(str).str.match(r"^C\d+$") | (
        lines["Quantity"] < 0)
    as_of = lines["day"].max() + pd.Timedelta(days=1)
    buys = lines[~lines["is_return"]]
    per = buys.groupby("CustomerID").agg(
        last=("day", "max"), first=("day", "min"), frequency=("InvoiceNo", "nunique"),
        gross=("amount", "sum"), distinct_products=("StockCode", "nunique"))
    everything = lines.groupby("CustomerID").agg(
        monetary=("amount", "sum"), total_items=("Quantity", "sum"),
        last_any=("day", "max"), first_any=("day", "min"))
    returned = lines[lines["is_return"]].groupby("CustomerID")["amount"].sum().mul(-1)
    out = everything.join(per, how="left")
    out["returned"] = returned.reindex(out.index).fillna(0)
    last = out["last"].fillna(out["last_any"])
    first = out["first"].fillna(out["first_any"])
    out["frequency"] = out["frequency"].fillna(0)
    out["recency_days"] = (as_of - last).dt.days
    out["tenure_days"] = (as_of - first).dt.days
    out["avg_order_value"] = np.where(out["frequency"] > 0,
                                      out["gross"].fillna(0) / out["frequency"].clip(lower=1), 0)
    out["mean_days_between_orders"] = np.where(
        out["frequency"] > 1, (out["last"] - out["first"]).dt.days / (out["frequency"] - 1)
        .clip(lower=1), out["tenure_days"])
    out["return_share"] = np.where(out["gross"].fillna(0) > 0,
                                   out["returned"] / out["gross"], 0)
    return out


if __name__ == "__main__":
    result = features(sys.argv[1])
    json.dump({"customers": len(result),
               "recency_sum": int(result["recency_days"].sum()),
               "frequency_sum": int(result["frequency"].sum()),
               "monetary_sum": round(float(result["monetary"].sum()), 2)}, sys.stdout)
