"""Built-in data: the Mall Customers sample (200 customers) and synthetic generators."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

SAMPLE_NAME = "mall_customers.csv"


def sample_path() -> Path:
    """Path of the packaged Mall Customers table."""
    return Path(str(resources.files(__name__).joinpath(SAMPLE_NAME)))


def load_sample() -> pd.DataFrame:
    """The Mall Customers table: CustomerID, Gender, Age, Annual Income (k$), Spending Score."""
    return pd.read_csv(sample_path())
