"""SegmentOptions: every choice a segmentation run takes, validated once, then read-only.

The API (``segment(source, **options)``), the command line and the web app all build one of
these, so a bad value gets the same one-line error wherever it comes from, and it fails before
any file is read.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from .dialect import ReadOptions
from .errors import ConfigError, param_error
from .model import SegmentModel
from .prep import MISSING_POLICIES
from .roles import check_role
from .stability import DEFAULT_RUNS

ENGINES = ("local", "spark")


@dataclass(frozen=True)
class SegmentOptions:
    """How to read the input, what to cluster and how; see ``pipeline.segment`` for each."""

    # What the input is and how to read it
    transactions: bool = False
    customer_col: str | None = None
    date_col: str | None = None
    amount_col: str | None = None
    quantity_col: str | None = None
    price_col: str | None = None
    order_col: str | None = None
    product_col: str | None = None
    as_of: str | dt.date | None = None
    date_format: str | None = None
    id_col: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    decimal: str | None = None
    sheet: str | None = None
    header_row: int | None = None
    # What to cluster
    features: tuple[str, ...] | None = None
    missing: str = "impute"
    log1p: str | tuple[str, ...] | None = None
    roles: Mapping[str, str] = field(default_factory=dict)
    # The model
    k: int | str = "auto"
    k_min: int = 2
    k_max: int = 10
    seed: int = 0
    n_init: int = 10
    max_iter: int = 300
    stability_runs: int = DEFAULT_RUNS
    stability_ks: str = "contenders"  # with k="auto": the ks stability judges (SegmentModel)
    align_to: str | os.PathLike[str] | SegmentModel | None = None
    # Where it runs
    engine: str = "local"
    spark_master: str | None = None
    spark_conf: Mapping[str, str] = field(default_factory=dict)
    # How the report writes money: a code (EUR) or a sign (€); None: detected from the amounts
    # when they were written with a sign, else none.
    currency: str | None = None

    def __post_init__(self) -> None:
        # Lists become tuples so that nothing can change the options after validation.
        if self.features is not None:
            object.__setattr__(self, "features", tuple(self.features))
        if self.log1p is not None and not isinstance(self.log1p, str):
            object.__setattr__(self, "log1p", tuple(self.log1p))
        object.__setattr__(self, "roles", MappingProxyType(dict(self.roles or {})))
        object.__setattr__(self, "spark_conf", MappingProxyType(dict(self.spark_conf or {})))
        self.read_options()  # a bad encoding, delimiter, decimal or header row fails here
        if self.engine not in ENGINES:
            raise param_error("engine", "'local' or 'spark'", self.engine)
        if self.engine != "spark" and (self.spark_master or self.spark_conf):
            raise ConfigError("spark_master and spark_conf need engine='spark'")
        if self.missing not in MISSING_POLICIES:
            raise param_error("missing", "one of 'impute', 'drop', 'error'", self.missing)
        if not self.transactions:
            given = [f"{role}_col" for role, column in self.history_columns().items() if column]
            given += [name for name in ("as_of", "date_format") if getattr(self, name)]
            if given:
                raise ConfigError(f"{', '.join(given)}: apply only to purchase histories; "
                                  "pass transactions=True")
        if self.currency is not None:
            object.__setattr__(self, "currency", check_currency(self.currency))
        for column, role in self.roles.items():
            check_role(role, column)  # an unknown role fails now; unknown columns after reading
        self.model().check_params()  # bad k, seed, ... fail before a large file is read

    def read_options(self) -> ReadOptions:
        return ReadOptions(encoding=self.encoding, delimiter=self.delimiter,
                           decimal=self.decimal, sheet=self.sheet, header_row=self.header_row)

    def feature_list(self) -> list[str] | None:
        """The feature columns asked for, or None (choose them from the data)."""
        return list(self.features) if self.features else None

    def history_columns(self) -> dict[str, str | None]:
        """The purchase-history columns named by the user, by role (None: detect)."""
        return {"customer": self.customer_col, "date": self.date_col,
                "amount": self.amount_col, "quantity": self.quantity_col,
                "price": self.price_col, "order": self.order_col, "product": self.product_col}

    def model(self, log1p: str | list[str] | None = None) -> SegmentModel:
        """An unfitted model with these parameters; ``log1p`` overrides the option (purchase
        histories get their default once their features are known)."""
        chosen = log1p if log1p is not None else self.log1p
        return SegmentModel(k=self.k, k_min=self.k_min, k_max=self.k_max, seed=self.seed,
                            n_init=self.n_init, max_iter=self.max_iter,
                            stability_runs=self.stability_runs,
                            stability_ks=self.stability_ks,
                            log1p=_log1p_param(chosen))


def check_currency(text: str) -> str:
    """A currency as the report writes it: a code of letters (EUR, CHF) or a sign (€, US$),
    up to five characters without digits or spaces; else ConfigError."""
    value = str(text).strip()
    if not value or len(value) > 5 or any(ch.isdigit() or ch.isspace() for ch in value):
        raise param_error("currency", "a currency code or sign such as EUR, GBP, € or £", text)
    return value


def _log1p_param(value: str | tuple[str, ...] | list[str] | None) -> str | list[str]:
    if value is None:
        return "none"
    return value if isinstance(value, str) else list(value)
