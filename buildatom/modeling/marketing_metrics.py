"""Goodness-of-fit scores of a marketing mix model.

Every function returns a plain float; a score that is undefined for the data
(a constant target, too few rows) is ``nan``, never an exception.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from buildatom.modeling.marketing_models import FloatArray, MarketingModelError
from buildatom.modeling.metrics import (
    information_criteria,
    mean_absolute_percentage_error,
    r2,
)


def _pair(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[FloatArray, FloatArray]:
    actual = np.asarray(y_true, dtype=np.float64)
    fitted = np.asarray(y_pred, dtype=np.float64)
    if actual.ndim != 1 or actual.shape != fitted.shape:
        raise MarketingModelError(
            f"y_true and y_pred must be 1-D of one length, got shapes "
            f"{actual.shape} and {fitted.shape}"
        )
    return actual, fitted


def _finite(value: float) -> float:
    return value if math.isfinite(value) else math.nan


def _residual_sum_of_squares(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    actual, fitted = _pair(y_true, y_pred)
    residual = actual - fitted
    return float(residual @ residual)


def mape(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean absolute percentage error as a fraction.

    ``mean(|y - y_hat| / |y|)`` over the rows with ``y != 0`` (0.123 is
    12.3 %); ``nan`` when no such row exists. Same definition as endpoint 7's
    :func:`~buildatom.modeling.metrics.mean_absolute_percentage_error`.
    """
    actual, fitted = _pair(y_true, y_pred)
    return _finite(mean_absolute_percentage_error(actual, fitted))


def r_squared(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Coefficient of determination, as scikit-learn's ``r2_score``.

    ``1 - sum((y - y_hat)^2) / sum((y - mean(y))^2)``; ``nan`` for fewer than
    2 rows or a constant ``y`` (see :func:`buildatom.modeling.metrics.r2`).
    """
    actual, fitted = _pair(y_true, y_pred)
    return _finite(r2(actual, fitted))


def adjusted_r_squared(y_true: ArrayLike, y_pred: ArrayLike, n_features: int) -> float:
    """R² penalised for the number of features ``p``.

    ``1 - (1 - R^2) (n - 1) / (n - p - 1)``; ``nan`` when ``n - p - 1 <= 0``.
    """
    actual, fitted = _pair(y_true, y_pred)
    dof = actual.size - n_features - 1
    if dof <= 0:
        return math.nan
    score = r_squared(actual, fitted)
    return _finite(1.0 - (1.0 - score) * (actual.size - 1) / dof)


def aic(y_true: ArrayLike, y_pred: ArrayLike, n_features: int) -> float:
    """Akaike information criterion of a Gaussian linear model.

    ``n ln(RSS / n) + 2 k`` with ``k = n_features + 1`` (the intercept);
    ``nan`` when ``RSS = 0`` or there are no rows.

    References
    ----------
    Akaike, H. (1974), "A new look at the statistical model identification",
    IEEE Transactions on Automatic Control 19(6), 716-723.
    """
    return _criteria(y_true, y_pred, n_features)[0]


def bic(y_true: ArrayLike, y_pred: ArrayLike, n_features: int) -> float:
    """Bayesian information criterion of a Gaussian linear model.

    ``n ln(RSS / n) + k ln(n)`` with ``k = n_features + 1``; ``nan`` when
    ``RSS = 0`` or there are no rows.

    References
    ----------
    Schwarz, G. (1978), "Estimating the dimension of a model", Annals of
    Statistics 6(2), 461-464.
    """
    return _criteria(y_true, y_pred, n_features)[1]


def _criteria(
    y_true: ArrayLike, y_pred: ArrayLike, n_features: int
) -> tuple[float, float]:
    actual, fitted = _pair(y_true, y_pred)
    rss = _residual_sum_of_squares(actual, fitted)
    akaike, bayes = information_criteria(rss, actual.size, n_features + 1)
    return _finite(akaike), _finite(bayes)


def nrmse(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Root mean squared error over the range of ``y``, as Robyn reports it.

    ``sqrt(mean((y - y_hat)^2)) / (max(y) - min(y))``; ``nan`` when the range
    is 0 or there are no rows.

    References
    ----------
    Meta Open Source, Robyn: https://facebookexperimental.github.io/Robyn/
    """
    actual, fitted = _pair(y_true, y_pred)
    if actual.size == 0:
        return math.nan
    spread = float(actual.max() - actual.min())
    if spread == 0.0:
        return math.nan
    rmse = math.sqrt(_residual_sum_of_squares(actual, fitted) / actual.size)
    return _finite(rmse / spread)


def score_marketing_model(
    y_train: ArrayLike,
    fitted_train: ArrayLike,
    y_test: ArrayLike,
    fitted_test: ArrayLike,
    n_features: int,
) -> dict[str, float]:
    """The scores a trained model reports.

    ``mape``, ``r_squared`` and ``nrmse`` on the test rows;
    ``adjusted_r_squared``, ``aic`` and ``bic`` on the training fit.
    """
    return {
        "mape": mape(y_test, fitted_test),
        "r_squared": r_squared(y_test, fitted_test),
        "nrmse": nrmse(y_test, fitted_test),
        "adjusted_r_squared": adjusted_r_squared(y_train, fitted_train, n_features),
        "aic": aic(y_train, fitted_train, n_features),
        "bic": bic(y_train, fitted_train, n_features),
    }
