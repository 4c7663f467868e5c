"""Box-bounded least-squares solvers on small summaries."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import lsq_linear, minimize

from buildatom.modeling.constrained_solvers import (
    bounded_ridge_solve,
    box_elastic_net_kkt_violation,
    box_elastic_net_solve,
)

INF = np.inf


def random_quadratic(seed: int, size: int = 5):
    rng = np.random.default_rng(seed)
    factor = rng.normal(size=(3 * size, size))
    return factor.T @ factor / (3 * size), rng.normal(size=size)


@pytest.mark.parametrize(
    ("coef", "expected"),
    [(1.0, 0.0), (0.0, 1.0), (2.0, 1.0), (3.0, 2.0)],
    ids=["optimum", "at-lower-bound", "past-optimum", "at-upper-bound"],
)
def test_kkt_violation_of_one_dimensional_problem(coef, expected):
    # f(w) = w^2 / 2 - 2 w + |w| on [0, 3] is smallest at w = 1; elsewhere the
    # violation is the slope of f in the feasible direction that descends.
    hessian, linear = np.array([[1.0]]), np.array([2.0])
    lower, upper = np.array([0.0]), np.array([3.0])

    violation = box_elastic_net_kkt_violation(
        hessian, linear, 1.0, lower, upper, np.array([coef])
    )

    assert violation == pytest.approx(expected, abs=1e-15)


def test_kkt_violation_is_zero_where_bound_blocks_descent():
    hessian, linear = np.array([[1.0]]), np.array([-5.0])

    violation = box_elastic_net_kkt_violation(
        hessian, linear, 0.1, np.array([0.0]), np.array([INF]), np.array([0.0])
    )

    assert violation == 0.0


@pytest.mark.parametrize("seed", range(5), ids=lambda s: f"seed={s}")
@pytest.mark.parametrize("l1_penalty", [0.0, 0.05, 0.5], ids=lambda v: f"l1={v}")
def test_box_elastic_net_solve_matches_bounded_quasi_newton(seed, l1_penalty):
    hessian, linear = random_quadratic(seed)
    lower = np.array([0.0, -INF, -0.1, 0.0, -INF])
    upper = np.array([INF, 0.0, 0.1, INF, INF])

    def smooth(theta):
        plus, minus = theta[:5], theta[5:]
        w = plus - minus
        gradient = hessian @ w - linear
        value = 0.5 * w @ hessian @ w - linear @ w + l1_penalty * theta.sum()
        return value, np.concatenate([gradient + l1_penalty, -gradient + l1_penalty])

    bounds = [(0.0, None), (0.0, 0.0), (0.0, 0.1), (0.0, None), (0.0, None)]
    bounds += [(0.0, 0.0), (0.0, None), (0.0, 0.1), (0.0, 0.0), (0.0, None)]
    reference = minimize(
        smooth,
        np.zeros(10),
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"ftol": 1e-16, "gtol": 1e-13, "maxiter": 20_000},
    )

    result = box_elastic_net_solve(hessian, linear, l1_penalty, lower, upper)

    np.testing.assert_allclose(
        result.coef, reference.x[:5] - reference.x[5:], atol=1e-5
    )
    assert result.converged
    assert (
        box_elastic_net_kkt_violation(
            hessian, linear, l1_penalty, lower, upper, result.coef
        )
        < 1e-12
    )


def test_box_elastic_net_solve_without_features():
    result = box_elastic_net_solve(
        np.zeros((0, 0)), np.zeros(0), 1.0, *[np.zeros(0)] * 2
    )

    assert result.coef.shape == (0,)
    assert result.converged


def test_bounded_ridge_solve_fixes_equal_bounds():
    rng = np.random.default_rng(3)
    root = np.triu(rng.normal(size=(3, 3))) + 3 * np.eye(3)
    target = rng.normal(size=3)
    lower = np.array([0.25, -INF, 0.0])
    upper = np.array([0.25, INF, INF])
    reference = lsq_linear(
        np.vstack([root[:, 1:], np.sqrt(0.5) * np.eye(2)]),
        np.concatenate([target - root[:, 0] * 0.25, np.zeros(2)]),
        bounds=(lower[1:], upper[1:]),
        method="trf",
        tol=1e-15,
    )

    result = bounded_ridge_solve(root, target, 0.5, lower, upper)

    assert result.coef[0] == 0.25
    np.testing.assert_allclose(result.coef[1:], reference.x, atol=1e-8)


def test_bounded_ridge_solve_with_every_coefficient_fixed():
    result = bounded_ridge_solve(
        np.eye(2), np.ones(2), 1.0, np.array([1.0, 2.0]), np.array([1.0, 2.0])
    )

    np.testing.assert_array_equal(result.coef, [1.0, 2.0])
    assert result.iterations == 0
