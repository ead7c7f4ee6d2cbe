"""Target lists with control groups: a segment's customers, split by a salted hash of the id.

The split depends only on the id and the salt, never on row order, the machine or the run:
``sha256(salt + ":" + id)`` read as a number in [0, 1) below the holdout share means control.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable

import numpy as np
import pandas as pd

from . import io
from .errors import ConfigError, DataError, param_error

DEFAULT_SALT = "custseg"


def parse_share(text: str | float) -> float:
    """'10%', '10', '0.1' or 0.1 -> 0.1 (a share in [0, 0.9])."""
    try:
        if isinstance(text, str):
            stripped = text.strip()
            value = float(stripped.rstrip("%")) / (100 if stripped.endswith("%") else 1)
            if not stripped.endswith("%") and value > 1:
                value /= 100
        else:
            value = float(text)
    except ValueError:
        raise param_error("holdout", "a share such as 10% or 0.1", text) from None
    if not 0 <= value <= 0.9:
        raise param_error("holdout", "a share between 0% and 90%", text)
    return value


def hash_unit(ids: Iterable[object], salt: str) -> np.ndarray:
    """A number in [0, 1) per id, the same on every machine and run."""
    return np.array([int.from_bytes(hashlib.sha256(f"{salt}:{i}".encode()).digest()[:8], "big")
                     / 2**64 for i in ids])


def control_mask(ids: Iterable[object], share: float, salt: str = DEFAULT_SALT) -> np.ndarray:
    return hash_unit(ids, salt) < share


def _pick(segments: pd.DataFrame, wanted: str) -> int:
    table = segments[["segment", "segment_name"]].drop_duplicates().sort_values("segment")
    if wanted.strip().lstrip("-").isdigit() and int(wanted) in set(table["segment"]):
        return int(wanted)
    by_name = {str(n).lower(): int(s) for s, n in table.to_numpy()}
    if wanted.strip().lower() in by_name:
        return by_name[wanted.strip().lower()]
    choices = "; ".join(f"{s}: {n}" for s, n in table.to_numpy())
    raise DataError(f"no segment '{wanted}'; pass an id or a name from: {choices}")


def target_list(segments_dir: str | os.PathLike[str], segment: str, holdout: str | float = 0.1,
                salt: str = DEFAULT_SALT) -> pd.DataFrame:
    """The customers of one segment with a ``group`` column: target or control."""
    segments = io.read_segments(segments_dir)
    share = parse_share(holdout)
    if not salt:
        raise ConfigError("--salt must not be empty; any fixed text works")
    return with_groups(segments[segments["segment"] == _pick(segments, segment)], share, salt)


def with_groups(customers: pd.DataFrame, share: float, salt: str = DEFAULT_SALT) -> pd.DataFrame:
    """``customers`` (id in the first column) with a ``group`` column: target or control."""
    control = control_mask(customers.iloc[:, 0].astype(str), share, salt)
    out = customers.copy()
    out.insert(1, "group", np.where(control, "control", "target"))
    return out.reset_index(drop=True)
