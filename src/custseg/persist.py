"""The model file: JSON, versioned, no pickle; safe to load from anyone.

``load_model`` checks every field before building anything, so a defective or hostile file is a
:class:`ModelFileError` naming the field, never a crash and never code execution.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._version import __version__
from .errors import ModelFileError
from .model import SegmentModel
from .prep import Preparer
from .profile import SegmentProfile
from .stability import reported

FORMAT = "custseg.model"
VERSION = 1
MAX_BYTES = 64 * 1024 * 1024  # a real model is kilobytes; refuse to parse a memory bomb


def model_payload(model: SegmentModel, profiles: Sequence[SegmentProfile], id_column: str,
                  history_columns: dict[str, str | None] | None) -> dict[str, Any]:
    """model.json's content: a fitted, named model, its segments' profiles, the id column and,
    for a model trained on a purchase history, the history's columns by role."""
    training = {
        "n_customers": int(len(model.labels_)), "k": int(model.n_clusters_),
        "seed": int(model.seed), "inertia": round(float(model.inertia_), 6),
        "silhouette": round(float(model.silhouette_), 6),
        "stability": {str(p.id): reported(model.stability_, p.id) for p in profiles},
        "structure_clustered": model.structure_.clustered,
    }
    return {
        "format": FORMAT,
        "version": VERSION,
        "custseg_version": __version__,
        "created": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "id_column": id_column,
        "features": model.preparer_.to_dicts(),
        "centroids": [[float(v) for v in row] for row in model.cluster_centers_],
        "segments": [{"id": p.id, "name": p.name, "size": p.size,
                      "profile": p.to_dict()["profile"]} for p in profiles],
        "training": training,
        "input": ({"kind": "transactions", "columns": history_columns}
                  if history_columns is not None else {"kind": "table"}),
    }


def dumps(payload: dict[str, Any]) -> str:
    return json.dumps(payload, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _reject_constant(name: str) -> Any:
    raise ModelFileError(f"model file has a non-JSON number {name}; regenerate the model file")


def load_model(path: str | os.PathLike[str]) -> SegmentModel:
    """Read and validate a model file; return a fitted :class:`SegmentModel`."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"model file '{path}' not found; pass the model.json written by "
                             "custseg segment")
    if path.stat().st_size > MAX_BYTES:
        raise ModelFileError(f"model file '{path}' is larger than {MAX_BYTES // 2**20} MB; "
                             "it is not a custseg model")
    try:
        text = path.read_text(encoding="utf-8")
        payload = json.loads(text, parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise ModelFileError(f"model file '{path}' is not UTF-8 JSON; pass the model.json written "
                             "by custseg segment") from None
    except json.JSONDecodeError as exc:
        raise ModelFileError(f"model file '{path}' is not valid JSON ({exc.msg} at line "
                             f"{exc.lineno}); it may be truncated: write it again") from None
    return model_from_dict(payload, source=str(path))


def _need(condition: bool, field: str, what: str, source: str) -> None:
    if not condition:
        raise ModelFileError(f"model file '{source}': field '{field}' {what}; regenerate the "
                             "model with custseg segment")


def _is_number(value: Any) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value))


def model_from_dict(payload: Any, source: str = "<dict>") -> SegmentModel:
    need = lambda cond, field, what: _need(cond, field, what, source)  # noqa: E731
    need(isinstance(payload, dict), "(top level)", "must be a JSON object")
    need(payload.get("format") == FORMAT, "format", f"must be '{FORMAT}'")
    version = payload.get("version")
    need(isinstance(version, int) and not isinstance(version, bool), "version", "must be an int")
    if version != VERSION:
        raise ModelFileError(f"model file '{source}' has version {version} but this custseg "
                             f"reads version {VERSION}; use a matching custseg or refit")
    features = payload.get("features")
    need(isinstance(features, list) and features, "features", "must be a non-empty list")
    specs: list[dict[str, Any]] = []
    width = 0
    names: set[str] = set()
    for i, item in enumerate(features):
        where = f"features[{i}]"
        need(isinstance(item, dict), where, "must be an object")
        name = item.get("name")
        need(isinstance(name, str) and name != "", f"{where}.name", "must be a non-empty string")
        need(name not in names, f"{where}.name", f"repeats '{name}'")
        names.add(name)
        kind = item.get("kind")
        need(kind in ("numeric", "categorical"), f"{where}.kind",
             "must be 'numeric' or 'categorical'")
        fill = item.get("fill")
        if kind == "numeric":
            need(item.get("transform", "none") in ("none", "log1p"), f"{where}.transform",
                 "must be 'none' or 'log1p'")
            need(_is_number(item.get("center")), f"{where}.center", "must be a finite number")
            scale = item.get("scale")
            need(_is_number(scale) and scale > 0, f"{where}.scale", "must be a number > 0")
            need(fill is None or _is_number(fill), f"{where}.fill", "must be a number or null")
            specs.append({"name": name, "kind": kind, "transform": item.get("transform", "none"),
                          "center": float(item["center"]), "scale": float(scale), "fill": fill})
            width += 1
        else:
            levels = item.get("categories")
            need(isinstance(levels, list) and levels and all(isinstance(v, str) for v in levels)
                 and len(set(levels)) == len(levels), f"{where}.categories",
                 "must be a non-empty list of distinct strings")
            need(fill is None or isinstance(fill, str), f"{where}.fill", "must be a string or null")
            weight = item.get("weight")
            need(_is_number(weight) and weight > 0, f"{where}.weight", "must be a number > 0")
            specs.append({"name": name, "kind": kind, "categories": list(levels), "fill": fill,
                          "weight": float(weight)})
            width += len(levels)
    training = payload.get("training")
    need(isinstance(training, dict), "training", "must be an object")
    seed = training.get("seed", 0) or 0
    need(isinstance(seed, int) and not isinstance(seed, bool) and seed >= 0, "training.seed",
         "must be a non-negative int")
    k = training.get("k")
    need(isinstance(k, int) and not isinstance(k, bool) and k >= 1, "training.k",
         "must be an int >= 1")
    centroids = payload.get("centroids")
    need(isinstance(centroids, list) and len(centroids) == k, "centroids",
         f"must be a list of k={k} centroids")
    for i, row in enumerate(centroids):
        need(isinstance(row, list) and len(row) == width and all(_is_number(v) for v in row),
             f"centroids[{i}]", f"must be a list of {width} finite numbers (one per prepared "
             "feature column)")
    segments = payload.get("segments")
    need(isinstance(segments, list) and len(segments) == k, "segments",
         f"must be a list of k={k} segments")
    for i, seg in enumerate(segments):
        need(isinstance(seg, dict) and seg.get("id") == i, f"segments[{i}].id", f"must be {i}")
        need(isinstance(seg.get("name"), str), f"segments[{i}].name", "must be a string")
        need(isinstance(seg.get("size", 0), int), f"segments[{i}].size", "must be an int")
    seg_names = [s["name"] for s in segments]
    need(len(set(seg_names)) == len(seg_names), "segments", "must have distinct names")
    id_column = payload.get("id_column")
    need(id_column is None or isinstance(id_column, str), "id_column", "must be a string or null")

    trained_on = payload.get("input", {"kind": "table"})
    need(isinstance(trained_on, dict) and trained_on.get("kind") in ("table", "transactions"),
         "input.kind", "must be 'table' or 'transactions'")
    roles = trained_on.get("columns", {}) or {}
    need(isinstance(roles, dict) and all(isinstance(v, str | None) for v in roles.values())
         and set(roles) <= {"customer", "date", "order", "product", "quantity", "price",
                            "amount"}, "input.columns", "must map roles to column names")

    model = SegmentModel(k=k if k >= 2 else "auto", seed=seed)
    model.preparer_ = Preparer.from_dicts(specs)
    model.cluster_centers_ = np.asarray(centroids, dtype=np.float64).reshape(k, width)
    model.n_clusters_ = k
    model.feature_names_in_ = np.asarray([s["name"] for s in specs], dtype=object)
    model.n_features_in_ = len(specs)
    model.segment_names_ = seg_names
    model.segment_sizes_ = np.asarray([s.get("size", 0) for s in segments])
    model.segments_ = segments
    model.id_column_ = id_column
    model.training_ = training
    model.k_selection_ = None
    model.model_file_ = payload
    model.input_ = {"kind": trained_on["kind"], "columns": dict(roles)}
    return model
