# pyspark types every .first() as "Row | None"; the queries here always return one row.
# mypy: disable-error-code="index,misc,var-annotated"
"""The Spark engine (extra ``[spark]``): purchase-history features and the full-data fit in Spark.

What runs where:
- purchase-history checks: DuckDB on the driver, the local engine's one scan of the columns
  read from text (``line_checks.prescan``; nothing to scan for typed Parquet columns);
- purchase-history features: Spark SQL, one aggregation by customer over the lines read and
  parsed once (quality counts included), with the feature definitions DuckDB uses
  (``features/feature_sql.py``) and the local engine's rules for numbers and dates
  (``spark_columns``);
- preparation, the k sweep, stability resamples and the structure check: ``SegmentModel.plan``
  on the per-customer table, on the driver, exactly as the local engine;
- the final fit: the best restart on the driver's samples (``kmeans.fit_restarts``, as the
  local engine), polished by weighted Lloyd passes over every distinct prepared row, each pass
  one Spark job (``lloyd``: what ``SegmentModel.refine`` does locally), then
  ``SegmentModel.finish`` numbers segments and measures them;
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
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataError, MissingExtraError

try:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql import functions as F
except ImportError as exc:  # pragma: no cover - exercised by test_spark_without_extra
    raise MissingExtraError("--engine spark", "spark") from exc

from .. import io
from ..dialect import ReadOptions
from ..features.date_window import date_notes, no_dates_error, today, window_counts
from ..features.dates import bad_dates_error, read_dates
from ..features.feature_sql import final_sql
from ..features.line_checks import check_numbers, customer_key
from ..features.transactions import (
    HistoryFeatures,
    currency_signs,
    finish_features,
    first_reads,
    parse_as_of,
    require_customers,
    require_lines,
)
from ..first_scan import first_read
from ..kmeans import KMEANS_TOL, fit_restarts, weighted_variance
from ..model import FitPlan, SegmentModel
from ..numbers import detect_decimal
from ..sources import Source, open_source
from ..timings import stage
from .base import EngineInfo, Progress, SegmentFiles
from .spark_columns import (
    JAVA_CHARSETS,
    lloyd_pass,
    parse_lines,
    prepared_vectors,
    session,
    spark_ident,
    spark_number,
    to_pandas,
    vector_to_array,
    weighted_rows,
)
from .spark_schema import parquet_schema

CSV_LIMIT = 1_000_000  # above this many customers segments are written as Parquet only


class SparkEngine:
    """One custseg run on Spark: the process's shared Spark session and a temporary folder."""

    def __init__(self, master: str | None, conf: dict[str, str], seed: int) -> None:
        self.master, self.conf, self.seed = master, conf, seed
        self._spark: SparkSession | None = None
        self.work = Path(tempfile.mkdtemp(prefix="custseg-spark-"))
        self.passes: int | None = None  # Lloyd passes over every customer of the last fit

    @property
    def spark(self) -> SparkSession:
        if self._spark is None:
            with stage("spark_start"):  # the JVM, once per process (--timings shows it)
                self._spark = session(self.master, self.conf)
        return self._spark

    # ---- purchase histories -------------------------------------------------------------
    def history_features(self, source: Any, columns: Mapping[str, str | None], as_of: Any,
                         date_format: str | None, options: ReadOptions) -> HistoryFeatures:
        """Per-customer features in Spark SQL of a CSV, TSV or Parquet file, read with the
        dialect DuckDB's sniffer finds (read options are refused: ``check_read_options``)."""
        import duckdb

        path = file_path(source)
        check_read_options(options)
        kind = io.file_kind(path)
        io.check_file(path)
        duck = duckdb.connect()
        try:
            return self._features(duck, path, kind, dict(columns), as_of, date_format)
        finally:
            duck.close()

    def _features(self, duck: Any, path: Path, kind: str, given: dict[str, str | None],
                  as_of: Any, date_format: str | None) -> HistoryFeatures:
        """The features of the purchase lines in ``path``, opened in DuckDB as ``duck``.
        DuckDB checks the lines as the local engine does, in its one scan of the columns read
        from text (``line_checks.prescan``: a text file's own checks, numbers, ids, the shapes
        of the dates; none for typed columns); Spark then reads and parses the lines once
        (``Parsed.customers_sql``), in one job."""
        # A text file's first scan is left to prescan, as the local engine does: one read less.
        opened = open_source(duck, path, scan=False)
        check_spark_reads(path, kind, opened)
        # DuckDB's checks first: they run while Spark may still be starting (``warm_up``).
        columns, dialect, checks = first_read(
            duck, opened.pending,
            lambda: first_reads(duck, opened, given, False, ReadOptions(), date_format))
        # Its one-row reads leave a result open (the local engine's next query ends it): end
        # it here, so that no read of the file is still under way when ``duck`` is closed.
        duck.execute("SELECT 1").fetchall()
        decimal, header_line = dialect.decimal, dialect.header_row
        # Bad numbers are refused (with line numbers) and text money counted by DuckDB, with
        # the local engine's rules and words; Spark's parsing has nothing left to check.
        converted = check_numbers(duck, columns, opened.types, decimal, header_line,
                                  checks.numbers)
        _, ids_trimmed = customer_key(duck, columns.customer, opened.types[columns.customer],
                                      checks.ids)
        # The date column is read as the local engine reads it: the decision is made by DuckDB
        # (from the heads prescan counted), then applied in Spark SQL (features/dates.py).
        dates = read_dates(duck, columns.date, opened.types[columns.date], date_format,
                           european=decimal == "," or dialect.delimiter == ";",
                           header_line=header_line, heads=checks.heads)
        if checks.heads:
            duck.execute(f"DROP TABLE {checks.heads}")
        given_as_of = parse_as_of(as_of)
        limit = given_as_of or today()
        raw = self._spark_read(path, kind, opened, duck)
        parsed = parse_lines(raw, columns, dates, limit, decimal)
        money, product = columns.has_money, columns.product is not None
        quantity = columns.quantity is not None
        parsed.frame.createOrReplaceTempView("parsed")
        # One job reads and parses every line once and brings one row per customer (and one
        # for the lines without a customer) to the driver: the aggregates final_sql reads and
        # the quality counts of the customer's lines, added up on the driver.
        table = self.spark.sql(parsed.customers_sql(money, product, quantity)).toArrow()
        duck.register("spark_customers", table)
        counted = duck.execute(parsed.quality_sql("spark_customers")).fetchone()
        total, scan, (used, returns_used) = counted[0], counted[1:12], counted[12:14]
        distinct, zero_amount, zero_quantity = counted[14:17]
        # Text ids that prescan found all whole numbers without leading zeros (customer_key's
        # rule) group as BIGINT, as in the local engine.
        cast_ids = parsed.text_ids and checks.ids is not None and checks.ids[0] == 0
        if scan[0]:
            raise bad_dates_error(duck, columns.date, dates, header_line)
        require_customers(int(scan[1]), int(total), columns)
        window = window_counts(scan[9], scan[10], given_as_of)
        if scan[3] is None and not (given_as_of and scan[10]):
            raise no_dates_error(columns.date, {"lines_without_date": int(scan[5]), **window})
        as_of_day = given_as_of or scan[3] + dt.timedelta(days=1)
        require_lines(int(used), as_of_day)
        # The features of the aggregates (one row per customer) on the driver, by the SQL the
        # local engine runs, in the DuckDB session open on the file.
        source = parsed.features_source("spark_customers", money, product, quantity, cast_ids)
        sql = final_sql(as_of_day, money=money, product=product, quantity=quantity,
                        returns=returns_used > 0, source=source)
        frame = duck.execute(sql).df()
        duck.unregister("spark_customers")
        counts = {
            "first_day": str(scan[2]), "last_day": str(scan[3]),
            "lines_without_customer": int(scan[4]), "lines_without_date": int(scan[5]),
            **window, "date_order": dates.order, "date_formats": list(dates.formats),
            "return_lines": int(scan[6]),
            "returned_amount": float(scan[7]), "zero_or_negative_price_lines": int(scan[8]),
            "exact_duplicate_lines": int(total) - int(distinct), "lines_used": int(used),
            "numbers_from_text": converted, "ids_trimmed": ids_trimmed,
            # As the local engine: the currency signs DuckDB finds in money written as text.
            "currency_signs": currency_signs(duck, converted),
            "zero_amount_lines": int(zero_amount) if columns.has_money else None,
            "zero_quantity_lines": int(zero_quantity) if columns.quantity else None,
        }
        return finish_features(frame, columns, as_of_day, int(total), counts,
                               returns_used > 0, dialect, date_notes(dates, counts, limit),
                               engine="spark")

    def _read(self, path: Path, kind: str) -> tuple[DataFrame, Source, Any]:
        """The file in Spark, read with the dialect DuckDB's sniffer finds (delimiter, quote,
        encoding), every column as text; the DuckDB session (view ``raw``) and what it found."""
        import duckdb

        duck = duckdb.connect()
        try:
            opened = open_source(duck, path)
            check_spark_reads(path, kind, opened)
            return self._spark_read(path, kind, opened, duck), opened, duck
        except BaseException:
            duck.close()
            raise

    def _spark_read(self, path: Path, kind: str, opened: Source, duck: Any) -> DataFrame:
        """The file in Spark, as DuckDB opened it (``check_spark_reads`` passed)."""
        if kind == "parquet":
            # The schema DuckDB read, when it is sure to be Spark's: no job to infer it.
            ntz = self.spark.conf.get("spark.sql.parquet.inferTimestampNTZ.enabled", "true")
            schema = parquet_schema(duck, path, opened.types, str(ntz).lower() == "true")
            reader = self.spark.read if schema is None else self.spark.read.schema(schema)
            return reader.parquet(str(path))
        dialect = opened.dialect
        charset = JAVA_CHARSETS.get(dialect.encoding or "utf-8", dialect.encoding or "UTF-8")
        raw = self.spark.read.csv(str(path), header=True, sep=dialect.delimiter or ",",
                                  inferSchema=False, quote=dialect.quote or '"',
                                  escape=dialect.quote or '"', encoding=charset,
                                  multiLine=True)
        # Spark keeps a byte-order mark and spaces in header names; use the names DuckDB read.
        return raw.toDF(*opened.columns)

    def fit(self, model: SegmentModel, X: pd.DataFrame, on_progress: Progress) -> np.ndarray:
        """``model.plan`` on the driver (preparation, k, restarts on the fit sample), Lloyd
        passes over every customer in Spark from the best restart's centres, ``model.finish``
        (canonical ids, silhouette, stability, structure)."""
        plan = model.plan(X, on_progress)
        on_progress("fit (Spark)")
        with stage("fit"):
            centers, n_iter = self._fit(model, plan)
        model.finish(plan, centers, n_iter)
        return plan.prepared

    def _fit(self, model: SegmentModel, plan: FitPlan) -> tuple[np.ndarray, int]:
        """What ``SegmentModel.refine`` does, with its polish in Spark: the best restart on the
        restart sample settled on the fit sample (the k sweep's when k was chosen), then
        weighted Lloyd passes over every distinct prepared row until no row changes segment (or
        ``max_iter``). The restarts are ``kmeans.fit_restarts``, as the local engine's: one
        method, so both engines start the polish from the same centres."""
        best = plan.swept or fit_restarts(plan.restart_rows, plan.fit_rows, plan.k,
                                          int(model.seed), model.n_init, model.max_iter)
        self.passes = 0
        if len(plan.fit_rows.X) == len(plan.data.X):
            return best.centers, best.n_iter  # the sample was every distinct row: nothing to do
        rows = plan.data.everything()
        local = (self.spark.sparkContext.master or "").startswith("local")
        frame = weighted_rows(self.spark, rows.X, rows.weight, self.work if local else None)
        try:
            centers, self.passes = lloyd(frame, best.centers, int(model.max_iter),
                                         lloyd_tolerance(rows.X, rows.weight))
        finally:
            frame.unpersist()
        return centers, self.passes

    def info(self, customers: int) -> EngineInfo:
        details: dict[str, Any] = {"master": self.master or "local[*]",
                                   "spark_version": self.spark.version}
        if self.passes is not None:
            details["lloyd_passes"] = self.passes
        return EngineInfo("spark", details,
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
        data = data.selectExpr(*[
            f"{spark_number(f'CAST({spark_ident(c)} AS STRING)', decimal)} AS {spark_ident(c)}"
            if c in numeric else spark_ident(c) for c in data.columns])
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
        frame = to_pandas(joined.drop("_row"))
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


def lloyd(rows: DataFrame, init: np.ndarray, max_iter: int, tol: float
          ) -> tuple[np.ndarray, int]:
    """scikit-learn's Lloyd loop (``KMeans(init=...)``, as ``SegmentModel.refine`` polishes)
    with each pass one Spark job over the weighted rows ``rows``; returns the centres and the
    number of passes. scikit-learn stops when no row changes segment or when the centres move
    less than ``tol`` (summed squared shifts), after at most ``max_iter`` passes; a pass that
    changes no segment leaves the centres where they were (shift 0), so the second rule alone
    stops at the same pass. A centre left without rows stays where it was (scikit-learn would
    move it to a far row; after the fit-sample restarts no segment empties in practice)."""
    centers = np.asarray(init, dtype=np.float64)
    for done in range(1, max_iter + 1):
        sums, weights = lloyd_pass(rows, centers)
        means = centers.copy()
        kept = weights > 0
        means[kept] = sums[kept] / weights[kept, None]
        shift = float(((means - centers) ** 2).sum())
        centers = means
        if shift <= tol:
            return centers, done
    return centers, max_iter


def lloyd_tolerance(X: np.ndarray, weight: np.ndarray) -> float:
    """The local polish's stopping tolerance: ``KMEANS_TOL`` times the mean feature variance
    of the customers the weighted rows stand for (what ``kmeans.fit_kmeans`` gives
    scikit-learn)."""
    return KMEANS_TOL * weighted_variance(X, weight)


def check_spark_reads(path: Path, kind: str, opened: Source) -> None:
    """Refuse a file Spark cannot read as DuckDB opened it (``opened``)."""
    if kind not in ("csv", "tsv", "parquet"):
        raise DataError(f"the Spark engine reads CSV, TSV or Parquet files; convert "
                        f"'{path}' or use --engine local")
    if kind != "parquet" and opened.dialect.header_row != 1:
        raise DataError(f"'{path}' has {opened.dialect.header_row - 1} title line(s) above its "
                        "header, which the Spark engine cannot skip; remove them or use "
                        "--engine local")


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
