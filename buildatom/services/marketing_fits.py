"""The models of one combination: time split, one summary per target, exact fits.

For each y variable the training rows are summarised once per intercept
setting (:class:`~buildatom.modeling.marketing_models.LeastSquaresProblem`)
and every model type is solved from that summary within the sign bounds;
scores come from :func:`~buildatom.modeling.marketing_metrics.
score_marketing_model`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from buildatom.modeling.marketing_metrics import nrmse, score_marketing_model
from buildatom.modeling.marketing_models import (
    FloatArray,
    LeastSquaresProblem,
    MarketingModelError,
    MarketingModelType,
    ModelConfig,
    resolve_model_config,
    solve_marketing_model,
)
from buildatom.modeling.marketing_split import time_ordered_split


@dataclass(frozen=True)
class FitSettings:
    """What every combination of a training run is fitted with.

    ``lower``/``upper`` are the coefficient bounds in the order of
    ``x_columns``; ``model_configs`` are the request's settings per model type.
    """

    x_columns: Sequence[str]
    y_variables: Sequence[str]
    model_types: Sequence[MarketingModelType]
    train_share: float
    lower: FloatArray
    upper: FloatArray
    model_configs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class FittedMarketingModel:
    """One fitted model of a combination with its scores.

    ``scores`` holds ``mape``, ``r_squared``, ``nrmse_test`` (test rows),
    ``adjusted_r_squared``, ``aic``, ``bic`` and ``nrmse_train`` (training
    rows).
    """

    y_variable: str
    model_type: MarketingModelType
    config: ModelConfig
    coefficients: dict[str, float]
    intercept: float
    objective_value: float
    converged: bool
    scores: dict[str, float]
    n_train: int
    n_test: int


def fit_combination(
    frame: pd.DataFrame,
    date_column: str | None,
    region_column: str | None,
    settings: FitSettings,
) -> list[FittedMarketingModel]:
    """Every model of one combination, y variable by y variable.

    Rows are split by :func:`time_ordered_split` on ``date_column``; without
    one, on each row's position within its region.

    Raises
    ------
    MarketingModelError
        A column that is not numeric or not finite, or a split that leaves no
        date on one side.
    """
    X = numeric_columns(frame, settings.x_columns, "x variable")
    train = time_ordered_split(
        periods(frame, date_column, region_column), settings.train_share
    )
    configs = {
        kind: resolve_model_config(kind, settings.model_configs.get(kind.value))
        for kind in settings.model_types
    }

    fits: list[FittedMarketingModel] = []
    for y_variable in settings.y_variables:
        y = numeric_columns(frame, [y_variable], "y variable")[:, 0]
        problems: dict[bool, LeastSquaresProblem] = {}
        for kind in settings.model_types:
            intercept = configs[kind].fit_intercept
            if intercept not in problems:
                problems[intercept] = LeastSquaresProblem.from_data(
                    X[train], y[train], intercept
                )
            fitted = solve_marketing_model(
                problems[intercept],
                kind,
                settings.lower,
                settings.upper,
                settings.model_configs.get(kind.value),
            )
            predicted = X @ fitted.coef + fitted.intercept
            fits.append(
                FittedMarketingModel(
                    y_variable=y_variable,
                    model_type=kind,
                    config=configs[kind],
                    coefficients=dict(
                        zip(settings.x_columns, fitted.coef.tolist(), strict=True)
                    ),
                    intercept=float(fitted.intercept),
                    objective_value=float(fitted.objective_value),
                    converged=bool(fitted.converged),
                    scores=_scores(y, predicted, train, X.shape[1]),
                    n_train=int(train.sum()),
                    n_test=int((~train).sum()),
                )
            )
    return fits


def numeric_columns(
    frame: pd.DataFrame, columns: Sequence[str], role: str
) -> FloatArray:
    """The columns as a finite float matrix, or ``MarketingModelError``."""
    for column in columns:
        values = frame[column]
        if not (
            pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)
        ):
            raise MarketingModelError(
                f"{role} {column!r} is not numeric (dtype {values.dtype})"
            )
    matrix = np.column_stack(
        [frame[c].to_numpy(dtype=np.float64, na_value=np.nan) for c in columns]
    )
    bad = ~np.isfinite(matrix)
    if bad.any():
        column = columns[int(np.flatnonzero(bad.any(axis=0))[0])]
        raise MarketingModelError(
            f"{role} {column!r} has {int(bad.sum())} missing or infinite value(s)"
        )
    return matrix


def periods(
    frame: pd.DataFrame, date_column: str | None, region_column: str | None
) -> NDArray[Any]:
    """What the time split orders rows by: the date, else the row's position
    within its region (within the file without a region column)."""
    if date_column is not None:
        return frame[date_column].to_numpy()
    if region_column is not None:
        return frame.groupby(region_column, sort=False).cumcount().to_numpy()
    return np.arange(len(frame))


def _scores(
    y: FloatArray, predicted: FloatArray, train: NDArray[np.bool_], n_features: int
) -> dict[str, float]:
    scores = score_marketing_model(
        y[train], predicted[train], y[~train], predicted[~train], n_features
    )
    return {
        "mape": scores["mape"],
        "r_squared": scores["r_squared"],
        "adjusted_r_squared": scores["adjusted_r_squared"],
        "aic": scores["aic"],
        "bic": scores["bic"],
        "nrmse_train": nrmse(y[train], predicted[train]),
        "nrmse_test": scores["nrmse"],
    }
