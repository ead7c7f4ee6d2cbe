"""The HTML report: one self-contained file a marketing manager can read offline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np
import pandas as pd

from ..model import SegmentModel
from ..profile import SegmentProfile
from ..rfm import RFM_NAMES
from ..roles import ROLES
from . import charts, page
from .svg import human


class ReportInput(Protocol):
    """What the report reads of a run (``result.SegmentationResult`` has it all); declared
    here so that the report depends on what it reads, not on the result module."""

    @property
    def summary(self) -> dict[str, Any]: ...
    @property
    def profiles(self) -> Sequence[SegmentProfile]: ...
    @property
    def model(self) -> SegmentModel: ...
    @property
    def data(self) -> pd.DataFrame: ...
    @property
    def prepared(self) -> np.ndarray: ...
    @property
    def tables(self) -> Mapping[str, pd.DataFrame]: ...


def projection(result: ReportInput, rows: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray, str, str]:
    """Points (of ``rows``, else of every customer) and centres for the scatter, with axis
    labels that say what the axes are."""
    specs = result.model.preparer_.specs
    if len(specs) == 2 and all(s.kind == "numeric" for s in specs):
        names = [s.name for s in specs]
        points = result.data[names].to_numpy(dtype=float)
        centers = np.array([[p.mean for p in prof.features if p.feature in names]
                            for prof in result.profiles])
        return (points if rows is None else points[rows]), centers, names[0], names[1]
    # Principal components of the prepared matrix: the 2-D view that keeps the most spread.
    # From the features x features scatter matrix (eigh), not an SVD of the customers x
    # features matrix: the same axes at a fraction of the time on a large table.
    matrix = result.prepared
    mean = matrix.mean(axis=0)
    # X'X - n mean mean' is the centred scatter without a centred copy of X (the features are
    # standardised, so no precision is lost to cancellation).
    spread, vectors = np.linalg.eigh(matrix.T @ matrix - len(matrix) * np.outer(mean, mean))
    order = np.argsort(-spread, kind="stable")
    spread, components = np.clip(spread[order], 0, None), vectors[:, order].T
    # An eigenvector's sign is arbitrary: point each axis along its largest loading.
    components *= np.where(components[np.arange(len(components)),
                                      np.abs(components).argmax(axis=1)] < 0, -1.0, 1.0)[:, None]
    explained = spread / max(float(spread.sum()), 1e-12)
    columns = result.model.preparer_.output_names
    axes_labels = []
    for i in range(min(2, len(components))):
        top = np.argsort(-np.abs(components[i]), kind="stable")[:2]
        loads = ", ".join(f"{'+' if components[i][j] > 0 else '-'}{columns[j]}" for j in top)
        axes_labels.append(f"component {i + 1} ({explained[i]:.0%} of spread; mostly {loads})")
    while len(axes_labels) < 2:
        axes_labels.append("component 2 (no further spread)")
        components = np.vstack([components, np.zeros_like(components[:1])])
    points = ((matrix if rows is None else matrix[rows]) - mean) @ components[:2].T
    centers = (result.model.cluster_centers_ - mean) @ components[:2].T
    return points, centers, axes_labels[0], axes_labels[1]


def profile_image(result: ReportInput) -> str:
    """The features x segments heat map (z-scores, annotated with segment averages) as SVG."""
    names = [p.name for p in result.profiles]
    feature_rows = result.profiles[0].features
    z = np.array([[p.features[i].z for p in result.profiles] for i in range(len(feature_rows))])
    notes = [[_annotation(p.features[i]) for p in result.profiles]
             for i in range(len(feature_rows))]
    labels = [f.feature if f.kind == "numeric" else f"{f.feature} (share of top level)"
              for f in feature_rows]
    return charts.profile_chart(labels, names, z, notes)


def render_report(result: ReportInput) -> str:
    """report.html: one file with every chart inline as SVG (no script, no network)."""
    summary = result.summary
    names = [p.name for p in result.profiles]
    selection = summary["k_selection"]
    k_chart = (charts.k_selection_chart(selection["scores"], summary["k"])
               if selection["scores"] else None)
    rows = charts.scatter_rows(len(result.model.labels_), summary["seed"])
    points, centers, xlabel, ylabel = projection(result, rows)
    labels = result.model.labels_ if rows is None else result.model.labels_[rows]
    scatter = charts.scatter_chart(points, labels, names, xlabel, ylabel, centers,
                                   summary["seed"])
    sizes = charts.sizes_chart(names, [p.size for p in result.profiles])
    profile_img = profile_image(result)
    by_id = {p.id: p.name for p in result.profiles}
    kpis = summary.get("kpis", [])
    kpi_img = charts.kpi_chart(kpis) if kpis else None
    affinity = result.tables.get("affinity.csv")
    monthly = result.tables.get("monthly_sales.csv")
    stability = summary.get("stability") or {"runs": 0}
    by_segment = {seg["id"]: seg for seg in summary.get("segments", [])}
    stability_values = [by_segment.get(p.id, {}).get("stability") for p in result.profiles]
    stability_img = (charts.stability_chart(
        names, stability_values,
        [by_segment.get(p.id, {}).get("stability_label", "not measured")
         for p in result.profiles])
        if stability.get("runs") else None)
    affinity_img = (charts.affinity_chart(affinity, by_id)
                    if affinity is not None and len(affinity) else None)
    monthly_img = (charts.monthly_chart(monthly, by_id)
                   if monthly is not None and len(monthly) else None)
    return page.render(page.Page(
        summary=summary, profiles=result.profiles,
        charts={"chart-k": k_chart, "chart-scatter": scatter, "chart-sizes": sizes,
                "chart-profile": profile_img, "chart-stability": stability_img,
                "chart-kpis": kpi_img, "chart-affinity": affinity_img,
                "chart-monthly": monthly_img},
        scatter_axes=(xlabel, ylabel), two_features=xlabel in summary["features"],
        colours=[charts.colour(i) for i in range(len(names))],
        affinity_rows=({int(part["segment"].iloc[0]): part.head(5).to_dict("records")
                        for _, part in affinity.groupby("segment")}
                       if affinity is not None else {}),
        rfm_names=[n for n in RFM_NAMES if n in summary.get("rfm", {}).get("counts", {})],
        segment_stability={p.id: stability_text(by_segment.get(p.id, {}))
                           for p in result.profiles},
        roles=role_rows(summary), generated=dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        scatter_points=charts.SCATTER_POINTS))


def role_rows(summary: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(feature, role, what the role means) for every feature used."""
    descriptions = ROLES
    roles = summary.get("roles") or {}
    features = [f for f in summary["features"] if f in roles]
    features += [f for f in roles if f not in features]
    return [(f, roles[f], descriptions.get(roles[f], "")) for f in features]


def stability_text(segment: dict[str, Any]) -> str:
    """"stable (0.96)", or "not measured"."""
    value = segment.get("stability")
    label = segment.get("stability_label", "not measured")
    return label if value is None else f"{label} ({value:.2f})"


def _annotation(feature: Any) -> str:
    if feature.kind == "numeric":
        return human(feature.mean)
    return f"{feature.level} {feature.share:.0%}"
