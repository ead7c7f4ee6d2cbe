"""Output folders: exactly this run's files, failures change nothing, bad --out is one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import custseg
import custseg.report as report
from custseg import io, outdir
from custseg.datasets.synthetic_history import purchase_history
from custseg.errors import DataError

from .conftest import INCOME_SPENDING, INCOME_SPENDING_LIST

TABLE_FILES = ["model.json", "report.html", "segments.csv", "summary.json"]


def _files(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path -> bytes)."""
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _one_line_error(result, *words: str) -> None:
    assert result.code == 2, result.err
    assert result.err.startswith("custseg: error: ")
    assert len(result.err.strip().splitlines()) == 1, result.err
    assert "unexpected" not in result.err and "Traceback" not in result.err
    for word in words:
        assert word in result.err


@pytest.fixture(scope="module")
def history_csv(tmp_path_factory) -> Path:
    lines, _truth = purchase_history(300, seed=1)
    path = tmp_path_factory.mktemp("history") / "history.csv"
    lines.to_csv(path, index=False)
    return path


def test_table_run_after_history_run_leaves_only_its_own_files(cli, tmp_path, history_csv):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    (out / "old").mkdir()
    (out / "old" / "keep.csv").write_text("a\n1\n")
    first = cli("segment", history_csv, "--transactions", "--k", "3", "--out", out, "-q")
    assert first.code == 0, first.err
    written = set(outdir.read_manifest(out)["segment"])
    assert {"features.csv", "segments.csv", "report.html"} <= written
    assert (out / "features.csv").exists()

    second = cli("segment", "--features", INCOME_SPENDING, "--k", "3", "--out", out, "-q")
    assert second.code == 0, second.err
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [*TABLE_FILES, outdir.MANIFEST, "notes.txt", "old"])
    assert (out / "notes.txt").read_text() == "mine"
    assert (out / "old" / "keep.csv").read_text() == "a\n1\n"
    manifest = json.loads((out / outdir.MANIFEST).read_text())
    assert manifest["format"] == outdir.MANIFEST_FORMAT and manifest["version"] == 1
    assert manifest["outputs"] == {"segment": TABLE_FILES}
    summary = json.loads((out / "summary.json").read_text())
    assert "transactions" not in summary


def test_compare_into_a_segment_folder_keeps_the_segment_files(cli, tmp_path):
    out = tmp_path / "run"
    custseg.segment(features=INCOME_SPENDING_LIST, k=3).save(out)
    result = cli("compare", out / "segments.csv", out / "segments.csv", "--out", out)
    assert result.code == 0, result.err
    names = {p.name for p in out.iterdir()}
    assert set(TABLE_FILES) <= names and "compare.html" in names
    assert outdir.read_manifest(out) == {
        "compare": ["compare.html", "migration_counts.csv", "migration_shares.csv", "moves.csv"],
        "segment": TABLE_FILES}


def test_failing_run_leaves_the_previous_files_byte_identical(tmp_path, monkeypatch):
    out = tmp_path / "run"
    custseg.segment(features=INCOME_SPENDING_LIST, k=3).save(out)
    before = _files(out)
    result = custseg.segment(features=INCOME_SPENDING_LIST, k=4)

    def broken(_result):
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr(report, "render_report", broken)
    with pytest.raises(RuntimeError, match="renderer crashed"):
        result.save(out)
    assert _files(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_failing_write_leaves_the_previous_files_and_no_staging_folder(tmp_path, monkeypatch):
    out = tmp_path / "run"
    custseg.segment(features=INCOME_SPENDING_LIST, k=3).save(out)
    before = _files(out)
    result = custseg.segment(features=INCOME_SPENDING_LIST, k=4)
    real = io.write_text

    def fail_on_report(target, text):
        if Path(target).name == "report.html":
            raise OSError(28, "No space left on device")
        real(target, text)

    monkeypatch.setattr(io, "write_text", fail_on_report)
    with pytest.raises(DataError, match="No space left"):
        result.save(out)
    assert _files(out) == before
    assert sorted(p.name for p in out.iterdir()) == sorted([*TABLE_FILES, outdir.MANIFEST])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_failing_first_run_leaves_no_folder_behind(tmp_path, monkeypatch):
    result = custseg.segment(features=INCOME_SPENDING_LIST, k=3)
    monkeypatch.setattr(report, "render_report", lambda _r: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        result.save(tmp_path / "new" / "nested" / "run")
    assert list(tmp_path.iterdir()) == []


def test_new_nested_folder_is_created(cli, tmp_path):
    out = tmp_path / "a" / "b" / "c"
    result = cli("segment", "--features", INCOME_SPENDING, "--k", "3", "--out", out, "-q")
    assert result.code == 0, result.err
    assert sorted(p.name for p in out.iterdir()) == sorted([*TABLE_FILES, outdir.MANIFEST])
    assert out.stat().st_mode & 0o777 == 0o777 & ~_umask()
    assert [p.name for p in (tmp_path / "a" / "b").iterdir()] == ["c"]  # no staging left


def test_output_folder_replaces_a_user_file_with_an_output_name(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "report.html").write_text("my own page")
    (out / "segments.parquet").mkdir()  # a folder where an output file goes
    custseg.segment(features=INCOME_SPENDING_LIST, k=3).save(out)
    assert (out / "report.html").read_text() != "my own page"
    assert (out / "segments.parquet").is_dir()  # not an output of the local engine: untouched


def test_staged_folders_replace_folders_and_files_without_leftovers(tmp_path):
    out = tmp_path / "run"
    for run in ("first", "second"):
        with outdir.staged(out) as staging:
            (staging / "segments.parquet" / f"segment={run}").mkdir(parents=True)
            (staging / f"{run}.txt").write_text(run)
    assert sorted(p.name for p in out.iterdir()) == [outdir.MANIFEST, "second.txt",
                                                     "segments.parquet"]
    assert [p.name for p in (out / "segments.parquet").iterdir()] == ["segment=second"]
    assert outdir.read_manifest(out) == {"segment": ["second.txt", "segments.parquet"]}


def test_a_manifest_cannot_point_outside_its_folder(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    (out / outdir.MANIFEST).write_text(json.dumps({
        "format": outdir.MANIFEST_FORMAT, "version": 1,
        "outputs": {"segment": ["../victim.txt", "/etc/passwd", "..", "features.csv"]}}))
    (out / "features.csv").write_text("old")
    custseg.segment(features=INCOME_SPENDING_LIST, k=3).save(out)
    assert victim.read_text() == "keep"
    assert not (out / "features.csv").exists()


@pytest.mark.parametrize("case", ["existing file", "under a file", "under /proc", "broken link"])
def test_bad_output_folder_is_one_line_before_rendering(cli, tmp_path, monkeypatch, case):
    afile = tmp_path / "afile"
    afile.write_text("x")
    out = {"existing file": afile, "under a file": afile / "sub",
           "under /proc": Path("/proc/custseg-out/run"), "broken link": tmp_path / "link"}[case]
    if case == "broken link":
        out.symlink_to(tmp_path / "nowhere")
    if case == "under /proc" and not Path("/proc").is_dir():
        pytest.skip("no /proc")
    import custseg.pipeline

    monkeypatch.setattr(custseg.pipeline.SegmentationResult, "render",
                        lambda _self: pytest.fail("rendered before checking --out"))
    result = cli("segment", "--features", INCOME_SPENDING, "--k", "3", "--out", out)
    _one_line_error(result, str(out))
    assert afile.read_text() == "x"


def test_read_only_output_folder_is_one_line(cli, tmp_path, monkeypatch):
    # Tests run as root, where chmod does not stop writing: simulate a read-only disk.
    out = tmp_path / "run"
    out.mkdir()
    real = io.tempfile.mkstemp

    def read_only(*args, **kwargs):
        if Path(kwargs.get("dir", "")).resolve() == out.resolve():
            raise OSError(30, "Read-only file system")
        return real(*args, **kwargs)

    monkeypatch.setattr(io.tempfile, "mkstemp", read_only)
    result = cli("segment", "--features", INCOME_SPENDING, "--k", "3", "--out", out)
    _one_line_error(result, str(out), "Read-only file system", "choose a folder")
    assert list(out.iterdir()) == []


def test_check_writable_accepts_new_and_existing_folders(tmp_path):
    assert outdir.check_writable(tmp_path) == tmp_path
    assert outdir.check_writable(tmp_path / "x" / "y") == tmp_path / "x" / "y"
    assert list(tmp_path.iterdir()) == []  # the check leaves nothing behind
    with pytest.raises(DataError, match="is an existing file"):
        (tmp_path / "f").write_text("")
        outdir.check_writable(tmp_path / "f")


@pytest.fixture(scope="module")
def history_run(tmp_path_factory, history_csv) -> Path:
    return custseg.segment(history_csv, transactions=True, k=3).save(
        tmp_path_factory.mktemp("history_run") / "run")


@pytest.mark.parametrize("command", ["score", "export", "recommend", "generate"])
def test_single_file_output_that_is_a_folder_or_impossible_is_one_line(cli, tmp_path, command,
                                                                          history_csv,
                                                                          history_run):
    run = history_run
    folder = tmp_path / "folder"
    folder.mkdir()
    afile = tmp_path / "afile"
    afile.write_text("x")
    args = {"score": ["score", "--model", run / "model.json", history_csv],
            "export": ["export", "--segments", run, "--segment", "0"],
            "recommend": ["recommend", "--segments", run, "--transactions", history_csv],
            "generate": ["generate", "--customers", "50"]}[command]
    for out in (folder, afile / "x.csv", Path("/proc/custseg-out/x.csv")):
        result = cli(*args, "--out", out)
        _one_line_error(result, str(out))
    assert list(folder.iterdir()) == []


def test_atomic_path_turns_a_full_disk_into_a_data_error(tmp_path):
    target = tmp_path / "out.csv"
    with pytest.raises(DataError, match="free some space"), io.atomic_path(target):
        raise OSError(28, "No space left on device")
    assert list(tmp_path.iterdir()) == []


def _umask() -> int:
    import os

    mask = os.umask(0)
    os.umask(mask)
    return mask
