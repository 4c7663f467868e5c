"""Goodness-of-fit measures: MAPE, R² and the AIC/BIC information criteria.

Each measure has a one-sample form for plain arrays and a masked form that
scores many fits at once: the rows that count are chosen by a boolean mask
over the last axis, and every leading axis is a separate fit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


def mean_absolute_percentage_error(y: ArrayLike, y_hat: ArrayLike) -> float:
    """Mean absolute percentage error over the rows with a non-zero target.

    Parameters
    ----------
    y, y_hat : array_like of shape (n,)
        Observed and predicted values.

    Returns
    -------
    float
        ``mean(|y - ŷ| / |y|)`` over the rows where ``y != 0``, as a fraction
        (0.123 is 12.3 %); ``nan`` when no row has ``y != 0``.
    """
    observed, predicted = _paired_vectors(y, y_hat)
    mask = np.ones(observed.shape, dtype=bool)
    return float(masked_mean_absolute_percentage_error(observed, predicted, mask))


def r2(y: ArrayLike, y_hat: ArrayLike) -> float:
    """Coefficient of determination, as scikit-learn's ``r2_score``.

    Parameters
    ----------
    y, y_hat : array_like of shape (n,)
        Observed and predicted values.

    Returns
    -------
    float
        ``1 - Σ(y - ŷ)² / Σ(y - ȳ)²``. It is ``nan`` when R² is undefined:
        fewer than two rows (as ``r2_score``) or a constant ``y``. For a
        constant ``y``, ``r2_score(..., force_finite=False)`` gives ``nan``
        or ``-inf``; ``nan`` is used for both so the API reports null, never
        a finite stand-in such as scikit-learn's default 0.0 or 1.0.
    """
    observed, predicted = _paired_vectors(y, y_hat)
    mask = np.ones(observed.shape, dtype=bool)
    return float(masked_r2(observed, predicted, mask))


def information_criteria(rss: float, n: int, k: int) -> tuple[float, float]:
    """Akaike and Bayesian information criteria of a least-squares fit.

    Parameters
    ----------
    rss : float
        Residual sum of squares ``Σ(y - ŷ)²``.
    n : int
        Number of rows the fit used.
    k : int
        Number of fitted parameters (coefficients plus intercept).

    Returns
    -------
    aic, bic : float
        ``n·ln(RSS/n) + 2k`` and ``n·ln(RSS/n) + k·ln(n)``. A perfect fit
        (``RSS = 0``) gives ``-inf`` for both.
    """
    if n <= 0:
        return math.nan, math.nan
    if rss <= 0.0:
        return -math.inf, -math.inf

    log_likelihood_term = n * math.log(rss / n)
    return log_likelihood_term + 2.0 * k, log_likelihood_term + k * math.log(n)


@dataclass(frozen=True)
class MaskedTarget:
    """The parts of MAPE and R² that depend only on the target and the rows.

    Built once for a target and a row mask, it scores any number of
    predictions from their residuals ``y - ŷ`` with two dot products.
    Leading axes index separate fits; the last axis is the rows.

    Attributes
    ----------
    mape_weight : ndarray of shape (..., n)
        ``m·[y ≠ 0] / (|y| · Σ m·[y ≠ 0])``, so MAPE is ``Σ |y - ŷ|·weight``.
    mape_defined : ndarray of bool of shape (...)
        Some masked row has ``y ≠ 0``.
    row_weight : ndarray of shape (..., n)
        The mask as 0.0 / 1.0.
    total_squares : ndarray of shape (...)
        ``Σ m(y - ȳ)²`` with ``ȳ`` the masked mean.
    r2_defined : ndarray of bool of shape (...)
        At least two masked rows and a non-constant ``y`` among them.
    """

    mape_weight: FloatArray
    mape_defined: BoolArray
    row_weight: FloatArray
    total_squares: FloatArray
    r2_defined: BoolArray

    @classmethod
    def from_mask(cls, y: FloatArray, mask: BoolArray) -> MaskedTarget:
        """Precompute the target-only parts for the masked rows of ``y``."""
        mask = np.broadcast_to(mask, y.shape)
        counted = mask & (y != 0.0)
        n_counted = counted.sum(axis=-1)
        mape_defined = n_counted > 0
        denominator = np.abs(y) * np.maximum(n_counted, 1)[..., None]
        mape_weight = np.where(counted, 1.0 / np.where(counted, denominator, 1.0), 0)

        row_weight = mask.astype(np.float64)
        n_rows = row_weight.sum(axis=-1)
        y_high = np.where(mask, y, -np.inf).max(axis=-1)
        y_low = np.where(mask, y, np.inf).min(axis=-1)
        y_mean = np.einsum("...n,...n->...", row_weight, y) / np.maximum(n_rows, 1)
        deviation = y - y_mean[..., None]
        total_squares = np.einsum("...n,...n->...", row_weight, deviation**2)
        r2_defined = (n_rows >= 2) & (y_high > y_low)
        return cls(mape_weight, mape_defined, row_weight, total_squares, r2_defined)

    def mape(self, absolute_residual: FloatArray) -> FloatArray:
        """MAPE from ``|y - ŷ|``; ``nan`` where undefined."""
        value = np.einsum("...n,...n->...", self.mape_weight, absolute_residual)
        return np.where(self.mape_defined, value, np.nan)

    def r2(self, squared_residual: FloatArray) -> FloatArray:
        """R² from ``(y - ŷ)²``; ``nan`` where undefined."""
        residual = np.einsum("...n,...n->...", self.row_weight, squared_residual)
        total = np.where(self.r2_defined, self.total_squares, 1.0)
        return np.where(self.r2_defined, 1.0 - residual / total, np.nan)


def masked_mean_absolute_percentage_error(
    y: FloatArray, y_hat: FloatArray, mask: BoolArray
) -> FloatArray:
    """MAPE of many fits at once, over the masked rows with ``y != 0``.

    Parameters
    ----------
    y, y_hat : ndarray of shape (..., n)
        Observed and predicted values; leading axes index separate fits.
    mask : ndarray of bool, broadcastable to ``y``
        Rows that belong to each fit.

    Returns
    -------
    ndarray of shape (...)
        ``Σ m·|y - ŷ|/|y| / Σ m`` with ``m = mask & (y != 0)``; ``nan`` where
        a fit has no such row.
    """
    return MaskedTarget.from_mask(y, mask).mape(np.abs(y - y_hat))


def masked_r2(y: FloatArray, y_hat: FloatArray, mask: BoolArray) -> FloatArray:
    """R² of many fits at once, over the masked rows of each.

    Parameters
    ----------
    y, y_hat : ndarray of shape (..., n)
        Observed and predicted values; leading axes index separate fits.
    mask : ndarray of bool, broadcastable to ``y``
        Rows that belong to each fit.

    Returns
    -------
    ndarray of shape (...)
        ``1 - Σ m(y - ŷ)² / Σ m(y - ȳ)²`` with ``ȳ`` the masked mean; ``nan``
        where a fit has fewer than two rows or a constant ``y`` (see `r2`).
    """
    return MaskedTarget.from_mask(y, mask).r2((y - y_hat) ** 2)


def _paired_vectors(y: ArrayLike, y_hat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Validate two equal-length 1-d float arrays."""
    observed = np.asarray(y, dtype=np.float64)
    predicted = np.asarray(y_hat, dtype=np.float64)
    if observed.ndim != 1 or observed.shape != predicted.shape:
        raise ValueError(
            "y and y_hat must be 1-d arrays of equal length, got shapes "
            f"{observed.shape} and {predicted.shape}"
        )
    return observed, predicted
