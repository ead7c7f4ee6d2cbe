"""The model file round trip, its validation, and scoring new customers."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import custseg
from custseg import ModelFileError, load_model
from custseg.datasets import sample_path

from .conftest import INCOME_SPENDING


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    custseg.segment().save(out)
    return out


def test_round_trip_scores_training_file_exactly(trained):
    model = load_model(trained / "model.json")
    scored = custseg.score_frame(model, pd.read_csv(sample_path()))
    expected = pd.read_csv(trained / "segments.csv")
    pd.testing.assert_frame_equal(scored, expected[scored.columns], check_dtype=False)


def test_cli_score_writes_file_and_stdout(cli, trained, tmp_path):
    result = cli("score", "--model", trained / "model.json", sample_path(),
                 "--out", tmp_path / "scored.csv")
    assert result.code == 0, result.err
    scored = pd.read_csv(tmp_path / "scored.csv")
    expected = pd.read_csv(trained / "segments.csv")
    assert scored["segment"].tolist() == expected["segment"].tolist()
    to_stdout = cli("score", "--model", trained / "model.json", sample_path())
    assert to_stdout.out.splitlines()[0] == "CustomerID,segment,segment_name,distance"


def test_unknown_category_level_warns(cli, trained, tmp_path, mall):
    new = mall.head(5).copy()
    new["Gender"] = ["Female", "Male", "Other", "Other", "Female"]
    new.to_csv(tmp_path / "new.csv", index=False)
    result = cli("score", "--model", trained / "model.json", tmp_path / "new.csv",
                 "--out", tmp_path / "s.csv")
    assert result.code == 0
    assert "column 'Gender' has level(s) unseen in training (Other)" in result.err
    assert len(pd.read_csv(tmp_path / "s.csv")) == 5


def test_missing_feature_columns_are_named(cli, trained, tmp_path, mall):
    mall.drop(columns=["Age", "Gender"]).to_csv(tmp_path / "new.csv", index=False)
    result = cli("score", "--model", trained / "model.json", tmp_path / "new.csv",
                 "--out", tmp_path / "s.csv")
    assert result.code == 2
    assert "input lacks the model's feature column(s) 'Age', 'Gender'" in result.err
    assert not (tmp_path / "s.csv").exists()


@pytest.mark.parametrize(("mutate", "pattern"), [
    (lambda m: m.update(format="pickle"), r"field 'format' must be 'custseg.model'"),
    (lambda m: m.update(version=99), r"has version 99 but this custseg reads version 1"),
    (lambda m: m["centroids"].pop(), r"field 'centroids' must be a list of k=\d+ centroids"),
    (lambda m: m["centroids"][0].append(1.0), r"field 'centroids\[0\]' must be a list of"),
    (lambda m: m["features"][0].update(scale=0), r"field 'features\[0\].scale' must be a number"),
    (lambda m: m["features"][0].update(kind="exec"), r"field 'features\[0\].kind' must be"),
    (lambda m: m["training"].update(k="5"), r"field 'training.k' must be an int"),
])
def test_defective_model_files(trained, tmp_path, mutate, pattern):
    model = json.loads((trained / "model.json").read_text())
    mutate(model)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(model))
    with pytest.raises(ModelFileError, match=pattern):
        load_model(path)


def test_truncated_and_non_json_model_files(trained, tmp_path):
    text = (trained / "model.json").read_text()
    (tmp_path / "cut.json").write_text(text[: len(text) // 2])
    with pytest.raises(ModelFileError, match="is not valid JSON .* it may be truncated"):
        load_model(tmp_path / "cut.json")
    (tmp_path / "nan.json").write_text(text.replace('"center": 60.56', '"center": NaN', 1))
    with pytest.raises(ModelFileError, match="non-JSON number NaN"):
        load_model(tmp_path / "nan.json")


def test_cli_bad_model_is_exit_2(cli, tmp_path):
    (tmp_path / "m.json").write_text("{}")
    result = cli("score", "--model", tmp_path / "m.json", sample_path())
    assert result.code == 2
    assert "field 'format' must be 'custseg.model'" in result.err


def test_choose_k_table_and_json(cli):
    table = cli("choose-k", "--features", INCOME_SPENDING)
    assert table.code == 0
    assert "5 *" in table.out and "Recommended k=5: k=5 has the highest silhouette" in table.out
    as_json = cli("choose-k", "--features", INCOME_SPENDING, "--json")
    selection = json.loads(as_json.out)
    assert selection["recommended"] == 5
    assert len(selection["scores"]) == 9
