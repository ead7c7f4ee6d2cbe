"""The Spark engine, for real: a local Spark session (Java 17 is installed by make test)."""

from __future__ import annotations

import importlib
import sys
import tempfile

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

import custseg
from custseg.datasets.synthetic_history import purchase_history

pytestmark = pytest.mark.e2e
MASTER = "local[2]"


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    folder = tmp_path_factory.mktemp("spark")
    lines, _ = purchase_history(4000, seed=5)
    custseg.io.write_table(folder / "history.csv", lines)
    custseg.io.write_table(folder / "history.parquet", lines)
    return folder


@pytest.fixture(scope="module")
def runs(history):
    spark = custseg.segment(history / "history.parquet", transactions=True, engine="spark",
                            spark_master=MASTER)
    local = custseg.segment(history / "history.parquet", transactions=True)
    return spark, local


def test_spark_features_equal_duckdb_features(runs):
    spark, local = runs
    a = spark.features_table.set_index("CustomerID")
    b = local.features_table.set_index("CustomerID")
    assert a.index.equals(b.index) and list(a.columns) == list(b.columns)
    np.testing.assert_allclose(a.to_numpy(float), b.to_numpy(float), rtol=1e-9, atol=1e-9)
    drop = ("returns_netting", "duplicates_policy", "engine")
    qa = {k: v for k, v in spark.summary["transactions"]["quality"].items() if k not in drop}
    qb = {k: v for k, v in local.summary["transactions"]["quality"].items() if k not in drop}
    assert qa == qb


def test_spark_segments_agree_with_the_local_engine(runs):
    spark, local = runs
    assert spark.summary["k"] == local.summary["k"]
    merged = spark.assignments.merge(local.assignments, on="CustomerID")
    assert adjusted_rand_score(merged["segment_x"], merged["segment_y"]) >= 0.99
    np.testing.assert_allclose(spark.model_dict()["centroids"], local.model_dict()["centroids"],
                               rtol=0, atol=1e-9)
    engine = spark.summary["engine"]
    assert engine["name"] == "spark"
    # 4,000 customers are fewer than the fit sample: the restarts saw every distinct row, so
    # there is nothing to polish (as in the local engine) and Spark makes no Lloyd pass.
    assert engine["lloyd_passes"] == 0


@pytest.mark.parametrize("k", ["auto", 4])
def test_spark_lloyd_passes_polish_like_the_local_engine(runs, k, tmp_path):
    """Above the fit sample the restarts run on a sample and the best is polished on every
    customer: by scikit-learn locally, by Lloyd passes in Spark. Same k, same partition, same
    centres, as many passes as scikit-learn's iterations; the rows reach Spark through a
    Parquet file in local mode and through Arrow on a cluster, with the same result."""
    from custseg.engines.spark import SparkEngine, lloyd, lloyd_tolerance
    from custseg.engines.spark_columns import session, weighted_rows
    from custseg.model import SegmentModel

    _, local_run = runs
    params = {**local_run.model.get_params(), "k": k, "fit_sample": 500, "stability_runs": 0}
    X = local_run.data[list(local_run.model.feature_names_in_)]
    local = SegmentModel(**params).fit(X)
    model = SegmentModel(**params)
    engine = SparkEngine(MASTER, {}, 0)
    try:
        prepared = engine.fit(model, X, lambda _label: None)
        details = engine.info(len(X)).details
    finally:
        engine.close()
    assert model.n_clusters_ == local.n_clusters_
    assert adjusted_rand_score(model.labels_, local.labels_) >= 0.99
    np.testing.assert_allclose(model.cluster_centers_, local.cluster_centers_, rtol=0,
                               atol=1e-9)
    np.testing.assert_array_equal(prepared, local.preparer_.transform(X))
    assert details["lloyd_passes"] == engine.passes == model.n_iter_ == local.n_iter_ >= 1

    plan = SegmentModel(**params).plan(X)
    rows = plan.data.everything()
    start = local.cluster_centers_ + 0.05  # any start: both transports give the same passes
    tol = lloyd_tolerance(rows.X, rows.weight)
    spark = session(MASTER)
    sent = weighted_rows(spark, rows.X, rows.weight, None)
    try:
        by_arrow = lloyd(sent, start, 300, tol)
    finally:
        sent.unpersist()
    by_file = lloyd(weighted_rows(spark, rows.X, rows.weight, tmp_path), start, 300, tol)
    np.testing.assert_allclose(by_arrow[0], by_file[0], rtol=0, atol=1e-12)
    assert by_arrow[1] == by_file[1]


def test_spark_reads_a_csv_history_like_the_local_engine(history):
    """Every column of a CSV is text to Spark: numbers, ids and dates are parsed by the local
    engine's rules, and the ids (whole numbers) are grouped as numbers."""
    from custseg.dialect import ReadOptions
    from custseg.engines.spark import SparkEngine
    from custseg.features.transactions import customer_features

    engine = SparkEngine(MASTER, {}, 0)
    try:
        found = engine.history_features(history / "history.csv", {}, None, None,
                                        ReadOptions())
    finally:
        engine.close()
    with customer_features(history / "history.csv") as expected:
        assert found.frame["CustomerID"].dtype == expected.frame["CustomerID"].dtype == "int64"
        assert found.frame.columns.equals(expected.frame.columns)
        np.testing.assert_allclose(found.frame.to_numpy(float), expected.frame.to_numpy(float),
                                   rtol=1e-9)
        drop = ("returns_netting", "duplicates_policy", "engine")
        assert ({k: v for k, v in found.quality.items() if k not in drop}
                == {k: v for k, v in expected.quality.items() if k not in drop})
        assert found.quality["date_order"] == "iso"  # read from text, not native


def test_spark_model_scores_identically_locally_and_in_the_service(runs, tmp_path):
    from fastapi.testclient import TestClient

    from custseg.serve import create_app

    spark, _ = runs
    out = spark.save(tmp_path / "run")
    assert (out / "segments.parquet").is_dir()
    parts = sorted(p.name for p in (out / "segments.parquet").iterdir() if p.is_dir())
    assert parts == [f"segment={i}" for i in range(spark.summary["k"])]
    model = custseg.load_model(out / "model.json")
    features = spark.features_table
    scored = custseg.score_frame(model, features)
    assert scored["segment"].tolist() == spark.assignments["segment"].tolist()
    client = TestClient(create_app(model))
    used = [s.name for s in model.preparer_.specs]
    sample = features[["CustomerID", *used]].head(200)
    answer = client.post("/v1/score", json={"customers": sample.to_dict("records")}).json()
    assert [r["segment"] for r in answer["results"]] == scored["segment"].head(200).tolist()
    assert [r["distance"] for r in answer["results"]] == pytest.approx(
        scored["distance"].head(200).tolist(), abs=1e-6)


def test_cli_spark_engine_segment_and_score(cli, tmp_path, monkeypatch):
    table = custseg.load_sample()
    table.to_parquet(tmp_path / "mall.parquet")
    result = cli("segment", tmp_path / "mall.parquet", "--features",
                 "Annual Income (k$),Spending Score (1-100)", "--engine", "spark",
                 "--spark-master", MASTER, "--spark-conf", "spark.driver.memory=1g",
                 "--out", tmp_path / "o", "-q")
    assert result.code == 0, result.err
    segments = pd.read_csv(tmp_path / "o" / "segments.csv")
    assert segments["segment"].value_counts().sort_index().tolist() == [81, 39, 35, 23, 22]
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    scored = cli("score", "--model", tmp_path / "o" / "model.json", tmp_path / "mall.parquet",
                 "--engine", "spark", "--spark-master", MASTER, "--out", tmp_path / "s.csv")
    assert scored.code == 0, scored.err
    assert pd.read_csv(tmp_path / "s.csv")["segment"].tolist() == segments["segment"].tolist()
    assert not list(temp.glob("custseg-spark-*"))  # score closes the engine
    refused = cli("score", "--model", tmp_path / "o" / "model.json", tmp_path / "mall.parquet",
                  "--engine", "spark", "--delimiter", ";", "--out", tmp_path / "r.csv")
    assert refused.code == 2
    assert "the Spark engine detects a file's dialect itself" in refused.err
    assert "delimiter=';'" in refused.err
    assert not list(temp.glob("custseg-spark-*"))


def test_spark_prepared_vectors_equal_the_preparer(tmp_path):
    """Scoring prepares in Spark (``prepared_vectors``), fitting uses ``Preparer.transform``:
    the two give the same matrix, missing values and unseen levels included."""
    from custseg.engines.spark_columns import prepared_vectors, session, vector_to_array
    from custseg.prep import Preparer

    rng = np.random.default_rng(3)
    train = pd.DataFrame({
        "spend": np.concatenate([rng.lognormal(4, 1.2, 58), [-35.0, 0.0]]),
        "visits": rng.integers(1, 30, 60),
        "region": rng.choice(["north", "south", "east"], 60),
        "channel": rng.choice(["web", "shop"], 60),
    })
    preparer = Preparer.fit(train, ["spend", "visits"], ["region", "channel"], log1p=["spend"],
                            fills={"region": "north"})
    table = train.head(12).astype({"visits": "float64", "region": object}).copy()
    table.loc[1, "spend"] = np.nan
    table.loc[2, "visits"] = np.nan
    table.loc[3, "region"] = None
    table.loc[4, "channel"] = "phone"  # unseen: no known level
    with pytest.warns(UserWarning, match="unseen in training"):
        expected = preparer.transform(table)
    table.assign(_row=np.arange(len(table))).to_parquet(tmp_path / "t.parquet", index=False)
    data = session(MASTER).read.parquet(str(tmp_path / "t.parquet"))
    rows = (prepared_vectors(data, preparer).select("_row", vector_to_array("features")
                                                     .alias("v")).orderBy("_row").collect())
    np.testing.assert_allclose(np.array([r["v"] for r in rows]), expected, rtol=0, atol=1e-9)


def test_spark_engine_refuses_what_it_would_ignore(history):
    from custseg.dialect import ReadOptions
    from custseg.engines.spark import SparkEngine

    engine = SparkEngine(MASTER, {}, 0)
    try:
        with pytest.raises(custseg.DataError, match=r"the Spark engine reads files .*pass a "
                                                    r"path, or use engine='local'"):
            engine.history_features(pd.DataFrame({"a": [1]}), {}, None, None, ReadOptions())
        with pytest.raises(custseg.ConfigError,
                           match=r"takes no read options \(encoding='latin-1', decimal=','"):
            engine.history_features(history / "history.csv", {}, None, None,
                                    ReadOptions(encoding="latin-1", decimal=","))
    finally:
        engine.close()
    assert not engine.work.exists()


def test_spark_options_need_the_spark_engine(cli):
    result = cli("segment", "--spark-master", "local[1]")
    assert result.code == 2 and "--spark-master and --spark-conf need --engine spark" in result.err
    bad = cli("segment", "--engine", "spark", "--spark-conf", "nonsense")
    assert bad.code == 2 and "--spark-conf 'nonsense' is not key=value" in bad.err


def test_spark_without_extra_names_it(cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)  # what engines/spark.py imports
    monkeypatch.delitem(sys.modules, "custseg.engines.spark", raising=False)
    monkeypatch.delattr(custseg.engines, "spark", raising=False)
    with pytest.raises(custseg.MissingExtraError, match=r"pip install 'custseg\[spark\]'"):
        importlib.import_module("custseg.engines.spark")
    result = cli("segment", "--engine", "spark")
    assert result.code == 2 and "--engine spark needs the optional 'spark' extra" in result.err


def test_spark_engine_reports_a_bad_as_of_like_the_local_engine(cli, history, tmp_path):
    for engine in ("local", "spark"):
        extra = ["--spark-master", MASTER] if engine == "spark" else []
        result = cli("segment", history / "history.parquet", "--transactions", "--as-of",
                     "last week", "--engine", engine, *extra, "--out", tmp_path / engine)
        assert result.code == 2, result.err
        assert "--as-of 'last week' is not a date; use YYYY-MM-DD" in result.err


def test_spark_counts_messy_lines_like_the_local_engine(tmp_path):
    """One pass in Spark makes the features and every quality count: lines without a customer
    (empty, a missing token), a customer whose only line has no date, text ids kept as text
    (a leading zero), exact duplicate lines, returns, 'n/a' products and money written as
    text; features and counts equal the local engine's."""
    from custseg.dialect import ReadOptions
    from custseg.engines.spark import SparkEngine
    from custseg.features.transactions import customer_features

    lines = pd.DataFrame({
        "InvoiceNo": ["1", "1", "1", "2", "C3", "4", "5", "6", "7", "8", "9", "9"],
        "StockCode": ["A", "B", "B", "n/a", "A", "C", "A", "B", "C", "A", "D", "D"],
        "Quantity": ["2", "1", "1", "3", "-1", "1", "4", "2", "1", "5", "1", "1"],
        "InvoiceDate": ["2024-01-02", "2024-01-02", "2024-01-02", "2024-02-03", "2024-02-10",
                        "2024-03-01", "", "2024-03-05", "2024-03-06", "2024-03-07",
                        "2024-03-08", "2024-03-08"],
        "UnitPrice": ["1.50", "2.00", "2.00", "3.25", "1.50", "0", "2.00", "1.00", "4.00",
                      "2.50", "1.00", "1.00"],
        "CustomerID": ["007", "007", "007", "007", "007", "12", "99", "", "NA", "12", "8",
                       "8"],
    })
    path = tmp_path / "messy.csv"
    lines.to_csv(path, index=False)
    engine = SparkEngine(MASTER, {}, 0)
    try:
        found = engine.history_features(path, {}, None, None, ReadOptions())
    finally:
        engine.close()
    with customer_features(path) as expected:
        assert list(found.frame["CustomerID"]) == list(expected.frame["CustomerID"]) \
            == ["007", "12", "8"]
        assert found.frame.columns.equals(expected.frame.columns)
        features = [c for c in found.frame.columns if c != "CustomerID"]
        np.testing.assert_allclose(found.frame[features].to_numpy(float),
                                   expected.frame[features].to_numpy(float), rtol=1e-12)
        drop = ("returns_netting", "duplicates_policy", "engine")
        assert ({k: v for k, v in found.quality.items() if k not in drop}
                == {k: v for k, v in expected.quality.items() if k not in drop})
        assert found.quality["lines_without_customer"] == 2
        assert found.quality["exact_duplicate_lines"] == 2


def test_spark_reads_parquet_with_the_schema_it_would_infer(tmp_path):
    """The Spark engine gives Spark the schema of a Parquet file from DuckDB's types (no
    footer job); it is the schema Spark infers, and None (Spark infers it) where unsure."""
    import datetime as dt

    import duckdb
    import pyarrow as pa
    import pyarrow.parquet as pq

    from custseg.engines.spark_columns import session
    from custseg.engines.spark_schema import parquet_schema
    from custseg.sources import open_source

    when = [dt.datetime(2024, 1, 2, 3, 4), None]
    table = pa.table({
        "text": pa.array(["a", None]), "tiny": pa.array([1, 2], pa.int8()),
        "small": pa.array([1, None], pa.int16()), "int": pa.array([1, 2], pa.int32()),
        "big": pa.array([1, 2], pa.int64()), "real": pa.array([1.5, None], pa.float32()),
        "double": pa.array([1.5, 2.0]), "flag": pa.array([True, None]),
        "day": pa.array([dt.date(2024, 1, 2), None]),
        "money": pa.array([None, None], pa.decimal128(12, 2)),
        "local_ms": pa.array(when, pa.timestamp("ms")), "local_us": pa.array(when,
                                                                           pa.timestamp("us")),
        "utc": pa.array(when, pa.timestamp("us", tz="UTC")),
        "odd name`": pa.array([1, 2]),
    })
    spark = session(MASTER)
    for name, data in {"flat": table,
                       "unsigned": table.append_column("u", pa.array([1, 2], pa.uint8())),
                       "nested": table.append_column("s", pa.array([{"x": 1}, None]))}.items():
        path = tmp_path / f"{name}.parquet"
        pq.write_table(data, path)
        with duckdb.connect() as duck:
            types = open_source(duck, path).types
            given = parquet_schema(duck, path, types, ntz=True)
        if name == "flat":
            assert given == spark.read.parquet(str(path)).schema
        else:
            assert given is None


def test_spark_refuses_text_that_is_no_number_like_the_local_engine(tmp_path):
    """DuckDB checks the lines before Spark parses them (``line_checks.prescan``): a price
    that is no number is refused with the local engine's words and line numbers."""
    from custseg.dialect import ReadOptions
    from custseg.engines.spark import SparkEngine
    from custseg.errors import DataError
    from custseg.features.transactions import customer_features

    lines = pd.DataFrame({"InvoiceNo": ["1", "2", "3"], "CustomerID": ["7", "8", "9"],
                          "InvoiceDate": ["2024-01-02"] * 3, "Quantity": ["1", "2", "1"],
                          "UnitPrice": ["1.50", "abc", "2.00"]})
    path = tmp_path / "bad.csv"
    lines.to_csv(path, index=False)
    with pytest.raises(DataError) as local:
        customer_features(path)
    engine = SparkEngine(MASTER, {}, 0)
    try:
        with pytest.raises(DataError) as spark:
            engine.history_features(path, {}, None, None, ReadOptions())
    finally:
        engine.close()
    assert str(spark.value) == str(local.value)
    assert "'abc' (line 3)" in str(spark.value)
