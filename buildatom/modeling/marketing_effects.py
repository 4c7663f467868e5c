"""Effects of a fitted marketing mix model: contributions, elasticity, ROI.

A model is its coefficients keyed by model column (``TV_Spend_transformed``,
``Price``) and its intercept; the rows are a combination's transformed frame,
which keeps the raw media, date and region columns next to the model columns.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from buildatom.modeling.marketing_models import FloatArray, MarketingModelError
from buildatom.modeling.transforms_combination import replay_media

INTERCEPT = "intercept"
"""Key of the intercept among contributions and reported coefficients."""


def _column(design: pd.DataFrame, column: str) -> FloatArray:
    if column not in design.columns:
        raise MarketingModelError(
            f"model column {column!r} is not a column of the data"
            + (f"; pass the {INTERCEPT} separately" if column == INTERCEPT else "")
        )
    try:
        return design[column].to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        raise MarketingModelError(
            f"model column {column!r} must be numeric, got dtype {design[column].dtype}"
        ) from None


def _ratio(numerator: float, denominator: float) -> float:
    if denominator == 0.0:
        return math.nan
    value = numerator / denominator
    return value if math.isfinite(value) else math.nan


def predict_marketing(
    design: pd.DataFrame, coefficients: Mapping[str, float], intercept: float
) -> FloatArray:
    """``y_hat = b + sum_j coef_j x_j`` over the rows of ``design``."""
    prediction = np.full(len(design), float(intercept))
    for column, coefficient in coefficients.items():
        prediction += float(coefficient) * _column(design, column)
    return prediction


def variable_contributions(
    design: pd.DataFrame, coefficients: Mapping[str, float], intercept: float
) -> dict[str, float]:
    """Share of the total prediction owed to each variable and the intercept.

    ``share_j = sum_t coef_j x_tj / sum_t y_hat_t`` and
    ``share_intercept = n b / sum_t y_hat_t`` over all rows of ``design``;
    the shares add up to 1. All are ``nan`` when ``sum_t y_hat_t = 0``.

    Returns
    -------
    dict
        Model column -> share, then ``"intercept"`` -> share.
    """
    totals = {
        column: float(coefficient) * float(_column(design, column).sum())
        for column, coefficient in coefficients.items()
    }
    totals[INTERCEPT] = len(design) * float(intercept)
    predicted = float(predict_marketing(design, coefficients, intercept).sum())
    return {name: _ratio(total, predicted) for name, total in totals.items()}


def _media_in_model(
    fitted_parameters: Mapping[str, Any],
    coefficients: Mapping[str, float],
    media_variables: Sequence[str] | None,
) -> dict[str, str]:
    """Raw media name -> model column, for the media to report on."""
    media = fitted_parameters["media"]
    if media_variables is None:
        return {
            variable: entry["column"]
            for variable, entry in media.items()
            if entry["column"] in coefficients
        }
    columns: dict[str, str] = {}
    for variable in media_variables:
        if variable not in media or media[variable]["column"] not in coefficients:
            raise MarketingModelError(
                f"media variable {variable!r} has no transformed column among "
                f"the model's coefficients {sorted(coefficients)}"
            )
        columns[variable] = media[variable]["column"]
    return columns


def media_elasticity(
    design: pd.DataFrame,
    fitted_parameters: Mapping[str, Any],
    coefficients: Mapping[str, float],
    intercept: float,
    spend_change: float = 0.01,
    media_variables: Sequence[str] | None = None,
) -> dict[str, float]:
    """Elasticity of mean predicted y to each media variable's raw spend.

    ``e_v = (mean(y_hat') - mean(y_hat)) / mean(y_hat) / c`` where ``y_hat'``
    is the prediction after the raw spend of ``v`` is multiplied by
    ``1 + c`` in every period (``c = spend_change``, 1 %), replaying the
    stored chain with its fitted peaks and scaler statistics fixed. As only
    ``v``'s column changes, ``mean(y_hat') - mean(y_hat) =
    coef_v * mean(x_v' - x_v)``.

    Parameters
    ----------
    design : DataFrame
        Transformed frame of the combination (``transform_combination``'s
        ``frame``): the model columns as fitted plus the raw media, date and
        region columns.
    fitted_parameters : mapping
        ``transform_combination``'s ``fitted_parameters``.
    coefficients : mapping of str to float
        Model column -> coefficient, without the intercept.
    intercept : float
    spend_change : float
        Relative spend increase ``c``, ``> 0``.
    media_variables : sequence of str, optional
        Raw media to report on; by default every transformed media variable
        whose column is in ``coefficients``.

    Returns
    -------
    dict
        Raw media name -> elasticity; ``nan`` when ``mean(y_hat) = 0``.
    """
    if not (math.isfinite(spend_change) and spend_change > 0.0):
        raise MarketingModelError(f"spend_change must be > 0, got {spend_change!r}")
    columns = _media_in_model(fitted_parameters, coefficients, media_variables)
    mean_prediction = float(predict_marketing(design, coefficients, intercept).mean())

    elasticities: dict[str, float] = {}
    for variable, column in columns.items():
        before = replay_media(design, fitted_parameters, variable)
        after = replay_media(design, fitted_parameters, variable, 1.0 + spend_change)
        shift = float(coefficients[column]) * float((after - before).mean())
        elasticities[variable] = _ratio(shift / spend_change, mean_prediction)
    return elasticities


def media_roi(
    design: pd.DataFrame,
    fitted_parameters: Mapping[str, Any],
    coefficients: Mapping[str, float],
    media_variables: Sequence[str] | None = None,
) -> dict[str, float]:
    """Return on spend of each media variable, in y units per unit of spend.

    ``roi_v = sum_t coef_v x_tv / sum_t spend_tv`` with ``x_v`` the
    transformed, scaled column as fitted and ``spend_v`` the raw column, over
    all rows of ``design``; ``nan`` when the total spend is 0. With
    ``standard`` scaling ``x_v`` sums to about 0 per region, so the ROI is
    close to 0 whatever the coefficient.

    Returns
    -------
    dict
        Raw media name -> ROI.
    """
    columns = _media_in_model(fitted_parameters, coefficients, media_variables)
    returns: dict[str, float] = {}
    for variable, column in columns.items():
        effect = float(coefficients[column]) * float(_column(design, column).sum())
        returns[variable] = _ratio(effect, float(_column(design, variable).sum()))
    return returns
