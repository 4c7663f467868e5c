"""Exact sign-constrained fits against independent references."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.optimize import lsq_linear, minimize
from sklearn.linear_model import ElasticNet, Lasso, LinearRegression, Ridge

from buildatom.modeling.constrained_solvers import box_elastic_net_kkt_violation
from buildatom.modeling.marketing_models import (
    LeastSquaresProblem,
    MarketingModelError,
    MarketingModelType,
    SolverConvergenceWarning,
    fit_marketing_model,
    objective_value,
    resolve_model_config,
    sign_constraint_bounds,
    solve_marketing_model,
)

INF = np.inf
SIGN_BOUNDS = (
    np.array([0.0, 0.0, -INF, 0.0, -INF, -INF]),
    np.array([INF, INF, 0.0, INF, INF, 0.0]),
)


def penalty(model_type, alpha: float) -> dict[str, float] | None:
    """``alpha`` as a model config, none for LINEAR (which has no penalty)."""
    return None if model_type == "LINEAR" else {"alpha": alpha}


def make_data(seed: int, rows: int = 400, correlated: bool = True):
    """Features with a correlated pair, true signs that fight the bounds."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 6)) * np.array([1.0, 2.0, 0.5, 1.0, 3.0, 1.0])
    if correlated:
        X[:, 1] += 1.5 * X[:, 0]
    coef = np.array([1.2, -0.8, 0.6, 0.0, -0.3, 0.4])
    y = 5.0 + X @ coef + rng.normal(scale=1.0, size=rows)
    return X, y


def reference_box_least_squares(X, y, alpha, lower, upper):
    """Bounded ridge by trust-region reflective on the full augmented system."""
    x_mean, y_mean = X.mean(axis=0), y.mean()
    system = np.vstack([X - x_mean, np.sqrt(alpha) * np.eye(X.shape[1])])
    rhs = np.concatenate([y - y_mean, np.zeros(X.shape[1])])
    solution = lsq_linear(
        system, rhs, bounds=(lower, upper), method="trf", tol=1e-15, max_iter=10_000
    )
    return solution.x, y_mean - x_mean @ solution.x


def reference_box_elastic_net(X, y, alpha, l1_ratio, lower, upper):
    """Split ``w = w_plus - w_minus`` into non-negative parts, with the
    intercept as a free variable, and minimise the smooth objective by
    L-BFGS-B on raw (uncentred) data."""
    rows, features = X.shape
    l1, l2 = alpha * l1_ratio, alpha * (1.0 - l1_ratio)

    def objective(theta):
        plus, minus, intercept = theta[:features], theta[features:-1], theta[-1]
        w = plus - minus
        residual = y - X @ w - intercept
        value = residual @ residual / (2 * rows) + l1 * (plus + minus).sum()
        value += 0.5 * l2 * w @ w
        grad_w = -X.T @ residual / rows + l2 * w
        gradient = np.concatenate([grad_w + l1, -grad_w + l1, [-residual.sum() / rows]])
        return value, gradient

    bounds = [(max(lo, 0.0), max(hi, 0.0)) for lo, hi in zip(lower, upper, strict=True)]
    bounds += [
        (max(-hi, 0.0), max(-lo, 0.0)) for lo, hi in zip(lower, upper, strict=True)
    ]
    bounds += [(None, None)]
    bounds = [(lo, None if hi == INF else hi) for lo, hi in bounds]
    start = np.zeros(2 * features + 1)
    result = minimize(
        objective,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"ftol": 1e-16, "gtol": 1e-12, "maxiter": 50_000, "maxcor": 30},
    )
    w = result.x[:features] - result.x[features:-1]
    return w, result.x[-1], result.fun


@pytest.mark.parametrize(
    ("model_type", "config", "reference"),
    [
        ("LINEAR", None, LinearRegression()),
        ("RIDGE", None, Ridge(alpha=1.0)),
        ("RIDGE", {"alpha": 37.5}, Ridge(alpha=37.5)),
        ("LASSO", {"alpha": 0.05}, Lasso(alpha=0.05, tol=1e-10, max_iter=100_000)),
        (
            "ELASTIC_NET",
            {"alpha": 0.1, "l1_ratio": 0.3},
            ElasticNet(alpha=0.1, l1_ratio=0.3, tol=1e-10, max_iter=100_000),
        ),
        (
            "RIDGE",
            {"fit_intercept": False},
            Ridge(alpha=1.0, fit_intercept=False),
        ),
        (
            "LASSO",
            {"alpha": 0.05, "fit_intercept": False},
            Lasso(alpha=0.05, fit_intercept=False, tol=1e-10, max_iter=100_000),
        ),
    ],
    ids=[
        "linear",
        "ridge",
        "ridge-alpha",
        "lasso",
        "elastic-net",
        "ridge-no-intercept",
        "lasso-no-intercept",
    ],
)
def test_unconstrained_fit_matches_scikit_learn(model_type, config, reference):
    X, y = make_data(1)
    reference.fit(X, y)

    fitted = fit_marketing_model(X, y, model_type, config=config)

    np.testing.assert_allclose(fitted.coef, reference.coef_, rtol=0, atol=1e-6)
    assert fitted.intercept == pytest.approx(reference.intercept_, abs=1e-6)
    assert fitted.converged


@pytest.mark.parametrize("seed", [2, 3, 4], ids=lambda s: f"seed={s}")
@pytest.mark.parametrize(
    ("model_type", "alpha"),
    [("LINEAR", 0.0), ("RIDGE", 1.0), ("RIDGE", 250.0)],
    ids=["linear", "ridge", "ridge-strong"],
)
def test_bounded_least_squares_matches_trust_region_reference(model_type, alpha, seed):
    X, y = make_data(seed)
    lower, upper = SIGN_BOUNDS
    config = None if model_type == "LINEAR" else {"alpha": alpha}
    expected_coef, expected_intercept = reference_box_least_squares(
        X, y, alpha, lower, upper
    )

    fitted = fit_marketing_model(X, y, model_type, lower, upper, config)

    np.testing.assert_allclose(fitted.coef, expected_coef, rtol=0, atol=1e-6)
    assert fitted.intercept == pytest.approx(expected_intercept, abs=1e-6)


@pytest.mark.parametrize("seed", [5, 6, 7], ids=lambda s: f"seed={s}")
@pytest.mark.parametrize(
    ("model_type", "config"),
    [
        ("LASSO", {"alpha": 0.02}),
        ("LASSO", {"alpha": 0.3}),
        ("ELASTIC_NET", {"alpha": 0.05, "l1_ratio": 0.5}),
        ("ELASTIC_NET", {"alpha": 0.5, "l1_ratio": 0.9}),
    ],
    ids=["lasso-light", "lasso-heavy", "enet-light", "enet-heavy"],
)
def test_bounded_l1_models_match_split_variable_reference(model_type, config, seed):
    X, y = make_data(seed)
    lower, upper = SIGN_BOUNDS
    settings = resolve_model_config(model_type, config)
    coef, intercept, value = reference_box_elastic_net(
        X, y, settings.alpha, settings.l1_ratio, lower, upper
    )

    fitted = fit_marketing_model(X, y, model_type, lower, upper, config)

    assert fitted.objective_value == pytest.approx(value, rel=1e-6)
    assert fitted.objective_value <= value * (1 + 1e-12)
    np.testing.assert_allclose(fitted.coef, coef, rtol=0, atol=1e-4)
    assert fitted.intercept == pytest.approx(intercept, abs=1e-4)


def test_bounded_l1_fit_meets_optimality_conditions():
    X, y = make_data(8)
    lower, upper = SIGN_BOUNDS
    problem = LeastSquaresProblem.from_data(X, y)

    fitted = solve_marketing_model(
        problem, "ELASTIC_NET", lower, upper, {"alpha": 0.1, "l1_ratio": 0.7}
    )

    hessian = problem.gram / len(y) + 0.1 * 0.3 * np.eye(6)
    violation = box_elastic_net_kkt_violation(
        hessian, problem.moment / len(y), 0.07, lower, upper, fitted.coef
    )
    assert violation < 1e-9
    assert fitted.converged


@pytest.mark.parametrize("seed", range(6), ids=lambda s: f"seed={s}")
@pytest.mark.parametrize("model_type", list(MarketingModelType), ids=str)
def test_every_bound_holds_exactly(model_type, seed):
    X, y = make_data(seed, rows=120)
    y = y - 40.0 * X[:, 0] + 25.0 * X[:, 2]
    lower, upper = SIGN_BOUNDS

    fitted = fit_marketing_model(
        X, y, model_type, lower, upper, penalty(model_type, 0.01)
    )

    assert np.all(fitted.coef >= lower)
    assert np.all(fitted.coef <= upper)
    assert fitted.coef[0] == 0.0
    assert fitted.coef[2] == 0.0


@pytest.mark.parametrize("model_type", list(MarketingModelType), ids=str)
def test_general_and_equal_bounds_hold(model_type):
    X, y = make_data(9)
    lower = np.array([0.2, -INF, 0.1, -1.0, 0.05, -INF])
    upper = np.array([0.5, INF, 0.1, 1.0, INF, INF])

    fitted = fit_marketing_model(
        X, y, model_type, lower, upper, penalty(model_type, 0.01)
    )

    assert np.all((fitted.coef >= lower) & (fitted.coef <= upper))
    assert fitted.coef[2] == 0.1


@pytest.mark.parametrize("model_type", list(MarketingModelType), ids=str)
def test_reported_objective_equals_objective_on_data(model_type):
    X, y = make_data(10)
    config = penalty(model_type, 0.2)

    fitted = fit_marketing_model(X, y, model_type, *SIGN_BOUNDS, config)

    recomputed = objective_value(
        X, y, fitted.coef, fitted.intercept, model_type, config
    )
    assert fitted.objective_value == pytest.approx(recomputed, rel=1e-10)


def test_objective_value_follows_scikit_learn_definitions():
    X, y = make_data(11, rows=50)
    coef, intercept = np.linspace(-1.0, 1.0, 6), 2.0
    residual = y - X @ coef - intercept
    rss, l1, l2 = residual @ residual, np.abs(coef).sum(), coef @ coef
    config = {"alpha": 0.4}

    assert objective_value(X, y, coef, intercept, "LINEAR") == pytest.approx(rss)
    assert objective_value(X, y, coef, intercept, "RIDGE", config) == pytest.approx(
        rss + 0.4 * l2
    )
    assert objective_value(X, y, coef, intercept, "LASSO", config) == pytest.approx(
        rss / 100 + 0.4 * l1
    )
    assert objective_value(
        X, y, coef, intercept, "ELASTIC_NET", config
    ) == pytest.approx(rss / 100 + 0.2 * l1 + 0.1 * l2)


def test_solving_from_one_problem_equals_separate_fits():
    X, y = make_data(12)
    problem = LeastSquaresProblem.from_data(X, y)

    for model_type in MarketingModelType:
        shared = solve_marketing_model(problem, model_type, *SIGN_BOUNDS)
        alone = fit_marketing_model(X, y, model_type, *SIGN_BOUNDS)
        np.testing.assert_array_equal(shared.coef, alone.coef)


@pytest.mark.parametrize("seed", range(8), ids=lambda s: f"seed={s}")
@pytest.mark.parametrize("model_type", list(MarketingModelType), ids=str)
def test_more_features_than_rows_still_meets_bounds_and_optimality(model_type, seed):
    X, y = make_data(100 + seed, rows=5)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fitted = fit_marketing_model(
            X, y, model_type, *SIGN_BOUNDS, penalty(model_type, 0.01)
        )

    assert np.all((fitted.coef >= SIGN_BOUNDS[0]) & (fitted.coef <= SIGN_BOUNDS[1]))
    assert fitted.converged


@pytest.mark.parametrize("model_type", list(MarketingModelType), ids=str)
def test_constant_feature_gets_zero_coefficient(model_type):
    X, y = make_data(14)
    X[:, 3] = 7.0

    fitted = fit_marketing_model(X, y, model_type, config=penalty(model_type, 0.01))

    assert fitted.coef[3] == pytest.approx(0.0, abs=1e-12)


def test_early_stop_warns_and_stays_feasible():
    X, y = make_data(15, rows=300)
    X[:, 1] = X[:, 0] + 1e-3 * X[:, 1]

    with pytest.warns(SolverConvergenceWarning, match=r"LASSO solver stopped after 1"):
        fitted = fit_marketing_model(
            X, y, "LASSO", *SIGN_BOUNDS, {"alpha": 1e-4, "max_iter": 1}
        )

    assert not fitted.converged
    assert np.all((fitted.coef >= SIGN_BOUNDS[0]) & (fitted.coef <= SIGN_BOUNDS[1]))


def test_resolve_model_config_defaults_follow_scikit_learn():
    assert resolve_model_config("RIDGE").alpha == 1.0
    assert resolve_model_config("LASSO").alpha == 1.0
    assert resolve_model_config("LASSO").l1_ratio == 1.0
    assert resolve_model_config("ELASTIC_NET").l1_ratio == 0.5
    assert resolve_model_config("LINEAR").alpha == 0.0
    assert resolve_model_config("LINEAR").fit_intercept is True


@pytest.mark.parametrize(
    ("model_type", "config", "message"),
    [
        ("RIDGE", {"l1_ratio": 0.5}, r"model_configs.RIDGE has unknown setting"),
        ("LINEAR", {"alpha": 1.0}, r"model_configs.LINEAR has unknown setting"),
        (
            "LASSO",
            {"alpha": -1.0},
            r"model_configs.LASSO.alpha must be in \[0.0, inf\]",
        ),
        ("ELASTIC_NET", {"l1_ratio": 1.5}, r"ELASTIC_NET.l1_ratio must be in \[0, 1\]"),
        ("RIDGE", {"alpha": "big"}, r"RIDGE.alpha must be a number, got 'big'"),
        ("RIDGE", {"fit_intercept": 1}, r"fit_intercept must be true or false, got 1"),
        ("LASSO", {"max_iter": 0}, r"LASSO.max_iter must be an integer >= 1, got 0"),
        ("SVR", None, r"model_type must be one of RIDGE, LASSO, LINEAR, ELASTIC_NET"),
    ],
    ids=[
        "ridge-l1",
        "linear-alpha",
        "alpha",
        "l1-ratio",
        "text",
        "intercept",
        "max-iter",
        "type",
    ],
)
def test_resolve_model_config_rejects(model_type, config, message):
    with pytest.raises(MarketingModelError, match=message):
        resolve_model_config(model_type, config)


def test_sign_constraint_bounds_from_constraints():
    lower, upper = sign_constraint_bounds(
        ["TV_Spend_transformed", "Price", "Holiday_Flag"],
        {"TV_Spend_transformed": "positive", "Price": "negative"},
    )

    np.testing.assert_array_equal(lower, [0.0, -INF, -INF])
    np.testing.assert_array_equal(upper, [INF, 0.0, INF])


@pytest.mark.parametrize(
    ("constraints", "message"),
    [
        ({"Radio": "positive"}, r"variable_constraints names 'Radio', which is not"),
        ({"Price": "up"}, r"constraint_type for 'Price' must be positive or negative"),
    ],
    ids=["unknown-variable", "unknown-type"],
)
def test_sign_constraint_bounds_rejects(constraints, message):
    with pytest.raises(MarketingModelError, match=message):
        sign_constraint_bounds(["Price"], constraints)


@pytest.mark.parametrize(
    ("lower", "upper", "message"),
    [
        (np.zeros(5), None, r"lower and upper must have shape \(6,\)"),
        (np.ones(6), np.zeros(6), r"bounds of coefficient 0 must satisfy lower <="),
        (np.full(6, np.nan), None, r"bounds of coefficient 0 must satisfy"),
        (np.full(6, INF), None, r"lower < inf and upper > -inf, got \[inf, inf\]"),
    ],
    ids=["shape", "crossed", "nan", "infinite-lower"],
)
def test_fit_rejects_bounds(lower, upper, message):
    X, y = make_data(16, rows=20)

    with pytest.raises(MarketingModelError, match=message):
        fit_marketing_model(X, y, "RIDGE", lower, upper)


@pytest.mark.parametrize(
    ("X", "y", "message"),
    [
        (np.ones((5, 2)), np.ones(4), r"X must be 2-D and y 1-D with as many rows"),
        (np.ones(5), np.ones(5), r"got X of shape \(5,\)"),
        (np.ones((0, 2)), np.ones(0), r"must hold at least 1 row, got 0"),
        (np.full((3, 2), np.nan), np.ones(3), r"X and y must hold finite numbers"),
    ],
    ids=["rows", "1-d", "empty", "nan"],
)
def test_fit_rejects_data(X, y, message):
    with pytest.raises(MarketingModelError, match=message):
        fit_marketing_model(X, y, "LINEAR")


def test_solve_rejects_intercept_mismatch():
    X, y = make_data(17, rows=20)
    problem = LeastSquaresProblem.from_data(X, y, fit_intercept=True)

    with pytest.raises(MarketingModelError, match=r"fit_intercept is False but"):
        solve_marketing_model(problem, "RIDGE", config={"fit_intercept": False})


def correlated_media(seed: int):
    """Min-max scaled media driven by one common factor, y in revenue units."""
    rng = np.random.default_rng(seed)
    common = rng.gamma(2.0, 1.0, size=(600, 1))
    X = np.clip(common + rng.normal(scale=0.01, size=(600, 5)), 0.0, None)
    X = (X - X.min(axis=0)) / (X.max(axis=0) - X.min(axis=0))
    y = 1e5 + X @ rng.normal(scale=1e4, size=5) + rng.normal(scale=1e3, size=600)
    return X, y


def reference_non_negative_by_enumeration(X, y, alpha, l1_ratio):
    """Exact optimum for ``w >= 0`` by trying every support: on ``w >= 0`` the
    L1 term is linear, so the optimum is the stationary point of the
    quadratic on its own support, and the best feasible one wins."""
    rows, features = X.shape
    centred_x, centred_y = X - X.mean(axis=0), y - y.mean()
    hessian = centred_x.T @ centred_x / rows + alpha * (1 - l1_ratio) * np.eye(features)
    linear = centred_x.T @ centred_y / rows - alpha * l1_ratio
    best, best_value = None, np.inf
    for mask in range(2**features):
        support = [j for j in range(features) if mask >> j & 1]
        coef = np.zeros(features)
        if support:
            block = hessian[np.ix_(support, support)]
            coef[support] = np.linalg.solve(block, linear[support])
        if coef.min() < 0.0:
            continue
        value = 0.5 * coef @ hessian @ coef - linear @ coef
        if value < best_value:
            best, best_value = coef, value
    return best


@pytest.mark.parametrize("seed", [0, 1, 2], ids=lambda s: f"seed={s}")
@pytest.mark.parametrize(
    ("model_type", "config"),
    [("LASSO", None), ("ELASTIC_NET", {"alpha": 10.0, "l1_ratio": 0.8})],
    ids=["lasso", "enet"],
)
def test_non_negative_l1_fit_on_strongly_correlated_media(model_type, config, seed):
    X, y = correlated_media(seed)
    lower, upper = np.zeros(5), np.full(5, INF)
    settings = resolve_model_config(model_type, config)
    expected = reference_non_negative_by_enumeration(
        X, y, settings.alpha, settings.l1_ratio
    )
    expected_value = objective_value(
        X, y, expected, y.mean() - X.mean(axis=0) @ expected, model_type, config
    )

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fitted = fit_marketing_model(X, y, model_type, lower, upper, config)

    assert fitted.converged
    assert fitted.iterations < 100
    assert fitted.objective_value == pytest.approx(expected_value, rel=1e-9)
    np.testing.assert_allclose(fitted.coef, expected, rtol=0, atol=1e-6 * 3e4)


@pytest.mark.parametrize("model_type", ["LASSO", "ELASTIC_NET"], ids=str)
def test_l1_fit_on_duplicated_column_converges(model_type):
    X, y = make_data(19, rows=200)
    X[:, 1] = 2.0 * X[:, 0]

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fitted = fit_marketing_model(X, y, model_type, *SIGN_BOUNDS, {"alpha": 1e-6})

    assert fitted.converged
    assert np.all((fitted.coef >= SIGN_BOUNDS[0]) & (fitted.coef <= SIGN_BOUNDS[1]))
