"""segment(): load -> validate -> prepare -> choose k -> fit -> profile, as one call.

Everything is computed before anything is written: ``SegmentationResult.save`` renders every file
in memory first and then moves each into place atomically, so bad input never leaves files behind.
"""

from __future__ import annotations

import datetime as dt
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import align, history, io, schema, stability
from .datasets import sample_path
from .dialect import ReadOptions
from .errors import DataError, param_error
from .features.customers import CustomerTable, read_customers
from .kpis import segment_kpis
from .model import SegmentModel
from .persist import dumps, model_to_dict
from .prep import MissingReport, drop_constant, handle_missing
from .profile import SegmentProfile, profile_segments
from .roles import resolve_roles

Progress = Callable[[str], None]
ROW_ID = "row_number"  # id column made up when the table has none


@dataclass
class SegmentationResult:
    """What ``segment`` returns: assignments, summary, the fitted model and the profiles."""

    assignments: pd.DataFrame
    summary: dict[str, Any]
    model: SegmentModel
    profiles: list[SegmentProfile]
    data: pd.DataFrame                 # the rows used, features as cleaned
    prepared: np.ndarray               # the matrix K-means saw
    warnings: list[str] = field(default_factory=list)
    features_table: pd.DataFrame | None = None  # purchase histories: every computed feature
    history_connection: Any = None  # purchase histories: the DuckDB session with the lines
    extra_tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # e.g. affinity.csv
    # Engines may add outputs (Spark: segments.parquet partitioned by segment) or drop some.
    writers: list[Callable[[SegmentationResult, Path], None]] = field(default_factory=list)
    skip_files: set[str] = field(default_factory=set)

    def rename(self, names: dict[int, str]) -> None:
        """Give segments new names (e.g. edited by an analyst) everywhere they appear."""
        for segment_id, name in names.items():
            name = name.strip()
            if not name:
                raise DataError(f"segment {segment_id} needs a name; type one or keep the "
                                "suggested one")
        final = {p.id: names.get(p.id, p.name).strip() for p in self.profiles}
        if len(set(final.values())) != len(final):
            raise DataError("two segments would share a name; give each segment its own name")
        for profile in self.profiles:
            profile.name = final[profile.id]
        self.model.segment_names_ = [final[i] for i in range(len(final))]
        self.assignments["segment_name"] = self.assignments["segment"].map(final)
        for segment in self.summary["segments"]:
            segment["name"] = final[segment["id"]]
        for row in self.summary.get("kpis", []):
            row["name"] = final[row["segment"]]

    def model_dict(self) -> dict[str, Any]:
        training = {key: self.summary[key] for key in ("n_customers", "k", "seed", "inertia",
                                                         "silhouette")}
        training["stability"] = {str(s["id"]): s["stability"] for s in self.summary["segments"]}
        training["structure_clustered"] = self.summary["structure"]["clustered"]
        segments = [{"id": p.id, "name": p.name, "size": p.size,
                     "profile": p.to_dict()["profile"]} for p in self.profiles]
        payload = model_to_dict(self.model, segments, training, self.summary["id_column"])
        history = self.summary.get("transactions")
        payload["input"] = ({"kind": "transactions", "columns": history["columns"]} if history
                            else {"kind": "table"})
        return payload

    def render(self) -> dict[str, str | pd.DataFrame]:
        """Every output file's content, keyed by file name, computed in memory."""
        from .report import render_report

        files: dict[str, str | pd.DataFrame] = {
            "segments.csv": self.assignments,
            "model.json": dumps(self.model_dict()),
            "summary.json": dumps(self.summary),
            "report.html": render_report(self),
        }
        if self.features_table is not None:
            files["features.csv"] = self.features_table
        files.update(self.extra_tables)
        return files

    def save(self, out: str | os.PathLike[str] = "custseg-output") -> Path:
        """Write segments.csv, model.json, summary.json and report.html into ``out``.

        Afterwards ``out`` holds this run's files (and any files custseg did not write): every
        file is written into a staging folder and swapped in only when all succeeded, and files
        an earlier run wrote that this one does not (e.g. features.csv after a purchase-history
        run) are removed (see ``outdir``). A failure leaves ``out`` as it was; an ``out`` that
        cannot be written raises :class:`DataError`.
        """
        from . import outdir

        out = outdir.check_writable(out)  # before rendering: a bad --out fails fast
        rendered = self.render()
        with outdir.staged(out, command="segment") as staging:
            for name, content in rendered.items():
                if name in self.skip_files:
                    continue
                if isinstance(content, pd.DataFrame):
                    io.write_table(staging / name, content)
                else:
                    io.write_text(staging / name, content)
            for writer in self.writers:
                writer(self, staging)
        return out


def load_input(data: str | os.PathLike[str] | pd.DataFrame | None,
               options: ReadOptions | None = None, id_col: str | None = None) -> CustomerTable:
    """The customer table, typed by the reader (None means the built-in sample)."""
    if data is None:
        table = read_customers(sample_path(), options, id_col, schema.resolve_name)
        table.label = "built-in sample (Mall Customers)"
        return table
    if isinstance(data, pd.DataFrame) and data.empty:
        raise DataError("the DataFrame has no rows; pass a table with customers")
    return read_customers(data, options, id_col, schema.resolve_name)


def prepare_table(table: CustomerTable, features: list[str] | None, missing: str
                  ) -> tuple[pd.DataFrame, pd.DataFrame, schema.Roles, MissingReport, list[str]]:
    """Validate and clean a customer table.

    Returns the checked table (values as read), the clean one (missing values handled, index
    kept so rows can be matched), the column roles, the missing-value report and notes.
    """
    frame, notes = schema.normalise_columns(table.frame)
    roles = schema.choose_roles(frame, table.id_column, features)
    notes = table.notes + notes + roles.notes
    if roles.id_column is None:
        frame = frame.copy()
        frame.insert(0, ROW_ID, np.arange(1, len(frame) + 1))
        roles.id_column = ROW_ID
        notes.append(f"no customer id column found; customers are numbered by row in "
                     f"'{ROW_ID}' (pass --id-col to use a column)")
    else:
        schema.check_unique_ids(frame, roles.id_column)
    frame = schema.check_numeric(frame, roles.numeric, table.bad_cells)
    schema.check_not_empty_columns(frame, roles.features)
    for column in roles.categorical:
        frame[column] = frame[column].astype("string").astype(object).where(
            frame[column].notna(), None)
    clean, report = handle_missing(frame, roles.numeric, roles.categorical, missing)
    return frame, clean, roles, report, notes


def segment(
    data: str | os.PathLike[str] | pd.DataFrame | None = None, *,
    transactions: bool = False, customer_col: str | None = None, date_col: str | None = None,
    amount_col: str | None = None, quantity_col: str | None = None,
    price_col: str | None = None, order_col: str | None = None, product_col: str | None = None,
    as_of: str | dt.date | None = None, date_format: str | None = None,
    id_col: str | None = None, features: list[str] | None = None, k: int | str = "auto",
    k_min: int = 2, k_max: int = 10, seed: int = 0, missing: str = "impute",
    log1p: str | list[str] | None = None, encoding: str | None = None,
    delimiter: str | None = None, decimal: str | None = None, sheet: str | None = None,
    header_row: int | None = None, n_init: int = 10, max_iter: int = 300,
    stability_runs: int = stability.DEFAULT_RUNS, roles: dict[str, str] | None = None,
    align_to: str | os.PathLike[str] | SegmentModel | None = None,
    engine: str = "local", spark_master: str | None = None,
    spark_conf: dict[str, str] | None = None,
    on_progress: Progress | None = None,
) -> SegmentationResult:
    """Segment customers from a customer table or, with ``transactions=True``, a purchase history.

    ``data`` is a path, a DataFrame, or None for the built-in sample (customer tables only).
    ``log1p`` defaults to "none" for customer tables; for purchase histories, to the skewed money
    and count features (see ``history.LOG_CANDIDATES``). ``align_to`` (a model or its path)
    renumbers and renames the segments to follow an earlier run (see ``align``).
    ``encoding``, ``delimiter``, ``decimal``, ``sheet`` and ``header_row`` say how the file is
    written where detection would guess wrong (see ``dialect``). ``stability_runs`` bootstrap
    refits judge each segment (0: off; see ``stability``). ``roles`` maps feature columns to
    roles where detection from the name is wrong (see ``roles``).
    """
    read_options = ReadOptions(encoding=encoding, delimiter=delimiter, decimal=decimal,
                               sheet=sheet, header_row=header_row)
    if align_to is not None and not isinstance(align_to, SegmentModel):
        from .persist import load_model

        align_to = load_model(align_to)
    step = on_progress or (lambda _label: None)
    if engine not in ("local", "spark"):
        raise param_error("engine", "'local' or 'spark'", engine)
    fitter: Fitter = _fit_locally
    spark = None
    if engine == "spark":
        from .engines import spark as spark_engine  # raises MissingExtraError without pyspark

        spark = spark_engine.Engine(spark_master, spark_conf or {}, seed)
        fitter = spark.fit
    # Histories get their default (the skewed money/count features) once features exist.
    model = SegmentModel(k=k, k_min=k_min, k_max=k_max, seed=seed, n_init=n_init,
                         max_iter=max_iter, stability_runs=stability_runs,
                         log1p=log1p if log1p is not None else "none")
    model._check_params()  # fail on bad parameters before reading a large file
    step("load")
    if not transactions:
        table = load_input(data, read_options, id_col)
        result = _segment_table(table, model, features, missing, step, align_to, fitter, roles)
        if spark is not None:
            spark.finish(result)
        result.summary["kpis"] = segment_kpis(result.assignments, _names(result))
        return result
    if data is None:
        raise DataError("--transactions needs a purchase history file; pass its path")
    given = {"customer": customer_col, "date": date_col, "amount": amount_col,
             "quantity": quantity_col, "price": price_col, "order": order_col,
             "product": product_col}
    if spark is not None:
        found = spark.customer_features(data, given, as_of=as_of, date_format=date_format)
    else:
        found = history.customer_features(data, given, as_of=as_of, date_format=date_format,
                                          options=read_options)
    source = "DataFrame" if isinstance(data, pd.DataFrame) else str(data)
    features = features or history.default_features(found)
    if log1p is None:
        model.set_params(log1p=history.default_log1p(found, features))
    table = CustomerTable(found.frame, source, found.dialect, found.columns.customer,
                          [str(c) for c in found.frame.columns])
    result = _segment_table(table, model, features, missing, step, align_to, fitter, roles)
    history.attach(result, found)
    if spark is not None:
        spark.finish(result)
    result.summary["kpis"] = segment_kpis(result.assignments, _names(result))
    return result


def _names(result: SegmentationResult) -> dict[int, str]:
    return {p.id: p.name for p in result.profiles}


Fitter = Callable[[SegmentModel, pd.DataFrame, Progress], None]


def _fit_locally(model: SegmentModel, X: pd.DataFrame, step: Progress) -> None:
    model.fit(X, on_progress=step)


def _segment_table(table: CustomerTable, model: SegmentModel, features: list[str] | None,
                   missing: str, step: Progress, align_to: SegmentModel | None = None,
                   fitter: Fitter = _fit_locally,
                   role_overrides: dict[str, str] | None = None) -> SegmentationResult:
    step("validate")
    checked, frame, roles, missing_report, notes = prepare_table(table, features, missing)
    k, seed, log1p = model.k, int(model.seed), model.log1p
    if len(frame) < 2:
        raise DataError(f"only {len(frame)} customer to segment; segments need at least 2 "
                        "customers (and k of them for k segments): pass the full table")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        numeric, constant = drop_constant(frame, roles.numeric)
        categorical, constant_cat = drop_constant(frame, roles.categorical)
        constant += constant_cat
        if not numeric and not categorical:
            raise DataError("every feature column is constant; choose columns that vary between "
                            "customers with --features")
        used = numeric + categorical
        feature_roles = resolve_roles(used, role_overrides)  # a bad --role fails before fitting
        step("choose k" if k == "auto" else "fit")
        fitter(model, frame[used], step)
    warning_lines = [str(w.message) for w in caught]
    if model.k_selection_ is not None:
        warning_lines += model.k_selection_.warnings
    alignment = None
    if align_to is not None:
        alignment = align.match(model, frame[used], align_to)
        model.reorder(alignment.order)
        warning_lines += alignment.warnings()
    step("profile")
    prepared = model.preparer_.transform(frame[used])
    labels, distances = model.labels_, np.sqrt(
        ((prepared - model.cluster_centers_[model.labels_]) ** 2).sum(axis=1))
    profiles = profile_segments(frame, prepared, labels, model.preparer_, feature_roles)
    if alignment is not None:
        keep_names(profiles, alignment.names)
    model.segment_names_ = [p.name for p in profiles]
    id_column = roles.id_column
    assert id_column is not None
    names = np.asarray(model.segment_names_, dtype=object)
    assignments = pd.DataFrame({id_column: frame[id_column].to_numpy(), "segment": labels,
                                "segment_name": names[labels], "distance": distances.round(6)})
    for column in used:
        # The values as read (missing cells stay empty): imputation is reported, not hidden.
        assignments[column] = checked.loc[frame.index, column].to_numpy()
    summary = build_summary(table, frame, roles, used, constant, missing_report, notes,
                            model, profiles, seed, warning_lines, log1p)
    summary["roles"] = feature_roles
    if alignment is not None:
        summary["alignment"] = alignment.summary()
    return SegmentationResult(assignments, summary, model, profiles, frame, prepared,
                              warning_lines)


def keep_names(profiles: list[SegmentProfile], names: dict[int, str]) -> None:
    """Matched segments keep their old names; a fresh name that collides gets ' (new)'."""
    kept = set(names.values())
    for profile in profiles:
        if profile.id in names:
            profile.name = names[profile.id]
        elif profile.name in kept:
            profile.name += " (new)"


def build_summary(table: CustomerTable, frame: pd.DataFrame, roles: schema.Roles,
                  used: list[str], constant: list[str], missing: MissingReport, notes: list[str],
                  model: SegmentModel, profiles: list[SegmentProfile], seed: int,
                  warning_lines: list[str], log1p: str | list[str]) -> dict[str, Any]:
    from . import __version__

    selection = model.k_selection_.to_dict() if model.k_selection_ is not None else {
        "rule": f"k fixed by the user (k={model.n_clusters_})", "recommended": model.n_clusters_,
        "scores": [], "picks": {}, "reason": "k was given, not chosen", "warnings": []}
    return {
        "custseg_version": __version__,
        "input": {"source": table.label, "rows": int(len(table.frame)),
                  "columns": table.columns, "dialect": table.dialect.to_dict(),
                  "read_as": table.dialect.describe()},
        "id_column": roles.id_column,
        "features": used,
        "k": int(model.n_clusters_),
        "k_selection": selection,
        "silhouette": round(float(model.silhouette_), 6),
        "inertia": round(float(model.inertia_), 6),
        "n_customers": int(len(frame)),
        "seed": seed,
        "data_quality": {
            "rows_read": int(len(table.frame)),
            "rows_used": int(len(frame)),
            "missing": {"policy": missing.policy, "rows_affected": missing.rows_affected,
                        "by_column": missing.by_column,
                        "fill_values": missing.fill_values if missing.rows_affected else {}},
            "constant_columns_dropped": constant,
            "columns_not_used": roles.skipped,
            "log1p": [s.name for s in model.preparer_.specs if s.transform == "log1p"],
            **table.quality(),
            "notes": notes,
        },
        "structure": model.structure_.to_dict(),
        "stability": stability_summary(model),
        "segments": [{**p.to_dict(), **segment_stability(model, p.id)} for p in profiles],
        "warnings": warning_lines,
    }


def stability_summary(model: SegmentModel) -> dict[str, Any]:
    """How stability was measured (``stability``), or that it was not."""
    if model.stability_ is None:
        return {"runs": 0, "method": "not measured (stability_runs=0)"}
    return {"runs": int(model.stability_runs), "method": stability.METHOD,
            "customers_resampled": int(model.stability_customers_),
            "labels": {word: floor for floor, word in stability.LABELS}}


def segment_stability(model: SegmentModel, segment_id: int) -> dict[str, Any]:
    """A segment's mean bootstrap Jaccard (3 decimals) and Hennig's word for it; None and
    "not measured" when stability is off or the segment never appeared in a resample."""
    value = None if model.stability_ is None else float(model.stability_[segment_id])
    if value is None or np.isnan(value):
        return {"stability": None, "stability_label": "not measured"}
    return {"stability": round(value, 3), "stability_label": stability.label(value)}
