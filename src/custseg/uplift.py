"""Campaign read-out: did the target group respond more than the control group?

Responses (0/1): two-proportion z-test with the pooled standard error for the p-value and a
95% Wald interval (unpooled) for the difference. Revenue: Welch's t-test and its interval.
Worked example (tests/test_act.py): 60 of 200 targets and 40 of 200 controls responded;
pooled p = 0.25, SE = sqrt(0.25 * 0.75 * (1/200 + 1/200)) = 0.0433013, z = 0.10 / SE = 2.30940,
two-sided p = 0.020921.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .errors import ConfigError, DataError
from .io import read_segments

TARGET_WORDS = {"target", "treatment", "test", "treated", "exposed", "1", "true"}
CONTROL_WORDS = {"control", "holdout", "hold-out", "untreated", "0", "false"}
BINARY_NAMES = ("responded", "response", "converted", "conversion", "purchased", "clicked")
MONEY_NAMES = ("revenue", "spend", "amount", "sales", "value")
Z95 = 1.959963984540054


@dataclass
class Readout:
    scope: str
    measure: str           # "response rate" or "revenue per customer"
    n_target: int
    n_control: int
    target: float
    control: float
    uplift: float
    relative_uplift: float | None
    ci_low: float
    ci_high: float
    p_value: float
    verdict: str

    def to_dict(self) -> dict[str, Any]:
        return {k: (round(v, 6) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def two_proportion(x_t: int, n_t: int, x_c: int, n_c: int) -> tuple[float, float, float, float]:
    """(difference, CI low, CI high, two-sided p) for response counts."""
    p_t, p_c = x_t / n_t, x_c / n_c
    pooled = (x_t + x_c) / (n_t + n_c)
    se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / n_t + 1 / n_c))
    diff = p_t - p_c
    p_value = math.erfc(abs(diff / se_pooled) / math.sqrt(2)) if se_pooled > 0 else 1.0
    se = math.sqrt(p_t * (1 - p_t) / n_t + p_c * (1 - p_c) / n_c)
    return diff, diff - Z95 * se, diff + Z95 * se, p_value


def welch(target: np.ndarray, control: np.ndarray) -> tuple[float, float, float, float]:
    diff = float(target.mean() - control.mean())
    v_t, v_c = target.var(ddof=1) / len(target), control.var(ddof=1) / len(control)
    se = math.sqrt(v_t + v_c)
    if se == 0:
        return diff, diff, diff, 1.0
    df = (v_t + v_c) ** 2 / (v_t**2 / (len(target) - 1) + v_c**2 / (len(control) - 1))
    half = float(stats.t.ppf(0.975, df)) * se
    p_value = float(stats.ttest_ind(target, control, equal_var=False).pvalue)
    return diff, diff - half, diff + half, p_value


def _verdict(measure: str, diff: float, low: float, high: float, p: float, binary: bool) -> str:
    unit = (lambda v: f"{v * 100:+.1f} points") if binary else (lambda v: f"{v:+,.2f}")
    interval = (f"95% CI {low * 100:.1f} to {high * 100:.1f} points" if binary
                else f"95% CI {low:,.2f} to {high:,.2f}")
    if p < 0.05 and diff > 0:
        return f"The campaign worked: {measure} {unit(diff)} ({interval}, p = {p:.3g})."
    if p < 0.05:
        return f"The campaign hurt: {measure} {unit(diff)} ({interval}, p = {p:.3g})."
    return (f"No clear effect: {measure} {unit(diff)} could be chance ({interval}, p = {p:.3g}); "
            "a larger test would be needed to detect an effect this size.")


def with_segments(results: pd.DataFrame,
                  segments: str | os.PathLike[str]) -> tuple[pd.DataFrame, str]:
    """Campaign results joined to the segments of a custseg run, for a read-out per segment.

    ``segments`` is the --out folder of ``custseg segment`` (or its segments.csv); its first
    column is the customer id, and ``results`` must have a column of that name. Returns the
    results with ``segment`` and ``segment_name`` (replacing any already there) and a
    ``segment_label`` column, "ID: NAME" or "not segmented" for customers the run did not
    cover, and the name of that label column, to pass to :func:`read_out` as ``segment_col``.
    """
    table = read_segments(segments)
    key = str(table.columns[0])
    if key not in results.columns:
        raise ConfigError(f"results lack the id column '{key}' of {segments}; name it so")
    joined = results.drop(columns=["segment", "segment_name"], errors="ignore").merge(
        table[[key, "segment", "segment_name"]], on=key, how="left")
    joined["segment_label"] = [f"{s}: {n}" if pd.notna(s) else "not segmented"
                               for s, n in zip(joined["segment"], joined["segment_name"],
                                               strict=True)]
    return joined, "segment_label"


def _find(frame: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    lowered = {str(c).lower(): str(c) for c in frame.columns}
    return next((lowered[n] for n in names if n in lowered), None)


def read_out(results: pd.DataFrame, group_col: str | None = None,
             outcome_col: str | None = None, segment_col: str | None = None) -> list[Readout]:
    """One read-out per segment (when there is a segment column) and one overall."""
    group_col = group_col or _find(results, ("group", "arm", "variant"))
    outcome_col = outcome_col or _find(results, BINARY_NAMES + MONEY_NAMES)
    if group_col is None or group_col not in results:
        raise DataError("no group column (target/control); name it 'group' or pass --group-col")
    if outcome_col is None or outcome_col not in results:
        raise DataError("no outcome column; name it 'responded' (0/1) or 'revenue', or pass "
                        "--outcome-col")
    groups = results[group_col].astype(str).str.strip().str.lower()
    unknown = sorted(set(groups) - TARGET_WORDS - CONTROL_WORDS)
    if unknown:
        raise DataError(f"group column '{group_col}' has value(s) {', '.join(unknown[:5])}; use "
                        "target/treatment and control/holdout")
    outcome = pd.to_numeric(results[outcome_col], errors="coerce")
    if outcome.isna().any():
        line = int(outcome[outcome.isna()].index[0]) + 2
        raise DataError(f"outcome column '{outcome_col}' has a non-numeric or empty value at line "
                        f"{line}; use 0/1 for responses or numbers for revenue")
    binary = bool(outcome.isin([0, 1]).all()) and outcome_col.lower() not in MONEY_NAMES
    is_target = groups.isin(TARGET_WORDS).to_numpy()
    scopes: list[tuple[str, np.ndarray]] = []
    segment_col = segment_col or _find(results, ("segment_name", "segment"))
    if segment_col:
        for value in sorted(results[segment_col].dropna().unique(), key=str):
            scopes.append((f"segment {value}", (results[segment_col] == value).to_numpy()))
    scopes.append(("overall", np.ones(len(results), dtype=bool)))
    readouts = []
    for scope, mask in scopes:
        t, c = outcome[mask & is_target].to_numpy(), outcome[mask & ~is_target].to_numpy()
        if len(t) < 2 or len(c) < 2:
            continue
        if binary:
            diff, low, high, p = two_proportion(int(t.sum()), len(t), int(c.sum()), len(c))
            measure = "response rate"
        else:
            diff, low, high, p = welch(t, c)
            measure = "revenue per customer"
        base = float(c.mean())
        readouts.append(Readout(scope, measure, len(t), len(c), float(t.mean()), base, diff,
                                diff / base if base else None, low, high, p,
                                _verdict(measure, diff, low, high, p, binary)))
    if not readouts:
        raise DataError("each group needs at least two customers to compare target and control")
    return readouts
