"""segment(): a customer table (or a purchase history) from file to result, in stages.

    options ─► read ─► clean ─► fit (engine) ─► align ─► profile ─► SegmentationResult
    history:   engine features ─► (the same stages) ─► history extras ─► SegmentationResult

Each stage takes values and returns values; ``assemble`` builds the frozen result once. A purchase
history's DuckDB session lives only inside ``_segment_history``. Nothing is written here:
``SegmentationResult.save`` renders every file in memory, then moves them into place.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from . import align, alternatives, purchases
from .clean import CleanTable, clean_table, read_customer_table
from .early_read import EarlyRead
from .engines import Engine, Progress, open_engine
from .errors import ConfigError, DataError
from .features.customers import CustomerTable
from .model import SegmentModel
from .options import SegmentOptions
from .prep import drop_constant
from .profile import SegmentProfile, profile_segments
from .purchases import HistoryExtras
from .result import SegmentationResult
from .roles import resolve_roles
from .spread import QuietFeature, quiet_features
from .summary import CleaningFacts, InputFacts
from .timings import stage


def segment(data: str | os.PathLike[str] | pd.DataFrame | None = None, *,
            options: SegmentOptions | None = None, on_progress: Progress | None = None,
            **choices: Any) -> SegmentationResult:
    """Segment customers from a customer table or, with ``transactions=True``, a purchase history.

    ``data`` is a path, a DataFrame, or None for the built-in sample (customer tables only).
    The choices are the fields of :class:`~custseg.options.SegmentOptions`, given as keyword
    arguments or as one ``options`` object (not both):

    - reading: ``encoding``, ``delimiter``, ``decimal``, ``sheet``, ``header_row`` say how the
      file is written where detection would guess wrong (see ``dialect``); ``id_col``;
    - purchase histories: ``transactions=True``, the columns ``customer_col``, ``date_col``,
      ``amount_col``, ``quantity_col``, ``price_col``, ``order_col``, ``product_col`` (detected
      when omitted), ``as_of`` and ``date_format``;
    - what to cluster: ``features``, ``missing`` ("impute", "drop" or "error"), ``log1p``
      (default "none" for customer tables; for histories, the skewed money and count features,
      see ``purchases.LOG_CANDIDATES``), ``roles`` (feature column -> role where detection from
      the name is wrong, see ``roles``);
    - the model: ``k`` (int or "auto"), ``k_min``, ``k_max``, ``seed``, ``n_init``,
      ``max_iter``, ``stability_runs`` (bootstrap refits judging each segment, 0: off; see
      ``stability``), ``stability_ks`` (with k "auto": "contenders", the ks the rule can
      choose and those shown beside the choice, or "all"), ``align_to`` (an earlier model or
      its path: matching segments keep their ids and names, see ``align``);
    - where it runs: ``engine`` ("local" or "spark"), ``spark_master``, ``spark_conf``.
    """
    if options is not None and choices:
        raise ConfigError(f"pass either options= or keyword choices, not both (got "
                          f"{', '.join(sorted(choices))})")
    return run(data, options or SegmentOptions(**choices), on_progress)


def run(data: str | os.PathLike[str] | pd.DataFrame | EarlyRead | None, options: SegmentOptions,
        on_progress: Progress | None = None) -> SegmentationResult:
    """``segment`` with its options already validated (what the CLI and the app call)."""
    step = on_progress or (lambda _label: None)
    earlier = _earlier_model(options.align_to)
    engine = open_engine(options.engine, options.spark_master, options.spark_conf,
                         options.seed)
    try:
        step("load")
        if options.transactions:
            if isinstance(data, EarlyRead):
                raise ValueError("an early read is for customer tables, not histories")
            return _segment_history(data, options, engine, earlier, step)
        with stage("read"):
            table = (data.table(options.read_options(), options.id_col)
                     if isinstance(data, EarlyRead) else
                     read_customer_table(data, options.read_options(), options.id_col))
        staged = segment_table(table, options.feature_list(), options.model(), options, engine,
                               earlier, step)
        with stage("profile"):
            return assemble(table, staged, engine, history=None, currency=options.currency)
    finally:
        engine.close()


def _earlier_model(align_to: str | os.PathLike[str] | SegmentModel | None
                   ) -> SegmentModel | None:
    if align_to is None or isinstance(align_to, SegmentModel):
        return align_to
    from .persist import load_model

    return load_model(align_to)


def _segment_history(data: str | os.PathLike[str] | pd.DataFrame | None,
                     options: SegmentOptions, engine: Engine, earlier: SegmentModel | None,
                     step: Progress) -> SegmentationResult:
    """Per-customer features from the history, the customer-table stages, then the extras
    the history adds (computed while its DuckDB session is open, closed on leaving)."""
    if data is None:
        raise DataError("--transactions needs a purchase history file; pass its path")
    with stage("features"):
        history = engine.history_features(data, options.history_columns(), options.as_of,
                                          options.date_format, options.read_options())
    with history:
        source = "DataFrame" if isinstance(data, pd.DataFrame) else str(data)
        features = options.feature_list() or purchases.default_features(history)
        log1p = purchases.default_log1p(history, features) if options.log1p is None else None
        table = CustomerTable(history.frame, source, history.dialect, history.columns.customer,
                              [str(c) for c in history.frame.columns])
        staged = segment_table(table, features, options.model(log1p=log1p), options, engine,
                         earlier, step)
        with stage("profile"):
            extras = purchases.history_extras(history, staged.assignments)
    with stage("profile"):
        return assemble(table, staged, engine, extras, currency=options.currency)


@dataclass(frozen=True)
class Fitted:
    """The fit stage's output."""

    used: list[str]  # the feature columns K-means saw
    constant: list[str]  # feature columns dropped for having one value
    feature_roles: dict[str, str]
    prepared: np.ndarray  # the matrix K-means saw, one row per customer
    warnings: list[str]
    alignment: align.Alignment | None


@dataclass(frozen=True)
class TableStages:
    """A customer table through the clean, fit and profile stages."""

    clean: CleanTable
    model: SegmentModel
    fitted: Fitted
    profiles: list[SegmentProfile]
    assignments: pd.DataFrame
    quiet: dict[str, QuietFeature]  # features too even to name a segment (the naming guard)


def segment_table(table: CustomerTable, features: list[str] | None, model: SegmentModel,
            options: SegmentOptions, engine: Engine, earlier: SegmentModel | None,
            step: Progress) -> TableStages:
    """A customer table through the clean, fit and profile stages."""
    step("validate")
    with stage("read"):
        clean = clean_table(table, features, options.missing)
    fitted = fit(clean, model, engine, options.roles, earlier, step)
    step("profile")
    with stage("profile"):
        quiet = quiet_features(clean.cleaned, [s.name for s in model.preparer_.specs
                                               if s.kind == "numeric"])
        profiles, assignments = profile(clean, model, fitted, quiet)
    return TableStages(clean, model, fitted, profiles, assignments, quiet)


def fit(clean: CleanTable, model: SegmentModel, engine: Engine,
        role_overrides: Mapping[str, str], earlier: SegmentModel | None,
        step: Progress) -> Fitted:
    """Drop constant columns, fit with the engine, and follow an earlier model's ids."""
    frame = clean.cleaned
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        numeric, constant = drop_constant(frame, clean.columns.numeric)
        categorical, constant_cat = drop_constant(frame, clean.columns.categorical)
        constant += constant_cat
        if not numeric and not categorical:
            raise DataError("every feature column is constant; choose columns that vary between "
                            "customers with --features")
        used = numeric + categorical
        feature_roles = resolve_roles(used, role_overrides)  # a bad --role fails before fitting
        step("choose k" if model.k == "auto" else "fit")
        prepared = engine.fit(model, frame[used], step)
    warning_lines = [str(w.message) for w in caught]
    if model.k_selection_ is not None:
        warning_lines += model.k_selection_.warnings
    alignment = None
    if earlier is not None:
        with stage("profile"):
            alignment = align.match(model, frame[used], earlier)
        model.reorder(alignment.order)
        warning_lines += alignment.warnings()
    return Fitted(used, constant, feature_roles, prepared, warning_lines, alignment)


def profile(clean: CleanTable, model: SegmentModel, fitted: Fitted,
            quiet: Mapping[str, QuietFeature]) -> tuple[list[SegmentProfile], pd.DataFrame]:
    """Profiles and names of the segments, and one assignment row per customer; ``quiet``
    features name nothing (``spread``)."""
    frame, used, prepared = clean.cleaned, fitted.used, fitted.prepared
    labels = model.labels_
    distances = np.sqrt(((prepared - model.cluster_centers_[labels]) ** 2).sum(axis=1))
    profiles = profile_segments(frame, prepared, labels, model.preparer_, fitted.feature_roles,
                                quiet)
    if fitted.alignment is not None:
        profiles = keep_names(profiles, fitted.alignment.names)
    names = np.asarray([p.name for p in profiles], dtype=object)
    assignments = pd.DataFrame({clean.id_column: frame[clean.id_column].to_numpy(),
                                "segment": labels, "segment_name": names[labels],
                                "distance": distances.round(6)})
    for column in used:
        # The values as read (missing cells stay empty): imputation is reported, not hidden.
        assignments[column] = clean.as_read.loc[frame.index, column].to_numpy()
    return profiles, assignments


def keep_names(profiles: list[SegmentProfile], names: dict[int, str]) -> list[SegmentProfile]:
    """Matched segments keep their old names; a fresh name that collides gets ' (new)'."""
    kept = set(names.values())
    return [replace(p, name=names[p.id]) if p.id in names
            else replace(p, name=p.name + " (new)") if p.name in kept else p
            for p in profiles]


def assemble(table: CustomerTable, staged: TableStages, engine: Engine,
             history: HistoryExtras | None, currency: str | None = None) -> SegmentationResult:
    """The one place a result is built; ``currency`` is the one given (``--currency``)."""
    clean, fitted, assignments = staged.clean, staged.fitted, staged.assignments
    warning_lines = list(fitted.warnings)
    if history is not None:
        assignments = pd.concat([assignments, history.extra_columns], axis=1)
        warning_lines += history.features.notes
    source = InputFacts(table.label, int(len(table.frame)), table.columns, table.dialect,
                        table.quality())
    # The neighbouring ks in business terms, from the sweep's fits (no refit; ``alternatives``).
    neighbours = alternatives.neighbours(
        staged.model, clean.cleaned, fitted.prepared, fitted.feature_roles, staged.quiet,
        alternatives.revenue_of(assignments, history is not None))
    cleaning = CleaningFacts(clean.id_column, fitted.used, fitted.constant,
                             clean.columns.skipped, clean.missing, clean.notes)
    return SegmentationResult(
        assignments=assignments, model=staged.model.named([p.name for p in staged.profiles]),
        profiles=tuple(staged.profiles),
        data=clean.cleaned, prepared=fitted.prepared, source=source, cleaning=cleaning,
        feature_roles=fitted.feature_roles, engine=engine.info(len(assignments)),
        warnings=tuple(warning_lines),
        alignment=fitted.alignment.summary() if fitted.alignment is not None else None,
        history=history, quiet_features=tuple(staged.quiet.values()), currency=currency,
        k_alternatives=neighbours)
