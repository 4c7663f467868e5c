"""Transform one combination's data region by region, and replay the chain.

``transform_combination`` runs each media variable's chain and the scaling per
region in date order and records every fitted number as plain floats;
``replay_combination`` and ``replay_media`` apply the same chain, with those
numbers fixed, to the same or to new spend.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from buildatom.modeling.transforms import (
    FloatArray,
    MediaTransform,
    ScalingMethod,
    TransformationType,
    TransformParameterError,
)
from buildatom.modeling.transforms_scaling import (
    ScalerParams,
    apply_scaler,
    fit_scaler,
)

ALL_REGIONS = "all"
"""Region key used when the data has no region column."""

TRANSFORMED_SUFFIX = "_transformed"

RegionStatistics = dict[str, dict[str, float]]


class TransformedCombination(NamedTuple):
    """Result of ``transform_combination``.

    Attributes
    ----------
    frame : DataFrame
        The input rows in their input order, with ``<media>_transformed``
        columns added and ``other_variables`` scaled in place.
    fitted_parameters : dict
        JSON-ready record of the chain: ``date_column``, ``region_column``,
        ``scaling``, ``media`` (variable -> ``column``, ``transformation``,
        ``params``, ``regions`` -> region -> ``peak`` and scaler statistics),
        ``other_variables`` (variable -> region -> scaler statistics) and
        ``non_scaled_variables``.
    variable_statistics : dict
        Column -> region -> ``mean``, ``std`` (ddof 1), ``min``, ``max`` of
        each transformed media column and each scaled other variable.
    """

    frame: pd.DataFrame
    fitted_parameters: dict[str, Any]
    variable_statistics: dict[str, RegionStatistics]


def transformed_column(variable: str) -> str:
    """Name of the model column made from media ``variable``."""
    return f"{variable}{TRANSFORMED_SUFFIX}"


def build_media_transforms(
    media_variables: Sequence[str],
    transformation_type: TransformationType | str,
    transformation_params: Mapping[str, Sequence[float]] | None = None,
) -> dict[str, MediaTransform]:
    """One validated chain per media variable, defaults where none is given.

    Raises
    ------
    TransformParameterError
        A key of ``transformation_params`` is not a media variable, or a
        parameter list is invalid (the message names the variable).
    """
    given = dict(transformation_params or {})
    unknown = sorted(set(given) - set(media_variables))
    if unknown:
        raise TransformParameterError(
            f"transformation_params names {unknown}, which are not among the "
            f"media_variables {list(media_variables)}"
        )
    return {
        variable: MediaTransform.from_params(
            transformation_type, given.get(variable), variable
        )
        for variable in media_variables
    }


@dataclass(frozen=True)
class _RegionLayout:
    """Row positions of each region, each block in date order."""

    order: NDArray[np.intp]
    starts: NDArray[np.intp]
    names: tuple[str, ...]

    def blocks(self) -> Iterator[tuple[str, NDArray[np.intp]]]:
        for index, name in enumerate(self.names):
            yield name, self.order[self.starts[index] : self.starts[index + 1]]


def _codes(frame: pd.DataFrame, column: str, role: str) -> tuple[NDArray[Any], Any]:
    if column not in frame.columns:
        raise TransformParameterError(f"{role} {column!r} is not a column of the data")
    try:
        codes, uniques = pd.factorize(frame[column], sort=True)
    except TypeError:
        raise TransformParameterError(
            f"{role} {column!r} mixes values that cannot be ordered"
        ) from None
    if (codes < 0).any():
        raise TransformParameterError(
            f"{role} {column!r} has {int((codes < 0).sum())} missing value(s)"
        )
    return codes, uniques


def _region_layout(
    frame: pd.DataFrame, date_column: str | None, region_column: str | None
) -> _RegionLayout:
    rows = len(frame)
    if region_column is None:
        region_codes: NDArray[Any] = np.zeros(rows, dtype=np.intp)
        names: tuple[str, ...] = (ALL_REGIONS,) if rows else ()
    else:
        region_codes, uniques = _codes(frame, region_column, "region_column")
        names = tuple(str(value) for value in uniques)
    if date_column is None:
        date_codes: NDArray[Any] = np.arange(rows)
    else:
        date_codes, _ = _codes(frame, date_column, "date_column")

    order = np.lexsort((date_codes, region_codes))
    counts = np.bincount(region_codes, minlength=len(names))
    starts = np.concatenate(([0], np.cumsum(counts))).astype(np.intp)
    return _RegionLayout(order, starts, names)


def _numeric_column(frame: pd.DataFrame, column: str, role: str) -> FloatArray:
    if column not in frame.columns:
        raise TransformParameterError(f"{role} {column!r} is not a column of the data")
    try:
        values = frame[column].to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        raise TransformParameterError(
            f"{role} {column!r} must be numeric, got dtype {frame[column].dtype}"
        ) from None
    bad = int(np.count_nonzero(~np.isfinite(values)))
    if bad:
        raise TransformParameterError(
            f"{role} {column!r} has {bad} missing or infinite value(s)"
        )
    return values


def _media_spend(
    frame: pd.DataFrame, variable: str, chain: MediaTransform, multiplier: float
) -> FloatArray:
    spend = _numeric_column(frame, variable, "media variable") * multiplier
    if chain.transformation is not TransformationType.ADSTOCK and (spend < 0).any():
        raise TransformParameterError(
            f"media variable {variable!r} must be >= 0 for a "
            f"{chain.transformation.value} transform, got a minimum of "
            f"{spend.min()!r}"
        )
    return spend


def _check_roles(
    media: Mapping[str, MediaTransform],
    other_variables: Sequence[str],
    non_scaled_variables: Sequence[str],
) -> None:
    seen: dict[str, str] = {}
    roles = (
        ("media_variables", list(media)),
        ("other_variables", list(other_variables)),
        ("non_scaled_variables", list(non_scaled_variables)),
    )
    for role, variables in roles:
        for variable in variables:
            if variable in seen:
                raise TransformParameterError(
                    f"variable {variable!r} is listed in both {seen[variable]} "
                    f"and {role}"
                )
            seen[variable] = role


def _region_statistics(values: FloatArray, layout: _RegionLayout) -> RegionStatistics:
    statistics: RegionStatistics = {}
    for region, rows in layout.blocks():
        block = values[rows]
        spread = float(block.std(ddof=1)) if block.size > 1 else float("nan")
        statistics[region] = {
            "mean": float(block.mean()),
            "std": spread,
            "min": float(block.min()),
            "max": float(block.max()),
        }
    return statistics


def transform_combination(
    frame: pd.DataFrame,
    date_column: str | None,
    region_column: str | None,
    media: Mapping[str, MediaTransform],
    other_variables: Sequence[str] = (),
    non_scaled_variables: Sequence[str] = (),
    scaling: ScalingMethod | str = ScalingMethod.NONE,
) -> TransformedCombination:
    """Transform and scale one combination's variables, per region.

    Parameters
    ----------
    frame : DataFrame
        Rows of one combination; any row order.
    date_column : str or None
        Rows of a region are transformed in ascending order of this column
        (pass parsed dates; strings sort as text). None keeps the row order.
    region_column : str or None
        Each region is transformed and scaled on its own. None treats the
        data as one region, keyed ``ALL_REGIONS``.
    media : mapping of str to MediaTransform
        Raw media column -> chain; the result goes to ``<variable>_transformed``
        and is then scaled.
    other_variables : sequence of str
        Columns scaled in place, per region.
    non_scaled_variables : sequence of str
        Columns checked to exist and left untouched, as is every other column.
    scaling : ScalingMethod or str
        ``none``, ``minmax`` or ``standard`` (population std), fitted per
        region.

    Returns
    -------
    TransformedCombination
    """
    method = ScalingMethod(scaling)
    _check_roles(media, other_variables, non_scaled_variables)
    for variable in non_scaled_variables:
        if variable not in frame.columns:
            raise TransformParameterError(
                f"non_scaled_variable {variable!r} is not a column of the data"
            )
    layout = _region_layout(frame, date_column, region_column)
    result = frame.copy()
    statistics: dict[str, RegionStatistics] = {}

    media_fitted: dict[str, Any] = {}
    for variable, chain in media.items():
        spend = _media_spend(frame, variable, chain, 1.0)
        values = np.empty(len(frame))
        regions: dict[str, dict[str, float]] = {}
        for region, rows in layout.blocks():
            transformed, peak = chain.fit_apply(spend[rows])
            scaler = fit_scaler(transformed, method)
            values[rows] = apply_scaler(transformed, scaler)
            regions[region] = {"peak": peak, **scaler.to_dict()}
        column = transformed_column(variable)
        result[column] = values
        statistics[column] = _region_statistics(values, layout)
        media_fitted[variable] = {
            "column": column,
            "transformation": chain.transformation.value,
            "params": list(chain.params),
            "regions": regions,
        }

    other_fitted: dict[str, Any] = {}
    for variable in other_variables:
        raw = _numeric_column(frame, variable, "other variable")
        values = np.empty(len(frame))
        scalers: dict[str, dict[str, float]] = {}
        for region, rows in layout.blocks():
            scaler = fit_scaler(raw[rows], method)
            values[rows] = apply_scaler(raw[rows], scaler)
            scalers[region] = scaler.to_dict()
        result[variable] = values
        statistics[variable] = _region_statistics(values, layout)
        other_fitted[variable] = scalers

    fitted = {
        "date_column": date_column,
        "region_column": region_column,
        "scaling": method.value,
        "media": media_fitted,
        "other_variables": other_fitted,
        "non_scaled_variables": list(non_scaled_variables),
    }
    return TransformedCombination(result, fitted, statistics)


def _stored_regions(
    stored: Mapping[str, Any], layout: _RegionLayout, variable: str
) -> None:
    missing = [region for region in layout.names if region not in stored]
    if missing:
        raise TransformParameterError(
            f"variable {variable!r} has no fitted parameters for region(s) "
            f"{missing}; fitted regions are {sorted(stored)}"
        )


def _replay_media_values(
    frame: pd.DataFrame,
    fitted_parameters: Mapping[str, Any],
    variable: str,
    layout: _RegionLayout,
    multiplier: float,
) -> FloatArray:
    entries = fitted_parameters["media"]
    if variable not in entries:
        raise TransformParameterError(
            f"media variable {variable!r} was not transformed; transformed "
            f"media are {sorted(entries)}"
        )
    entry = entries[variable]
    chain = MediaTransform(
        TransformationType(entry["transformation"]), tuple(entry["params"])
    )
    method = ScalingMethod(fitted_parameters["scaling"])
    _stored_regions(entry["regions"], layout, variable)

    spend = _media_spend(frame, variable, chain, multiplier)
    values = np.empty(len(frame))
    for region, rows in layout.blocks():
        stored = entry["regions"][region]
        transformed = chain.replay(spend[rows], stored["peak"])
        values[rows] = apply_scaler(transformed, ScalerParams.from_dict(method, stored))
    return values


def replay_media(
    frame: pd.DataFrame,
    fitted_parameters: Mapping[str, Any],
    variable: str,
    spend_multiplier: float = 1.0,
) -> FloatArray:
    """Re-apply one media variable's fitted chain to (scaled) raw spend.

    Parameters
    ----------
    frame : DataFrame
        Rows holding the raw media column and the date and region columns
        named in ``fitted_parameters``.
    fitted_parameters : mapping
        As returned by ``transform_combination``.
    variable : str
        Raw media column.
    spend_multiplier : float
        Spend is multiplied by this in every period before the chain (1.01
        for a 1 % increase); the peak and scaler statistics stay fixed.

    Returns
    -------
    ndarray, shape (len(frame),)
        The transformed, scaled column in the frame's row order.
    """
    layout = _region_layout(
        frame, fitted_parameters["date_column"], fitted_parameters["region_column"]
    )
    return _replay_media_values(
        frame, fitted_parameters, variable, layout, spend_multiplier
    )


def replay_combination(
    frame: pd.DataFrame, fitted_parameters: Mapping[str, Any]
) -> pd.DataFrame:
    """Re-apply every fitted chain and scaler, with their parameters fixed.

    On the raw rows the parameters were fitted on, the result equals the
    ``frame`` of ``transform_combination`` exactly.

    Raises
    ------
    TransformParameterError
        A column is missing or a region has no fitted parameters.
    """
    layout = _region_layout(
        frame, fitted_parameters["date_column"], fitted_parameters["region_column"]
    )
    method = ScalingMethod(fitted_parameters["scaling"])
    result = frame.copy()

    for variable, entry in fitted_parameters["media"].items():
        result[entry["column"]] = _replay_media_values(
            frame, fitted_parameters, variable, layout, 1.0
        )

    for variable, scalers in fitted_parameters["other_variables"].items():
        _stored_regions(scalers, layout, variable)
        raw = _numeric_column(frame, variable, "other variable")
        values = np.empty(len(frame))
        for region, rows in layout.blocks():
            params = ScalerParams.from_dict(method, scalers[region])
            values[rows] = apply_scaler(raw[rows], params)
        result[variable] = values
    return result
