"""summary.json follows docs/summary.schema.json, for every kind of run; a broken one is refused.

Besides these runs, tests/conftest.py checks every summary.json any test writes under its
tmp_path against the same schema.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pandas as pd
import pytest

from custseg.cli import main
from custseg.datasets import sample_path

from .conftest import SUMMARY_SCHEMA, summary_errors, summary_validator

RUNS = ["sample_auto_k", "fixed_k_no_stability", "generated_history", "aligned"]


def _segment(*args: object) -> None:
    code = main(["segment", *(str(a) for a in args), "-q"])
    assert code == 0, f"custseg segment {' '.join(map(str, args))} exited {code}"


@pytest.fixture(scope="module")
def summaries(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """One run of each kind, through the command line (the summary users get)."""
    root = tmp_path_factory.mktemp("schema_runs")
    _segment("--out", root / "sample_auto_k")
    _segment("--k", 4, "--stability-runs", 0, "--out", root / "fixed_k_no_stability")
    history = root / "history.csv"
    assert main(["generate", "--customers", "300", "--out", str(history)]) == 0
    _segment(history, "--transactions", "--k-max", 6, "--stability-runs", 10,
             "--out", root / "generated_history")
    # Customers under 50 against the whole sample: matched, new and vanished segments.
    younger = root / "younger.csv"
    pd.read_csv(sample_path()).query("Age < 50").to_csv(younger, index=False)
    _segment(younger, "--align-to", root / "sample_auto_k" / "model.json",
             "--stability-runs", 0, "--out", root / "aligned")
    return {run: json.loads((root / run / "summary.json").read_text(encoding="utf-8"))
            for run in RUNS}


def test_the_schema_is_a_strict_draft_2020_12_schema():
    schema = json.loads(SUMMARY_SCHEMA.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    summary_validator()  # check_schema raises on an invalid schema
    assert schema["additionalProperties"] is False
    assert schema["$defs"]["segment"]["additionalProperties"] is False
    assert {"k", "segments", "n_customers", "silhouette", "features", "k_selection",
            "data_quality", "structure", "stability", "kpis"} <= set(schema["required"])


@pytest.mark.parametrize("run", RUNS)
def test_summary_of_each_kind_of_run_matches_the_schema(summaries, run):
    summary = summaries[run]
    assert summary_errors(summary) == []
    # The run is the kind it claims to be, so the optional parts were really checked.
    has = {key for key in ("transactions", "rfm", "products", "alignment") if key in summary}
    if run == "sample_auto_k":
        assert has == set() and summary["k_selection"]["scores"]
        assert summary["stability"]["runs"] > 0
        assert all(isinstance(s["stability"], float) for s in summary["segments"])
    elif run == "fixed_k_no_stability":
        assert has == set() and summary["k"] == 4 and summary["k_selection"]["scores"] == []
        assert summary["stability"] == {"runs": 0, "method": summary["stability"]["method"]}
        assert {s["stability"] for s in summary["segments"]} == {None}
    elif run == "generated_history":
        assert has == {"transactions", "rfm", "products"}
        assert summary["products"]["top_by_segment"] and summary["kpis"][0]["revenue"] > 0
    else:
        assert has == {"alignment"}
        alignment = summary["alignment"]
        assert alignment["matched"] and alignment["new"] and alignment["vanished"]


def _without(summary: dict[str, Any], *path: str | int) -> dict[str, Any]:
    broken = copy.deepcopy(summary)
    target = broken
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return broken


def _with(summary: dict[str, Any], value: Any, *path: str | int) -> dict[str, Any]:
    broken = copy.deepcopy(summary)
    target = broken
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return broken


def test_a_broken_summary_is_refused(summaries):
    good = summaries["generated_history"]
    renamed = _without(good, "n_customers")
    renamed["customers"] = good["n_customers"]
    broken = {  # what each break looks like -> the path the error must name
        "k removed": (_without(good, "k"), "(top level)"),
        "n_customers renamed": (renamed, "(top level)"),
        "segment name removed": (_without(good, "segments", 0, "name"), "segments/0"),
        "rows_used removed": (_without(good, "data_quality", "rows_used"), "data_quality"),
        "alignment without new": (_without(summaries["aligned"], "alignment", "new"),
                                  "alignment"),
        "k as text": (_with(good, "5", "k"), "k"),
        "k not whole": (_with(good, 4.5, "k"), "k"),
        "silhouette as text": (_with(good, "0.4", "silhouette"), "silhouette"),
        "size not whole": (_with(good, 10.5, "segments", 1, "size"), "segments/1/size"),
        "share above 1": (_with(good, 1.5, "segments", 0, "share"), "segments/0/share"),
        "stability as a word": (_with(good, "high", "segments", 0, "stability"),
                                "segments/0/stability"),
        "id_column null": (_with(good, None, "id_column"), "id_column"),
        "unknown stability label": (_with(good, "solid", "segments", 0, "stability_label"),
                                    "segments/0/stability_label"),
        "extra key in a segment": (_with(good, "red", "segments", 0, "colour"), "segments/0"),
        "extra top-level key": (_with(good, 1, "n_segments"), "(top level)"),
        "revenue as text": (_with(good, "12.5", "kpis", 0, "revenue"), "kpis/0/revenue"),
        "as_of not a date": (_with(good, "June", "transactions", "as_of"),
                             "transactions/as_of"),
    }
    for what, (summary, where) in broken.items():
        errors = summary_errors(summary)
        assert errors, f"{what}: accepted"
        assert any(line.startswith(f"{where}: ") for line in errors), f"{what}: {errors}"

