"""summary.json: the one place that decides its shape (``docs/summary.schema.json`` checks it).

``build_summary`` reads the values the stages returned and writes them in a fixed key order, so
that the same run gives the same bytes. Nothing else writes summary keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from . import affinity, stability
from ._version import __version__
from .alternatives import KAlternative, chosen, in_k_order, revenue_of
from .dialect import Dialect
from .engines.base import EngineInfo
from .kpis import segment_kpis
from .model import SegmentModel
from .play_check import play_checks
from .prep import MissingReport
from .profile import SegmentProfile
from .purchases import HistoryExtras
from .rfm import RFM_NAMES
from .spread import RULE as QUIET_RULE
from .spread import QuietFeature


@dataclass(frozen=True)
class InputFacts:
    """What was read: the source, its size and columns, how it was read and what the reader
    converted."""

    label: str
    rows: int
    columns: list[str]
    dialect: Dialect
    reader_quality: dict[str, Any]


@dataclass(frozen=True)
class CleaningFacts:
    """What cleaning decided: the id column, the features used and everything left out."""

    id_column: str
    features: list[str]  # the feature columns K-means saw
    constant: list[str]  # feature columns dropped for having one value
    skipped: dict[str, str]  # column -> why it is not a feature
    missing: MissingReport
    notes: list[str]


def build_summary(*, source: InputFacts, cleaning: CleaningFacts, model: SegmentModel,
                  profiles: Sequence[SegmentProfile], assignments: pd.DataFrame,
                  warnings: Sequence[str], feature_roles: dict[str, str],
                  alignment: dict[str, Any] | None, history: HistoryExtras | None,
                  engine: EngineInfo, quiet: Sequence[QuietFeature] = (),
                  currency: str | None = None,
                  alternatives: Sequence[KAlternative] = ()) -> dict[str, Any]:
    selection = model.k_selection_.to_dict() if model.k_selection_ is not None else {
        "rule": f"k fixed by the user (k={model.n_clusters_})", "recommended": model.n_clusters_,
        "scores": [], "picks": {}, "reason": "k was given, not chosen", "warnings": []}
    missing = cleaning.missing
    notes = list(cleaning.notes) + (history.features.notes if history is not None else [])
    # Histories only: where a segment's play misfits many of its customers by the RFM map.
    checks = play_checks(profiles, assignments) if history is not None else {}
    summary: dict[str, Any] = {
        "custseg_version": __version__,
        "input": {"source": source.label, "rows": source.rows, "columns": source.columns,
                  "dialect": source.dialect.to_dict(), "read_as": source.dialect.describe()},
        "id_column": cleaning.id_column,
        "features": cleaning.features,
        "k": int(model.n_clusters_),
        "k_selection": selection,
        "silhouette": round(float(model.silhouette_), 6),
        "inertia": round(float(model.inertia_), 6),
        "n_customers": int(len(model.labels_)),
        "seed": int(model.seed),
        "data_quality": {
            "rows_read": source.rows,
            "rows_used": int(len(model.labels_)),
            "missing": {"policy": missing.policy, "rows_affected": missing.rows_affected,
                        "by_column": missing.by_column,
                        "fill_values": missing.fill_values if missing.rows_affected else {}},
            "constant_columns_dropped": cleaning.constant,
            "columns_not_used": cleaning.skipped,
            "log1p": [s.name for s in model.preparer_.specs if s.transform == "log1p"],
            **source.reader_quality,
            "notes": notes,
        },
        "structure": model.structure_.to_dict(),
        "stability": stability_summary(model),
        "segments": [{**p.to_dict(), **segment_stability(model, p.id),
                      **({"play_check": checks[p.id]} if p.id in checks else {})}
                     for p in profiles],
        # The run's k beside its neighbours in business terms; its own entry is read from the
        # profiles here, so it is the segments above (renamed ones too).
        "k_alternatives": in_k_order(
            chosen(profiles, assignments["segment"].to_numpy(), model.stability_,
                   revenue_of(assignments, history is not None)), alternatives),
        "warnings": list(warnings),
        "roles": feature_roles,
        "names_guard": {"rule": QUIET_RULE, "kept_out": [q.to_dict() for q in quiet]},
        "currency": currency_block(currency, history),
    }
    if alignment is not None:
        summary["alignment"] = alignment
    if history is not None:
        summary |= history_blocks(history, assignments)
    engine_block = engine.to_dict()
    if engine_block is not None:
        summary["engine"] = engine_block
    summary["kpis"] = segment_kpis(assignments, {p.id: p.name for p in profiles})
    return summary


# A sign names the currency when at least this share of the amounts written with a sign use it.
CURRENCY_MAJORITY = 0.9


def currency_block(given: str | None, history: HistoryExtras | None) -> dict[str, Any]:
    """How the report writes money: the currency given, else the sign (or code) the history's
    amounts were written with when nearly all share one, else none."""
    if given is not None:
        return {"symbol": given, "source": "given (--currency)"}
    quality = history.features.quality if history is not None else {}
    signs: dict[str, int] = quality.get("currency_signs") or {}
    total = sum(signs.values())
    if total:
        top, count = next(iter(signs.items()))
        if count >= CURRENCY_MAJORITY * total:
            return {"symbol": top, "source": f"detected: {count:,} amounts written with {top}"}
        mixed = ", ".join(f"{n:,} with {sign}" for sign, n in signs.items())
        return {"symbol": None, "source": f"amounts written in mixed currencies ({mixed}): "
                                          "none shown; pass --currency"}
    return {"symbol": None, "source": "none given (--currency) or written in the amounts"}


def history_blocks(history: HistoryExtras, assignments: pd.DataFrame) -> dict[str, Any]:
    """summary.json's ``transactions``, ``rfm`` and (with products) ``products`` blocks."""
    features = history.features
    blocks: dict[str, Any] = {"transactions": {
        "columns": features.columns.to_dict(),
        "as_of": features.as_of.isoformat(),
        "money": features.money,
        "features_computed": features.features,
        "quality": features.quality,
        "notes": features.notes,
    }}
    cross = pd.crosstab(assignments["segment"], assignments["rfm_segment"])
    cross = cross.reindex(columns=[n for n in RFM_NAMES if n in cross.columns])
    blocks["rfm"] = {
        "counts": {name: int(n) for name, n in
                   assignments["rfm_segment"].value_counts().items()},
        "by_segment": {int(seg): {str(k): int(v) for k, v in row.items() if v}
                       for seg, row in zip(cross.index.tolist(), cross.to_dict("records"),
                                           strict=True)},
    }
    if "affinity.csv" in history.tables:
        top, monthly = history.tables["affinity.csv"], history.tables["monthly_sales.csv"]
        blocks["products"] = {
            "affinity_rule": (f"index = P(product | segment) / P(product) x 100; products "
                              f"bought by at least {affinity.MIN_BUYERS} customers and "
                              f"{affinity.MIN_SHARE:.0%} of the segment"),
            "top_by_segment": {int(part["segment"].iloc[0]):
                               part[["product", "affinity_index", "segment_share"]]
                               .round(4).to_dict("records")
                               for _, part in top.groupby("segment")},
            "monthly_products": sorted(monthly["product"].unique().tolist()),
        }
    return blocks


def stability_summary(model: SegmentModel) -> dict[str, Any]:
    """How stability was measured (``stability``), or that it was not."""
    if model.stability_ is None:
        return {"runs": 0, "method": "not measured (stability_runs=0)"}
    return {"runs": int(model.stability_runs), "method": stability.METHOD,
            "customers_resampled": int(model.stability_customers_),
            "labels": {word: floor for floor, word in stability.LABELS}}


def segment_stability(model: SegmentModel, segment_id: int) -> dict[str, Any]:
    """A segment's mean bootstrap Jaccard and Hennig's word for it ("not measured" when
    stability is off or the segment never appeared in a resample)."""
    value = stability.reported(model.stability_, segment_id)
    return {"stability": value,
            "stability_label": "not measured" if value is None else stability.label(value)}
