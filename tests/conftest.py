from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from custseg.cli import main
from custseg.datasets import sample_path

INCOME_SPENDING = "Annual Income (k$),Spending Score (1-100)"
INCOME_SPENDING_LIST = ["Annual Income (k$)", "Spending Score (1-100)"]
SUMMARY_SCHEMA = Path(__file__).parents[1] / "docs" / "summary.schema.json"


@pytest.fixture
def mall() -> pd.DataFrame:
    return pd.read_csv(sample_path())


@pytest.fixture
def mall_csv() -> Path:
    return sample_path()


class CliResult:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):
    """Run the custseg command in-process: exit code, stdout and stderr."""

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@functools.cache
def summary_validator() -> Any:
    """The JSON Schema of summary.json (docs/summary.schema.json), read once per session."""
    from jsonschema import Draft202012Validator

    schema = json.loads(SUMMARY_SCHEMA.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def summary_errors(summary: Any) -> list[str]:
    """Where and how ``summary`` breaks the schema, one line each; [] when it conforms."""
    errors = sorted(summary_validator().iter_errors(summary),
                    key=lambda e: [str(part) for part in e.absolute_path])
    return [f"{'/'.join(map(str, e.absolute_path)) or '(top level)'}: {e.message}"
            for e in errors]


@pytest.fixture(autouse=True)
def _summaries_match_the_schema(request: pytest.FixtureRequest) -> Iterator[None]:
    """After a test that used tmp_path, every summary.json under it must match the schema.

    Tests that do not use tmp_path are not touched (no folder is made for them). Requesting
    tmp_path here makes it torn down after this check, so the folder is still there.
    """
    if "tmp_path" not in request.fixturenames:
        yield
        return
    folder: Path = request.getfixturevalue("tmp_path")
    yield
    problems = []
    for path in sorted(folder.rglob("summary.json")):
        try:
            summary = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            problems.append(f"{path.relative_to(folder)}: not readable JSON ({exc})")
            continue
        problems += [f"{path.relative_to(folder)}: {line}" for line in summary_errors(summary)]
    if problems:
        pytest.fail("summary.json does not match docs/summary.schema.json:\n  "
                    + "\n  ".join(problems[:20]), pytrace=False)
