# pyspark types every .first() as "Row | None"; the queries here always return one row.
# mypy: disable-error-code="index,misc,var-annotated"
"""The Spark engine (extra ``[spark]``): purchase-history features and the full-data fit in Spark.

What runs where:
- purchase-history features: Spark SQL, with the same SQL text as DuckDB
  (``features/feature_sql.py``) and the local engine's rules for numbers and dates
  (``spark_columns``);
- preparation, the k sweep, stability resamples and the structure check: ``SegmentModel.plan``
  on the per-customer table, on the driver, exactly as the local engine;
- the final fit: ``pyspark.ml.clustering.KMeans`` (k-means|| initialisation) on the matrix the
  plan prepared, then ``SegmentModel.finish`` numbers segments and measures them;
- segments: ``segments.parquet`` partitioned by segment, written on the driver
  (``base.SegmentFiles``), and segments.csv up to ``CSV_LIMIT`` customers.
The per-customer table (one row per customer, not per purchase line) is on the driver for
profiles, names and the report, so the same model.json, summary.json and report come out.
Product tables (affinity, share of spend, monthly sales) need the local engine.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataError, MissingExtraError

try:
    from pyspark.ml.clustering import KMeans
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql import functions as F
except ImportError as exc:  # pragma: no cover - exercised by test_spark_without_extra
    raise MissingExtraError("--engine spark", "spark") from exc

from .. import io
from ..dialect import ReadOptions
from ..features.columns import ColumnMap, map_columns
from ..features.dates import (
    bad_dates_error,
    date_notes,
    no_dates_error,
    read_file_dates,
    today,
    window_counts,
)
from ..features.feature_sql import SPARK, features_sql
from ..features.transactions import (
    HistoryFeatures,
    check_numbers,
    customer_key,
    finish_features,
    parse_as_of,
    require_customers,
    require_lines,
)
from ..model import SegmentModel
from ..numbers import detect_decimal
from ..sources import Source, open_source
from ..timings import stage
from .base import EngineInfo, Progress, SegmentFiles
from .spark_columns import (
    JAVA_CHARSETS,
    matrix_vectors,
    parse_lines,
    prepared_vectors,
    session,
    spark_ident,
    spark_number,
    to_pandas,
    vector_to_array,
)

CSV_LIMIT = 1_000_000  # above this many customers segments are written as Parquet only
SPARK_RESTARTS = 5  # best of this many k-means|| runs (or n_init when smaller)


class SparkEngine:
    """One custseg run on Spark: the process's shared Spark session and a temporary folder."""

    def __init__(self, master: str | None, conf: dict[str, str], seed: int) -> None:
        self.master, self.conf, self.seed = master, conf, seed
        self._spark: SparkSession | None = None
        self.work = Path(tempfile.mkdtemp(prefix="custseg-spark-"))

    @property
    def spark(self) -> SparkSession:
        if self._spark is None:
            self._spark = session(self.master, self.conf)
        return self._spark

    # ---- purchase histories -------------------------------------------------------------
    def history_features(self, source: Any, columns: Mapping[str, str | None], as_of: Any,
                         date_format: str | None, options: ReadOptions) -> HistoryFeatures:
        """Per-customer features in Spark SQL of a CSV, TSV or Parquet file, read with the
        dialect DuckDB's sniffer finds (read options are refused: ``check_read_options``)."""
        path = file_path(source)
        check_read_options(options)
        kind = io.file_kind(path)
        io.check_file(path)
        raw, opened, duck = self._read(path, kind)
        column_map = map_columns(raw.columns, dict(columns))
        return self._features(path, raw, opened, duck, column_map, as_of, date_format)

    def _features(self, path: Path, raw: DataFrame, opened: Source, duck: Any,
                  columns: ColumnMap, as_of: Any, date_format: str | None) -> HistoryFeatures:
        """The features of the purchase lines ``raw`` (the file at ``path``, open in DuckDB as
        ``duck``, which this closes) with their resolved ``columns``."""
        text_money = [c for c in (columns.quantity, columns.price, columns.amount)
                      if c is not None and opened.types.get(c) == "VARCHAR"]
        decimal = detect_decimal(duck, "raw", text_money)
        # Counted (and bad numbers refused) by DuckDB with the local engine's rules and words.
        converted = check_numbers(duck, columns, opened.types, decimal)
        _, ids_trimmed = customer_key(duck, columns.customer, opened.types[columns.customer])
        duck.close()
        # The date column is read as the local engine reads it: the decision is made by DuckDB
        # over the same file, then applied here in Spark SQL (features/dates.py).
        money_columns = [c for c in (columns.quantity, columns.price, columns.amount) if c]
        dates, dates_con, header_line = read_file_dates(str(path), columns.date, date_format,
                                                        money_columns)
        given_as_of = parse_as_of(as_of)
        limit = given_as_of or today()
        lines = parse_lines(raw, columns, dates, limit, decimal)
        lines.cache()
        lines.createOrReplaceTempView("parsed")
        every = ", ".join(spark_ident(c) for c in raw.columns)
        raw.createOrReplaceTempView("raw_lines")
        total, distinct = self.spark.sql(
            f"SELECT count(*), count(DISTINCT xxhash64({every})) FROM raw_lines").first()
        scan = self.spark.sql("""
            SELECT count(CASE WHEN date_bad THEN 1 END), count(customer), min(day), max(day),
                   count(CASE WHEN customer IS NULL THEN 1 END),
                   count(CASE WHEN date_missing THEN 1 END),
                   count(CASE WHEN is_return THEN 1 END),
                   coalesce(sum(CASE WHEN is_return THEN -amount END), 0),
                   count(CASE WHEN price <= 0 THEN 1 END),
                   count(CASE WHEN date_early THEN 1 END), count(CASE WHEN date_late THEN 1 END)
            FROM parsed""").first()
        if scan[0]:
            raise bad_dates_error(dates_con, columns.date, dates, header_line)
        dates_con.close()
        require_customers(int(scan[1]), int(total), columns)
        window = window_counts(scan[9], scan[10], given_as_of)
        if scan[3] is None and not (given_as_of and scan[10]):
            raise no_dates_error(columns.date, {"lines_without_date": int(scan[5]), **window})
        as_of_day = given_as_of or scan[3] + dt.timedelta(days=1)
        as_of_sql = f"DATE'{as_of_day.isoformat()}'"
        self.spark.sql(f"""SELECT customer, day, coalesce(order_raw, CAST(day AS STRING))
                             AS order_key, product, quantity, amount, is_return
                           FROM parsed WHERE customer IS NOT NULL AND day IS NOT NULL
                             AND day <= {as_of_sql}""").createOrReplaceTempView("lines")
        used, returns_used = self.spark.sql(
            "SELECT count(*), count(CASE WHEN is_return THEN 1 END) FROM lines").first()
        require_lines(int(used), as_of_day)
        sql = features_sql(SPARK, as_of_sql, money=columns.has_money,
                           product=columns.product is not None,
                           quantity=columns.quantity is not None, returns=returns_used > 0)
        frame = to_pandas(self.spark.sql(sql), self.work, "features")
        frame = frame.sort_values("customer", ignore_index=True)
        lines.unpersist()
        counts = {
            "first_day": str(scan[2]), "last_day": str(scan[3]),
            "lines_without_customer": int(scan[4]), "lines_without_date": int(scan[5]),
            **window, "date_order": dates.order, "date_formats": list(dates.formats),
            "return_lines": int(scan[6]),
            "returned_amount": float(scan[7]), "zero_or_negative_price_lines": int(scan[8]),
            "exact_duplicate_lines": int(total) - int(distinct), "lines_used": int(used),
            "numbers_from_text": converted, "ids_trimmed": ids_trimmed,
        }
        return finish_features(frame, columns, as_of_day, int(total), counts,
                               returns_used > 0, replace(opened.dialect, decimal=decimal),
                               date_notes(dates, counts, limit), engine="spark")

    def _read(self, path: Path, kind: str) -> tuple[DataFrame, Source, Any]:
        """The file in Spark, read with the dialect DuckDB's sniffer finds (delimiter, quote,
        encoding), every column as text; the DuckDB session (view ``raw``) and what it found."""
        import duckdb

        duck = duckdb.connect()
        opened = open_source(duck, path)
        if kind == "parquet":
            return self.spark.read.parquet(str(path)), opened, duck
        if kind not in ("csv", "tsv"):
            raise DataError(f"the Spark engine reads CSV, TSV or Parquet files; convert "
                            f"'{path}' or use --engine local")
        dialect = opened.dialect
        if dialect.header_row != 1:
            raise DataError(f"'{path}' has {dialect.header_row - 1} title line(s) above its "
                            "header, which the Spark engine cannot skip; remove them or use "
                            "--engine local")
        charset = JAVA_CHARSETS.get(dialect.encoding or "utf-8", dialect.encoding or "UTF-8")
        raw = self.spark.read.csv(str(path), header=True, sep=dialect.delimiter or ",",
                                  inferSchema=False, quote=dialect.quote or '"',
                                  escape=dialect.quote or '"', encoding=charset,
                                  multiLine=True)
        # Spark keeps a byte-order mark and spaces in header names; use the names DuckDB read.
        return raw.toDF(*opened.columns), opened, duck

    def fit(self, model: SegmentModel, X: pd.DataFrame, on_progress: Progress) -> np.ndarray:
        """``model.plan`` on the driver (preparation, k, stability resamples), the full-data
        fit in Spark, ``model.finish`` (canonical ids, silhouette, stability, structure)."""
        plan = model.plan(X, on_progress)
        on_progress("fit (Spark)")
        with stage("fit"):
            return self._fit(model, plan)

    def _fit(self, model: SegmentModel, plan: Any) -> np.ndarray:
        # The plan's prepared matrix, as the local engine clusters it: one preparation.
        vectors = matrix_vectors(self.spark, plan.prepared, self.work).cache()
        # k-means|| finds a good start but a single run still lands in a worse local optimum
        # often enough (on planted data: ARI 0.65 against the local engine), so, like the local
        # engine, keep the best of several restarts (each a full Spark job).
        best = None
        for restart in range(min(model.n_init, SPARK_RESTARTS)):
            fitted = KMeans(k=plan.k, initMode="k-means||", seed=int(model.seed) + restart,
                            maxIter=model.max_iter, tol=1e-6,
                            featuresCol="features").fit(vectors)
            if best is None or fitted.summary.trainingCost < best.summary.trainingCost:
                best = fitted
        assert best is not None
        vectors.unpersist()
        model.finish(plan, np.asarray(best.clusterCenters(), dtype=np.float64),
                     int(best.summary.numIter))
        return plan.prepared

    def info(self, customers: int) -> EngineInfo:
        return EngineInfo("spark", {"master": self.master or "local[*]",
                                    "spark_version": self.spark.version},
                          SegmentFiles(csv=customers <= CSV_LIMIT, parquet_by_segment=True))

    def score(self, model: SegmentModel, source: Any, options: ReadOptions) -> pd.DataFrame:
        """Score a customer table (CSV/Parquet) with Spark: prepared vectors, nearest centre."""
        path = file_path(source)
        check_read_options(options)
        kind = io.file_kind(path)
        io.check_file(path)
        data, opened, duck = self._read(path, kind)
        numeric = [s.name for s in model.preparer_.specs
                   if s.kind == "numeric" and opened.types.get(s.name) == "VARCHAR"]
        decimal = detect_decimal(duck, "raw", numeric)
        duck.close()
        # Ids stay text as read; numeric features read by the same rules as the local engine.
        data = data.select(*[spark_number(F.col(spark_ident(c)).cast("string"), decimal).alias(c)
                             if c in numeric else F.col(spark_ident(c)) for c in data.columns])
        missing = [s.name for s in model.preparer_.specs if s.name not in data.columns]
        if missing:
            raise DataError(f"input lacks the model's feature column(s) "
                            f"{', '.join(repr(m) for m in missing)}; add them, or score with a "
                            "model trained on these columns")
        data = data.withColumn("_row", F.monotonically_increasing_id())
        vectors = prepared_vectors(data, model.preparer_)  # fills missing values as the model does
        centers = model.cluster_centers_
        distance = [F.sqrt(F.aggregate(F.arrays_zip(vector_to_array("features"),
                                                      F.array(*[F.lit(float(v)) for v in c])),
                                       F.lit(0.0), lambda acc, x: acc + (x["0"] - x["1"]) ** 2))
                    for c in centers]
        scored = vectors.select("_row", F.array(*distance).alias("d"))
        scored = scored.select("_row", F.expr("array_position(d, array_min(d)) - 1")
                               .alias("segment"), F.array_min("d").alias("distance"))
        id_column = getattr(model, "id_column_", None)
        keep = [id_column] if id_column and id_column in data.columns else []
        joined = (data.select("_row", *[spark_ident(c) for c in keep]).join(scored, "_row")
                  .orderBy("_row"))
        frame = to_pandas(joined.drop("_row"), self.work, "scored")
        names = np.asarray(model.segment_names_, dtype=object)
        out = pd.DataFrame({"segment": frame["segment"].astype("int64")})
        out["segment_name"] = names[out["segment"].to_numpy()]
        out["distance"] = frame["distance"].round(6)
        if keep:
            out.insert(0, keep[0], frame[keep[0]].to_numpy())
        else:
            out.insert(0, "row_number", np.arange(1, len(out) + 1))
        return out

    def close(self) -> None:
        """Remove this run's temporary folder. The Spark session is shared by the process and
        deliberately left running: starting one costs about 10 s."""
        shutil.rmtree(self.work, ignore_errors=True)


def file_path(source: Any) -> Path:
    """The path of a file source; anything else (a DataFrame) is a DataError."""
    if not isinstance(source, (str, os.PathLike)):
        raise DataError("the Spark engine reads files (CSV, TSV, Parquet); pass a path, or use "
                        "engine='local'")
    return Path(os.fspath(source))


def check_read_options(options: ReadOptions) -> None:
    """Read options the user set are a ConfigError, not ignored: Spark reads a file with the
    dialect DuckDB's sniffer finds."""
    default = ReadOptions()
    given = [f"{f.name}={getattr(options, f.name)!r}" for f in fields(options)
             if getattr(options, f.name) != getattr(default, f.name)]
    if given:
        raise ConfigError(f"the Spark engine detects a file's dialect itself and takes no read "
                          f"options ({', '.join(given)} given); leave them out, or use the "
                          "local engine (--engine local)")


__all__ = ["SparkEngine"]
