"""Fit scores against scikit-learn and statsmodels."""

from __future__ import annotations

import math

import numpy as np
import pytest
import statsmodels.api as sm
from sklearn.metrics import mean_absolute_percentage_error, r2_score

from buildatom.modeling.marketing_metrics import (
    adjusted_r_squared,
    aic,
    bic,
    mape,
    nrmse,
    r_squared,
    score_marketing_model,
)
from buildatom.modeling.marketing_models import MarketingModelError


@pytest.fixture
def regression():
    rng = np.random.default_rng(31)
    X = rng.normal(size=(80, 3))
    y = 10.0 + X @ np.array([1.0, -2.0, 0.5]) + rng.normal(size=80)
    result = sm.OLS(y, sm.add_constant(X)).fit()
    return y, result.fittedvalues, result


def test_mape_matches_scikit_learn(regression):
    y, fitted, _ = regression

    assert mape(y, fitted) == pytest.approx(
        mean_absolute_percentage_error(y, fitted), rel=1e-12
    )


def test_mape_skips_zero_targets():
    assert mape([0.0, 2.0, 4.0], [1.0, 1.0, 5.0]) == pytest.approx((0.5 + 0.25) / 2)


def test_mape_of_all_zero_target_is_nan():
    assert math.isnan(mape([0.0, 0.0], [1.0, 2.0]))


def test_r_squared_matches_scikit_learn(regression):
    y, fitted, result = regression

    assert r_squared(y, fitted) == pytest.approx(r2_score(y, fitted), rel=1e-12)
    assert r_squared(y, fitted) == pytest.approx(result.rsquared, rel=1e-10)


@pytest.mark.parametrize(
    ("y", "fitted"),
    [([3.0, 3.0, 3.0], [3.0, 3.0, 3.0]), ([3.0, 3.0], [1.0, 2.0]), ([1.0], [1.0])],
    ids=["constant-perfect", "constant", "one-row"],
)
def test_r_squared_undefined_is_nan(y, fitted):
    assert math.isnan(r_squared(y, fitted))


def test_adjusted_r_squared_matches_statsmodels(regression):
    y, fitted, result = regression

    assert adjusted_r_squared(y, fitted, 3) == pytest.approx(
        result.rsquared_adj, rel=1e-10
    )


def test_adjusted_r_squared_without_degrees_of_freedom_is_nan():
    assert math.isnan(adjusted_r_squared([1.0, 2.0, 4.0], [1.1, 2.0, 3.9], 2))


def test_information_criteria_match_statsmodels_up_to_likelihood_constant(regression):
    y, fitted, result = regression
    rows = len(y)
    constant = rows * (1.0 + math.log(2.0 * math.pi))

    assert aic(y, fitted, 3) == pytest.approx(result.aic - constant, rel=1e-10)
    assert bic(y, fitted, 3) == pytest.approx(result.bic - constant, rel=1e-10)


def test_information_criteria_follow_formula():
    y, fitted = np.array([1.0, 2.0, 3.0, 5.0]), np.array([1.5, 2.0, 2.5, 5.0])
    base = 4 * math.log(0.5 / 4)

    assert aic(y, fitted, 1) == pytest.approx(base + 2 * 2)
    assert bic(y, fitted, 1) == pytest.approx(base + 2 * math.log(4))


def test_information_criteria_of_perfect_fit_are_nan():
    assert math.isnan(aic([1.0, 2.0], [1.0, 2.0], 1))
    assert math.isnan(bic([1.0, 2.0], [1.0, 2.0], 1))


def test_nrmse_divides_rmse_by_target_range():
    y, fitted = np.array([2.0, 4.0, 10.0]), np.array([3.0, 4.0, 9.0])

    assert nrmse(y, fitted) == pytest.approx(math.sqrt(2.0 / 3.0) / 8.0, rel=1e-15)


def test_nrmse_of_constant_target_is_nan():
    assert math.isnan(nrmse([5.0, 5.0], [4.0, 6.0]))


def test_score_marketing_model_reports_test_and_training_scores(regression):
    y, fitted, _ = regression

    scores = score_marketing_model(y[:60], fitted[:60], y[60:], fitted[60:], 3)

    assert scores["mape"] == mape(y[60:], fitted[60:])
    assert scores["r_squared"] == r_squared(y[60:], fitted[60:])
    assert scores["aic"] == aic(y[:60], fitted[:60], 3)
    assert set(scores) == {
        "mape",
        "r_squared",
        "nrmse",
        "adjusted_r_squared",
        "aic",
        "bic",
    }


def test_metrics_reject_mismatched_shapes():
    with pytest.raises(MarketingModelError, match=r"must be 1-D of one length"):
        r_squared([1.0, 2.0], [1.0])
