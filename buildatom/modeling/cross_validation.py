"""K-fold cross-validation and the final fit of regression models.

Every fold of every model of many combinations is fitted in one batch (see
`buildatom.modeling.fold_batch`); this module scores the fits and reports
them per combination and model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from buildatom.modeling.design import DataError, DesignMatrix
from buildatom.modeling.fold_batch import (
    FoldBatch,
    batch_groups,
    prepare_fold_batch,
    training_problems,
)
from buildatom.modeling.metrics import information_criteria
from buildatom.modeling.regression import (
    LeastSquaresProblems,
    ModelConfigError,
    ModelName,
    ModelSpec,
    coefficient_bounds,
    fit_coefficients,
)
from buildatom.modeling.scaling import (
    ScalerParameters,
    Standardization,
    coefficients_in_raw_units,
)

FloatArray = NDArray[np.float64]
IndexArray = NDArray[np.intp]


@dataclass(slots=True)
class FoldMetrics:
    """Scores of one cross-validation fold (``fold`` counts from 0)."""

    fold: int
    n_train: int
    n_test: int
    mape_train: float
    r2_train: float
    mape_test: float
    r2_test: float


@dataclass(slots=True)
class ModelEvaluation:
    """Cross-validated scores and final fit of one model on one combination.

    ``mape_*`` and ``r2_*`` are means over the folds (``nan`` if any fold's
    is). Coefficients, intercept, AIC/BIC and price elasticity come from the
    fit on all ``n_rows`` rows; ``coefficients`` and ``intercept`` are in raw
    units, ``scaled_coefficients`` as fitted on the standardized features.
    ``converged`` is false when the solver stopped at ``max_iter`` on any of
    the fits (folds or final).
    """

    model_name: ModelName
    folds: list[FoldMetrics]
    mape_test: float
    r2_test: float
    mape_train: float
    r2_train: float
    coefficients: dict[str, float]
    scaled_coefficients: dict[str, float]
    intercept: float
    aic: float
    bic: float
    n_rows: int
    price_elasticity: float
    converged: bool = True


def evaluate_models(
    design: DesignMatrix,
    specs: Sequence[ModelSpec],
    standardization: Standardization,
    k_folds: int,
    price_column: str | None,
) -> list[ModelEvaluation]:
    """Cross-validate each model on one combination, then fit it on all rows.

    Parameters
    ----------
    design : DesignMatrix
        The combination's features and target.
    specs : sequence of ModelSpec
        The models, each evaluated independently.
    standardization : Standardization
        Scaler fitted on the training rows of each fold (all rows for the
        final fit) and applied to the features only.
    k_folds : int
        Number of contiguous folds, at least 2 and at most the row count.
    price_column : str or None
        The numeric x variable whose elasticity is reported.

    Returns
    -------
    list of ModelEvaluation
        One per spec, in order. For the final fit, ``aic`` and ``bic`` use
        ``RSS`` over all rows and ``k = p + 1`` (``p`` features, including
        any a lasso sets to zero, plus the intercept; ``k = p`` without an
        intercept). ``price_elasticity = β_price · mean(price) / mean(y)``
        with the raw-units coefficient, ``nan`` when the price column is not
        a numeric feature of this combination (absent or dropped).

    Raises
    ------
    DataError
        Fewer rows than folds.
    ModelConfigError
        ``k_folds`` below 2, or a bound on a name that is not a feature.
    """
    return evaluate_many([design], specs, standardization, k_folds, price_column)[0]


def evaluate_many(
    designs: Sequence[DesignMatrix],
    specs: Sequence[ModelSpec],
    standardization: Standardization,
    k_folds: int,
    price_column: str | None,
) -> list[list[ModelEvaluation]]:
    """`evaluate_models` for many combinations, batched for speed.

    Combinations with the same feature count and similar row counts are
    fitted together; the results equal those of `evaluate_models` on each.

    Returns
    -------
    list of list of ModelEvaluation
        ``result[i][m]`` is model ``specs[m]`` on ``designs[i]``.
    """
    if isinstance(k_folds, bool) or not isinstance(k_folds, int) or k_folds < 2:
        raise ModelConfigError(f"k_folds must be a whole number >= 2, got {k_folds!r}")
    for index, design in enumerate(designs):
        if design.n_rows < k_folds:
            where = "" if len(designs) == 1 else f"design {index}: "
            raise DataError(
                f"{where}{design.n_rows} rows, fewer than k_folds={k_folds}"
            )

    results: list[list[ModelEvaluation]] = [[] for _ in designs]
    for group in batch_groups(designs, k_folds):
        batch = prepare_fold_batch(
            [designs[i] for i in group], standardization, k_folds
        )
        problems = {
            fit_intercept: training_problems(batch, fit_intercept)
            for fit_intercept in {spec.fit_intercept for spec in specs}
        }
        price = _PriceMeans.of(batch.designs, price_column)
        by_model = [
            _evaluate_model(batch, problems[spec.fit_intercept], spec, price)
            for spec in specs
        ]
        for position, index in enumerate(group):
            results[index] = [evaluations[position] for evaluations in by_model]
    return results


def _evaluate_model(
    batch: FoldBatch,
    problems: tuple[LeastSquaresProblems, FloatArray, FloatArray],
    spec: ModelSpec,
    price: _PriceMeans,
) -> list[ModelEvaluation]:
    """Fit one model on every fit of the batch and report it per combination."""
    system, x_mean, y_mean = problems
    bounds = _Bounds.of(batch, spec)
    if bounds is None:
        fit = fit_coefficients(spec, system)
    else:
        fit = fit_coefficients(spec, system, bounds.lower, bounds.upper)
    coefficients = fit.coef
    converged = fit.converged.reshape(len(batch.designs), batch.k_folds + 1)
    intercept = y_mean - np.einsum("bp,bp->b", x_mean, coefficients)
    y_hat = np.matmul(coefficients[:, None, :], batch.features)[:, 0, :]
    residual = batch.y - (y_hat + intercept[:, None])

    folds = _fold_metrics(batch, residual)
    final = batch.final_fits
    squared = residual[final] ** 2
    rss = np.einsum("bn,bn->b", batch.train_target.row_weight[final], squared)
    scaler = ScalerParameters(batch.scaler.offset[final], batch.scaler.scale[final])
    raw, raw_intercept = coefficients_in_raw_units(
        coefficients[final], intercept[final], scaler
    )
    if bounds is not None:
        exact = bounds.raw_coefficients(raw, coefficients[final], final)
        raw_intercept -= ((exact - raw) * scaler.offset).sum(axis=1)
        raw = exact
    elasticity = price.elasticities(raw)

    evaluations = []
    for i, design in enumerate(batch.designs):
        n_parameters = design.n_features + int(spec.fit_intercept)
        aic, bic = information_criteria(float(rss[i]), design.n_rows, n_parameters)
        names = design.feature_names
        evaluations.append(
            ModelEvaluation(
                model_name=spec.name,
                folds=folds[i],
                mape_test=_fold_mean(folds[i], "mape_test"),
                r2_test=_fold_mean(folds[i], "r2_test"),
                mape_train=_fold_mean(folds[i], "mape_train"),
                r2_train=_fold_mean(folds[i], "r2_train"),
                coefficients=dict(zip(names, raw[i].tolist(), strict=True)),
                scaled_coefficients=dict(
                    zip(names, coefficients[final[i]].tolist(), strict=True)
                ),
                intercept=float(raw_intercept[i]),
                aic=aic,
                bic=bic,
                n_rows=design.n_rows,
                price_elasticity=elasticity[i],
                converged=bool(converged[i].all()),
            )
        )
    return evaluations


def _fold_metrics(batch: FoldBatch, residual: FloatArray) -> list[list[FoldMetrics]]:
    """Scores of every fold of every combination from the residuals ``y - ŷ``."""
    absolute, squared = np.abs(residual), residual * residual
    shape = (len(batch.designs), batch.k_folds + 1)
    columns = [
        batch.train.sum(axis=1),
        batch.test.sum(axis=1),
        batch.train_target.mape(absolute),
        batch.train_target.r2(squared),
        batch.test_target.mape(absolute),
        batch.test_target.r2(squared),
    ]
    n_train, n_test, mape_train, r2_train, mape_test, r2_test = (
        column.reshape(shape)[:, : batch.k_folds].tolist() for column in columns
    )
    return [
        [
            FoldMetrics(
                fold=f,
                n_train=n_train[i][f],
                n_test=n_test[i][f],
                mape_train=mape_train[i][f],
                r2_train=r2_train[i][f],
                mape_test=mape_test[i][f],
                r2_test=r2_test[i][f],
            )
            for f in range(batch.k_folds)
        ]
        for i in range(len(batch.designs))
    ]


def _fold_mean(folds: list[FoldMetrics], name: str) -> float:
    """Mean of one score over the folds (``nan`` if any fold's is)."""
    return sum(getattr(fold, name) for fold in folds) / len(folds)


@dataclass(frozen=True)
class _Bounds:
    """Coefficient bounds: raw units per combination, scaled per fit."""

    raw_lower: FloatArray  # (combinations, p)
    raw_upper: FloatArray
    lower: FloatArray  # (fits, p)
    upper: FloatArray

    @classmethod
    def of(cls, batch: FoldBatch, spec: ModelSpec) -> _Bounds | None:
        """The bounds of a constrained ridge; None for other models."""
        if spec.name is not ModelName.CONSTRAINED_RIDGE or not spec.bounds:
            return None
        pairs = [coefficient_bounds(spec, design) for design in batch.designs]
        raw_lower = np.stack([low for low, _ in pairs])
        raw_upper = np.stack([high for _, high in pairs])
        n_fits, scale = batch.k_folds + 1, batch.scaler.scale
        return cls(
            raw_lower,
            raw_upper,
            np.repeat(raw_lower, n_fits, axis=0) * scale,
            np.repeat(raw_upper, n_fits, axis=0) * scale,
        )

    def raw_coefficients(
        self, raw: FloatArray, scaled: FloatArray, fits: IndexArray
    ) -> FloatArray:
        """Raw coefficients with each active bound met exactly, not to rounding."""
        exact = np.where(scaled == self.lower[fits], self.raw_lower, raw)
        exact = np.where(scaled == self.upper[fits], self.raw_upper, exact)
        return np.clip(exact, self.raw_lower, self.raw_upper)


@dataclass(frozen=True)
class _PriceMeans:
    """Where the price feature is, and the means its elasticity needs."""

    column: IndexArray  # (combinations,), -1 where price is not a feature
    mean_price: FloatArray
    mean_y: FloatArray

    @classmethod
    def of(cls, designs: list[DesignMatrix], price_column: str | None) -> _PriceMeans:
        """Locate the price feature of each combination and take the means."""
        column = np.full(len(designs), -1)
        mean_price = np.full(len(designs), np.nan)
        mean_y = np.full(len(designs), np.nan)
        for i, design in enumerate(designs):
            if price_column is not None and price_column in design.feature_names:
                column[i] = design.feature_names.index(price_column)
                mean_price[i] = design.X[:, column[i]].mean()
                mean_y[i] = design.y.mean()
        return cls(column, mean_price, mean_y)

    def elasticities(self, coefficients: FloatArray) -> list[float]:
        """``β_price · mean(price) / mean(y)``; nan without price or if ȳ = 0."""
        has_price = (self.column >= 0) & (self.mean_y != 0.0)
        rows = np.arange(self.column.size)
        beta = coefficients[rows, np.maximum(self.column, 0)]
        safe_y = np.where(has_price, self.mean_y, 1.0)
        return np.where(has_price, beta * self.mean_price / safe_y, np.nan).tolist()
