"""The report's charts, drawn with matplotlib and embedded as PNG data URIs (works offline)."""

from __future__ import annotations

import base64
import io as _io
from typing import Any

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")  # no display: the report is rendered on servers and in CI
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

SCATTER_POINTS = 5_000  # more points only blur the picture and bloat the file


def colour(segment: int) -> Any:
    cmap = plt.get_cmap("tab10" if segment < 10 else "tab20")
    return cmap(segment % cmap.N)


def to_data_uri(fig: Figure) -> str:
    buffer = _io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


# Hennig's bands for a segment's mean bootstrap Jaccard (custseg.stability.LABELS), drawn on the
# stability charts: (lower edge, upper edge, word, shade).
STABILITY_BANDS = ((0.0, 0.6, "unstable", "#f6d5d0"), (0.6, 0.75, "weak", "#fbe8c8"),
                   (0.75, 0.85, "fairly stable", "#e6f0d2"), (0.85, 1.0, "stable", "#cfe8cf"))


def k_selection_chart(scores: list[dict[str, Any]], chosen: int) -> str:
    """The quality indices for each k, chosen k marked; a stability panel (least stable segment
    and mean) under them when the scores carry bootstrap stability."""
    ks = [s["k"] for s in scores]
    panels = [("silhouette", "Silhouette (higher is better)"),
              ("calinski_harabasz", "Calinski-Harabasz (higher is better)"),
              ("davies_bouldin", "Davies-Bouldin (lower is better)"),
              ("inertia", "Inertia (look for the elbow)")]
    stable = any(s.get("stability_min") is not None for s in scores)
    fig = plt.figure(figsize=(9, 8.3 if stable else 5.5))
    grid = fig.add_gridspec(3 if stable else 2, 2)
    axes = [fig.add_subplot(grid[i // 2, i % 2]) for i in range(4)]
    for ax, (key, title) in zip(axes, panels, strict=True):
        values = [s[key] for s in scores]
        ax.plot(ks, values, marker="o", color="#4477aa")
        _mark_chosen(ax, ks, values, chosen)
        ax.set_title(title, fontsize=10)
    axes[0].legend(fontsize=8)
    if stable:
        ax = fig.add_subplot(grid[2, :])
        least = [_nan(s.get("stability_min")) for s in scores]
        mean = [_nan(s.get("stability_mean")) for s in scores]
        ax.plot(ks, mean, marker="o", color="#88aadd", linestyle="--",
                label="mean of the segments")
        ax.plot(ks, least, marker="o", color="#4477aa", label="least stable segment")
        ax.axhline(0.75, color="#228833", linewidth=1, linestyle=":",
                   label="0.75: fairly stable or better")
        _mark_chosen(ax, ks, least, chosen)
        ax.set_ylim(0, 1.05)
        ax.set_title("Bootstrap stability of the segments (higher is better)", fontsize=10)
        ax.legend(fontsize=8, loc="lower left")
        axes.append(ax)
    for ax in axes:
        ax.set_xticks(ks)
        ax.set_xlabel("k (number of segments)", fontsize=8)
    # A fixed layout: tight_layout measures every label and costs a third of this chart's time.
    if stable:
        fig.subplots_adjust(left=0.08, right=0.98, bottom=0.06, top=0.96, wspace=0.25,
                            hspace=0.5)
    else:
        fig.subplots_adjust(left=0.08, right=0.98, bottom=0.09, top=0.94, wspace=0.25,
                            hspace=0.45)
    return to_data_uri(fig)


def _mark_chosen(ax: Any, ks: list[int], values: list[float], chosen: int) -> None:
    ax.axvline(chosen, color="#cc3311", linestyle="--", linewidth=1)
    if chosen in ks:
        ax.plot([chosen], [values[ks.index(chosen)]], marker="o", markersize=10,
                color="#cc3311", label=f"chosen k={chosen}")


def _nan(value: float | None) -> float:
    return float("nan") if value is None else float(value)


def stability_chart(names: list[str], values: list[float | None], labels: list[str]) -> str:
    """Each segment's bootstrap stability on 0..1 over Hennig's bands; segments without a value
    are written "not measured"."""
    inches = 0.45 * len(names)
    top, bottom = 0.5, 0.55  # inches above (band names) and below (axis label) the bars
    height = inches + top + bottom
    fig, ax = plt.subplots(figsize=(8, height))
    # A fixed layout (no tight_layout); long names and the figures right of a bar near 1 are
    # kept by to_data_uri's tight bounding box.
    fig.subplots_adjust(left=0.3, right=0.84, bottom=bottom / height, top=1 - top / height)
    for low, high, word, shade in STABILITY_BANDS:
        ax.axvspan(low, high, color=shade, zorder=0)
        ax.text((low + high) / 2, 1.01, word.replace(" ", "\n"),
                transform=ax.get_xaxis_transform(), ha="center", va="bottom", fontsize=7,
                color="#444", linespacing=1.0)
    for edge in (0.6, 0.75, 0.85):
        ax.axvline(edge, color="#777", linewidth=0.8, linestyle="--", zorder=1)
    positions = np.arange(len(names))[::-1]
    for i, (position, value, word) in enumerate(zip(positions, values, labels, strict=True)):
        if value is None:
            ax.text(0.01, position, "not measured", va="center", fontsize=8, color="#555",
                    style="italic")
            continue
        ax.barh(position, value, 0.6, color=colour(i), zorder=2)
        ax.text(value + 0.01, position, f"{word} ({value:.2f})", va="center", fontsize=8,
                zorder=3)
    ax.set_yticks(positions, [f"{i}: {n}" for i, n in enumerate(names)], fontsize=8)
    ax.set_ylim(-0.6, len(names) - 0.4)
    ax.set_xlim(0, 1)
    ax.set_xticks([0, 0.2, 0.4, 0.6, 0.75, 0.85, 1.0])
    ax.tick_params(axis="x", labelsize=8)
    ax.set_xlabel("mean Jaccard similarity with the segment's best match in each refit",
                  fontsize=8)
    return to_data_uri(fig)


def scatter_chart(points: np.ndarray, labels: np.ndarray, names: list[str], xlabel: str,
                  ylabel: str, centers: np.ndarray | None, seed: int) -> str:
    if len(points) > SCATTER_POINTS:
        keep = np.random.default_rng(seed).choice(len(points), SCATTER_POINTS, replace=False)
        points, labels = points[keep], labels[keep]
    fig, ax = plt.subplots(figsize=(8, 5.5))
    for seg, name in enumerate(names):
        mask = labels == seg
        ax.scatter(points[mask, 0], points[mask, 1], s=14, alpha=0.75, color=colour(seg),
                   label=f"{seg}: {name}")
    if centers is not None:
        ax.scatter(centers[:, 0], centers[:, 1], marker="X", s=160, color="black",
                   edgecolor="white", label="segment centre")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    fig.tight_layout()
    return to_data_uri(fig)


def sizes_chart(names: list[str], sizes: list[int]) -> str:
    fig, ax = plt.subplots(figsize=(8, 0.5 + 0.45 * len(names)))
    positions = np.arange(len(names))[::-1]
    bars = ax.barh(positions, sizes, color=[colour(i) for i in range(len(names))])
    total = sum(sizes)
    for bar, size in zip(bars, sizes, strict=True):
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2,
                f"  {size:,} ({size / total:.0%})", va="center", fontsize=8)
    ax.set_yticks(positions, [f"{i}: {n}" for i, n in enumerate(names)], fontsize=8)
    ax.set_xlabel("customers")
    ax.set_xlim(0, max(sizes) * 1.25)
    fig.tight_layout()
    return to_data_uri(fig)


def profile_chart(features: list[str], names: list[str], z: np.ndarray,
                  annotations: list[list[str]]) -> str:
    """Heatmap of z-scores, features down, segments across, annotated with segment means."""
    fig, ax = plt.subplots(figsize=(1.6 + 1.3 * len(names), 0.8 + 0.5 * len(features)))
    limit = max(1.5, float(np.abs(z).max()))
    image = ax.imshow(z, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
    ax.set_xticks(range(len(names)), [f"{i}: {n}" for i, n in enumerate(names)], rotation=30,
                  ha="right", fontsize=8)
    ax.set_yticks(range(len(features)), features, fontsize=8)
    for row, texts in enumerate(annotations):
        for col, text in enumerate(texts):
            ax.text(col, row, text, ha="center", va="center", fontsize=8,
                    color="white" if abs(z[row, col]) > limit * 0.6 else "black")
    fig.colorbar(image, ax=ax, label="standard deviations from all customers")
    fig.tight_layout()
    return to_data_uri(fig)


def migration_chart(shares: Any, counts: Any) -> str:
    """Heatmap of row shares, old segments down, new segments across, annotated with counts."""
    fig, ax = plt.subplots(figsize=(2 + 1.2 * shares.shape[1], 1 + 0.55 * shares.shape[0]))
    ax.imshow(shares.to_numpy(dtype=float), cmap="Blues", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(shares.shape[1]), list(shares.columns), rotation=30, ha="right",
                  fontsize=8)
    ax.set_yticks(range(shares.shape[0]), list(shares.index), fontsize=8)
    ax.set_xlabel("new segment")
    ax.set_ylabel("old segment")
    for i in range(shares.shape[0]):
        for j in range(shares.shape[1]):
            value = float(shares.iat[i, j])
            ax.text(j, i, f"{value:.0%}\n({int(counts.iat[i, j]):,})", ha="center",
                    va="center", fontsize=7, color="white" if value > 0.6 else "black")
    fig.tight_layout()
    return to_data_uri(fig)


def kpi_chart(kpis: list[dict[str, Any]]) -> str:
    """Share of customers next to share of revenue per segment (or customers alone)."""
    labels = [f"{k['segment']}: {k['name']}" for k in kpis]
    positions = np.arange(len(kpis))
    has_revenue = all(k.get("revenue_share") is not None for k in kpis)
    fig, ax = plt.subplots(figsize=(8, 0.7 + 0.5 * len(kpis)))
    height = 0.38 if has_revenue else 0.7
    ax.barh(positions + (height / 2 if has_revenue else 0), [k["share"] for k in kpis], height,
            color="#88aadd", label="share of customers")
    if has_revenue:
        ax.barh(positions - height / 2, [k["revenue_share"] for k in kpis], height,
                color="#dd8844", label="share of revenue")
    ax.set_yticks(positions, labels, fontsize=8)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return to_data_uri(fig)


def affinity_chart(top: Any, names: dict[int, str], per_segment: int = 5) -> str:
    """Each segment's most over-indexed products (index 100 = like everyone)."""
    segments = sorted(top["segment"].unique())
    fig, axes = plt.subplots(len(segments), 1, figsize=(8, 1.0 + 1.25 * len(segments)),
                             squeeze=False)
    for ax, seg in zip(axes[:, 0], segments, strict=True):
        part = top[top["segment"] == seg].head(per_segment)
        ax.barh(range(len(part)), part["affinity_index"], color=colour(int(seg)))
        ax.set_yticks(range(len(part)), list(part["product"]), fontsize=7)
        ax.invert_yaxis()
        ax.axvline(100, color="grey", linewidth=0.8, linestyle=":")
        ax.set_title(f"{seg}: {names.get(int(seg), seg)}", fontsize=8, loc="left")
    axes[-1, 0].set_xlabel("affinity index (100 = as likely as all customers)")
    fig.tight_layout()
    return to_data_uri(fig)


def monthly_chart(monthly: Any, names: dict[int, str]) -> str:
    """Monthly units of the top products, one panel per product, one line per segment."""
    products = list(dict.fromkeys(monthly["product"]))
    fig, axes = plt.subplots(len(products), 1, figsize=(8, 1.2 + 1.6 * len(products)),
                             squeeze=False, sharex=True)
    for ax, product in zip(axes[:, 0], products, strict=True):
        part = monthly[monthly["product"] == product]
        for seg, line in part.groupby("segment"):
            ax.plot(line["month"], line["units"], color=colour(int(seg)), linewidth=1.2,
                    label=f"{seg}: {names.get(int(seg), seg)}")
        ax.set_title(str(product), fontsize=8, loc="left")
        ax.tick_params(labelsize=7)
    axes[0, 0].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    axes[-1, 0].set_xlabel("month")
    fig.tight_layout()
    return to_data_uri(fig)
