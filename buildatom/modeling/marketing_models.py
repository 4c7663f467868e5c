"""Marketing mix regressions: objectives, exact sign-constrained fits, split.

LINEAR, RIDGE, LASSO and ELASTIC_NET minimise scikit-learn's objectives with
an unpenalised, unbounded intercept. Sign constraints become coefficient
bounds and a fit returns the exact constrained optimum.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import cast

import numpy as np
from numpy.typing import ArrayLike

from buildatom.modeling.constrained_solvers import (
    FloatArray,
    bounded_ridge_solve,
    box_elastic_net_solve,
)


class MarketingModelError(ValueError):
    """A model input, setting or constraint is outside its allowed range."""


class SolverConvergenceWarning(UserWarning):
    """A solver stopped before its optimality conditions held."""


class MarketingModelType(StrEnum):
    """Regression model of a marketing mix model."""

    RIDGE = "RIDGE"
    LASSO = "LASSO"
    LINEAR = "LINEAR"
    ELASTIC_NET = "ELASTIC_NET"


class ConstraintType(StrEnum):
    """Sign a coefficient is constrained to."""

    POSITIVE = "positive"
    NEGATIVE = "negative"


SQUARED_LOSS_MODELS = (MarketingModelType.LINEAR, MarketingModelType.RIDGE)

MODEL_CONFIG_KEYS: Mapping[MarketingModelType, frozenset[str]] = {
    MarketingModelType.LINEAR: frozenset({"fit_intercept"}),
    MarketingModelType.RIDGE: frozenset({"alpha", "fit_intercept"}),
    MarketingModelType.LASSO: frozenset({"alpha", "fit_intercept", "max_iter", "tol"}),
    MarketingModelType.ELASTIC_NET: frozenset(
        {"alpha", "l1_ratio", "fit_intercept", "max_iter", "tol"}
    ),
}
"""Settings each model type accepts in its ``model_configs`` entry."""


@dataclass(frozen=True)
class ModelConfig:
    """Effective settings of one model type.

    ``alpha`` is 0 for LINEAR and ``l1_ratio`` is 1 for LASSO and 0 for
    RIDGE, so every objective reads from the same fields. ``tol`` and
    ``max_iter`` bound the coordinate descent of LASSO and ELASTIC_NET:
    sweeps stop when no coefficient moves more than ``tol * max(1, |w|)``.
    """

    alpha: float = 1.0
    l1_ratio: float = 0.5
    fit_intercept: bool = True
    max_iter: int = 1000
    tol: float = 1e-10


@dataclass(frozen=True)
class FittedModel:
    """Coefficients and intercept of a fit, the objective value it reached,
    the solver's iteration count and whether its optimality check passed."""

    coef: FloatArray
    intercept: float
    objective_value: float
    iterations: int
    converged: bool = field(default=True)


def parse_model_type(value: MarketingModelType | str) -> MarketingModelType:
    """Return the ``MarketingModelType`` named by ``value``, or raise."""
    try:
        return MarketingModelType(value)
    except ValueError:
        allowed = ", ".join(kind.value for kind in MarketingModelType)
        raise MarketingModelError(
            f"model_type must be one of {allowed}, got {value!r}"
        ) from None


def _config_number(
    name: str, value: object, model: MarketingModelType, low: float, high: float
) -> float:
    label = f"model_configs.{model.value}.{name}"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MarketingModelError(f"{label} must be a number, got {value!r}")
    if not (math.isfinite(value) and low <= value <= high):
        raise MarketingModelError(f"{label} must be in [{low}, {high}], got {value!r}")
    return float(value)


def resolve_model_config(
    model_type: MarketingModelType | str,
    config: Mapping[str, object] | None = None,
) -> ModelConfig:
    """Merge a model's user settings into scikit-learn's defaults.

    Defaults: RIDGE ``alpha=1.0``; LASSO ``alpha=1.0``; ELASTIC_NET
    ``alpha=1.0, l1_ratio=0.5``; all ``fit_intercept=True``.

    Raises
    ------
    MarketingModelError
        An unknown key for the model type (see ``MODEL_CONFIG_KEYS``) or a
        value out of range: ``alpha >= 0``, ``0 <= l1_ratio <= 1``,
        ``max_iter >= 1``, ``0 < tol <= 1``, ``fit_intercept`` a bool.
    """
    model = parse_model_type(model_type)
    given = dict(config or {})
    unknown = sorted(set(given) - MODEL_CONFIG_KEYS[model])
    if unknown:
        raise MarketingModelError(
            f"model_configs.{model.value} has unknown setting(s) {unknown}; "
            f"allowed are {sorted(MODEL_CONFIG_KEYS[model])}"
        )

    fit_intercept = given.get("fit_intercept", True)
    if not isinstance(fit_intercept, bool):
        raise MarketingModelError(
            f"model_configs.{model.value}.fit_intercept must be true or false, "
            f"got {fit_intercept!r}"
        )
    alpha = _config_number("alpha", given.get("alpha", 1.0), model, 0.0, math.inf)
    l1_ratio = _config_number("l1_ratio", given.get("l1_ratio", 0.5), model, 0, 1)
    tol = _config_number("tol", given.get("tol", 1e-10), model, 1e-300, 1.0)
    max_iter = given.get("max_iter", 1000)
    if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter < 1:
        raise MarketingModelError(
            f"model_configs.{model.value}.max_iter must be an integer >= 1, "
            f"got {max_iter!r}"
        )

    if model is MarketingModelType.LINEAR:
        alpha, l1_ratio = 0.0, 0.0
    elif model is MarketingModelType.RIDGE:
        l1_ratio = 0.0
    elif model is MarketingModelType.LASSO:
        l1_ratio = 1.0
    return ModelConfig(alpha, l1_ratio, fit_intercept, max_iter, tol)


def sign_constraint_bounds(
    feature_names: Sequence[str],
    constraints: Mapping[str, ConstraintType | str],
) -> tuple[FloatArray, FloatArray]:
    """Per-coefficient bounds from sign constraints.

    ``positive`` gives ``[0, inf)``, ``negative`` gives ``(-inf, 0]``, an
    unconstrained feature ``(-inf, inf)``.

    Raises
    ------
    MarketingModelError
        A constraint names no feature, or its type is unknown.
    """
    lower = np.full(len(feature_names), -np.inf)
    upper = np.full(len(feature_names), np.inf)
    position = {name: index for index, name in enumerate(feature_names)}
    for name, kind in constraints.items():
        if name not in position:
            raise MarketingModelError(
                f"variable_constraints names {name!r}, which is not a model "
                f"variable; variables are {list(feature_names)}"
            )
        try:
            sign = ConstraintType(kind)
        except ValueError:
            raise MarketingModelError(
                f"constraint_type for {name!r} must be positive or negative, "
                f"got {kind!r}"
            ) from None
        if sign is ConstraintType.POSITIVE:
            lower[position[name]] = 0.0
        else:
            upper[position[name]] = 0.0
    return lower, upper


def as_design(X: ArrayLike, y: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """``X`` as a finite 2-D and ``y`` as a finite 1-D float array, or raise."""
    design = np.asarray(X, dtype=np.float64)
    target = np.asarray(y, dtype=np.float64)
    if design.ndim != 2 or target.ndim != 1 or design.shape[0] != target.size:
        raise MarketingModelError(
            f"X must be 2-D and y 1-D with as many rows, got X of shape "
            f"{design.shape} and y of shape {target.shape}"
        )
    if target.size == 0:
        raise MarketingModelError("X and y must hold at least 1 row, got 0")
    if not (np.isfinite(design).all() and np.isfinite(target).all()):
        raise MarketingModelError("X and y must hold finite numbers only")
    return design, target


def as_bounds(
    lower: ArrayLike | None, upper: ArrayLike | None, n_features: int
) -> tuple[FloatArray, FloatArray]:
    """Coefficient bounds as arrays, ``-inf``/``inf`` where none, or raise."""
    low = np.full(n_features, -np.inf) if lower is None else np.asarray(lower, float)
    high = np.full(n_features, np.inf) if upper is None else np.asarray(upper, float)
    if low.shape != (n_features,) or high.shape != (n_features,):
        raise MarketingModelError(
            f"lower and upper must have shape ({n_features},), got {low.shape} "
            f"and {high.shape}"
        )
    invalid = np.isnan(low) | np.isnan(high) | (low > high)
    invalid |= (low == np.inf) | (high == -np.inf)
    if invalid.any():
        index = int(np.flatnonzero(invalid)[0])
        raise MarketingModelError(
            f"bounds of coefficient {index} must satisfy lower <= upper with "
            f"lower < inf and upper > -inf, got [{low[index]}, {high[index]}]"
        )
    return low, high


@dataclass(frozen=True)
class LeastSquaresProblem:
    """Summaries of ``(X, y)`` that every model type is solved from.

    With ``X_c``/``y_c`` the column-centred data (uncentred without an
    intercept) and ``[X_c, y_c] = Q [[R, d], [0, rho]]`` the thin QR
    factorisation of the data with the target appended: ``gram`` is
    ``X_c^T X_c``, ``moment`` is ``X_c^T y_c``, ``root`` is ``R``,
    ``rotated_target`` is ``d = Q_1^T y_c`` and ``residual_floor`` is
    ``rho^2``, so that ``||y_c - X_c w||^2 = ||R w - d||^2 + rho^2``. Build
    once per (rows, y) and solve every model type from it.
    """

    n_samples: int
    fit_intercept: bool
    x_mean: FloatArray
    y_mean: float
    gram: FloatArray
    moment: FloatArray
    root: FloatArray
    rotated_target: FloatArray
    residual_floor: float

    @classmethod
    def from_data(
        cls, X: ArrayLike, y: ArrayLike, fit_intercept: bool = True
    ) -> LeastSquaresProblem:
        """Centre (when fitting an intercept), factorise and summarise."""
        design, target = as_design(X, y)
        x_mean = design.mean(axis=0) if fit_intercept else np.zeros(design.shape[1])
        y_mean = float(target.mean()) if fit_intercept else 0.0
        centred = np.column_stack([design - x_mean, target - y_mean])
        n_features = design.shape[1]

        factor = cast(FloatArray, np.linalg.qr(centred, mode="r"))
        rank_rows = min(len(factor), n_features)
        root = factor[:rank_rows, :n_features]
        rotated = factor[:rank_rows, n_features]
        floor = factor[n_features, n_features] ** 2 if len(factor) > n_features else 0
        cross = centred.T @ centred
        return cls(
            n_samples=target.size,
            fit_intercept=fit_intercept,
            x_mean=x_mean,
            y_mean=y_mean,
            gram=cross[:n_features, :n_features],
            moment=cross[:n_features, n_features],
            root=root,
            rotated_target=rotated,
            residual_floor=float(floor),
        )

    def residual_sum_of_squares(self, coef: FloatArray) -> float:
        """``||y_c - X_c w||^2`` from the factorisation."""
        gap = self.root @ coef - self.rotated_target
        return float(gap @ gap) + self.residual_floor


def _penalised(
    rss: float,
    coef: FloatArray,
    n_samples: int,
    model: MarketingModelType,
    config: ModelConfig,
) -> float:
    squares = float(coef @ coef)
    if model in SQUARED_LOSS_MODELS:
        return rss + config.alpha * squares
    l1 = config.alpha * config.l1_ratio * float(np.abs(coef).sum())
    l2 = 0.5 * config.alpha * (1.0 - config.l1_ratio) * squares
    return rss / (2.0 * n_samples) + l1 + l2


def objective_value(
    X: ArrayLike,
    y: ArrayLike,
    coef: ArrayLike,
    intercept: float,
    model_type: MarketingModelType | str,
    config: Mapping[str, object] | None = None,
) -> float:
    """The objective a model type minimises, as scikit-learn defines it.

    With ``r = y - X w - b`` and ``n`` rows:

    - LINEAR: ``||r||^2``
    - RIDGE: ``||r||^2 + alpha ||w||^2``
    - LASSO: ``||r||^2 / (2 n) + alpha ||w||_1``
    - ELASTIC_NET: ``||r||^2 / (2 n) + alpha l1_ratio ||w||_1
      + alpha (1 - l1_ratio) ||w||^2 / 2``
    """
    model = parse_model_type(model_type)
    settings = resolve_model_config(model, config)
    design, target = as_design(X, y)
    weights = np.asarray(coef, dtype=np.float64)

    residual = target - design @ weights - intercept
    return _penalised(float(residual @ residual), weights, target.size, model, settings)


def solve_marketing_model(
    problem: LeastSquaresProblem,
    model_type: MarketingModelType | str,
    lower: ArrayLike | None = None,
    upper: ArrayLike | None = None,
    config: Mapping[str, object] | None = None,
) -> FittedModel:
    """Exact optimum of a model's objective within coefficient bounds.

    LINEAR and RIDGE: bounded-variable least squares on the centred,
    ridge-augmented system (``bounded_ridge_solve``). LASSO and ELASTIC_NET:
    coordinate descent with per-coordinate clipping, finished exactly on the
    final sign and bound pattern and checked against the optimality
    conditions (``box_elastic_net_solve``).
    The intercept, ``mean(y) - mean(X) w``, is neither penalised nor bounded.
    Every bound holds exactly; a solver that stops early warns with
    ``SolverConvergenceWarning`` and returns a feasible point.
    """
    model = parse_model_type(model_type)
    settings = resolve_model_config(model, config)
    if settings.fit_intercept != problem.fit_intercept:
        raise MarketingModelError(
            f"model_configs.{model.value}.fit_intercept is "
            f"{settings.fit_intercept} but the problem was built with "
            f"fit_intercept={problem.fit_intercept}"
        )
    low, high = as_bounds(lower, upper, problem.x_mean.size)

    if model in SQUARED_LOSS_MODELS:
        result = bounded_ridge_solve(
            problem.root, problem.rotated_target, settings.alpha, low, high
        )
    else:
        ridge_part = settings.alpha * (1.0 - settings.l1_ratio)
        hessian = problem.gram / problem.n_samples
        hessian = hessian + ridge_part * np.eye(problem.x_mean.size)
        result = box_elastic_net_solve(
            hessian,
            problem.moment / problem.n_samples,
            settings.alpha * settings.l1_ratio,
            low,
            high,
            tol=settings.tol,
            max_iter=settings.max_iter,
        )
    if not result.converged:
        warnings.warn(
            f"{model.value} solver stopped after {result.iterations} "
            "iteration(s) before its optimality conditions held",
            SolverConvergenceWarning,
            stacklevel=2,
        )

    coef = result.coef
    intercept = problem.y_mean - float(problem.x_mean @ coef)
    rss = problem.residual_sum_of_squares(coef)
    objective = _penalised(rss, coef, problem.n_samples, model, settings)
    return FittedModel(coef, intercept, objective, result.iterations, result.converged)


def fit_marketing_model(
    X: ArrayLike,
    y: ArrayLike,
    model_type: MarketingModelType | str,
    lower: ArrayLike | None = None,
    upper: ArrayLike | None = None,
    config: Mapping[str, object] | None = None,
) -> FittedModel:
    """Fit one model type on ``(X, y)``; see ``solve_marketing_model``.

    To fit several model types on the same rows and target, build one
    ``LeastSquaresProblem`` and call ``solve_marketing_model`` for each.
    """
    settings = resolve_model_config(model_type, config)
    problem = LeastSquaresProblem.from_data(X, y, settings.fit_intercept)
    return solve_marketing_model(problem, model_type, lower, upper, config)
