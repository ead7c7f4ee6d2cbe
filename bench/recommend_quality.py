"""Recommendation quality, measured honestly (hold out each customer's last shopping day).

For groceries.csv and a generated history with planted segment tastes: segment, then recommend
10 products each customer has not bought, from everything but their last shopping day; a hit is
a recommended product among the new products they bought that day. The baseline recommends the
overall best sellers the customer has not bought. Prints JSON.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run() -> dict[str, object]:
    sys.path.insert(0, str(HERE.parent / "src"))
    from custseg import io
    from custseg.datasets.synthetic_history import purchase_history
    from custseg.recommend import evaluate_holdout

    groceries = HERE.parent / "tests" / "data" / "groceries.csv"
    generated = Path(tempfile.mkdtemp(prefix="custseg-recs-")) / "history.csv"
    io.write_table(generated, purchase_history(20_000, seed=0)[0])
    return {"groceries": evaluate_holdout(groceries),
            "generated_20k": evaluate_holdout(generated, k=5)}


if __name__ == "__main__":
    print(json.dumps(run(), indent=1))
