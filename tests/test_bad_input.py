"""Every bad input a new user is likely to try: exit 2, one line with problem and fix, no files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import custseg
from custseg.errors import ConfigError, DataError

GOOD = "CustomerID,Age,Score\n1,20,30\n2,25,35\n3,60,90\n4,62,95\n5,40,50\n"


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


CASES = [
    # (id, file name, content, extra args, message pattern)
    ("missing-file", None, None, [], r"file '.*nope\.csv' not found; check the path"),
    ("empty-file", "empty.csv", "", [], r"is empty; export the table again"),
    ("header-only", "header.csv", "CustomerID,Age,Score\n", [], r"has a header but no rows"),
    ("unknown-feature", "t.csv", GOOD, ["--features", "Age,Income"],
     r"column 'Income' given in --features not found; columns are: 'CustomerID', 'Age', 'Score'"),
    ("unknown-id-col", "t.csv", GOOD, ["--id-col", "Member"],
     r"column 'Member' given in --id-col not found; columns are: 'CustomerID'"),
    ("non-numeric", "t.csv", GOOD.replace("3,60,90", "3,sixty,90"), [],
     r"column 'Age' is numeric but line 4 has 'sixty'.*fix or empty those cells"),
    ("infinite", "t.csv", GOOD.replace("3,60,90", "3,inf,90"), [],
     r"column 'Age' has infinite values \(lines 4\); replace them"),
    ("all-missing", "t.csv", "CustomerID,Age,Score\n1,,30\n2,,35\n3,,90\n", [],
     r"column 'Age' has no values at all; fill it in or leave it out of --features"),
    ("duplicate-ids", "t.csv", GOOD + "2,30,40\n3,31,41\n", [],
     r"id column 'CustomerID' has duplicate ids \(2 ids repeat, e\.g\. 2, 3\); each customer"),
    ("fewer-than-k", "t.csv", "CustomerID,Age,Score\n1,20,30\n2,25,35\n3,60,90\n", ["--k", "5"],
     r"k=5 needs at least 5 customers but there are only 3.*lower --k"),
    ("k-below-2", "t.csv", GOOD, ["--k", "1"],
     r"The 'k' parameter must be an int in \[2, 50\] or 'auto'\. Got 1 instead\."),
    ("k-not-a-number", "t.csv", GOOD, ["--k", "five"],
     r"The 'k' parameter must be an int in \[2, 50\] or 'auto'\. Got 'five' instead\."),
    ("k-above-distinct", "t.csv",
     "CustomerID,Age,Score\n1,20,30\n2,20,30\n3,60,90\n4,60,90\n5,40,50\n", ["--k", "4"],
     r"k=4 is more than the 3 distinct customers.*use --k 3 or fewer"),
    ("unsupported-type", "t.txt", GOOD, [],
     r"unsupported file type '\.txt'.*save it as CSV \(\.csv\), TSV"),
    ("not-utf8", "latin.csv", "CustomerID,Ville,Age\n1,Orléans,20\n2,Zürich,30\n".encode("latin-1"),
     [], r"is not valid UTF-8 text .*--encoding latin-1"),
    ("missing-policy-error", "t.csv", GOOD.replace("3,60,90", "3,,90"), ["--missing", "error"],
     r"1 row\(s\) have missing values \(first at line 4, columns Age\); fill them in"),
    ("bad-missing-policy", "t.csv", GOOD, ["--missing", "guess"],
     r"The 'missing' parameter must be one of 'impute', 'drop', 'error'\. Got 'guess'"),
]


@pytest.mark.parametrize(("name", "content", "args", "pattern"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_one_line_exit_2_no_files(cli, tmp_path, name, content, args, pattern):
    source = tmp_path / "nope.csv" if name is None else _write(tmp_path, name, content)
    out = tmp_path / "out"
    result = cli("segment", source, "--out", out, *args)
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("custseg: error: ")
    assert pytest.importorskip("re").search(pattern, lines[0]), lines[0]
    assert "Traceback" not in result.err
    assert not out.exists()


def test_library_raises_domain_errors_with_the_same_messages(tmp_path):
    bad = _write(tmp_path, "t.csv", GOOD.replace("3,60,90", "3,sixty,90"))
    with pytest.raises(DataError, match=r"column 'Age' is numeric but line 4 has 'sixty'"):
        custseg.segment(bad)
    with pytest.raises(ConfigError, match=r"The 'k' parameter must be an int"):
        custseg.segment(bad, k=0)


def test_encoding_option_reads_latin1(cli, tmp_path):
    rows = "".join(f"{i},{city},{20 + i},{i * 7 % 50}\n" for i, city in
                   enumerate(["Orléans", "Zürich", "Köln", "Málaga"] * 5, start=1))
    content = ("CustomerID,Ville,Age,Score\n" + rows).encode("latin-1")
    source = _write(tmp_path, "latin.csv", content)
    result = cli("segment", source, "--encoding", "latin-1", "--k", "3", "--out", tmp_path / "o",
                 "--quiet")
    assert result.code == 0, result.err
    segments = pd.read_csv(tmp_path / "o" / "segments.csv")
    assert set(segments["Ville"]) == {"Orléans", "Zürich", "Köln", "Málaga"}


def test_real_entry_point_prints_no_traceback(tmp_path):
    """The installed command, as a process: exit code 2 and one line."""
    completed = subprocess.run(
        [sys.executable, "-m", "custseg", "segment", str(tmp_path / "missing.csv")],
        capture_output=True, text=True, check=False,
    )
    assert completed.returncode == 2
    assert completed.stderr.strip().count("\n") == 0
    assert "not found" in completed.stderr and "Traceback" not in completed.stderr


def test_unexpected_failure_is_exit_1_without_traceback(cli, monkeypatch, tmp_path):
    import custseg.pipeline

    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(custseg.pipeline, "run", boom)  # what the CLI calls with its options
    result = cli("segment", "--out", tmp_path / "o")
    assert result.code == 1
    assert "unexpected RuntimeError: disk on fire" in result.err
    assert "Traceback" not in result.err
