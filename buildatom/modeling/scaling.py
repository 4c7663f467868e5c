"""Feature standardization fitted on training rows, and the way back to raw units.

A scaler maps each feature to ``(x - offset) / scale``. It is fitted on the
training rows of a fold (a boolean row mask) and applied to every row, as
scikit-learn's ``MinMaxScaler`` and ``StandardScaler`` in a pipeline would be.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

_EPS = float(np.finfo(np.float64).eps)


class Standardization(StrEnum):
    """How the features are scaled before a model is fitted."""

    NONE = "none"
    MINMAX = "minmax"
    STANDARD = "standard"


@dataclass(frozen=True)
class ScalerParameters:
    """Per-feature ``offset`` and ``scale`` (``scale > 0``), shape (..., p).

    The scaled feature is ``x_scaled = (x - offset) / scale``.
    """

    offset: FloatArray
    scale: FloatArray


def fit_scaler(
    X: FloatArray,
    standardization: Standardization,
    mask: BoolArray | None = None,
) -> ScalerParameters:
    """Fit scaler parameters on the masked rows of one or many feature matrices.

    Parameters
    ----------
    X : ndarray of shape (..., n, p)
        Features; leading axes index separate fits.
    standardization : Standardization
        ``none``: offset 0, scale 1. ``minmax``: offset ``min(x)``, scale
        ``max(x) - min(x)``, mapping the training rows to [0, 1].
        ``standard``: offset ``mean(x)``, scale the population standard
        deviation ``sqrt(mean((x - mean(x))²))``.
    mask : ndarray of bool of shape (..., n), optional
        The training rows; all rows when omitted. At least one per fit.

    Returns
    -------
    ScalerParameters
        Arrays of shape (..., p). A feature that is constant on the training
        rows gets ``scale = 1``, with scikit-learn's thresholds: a range below
        ``10·eps`` for ``minmax``; a variance within the rounding bound
        ``n·eps·var + (n·mean·eps)²`` for ``standard``.
    """
    if mask is None:
        mask = np.ones(X.shape[:-1], dtype=bool)
    rows_shape = np.broadcast_shapes(X.shape[:-1], mask.shape)
    feature_shape = rows_shape[:-1] + X.shape[-1:]
    if standardization is Standardization.NONE:
        return ScalerParameters(np.zeros(feature_shape), np.ones(feature_shape))

    if standardization is Standardization.MINMAX:
        rows = mask[..., None]
        low = np.where(rows, X, np.inf).min(axis=-2)
        high = np.where(rows, X, -np.inf).max(axis=-2)
        spread = high - low
        return ScalerParameters(low, np.where(spread < 10.0 * _EPS, 1.0, spread))

    weight = mask.astype(np.float64)
    n_rows = weight.sum(axis=-1)[..., None]
    mean = np.einsum("...n,...np->...p", weight, X) / n_rows
    squares = (X - mean[..., None, :]) ** 2
    variance = np.einsum("...n,...np->...p", weight, squares) / n_rows
    rounding_bound = n_rows * _EPS * variance + (n_rows * mean * _EPS) ** 2
    constant = variance <= rounding_bound
    return ScalerParameters(mean, np.where(constant, 1.0, np.sqrt(variance)))


def apply_scaler(X: FloatArray, parameters: ScalerParameters) -> FloatArray:
    """Scale features: ``(X - offset) / scale``, broadcast over the rows axis.

    Parameters
    ----------
    X : ndarray of shape (..., n, p)
        Features, with the leading axes of the fitted parameters.
    parameters : ScalerParameters
        Offsets and scales of shape (..., p).

    Returns
    -------
    ndarray of shape (..., n, p)
    """
    offset = parameters.offset[..., None, :]
    scale = parameters.scale[..., None, :]
    return (X - offset) / scale


def coefficients_in_raw_units(
    scaled_coefficients: FloatArray,
    scaled_intercept: FloatArray,
    parameters: ScalerParameters,
) -> tuple[FloatArray, FloatArray]:
    """Express coefficients fitted on scaled features in the raw units.

    Parameters
    ----------
    scaled_coefficients : ndarray of shape (..., p)
        Coefficients ``w`` of the model fitted on ``(x - offset) / scale``.
    scaled_intercept : ndarray of shape (...)
        Its intercept ``b``.
    parameters : ScalerParameters
        The scaler the model was fitted with.

    Returns
    -------
    coefficients : ndarray of shape (..., p)
        ``w / scale``.
    intercept : ndarray of shape (...)
        ``b - Σ w·offset / scale``, so both forms predict the same ``ŷ``.
    """
    coefficients = scaled_coefficients / parameters.scale
    shift = (coefficients * parameters.offset).sum(axis=-1)
    return coefficients, scaled_intercept - shift
