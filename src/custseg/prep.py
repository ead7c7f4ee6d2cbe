"""From raw feature columns to the numeric matrix K-means sees, and back to the model file.

Numeric columns: optional log1p, then standardised (mean 0, standard deviation 1, ddof=0).
Categorical columns: one indicator column per level seen in training, levels sorted, weighted
so that a change of category counts as much as one standard deviation (``CATEGORY_WEIGHT``).
The fitted parameters are plain numbers and strings so that the model file stays JSON.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from .errors import DataError, param_error

SKEW_THRESHOLD = 1.0  # |skewness| above this (and no negatives) counts as "skewed" for log1p=auto
# One-hot columns carry 1/sqrt(2) for the present level, so that two customers differing in one
# category are 1.0 apart: the same as one standard deviation of a numeric feature. Plain 0/1
# indicators put them sqrt(2) apart and let a binary column such as Gender dominate the clusters.
CATEGORY_WEIGHT = 0.5**0.5
MissingPolicy = Literal["impute", "drop", "error"]


@dataclass
class FeatureSpec:
    name: str
    kind: Literal["numeric", "categorical"]
    transform: Literal["none", "log1p"] = "none"
    center: float = 0.0
    scale: float = 1.0
    fill: float | str | None = None  # median or mode, used for missing values when scoring
    categories: list[str] = field(default_factory=list)
    weight: float = CATEGORY_WEIGHT  # categorical: value of the present level's indicator

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if self.kind == "numeric":
            del data["categories"]
            del data["weight"]
        else:
            for key in ("transform", "center", "scale"):
                del data[key]
        return data


@dataclass
class MissingReport:
    policy: str
    rows_affected: int
    by_column: dict[str, int]
    fill_values: dict[str, float | str]


MISSING_POLICIES = ("impute", "drop", "error")


def handle_missing(
    frame: pd.DataFrame, numeric: list[str], categorical: list[str], policy: str
) -> tuple[pd.DataFrame, MissingReport]:
    """Apply the missing-value policy; the report says how many rows it touched."""
    if policy not in MISSING_POLICIES:
        raise param_error("missing", "one of 'impute', 'drop', 'error'", policy)
    columns = numeric + categorical
    missing = frame[columns].isna()
    by_column = {str(c): int(n) for c, n in missing.sum().items() if n}
    affected = missing.any(axis=1)
    fills: dict[str, float | str] = {}
    if policy == "error" and affected.any():
        first = int(affected[affected].index[0]) + 2
        raise DataError(
            f"{int(affected.sum())} row(s) have missing values (first at line {first}, columns "
            f"{', '.join(by_column)}); fill them in, or use --missing impute or --missing drop"
        )
    if policy == "drop":
        frame = frame.loc[~affected]
        if frame.empty:
            raise DataError("every row has a missing value; use --missing impute instead of drop")
    elif affected.any():
        # Fill values are reported; without gaps the model computes its own (same) medians.
        for column in numeric:
            fills[column] = float(frame[column].median())
        for column in categorical:
            fills[column] = str(frame[column].dropna().astype(str).mode().iloc[0])
        frame = frame.fillna(fills)
    return frame, MissingReport(policy, int(affected.sum()), by_column, fills)


def _distinct_at_most_one(values: pd.Series) -> bool:
    """``values.nunique() <= 1``; for numbers as min == max, without hashing a million values."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        present = values.dropna()
        return present.empty or bool(present.min() == present.max())
    return bool(values.nunique(dropna=True) <= 1)


def drop_constant(frame: pd.DataFrame, columns: list[str]) -> tuple[list[str], list[str]]:
    """Split ``columns`` into (varying, constant). A constant column cannot separate customers."""
    constant = [c for c in columns if _distinct_at_most_one(frame[c])]
    for column in constant:
        warnings.warn(
            f"column '{column}' has the same value for every customer and was dropped",
            UserWarning, stacklevel=3,
        )
    return [c for c in columns if c not in constant], constant


def signed_log1p(values: np.ndarray) -> np.ndarray:
    """sign(x) * log(1 + |x|): log1p for x >= 0, and defined for net spend after returns."""
    return np.sign(values) * np.log1p(np.abs(values))


def skewed_columns(frame: pd.DataFrame, numeric: list[str]) -> list[str]:
    """Columns whose skewness exceeds SKEW_THRESHOLD (log1p is signed, so negatives are fine)."""
    return [c for c in numeric if abs(float(frame[c].skew())) > SKEW_THRESHOLD]  # type: ignore[arg-type]


class Preparer:
    """Fitted preparation: turns a feature frame into the matrix K-means clusters."""

    def __init__(self, specs: list[FeatureSpec]) -> None:
        self.specs = specs

    @classmethod
    def fit(
        cls, frame: pd.DataFrame, numeric: list[str], categorical: list[str],
        log1p: str | list[str] = "none", fills: dict[str, float | str] | None = None,
    ) -> Preparer:
        if log1p == "auto":
            logged = set(skewed_columns(frame, numeric))
        elif log1p == "none":
            logged = set()
        elif isinstance(log1p, str):
            # set("spend") would be its letters: a bare name is refused, not misread.
            raise param_error("log1p", "'none', 'auto' or a list of column names", log1p)
        else:
            unknown = [c for c in log1p if c not in numeric]
            if unknown:
                from .errors import ConfigError

                names = ", ".join(repr(c) for c in unknown)
                raise ConfigError(
                    (f"column {names} given in log1p is not a numeric feature"
                     if len(unknown) == 1 else
                     f"columns {names} given in log1p are not numeric features")
                    + f"; numeric features are: {', '.join(repr(c) for c in numeric) or 'none'}")
            logged = set(log1p)
        fills = fills or {}
        specs: list[FeatureSpec] = []
        for name in numeric:
            raw = frame[name].to_numpy(dtype="float64")
            fill = fills.get(name, float(np.median(raw)))  # in input units, applied before log1p
            if name in logged:
                raw = signed_log1p(raw)
            scale = float(raw.std())
            specs.append(FeatureSpec(
                name, "numeric", "log1p" if name in logged else "none",
                center=float(raw.mean()), scale=scale if scale > 0 else 1.0,
                fill=fill,
            ))
        for name in categorical:
            levels = sorted(frame[name].dropna().astype(str).unique().tolist())
            specs.append(FeatureSpec(name, "categorical", categories=levels,
                                     fill=fills.get(name)))
        return cls(specs)

    @property
    def output_names(self) -> list[str]:
        names: list[str] = []
        for spec in self.specs:
            if spec.kind == "numeric":
                names.append(spec.name)
            else:
                names.extend(f"{spec.name}={level}" for level in spec.categories)
        return names

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """The prepared matrix; unknown category levels become all-zero rows, with a warning."""
        missing = [s.name for s in self.specs if s.name not in frame.columns]
        if missing:
            raise DataError(
                f"input lacks the model's feature column(s) {', '.join(repr(m) for m in missing)};"
                " add them, or score with a model trained on these columns"
            )
        blocks: list[np.ndarray] = []
        for spec in self.specs:
            values = frame[spec.name]
            if spec.kind == "numeric":
                raw = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64")
                if spec.fill is not None:
                    raw = np.where(np.isnan(raw), float(spec.fill), raw)
                if spec.transform == "log1p":
                    raw = signed_log1p(raw)
                blocks.append(((raw - spec.center) / spec.scale)[:, None])
            else:
                text = values.astype("string")
                if spec.fill is not None:
                    text = text.fillna(str(spec.fill))
                unknown = sorted(set(text.dropna().unique()) - set(spec.categories))
                if unknown:
                    warnings.warn(
                        f"column '{spec.name}' has level(s) unseen in training "
                        f"({', '.join(map(str, unknown[:5]))}); they count as no known level",
                        UserWarning, stacklevel=2,
                    )
                onehot = spec.weight * np.stack(
                    [(text == level).fillna(False).to_numpy(dtype="float64")
                     for level in spec.categories], axis=1)
                blocks.append(onehot)
        return np.hstack(blocks) if blocks else np.empty((len(frame), 0))

    def to_dicts(self) -> list[dict[str, Any]]:
        return [s.to_dict() for s in self.specs]

    @classmethod
    def from_dicts(cls, items: list[dict[str, Any]]) -> Preparer:
        return cls([FeatureSpec(**item) for item in items])
