from __future__ import annotations

import io

import pytest
from rich.console import Console

import custseg
import custseg.cli as cli_module


def test_progress_bar_on_a_terminal_and_quiet_silences_it(cli, monkeypatch, tmp_path):
    buffer = io.StringIO()
    monkeypatch.setattr(cli_module, "stderr", Console(file=buffer, force_terminal=True,
                                                      width=100))
    assert cli("segment", "--out", tmp_path / "a").code == 0
    assert "choose k" in buffer.getvalue()
    buffer.truncate(0)
    buffer.seek(0)
    assert cli("segment", "--out", tmp_path / "b", "--quiet").code == 0
    assert "choose k" not in buffer.getvalue()


def test_no_progress_when_piped(cli, tmp_path):
    result = cli("segment", "--out", tmp_path / "a")
    assert "choose k" not in result.err


def test_no_arguments_prints_help(cli):
    result = cli()
    assert result.code == 0
    assert "segment" in result.out and "choose-k" in result.out


def test_version(cli):
    assert cli("--version").out.strip() == f"custseg {custseg.__version__}"


def test_unknown_option_is_one_line_usage_error(cli):
    result = cli("segment", "--kk", "3")
    assert result.code == 2
    assert result.err.count("\n") == 1
    assert "No such option: --kk" in result.err and "custseg segment --help" in result.err


def test_public_api_is_exactly_all():
    public = {name for name in dir(custseg) if not name.startswith("_")}
    modules = {"cli", "datasets", "engines", "errors", "io", "model", "persist", "pipeline",
               "prep", "profile", "report", "schema", "score", "select_k", "features", "history",
               "align", "compare", "serve", "playbook", "affinity", "recommend", "kpis",
               "uplift", "targeting", "app",
               "rfm", "dialect", "sources", "numbers", "missing", "outdir", "sql", "roles",
               "stability", "structure", "kmeans_batch"}
    assert public - modules == set(custseg.__all__) - {"__version__"}


@pytest.mark.parametrize("command", ["segment", "choose-k", "score", "serve", "compare",
                                     "generate", "export", "uplift", "recommend", "app"])
def test_readme_documents_every_option(command):
    """Docs and --help in step: every option of every command appears in the README."""
    from pathlib import Path

    import typer.main

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    group = typer.main.get_command(cli_module.app)
    params = group.commands[command].params  # type: ignore[attr-defined]
    options = [opt for p in params for opt in getattr(p, "opts", []) if opt.startswith("--")]
    assert f"custseg {command}" in readme
    missing = [opt for opt in options if opt not in readme and opt != "--help"]
    assert missing == []
