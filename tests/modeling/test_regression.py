"""Model options and solvers against scikit-learn and scipy references."""

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import lsq_linear, minimize
from sklearn.exceptions import ConvergenceWarning as SklearnConvergenceWarning
from sklearn.linear_model import ElasticNet, Lasso, LinearRegression, Ridge

from buildatom.modeling.coordinate_descent import minimize_penalized_quadratic
from buildatom.modeling.design import build_design_matrix
from buildatom.modeling.regression import (
    LeastSquaresProblems,
    ModelConfigError,
    ModelName,
    coefficient_bounds,
    fit_coefficients,
    model_spec,
)

CLOSED_FORM_RTOL = 1e-6
ITERATIVE_RTOL = 1e-4

SKLEARN_MODELS = {
    "linear": LinearRegression,
    "ridge": Ridge,
    "lasso": Lasso,
    "elastic_net": ElasticNet,
}


def least_squares_problems(
    X: np.ndarray, y: np.ndarray, fit_intercept: bool = True
) -> LeastSquaresProblems:
    """One problem, centred like scikit-learn's ``_preprocess_data``."""
    if fit_intercept:
        X, y = X - X.mean(axis=0), y - y.mean()
    return LeastSquaresProblems(
        X=X[None],
        y=y[None],
        gram=(X.T @ X)[None],
        moment=(X.T @ y)[None],
        n_rows=np.array([float(X.shape[0])]),
    )


def assert_coefficients_close(actual, expected, rtol):
    """Relative to the largest coefficient, so exact zeros compare fine."""
    scale = np.abs(expected).max()
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale)


@pytest.fixture
def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(42)
    n = 80
    X = np.column_stack(
        [rng.uniform(2, 6, n), rng.normal(0, 1, n), rng.uniform(0, 1, n)]
    )
    X[:, 2] += 0.6 * X[:, 1]  # correlated features make descent work harder
    y = 40.0 - 6.0 * X[:, 0] + 2.0 * X[:, 1] + 0.3 * X[:, 2] + rng.normal(0, 1, n)
    return X, y


CONFIGURABLE = {
    "linear": ["fit_intercept"],
    "ridge": ["alpha", "fit_intercept"],
    "lasso": ["alpha", "fit_intercept", "max_iter", "tol"],
    "elastic_net": ["alpha", "l1_ratio", "fit_intercept", "max_iter", "tol"],
}


@pytest.mark.parametrize("name", list(SKLEARN_MODELS), ids=list(SKLEARN_MODELS))
def test_defaults_are_sklearn_defaults(name):
    spec = model_spec(name)
    reference = SKLEARN_MODELS[name]().get_params()

    for key in CONFIGURABLE[name]:
        assert getattr(spec, key) == reference[key], key


def test_config_overrides_defaults():
    spec = model_spec(
        "elastic_net",
        {"alpha": 0.1, "l1_ratio": 0.2, "fit_intercept": False, "max_iter": 50},
    )

    assert (spec.alpha, spec.l1_ratio, spec.fit_intercept, spec.max_iter) == (
        0.1,
        0.2,
        False,
        50,
    )
    assert spec.name is ModelName.ELASTIC_NET


@pytest.mark.parametrize(
    ("name", "config", "message"),
    [
        ("svm", None, "unknown model 'svm'; allowed: linear"),
        ("linear", {"alpha": 1.0}, "'linear': unknown key 'alpha'; allowed keys"),
        ("ridge", {"l1_ratio": 0.5}, "'ridge': unknown key 'l1_ratio'"),
        ("ridge", {"alpha": -1}, r"'alpha' must be a number in \[0.0, inf\], got -1"),
        ("lasso", {"alpha": "big"}, "'alpha' must be a number.*got 'big'"),
        ("lasso", {"alpha": True}, "'alpha' must be a number.*got True"),
        ("lasso", {"tol": float("nan")}, "'tol' must be a number"),
        ("elastic_net", {"l1_ratio": 1.5}, r"'l1_ratio' must be .*\[0.0, 1.0\]"),
        ("lasso", {"max_iter": 0}, "'max_iter' must be a whole number >= 1, got 0"),
        ("ridge", {"fit_intercept": "yes"}, "'fit_intercept' must be true or false"),
        (
            "custom_constrained_ridge",
            {"bounds": {"Price": [1.0]}},
            r"bounds\['Price'\] must be \[low, high\]",
        ),
        (
            "custom_constrained_ridge",
            {"bounds": {"Price": [2.0, 1.0]}},
            "low 2.0 above high 1.0",
        ),
        (
            "custom_constrained_ridge",
            {"bounds": {"Price": ["a", None]}},
            "ends must be finite numbers or null, got 'a'",
        ),
        ("custom_constrained_ridge", {"bounds": [1, 2]}, "must map feature names"),
        ("custom_constrained_ridge", {"constraints": []}, "unknown key 'constraints'"),
        ("ridge", [("alpha", 1.0)], "must be a map of option to value"),
    ],
    ids=[
        "unknown-model",
        "linear-alpha",
        "ridge-l1-ratio",
        "negative-alpha",
        "text-alpha",
        "boolean-alpha",
        "nan-tol",
        "l1-ratio-above-one",
        "zero-max-iter",
        "text-intercept",
        "short-bound",
        "crossed-bound",
        "text-bound",
        "bounds-not-a-map",
        "constraints-key",
        "config-not-a-map",
    ],
)
def test_bad_config_raises_model_config_error(name, config, message):
    with pytest.raises(ModelConfigError, match=message):
        model_spec(name, config)


@pytest.mark.parametrize("fit_intercept", [True, False], ids=["intercept", "origin"])
@pytest.mark.parametrize(
    ("name", "config", "reference"),
    [
        ("linear", {}, LinearRegression()),
        ("ridge", {"alpha": 2.5}, Ridge(alpha=2.5)),
        ("custom_constrained_ridge", {"alpha": 2.5}, Ridge(alpha=2.5)),
    ],
    ids=["linear", "ridge", "constrained-ridge-unbounded"],
)
def test_closed_form_models_match_sklearn(data, name, config, reference, fit_intercept):
    X, y = data
    spec = model_spec(name, {**config, "fit_intercept": fit_intercept})
    reference.set_params(fit_intercept=fit_intercept).fit(X, y)

    problems = least_squares_problems(X, y, fit_intercept)
    coefficients = fit_coefficients(spec, problems).coef

    assert_coefficients_close(coefficients[0], reference.coef_, CLOSED_FORM_RTOL)


@pytest.mark.parametrize(
    ("name", "config", "reference"),
    [
        ("lasso", {"alpha": 0.05}, Lasso(alpha=0.05)),
        ("lasso", {"alpha": 0.8}, Lasso(alpha=0.8)),
        (
            "lasso",
            {"alpha": 0.05, "fit_intercept": False},
            Lasso(alpha=0.05, fit_intercept=False),
        ),
        ("elastic_net", {"alpha": 0.1, "l1_ratio": 0.3}, ElasticNet(0.1, l1_ratio=0.3)),
        ("elastic_net", {"alpha": 2.0}, ElasticNet(alpha=2.0)),
    ],
    ids=[
        "lasso-small-alpha",
        "lasso-sparse",
        "lasso-origin",
        "elastic-net",
        "elastic-net-sparse",
    ],
)
def test_descent_models_match_sklearn(data, name, config, reference):
    X, y = data
    spec = model_spec(name, config)
    tight = reference.set_params(tol=1e-10, max_iter=100_000).fit(X, y)

    problems = least_squares_problems(X, y, spec.fit_intercept)
    coefficients = fit_coefficients(spec, problems).coef[0]

    assert_coefficients_close(coefficients, tight.coef_, ITERATIVE_RTOL)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SklearnConvergenceWarning)
        default = reference.set_params(tol=1e-4, max_iter=1000).fit(X, y)
    assert_coefficients_close(coefficients, default.coef_, 1e-3)


def test_linear_rank_deficient_gives_minimum_norm_solution(data):
    X, y = data
    X = np.column_stack([X, 2.0 * X[:, 0]])  # exact collinearity

    problems = least_squares_problems(X, y)
    coefficients = fit_coefficients(model_spec("linear"), problems).coef

    reference = LinearRegression().fit(X, y).coef_
    assert_coefficients_close(coefficients[0], reference, CLOSED_FORM_RTOL)
    centred = X - X.mean(axis=0)
    minimum_norm = np.linalg.pinv(centred) @ (y - y.mean())
    assert_coefficients_close(coefficients[0], minimum_norm, CLOSED_FORM_RTOL)


@pytest.mark.parametrize(
    "name",
    ["linear", "ridge", "lasso", "elastic_net", "custom_constrained_ridge"],
    ids=["linear", "ridge", "lasso", "elastic-net", "constrained-ridge"],
)
def test_all_zero_feature_gets_zero_coefficient(data, name):
    X, y = data
    X = np.column_stack([X, np.zeros(len(y))])

    problems = least_squares_problems(X, y)
    coefficients = fit_coefficients(model_spec(name), problems).coef

    assert coefficients[0, -1] == 0.0


def augmented_bounded_ridge(X, y, alpha, lower, upper):
    """Reference: bounded least squares on ``[Xc; √α I] w ≈ [yc; 0]``."""
    centred = X - X.mean(axis=0)
    A = np.vstack([centred, np.sqrt(alpha) * np.eye(X.shape[1])])
    b = np.concatenate([y - y.mean(), np.zeros(X.shape[1])])
    return lsq_linear(A, b, bounds=(lower, upper), method="bvls", tol=1e-14).x


def test_constrained_ridge_with_active_bounds_matches_bvls(data):
    X, y = data
    spec = model_spec("custom_constrained_ridge", {"alpha": 0.5})
    lower = np.array([-4.0, -np.inf, 0.5])
    upper = np.array([np.inf, 1.0, np.inf])

    coefficients = fit_coefficients(
        spec, least_squares_problems(X, y), lower[None], upper[None]
    ).coef[0]

    reference = augmented_bounded_ridge(X, y, 0.5, lower, upper)
    assert_coefficients_close(coefficients, reference, CLOSED_FORM_RTOL)
    assert coefficients[0] == -4.0 and coefficients[1] == 1.0
    assert np.all(coefficients >= lower) and np.all(coefficients <= upper)


def test_constrained_ridge_meets_the_kkt_conditions(data):
    X, y = data
    lower, upper = np.array([-5.0, 0.0, -1.0]), np.array([-4.5, 1.5, 0.0])
    problems = least_squares_problems(X, y)
    spec = model_spec("custom_constrained_ridge", {"alpha": 1.0})

    w = fit_coefficients(spec, problems, lower[None], upper[None]).coef[0]

    gradient = problems.gram[0] @ w + 1.0 * w - problems.moment[0]
    slack = 1e-8 * np.abs(problems.moment[0]).max()
    free = (w > lower) & (w < upper)
    assert np.all(np.abs(gradient[free]) <= slack)
    assert np.all(gradient[w == lower] >= -slack)
    assert np.all(gradient[w == upper] <= slack)


def test_constrained_ridge_is_exact_where_descent_cannot_certify_it():
    rng = np.random.default_rng(12)
    base = rng.normal(size=200)
    X = np.column_stack(
        [base, base + 1e-4 * rng.normal(size=200), rng.normal(size=200)]
    )
    y = 3.0 * X[:, 0] - 1.0 * X[:, 1] + X[:, 2] + rng.normal(0.0, 0.1, 200)
    # The optimum has the second coefficient on its bound, which descent
    # along two nearly collinear features approaches only very slowly.
    lower, upper = np.array([-np.inf, -0.5, 1.2]), np.full(3, np.inf)
    spec = model_spec("custom_constrained_ridge", {"alpha": 1e-6})
    problems = least_squares_problems(X, y)
    hessian = problems.gram + spec.alpha * np.eye(3)
    descent = minimize_penalized_quadratic(
        hessian,
        problems.moment,
        0.0,
        lower[None],
        upper[None],
        max_sweeps=spec.max_iter,
        tol=spec.tol,
    )
    assert not descent.exact[0]

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = fit_coefficients(spec, problems, lower[None], upper[None])

    reference = augmented_bounded_ridge(X, y, spec.alpha, lower, upper)
    w = fit.coef[0]
    assert_coefficients_close(w, reference, CLOSED_FORM_RTOL)
    assert w[1] == -0.5 and w[2] == 1.2
    assert fit.converged[0]


def test_penalized_quadratic_with_l1_and_bounds_beats_a_generic_optimizer():
    rng = np.random.default_rng(9)
    A = rng.normal(size=(30, 4))
    H, c = A.T @ A / 30 + 0.01 * np.eye(4), rng.normal(size=4)
    lam, lower, upper = 0.3, np.array([-1.0, 0.2, -np.inf, -0.5]), np.full(4, 0.8)

    def objective(w):
        return 0.5 * w @ H @ w - c @ w + lam * np.abs(w).sum()

    w = minimize_penalized_quadratic(
        H[None], c[None], lam, lower[None], upper[None]
    ).coef
    start = np.clip(np.zeros(4), lower, upper)
    generic = minimize(
        objective,
        start,
        method="Powell",
        bounds=list(zip(lower, upper, strict=True)),
        options={"xtol": 1e-12, "ftol": 1e-14},
    )

    assert objective(w[0]) <= generic.fun + 1e-10
    assert np.all(w[0] >= lower) and np.all(w[0] <= upper)


def test_batched_descent_equals_one_problem_at_a_time():
    rng = np.random.default_rng(4)
    A = rng.normal(size=(6, 40, 3))
    H = np.einsum("bni,bnj->bij", A, A) / 40
    c = rng.normal(size=(6, 3))
    lam = rng.uniform(0.0, 0.5, 6)

    together = minimize_penalized_quadratic(H, c, lam).coef

    for i in range(6):
        alone = minimize_penalized_quadratic(H[i : i + 1], c[i : i + 1], lam[i]).coef
        np.testing.assert_allclose(together[i], alone[0], rtol=1e-12, atol=1e-14)


def test_sweep_limit_leaves_the_problem_unconverged():
    H = np.array([[[1.0, 0.999], [0.999, 1.0]]])
    c = np.array([[1.0, -1.0]])

    batch = minimize_penalized_quadratic(H, c, 0.001, max_sweeps=1, tol=0.0)

    assert not batch.converged[0] and not batch.exact[0]


@pytest.mark.parametrize(
    ("config", "converged"),
    [({}, True), ({"alpha": 0.001, "max_iter": 1, "tol": 1e-12}, False)],
    ids=["defaults", "one-sweep"],
)
def test_lasso_reports_whether_it_converged(data, config, converged):
    X, y = data

    fit = fit_coefficients(model_spec("lasso", config), least_squares_problems(X, y))

    assert fit.converged.tolist() == [converged]


def test_bounds_resolve_levels_text_variables_and_dropped_variables():
    frame = pd.DataFrame(
        {
            "Region": ["a", "b", "c", "a", "b", "c"],
            "Price": [1.0, 2.0, 3.0, 4.0, 5.0, 7.0],
            "Pack": 6,
            "Volume": [9.0, 8.0, 7.0, 5.0, 4.0, 2.0],
        }
    )
    design = build_design_matrix(frame, ["Region", "Price", "Pack"], "Volume")
    spec = model_spec(
        "custom_constrained_ridge",
        {
            "bounds": {
                "Region=c": [0.0, 0.5],
                "Price": [None, 0.0],
                "Region": [-1.0, 1.0],
                "Pack": [0.0, 0.0],
                "Region=z": [0.0, None],
            }
        },
    )

    lower, upper = coefficient_bounds(spec, design)

    assert design.feature_names == ["Region=b", "Region=c", "Price"]
    np.testing.assert_array_equal(lower, [-1.0, 0.0, -np.inf])
    np.testing.assert_array_equal(upper, [1.0, 0.5, 0.0])


def test_bound_on_unknown_name_raises():
    frame = pd.DataFrame({"Price": [1.0, 2.0, 3.0], "Volume": [3.0, 2.0, 1.0]})
    design = build_design_matrix(frame, ["Price"], "Volume")
    spec = model_spec("custom_constrained_ridge", {"bounds": {"Cost": [0, 1]}})

    with pytest.raises(ModelConfigError, match="bounds key 'Cost' is not a feature"):
        coefficient_bounds(spec, design)
