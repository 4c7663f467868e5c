"""Regression models: their configuration and batched solvers.

`model_spec` validates a model's options against scikit-learn's defaults, and
`fit_coefficients` fits one model on many prepared least-squares problems at
once (every fold of every combination), with the scikit-learn objectives.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from buildatom.modeling.constrained_solvers import bounded_ridge_solve
from buildatom.modeling.coordinate_descent import (
    minimize_penalized_quadratic,
    solve_linear_systems,
)
from buildatom.modeling.design import DesignMatrix

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
Bound = tuple[float | None, float | None]

# scipy.linalg.lstsq cut-off used by scikit-learn's LinearRegression (tol=1e-6):
# singular values below this fraction of the largest count as zero.
_LSTSQ_CUTOFF = 1e-6


class ModelConfigError(ValueError):
    """A model or training option is unknown or has a value not allowed."""


class ModelName(StrEnum):
    """The regression models that can be trained."""

    LINEAR = "linear"
    RIDGE = "ridge"
    LASSO = "lasso"
    ELASTIC_NET = "elastic_net"
    CONSTRAINED_RIDGE = "custom_constrained_ridge"


@dataclass(frozen=True)
class ModelSpec:
    """A model with every option resolved.

    ``alpha`` and ``l1_ratio`` describe the penalty of every model: linear has
    ``alpha = 0``, ridge and constrained ridge ``l1_ratio = 0``, lasso
    ``l1_ratio = 1``. ``bounds`` maps a feature to raw-units ``(low, high)``.

    ``max_iter`` caps the coordinate-descent sweeps (lasso, elastic net,
    bounded constrained ridge). Descent hands over to an exact solve of the
    active set once that meets the optimality (KKT) conditions, which is the
    usual end; ``tol`` only decides when it does not, as scikit-learn's
    first stopping test: no coefficient moved by more than ``tol·max|w|``.
    Constrained ridge gives descent 100 sweeps and finishes any problem they
    leave without a certified optimum by bounded-variable least squares.
    """

    name: ModelName
    alpha: float = 0.0
    l1_ratio: float = 0.0
    fit_intercept: bool = True
    max_iter: int = 1000
    tol: float = 1e-4
    bounds: Mapping[str, Bound] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class LeastSquaresProblems:
    """A batch of centred least-squares problems over the same feature count.

    Attributes
    ----------
    X : ndarray of shape (b, n, p)
        Features, centred on the training rows when fitting an intercept, with
        every row outside the training set set to zero.
    y : ndarray of shape (b, n)
        Target, treated the same way.
    gram : ndarray of shape (b, p, p)
        ``XᵀX``.
    moment : ndarray of shape (b, p)
        ``Xᵀy``.
    n_rows : ndarray of shape (b,)
        Number of training rows.
    """

    X: FloatArray
    y: FloatArray
    gram: FloatArray
    moment: FloatArray
    n_rows: FloatArray


class CoefficientFit(NamedTuple):
    """The coefficients of a batch of fits, shape (b, p), and per fit whether
    the solver met its stopping test (false only for a lasso or elastic net
    that ran out of ``max_iter`` sweeps, whose coefficients are then the last
    iterate, as scikit-learn's with its ``ConvergenceWarning``)."""

    coef: FloatArray
    converged: BoolArray


_DEFAULTS: dict[ModelName, dict[str, object]] = {
    ModelName.LINEAR: {"fit_intercept": True},
    ModelName.RIDGE: {"alpha": 1.0, "fit_intercept": True},
    ModelName.LASSO: {
        "alpha": 1.0,
        "fit_intercept": True,
        "max_iter": 1000,
        "tol": 1e-4,
    },
    ModelName.ELASTIC_NET: {
        "alpha": 1.0,
        "l1_ratio": 0.5,
        "fit_intercept": True,
        "max_iter": 1000,
        "tol": 1e-4,
    },
    ModelName.CONSTRAINED_RIDGE: {"alpha": 1.0, "fit_intercept": True, "bounds": {}},
}
_FIXED: dict[ModelName, dict[str, object]] = {
    ModelName.LASSO: {"l1_ratio": 1.0},
    ModelName.CONSTRAINED_RIDGE: {"max_iter": 100, "tol": 1e-12},
}


def model_spec(name: str, config: Mapping[str, object] | None = None) -> ModelSpec:
    """Resolve a model's options, starting from scikit-learn's defaults.

    Parameters
    ----------
    name : str
        One of `ModelName`.
    config : mapping, optional
        Options overriding the defaults. Allowed keys: ``linear``:
        fit_intercept; ``ridge``: alpha (1.0), fit_intercept (true);
        ``lasso``: alpha, fit_intercept, max_iter (1000), tol (1e-4);
        ``elastic_net``: those and l1_ratio (0.5);
        ``custom_constrained_ridge``: alpha, fit_intercept and bounds, a map
        of feature to ``[low, high]`` on its raw-units coefficient, with
        ``None`` for no bound.

    Returns
    -------
    ModelSpec

    Raises
    ------
    ModelConfigError
        Unknown model or key, or a value of the wrong type or out of range;
        the message names the model, the key, the value and what is allowed.
    """
    try:
        model = ModelName(name)
    except ValueError:
        allowed = ", ".join(member.value for member in ModelName)
        raise ModelConfigError(f"unknown model {name!r}; allowed: {allowed}") from None

    if config is not None and not isinstance(config, Mapping):
        raise ModelConfigError(
            f"model {model.value!r}: the configuration must be a map of option "
            f"to value, got {config!r}"
        )
    options = dict(_DEFAULTS[model])
    for key, value in (config or {}).items():
        if key not in options:
            allowed = ", ".join(options)
            raise ModelConfigError(
                f"model {model.value!r}: unknown key {key!r}; allowed keys: {allowed}"
            )
        options[key] = _VALIDATORS[key](model, key, value)

    options.update(_FIXED.get(model, {}))
    return ModelSpec(name=model, **options)  # type: ignore[arg-type]


def coefficient_bounds(
    spec: ModelSpec, design: DesignMatrix
) -> tuple[FloatArray, FloatArray]:
    """Raw-units lower and upper bounds on each feature's coefficient.

    Parameters
    ----------
    spec : ModelSpec
        Its ``bounds`` are keyed by feature name (``Price``,
        ``Channel=walmart``) or by a text x variable, which bounds each of its
        one-hot features.
    design : DesignMatrix
        The features the bounds apply to.

    Returns
    -------
    lower, upper : ndarray of shape (p,)
        ``-inf`` / ``inf`` where unbounded.

    Raises
    ------
    ModelConfigError
        A key that is neither a feature, an x variable, nor a one-hot level
        of one (a bound on a variable dropped from, or a level absent in, this
        combination is ignored).
    """
    names = design.feature_names
    lower = np.full(len(names), -np.inf)
    upper = np.full(len(names), np.inf)
    # bounds on a whole text variable first, so a bound on one level wins
    for key, (low, high) in sorted(spec.bounds.items(), key=lambda i: i[0] in names):
        if key in names:
            columns = [names.index(key)]
        else:
            columns = [j for j, src in enumerate(design.source_columns) if src == key]
        known = key.partition("=")[0] in design.x_variables
        if not columns and not known:
            raise ModelConfigError(
                f"model {spec.name.value!r}: bounds key {key!r} is not a "
                f"feature; features: {names}"
            )
        for j in columns:
            lower[j] = -np.inf if low is None else low
            upper[j] = np.inf if high is None else high
    return lower, upper


def fit_coefficients(
    spec: ModelSpec,
    problems: LeastSquaresProblems,
    lower: FloatArray | None = None,
    upper: FloatArray | None = None,
) -> CoefficientFit:
    """Fit the coefficients of one model on every problem of a batch.

    Parameters
    ----------
    spec : ModelSpec
    problems : LeastSquaresProblems
        Centred (when fitting an intercept) training data of each problem.
    lower, upper : ndarray of shape (b, p), optional
        Bounds on the fitted coefficients (constrained ridge only).

    Returns
    -------
    CoefficientFit
        Coefficients ``w`` of shape (b, p) minimising, with ``n`` training
        rows:

        - linear: ``‖y − Xw‖²``, minimum-norm ``w`` when ``X`` is rank
          deficient (singular values below 1e-6 of the largest are dropped, as
          ``scipy.linalg.lstsq`` in scikit-learn's ``LinearRegression``);
        - ridge: ``‖y − Xw‖² + α‖w‖²``;
        - lasso and elastic net: ``(1/2n)‖y − Xw‖² + α·ρ‖w‖₁ +
          ½α(1 − ρ)‖w‖²`` with ``ρ = l1_ratio``;
        - constrained ridge: the ridge objective subject to
          ``lower ≤ w ≤ upper``, solved exactly: batched descent with an
          active-set finish checked by the KKT conditions, and
          bounded-variable least squares on the ridge-augmented system
          (`bounded_ridge_solve`) for any problem that check does not pass.

        Without bounds, ``α = 0`` makes every model the linear one.
        ``converged`` says per fit whether the solver met its stopping test.
    """
    alpha = spec.alpha
    if (
        lower is not None
        and upper is not None
        and not (np.isinf(lower).all() and np.isinf(upper).all())
    ):
        return _bounded_ridge(spec, problems, lower, upper)

    closed_form = np.ones(len(problems.moment), dtype=bool)
    if spec.name is ModelName.LINEAR or alpha == 0.0:
        coef = _minimum_norm_least_squares(problems.X, problems.y)
        return CoefficientFit(coef, closed_form)
    if spec.name in (ModelName.RIDGE, ModelName.CONSTRAINED_RIDGE):
        coef = _ridge_solution(problems.gram, problems.moment, alpha)
        return CoefficientFit(coef, closed_form)

    n_rows = problems.n_rows[:, None, None]
    ridge_part = alpha * (1.0 - spec.l1_ratio)
    hessian = problems.gram / n_rows + ridge_part * np.eye(problems.gram.shape[-1])
    batch = minimize_penalized_quadratic(
        hessian,
        problems.moment / problems.n_rows[:, None],
        alpha * spec.l1_ratio,
        max_sweeps=spec.max_iter,
        tol=spec.tol,
    )
    return CoefficientFit(batch.coef, batch.converged)


def _bounded_ridge(
    spec: ModelSpec,
    problems: LeastSquaresProblems,
    lower: FloatArray,
    upper: FloatArray,
) -> CoefficientFit:
    hessian = problems.gram + spec.alpha * np.eye(problems.gram.shape[-1])
    batch = minimize_penalized_quadratic(
        hessian,
        problems.moment,
        0.0,
        lower,
        upper,
        max_sweeps=spec.max_iter,
        tol=spec.tol,
    )
    converged = batch.exact.copy()
    for i in np.flatnonzero(~batch.exact):
        exact = bounded_ridge_solve(
            problems.X[i], problems.y[i], spec.alpha, lower[i], upper[i]
        )
        batch.coef[i], converged[i] = exact.coef, exact.converged
    return CoefficientFit(batch.coef, converged)


def _minimum_norm_least_squares(X: FloatArray, y: FloatArray) -> FloatArray:
    """``w = V Σ⁺ Uᵀ y`` from the thin SVD ``X = U Σ Vᵀ`` of each problem."""
    U, singular, Vt = np.linalg.svd(X, full_matrices=False)
    cutoff = _LSTSQ_CUTOFF * singular[:, :1]
    kept = singular > cutoff
    inverse = np.where(kept, 1.0 / np.where(kept, singular, 1.0), 0.0)
    projected = np.einsum("bnk,bn->bk", U, y) * inverse
    return np.asarray(np.einsum("bkp,bk->bp", Vt, projected), dtype=np.float64)


def _ridge_solution(gram: FloatArray, moment: FloatArray, alpha: float) -> FloatArray:
    """Solve ``(XᵀX + αI) w = Xᵀy`` for each problem."""
    system = gram + alpha * np.eye(gram.shape[-1])
    return solve_linear_systems(system, moment)


def _real(low: float, high: float) -> Callable[[ModelName, str, object], float]:
    """Validator for a finite real number in ``[low, high]``."""

    def check(model: ModelName, key: str, value: object) -> float:
        if isinstance(value, Real) and not isinstance(value, bool):
            number = float(value)
            if math.isfinite(number) and low <= number <= high:
                return number
        raise ModelConfigError(
            f"model {model.value!r}: {key!r} must be a number in "
            f"[{low}, {high}], got {value!r}"
        )

    return check


def _flag(model: ModelName, key: str, value: object) -> bool:
    """Validator for a boolean."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    raise ModelConfigError(
        f"model {model.value!r}: {key!r} must be true or false, got {value!r}"
    )


def _iteration_limit(model: ModelName, key: str, value: object) -> int:
    """Validator for a positive whole number."""
    if isinstance(value, Integral) and not isinstance(value, bool) and int(value) >= 1:
        return int(value)
    raise ModelConfigError(
        f"model {model.value!r}: {key!r} must be a whole number >= 1, got {value!r}"
    )


def _bounds(model: ModelName, key: str, value: object) -> dict[str, Bound]:
    """Validator for ``{feature: [low | None, high | None]}`` with low ≤ high."""
    if not isinstance(value, Mapping):
        raise ModelConfigError(
            f"model {model.value!r}: {key!r} must map feature names to "
            f"[low, high], got {value!r}"
        )
    resolved: dict[str, Bound] = {}
    for feature, pair in value.items():
        where = f"model {model.value!r}: {key}[{feature!r}]"
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise ModelConfigError(f"{where} must be [low, high], got {pair!r}")
        low, high = (_bound_value(where, item) for item in pair)
        if low is not None and high is not None and low > high:
            raise ModelConfigError(f"{where} has low {low} above high {high}")
        resolved[str(feature)] = (low, high)
    return resolved


def _bound_value(where: str, item: object) -> float | None:
    """One end of a bound: a finite number or None."""
    if item is None:
        return None
    if isinstance(item, Real) and not isinstance(item, bool) and math.isfinite(item):
        return float(item)
    raise ModelConfigError(f"{where} ends must be finite numbers or null, got {item!r}")


_VALIDATORS: dict[str, Callable[[ModelName, str, object], object]] = {
    "alpha": _real(0.0, math.inf),
    "l1_ratio": _real(0.0, 1.0),
    "fit_intercept": _flag,
    "max_iter": _iteration_limit,
    "tol": _real(0.0, math.inf),
    "bounds": _bounds,
}
