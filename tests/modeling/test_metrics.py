"""MAPE, R² and information criteria against scikit-learn and statsmodels."""

import math

import numpy as np
import pytest
import statsmodels.api as sm
from sklearn.metrics import mean_absolute_percentage_error as sk_mape
from sklearn.metrics import r2_score

from buildatom.modeling.metrics import (
    MaskedTarget,
    information_criteria,
    masked_mean_absolute_percentage_error,
    masked_r2,
    mean_absolute_percentage_error,
    r2,
)

RTOL = 1e-12


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240611)


def test_mape_matches_sklearn_over_nonzero_rows(rng):
    y = rng.normal(50.0, 10.0, 40)
    y[[3, 17, 28]] = 0.0
    y_hat = y + rng.normal(0.0, 3.0, 40)

    nonzero = y != 0
    expected = sk_mape(y[nonzero], y_hat[nonzero])

    assert mean_absolute_percentage_error(y, y_hat) == pytest.approx(expected, RTOL)


def test_mape_all_zero_target_is_nan():
    assert math.isnan(mean_absolute_percentage_error([0.0, 0.0], [1.0, 2.0]))


def test_mape_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="equal length"):
        mean_absolute_percentage_error([1.0, 2.0], [1.0])


def test_r2_matches_sklearn(rng):
    y = rng.normal(0.0, 1.0, 25)
    y_hat = y + rng.normal(0.0, 0.5, 25)

    assert r2(y, y_hat) == pytest.approx(r2_score(y, y_hat), RTOL)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.UndefinedMetricWarning")
@pytest.mark.parametrize(
    ("y", "y_hat"),
    [
        ([3.0, 3.0, 3.0], [3.0, 3.0, 3.0]),
        ([3.0, 3.0, 3.0], [1.0, 2.0, 3.0]),
        ([2.0], [1.0]),
    ],
    ids=["constant-exact", "constant-missed", "single-row"],
)
def test_r2_undefined_is_nan(y, y_hat):
    with np.errstate(all="ignore"):
        reference = r2_score(y, y_hat, force_finite=False)

    assert not math.isfinite(reference)
    assert math.isnan(r2(y, y_hat))


def test_information_criteria_match_statsmodels(rng):
    n, p = 60, 3
    X = rng.normal(size=(n, p))
    y = X @ np.array([1.0, -2.0, 0.5]) + rng.normal(0.0, 0.3, n)
    result = sm.OLS(y, sm.add_constant(X)).fit()

    aic, bic = information_criteria(result.ssr, n, p + 1)

    # statsmodels adds the Gaussian constant n·(1 + ln 2π) to both criteria
    constant = n * (1.0 + math.log(2.0 * math.pi))
    assert aic == pytest.approx(result.aic - constant, RTOL)
    assert bic == pytest.approx(result.bic - constant, RTOL)


def test_information_criteria_perfect_fit_is_minus_infinity():
    assert information_criteria(0.0, 10, 2) == (-math.inf, -math.inf)


def test_masked_scores_equal_scores_of_each_subset(rng):
    y = rng.normal(10.0, 2.0, (4, 30))
    y[0, :5] = 0.0
    y_hat = y + rng.normal(0.0, 1.0, y.shape)
    mask = rng.random(y.shape) < 0.6

    mape = masked_mean_absolute_percentage_error(y, y_hat, mask)
    score = masked_r2(y, y_hat, mask)

    for i in range(4):
        rows = mask[i]
        assert mape[i] == pytest.approx(
            mean_absolute_percentage_error(y[i, rows], y_hat[i, rows]), RTOL
        )
        assert score[i] == pytest.approx(r2(y[i, rows], y_hat[i, rows]), RTOL)


def test_masked_target_scores_residuals_like_masked_functions(rng):
    y = rng.normal(5.0, 1.0, (3, 12))
    y_hat = y + rng.normal(0.0, 0.2, y.shape)
    mask = np.ones(y.shape, dtype=bool)
    mask[2, 1:] = False

    target = MaskedTarget.from_mask(y, mask)
    residual = y - y_hat

    np.testing.assert_allclose(
        target.mape(np.abs(residual)),
        masked_mean_absolute_percentage_error(y, y_hat, mask),
        rtol=RTOL,
    )
    assert math.isnan(target.r2(residual**2)[2])
