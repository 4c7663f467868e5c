"""The naive projected gradient baseline against the exact fit."""

from __future__ import annotations

import numpy as np
import pytest

from buildatom.modeling.marketing_baseline import projected_gradient_descent
from buildatom.modeling.marketing_models import (
    MarketingModelError,
    MarketingModelType,
    fit_marketing_model,
    objective_value,
)

INF = np.inf
LOWER = np.array([0.0, 0.0, -INF, -INF])
UPPER = np.array([INF, INF, 0.0, INF])
CONFIGS = {
    MarketingModelType.LINEAR: None,
    MarketingModelType.RIDGE: {"alpha": 2.0},
    MarketingModelType.LASSO: {"alpha": 0.05},
    MarketingModelType.ELASTIC_NET: {"alpha": 0.05, "l1_ratio": 0.5},
}


@pytest.fixture
def data():
    rng = np.random.default_rng(21)
    X = rng.normal(size=(500, 4))
    y = 3.0 + X @ np.array([0.8, -0.5, 0.4, 0.2]) + rng.normal(scale=0.5, size=500)
    return X, y


@pytest.mark.parametrize("model_type", list(MarketingModelType), ids=str)
def test_gradient_baseline_never_beats_exact_optimum(data, model_type):
    X, y = data
    config = CONFIGS[model_type]
    exact = fit_marketing_model(X, y, model_type, LOWER, UPPER, config)

    baseline = projected_gradient_descent(
        X, y, model_type, LOWER, UPPER, 0.05, 2000, config
    )

    optimum = objective_value(X, y, exact.coef, exact.intercept, model_type, config)
    assert baseline.objective_value >= optimum * (1 - 1e-12)
    assert baseline.objective_value == pytest.approx(optimum, rel=1e-6)
    assert np.all((baseline.coef >= LOWER) & (baseline.coef <= UPPER))
    assert baseline.iterations == 2000


@pytest.mark.parametrize("model_type", list(MarketingModelType), ids=str)
def test_gradient_baseline_with_few_steps_is_worse(data, model_type):
    X, y = data
    config = CONFIGS[model_type]
    exact = fit_marketing_model(X, y, model_type, LOWER, UPPER, config)

    baseline = projected_gradient_descent(
        X, y, model_type, LOWER, UPPER, 0.01, 20, config
    )

    assert baseline.objective_value > exact.objective_value * (1 + 1e-3)


def test_gradient_baseline_stops_when_it_diverges(data):
    X, y = data

    with np.errstate(all="ignore"):
        baseline = projected_gradient_descent(X, y, "LINEAR", None, None, 50.0, 5000)

    assert baseline.iterations < 5000
    assert not np.isfinite(baseline.objective_value)


@pytest.mark.parametrize(
    ("learning_rate", "iterations", "message"),
    [
        (0.0, 10, r"constraint_learning_rate must be > 0, got 0.0"),
        (np.nan, 10, r"constraint_learning_rate must be > 0, got nan"),
        (0.01, 0, r"constraint_iterations must be >= 1, got 0"),
    ],
    ids=["zero-rate", "nan-rate", "no-iterations"],
)
def test_gradient_baseline_rejects_settings(data, learning_rate, iterations, message):
    X, y = data

    with pytest.raises(MarketingModelError, match=message):
        projected_gradient_descent(X, y, "RIDGE", None, None, learning_rate, iterations)
