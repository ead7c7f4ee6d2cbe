"""Assign new customers to the segments of a saved model."""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from . import io, schema
from .dialect import ReadOptions
from .features.customers import iter_customers
from .model import SegmentModel


def score_frame(model: SegmentModel, frame: pd.DataFrame) -> pd.DataFrame:
    """id, segment, segment_name, distance for each row of ``frame``.

    Missing feature columns are a DataError naming them; unseen category levels warn.
    """
    frame, _ = schema.normalise_columns(frame)
    numeric = [s.name for s in model.preparer_.specs if s.kind == "numeric"]
    present = [c for c in numeric if c in frame.columns]
    frame = schema.check_numeric(frame, present)
    labels, distances = model.assign_frame(frame)
    id_column = getattr(model, "id_column_", None)
    names = np.asarray(getattr(model, "segment_names_", [str(i) for i in
                                                          range(model.n_clusters_)]), dtype=object)
    out = pd.DataFrame({"segment": labels, "segment_name": names[labels],
                        "distance": distances.round(6)})
    if id_column and id_column in frame.columns:
        out.insert(0, id_column, frame[id_column].to_numpy())
    else:
        out.insert(0, "row_number", np.arange(1, len(frame) + 1))
    return out


def _history_frame(model: SegmentModel, source: str | os.PathLike[str],
                   as_of: str | dt.date | None, options: ReadOptions) -> pd.DataFrame:
    """Features of a purchase history, with the model's column roles where the file has them."""
    from .features.transactions import customer_features

    trained_on = getattr(model, "input_", {}) or {}
    with customer_features(source, given=trained_on.get("columns") or {}, as_of=as_of,
                           missing_ok=True, options=options) as history:
        return history.frame


def _score_spark(model: SegmentModel, source: str | os.PathLike[str],
                 as_of: str | dt.date | None, options: ReadOptions, trained_on_history: bool,
                 master: str | None, conf: dict[str, str]) -> pd.DataFrame:
    """Every row scored with the Spark engine; its temporary folder is removed afterwards."""
    from .engines.spark import SparkEngine

    spark = SparkEngine(master, conf, int(model.seed))
    try:
        if trained_on_history:
            trained_on = getattr(model, "input_", {}) or {}
            with spark.history_features(source, trained_on.get("columns") or {}, as_of, None,
                                        options) as history:
                return score_frame(model, history.frame)
        return spark.score(model, source, options)
    finally:
        spark.close()


def score_file(model: SegmentModel, source: str | os.PathLike[str],
               out: str | os.PathLike[str] | None = None, *, chunk_rows: int = 100_000,
               encoding: str | None = None, as_of: str | dt.date | None = None,
               stdout: IO[str] | None = None, engine: str = "local",
               spark_master: str | None = None, spark_conf: dict[str, str] | None = None,
               options: ReadOptions | None = None) -> int:
    """Score a file in chunks into ``out`` (.csv or .parquet, atomic) or CSV on ``stdout``.

    Customer tables stream chunk by chunk, so memory does not grow with the file. A model
    trained on a purchase history scores a purchase history: its features are computed with the
    same definitions (DuckDB, bounded memory) as of ``as_of``. Returns the rows scored.
    """
    trained_on_history = (getattr(model, "input_", {}) or {}).get("kind") == "transactions"
    if options is None:
        options = ReadOptions(encoding=encoding)
    elif encoding is not None:
        options = replace(options, encoding=encoding)
    scored: Iterator[pd.DataFrame]
    if engine == "spark":
        scored = iter([_score_spark(model, source, as_of, options, trained_on_history,
                                    spark_master, spark_conf or {})])
    else:
        numeric = [s.name for s in model.preparer_.specs if s.kind == "numeric"]
        chunks: Iterator[pd.DataFrame] = (
            iter([_history_frame(model, source, as_of, options)]) if trained_on_history
            else iter_customers(source, options, chunk_rows, numeric,
                                getattr(model, "id_column_", None)))
        scored = (score_frame(model, chunk) for chunk in chunks)
    if out is None:
        return _write_csv_stream(scored, stdout or sys.stdout)
    target = Path(out)
    io.file_kind(target)  # unsupported output types fail before any work
    with io.atomic_path(target) as tmp:
        if target.suffix.lower() in {".parquet", ".pq"}:
            return _write_parquet_stream(scored, tmp)
        with open(tmp, "w", encoding="utf-8", newline="") as handle:
            return _write_csv_stream(scored, handle)


def _write_csv_stream(frames: Iterator[pd.DataFrame], handle: IO[str]) -> int:
    rows = 0
    for frame in frames:
        io.write_csv_chunk(frame, handle, header=rows == 0)
        rows += len(frame)
    return rows


def _write_parquet_stream(frames: Iterator[pd.DataFrame], target: Path) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = 0
    writer = None
    try:
        for frame in frames:
            table = pa.Table.from_pandas(frame, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(target, table.schema)
            writer.write_table(table.cast(writer.schema))
            rows += len(frame)
    finally:
        if writer is not None:
            writer.close()
    return rows
