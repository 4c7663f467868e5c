"""Turn the rows of a combination into a numeric design matrix.

Selects the x and y columns, drops incomplete rows, drops x variables that are
constant within the combination and one-hot encodes varying text columns. The
columns are read once per frame, so many combinations of one frame are cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
IndexArray = NDArray[np.intp]


class DataError(ValueError):
    """The rows of a combination cannot be modelled as asked."""


@dataclass(frozen=True)
class DesignMatrix:
    """Features and target of one combination, ready for fitting.

    Attributes
    ----------
    X : ndarray of shape (n, p)
        Features as float64: numeric x variables, then 0/1 indicator columns.
    y : ndarray of shape (n,)
        Target as float64.
    feature_names : list of str
        One per column of ``X``: the x variable, or ``Column=level``.
    source_columns : list of str
        One per column of ``X``: the x variable it comes from.
    dropped_variables : list of str
        x variables constant within the rows, hence left out.
    x_variables : list of str
        The x variables asked for, in order.
    dropped_rows : int
        Rows left out because a used column was missing or not finite.
    """

    X: FloatArray
    y: FloatArray
    feature_names: list[str]
    source_columns: list[str]
    dropped_variables: list[str]
    x_variables: list[str]
    dropped_rows: int = 0

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        return int(self.y.shape[0])

    @property
    def n_features(self) -> int:
        """Number of feature columns."""
        return int(self.X.shape[1])


def build_design_matrix(
    frame: pd.DataFrame,
    x_variables: Sequence[str],
    y_variable: str,
    *,
    min_rows: int = 2,
) -> DesignMatrix:
    """Build the design matrix of one combination.

    Parameters
    ----------
    frame : DataFrame
        The rows of the combination.
    x_variables : sequence of str
        Columns to use as features, in order.
    y_variable : str
        Column to predict; must be numeric.
    min_rows : int, default 2
        Fewest complete rows accepted (pass ``k_folds`` for cross-validation).

    Returns
    -------
    DesignMatrix

    Raises
    ------
    DataError
        A column is missing; ``y_variable`` is not numeric, is also an x
        variable, or is zero on every row; fewer than ``min_rows`` rows are
        complete; or no x variable varies.

    Notes
    -----
    Rows where any used column is missing (or, if numeric, not finite) are
    dropped before anything else. An x variable with a single distinct value
    on the remaining rows is dropped, whatever its type. A numeric (or
    boolean) x variable is used as is; any other is read as text and one-hot
    encoded with its levels sorted as strings, the first level present
    dropped and the others named ``Column=level``.
    """
    columns = _read_columns(frame, list(x_variables), y_variable)
    return _design_from_columns(columns, np.arange(len(frame)), min_rows)


def build_design_matrices(
    frame: pd.DataFrame,
    row_groups: Sequence[Sequence[int]],
    x_variables: Sequence[str],
    y_variable: str,
    *,
    min_rows: int = 2,
) -> list[DesignMatrix | DataError]:
    """`build_design_matrix` for many combinations of one frame.

    Parameters
    ----------
    frame : DataFrame
        The rows of every combination.
    row_groups : sequence of sequence of int
        Positions (as for ``frame.iloc``) of each combination's rows, in order.
    x_variables, y_variable, min_rows
        As for `build_design_matrix`.

    Returns
    -------
    list of DesignMatrix or DataError
        One per group: its design matrix, or the error that stopped it.

    Raises
    ------
    DataError
        A problem shared by every group: a missing column, a non-numeric
        ``y_variable`` or one that is also an x variable.
    """
    columns = _read_columns(frame, list(x_variables), y_variable)
    designs: list[DesignMatrix | DataError] = []
    for rows in row_groups:
        try:
            positions = np.asarray(rows, dtype=np.intp)
            designs.append(_design_from_columns(columns, positions, min_rows))
        except DataError as error:
            designs.append(error)
    return designs


@dataclass(frozen=True)
class _Column:
    """One column read out of a frame.

    Numeric columns hold float64 ``values``; text columns hold integer codes
    of their levels, which are sorted as strings.
    """

    name: str
    values: NDArray[np.float64] | NDArray[np.intp]
    present: BoolArray
    levels: list[str] | None = None


@dataclass(frozen=True)
class _Columns:
    """The x columns and the target of a frame, read once."""

    x: list[_Column]
    y: _Column
    present: BoolArray


def _read_columns(frame: pd.DataFrame, x_names: list[str], y_variable: str) -> _Columns:
    """Check the columns exist and read each once: numbers or coded text."""
    missing = [name for name in [*x_names, y_variable] if name not in frame.columns]
    if missing:
        raise DataError(
            f"column(s) {missing} not in the data; available: {list(frame.columns)}"
        )
    repeated = sorted({name for name in x_names if x_names.count(name) > 1})
    if repeated:
        raise DataError(f"x_variables lists {repeated} more than once")
    if y_variable in x_names:
        raise DataError(f"y_variable {y_variable!r} is also one of the x_variables")

    target = frame[y_variable]
    if not _is_numeric(target.dtype):
        raise DataError(
            f"y_variable {y_variable!r} must be numeric, got dtype {target.dtype}"
        )
    y = _read_column(target)
    x = [_read_column(frame[name]) for name in x_names]
    present = y.present.copy()
    for column in x:
        present &= column.present
    return _Columns(x=x, y=y, present=present)


def _read_column(series: pd.Series) -> _Column:
    """Float values of a numeric column, or sorted-level codes of a text one."""
    name = str(series.name)
    if _is_numeric(series.dtype):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        return _Column(name, values, np.isfinite(values))

    raw = series.to_numpy(dtype=object)
    present = ~pd.isna(raw)
    levels, codes = np.unique(
        np.where(present, raw, "").astype(str), return_inverse=True
    )
    return _Column(name, codes.astype(np.intp), present, levels.tolist())


def _design_from_columns(
    columns: _Columns, positions: IndexArray, min_rows: int
) -> DesignMatrix:
    """Design matrix of the complete rows among ``positions``."""
    rows = positions[columns.present[positions]]
    if rows.size < min_rows:
        names = [column.name for column in [*columns.x, columns.y]]
        raise DataError(
            f"{rows.size} complete rows remain after dropping rows with missing "
            f"values in {names}; at least {min_rows} are needed"
        )

    y = columns.y.values[rows].astype(np.float64)
    if not np.any(y != 0.0):
        raise DataError(
            f"all-zero target: y_variable {columns.y.name!r} is 0 on every row"
        )

    blocks: list[FloatArray] = []
    feature_names: list[str] = []
    source_columns: list[str] = []
    dropped: list[str] = []
    for column in columns.x:
        block, names = _encode_column(column, rows)
        if block is None:
            dropped.append(column.name)
            continue
        blocks.append(block)
        feature_names.extend(names)
        source_columns.extend([column.name] * len(names))

    if not blocks:
        raise DataError(
            f"no features left: every x variable is constant within the rows {dropped}"
        )
    return DesignMatrix(
        X=np.column_stack(blocks),
        y=y,
        feature_names=feature_names,
        source_columns=source_columns,
        dropped_variables=dropped,
        x_variables=[column.name for column in columns.x],
        dropped_rows=int(positions.size - rows.size),
    )


def _encode_column(
    column: _Column, rows: IndexArray
) -> tuple[FloatArray | None, list[str]]:
    """Numeric values or one-hot indicators of one x variable; None if constant."""
    values = column.values[rows]
    if values.min() == values.max():
        return None, []
    if column.levels is None:
        return values.astype(np.float64)[:, None], [column.name]

    present_codes = np.unique(values)
    indicators = values[:, None] == present_codes[None, 1:]
    names = [f"{column.name}={column.levels[code]}" for code in present_codes[1:]]
    return indicators.astype(np.float64), names


def _is_numeric(dtype: object) -> bool:
    """Numeric or boolean dtype (booleans become 0/1)."""
    if isinstance(dtype, np.dtype):
        return dtype.kind in "biuf"
    return bool(
        pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
    )
