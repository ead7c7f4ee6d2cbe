"""custseg's purchase-history features alone (DuckDB), as a process the benchmark can measure."""

from __future__ import annotations

import json
import sys

from custseg.features.transactions import customer_features

if __name__ == "__main__":
    with customer_features(sys.argv[1]) as history:
        frame = history.frame
    json.dump({"customers": len(frame), "recency_sum": int(frame["recency_days"].sum()),
               "frequency_sum": int(frame["frequency"].sum()),
               "monetary_sum": round(float(frame["monetary"].sum()), 2)}, sys.stdout)
