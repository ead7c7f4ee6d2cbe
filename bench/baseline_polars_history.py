"""A polars script computing custseg's purchase-history features, the fast baseline.

The same nine definitions as custseg (features/feature_sql.py) and the pandas script
(baseline_pandas_history.py), written the way polars is meant to be used: one lazy query,
scanned, filtered and grouped in a single streaming pass over the lines, every feature an
expression of the one group_by. No data-quality accounting (custseg's duplicate, window and
text-number counts). Prints the same JSON checksum as bench/history_features.py.
"""

from __future__ import annotations

import json
import sys

import polars as pl


def features(path: str) -> pl.DataFrame:
    if path.endswith(".parquet"):
        lines = pl.scan_parquet(path)
    else:
        # Ids as text (as custseg reads them); the timestamps parsed by the CSV reader.
        lines = pl.scan_csv(path, schema_overrides={"InvoiceNo": pl.String,
                                                    "StockCode": pl.String},
                            try_parse_dates=True)
    lines = lines.filter(pl.col("CustomerID").is_not_null()).select(
        "CustomerID", "InvoiceNo", "StockCode", "Quantity",
        day=pl.col("InvoiceDate").cast(pl.Date),
        amount=pl.col("Quantity") * pl.col("UnitPrice"),
        is_return=pl.col("InvoiceNo").str.contains(r"^C[0-9]+$") | (pl.col("Quantity") < 0),
    )
    buy = ~pl.col("is_return")
    per = lines.group_by("CustomerID").agg(
        last=pl.col("day").filter(buy).max(),
        first=pl.col("day").filter(buy).min(),
        last_any=pl.col("day").max(),
        first_any=pl.col("day").min(),
        frequency=pl.col("InvoiceNo").filter(buy).n_unique(),
        distinct_products=pl.col("StockCode").filter(buy).n_unique(),
        monetary=pl.col("amount").sum(),
        gross=pl.col("amount").filter(buy).sum(),
        returned=-pl.col("amount").filter(pl.col("is_return")).sum(),
        total_items=pl.col("Quantity").sum(),
    )
    frequency = pl.col("frequency")
    last = pl.col("last").fill_null(pl.col("last_any"))
    first = pl.col("first").fill_null(pl.col("first_any"))
    as_of = pl.col("last_any").max() + pl.duration(days=1)
    tenure = (as_of - first).dt.total_days()
    return per.select(
        "CustomerID",
        recency_days=(as_of - last).dt.total_days(),
        frequency=frequency,
        monetary=pl.col("monetary"),
        avg_order_value=pl.when(frequency > 0).then(pl.col("gross") / frequency).otherwise(0.0),
        tenure_days=tenure,
        mean_days_between_orders=pl.when(frequency > 1)
        .then((pl.col("last") - pl.col("first")).dt.total_days() / (frequency - 1))
        .otherwise(tenure.cast(pl.Float64)),
        distinct_products=pl.col("distinct_products"),
        total_items=pl.col("total_items").cast(pl.Float64),
        return_share=pl.when(pl.col("gross") > 0).then(pl.col("returned") / pl.col("gross"))
        .otherwise(0.0),
    ).collect(engine="streaming")


if __name__ == "__main__":
    result = features(sys.argv[1])
    json.dump({"customers": result.height,
               "recency_sum": int(result["recency_days"].sum()),
               "frequency_sum": int(result["frequency"].sum()),
               "monetary_sum": round(float(result["monetary"].sum()), 2)}, sys.stdout)
