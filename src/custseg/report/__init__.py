"""The HTML report: one self-contained file a marketing manager can read offline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import jinja2
import numpy as np
import pandas as pd
from matplotlib.colors import to_hex

from ..model import SegmentModel
from ..profile import SegmentProfile
from ..rfm import RFM_NAMES
from ..roles import ROLES
from . import charts


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

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("custseg.report", "templates"),
    autoescape=jinja2.select_autoescape(["html"]),
    undefined=jinja2.StrictUndefined,
)


def projection(result: ReportInput) -> tuple[np.ndarray, np.ndarray, str, str]:
    """Points and centres for the scatter, with axis labels that say what the axes are."""
    specs = result.model.preparer_.specs
    if len(specs) == 2 and all(s.kind == "numeric" for s in specs):
        names = [s.name for s in specs]
        points = result.data[names].to_numpy(dtype=float)
        centers = np.array([[p.mean for p in prof.features if p.feature in names]
                            for prof in result.profiles])
        return points, centers, names[0], names[1]
    # Principal components of the prepared matrix: the 2-D view that keeps the most spread.
    matrix = result.prepared
    mean = matrix.mean(axis=0)
    _, singular, components = np.linalg.svd(matrix - mean, full_matrices=False)
    explained = singular**2 / max(float((singular**2).sum()), 1e-12)
    columns = result.model.preparer_.output_names
    axes_labels = []
    for i in range(min(2, len(components))):
        top = np.argsort(-np.abs(components[i]))[:2]
        loads = ", ".join(f"{'+' if components[i][j] > 0 else '-'}{columns[j]}" for j in top)
        axes_labels.append(f"component {i + 1} ({explained[i]:.0%} of spread; mostly {loads})")
    while len(axes_labels) < 2:
        axes_labels.append("component 2 (no further spread)")
        components = np.vstack([components, np.zeros_like(components[:1])])
    points = (matrix - mean) @ components[:2].T
    centers = (result.model.cluster_centers_ - mean) @ components[:2].T
    return points, centers, axes_labels[0], axes_labels[1]


def profile_image(result: ReportInput) -> str:
    """The features x segments heatmap (z-scores, annotated with segment averages)."""
    names = [p.name for p in result.profiles]
    feature_rows = result.profiles[0].features
    z = np.array([[p.features[i].z for p in result.profiles] for i in range(len(feature_rows))])
    notes = [[_annotation(p.features[i]) for p in result.profiles]
             for i in range(len(feature_rows))]
    labels = [f.feature if f.kind == "numeric" else f"{f.feature} (share of top level)"
              for f in feature_rows]
    return charts.profile_chart(labels, names, z, notes)


def render_report(result: ReportInput) -> str:
    summary = result.summary
    names = [p.name for p in result.profiles]
    selection = summary["k_selection"]
    k_chart = (charts.k_selection_chart(selection["scores"], summary["k"])
               if selection["scores"] else None)
    points, centers, xlabel, ylabel = projection(result)
    scatter = charts.scatter_chart(points, result.model.labels_, names, xlabel, ylabel, centers,
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
    template = _ENV.get_template("report.html")
    return template.render(
        s=summary, profiles=result.profiles, k_chart=k_chart, scatter=scatter,
        scatter_axes=(xlabel, ylabel), sizes=sizes, profile_img=profile_img,
        generated=dt.datetime.now().strftime("%Y-%m-%d %H:%M"), fmt=_fmt,
        two_features=xlabel in summary["features"],
        colours=[to_hex(charts.colour(i)) for i in range(len(names))],
        kpis=kpis, kpi_img=kpi_img, affinity_img=affinity_img, monthly_img=monthly_img,
        affinity_rows=({int(part["segment"].iloc[0]): part.head(5).to_dict("records")
                        for _, part in affinity.groupby("segment")}
                       if affinity is not None else {}),
        rfm_names=[n for n in RFM_NAMES if n in summary.get("rfm", {}).get("counts", {})],
        structure=summary.get("structure"), stability=stability, stability_img=stability_img,
        segment_stability={p.id: _stability_text(by_segment.get(p.id, {}))
                           for p in result.profiles},
        k_stability=any(r.get("stability_min") is not None for r in selection["scores"]),
        roles=role_rows(summary),
    )


def role_rows(summary: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(feature, role, what the role means) for every feature used."""
    descriptions = ROLES
    roles = summary.get("roles") or {}
    features = [f for f in summary["features"] if f in roles]
    features += [f for f in roles if f not in features]
    return [(f, roles[f], descriptions.get(roles[f], "")) for f in features]


def _stability_text(segment: dict[str, Any]) -> str:
    """"stable (0.96)", or "not measured"."""
    value = segment.get("stability")
    label = segment.get("stability_label", "not measured")
    return label if value is None else f"{label} ({value:.2f})"


def _annotation(feature: Any) -> str:
    if feature.kind == "numeric":
        return _fmt(feature.mean)
    return f"{feature.level} {feature.share:.0%}"


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:,.1f}" if abs(value) >= 10 else f"{value:,.2f}"
