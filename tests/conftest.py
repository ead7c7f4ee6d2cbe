from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from custseg.cli import main
from custseg.datasets import sample_path

INCOME_SPENDING = "Annual Income (k$),Spending Score (1-100)"
INCOME_SPENDING_LIST = ["Annual Income (k$)", "Spending Score (1-100)"]


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
