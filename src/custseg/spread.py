"""The naming guard: which features barely vary across customers, so that they name nothing.

A name says "newer" when a segment's mean tenure sits half a standard deviation below all
customers (``roles.NOTABLE_Z``). That band is relative: when every customer first bought within
twelve weeks, half a standard deviation is about ten days, and "newer" against "long-standing"
(482 against 524 days) is noise dressed as a finding. So a feature whose spread is negligible in
its own units is kept out of names, descriptions and plays, and the run says which and why.

The spread measure is the standard deviation across customers, on the values as cleaned (before
any log transform). It is the unit the names' bands are drawn in (z-scores are in standard
deviations), so "one standard deviation is under a month" reads directly as "a 'high' tenure is a
couple of weeks". A percentile range would miss the issue's case (twelve weeks of first
purchases spread evenly: 10th-90th range 67 days, standard deviation 24), and would call a
feature quiet when most customers share one value and a minority differ (returns, say), which is
exactly a minority K-means may rightly set apart. Outliers inflate the standard deviation, so
they can only make the guard fire less often, never silence a feature that varies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .roles import tokens

# A day-count feature (tenure, recency, days between orders) varies by less than a month: no
# campaign treats customers differently for it. Weeks and months are the same month in their
# units.
DAY_SPREAD_FLOOR = 30.0
_UNIT_FLOORS = {"days": ("days", DAY_SPREAD_FLOOR), "day": ("days", DAY_SPREAD_FLOOR),
                "weeks": ("weeks", DAY_SPREAD_FLOOR / 7), "week": ("weeks", DAY_SPREAD_FLOOR / 7),
                "months": ("months", DAY_SPREAD_FLOOR / 30),
                "month": ("months", DAY_SPREAD_FLOOR / 30)}
# Any other feature: a standard deviation under 5% of its mean (a coefficient of variation under
# 0.05) is a difference nobody would act on, whatever the unit.
RELATIVE_SPREAD_FLOOR = 0.05
MEASURE = "standard deviation across customers"
RULE = (f"a feature names no segment when its {MEASURE} is under a month for a count of days, "
        f"weeks or months, or under {RELATIVE_SPREAD_FLOOR:.0%} of its mean otherwise")


@dataclass(frozen=True)
class QuietFeature:
    """A feature kept out of names and plays, with the figures that justify it."""

    feature: str
    spread: float  # the standard deviation across customers, in the feature's units
    mean: float
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"feature": self.feature, "spread": round(self.spread, 6),
                "mean": round(self.mean, 6), "reason": self.reason}


def time_unit(feature: str) -> tuple[str, float] | None:
    """(unit, floor) for a feature counted in days, weeks or months (from its name), else None:
    ``tenure_days`` -> ("days", 30.0)."""
    for word in reversed(tokens(feature)):
        if word in _UNIT_FLOORS:
            return _UNIT_FLOORS[word]
    return None


def quiet_features(frame: pd.DataFrame, numeric: Sequence[str]) -> dict[str, QuietFeature]:
    """The numeric features of ``frame`` whose spread is negligible in their own units."""
    quiet: dict[str, QuietFeature] = {}
    for feature in numeric:
        values = frame[feature].to_numpy(dtype="float64")
        values = values[np.isfinite(values)]
        if len(values) < 2:
            continue
        spread, mean = float(values.std()), float(values.mean())
        unit = time_unit(feature)
        if unit is not None:
            name, floor = unit
            if spread < floor:
                quiet[feature] = QuietFeature(
                    feature, spread, mean,
                    f"its spread across customers (standard deviation) is {spread:,.1f} {name}, "
                    f"under a month: a segment 'higher' or 'lower' on it differs by days")
            continue
        if mean != 0 and spread < RELATIVE_SPREAD_FLOOR * abs(mean):
            quiet[feature] = QuietFeature(
                feature, spread, mean,
                f"its spread across customers (standard deviation {spread:,.3g}) is "
                f"{spread / abs(mean):.1%} of its mean ({mean:,.3g}), under "
                f"{RELATIVE_SPREAD_FLOOR:.0%}: too small a difference to act on")
    return quiet
