"""The schema of a Parquet file for Spark, from what DuckDB read of it: Spark then reads the file
without the job that infers the schema from its footer (about 1 s on a fresh session).

Only ``engines`` modules import this (it imports pyspark).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pyspark.sql.types import (
    BooleanType,
    ByteType,
    DataType,
    DateType,
    DecimalType,
    DoubleType,
    FloatType,
    IntegerType,
    LongType,
    ShortType,
    StringType,
    StructField,
    StructType,
    TimestampNTZType,
    TimestampType,
)

from ..sql import literal

# DuckDB's types of Parquet columns and the Spark types Spark infers for the same columns.
_PARQUET_TYPES: dict[str, DataType] = {
    "VARCHAR": StringType(), "BOOLEAN": BooleanType(), "TINYINT": ByteType(),
    "SMALLINT": ShortType(), "INTEGER": IntegerType(), "BIGINT": LongType(),
    "FLOAT": FloatType(), "DOUBLE": DoubleType(), "DATE": DateType(),
    "TIMESTAMP WITH TIME ZONE": TimestampType()}
_DECIMAL = re.compile(r"DECIMAL\((\d+),(\d+)\)")


def parquet_schema(duck: Any, path: Path, types: dict[str, str], ntz: bool
                   ) -> StructType | None:
    """The schema Spark would infer for the flat Parquet file ``path`` (DuckDB's ``types``
    of its columns, open in ``duck``), so that Spark reads it without its footer job (about
    1 s on a fresh session); None where unsure (nested, unsigned, nanosecond columns...):
    then Spark infers it. ``ntz``: Spark's ``spark.sql.parquet.inferTimestampNTZ.enabled``
    (local timestamps, not adjusted to UTC, read as TIMESTAMP_NTZ)."""
    leaves = duck.execute(f"SELECT name, logical_type FROM parquet_schema("
                          f"{literal(str(path))}) WHERE num_children IS NULL").fetchall()
    if [name for name, _ in leaves] != list(types):
        return None  # nested columns: their leaves are no top-level columns
    found = []
    for (name, logical), kind in zip(leaves, types.values(), strict=True):
        spark_type = _parquet_type(kind, str(logical or ""), ntz)
        if spark_type is None:
            return None
        found.append(StructField(name, spark_type, nullable=True))
    return StructType(found)


def _parquet_type(kind: str, logical: str, ntz: bool) -> DataType | None:
    """The Spark type of one Parquet column read by DuckDB as ``kind`` (None: unsure)."""
    decimal = _DECIMAL.fullmatch(kind)
    if decimal:
        return DecimalType(int(decimal[1]), int(decimal[2]))
    if kind == "TIMESTAMP":
        if "NANOS=NanoSeconds" in logical:
            return None  # Spark refuses or reads them by settings; leave it to Spark
        # Spark's rule: a timestamp not adjusted to UTC is local (NTZ) when so configured; an
        # INT96 or a bare converted type (older writers) is an instant.
        local = "isAdjustedToUTC=0" in logical or "isAdjustedToUTC=false" in logical
        return TimestampNTZType() if local and ntz else TimestampType()
    return _PARQUET_TYPES.get(kind)
