"""The plain pandas + scikit-learn script custseg is measured against.

It does what a data scientist would write by hand: read the CSV, StandardScaler, KMeans with
n_init=10 for every k in 2..10, silhouette with sample_size=10,000, keep the best. Prints JSON.
"""

from __future__ import annotations

import json
import sys

import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler


def main(path: str) -> None:
    frame = pd.read_csv(path)
    features = frame.drop(columns=["customer_id"])
    X = StandardScaler().fit_transform(features)
    inertia: dict[int, float] = {}
    best_k, best_score, best_labels = 0, -1.0, None
    for k in range(2, 11):
        model = KMeans(n_clusters=k, n_init=10, random_state=0).fit(X)
        inertia[k] = float(model.inertia_)
        score = silhouette_score(X, model.labels_, sample_size=min(10_000, len(X)),
                                 random_state=0)
        if score > best_score:
            best_k, best_score, best_labels = k, score, model.labels_
    pd.DataFrame({"customer_id": frame["customer_id"], "segment": best_labels}).to_csv(
        path + ".baseline.csv", index=False)
    json.dump({"k": best_k, "silhouette": best_score, "inertia": inertia}, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
