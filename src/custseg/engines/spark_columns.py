"""Spark column expressions with the local engine's rules: the session, identifiers, missing
tokens, numbers as text, purchase-line parsing, and feature vectors (a prepared matrix brought
to Spark for the fit; a saved model's preparation in Spark for scoring).

Only ``engines`` modules import this (it imports pyspark).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pyspark.ml.feature import VectorAssembler
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from .. import numbers
from ..errors import DataError
from ..features.columns import ColumnMap
from ..features.dates import EARLIEST, DateReading
from ..missing import MISSING_TOKENS
from ..prep import Preparer


def session(master: str | None = None, conf: dict[str, str] | None = None) -> SparkSession:
    builder = (SparkSession.builder.appName("custseg").master(master or "local[*]")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "8")
               .config("spark.sql.session.timeZone", "UTC"))
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def spark_ident(name: str) -> str:
    """A column name as a Spark SQL identifier (backticks)."""
    return "`" + name.replace("`", "``") + "`"


def to_pandas(frame: DataFrame, work: Path, name: str) -> pd.DataFrame:
    """Through Parquet: robust across pandas versions and fast for a million rows."""
    target = work / name
    frame.write.mode("overwrite").parquet(str(target))
    return pd.read_parquet(target)


JAVA_CHARSETS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "utf-16": "UTF-16",
                 "utf-16-le": "UTF-16LE", "utf-16-be": "UTF-16BE", "cp1252": "windows-1252",
                 "iso8859-1": "ISO-8859-1", "latin-1": "ISO-8859-1", "utf-32": "UTF-32"}
CANONICAL_INTEGER = r"^-?([1-9][0-9]{0,17}|0)$"


def spark_missing(text: Any) -> Any:
    """True where the text is missing: NULL or a missing token (missing.MISSING_TOKENS)."""
    return text.isNull() | F.lower(F.trim(text)).isin(list(MISSING_TOKENS))


def spark_text(column: str | None) -> Any:
    """A text column trimmed, missing tokens as NULL (as the DuckDB reader)."""
    if column is None:
        return F.lit(None).cast("string")
    text = F.col(spark_ident(column)).cast("string")
    return F.when(spark_missing(text), F.lit(None)).otherwise(F.trim(text))


def spark_number(text: Any, decimal: str) -> Any:
    """The number rules of ``numbers.number_sql`` as Spark column expressions (Java regexes)."""
    stripped = F.trim(F.regexp_replace(text, numbers.CURRENCY_PATTERN, ""))
    s = F.when(stripped.rlike(r"^\(.*\)$"),  # (12.50) is accounting notation for -12.50
               F.concat(F.lit("-"), F.trim(F.regexp_extract(stripped, r"^\((.*)\)$", 1))))
    s = s.otherwise(stripped)
    spaces = r"[  ']"
    if decimal == ",":
        cleaned = (F.when(s.rlike(numbers.GROUPED_DOT),
                          F.regexp_replace(F.regexp_replace(s, r"\.", ""), ",", "."))
                   .when(s.rlike(numbers.GROUPED_SPACE),
                         F.regexp_replace(F.regexp_replace(s, spaces, ""), ",", "."))
                   .when(s.rlike(numbers.COMMA_DECIMAL), F.regexp_replace(s, ",", "."))
                   .otherwise(s))
    else:
        cleaned = (F.when(s.rlike(numbers.GROUPED_COMMA), F.regexp_replace(s, ",", ""))
                   .when(s.rlike(numbers.GROUPED_SPACE), F.regexp_replace(s, spaces, ""))
                   .otherwise(s))
    value = cleaned.try_cast("double")
    return F.when(spark_missing(text), F.lit(None).cast("double")).otherwise(value)


def parse_lines(raw: DataFrame, columns: ColumnMap, dates: DateReading, limit: dt.date,
                decimal: str) -> DataFrame:
    """Purchase lines parsed by the local engine's rules (numbers, dates, ids, returns)."""
    text = lambda c: F.nullif(F.trim(F.col(c).cast("string")), F.lit(""))  # noqa: E731

    def number(c: str | None) -> Any:
        if c is None:
            return F.lit(None).cast("decimal(18,6)")
        return spark_number(F.col(spark_ident(c)).cast("string"), decimal).cast("decimal(18,6)")

    # Dates: the reading decided for the whole column, in Spark SQL; outside 1970-01-01 ..
    # ``limit`` (the as-of date, else today) a date is left out (``day`` NULL) and counted.
    date_column = spark_ident(columns.date)
    date_sql = date_column if dates.native else f"trim(CAST({date_column} AS STRING))"
    date_text = F.expr(date_sql)
    parsed = F.expr(dates.spark_sql.replace("{v}", date_sql))
    plausible = F.when(parsed.between(F.lit(EARLIEST), F.lit(limit)), parsed)
    for c in (columns.quantity, columns.price, columns.amount):
        if c is None:
            continue
        bad = raw.filter(~spark_missing(F.col(spark_ident(c)).cast("string"))
                         & spark_number(F.col(spark_ident(c)).cast("string"), decimal).isNull())
        examples = [r[0] for r in bad.select(text(c)).limit(3).collect()]
        if examples:
            raise DataError(f"column '{c}' should hold numbers but some lines do not, e.g. "
                            f"{', '.join(map(repr, examples))}; fix those cells or map "
                            "another column")
    quantity, price = number(columns.quantity), number(columns.price)
    if columns.amount:
        amount = number(columns.amount)
    elif columns.quantity and columns.price:
        amount = (quantity * price).cast("decimal(38,6)")
    else:
        amount = F.lit(None).cast("decimal(38,6)")
    order = spark_text(columns.order)
    customer = spark_text(columns.customer)
    # As the local engine: whole-number ids without leading zeros group as BIGINT (the
    # same text written back); any other id stays text, exactly as read.
    if raw.filter(customer.isNotNull() & ~customer.rlike(CANONICAL_INTEGER)).limit(1) \
            .count() == 0:
        customer = customer.cast("bigint")
    frame = raw.select(
        customer.alias("customer"), plausible.alias("day"),
        order.alias("order_raw"),
        spark_text(columns.product).alias("product"),
        quantity.alias("quantity"), price.alias("price"), amount.alias("amount"),
        date_text.alias("date_text"), parsed.alias("ts"),
        F.expr(dates.missing_sql(date_sql)).alias("date_missing"))
    returns = F.coalesce(F.col("order_raw").rlike(r"^C[0-9]+$"), F.lit(False)) | \
        F.coalesce(F.col("quantity") < 0, F.lit(False))
    if not columns.quantity:
        returns = returns | F.coalesce(F.col("amount") < 0, F.lit(False))
    return frame.select(
        "*", returns.alias("is_return"),
        (~F.col("date_missing") & F.col("ts").isNull()).alias("date_bad"),
        F.coalesce(F.col("ts") < F.lit(EARLIEST), F.lit(False)).alias("date_early"),
        F.coalesce(F.col("ts") > F.lit(limit), F.lit(False)).alias("date_late"))


def prepared_vectors(data: DataFrame, preparer: Preparer) -> DataFrame:
    """``preparer.transform`` in Spark, for scoring a saved model where the data is: one vector
    column ``features`` per row (``_row``). A fit does not use it: it clusters the matrix
    ``SegmentModel.plan`` prepared (``matrix_vectors``). A test keeps the two equal."""
    columns = []
    for spec in preparer.specs:
        raw = F.col(spark_ident(spec.name))
        if spec.kind == "numeric":
            value = raw.try_cast("double")
            if spec.fill is not None:
                value = F.when(value.isNull() | F.isnan(value), F.lit(float(spec.fill))) \
                    .otherwise(value)
            if spec.transform == "log1p":
                value = F.signum(value) * F.log1p(F.abs(value))
            columns.append((value - F.lit(spec.center)) / F.lit(spec.scale))
        else:
            text = raw.cast("string")
            if spec.fill is not None:
                text = F.coalesce(text, F.lit(str(spec.fill)))
            columns += [F.when(text == F.lit(level), F.lit(spec.weight)).otherwise(F.lit(0.0))
                        for level in spec.categories]
    names = [f"_p{i}" for i in range(len(columns))]
    frame = data.select("_row", *[c.alias(n) for c, n in zip(columns, names, strict=True)])
    return VectorAssembler(inputCols=names, outputCol="features").transform(frame)


def matrix_vectors(spark: SparkSession, matrix: np.ndarray, work: Path) -> DataFrame:
    """A prepared matrix (one row per customer) as Spark vectors ``features`` with ``_row``,
    through Parquet (columns ``_p0`` .. ``_pN``, exact float64)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = [f"_p{i}" for i in range(matrix.shape[1])]
    table = pa.table({"_row": np.arange(len(matrix), dtype="int64"),
                      **{n: np.ascontiguousarray(matrix[:, i], dtype="float64")
                         for i, n in enumerate(names)}})
    target = work / "prepared.parquet"
    pq.write_table(table, target)
    frame = spark.read.parquet(str(target))
    return VectorAssembler(inputCols=names, outputCol="features").transform(frame)


def vector_to_array(column: str) -> Any:
    from pyspark.ml.functions import vector_to_array as to_array

    return to_array(F.col(column))
