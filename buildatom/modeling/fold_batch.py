"""Cross-validation folds of many combinations, stacked for batched fitting.

Combinations with one feature count are stacked and padded with empty rows to
a common row count. Each contributes ``k + 1`` fits: its ``k`` folds (a
training and a test row mask each) and a final fit on all its rows. Features
are scaled per fit, with the scaler fitted on that fit's training rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from buildatom.modeling.design import DesignMatrix
from buildatom.modeling.metrics import MaskedTarget
from buildatom.modeling.regression import LeastSquaresProblems
from buildatom.modeling.scaling import (
    ScalerParameters,
    Standardization,
    apply_scaler,
    fit_scaler,
)

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
IndexArray = NDArray[np.intp]

# Combinations stacked together may differ in row count by this factor (plus a
# few rows), and a batch holds at most this many feature values.
_ROW_COUNT_SPREAD = 1.25
_ROW_COUNT_SLACK = 8
_MAX_BATCH_VALUES = 4_000_000


@dataclass(frozen=True)
class FoldBatch:
    """Every fit of a group of combinations; fit ``i·(k+1) + f`` is fold ``f``
    of combination ``i``, and ``f = k`` is its final fit on all rows.

    Attributes
    ----------
    designs : list of DesignMatrix
        The combinations, all with the same feature count ``p``.
    k_folds : int
    features : ndarray of shape (b, p, n)
        Features of every row, scaled with each fit's scaler; feature-major
        (rows on the last axis), which keeps the batched arithmetic fast.
    y : ndarray of shape (b, n)
    train, test : ndarray of bool of shape (b, n)
        Row masks; padding rows are in neither.
    scaler : ScalerParameters
        Offsets and scales of shape (b, p).
    train_target, test_target : MaskedTarget
        Target-only parts of the scores on the training and test rows.
    """

    designs: list[DesignMatrix]
    k_folds: int
    features: FloatArray
    y: FloatArray
    train: BoolArray
    test: BoolArray
    scaler: ScalerParameters
    train_target: MaskedTarget
    test_target: MaskedTarget

    @property
    def final_fits(self) -> IndexArray:
        """Index of each combination's fit on all rows."""
        return np.arange(len(self.designs)) * (self.k_folds + 1) + self.k_folds


def fold_assignment(n_rows: int, k_folds: int) -> IndexArray:
    """Fold of each row under scikit-learn's ``KFold(n_splits=k)``, unshuffled.

    Folds are contiguous blocks in row order; the first ``n mod k`` have
    ``⌊n/k⌋ + 1`` rows, the others ``⌊n/k⌋``.
    """
    return _fold_of_rows(np.array([n_rows]), k_folds, n_rows)[0]


def batch_groups(designs: Sequence[DesignMatrix], k_folds: int) -> list[list[int]]:
    """Indices of the combinations to stack: one feature count, close row counts."""
    order = sorted(
        range(len(designs)), key=lambda i: (designs[i].n_features, designs[i].n_rows)
    )
    groups: list[list[int]] = []
    for index in order:
        design = designs[index]
        if groups:
            first = designs[groups[-1][0]]
            n_values = (len(groups[-1]) + 1) * (k_folds + 1) * design.n_rows
            if (
                first.n_features == design.n_features
                and design.n_rows <= _ROW_COUNT_SPREAD * first.n_rows + _ROW_COUNT_SLACK
                and n_values * (design.n_features + 1) <= _MAX_BATCH_VALUES
            ):
                groups[-1].append(index)
                continue
        groups.append([index])
    return groups


def prepare_fold_batch(
    designs: Sequence[DesignMatrix], standardization: Standardization, k_folds: int
) -> FoldBatch:
    """Stack combinations, build their fold masks and scale each fit's features.

    Parameters
    ----------
    designs : sequence of DesignMatrix
        Combinations with the same feature count, each with ``≥ k_folds`` rows.
    standardization : Standardization
    k_folds : int

    Returns
    -------
    FoldBatch
    """
    n_designs, n_fits = len(designs), k_folds + 1
    width, n_features = max(d.n_rows for d in designs), designs[0].n_features
    features = np.zeros((n_designs, 1, n_features, width))
    y = np.zeros((n_designs, width))
    for i, design in enumerate(designs):
        features[i, 0, :, : design.n_rows] = design.X.T
        y[i, : design.n_rows] = design.y
    X = features.transpose(0, 1, 3, 2)

    fold = _fold_of_rows(np.array([d.n_rows for d in designs]), k_folds, width)
    test = fold[:, None, :] == np.arange(n_fits)[None, :, None]
    train = (fold >= 0)[:, None, :] & ~test
    scaler = fit_scaler(X, standardization, train)

    n_batch = n_designs * n_fits
    train, test = train.reshape(n_batch, width), test.reshape(n_batch, width)
    y_fits = np.repeat(y, n_fits, axis=0)
    return FoldBatch(
        designs=list(designs),
        k_folds=k_folds,
        features=np.ascontiguousarray(
            apply_scaler(X, scaler).transpose(0, 1, 3, 2)
        ).reshape(n_batch, n_features, width),
        y=y_fits,
        train=train,
        test=test,
        scaler=ScalerParameters(
            scaler.offset.reshape(n_batch, n_features),
            scaler.scale.reshape(n_batch, n_features),
        ),
        train_target=MaskedTarget.from_mask(y_fits, train),
        test_target=MaskedTarget.from_mask(y_fits, test),
    )


def training_problems(
    batch: FoldBatch, fit_intercept: bool
) -> tuple[LeastSquaresProblems, FloatArray, FloatArray]:
    """The training rows of each fit as a least-squares problem.

    Parameters
    ----------
    batch : FoldBatch
    fit_intercept : bool
        Centre features and target on the training means (the intercept is
        then ``ȳ - x̄ᵀw``); otherwise leave them as they are.

    Returns
    -------
    problems : LeastSquaresProblems
        Rows outside the training set are zero.
    x_mean : ndarray of shape (b, p)
        Training means of the scaled features (zero without intercept).
    y_mean : ndarray of shape (b,)
        Training mean of the target (zero without intercept).
    """
    weight = batch.train_target.row_weight
    n_rows = weight.sum(axis=1)
    if fit_intercept:
        x_mean = np.matmul(batch.features, weight[:, :, None])[:, :, 0]
        x_mean /= n_rows[:, None]
        y_mean = np.einsum("bn,bn->b", weight, batch.y) / n_rows
    else:
        x_mean = np.zeros(batch.features.shape[:2])
        y_mean = np.zeros(batch.features.shape[0])

    features = (batch.features - x_mean[:, :, None]) * weight[:, None, :]
    y = (batch.y - y_mean[:, None]) * weight
    X = features.transpose(0, 2, 1)
    gram = np.matmul(features, X)
    moment = np.matmul(features, y[:, :, None])[:, :, 0]
    return LeastSquaresProblems(X, y, gram, moment, n_rows), x_mean, y_mean


def _fold_of_rows(n_rows: IndexArray, k_folds: int, width: int) -> IndexArray:
    """Fold index of each row of each combination; -1 for padding rows."""
    row = np.arange(width)[None, :]
    n = n_rows[:, None]
    small, n_large = n // k_folds, n % k_folds
    large_rows = n_large * (small + 1)
    fold = np.where(
        row < large_rows,
        row // (small + 1),
        n_large + (row - large_rows) // np.maximum(small, 1),
    )
    return np.where(row < n, fold, -1)
