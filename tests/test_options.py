"""SegmentOptions is validated once and read-only; a result is built once and never changed."""

from __future__ import annotations

import dataclasses
import json

import pytest

import custseg
from custseg.errors import ConfigError, ModelFileError


@pytest.mark.parametrize(("choices", "message"), [
    ({"k": 1}, "The 'k' parameter must be an int in [2, 50] or 'auto'. Got 1 instead."),
    ({"missing": "guess"}, "'missing' parameter must be one of 'impute', 'drop', 'error'"),
    ({"engine": "gpu"}, "'engine' parameter must be 'local' or 'spark'"),
    ({"spark_master": "local[2]"}, "spark_master and spark_conf need engine='spark'"),
    ({"customer_col": "cust", "as_of": "2024-01-01"},
     "customer_col, as_of: apply only to purchase histories; pass transactions=True"),
    ({"roles": {"Age": "wealth"}}, "unknown role 'wealth' for column 'Age'"),
    ({"delimiter": "::"}, "delimiter"),
])
def test_bad_options_fail_before_any_file_is_read(choices, message, tmp_path):
    missing_file = tmp_path / "never-read.csv"  # does not exist: validation comes first
    with pytest.raises(ConfigError) as caught:
        custseg.segment(missing_file, **choices)
    assert message in str(caught.value)


def test_options_are_read_only_and_one_object_serves_the_api():
    options = custseg.SegmentOptions(k=3, features=["Annual Income (k$)",
                                                    "Spending Score (1-100)"],
                                     roles={"Annual Income (k$)": "capacity"},
                                     stability_runs=0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.k = 4  # type: ignore[misc]
    with pytest.raises(TypeError):
        options.roles["Age"] = "age"  # type: ignore[index]
    assert options.features == ("Annual Income (k$)", "Spending Score (1-100)")
    by_object = custseg.segment(options=options)
    by_keywords = custseg.segment(k=3, features=["Annual Income (k$)", "Spending Score (1-100)"],
                                  roles={"Annual Income (k$)": "capacity"}, stability_runs=0)
    assert by_object.summary["segments"] == by_keywords.summary["segments"]
    with pytest.raises(ConfigError, match="not both"):
        custseg.segment(options=options, k=4)


def test_a_result_is_frozen_and_renaming_returns_a_new_one(tmp_path):
    result = custseg.segment(k=3, stability_runs=0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.model = None  # type: ignore[misc]
    before = json.dumps(result.summary)
    renamed = result.renamed({0: "Core shoppers"})
    assert json.dumps(result.summary) == before  # the original is untouched
    assert result.model.segment_names_[0] != "Core shoppers"
    assert renamed.summary["segments"][0]["name"] == "Core shoppers"
    assert renamed.model.segment_names_[0] == "Core shoppers"
    assert set(renamed.assignments.loc[renamed.assignments["segment"] == 0,
                                       "segment_name"]) == {"Core shoppers"}
    renamed.save(tmp_path / "out")
    model = custseg.load_model(tmp_path / "out" / "model.json")
    assert model.segment_names_[0] == "Core shoppers"
    assert json.loads((tmp_path / "out" / "model.json").read_text())["training"]["k"] == 3


def test_a_history_result_holds_no_live_connection(tmp_path):
    from custseg.datasets.synthetic_history import purchase_history

    lines, _ = purchase_history(300, seed=2)
    result = custseg.segment(lines, transactions=True, k=3, stability_runs=0)
    assert result.history is not None and "affinity.csv" in result.tables
    import copy
    import pickle

    copy.deepcopy(result)  # the app caches and copies results: nothing unpicklable inside
    pickle.dumps(result.renamed({1: "Renamed"}))


@pytest.mark.parametrize("seed", ["x", [1], -1, True])
def test_a_model_file_with_a_bad_seed_is_refused(seed, tmp_path):
    payload = custseg.segment(k=3, stability_runs=0).model_dict()
    payload["training"]["seed"] = seed
    path = tmp_path / "model.json"
    path.write_text(json.dumps(payload))
    with pytest.raises(ModelFileError, match="training.seed"):
        custseg.load_model(path)
