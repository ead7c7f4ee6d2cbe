"""Spark column expressions with the local engine's rules: the session, identifiers, missing
tokens, numbers as text, purchase-line parsing, and feature vectors (a prepared matrix brought
to Spark for the fit; a saved model's preparation in Spark for scoring).

Only ``engines`` modules import this (it imports pyspark).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pyspark.ml.feature import VectorAssembler
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import (
    ByteType,
    DataType,
    DoubleType,
    IntegerType,
    LongType,
    ShortType,
)

from .. import numbers
from ..errors import DataError
from ..features.columns import ColumnMap
from ..features.date_window import EARLIEST
from ..features.dates import DateReading
from ..features.feature_sql import NET_AMOUNT, customer_aggregates
from ..missing import MISSING_TOKENS
from ..prep import Preparer


def session(master: str | None = None, conf: dict[str, str] | None = None) -> SparkSession:
    builder = (SparkSession.builder.appName("custseg").master(master or "local[*]")
               .config("spark.ui.enabled", "false")
               # custseg draws its own progress; Spark's stage bars would garble stderr.
               .config("spark.ui.showConsoleProgress", "false")
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


def to_pandas(frame: DataFrame) -> pd.DataFrame:
    """A (per-customer) result on the driver, through Arrow: collected by the driver, so it
    works on a cluster too, where executors cannot write to the driver's disk."""
    return frame.toArrow().to_pandas()


JAVA_CHARSETS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "utf-16": "UTF-16",
                 "utf-16-le": "UTF-16LE", "utf-16-be": "UTF-16BE", "cp1252": "windows-1252",
                 "iso8859-1": "ISO-8859-1", "latin-1": "ISO-8859-1", "utf-32": "UTF-32"}
CANONICAL_INTEGER = r"^-?([1-9][0-9]{0,17}|0)$"


def spark_missing(text: Any) -> Any:
    """True where the text is missing: NULL or a missing token (missing.MISSING_TOKENS).

    Only text as short as the longest token is lowered (Spark lowers through ICU, a cost per
    line): the tokens are ASCII and lowering never shortens text, so longer text is none."""
    trimmed = F.trim(text)
    longest = max(len(token) for token in MISSING_TOKENS)
    return text.isNull() | ((F.length(trimmed) <= longest)
                            & F.lower(trimmed).isin(list(MISSING_TOKENS)))


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


# Types whose values Spark turns into decimals exactly as their text would be read (a double's
# text reads back as the same double), so their lines need no text parsing (``parse_lines``).
_PLAIN_NUMBERS = (ByteType, ShortType, IntegerType, LongType, DoubleType)
_WHOLE_NUMBERS = (ByteType, ShortType, IntegerType, LongType)


def _number_value(column: str, kind: DataType, decimal: str) -> Any:
    """A money column of Spark type ``kind`` as a double, by the local engine's rules (NULL
    where missing or bad)."""
    value = F.col(spark_ident(column))
    if isinstance(kind, _PLAIN_NUMBERS):  # no text to parse; NaN is a missing value
        return F.when(F.isnan(value), F.lit(None)).otherwise(value) \
            if isinstance(kind, DoubleType) else value
    return spark_number(value.cast("string"), decimal)


def parse_lines(raw: DataFrame, columns: ColumnMap, dates: DateReading, limit: dt.date,
                decimal: str) -> Parsed:
    """Purchase lines parsed by the local engine's rules (numbers, dates, ids, returns), with
    the flags the quality scan counts: one pass over the lines computes them all.

    Columns: ``customer`` (BIGINT when the file's type is a whole number, else trimmed text:
    ``Parsed.lines_sql`` casts it when every id is one), ``day``, ``order_raw``, ``product``,
    ``quantity``, ``price``, ``amount`` (decimals), ``is_return``, ``date_missing``,
    ``date_bad``, ``date_early``, ``date_late``, ``line_hash`` (of every raw column, for exact
    duplicates), ``bad_<i>`` (text in the i-th money column that is not a number) and
    ``odd_id`` (a text id that is not a whole number without leading zeros).
    """
    types = {f.name: f.dataType for f in raw.schema.fields}  # one round trip to the JVM
    money = [c for c in (columns.quantity, columns.price, columns.amount) if c is not None]
    text_money = [c for c in money if not isinstance(types[c], _PLAIN_NUMBERS)]
    whole_ids = isinstance(types[columns.customer], _WHOLE_NUMBERS)
    # Dates: the reading decided for the whole column, in Spark SQL; outside 1970-01-01 ..
    # ``limit`` (the as-of date, else today) a date is left out (``day`` NULL) and counted.
    date_column = spark_ident(columns.date)
    date_sql = date_column if dates.native else f"trim(CAST({date_column} AS STRING))"
    parsed = F.expr(dates.spark_sql.replace("{v}", date_sql))
    plausible = F.when(parsed.between(F.lit(EARLIEST), F.lit(limit)), parsed)
    # As the local engine: whole-number ids without leading zeros group as BIGINT (the same
    # text written back); any other id stays text, exactly as read.
    customer = (F.col(spark_ident(columns.customer)).cast("bigint") if whole_ids
                else spark_text(columns.customer))
    values = {c: _number_value(c, types[c], decimal).alias(f"_n{i}")
              for i, c in enumerate(money)}
    # The lines spread by customer over spark.sql.shuffle.partitions parts (fixed: adaptive
    # coalescing made three for two cores) before anything is parsed: the aggregation by
    # customer needs that shuffle anyway (for whole-number ids Spark keeps this one), and a
    # file read by fewer tasks than cores (a Parquet file of a few row groups of unequal
    # size, a CSV file read whole) would parse on one core. Only the columns the features
    # read travel, with the hash of every column (exact duplicates).
    used = dict.fromkeys(c for c in (columns.customer, columns.date, columns.order,
                                     columns.product, *money) if c is not None)
    parts = int(raw.sparkSession.conf.get("spark.sql.shuffle.partitions") or 200)
    raw = raw.select(*[F.col(spark_ident(c)) for c in used],
                     F.xxhash64(*[F.col(spark_ident(c)) for c in types]).alias(" line_hash")
                     ).repartition(parts, F.col(spark_ident(columns.customer)))
    # First the values (each regex-parsed once), then what is made of them.
    first = raw.select(
        customer.alias("customer"), plausible.alias("day"),
        spark_text(columns.order).alias("order_raw"),
        spark_text(columns.product).alias("product"), parsed.alias("ts"),
        F.expr(dates.missing_sql(date_sql)).alias("date_missing"),
        F.col("` line_hash`").alias("line_hash"),
        *values.values(),
        *[spark_missing(F.col(spark_ident(c)).cast("string")).alias(f"_m{money.index(c)}")
          for c in text_money])

    def number(c: str | None) -> Any:
        if c is None:
            return F.lit(None).cast("decimal(18,6)")
        return F.col(f"_n{money.index(c)}").cast("decimal(18,6)")

    quantity, price = number(columns.quantity), number(columns.price)
    if columns.amount:
        amount = number(columns.amount)
    elif columns.quantity and columns.price:
        amount = (quantity * price).cast("decimal(38,6)")
    else:
        amount = F.lit(None).cast("decimal(38,6)")
    flags = [(~F.col(f"_m{money.index(c)}") & F.col(f"_n{money.index(c)}").isNull())
             .alias(f"bad_{money.index(c)}") for c in text_money]
    if not whole_ids:
        flags.append((F.col("customer").isNotNull()
                      & ~F.col("customer").rlike(CANONICAL_INTEGER)).alias("odd_id"))
    second = first.select(
        "customer", "day", "order_raw", "product", quantity.alias("quantity"),
        price.alias("price"), amount.alias("amount"), "ts", "date_missing", "line_hash",
        *flags)
    returns = F.coalesce(F.col("order_raw").rlike(r"^C[0-9]+$"), F.lit(False)) | \
        F.coalesce(F.col("quantity") < 0, F.lit(False))
    if not columns.quantity:
        returns = returns | F.coalesce(F.col("amount") < 0, F.lit(False))
    frame = second.select(
        *[c for c in second.columns if c != "ts"], returns.alias("is_return"),
        (~F.col("date_missing") & F.col("ts").isNull()).alias("date_bad"),
        F.coalesce(F.col("ts") < F.lit(EARLIEST), F.lit(False)).alias("date_early"),
        F.coalesce(F.col("ts") > F.lit(limit), F.lit(False)).alias("date_late"))
    return Parsed(frame, {money.index(c): c for c in text_money}, not whole_ids)


@dataclass(frozen=True)
class Parsed:
    """Parsed purchase lines (``parse_lines``) and the checks their scan must make."""

    frame: DataFrame
    text_money: dict[int, str]  # i -> money column read from text (flag ``bad_<i>``)
    text_ids: bool  # the ids are text (flag ``odd_id``)

    def customers_sql(self, money: bool, product: bool, quantity: bool) -> str:
        """One read of the view ``parsed`` for everything: one row per customer (and one,
        customer NULL, for the lines without a customer) holding the quality counts of its
        lines (``q_*``, which ``quality_sql`` adds up) and the aggregates ``final_sql`` reads:
        ``feature_sql.customer_aggregates`` over the lines with a day, and the distinct orders
        and products (purchase lines only) as the sizes of sets collected in the same
        grouping. One aggregation instead of a quality scan and three aggregations, each
        reading and parsing the lines again (measured: ``docs/spark.md``).

        Every kept day is on or before the as-of date (``parse_lines`` drops later days when
        it is given, else it is the day after the last), so no line is left out by it. A line
        without a day carries NULL ``is_return`` and ``quantity`` into the aggregates, which
        leave it out; lines are exact duplicates only of lines of the same customer (the
        hash covers the id), so distinct lines are counted per customer and added up."""
        order_key = "coalesce(order_raw, CAST(day AS STRING))"
        aggregates = [
            *customer_aggregates(money, quantity),
            f"size(collect_set(CASE WHEN NOT is_return THEN {order_key} END)) AS frequency",
            *(["size(collect_set(CASE WHEN NOT is_return THEN product END)) "
               "AS distinct_products"] if product else []),
            "count(*) AS q_lines", "count(CASE WHEN date_bad THEN 1 END) AS q_date_bad",
            "count(CASE WHEN date_missing THEN 1 END) AS q_date_missing",
            "count(CASE WHEN line_return THEN 1 END) AS q_returns",
            "sum(CASE WHEN line_return THEN -amount END) AS q_returned",
            "count(CASE WHEN price <= 0 THEN 1 END) AS q_bad_price",
            "count(CASE WHEN date_early THEN 1 END) AS q_early",
            "count(CASE WHEN date_late THEN 1 END) AS q_late", "count(day) AS q_used",
            "count(CASE WHEN day IS NOT NULL AND line_return THEN 1 END) AS q_returns_used",
            "size(collect_set(line_hash)) AS q_distinct",
            "count(CASE WHEN amount = 0 THEN 1 END) AS q_zero_amount",
            "count(CASE WHEN line_quantity = 0 THEN 1 END) AS q_zero_quantity",
            *[f"count(CASE WHEN bad_{i} THEN 1 END) AS q_bad_{i}" for i in self.text_money],
            *(["count(CASE WHEN odd_id THEN 1 END) AS q_odd_id"] if self.text_ids else [])]
        return f"""
            SELECT customer, {", ".join(aggregates)}
            FROM (SELECT *, CASE WHEN day IS NOT NULL THEN line_quantity END AS quantity,
                         CASE WHEN day IS NOT NULL THEN line_return END AS is_return
                  FROM (SELECT * EXCEPT (quantity, is_return), quantity AS line_quantity,
                               is_return AS line_return FROM parsed))
            GROUP BY customer"""

    def quality_sql(self, relation: str) -> str:
        """The quality counts (one row) over ``relation``, the rows of ``customers_sql``: all
        lines; lines with a bad date, with a customer, first and last day, lines without
        customer, without date, return lines, returned amount, lines priced zero or less,
        lines dated too early, too late; lines kept (customer and day), return lines kept;
        distinct lines; lines of amount 0, of quantity 0; then what ``check`` takes."""
        def total(column: str, where: str | None = None) -> str:
            value = f"CASE WHEN {where} THEN {column} END" if where else column
            return f"coalesce(sum({value}), 0)"

        kept = "customer IS NOT NULL"
        columns = [total("q_lines"), total("q_date_bad"), total("q_lines", kept),
                   "min(first_any)", "max(last_any)", total("q_lines", "customer IS NULL"),
                   total("q_date_missing"), total("q_returns"), total("q_returned"),
                   total("q_bad_price"), total("q_early"), total("q_late"),
                   total("q_used", kept), total("q_returns_used", kept), total("q_distinct"),
                   total("q_zero_amount"), total("q_zero_quantity"),
                   *[total(f"q_bad_{i}") for i in self.text_money],
                   *([total("q_odd_id")] if self.text_ids else [])]
        return f"SELECT {', '.join(columns)} FROM {relation}"

    def check(self, raw: DataFrame, counts: list[Any], decimal: str) -> bool:
        """Refuse text that is not a number (as the local engine: the column and examples);
        True when the ids are text that are all whole numbers (grouped as BIGINT)."""
        bad_counts = counts[:len(self.text_money)]
        for column, bad in zip(self.text_money.values(), bad_counts, strict=True):
            if bad:
                text = F.col(spark_ident(column)).cast("string")
                found = raw.filter(~spark_missing(text) & spark_number(text, decimal).isNull())
                examples = [r[0] for r in found.select(F.nullif(F.trim(text), F.lit("")))
                            .limit(3).collect()]
                raise DataError(f"column '{column}' should hold numbers but some lines do not, "
                                f"e.g. {', '.join(map(repr, examples))}; fix those cells or "
                                "map another column")
        return self.text_ids and not counts[len(self.text_money)]

    @staticmethod
    def features_source(relation: str, money: bool, product: bool, quantity: bool,
                        cast_ids: bool) -> str:
        """The per-customer relation ``final_sql`` reads, from ``relation`` (the rows of
        ``customers_sql``): the aggregates of the customers with a dated line; ``cast_ids``:
        text ids that are all whole numbers, as BIGINT (grouping their text grouped them as
        the numbers: they have no leading zeros)."""
        names = [a.rsplit(" AS ", 1)[1] for a in customer_aggregates(money, quantity)]
        names += ["frequency", *(["distinct_products"] if product else [])]
        if money:
            names.append(NET_AMOUNT)
        customer = "CAST(customer AS BIGINT)" if cast_ids else "customer"
        return (f"(SELECT {customer} AS customer, {', '.join(names)} FROM {relation} "
                "WHERE customer IS NOT NULL AND last_any IS NOT NULL) per_customer")


def prepared_vectors(data: DataFrame, preparer: Preparer) -> DataFrame:
    """``preparer.transform`` in Spark, for scoring a saved model where the data is: one vector
    column ``features`` per row (``_row``). A fit does not use it: it clusters the matrix
    ``SegmentModel.plan`` prepared (``weighted_rows``). A test keeps the two equal."""
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


def weighted_rows(spark: SparkSession, X: np.ndarray, weight: np.ndarray,
                  work: Path | None) -> DataFrame:
    """Prepared rows (columns ``x0`` .. ``xN``, exact float64) and their weights (``w``: how
    many customers each distinct row stands for) as a Spark DataFrame for the Lloyd passes.

    With a folder ``work`` that the executors see (local mode: this machine's disk) through
    a Parquet file there, which every pass reads again: cheaper than building Spark's cache
    (measured). Without (a cluster, whose executors cannot read the driver's disk) sent
    through Arrow by the driver and cached; the caller unpersists it."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = ["w", *[f"x{j}" for j in range(X.shape[1])]]
    table = pa.table([np.ascontiguousarray(weight, dtype="float64"),
                      *[np.ascontiguousarray(X[:, j], dtype="float64")
                        for j in range(X.shape[1])]], names=names)
    if work is None:
        return spark.createDataFrame(table).cache()
    target = work / "rows.parquet"
    # Row groups small enough for every core to read its share (Spark splits by row group).
    cores = spark.sparkContext.defaultParallelism
    pq.write_table(table, target, row_group_size=max(1, -(-len(X) // (4 * cores))))
    schema = ", ".join(f"{n} DOUBLE" for n in names)  # given: no job to read the footer
    return spark.read.schema(schema).parquet(str(target))


def _double(value: float) -> str:
    """A float64 as an exact Spark SQL DOUBLE literal (``repr`` reads back to the same bits)."""
    return f"{float(value)!r}D"


def nearest(rows: DataFrame, centers: np.ndarray) -> DataFrame:
    """``rows`` (``weighted_rows``) with ``label``: the index of the nearest centre (squared
    Euclidean distance; ties to the lowest index, as ``kmeans.assign``). Written as SQL text:
    building column objects would cost a round trip to the JVM per expression node."""
    k, d = centers.shape
    distances = [" + ".join(f"(x{i} - {_double(c)}) * (x{i} - {_double(c)})"
                            for i, c in enumerate(center)) for center in centers]
    least = f"least({', '.join(f'd{j}' for j in range(k))})"
    label = " ".join(f"WHEN d{j} = {least} THEN {j}" for j in range(k - 1))
    columns = ["w", *[f"x{i}" for i in range(d)]]
    return (rows.selectExpr(*columns, *[f"{e} AS d{j}" for j, e in enumerate(distances)])
            .selectExpr(*columns, f"CASE {label} ELSE {k - 1} END AS label"))


def lloyd_pass(rows: DataFrame, centers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One Lloyd pass over ``weighted_rows`` as one Spark job: each row's nearest centre, then
    per centre the weighted sum of its rows and their weight. Returns (sums (k, d), weights
    (k,)); a centre no row is nearest to has zero weight."""
    k, d = centers.shape
    result = nearest(rows, centers).groupBy("label").agg(
        F.expr("sum(w) AS w"), *[F.expr(f"sum(w * x{i}) AS s{i}") for i in range(d)]).collect()
    totals, weights = np.zeros((k, d)), np.zeros(k)
    for row in result:
        totals[row["label"]] = [row[f"s{i}"] for i in range(d)]
        weights[row["label"]] = row["w"]
    return totals, weights


def vector_to_array(column: str) -> Any:
    from pyspark.ml.functions import vector_to_array as to_array

    return to_array(F.col(column))
