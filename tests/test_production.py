"""Production use: safe model files, streaming batch scoring, optional extras that fail kindly."""

from __future__ import annotations

import importlib
import io
import json
import pickle
import sys

import pandas as pd
import pytest

import custseg
from custseg import ModelFileError, load_model
from custseg.datasets import sample_path
from custseg.score import score_file

from .test_history import GROCERIES


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    custseg.segment().save(out)
    return out


class _Exploit:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_model_crafted_to_execute_code_cannot(tmp_path):
    """Every field load_model reads, carrying a payload a careless loader would run or import.

    The payloads point at a real module on sys.path that leaves a marker file when imported, so
    executing, unpickling or resolving any of them (importlib, pydoc.locate, eval, pickle) is
    seen. Each must be refused as a ModelFileError naming the field, and the marker never made.
    """
    import base64
    import copy
    import re

    marker = tmp_path / "pwned"
    evil = "custseg_evil_payload"
    (tmp_path / f"{evil}.py").write_text(
        f"import pathlib\npathlib.Path({str(marker)!r}).write_text('imported')\n"
        "def boom(*args, **kwargs):\n    return 'boom'\n"
        "class Model:\n    pass\n")
    # A text pickle that imports the module and calls boom(): valid UTF-8, not JSON.
    text_pickle = f"c{evil}\nboom\n(tR.".encode()
    obj = {"py/object": f"{evil}.Model"}  # jsonpickle's way of naming a class
    reduce = {"py/reduce": [{"py/function": f"{evil}.boom"}, {"py/tuple": []}]}

    base = {"format": "custseg.model", "version": 1, "id_column": None,
            "features": [{"name": "x", "kind": "numeric", "transform": "none", "center": 0.0,
                          "scale": 1.0, "fill": None},
                         {"name": "c", "kind": "categorical", "categories": ["a", "b"],
                          "fill": None, "weight": 1.0}],
            "centroids": [[-1.0, 1.0, 0.0], [1.0, 0.0, 1.0]],
            "segments": [{"id": 0, "name": "low", "size": 1},
                         {"id": 1, "name": "high", "size": 1}],
            "training": {"k": 2, "seed": 0}, "input": {"kind": "table", "columns": {}}}

    def crafted(path: tuple, value: object) -> dict:
        payload = copy.deepcopy(base)
        *parents, last = path
        target = payload
        for key in parents:
            target = target[key]
        target[last] = value
        return payload

    cases = [  # (where, value, the field the error must name)
        (("format",), f"{evil}.Model", r"'format'"),
        (("version",), reduce, r"'version'"),
        (("features", 0, "kind"), obj, r"'features\[0\]\.kind'"),
        (("features", 0, "kind"), f"{evil}.Model", r"'features\[0\]\.kind'"),
        (("features", 0, "transform"), f"{evil}.boom", r"'features\[0\]\.transform'"),
        (("features", 0, "transform"), "expm1", r"'features\[0\]\.transform'"),  # numpy name
        (("features", 0, "transform"), f"__import__('{evil}')", r"'features\[0\]\.transform'"),
        (("features", 0, "transform"), reduce, r"'features\[0\]\.transform'"),
        (("features", 0, "center"), base64.b64encode(text_pickle).decode(),
         r"'features\[0\]\.center'"),
        (("features", 0, "scale"), reduce, r"'features\[0\]\.scale'"),
        (("features", 0, "fill"), f"{evil}.boom", r"'features\[0\]\.fill'"),
        (("features", 1, "categories"), ["a", obj], r"'features\[1\]\.categories'"),
        (("features", 1, "fill"), obj, r"'features\[1\]\.fill'"),
        (("features", 1, "weight"), f"{evil}.boom", r"'features\[1\]\.weight'"),
        (("features", 1, "kind"), "builtins.eval", r"'features\[1\]\.kind'"),
        (("centroids", 0), [f"{evil}.boom", 1.0, 0.0], r"'centroids\[0\]'"),
        (("segments", 0, "name"), obj, r"'segments\[0\]\.name'"),
        (("segments", 1, "size"), f"__import__('{evil}')", r"'segments\[1\]\.size'"),
        (("training",), f"{evil}.Model", r"'training'"),
        (("training", "k"), reduce, r"'training\.k'"),
        (("id_column",), obj, r"'id_column'"),
        (("input", "kind"), f"{evil}.Model", r"'input\.kind'"),
        (("input", "columns"), {"customer": obj}, r"'input\.columns'"),
    ]
    model_file = tmp_path / "model.json"
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(tmp_path))
        try:
            # The payloads are live: unpickling the blob does import the module.
            pickle.loads(text_pickle)
            assert marker.read_text() == "imported"
            marker.unlink()
            sys.modules.pop(evil)

            model_file.write_text(json.dumps(base))  # the untouched base loads
            assert load_model(model_file).segment_names_ == ["low", "high"]

            # Not JSON at all: a binary pickle, a text pickle, a YAML python tag.
            for blob in (pickle.dumps(_Exploit(str(marker))), text_pickle,
                         f"!!python/object/apply:{evil}.boom []".encode()):
                model_file.write_bytes(blob)
                with pytest.raises(ModelFileError, match="is not (UTF-8 JSON|valid JSON)"):
                    load_model(model_file)
            model_file.write_text(json.dumps(obj))  # a JSON object that is only a class name
            with pytest.raises(ModelFileError, match="'format'"):
                load_model(model_file)
            for where, value, field in cases:
                model_file.write_text(json.dumps(crafted(where, value)))
                try:
                    load_model(model_file)
                except ModelFileError as exc:
                    assert re.search(field, str(exc)), f"{where}: error names another field: {exc}"
                else:
                    pytest.fail(f"{where} = {value!r} was accepted")
                assert not marker.exists(), f"{where} = {value!r} ran code"

            # Fields the loader keeps but never interprets stay inert text.
            inert = crafted(("training", "estimator"), f"{evil}.Model")
            inert["segments"][0]["profile"] = obj
            model_file.write_text(json.dumps(inert))
            model = load_model(model_file)
            assert model.training_["estimator"] == f"{evil}.Model"
            assert model.segments_[0]["profile"] == obj
        finally:
            sys.modules.pop(evil, None)
    assert not marker.exists()
    assert evil not in sys.modules


def test_chunked_scoring_equals_scoring_at_once(trained, tmp_path):
    model = load_model(trained / "model.json")
    whole, chunked = io.StringIO(), io.StringIO()
    assert score_file(model, sample_path(), stdout=whole, chunk_rows=1_000_000) == 200
    assert score_file(model, sample_path(), stdout=chunked, chunk_rows=7) == 200
    assert whole.getvalue() == chunked.getvalue()
    expected = pd.read_csv(trained / "segments.csv")
    got = pd.read_csv(io.StringIO(whole.getvalue()))
    pd.testing.assert_frame_equal(got, expected[got.columns])


@pytest.mark.parametrize("source_suffix", ["parquet", "jsonl", "tsv"])
def test_streaming_formats_and_parquet_output(trained, tmp_path, source_suffix, mall):
    source = tmp_path / f"in.{source_suffix}"
    {"parquet": lambda: mall.to_parquet(source),
     "jsonl": lambda: mall.to_json(source, orient="records", lines=True),
     "tsv": lambda: mall.to_csv(source, sep="\t", index=False)}[source_suffix]()
    model = load_model(trained / "model.json")
    assert score_file(model, source, tmp_path / "out.parquet", chunk_rows=33) == 200
    got = pd.read_parquet(tmp_path / "out.parquet")
    expected = pd.read_csv(trained / "segments.csv")
    assert got["segment"].tolist() == expected["segment"].tolist()


def test_bad_value_in_a_later_chunk_names_the_true_line(cli, trained, tmp_path, mall):
    bad = mall.astype({"Age": object})
    bad.loc[150, "Age"] = "unknown"
    bad.to_csv(tmp_path / "bad.csv", index=False)
    result = cli("score", "--model", trained / "model.json", tmp_path / "bad.csv",
                 "--chunk-rows", "40", "--out", tmp_path / "s.csv")
    assert result.code == 2
    assert "column 'Age' is numeric but line 152 has 'unknown'" in result.err
    assert not (tmp_path / "s.csv").exists()


def test_history_model_scores_a_history_and_reproduces_training(cli, tmp_path):
    out = tmp_path / "run"
    assert cli("segment", GROCERIES, "--transactions", "--out", out, "-q").code == 0
    assert json.loads((out / "model.json").read_text())["input"]["kind"] == "transactions"
    result = cli("score", "--model", out / "model.json", GROCERIES, "--out", tmp_path / "s.csv")
    assert result.code == 0, result.err
    scored = pd.read_csv(tmp_path / "s.csv")
    expected = pd.read_csv(out / "segments.csv")
    pd.testing.assert_frame_equal(scored, expected[scored.columns])
    earlier = cli("score", "--model", out / "model.json", GROCERIES, "--as-of", "2015-01-01",
                  "--out", tmp_path / "e.csv")
    assert earlier.code == 0
    assert len(pd.read_csv(tmp_path / "e.csv")) < len(scored)


def test_as_of_with_a_table_model_is_refused(cli, trained):
    result = cli("score", "--model", trained / "model.json", sample_path(), "--as-of",
                 "2024-01-01")
    assert result.code == 2 and "--as-of applies only to models trained" in result.err


def test_serve_without_extra_names_it(cli, trained, monkeypatch):
    monkeypatch.setitem(sys.modules, "fastapi", None)
    monkeypatch.delitem(sys.modules, "custseg.serve", raising=False)
    with pytest.raises(custseg.MissingExtraError, match=r"pip install 'custseg\[serve\]'"):
        importlib.import_module("custseg.serve")
    result = cli("serve", "--model", trained / "model.json")
    assert result.code == 2
    assert "custseg serve needs the optional 'serve' extra" in result.err


def _defective(trained, tmp_path, kind: str):
    text = (trained / "model.json").read_text()
    path = tmp_path / f"{kind}.json"
    if kind == "corrupted":
        path.write_bytes(text.encode()[:200] + b"\x00\xff garbage" + text.encode()[220:])
    elif kind == "truncated":
        path.write_text(text[: len(text) * 2 // 3])
    elif kind == "wrong-version":
        path.write_text(text.replace('"version": 1', '"version": 7', 1))
    else:
        path.write_bytes(pickle.dumps(_Exploit(str(tmp_path / "pwned"))))
    return path


@pytest.mark.parametrize(("kind", "reason"), [
    ("corrupted", "is not (UTF-8 JSON|valid JSON)"), ("truncated", "it may be truncated"),
    ("wrong-version", "has version 7 but this custseg reads version 1"),
    ("malicious", "is not (UTF-8 JSON|valid JSON)")])
def test_defective_model_files_everywhere(cli, trained, tmp_path, kind, reason):
    import re

    path = _defective(trained, tmp_path, kind)
    with pytest.raises(ModelFileError, match=reason):
        load_model(path)
    for command in (["score", "--model", path, sample_path()], ["serve", "--model", path]):
        result = cli(*command)
        assert result.code == 2
        assert result.err.count("\n") == 1 and re.search(reason, result.err), result.err
    assert not (tmp_path / "pwned").exists()


def test_unexpected_failure_is_a_500_in_the_same_shape(trained, monkeypatch):
    from fastapi.testclient import TestClient

    from custseg.serve import create_app

    model = load_model(trained / "model.json")
    client = TestClient(create_app(model), raise_server_exceptions=False)

    def broken(frame):
        raise RuntimeError("boom")

    monkeypatch.setattr(model, "assign_frame", broken)
    customer = custseg.load_sample().head(1).to_dict("records")
    response = client.post("/v1/score", json={"customers": customer})
    assert response.status_code == 500
    assert response.json() == {"ok": False, "status": 500,
                               "error": "internal error (RuntimeError); the service keeps running"}
    assert client.get("/healthz").json()["ok"] is True
