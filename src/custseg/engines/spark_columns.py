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
from ..features.columns import ColumnMap
from ..features.date_window import EARLIEST
from ..features.dates import DateReading
from ..features.feature_sql import NET_AMOUNT, customer_aggregates
from ..missing import is_missing_quick_sql
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


def spark_string(text: str) -> str:
    """A Spark SQL string literal (Spark reads backslash escapes in literals)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def spark_date(day: dt.date) -> str:
    """A Spark SQL DATE literal."""
    return f"DATE '{day.isoformat()}'"


# Spark SQL below is written as text: building column objects costs a round trip to the JVM
# per expression node (about 2 s for ``parse_lines`` on a fresh session), parsing text one.
def spark_text(column: str | None) -> str:
    """SQL: a text column trimmed, missing tokens as NULL (as the DuckDB reader)."""
    if column is None:
        return "CAST(NULL AS STRING)"
    text = f"CAST({spark_ident(column)} AS STRING)"
    return f"CASE WHEN {is_missing_quick_sql(text)} THEN NULL ELSE trim({text}) END"


def spark_number(text: str, decimal: str) -> str:
    """SQL: the number rules of ``numbers.number_sql`` over the text ``text`` (Java regexes)."""
    def rlike(value: str, pattern: str) -> str:
        return f"{value} RLIKE {spark_string(pattern)}"

    def replace(value: str, pattern: str, by: str) -> str:
        return f"regexp_replace({value}, {spark_string(pattern)}, {spark_string(by)})"

    stripped = f"trim({replace(text, numbers.CURRENCY_PATTERN, '')})"
    accounting, inside = r"^\(.*\)$", spark_string(r"^\((.*)\)$")
    dot, spaces = r"\.", r"[  ']"
    # (12.50) is accounting notation for -12.50
    s = (f"(CASE WHEN {rlike(stripped, accounting)} THEN concat('-', trim(regexp_extract("
         f"{stripped}, {inside}, 1))) ELSE {stripped} END)")
    if decimal == ",":
        cleaned = (f"CASE WHEN {rlike(s, numbers.GROUPED_DOT)} "
                   f"THEN {replace(replace(s, dot, ''), ',', '.')} "
                   f"WHEN {rlike(s, numbers.GROUPED_SPACE)} "
                   f"THEN {replace(replace(s, spaces, ''), ',', '.')} "
                   f"WHEN {rlike(s, numbers.COMMA_DECIMAL)} THEN {replace(s, ',', '.')} "
                   f"ELSE {s} END")
    else:
        cleaned = (f"CASE WHEN {rlike(s, numbers.GROUPED_COMMA)} THEN {replace(s, ',', '')} "
                   f"WHEN {rlike(s, numbers.GROUPED_SPACE)} THEN {replace(s, spaces, '')} "
                   f"ELSE {s} END")
    return (f"CASE WHEN {is_missing_quick_sql(text)} THEN CAST(NULL AS DOUBLE) "
            f"ELSE try_cast({cleaned} AS DOUBLE) END")


# Types whose values Spark turns into decimals exactly as their text would be read (a double's
# text reads back as the same double), so their lines need no text parsing (``parse_lines``).
_PLAIN_NUMBERS = (ByteType, ShortType, IntegerType, LongType, DoubleType)
_WHOLE_NUMBERS = (ByteType, ShortType, IntegerType, LongType)


def _number_value(column: str, kind: DataType, decimal: str) -> str:
    """SQL: a money column of Spark type ``kind`` as a double, by the local engine's rules
    (NULL where missing)."""
    value = spark_ident(column)
    if isinstance(kind, DoubleType):  # no text to parse; NaN is a missing value
        return f"CASE WHEN isnan({value}) THEN NULL ELSE {value} END"
    if isinstance(kind, _PLAIN_NUMBERS):
        return value
    return spark_number(f"CAST({value} AS STRING)", decimal)


def parse_lines(raw: DataFrame, columns: ColumnMap, dates: DateReading, limit: dt.date,
                decimal: str) -> Parsed:
    """Purchase lines parsed by the local engine's rules (numbers, dates, ids, returns), with
    the flags the quality scan counts: one pass over the lines computes them all. DuckDB has
    checked the lines already (``line_checks.prescan``: text that is not a number is refused,
    ids are judged), so nothing here checks them again.

    Columns: ``customer`` (BIGINT when the file's type is a whole number, else trimmed text:
    ``Parsed.features_source`` casts it when every id is one), ``day``, ``order_raw``,
    ``product``, ``quantity``, ``price``, ``amount`` (decimals), ``is_return``,
    ``date_missing``, ``date_bad``, ``date_early``, ``date_late``, ``line_hash`` (of every raw
    column, for exact duplicates).
    """
    types = {f.name: f.dataType for f in raw.schema.fields}  # one round trip to the JVM
    money = [c for c in (columns.quantity, columns.price, columns.amount) if c is not None]
    whole_ids = isinstance(types[columns.customer], _WHOLE_NUMBERS)
    # Dates: the reading decided for the whole column, in Spark SQL; outside 1970-01-01 ..
    # ``limit`` (the as-of date, else today) a date is left out (``day`` NULL) and counted.
    date_column = spark_ident(columns.date)
    date_sql = date_column if dates.native else f"trim(CAST({date_column} AS STRING))"
    parsed = f"({dates.spark_sql.replace('{v}', date_sql)})"
    earliest, last = spark_date(EARLIEST), spark_date(limit)
    # As the local engine: whole-number ids without leading zeros group as BIGINT (the same
    # text written back); any other id stays text, exactly as read.
    customer = (f"CAST({spark_ident(columns.customer)} AS BIGINT)" if whole_ids
                else spark_text(columns.customer))
    # The lines spread by customer over spark.sql.shuffle.partitions parts (fixed: adaptive
    # coalescing made three for two cores) before anything is parsed: the aggregation by
    # customer needs that shuffle anyway (for whole-number ids Spark keeps this one), and a
    # file read by fewer tasks than cores (a Parquet file of a few row groups of unequal
    # size, a CSV file read whole) would parse on one core. Only the columns the features
    # read travel, with the hash of every column (exact duplicates).
    used = dict.fromkeys(c for c in (columns.customer, columns.date, columns.order,
                                     columns.product, *money) if c is not None)
    parts = int(raw.sparkSession.conf.get("spark.sql.shuffle.partitions") or 200)
    every = ", ".join(spark_ident(c) for c in types)
    raw = raw.selectExpr(*[spark_ident(c) for c in used], f"xxhash64({every}) AS ` line_hash`"
                         ).repartition(parts, F.col(spark_ident(columns.customer)))
    # First the values (each regex-parsed once), then what is made of them.
    first = raw.selectExpr(
        f"{customer} AS customer",
        # Not BETWEEN: Spark 4 computes its operand apart (a common expression, in a projection
        # of its own), so every date was parsed twice; with two comparisons, once (the plan).
        f"CASE WHEN {parsed} >= {earliest} AND {parsed} <= {last} THEN {parsed} END AS day",
        f"{spark_text(columns.order)} AS order_raw", f"{spark_text(columns.product)} AS product",
        f"{parsed} AS ts", f"{dates.missing_sql(date_sql)} AS date_missing",
        "` line_hash` AS line_hash",
        *[f"{_number_value(c, types[c], decimal)} AS _n{i}" for i, c in enumerate(money)])

    def number(c: str | None) -> str:
        if c is None:
            return "CAST(NULL AS DECIMAL(18,6))"
        return f"CAST(_n{money.index(c)} AS DECIMAL(18,6))"

    quantity, price = number(columns.quantity), number(columns.price)
    if columns.amount:
        amount = number(columns.amount)
    elif columns.quantity and columns.price:
        amount = f"CAST({quantity} * {price} AS DECIMAL(38,6))"
    else:
        amount = "CAST(NULL AS DECIMAL(38,6))"
    kept = ["customer", "day", "order_raw", "product", "quantity", "price", "amount",
            "date_missing", "line_hash"]
    second = first.selectExpr(
        "customer", "day", "order_raw", "product", f"{quantity} AS quantity",
        f"{price} AS price", f"{amount} AS amount", "ts", "date_missing", "line_hash")
    returns = "coalesce(order_raw RLIKE '^C[0-9]+$', false) OR coalesce(quantity < 0, false)"
    if not columns.quantity:
        returns += " OR coalesce(amount < 0, false)"
    frame = second.selectExpr(
        *kept, f"{returns} AS is_return", "(NOT date_missing AND ts IS NULL) AS date_bad",
        f"coalesce(ts < {earliest}, false) AS date_early",
        f"coalesce(ts > {last}, false) AS date_late")
    return Parsed(frame, not whole_ids)


@dataclass(frozen=True)
class Parsed:
    """Parsed purchase lines (``parse_lines``) and the SQL that reads them."""

    frame: DataFrame
    text_ids: bool  # the ids are text (grouped as BIGINT when DuckDB found them all whole)

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
            "count(CASE WHEN line_quantity = 0 THEN 1 END) AS q_zero_quantity"]
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
        distinct lines; lines of amount 0, of quantity 0."""
        def total(column: str, where: str | None = None) -> str:
            value = f"CASE WHEN {where} THEN {column} END" if where else column
            return f"coalesce(sum({value}), 0)"

        kept = "customer IS NOT NULL"
        columns = [total("q_lines"), total("q_date_bad"), total("q_lines", kept),
                   "min(first_any)", "max(last_any)", total("q_lines", "customer IS NULL"),
                   total("q_date_missing"), total("q_returns"), total("q_returned"),
                   total("q_bad_price"), total("q_early"), total("q_late"),
                   total("q_used", kept), total("q_returns_used", kept), total("q_distinct"),
                   total("q_zero_amount"), total("q_zero_quantity")]
        return f"SELECT {', '.join(columns)} FROM {relation}"

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
