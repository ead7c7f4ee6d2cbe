"""The command line reads a customer table on a thread while it imports the modelling code
(``early_read``): the same result as reading in turn, and errors in the same order as before."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from custseg.cli import main
from custseg.dialect import ReadOptions
from custseg.early_read import EarlyRead
from custseg.errors import DataError
from custseg.options import SegmentOptions
from custseg.pipeline import run

TABLE = "CustomerID,Age,Score\n" + "".join(
    f"{i:05d},{20 + i % 50},{(i * 37) % 100}\n" for i in range(1, 301))


def test_a_run_from_an_early_read_equals_a_run_from_the_path(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(TABLE, encoding="utf-8")
    options = SegmentOptions(k=3, stability_runs=5)
    early = run(EarlyRead(path, options.read_options(), None), options)
    plain = run(path, options)
    assert early.assignments.equals(plain.assignments)
    assert early.assignments["CustomerID"].iloc[0] == "00001"  # ids exactly as read
    assert early.summary["segments"] == plain.summary["segments"]


def test_a_read_error_surfaces_when_the_table_is_asked_for(tmp_path):
    early = EarlyRead(tmp_path / "nope.csv", ReadOptions(), None)
    with pytest.raises(DataError, match="not found; check the path"):
        early.table(ReadOptions(), None)


def test_the_table_must_be_asked_for_with_the_options_it_was_read_with(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(TABLE, encoding="utf-8")
    early = EarlyRead(path, ReadOptions(), None)
    with pytest.raises(ValueError, match="other read options"):
        early.table(ReadOptions(delimiter=";"), None)
    with pytest.raises(ValueError, match="other read options"):
        early.table(ReadOptions(), "Age")


def test_a_bad_option_still_wins_over_a_bad_file_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["segment", str(tmp_path / "nope.csv"), "--k", "1", "--out", str(out)])
    assert code == 2
    assert "The 'k' parameter must be" in capsys.readouterr().err
    assert not out.exists()


def test_the_command_line_writes_what_the_api_computes(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(TABLE, encoding="utf-8")
    assert main(["segment", str(path), "--k", "3", "--stability-runs", "5", "--out",
                 str(tmp_path / "out"), "--quiet"]) == 0
    api = run(path, SegmentOptions(k=3, stability_runs=5))
    written = json.loads(Path(tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert written["segments"] == api.summary["segments"]
