from __future__ import annotations

import io

import pytest
from rich.console import Console

import custseg
import custseg.cli.options as cli_module


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
    # Not --quiet: stderr is a pipe here (captured), so the bar must switch itself off.
    result = cli("segment", "--out", tmp_path / "a")
    assert result.code == 0, result.err
    out = " ".join(result.out.split())  # rich wraps to the (fake) terminal width
    assert "6 segments of 200 customers (silhouette 0.356)" in out
    assert "High spending, high income" in out and "Why k=6:" in out
    assert f"Report: {tmp_path / 'a' / 'report.html'}" in result.out.replace("\n", "")
    assert (tmp_path / "a" / "report.html").is_file()
    # stderr holds only whole warning lines: no bar, no step label, no spinner, no cursor moves.
    for line in result.err.splitlines():
        assert line.startswith("custseg: warning: "), line
    assert "choose k" not in result.err
    spinner = set("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏━╸╺")  # rich's default spinner and bar
    assert not spinner & set(result.err), sorted(spinner & set(result.err))
    assert "\r" not in result.err and "\x1b" not in result.err


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
    """Docs and --help in step: every option of every command appears in the README.

    Whole names only: `--k` is not documented by `--k-min`, nor `-q` by `--quiet`. The options
    come from the Typer app itself (not the source file), so any layout of the cli code works.
    """
    import re
    from pathlib import Path

    import typer.main

    from custseg.cli import app

    def mentioned(name: str, text: str) -> bool:
        return re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text) is not None

    # Typer may vendor click, so no isinstance checks: options are the params named "-...".
    def options(cmd) -> list[str]:
        found = [opt for p in cmd.params
                 for opt in [*p.opts, *getattr(p, "secondary_opts", [])] if opt.startswith("-")]
        for sub in getattr(cmd, "commands", {}).values():  # nested groups, if any
            found += options(sub)
        return sorted(set(found) - {"--help"})

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    group = typer.main.get_command(app)
    assert hasattr(group, "commands")
    undocumented = [name for name in group.commands if f"custseg {name}" not in readme]
    assert undocumented == [], f"commands missing from the README: {undocumented}"
    listed = options(group.commands[command])
    assert "--help" not in listed and len(listed) >= 1
    missing = [opt for opt in listed if not mentioned(opt, readme)]
    assert missing == [], f"custseg {command}: options missing from the README: {missing}"
