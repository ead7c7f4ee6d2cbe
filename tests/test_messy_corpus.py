"""Every file of the messy-input corpus (tests/data/messy/) through the real command line.

The corpus imitates real shops' and CRMs' exports; cases.json says, per case, the options, the
exit code expected (0, 2, or either) and what must hold. Whatever the case, custseg never exits 1,
never prints a traceback, and a refusal is exactly one line "custseg: error: ..." that leaves no
output behind. The files and the manifest are written by tests/messy_corpus.py.

Checks (all optional; those about outputs apply when the run exits 0, ``stderr_contains`` when it
exits 2):

- ``ids``: segments.csv's first column, read as text with the csv module, is exactly these ids
  (each once); ids a spreadsheet would run as a formula (starting ``=`` or ``@``, or ``+``/``-``
  followed by more than digits, spaces and ``.()``) carry a leading apostrophe.
- ``id_column``: the header of segments.csv's first column.
- ``n_customers``, ``input_rows`` (summary.json's input.rows: data rows, title rows not counted),
  ``features`` (the exact set), ``features_include``, ``features_exclude``.
- ``means``: the mean over all customers of each named feature, in the input's units, as
  summary.json's segment profiles report it (overall_mean): money and decimal commas were read
  as the numbers they mean (1.234,50 is 1234.5, not 1.2345 or 123450).
- ``dialect``: these keys of summary.json's input.dialect (a tab may be written "\\t" or "tab");
  ``encoding_like``: input.dialect.encoding names this encoding ("utf-16" matches "UTF-16LE").
- ``missing_counted``: data_quality counts this many missing cells for each column.
- ``quality``: these keys of transactions.quality; ``first_day``/``last_day`` likewise.
- ``warnings_contain``: a warning (summary.json or stderr) mentions this.
- ``stderr_contains``: the error line mentions each fragment (case-insensitive).
- ``out_absent``/``out_present``: files in --out after the run (``before`` runs go first into
  the same folder and must leave the files they list); ``out``: "file" or "under_file" makes
  --out an existing file or a path under one.
- ``sklearn_k``: --k auto picks the k of a full-data scikit-learn sweep (KMeans, silhouette, on
  the standardised columns).
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import pytest

from custseg.cli import main

DATA = Path(__file__).parent / "data" / "messy"
MANIFEST = json.loads((DATA / "cases.json").read_text(encoding="utf-8"))
CASES: list[dict[str, Any]] = MANIFEST["cases"]
KNOWN_CHECKS = {"ids", "id_column", "n_customers", "input_rows", "means", "features",
                "features_include", "features_exclude", "dialect", "encoding_like",
                "missing_counted", "quality", "first_day", "last_day", "warnings_contain",
                "stderr_contains", "out_absent", "out_present"}


def spreadsheet_safe(value: str) -> str:
    """What an id looks like in segments.csv: formula-like ids get a leading apostrophe."""
    if value[:1] in ("=", "@"):
        return "'" + value
    if value[:1] in ("+", "-") and re.search(r"[^0-9 .()]", value[1:]):
        return "'" + value
    return value


def read_first_column(path: Path) -> tuple[str, list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0][0], [row[0] for row in rows[1:] if row]


def run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def check_refusal(code: int, err: str) -> None:
    """Exit 2 is one line 'custseg: error: ...' and nothing else."""
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"exit {code} should print exactly one line, got:\n{err}"
    assert lines[0].startswith("custseg: error: "), lines[0]


def _fragments(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _delimiter(value: Any) -> Any:
    return "\t" if value in ("\t", "\\t", "tab", "TAB") else value


def _encoding_key(value: str) -> str:
    return re.sub(r"[-_ ]", "", str(value).lower())


def _counted(tree: Any, column: str, count: int) -> bool:
    """Somewhere in ``tree`` a mapping says ``column: count``."""
    if isinstance(tree, dict):
        if tree.get(column) == count and not isinstance(tree.get(column), bool):
            return True
        return any(_counted(v, column, count) for v in tree.values())
    if isinstance(tree, list):
        return any(_counted(v, column, count) for v in tree)
    return False


def overall_mean(summary: dict[str, Any], feature: str) -> float | None:
    for segment in summary.get("segments", []):
        profile = segment.get("profile", {}).get(feature)
        if isinstance(profile, dict) and "overall_mean" in profile:
            return float(profile["overall_mean"])
    return None


def sklearn_k(path: Path, features: list[str], k_min: int, k_max: int) -> tuple[int, dict]:
    """The k with the highest silhouette of a full-data KMeans sweep on standardised columns."""
    import pandas as pd
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score
    from sklearn.preprocessing import StandardScaler

    frame = pd.read_csv(path, dtype=str)
    X = StandardScaler().fit_transform(frame[features].astype("float64").to_numpy())
    scores = {}
    for k in range(k_min, k_max + 1):
        labels = KMeans(n_clusters=k, n_init=10, random_state=0).fit_predict(X)
        scores[k] = float(silhouette_score(X, labels))
    return max(scores, key=lambda k: scores[k]), scores


def test_manifest_is_well_formed() -> None:
    files = {p.name for p in DATA.iterdir()
             if p.name != "cases.json" and not p.name.startswith(".")}
    assert len(files) >= 40
    used = {c["file"] for c in CASES} | {b["file"] for c in CASES for b in c.get("before", [])}
    assert used <= files, used - files
    assert files <= used, f"files no case runs: {files - used}"
    names = [c["name"] for c in CASES]
    assert len(names) == len(set(names))
    for case in CASES:
        assert set(case["checks"]) <= KNOWN_CHECKS, case["name"]
        assert case["exit"] in (0, 2, [0, 2]), case["name"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_messy_case(case: dict[str, Any], tmp_path: Path,
                    capsys: pytest.CaptureFixture[str]) -> None:
    checks = case["checks"]
    out = tmp_path / "out"
    if case.get("out") == "file":
        out.write_text("not a folder\n")
    elif case.get("out") == "under_file":
        (tmp_path / "plain-file").write_text("not a folder\n")
        out = tmp_path / "plain-file" / "out"
    for before in case.get("before", []):
        code, _, err = run(capsys, ["segment", str(DATA / before["file"]), "--out", str(out),
                                    "--quiet", *before["args"]])
        assert code == before["exit"], f"earlier run of {before['file']} exited {code}: {err}"
        for name in before.get("leaves", []):
            assert (out / name).exists(), f"the earlier run wrote no {name}"

    argv = ["segment", str(DATA / case["file"]), "--out", str(out), "--quiet", *case["args"]]
    code, _stdout, err = run(capsys, argv)
    allowed = case["exit"] if isinstance(case["exit"], list) else [case["exit"]]
    assert "Traceback" not in err, err
    assert code in allowed, f"exit {code}, expected {case['exit']}; stderr: {err.strip()}"

    if code == 2:
        check_refusal(code, err)
        for fragment in _fragments(checks.get("stderr_contains", [])):
            assert fragment.lower() in err.lower(), f"{fragment!r} not in: {err.strip()}"
        if not case.get("before") and out.is_dir():
            assert not (out / "segments.csv").exists(), "a refused run left segments.csv"
        if case.get("out") == "file":
            assert out.read_text() == "not a folder\n", "a refused run changed the --out file"
        return

    assert not any(line.startswith("custseg: error") for line in err.splitlines()), err
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    header, ids = read_first_column(out / "segments.csv")
    if "ids" in checks:
        expected = [spreadsheet_safe(str(i)) for i in checks["ids"]]
        assert len(ids) == len(set(ids)), "segments.csv lists an id twice"
        lost = sorted(set(expected) - set(ids))
        extra = sorted(set(ids) - set(expected))
        assert not lost and not extra, (
            f"ids changed: {len(lost)} expected id(s) missing, e.g. {lost[:4]}; "
            f"{len(extra)} unexpected, e.g. {extra[:4]}")
    if "id_column" in checks:
        assert header == checks["id_column"]
    if "n_customers" in checks:
        assert summary["n_customers"] == checks["n_customers"]
    if "input_rows" in checks:
        assert summary["input"]["rows"] == checks["input_rows"], summary["input"]
    for feature, mean in checks.get("means", {}).items():
        got = overall_mean(summary, feature)
        assert got is not None and abs(got - mean) <= 1e-4 * max(1.0, abs(mean)), (
            f"mean of {feature!r} is {got}, expected {mean}: the values were misread")
    if "features" in checks:
        assert sorted(summary["features"]) == sorted(checks["features"]), summary["features"]
    for feature in checks.get("features_include", []):
        assert feature in summary["features"], summary["features"]
    for feature in checks.get("features_exclude", []):
        assert feature not in summary["features"], summary["features"]
    if "dialect" in checks or "encoding_like" in checks:
        dialect = summary["input"].get("dialect")
        assert isinstance(dialect, dict), f"summary.json has no input.dialect: {summary['input']}"
        for key, value in checks.get("dialect", {}).items():
            got = dialect.get(key)
            if key == "delimiter":
                got, value = _delimiter(got), _delimiter(value)
            assert got == value, f"dialect {key}: {got!r}, expected {value!r} ({dialect})"
        if "encoding_like" in checks:
            assert _encoding_key(checks["encoding_like"]) in _encoding_key(
                dialect.get("encoding", "")), dialect
    for column, count in checks.get("missing_counted", {}).items():
        assert _counted(summary["data_quality"], column, count), (
            f"data_quality does not count {count} missing in {column!r}: "
            f"{summary['data_quality']}")
    if {"quality", "first_day", "last_day"} & set(checks):
        quality = summary["transactions"]["quality"]
        wanted = dict(checks.get("quality", {}))
        wanted.update({k: checks[k] for k in ("first_day", "last_day") if k in checks})
        got = {k: quality.get(k) for k in wanted}
        assert got == wanted, f"transactions.quality {got}, expected {wanted}"
    if "warnings_contain" in checks:
        said = " ".join(summary.get("warnings", [])) + " " + err
        assert checks["warnings_contain"].lower() in said.lower(), said
    for name in checks.get("out_absent", []):
        assert not (out / name).exists(), f"{name} left over in --out"
    for name in checks.get("out_present", []):
        assert (out / name).exists(), f"{name} missing from --out"
    if "sklearn_k" in case:
        spec = case["sklearn_k"]
        best, scores = sklearn_k(DATA / case["file"], spec["features"], spec["k_min"],
                                 spec["k_max"])
        shown = {k: round(v, 4) for k, v in scores.items()}
        assert summary["k"] == best, (
            f"--k auto picked k={summary['k']}; a full-data scikit-learn sweep picks k={best} "
            f"(silhouettes {shown})")
