"""Per-region scaling of transformed media and other variables.

``fit_scaler`` records the statistics (min/max or mean/std) and
``apply_scaler`` applies them, so a fitted scaling can be replayed exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from numpy.typing import ArrayLike

from buildatom.modeling.transforms import (
    FloatArray,
    ScalingMethod,
    TransformParameterError,
    as_series,
)


@dataclass(frozen=True)
class ScalerParams:
    """Statistics a scaler was fitted with.

    ``MINMAX`` uses ``minimum``/``maximum``, ``STANDARD`` uses ``mean``/``std``
    (population standard deviation, ddof 0, as scikit-learn's
    ``StandardScaler``); ``NONE`` uses nothing.
    """

    method: ScalingMethod
    minimum: float = 0.0
    maximum: float = 0.0
    mean: float = 0.0
    std: float = 0.0

    def to_dict(self) -> dict[str, float]:
        """The fitted statistics as plain floats, for storage."""
        if self.method is ScalingMethod.MINMAX:
            return {"min": self.minimum, "max": self.maximum}
        if self.method is ScalingMethod.STANDARD:
            return {"mean": self.mean, "std": self.std}
        return {}

    @classmethod
    def from_dict(
        cls, method: ScalingMethod | str, stored: Mapping[str, float]
    ) -> ScalerParams:
        """Rebuild from ``to_dict`` output and the scaling method."""
        kind = ScalingMethod(method)
        keys = {
            ScalingMethod.NONE: (),
            ScalingMethod.MINMAX: ("min", "max"),
            ScalingMethod.STANDARD: ("mean", "std"),
        }[kind]
        missing = [key for key in keys if key not in stored]
        if missing:
            raise TransformParameterError(
                f"stored {kind.value} scaler needs {list(keys)}, got {dict(stored)!r}"
            )
        if kind is ScalingMethod.MINMAX:
            return cls(kind, minimum=float(stored["min"]), maximum=float(stored["max"]))
        if kind is ScalingMethod.STANDARD:
            return cls(kind, mean=float(stored["mean"]), std=float(stored["std"]))
        return cls(kind)


def fit_scaler(values: ArrayLike, method: ScalingMethod | str) -> ScalerParams:
    """Fit the statistics of a scaling method on one region's column.

    Parameters
    ----------
    values : array_like, shape (n,)
        Finite values, ``n >= 1``.
    method : ScalingMethod or str
        ``minmax`` records min and max; ``standard`` records the mean and the
        population standard deviation (0 for a constant column).

    Returns
    -------
    ScalerParams
    """
    kind = ScalingMethod(method)
    series = as_series(values, "values to scale")
    if series.size == 0:
        raise TransformParameterError("values to scale must hold at least 1 value")

    if kind is ScalingMethod.MINMAX:
        return ScalerParams(
            kind, minimum=float(series.min()), maximum=float(series.max())
        )
    if kind is ScalingMethod.STANDARD:
        if series.min() == series.max():
            return ScalerParams(kind, mean=float(series[0]), std=0.0)
        return ScalerParams(kind, mean=float(series.mean()), std=float(series.std()))
    return ScalerParams(kind)


def apply_scaler(values: ArrayLike, params: ScalerParams) -> FloatArray:
    """Scale ``values`` with fitted statistics.

    ``minmax``: ``(x - min) / (max - min)``; ``standard``: ``(x - mean) / std``;
    a zero divisor (constant column) is replaced by 1, so a constant column
    scales to 0.
    """
    series = as_series(values, "values to scale")
    if params.method is ScalingMethod.MINMAX:
        offset, divisor = params.minimum, params.maximum - params.minimum
    elif params.method is ScalingMethod.STANDARD:
        offset, divisor = params.mean, params.std
    else:
        return series.copy()

    scaled: FloatArray = (series - offset) / (divisor if divisor != 0.0 else 1.0)
    return scaled
