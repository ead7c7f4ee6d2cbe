"""SegmentationResult: what a run found, assembled once from the stages' outputs, never changed.

Its files are rendered in memory by the owner of each format (``summary`` for summary.json,
``persist`` for model.json, ``report`` for report.html, the engine's ``SegmentFiles`` for the
segment assignments) and saved atomically: bad input never leaves files behind.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import io, outdir
from .alternatives import KAlternative
from .engines.base import EngineInfo
from .errors import DataError
from .model import SegmentModel
from .persist import dumps, model_payload
from .profile import SegmentProfile
from .purchases import HistoryExtras
from .spread import QuietFeature
from .summary import CleaningFacts, InputFacts, build_summary
from .timings import stage


@dataclass(frozen=True)
class SegmentationResult:
    """What ``segment`` returns: assignments, the fitted model, profiles and every figure."""

    assignments: pd.DataFrame  # one row per customer: id, segment, name, distance, features
    model: SegmentModel
    profiles: tuple[SegmentProfile, ...]
    data: pd.DataFrame  # the rows used, features as cleaned
    prepared: np.ndarray  # the matrix K-means saw
    source: InputFacts
    cleaning: CleaningFacts
    feature_roles: dict[str, str]
    engine: EngineInfo
    warnings: tuple[str, ...] = ()
    alignment: dict[str, Any] | None = None  # summary of the match with an earlier model
    history: HistoryExtras | None = None  # purchase histories only
    quiet_features: tuple[QuietFeature, ...] = ()  # kept out of names and plays (``spread``)
    currency: str | None = None  # as given (--currency); else detected in ``summary``
    # The neighbouring ks' segments (``alternatives``); the run's own k joins them in summary.
    k_alternatives: tuple[KAlternative, ...] = ()

    @cached_property
    def summary(self) -> dict[str, Any]:
        """summary.json's content (see ``summary.build_summary``)."""
        return build_summary(source=self.source, cleaning=self.cleaning, model=self.model,
                             profiles=self.profiles, assignments=self.assignments,
                             warnings=self.warnings, feature_roles=self.feature_roles,
                             alignment=self.alignment, history=self.history, engine=self.engine,
                             quiet=self.quiet_features, currency=self.currency,
                             alternatives=self.k_alternatives)

    @property
    def features_table(self) -> pd.DataFrame | None:
        """Purchase histories: every computed feature of every customer (features.csv)."""
        return self.history.features.frame if self.history is not None else None

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """Extra tables a purchase history adds (affinity.csv, product_share.csv, ...)."""
        return self.history.tables if self.history is not None else {}

    def renamed(self, names: dict[int, str]) -> SegmentationResult:
        """A copy with segments renamed (e.g. by an analyst) everywhere they appear."""
        for segment_id, name in names.items():
            if not name.strip():
                raise DataError(f"segment {segment_id} needs a name; type one or keep the "
                                "suggested one")
        final = {p.id: names.get(p.id, p.name).strip() for p in self.profiles}
        if len(set(final.values())) != len(final):
            raise DataError("two segments would share a name; give each segment its own name")
        model = self.model.named([final[i] for i in range(len(final))])
        assignments = self.assignments.copy()
        assignments["segment_name"] = assignments["segment"].map(final)
        profiles = tuple(dataclasses.replace(p, name=final[p.id]) for p in self.profiles)
        return dataclasses.replace(self, model=model, assignments=assignments,
                                   profiles=profiles)

    def model_dict(self) -> dict[str, Any]:
        """model.json's content (see ``persist.model_payload``)."""
        history = (self.history.features.columns.to_dict() if self.history is not None
                   else None)
        return model_payload(self.model, self.profiles, self.cleaning.id_column, history)

    def render(self) -> dict[str, str | pd.DataFrame]:
        """Every output file's content, keyed by file name, computed in memory (an engine may
        add segments.parquet when saving: ``engine.files``)."""
        from .report import render_report

        files: dict[str, str | pd.DataFrame] = {}
        if self.engine.files.csv:
            files["segments.csv"] = self.assignments
        files |= {
            "model.json": dumps(self.model_dict()),
            "summary.json": dumps(self.summary),
        }
        with stage("report"):
            files["report.html"] = render_report(self)
        if self.history is not None:
            files["features.csv"] = self.history.features.frame
            files.update(self.history.tables)
        return files

    def save(self, out: str | os.PathLike[str] = "custseg-output") -> Path:
        """Write segments.csv, model.json, summary.json and report.html into ``out``.

        Afterwards ``out`` holds this run's files (and any files custseg did not write): every
        file is written into a staging folder and swapped in only when all succeeded, and files
        an earlier run wrote that this one does not (e.g. features.csv after a purchase-history
        run) are removed (see ``outdir``). A failure leaves ``out`` as it was; an ``out`` that
        cannot be written raises :class:`DataError`.
        """
        out = outdir.check_writable(out)  # before rendering: a bad --out fails fast
        with stage("write"):
            rendered = self.render()
        with stage("write"), outdir.staged(out, command="segment") as staging:
            for name, content in rendered.items():
                if isinstance(content, pd.DataFrame):
                    io.write_table(staging / name, content)
                else:
                    io.write_text(staging / name, content)
            self.engine.files.write_partitioned(self.assignments, staging)
        return out
