"""SegmentModel: K-means segmentation as a scikit-learn estimator.

``fit`` prepares the features (standardise, one-hot, optional log1p), chooses k when asked, runs
K-means with k-means++ and restarts, and numbers the segments canonically: largest first, ties
broken by centroid coordinates. So seeds, thread counts and row order never renumber segments.

Fits run on the distinct prepared rows weighted by how many customers share them
(``kmeans``); labels and distances are still given for every customer.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from numbers import Integral
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin, _fit_context
from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.validation import check_is_fitted, validate_data

from .cores import one_thread
from .errors import ConfigError, DataError, param_error
from .kmeans import (
    Distinct,
    KMeansFit,
    Weighted,
    assign,
    distinct_rows,
    fit_kmeans,
    fit_restarts,
    segment_order,
)
from .prep import Preparer
from .select_k import STABILITY_KS, KSelection, check_k_fits, k_range, sweep
from .silhouette import moved_sums, silhouette_of, silhouettes
from .stability import DEFAULT_RUNS, STABILITY_SAMPLE, Bootstrap
from .structure import Structure, check_structure
from .timings import stage

STRUCTURE_SAMPLE = 1000  # customers the structure check starts from
RESTART_SAMPLE = 5_000  # customers the k-means++ restarts run on (kmeans.fit_restarts)

MAX_K = 50
MIN_SAMPLE = 100

# custseg's wording of each constraint in ``SegmentModel._parameter_constraints``, for the one
# message template of ``errors.param_error`` (scikit-learn's own names the class and spells
# intervals as "an int in the range [2, inf)", which reads worse on a command line).
_ALLOWED = {
    "k": f"an int in [2, {MAX_K}] or 'auto'",
    "k_min": "an int >= 2",
    "k_max": "an int >= 2",
    "n_init": "an int >= 1",
    "max_iter": "an int >= 1",
    "seed": "a non-negative int",
    "log1p": "'none', 'auto' or a list of column names",
    "fit_sample": f"an int >= {MIN_SAMPLE}",
    "silhouette_sample": f"an int >= {MIN_SAMPLE}",
    "stability_runs": "an int >= 0 (0 turns stability off)",
    "stability_ks": " or ".join(f"'{name}'" for name in STABILITY_KS),
}


def _frame_from(model: SegmentModel, X: Any, *, reset: bool) -> pd.DataFrame:
    """Validate ``X`` the scikit-learn way and return it as a frame with the training names."""
    if isinstance(X, pd.DataFrame) and not all(
        pd.api.types.is_numeric_dtype(X[c]) and not pd.api.types.is_bool_dtype(X[c])
        for c in X.columns
    ):
        # Mixed numeric/categorical frame: scikit-learn's validator would coerce everything to
        # float, so we keep the columns and check names ourselves.
        columns = [str(c) for c in X.columns]
        if reset:
            model.feature_names_in_ = np.asarray(columns, dtype=object)
            model.n_features_in_ = len(columns)
        if len(X) == 0:
            raise DataError("no customers to segment (0 rows); pass a table with rows")
        return X.reset_index(drop=True)
    array = validate_data(model, X, reset=reset, dtype="numeric", ensure_min_samples=1)
    names = getattr(model, "feature_names_in_", None)
    columns = [str(n) for n in names] if names is not None else [
        f"x{i}" for i in range(array.shape[1])]
    return pd.DataFrame(np.asarray(array, dtype=np.float64), columns=columns)


@dataclass(frozen=True)
class FitPlan:
    """What ``SegmentModel.plan`` decided before any fit on every row."""

    prepared: np.ndarray  # every customer's prepared row, in the order of X
    data: Distinct  # the same rows as distinct rows with counts
    k: int
    fit_rows: Weighted  # where fits settle (every distinct row, or a sample)
    silhouette_rows: Weighted
    swept: KMeansFit | None  # the k sweep's best fit at k (None when k was given)
    bootstrap: Bootstrap | None  # the stability resamples (None when stability is off)
    restart_rows: Weighted  # where k-means++ restarts run: a sample of fit_rows (or all)


class SegmentModel(ClusterMixin, TransformerMixin, BaseEstimator):
    """K-means customer segmentation with k chosen from the data and canonical segment ids.

    Parameters
    ----------
    k : int or "auto"
        Number of segments; "auto" picks one in [k_min, k_max] by the rule in ``select_k``.
    k_min, k_max : int
        Range searched when ``k="auto"``.
    n_init : int
        k-means++ restarts; the best (lowest inertia) run is kept.
    max_iter : int
        Most Lloyd iterations of each restart and of the polish on all rows.
    seed : int
        Random seed; the same data and seed always give the same segments.
    log1p : "none", "auto" or list of column names
        Which numeric columns to log1p before standardising ("auto": skewed ones). Every name
        must be a numeric feature; for one column pass a one-element list.
    fit_sample : int
        Fits run on distinct rows weighted by their counts. Above this many distinct rows, the
        restarts run on an order-free sample of this many customers and the best solution is
        polished with Lloyd iterations on every distinct row.
    silhouette_sample : int
        Customers sampled for silhouette (quadratic cost in distinct rows) when there are more
        distinct rows than this; otherwise the silhouette is exact.
    stability_runs : int
        Bootstrap refits judging every segment's stability (``stability``; 0 turns it off).
    stability_ks : "contenders" or "all"
        The ks of a sweep stability judges: those the rule can choose and those shown beside
        the choice, or every k (slower; ``select_k.sweep``).

    Attributes beyond scikit-learn's: ``stability_`` (each segment's mean bootstrap Jaccard, or
    None), ``structure_`` (``structure.Structure``: natural groups or a continuum),
    ``k_selection_``, ``silhouette_``, ``segment_sizes_``.
    """

    def __init__(
        self, k: int | str = "auto", *, k_min: int = 2, k_max: int = 10, n_init: int = 10,
        max_iter: int = 300, seed: int = 0, log1p: str | list[str] = "none",
        fit_sample: int = 20_000, silhouette_sample: int = 10_000,
        stability_runs: int = DEFAULT_RUNS, stability_ks: str = "contenders",
    ) -> None:
        self.k = k
        self.k_min = k_min
        self.k_max = k_max
        self.n_init = n_init
        self.max_iter = max_iter
        self.seed = seed
        self.log1p = log1p
        self.fit_sample = fit_sample
        self.silhouette_sample = silhouette_sample
        self.stability_runs = stability_runs
        self.stability_ks = stability_ks

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "k": [Interval(Integral, 2, MAX_K, closed="both"), StrOptions({"auto"})],
        "k_min": [Interval(Integral, 2, None, closed="left")],
        "k_max": [Interval(Integral, 2, None, closed="left")],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "seed": [Interval(Integral, 0, None, closed="left")],
        "log1p": [StrOptions({"none", "auto"}), list, tuple],
        "fit_sample": [Interval(Integral, MIN_SAMPLE, None, closed="left")],
        "silhouette_sample": [Interval(Integral, MIN_SAMPLE, None, closed="left")],
        "stability_runs": [Interval(Integral, 0, None, closed="left")],
        "stability_ks": [StrOptions(set(STABILITY_KS))],
    }

    def check_params(self) -> None:
        """Every parameter against ``_parameter_constraints``, then the ones that depend on
        each other; a :class:`ConfigError` in custseg's one-line wording on the first bad one."""
        params = self.get_params(deep=False)
        for name, constraints in self._parameter_constraints.items():
            value = params[name]
            try:
                # True is an Integral to Python, but k=True is a mistake, not k=1.
                if isinstance(value, bool):
                    raise InvalidParameterError(f"{name} is a bool")
                validate_parameter_constraints({name: constraints}, {name: value},
                                               caller_name=type(self).__name__)
            except InvalidParameterError as exc:
                error = param_error(name, _ALLOWED[name], value)
                if name == "log1p" and isinstance(value, str):
                    # A bare column name would otherwise be read as a list of its letters.
                    error = ConfigError(f"{str(error)[:-1]}; for one column pass [{value!r}].")
                raise error from exc
        if self.k_max < self.k_min:
            raise param_error("k_max", f"an int >= k_min ({self.k_min})", self.k_max)
        if not isinstance(self.log1p, str) and not all(isinstance(c, str) for c in self.log1p):
            raise param_error("log1p", _ALLOWED["log1p"] + " (strings)", self.log1p)

    def _validate_params(self) -> None:
        # What scikit-learn's ``_fit_context`` calls: the same checks, custseg's messages.
        self.check_params()

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any = None,
            on_progress: Callable[[str], None] | None = None) -> SegmentModel:
        """Prepare ``X``, choose k if asked, fit K-means and number segments canonically."""
        self.fit_steps(X, on_progress)
        return self

    def fit_steps(self, X: Any, on_progress: Callable[[str], None] | None = None) -> FitPlan:
        """``fit`` as its three steps below; returns the plan (its ``prepared`` matrix is what
        the local engine hands to profiling, so nothing prepares the data twice)."""
        plan = self.plan(X, on_progress)
        best = self.refine(plan)
        self.finish(plan, best.centers, best.n_iter)
        return plan

    # An engine fits in three public steps: ``plan`` (everything decided on a driver-side
    # sample: preparation, k, stability resamples), its own full-data fit from the plan (the
    # local engine's is ``refine``), and ``finish`` (canonical ids, silhouette, stability).
    def plan(self, X: Any, on_progress: Callable[[str], None] | None = None) -> FitPlan:
        """Validate ``X``, fit the preparation and choose k; nothing is fitted on every row."""
        self.check_params()
        frame = _frame_from(self, X, reset=True)
        numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])
                   and not pd.api.types.is_bool_dtype(frame[c])]
        categorical = [c for c in frame.columns if c not in numeric]
        if frame[numeric].isna().any().any() or frame[categorical].isna().any().any():
            raise DataError("Input X contains NaN; impute or drop missing values before fitting "
                            "(custseg.segment does this with missing='impute')")
        with stage("prepare"):
            self.preparer_ = Preparer.fit(frame, numeric, categorical, log1p=self.log1p)
            prepared = self.preparer_.transform(frame)
            data = distinct_rows(prepared, int(self.seed))
            bootstrap = self._resamples(data)
        n_rows, n_distinct = data.n_rows, len(data.X)
        self.k_selection_: KSelection | None = None
        self.sweep_fits_: dict[int, KMeansFit] = {}  # every k's fit (k alternatives)
        swept: KMeansFit | None = None
        if self.k == "auto":
            ks = k_range(self.k_min, min(self.k_max, MAX_K), n_rows, n_distinct)
            with stage("prepare"):
                fit_rows, sil_rows, restart_rows = self._samples(data, max(ks))
            with stage("sweep"):
                self.k_selection_, fits = sweep(
                    fit_rows, sil_rows, ks, int(self.seed), self.n_init, self.max_iter,
                    on_k=(lambda k: on_progress(f"k={k}")) if on_progress else None,
                    bootstrap=bootstrap, restart_rows=restart_rows, stability_ks=self.stability_ks)
            k = self.k_selection_.recommended
            swept, self.sweep_fits_ = fits[k], fits
        else:
            k = int(self.k)
            check_k_fits(k, n_rows, n_distinct)
            with stage("prepare"):
                fit_rows, sil_rows, restart_rows = self._samples(data, k)
        return FitPlan(prepared, data, k, fit_rows, sil_rows, swept, bootstrap, restart_rows)

    def refine(self, plan: FitPlan) -> KMeansFit:
        """The local full-data fit: the best restart on the restart sample settled on the fit
        sample (the sweep's fit, when k was chosen), polished by weighted Lloyd iterations on
        every distinct row."""
        seed = int(self.seed)
        with stage("fit"):
            best = plan.swept or fit_restarts(plan.restart_rows, plan.fit_rows, plan.k, seed,
                                              self.n_init, self.max_iter)
            return self._polish(plan.data, best, plan.fit_rows, plan.k, seed)

    def finish(self, plan: FitPlan, centers: np.ndarray, n_iter: int) -> SegmentModel:
        """Number the segments of ``centers`` canonically, label every customer, and measure
        the silhouette, each segment's stability and the data's structure."""
        with stage("fit"):
            self._set_canonical(centers, plan.data)
            self.n_iter_ = int(n_iter)
            self.silhouette_ = self._silhouette(centers, plan.silhouette_rows, plan.swept)
        with stage("stability"):
            self._judge(plan.data, plan.bootstrap)
        return self

    def _resamples(self, data: Distinct) -> Bootstrap | None:
        """The bootstrap resamples every k is judged on (None when ``stability_runs`` is 0):
        drawn from an order-free sample of ``STABILITY_SAMPLE`` customers of ``data``."""
        if not self.stability_runs:
            return None
        rows = data.sample(STABILITY_SAMPLE)
        return Bootstrap(rows.X, rows.weight, int(self.stability_runs), int(self.seed))

    def _judge(self, data: Distinct, bootstrap: Bootstrap | None) -> None:
        """Set ``stability_`` of the fitted segments and ``structure_`` of the customers."""
        self.stability_: np.ndarray | None = None
        self.stability_customers_ = 0  # customers the resamples were drawn from
        if bootstrap is not None:
            self.stability_ = bootstrap.judge(self.cluster_centers_)
            self.stability_customers_ = bootstrap.customers
        rows = data.sample(STRUCTURE_SAMPLE)
        with one_thread():  # small products: threads only add start-up (see cores)
            self.structure_: Structure = check_structure(rows.X, rows.weight, int(self.seed))

    def _silhouette(self, centers: np.ndarray, rows: Weighted, swept: KMeansFit | None) -> float:
        """Silhouette of the segments of ``centers`` on the silhouette rows. After a k sweep
        this updates the sweep's distance sums at that k for the rows the final fit moved
        (``silhouette.moved_sums``): exact, and without a second quadratic pass over 10,000
        rows. The final centres descend from the swept ones, so segment ids correspond."""
        labels = assign(rows.X, centers)[0]
        if swept is not None and swept.silhouette_sums is not None:
            before = assign(rows.X, swept.centers)[0]
            sums = moved_sums(rows.X, rows.weight, swept.silhouette_sums, before, labels)
            if sums is not None:
                return silhouette_of(labels, sums, rows.weight)
        return silhouettes(rows.X, [labels], rows.weight)[0]

    def _samples(self, data: Distinct, k_max: int) -> tuple[Weighted, Weighted, Weighted]:
        """Rows for the fits, for silhouettes and for the k-means++ restarts: every distinct row
        when there are at most ``fit_sample`` (``silhouette_sample``, ``RESTART_SAMPLE``) of
        them, else order-free samples of customers. The fit and restart samples hold at least
        ``k_max`` distinct rows; the restart sample is a subset of the fit sample."""
        restart_size = min(RESTART_SAMPLE, int(self.fit_sample))
        return (data.sample(int(self.fit_sample), at_least=k_max),
                data.sample(int(self.silhouette_sample)),
                data.sample(restart_size, at_least=k_max))

    def _polish(self, data: Distinct, fit: KMeansFit, rows: Weighted, k: int,
                seed: int) -> KMeansFit:
        """A fit on the sample ``rows`` polished by weighted Lloyd iterations on every distinct
        row (so on every customer)."""
        if len(rows.X) == len(data.X):
            return fit  # the sample was every distinct row with its full count
        return fit_kmeans(data.everything(), k, seed, init=fit.centers,
                          max_iter=int(self.max_iter))

    def _set_canonical(self, centers: np.ndarray, data: Distinct) -> np.ndarray:
        """Number segments canonically and label every customer; returns the canonical label
        of each distinct row."""
        k = len(centers)
        # Labels are the nearest centre, exactly what predict() and scoring compute, so scoring
        # the training data always reproduces the training assignments. Identical customers
        # get identical labels, so each distinct row is assigned once.
        labels, distances = assign(data.X, centers)
        sizes = np.bincount(labels, weights=data.counts, minlength=k).astype(np.int64)
        order = segment_order(centers, sizes)
        rank = np.empty(k, dtype=np.int64)
        rank[order] = np.arange(k)
        self.cluster_centers_ = centers[order]
        self.labels_ = rank[labels][data.inverse]
        self.n_clusters_ = k
        self.segment_sizes_ = sizes[order]
        self.inertia_ = float((data.counts * distances**2).sum())
        return rank[labels]

    def named(self, names: list[str]) -> SegmentModel:
        """A copy of this fitted model whose segments carry ``names`` (segment_names_)."""
        model = copy.copy(self)
        model.segment_names_ = list(names)
        return model

    def reorder(self, order: list[int]) -> None:
        """Renumber segments: new id ``i`` is the segment at position ``order[i]`` (alignment)."""
        order_array = np.asarray(order)
        rank = np.empty_like(order_array)
        rank[order_array] = np.arange(len(order_array))
        self.cluster_centers_ = self.cluster_centers_[order_array]
        self.segment_sizes_ = self.segment_sizes_[order_array]
        stability = getattr(self, "stability_", None)
        if stability is not None:
            self.stability_ = stability[order_array]
        self.labels_ = rank[self.labels_]

    def _prepared(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "cluster_centers_")
        return self.preparer_.transform(_frame_from(self, X, reset=False))

    def assign_frame(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Segment ids and distances for a customer table, tolerant the way scoring needs.

        Unlike ``predict`` (strict scikit-learn validation), extra columns are ignored, missing
        values take the training median/mode and unseen category levels only warn. Missing
        feature columns are a :class:`DataError` naming them.
        """
        check_is_fitted(self, "cluster_centers_")
        return assign(self.preparer_.transform(frame.reset_index(drop=True)),
                      self.cluster_centers_)

    def predict(self, X: Any) -> np.ndarray:
        """Segment id of each row: its nearest centroid."""
        return assign(self._prepared(X), self.cluster_centers_)[0]

    def transform(self, X: Any) -> np.ndarray:
        """Distance from each row to every centroid, as in ``sklearn.cluster.KMeans``."""
        diff = self._prepared(X)[:, None, :] - self.cluster_centers_[None, :, :]
        return np.sqrt((diff**2).sum(axis=2))

    def fit_predict(self, X: Any, y: Any = None, **kwargs: Any) -> np.ndarray:
        return self.fit(X).labels_

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        return tags
