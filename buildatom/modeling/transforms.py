"""Media transforms for marketing mix modeling: adstock and saturation.

Each transform is a pure function of a 1-D float array of one region's spend
in date order. ``MediaTransform`` chains adstock and saturation and records the
fitted peak, so a fitted chain can be replayed on new spend.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from numbers import Real

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.signal import lfilter
from scipy.special import expit

FloatArray = NDArray[np.float64]


class TransformParameterError(ValueError):
    """A transform parameter or input series is outside its allowed range."""


class TransformationType(StrEnum):
    """Saturation curve applied after geometric adstock."""

    ADSTOCK = "adstock"
    LOGISTIC = "logistic"
    POWER = "power"


class ScalingMethod(StrEnum):
    """Scaling applied per region after the media transform."""

    NONE = "none"
    MINMAX = "minmax"
    STANDARD = "standard"


PARAMETER_NAMES: Mapping[TransformationType, tuple[str, ...]] = {
    TransformationType.ADSTOCK: ("carryover",),
    TransformationType.LOGISTIC: ("growth_rate", "carryover", "midpoint"),
    TransformationType.POWER: ("exponent", "carryover"),
}
"""Order of the values in a transformation parameter list, per type."""

DEFAULT_PARAMETERS: Mapping[TransformationType, tuple[float, ...]] = {
    TransformationType.ADSTOCK: (0.5,),
    TransformationType.LOGISTIC: (5.0, 0.5, 0.5),
    TransformationType.POWER: (0.5, 0.5),
}
"""Parameters of a media variable that has none of its own."""


def as_series(values: ArrayLike, name: str) -> FloatArray:
    """Return ``values`` as a finite 1-D float array, or raise naming ``name``."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise TransformParameterError(f"{name} must hold numbers") from None
    if array.ndim != 1:
        raise TransformParameterError(
            f"{name} must be a 1-D series, got an array of shape {array.shape}"
        )
    if not np.isfinite(array).all():
        bad = int(np.count_nonzero(~np.isfinite(array)))
        raise TransformParameterError(
            f"{name} must hold finite numbers, got {bad} missing or infinite "
            f"value(s) out of {array.size}"
        )
    return array


def _check_carryover(carryover: object, name: str = "carryover") -> float:
    value = _check_real(carryover, name)
    if not 0.0 <= value < 1.0:
        raise TransformParameterError(f"{name} must be in [0, 1), got {carryover!r}")
    return value


def _check_positive(value: object, name: str) -> float:
    number = _check_real(value, name)
    if not number > 0.0:
        raise TransformParameterError(f"{name} must be > 0, got {value!r}")
    return number


def _check_midpoint(midpoint: object, name: str = "midpoint") -> float:
    value = _check_real(midpoint, name)
    if not 0.0 <= value <= 1.0:
        raise TransformParameterError(f"{name} must be in [0, 1], got {midpoint!r}")
    return value


def _check_peak(peak: object) -> float:
    value = _check_real(peak, "peak")
    if value < 0.0:
        raise TransformParameterError(f"peak must be >= 0, got {peak!r}")
    return value


def _check_real(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TransformParameterError(f"{name} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise TransformParameterError(f"{name} must be finite, got {value!r}")
    return number


def _check_non_negative(series: FloatArray, name: str) -> None:
    if series.size and series.min() < 0.0:
        raise TransformParameterError(
            f"{name} must be >= 0 for a saturation curve, got a minimum of "
            f"{series.min()!r}"
        )


def geometric_adstock(spend: ArrayLike, carryover: float) -> FloatArray:
    """Carry a share of each period's effect into the next one.

    Parameters
    ----------
    spend : array_like, shape (n,)
        Media spend of one region in date order.
    carryover : float
        Share ``r`` of the previous adstock kept, ``0 <= r < 1``.

    Returns
    -------
    ndarray, shape (n,)
        ``a_0 = x_0`` and ``a_t = x_t + r * a_{t-1}``, computed as the
        first-order recursive filter ``1 / (1 - r z^-1)``.

    References
    ----------
    Jin, Y. et al. (2017), "Bayesian Methods for Media Mix Modeling with
    Carryover and Shape Effects", Google Inc., section 2.1.
    """
    series = as_series(spend, "spend")
    rate = _check_carryover(carryover)

    if series.size == 0:
        return series.copy()
    adstocked: FloatArray = lfilter([1.0], [1.0, -rate], series)
    return adstocked


def logistic_saturation(
    adstocked: ArrayLike, growth_rate: float, midpoint: float, peak: float
) -> FloatArray:
    """S-shaped response of adstocked spend relative to its peak.

    Parameters
    ----------
    adstocked : array_like, shape (n,)
        Non-negative adstocked spend ``a``.
    growth_rate : float
        Steepness ``k > 0`` of the curve.
    midpoint : float
        Point ``m`` of ``u`` where the response is one half, ``0 <= m <= 1``
        (the range ``u`` covers on the data the peak was fitted on).
    peak : float
        Normaliser ``max(a)`` fitted on the original data, ``>= 0``.

    Returns
    -------
    ndarray, shape (n,)
        ``s = 1 / (1 + exp(-k (u - m)))`` with ``u = a / peak`` (``u = 0``
        where ``peak = 0``). Mathematically in (0, 1); for extreme ``k`` the
        float result can round to 0 or 1.

    References
    ----------
    Hanssens, D., Parsons, L. and Schultz, R. (2001), "Market Response
    Models", 2nd ed., Kluwer, chapter 3 (S-shaped response).
    """
    series = as_series(adstocked, "adstocked")
    _check_non_negative(series, "adstocked")
    rate = _check_positive(growth_rate, "growth_rate")
    centre = _check_midpoint(midpoint)
    normaliser = _check_peak(peak)

    relative = series / normaliser if normaliser > 0.0 else np.zeros_like(series)
    response: FloatArray = expit(rate * (relative - centre))
    return response


def power_saturation(adstocked: ArrayLike, exponent: float, peak: float) -> FloatArray:
    """Diminishing (``p < 1``) or accelerating (``p > 1``) returns to spend.

    Parameters
    ----------
    adstocked : array_like, shape (n,)
        Non-negative adstocked spend ``a``.
    exponent : float
        Exponent ``p > 0``.
    peak : float
        Normaliser ``max(a)`` fitted on the original data, ``>= 0``.

    Returns
    -------
    ndarray, shape (n,)
        ``s = (a / peak) ** p`` (0 where ``peak = 0``); in [0, 1] on the data
        the peak was fitted on, above 1 for spend beyond that peak.

    References
    ----------
    Hanssens, D., Parsons, L. and Schultz, R. (2001), "Market Response
    Models", 2nd ed., Kluwer, chapter 3 (power response).
    """
    series = as_series(adstocked, "adstocked")
    _check_non_negative(series, "adstocked")
    power = _check_positive(exponent, "exponent")
    normaliser = _check_peak(peak)

    if normaliser == 0.0:
        return np.zeros_like(series)
    response: FloatArray = np.power(series / normaliser, power)
    return response


def parse_transform_params(
    transformation: TransformationType | str,
    params: Sequence[float] | None = None,
    variable: str = "media variable",
) -> dict[str, float]:
    """Validate a parameter list and name its values.

    Parameters
    ----------
    transformation : TransformationType or str
        ``adstock`` takes ``[carryover]``, ``logistic`` takes
        ``[growth_rate, carryover, midpoint]``, ``power`` takes
        ``[exponent, carryover]``.
    params : sequence of float, optional
        Values in that order; ``None`` gives ``DEFAULT_PARAMETERS``.
    variable : str
        Media variable the list belongs to, named in error messages.

    Returns
    -------
    dict
        Parameter name to value, in list order.

    Raises
    ------
    TransformParameterError
        Unknown type, wrong length, or a value out of range: carryover in
        [0, 1), growth_rate > 0, midpoint in [0, 1], exponent > 0.
    """
    kind = parse_transformation_type(transformation)
    names = PARAMETER_NAMES[kind]
    values = DEFAULT_PARAMETERS[kind] if params is None else params

    if isinstance(values, str | bytes) or not isinstance(values, Sequence):
        raise TransformParameterError(
            f"transformation_params for {variable} must be a list "
            f"[{', '.join(names)}], got {values!r}"
        )
    if len(values) != len(names):
        raise TransformParameterError(
            f"transformation_params for {variable} must have {len(names)} "
            f"value(s) [{', '.join(names)}] for {kind.value}, got "
            f"{len(values)}: {list(values)!r}"
        )

    checks: dict[str, Callable[[object, str], float]] = {
        "carryover": _check_carryover,
        "growth_rate": _check_positive,
        "midpoint": _check_midpoint,
        "exponent": _check_positive,
    }
    return {
        name: checks[name](value, f"{name} for {variable}")
        for name, value in zip(names, values, strict=True)
    }


def parse_transformation_type(value: TransformationType | str) -> TransformationType:
    """Return the ``TransformationType`` named by ``value``, or raise."""
    try:
        return TransformationType(value)
    except ValueError:
        allowed = ", ".join(kind.value for kind in TransformationType)
        raise TransformParameterError(
            f"transformation_type must be one of {allowed}, got {value!r}"
        ) from None


@dataclass(frozen=True)
class MediaTransform:
    """Adstock followed by a saturation curve, with validated parameters.

    Parameters
    ----------
    transformation : TransformationType
        Which chain to apply.
    params : tuple of float
        Values in the order of ``PARAMETER_NAMES[transformation]``.
    """

    transformation: TransformationType
    params: tuple[float, ...]

    def __post_init__(self) -> None:
        kind = parse_transformation_type(self.transformation)
        named = parse_transform_params(kind, list(self.params))
        object.__setattr__(self, "transformation", kind)
        object.__setattr__(self, "params", tuple(named.values()))

    @classmethod
    def from_params(
        cls,
        transformation: TransformationType | str,
        params: Sequence[float] | None = None,
        variable: str = "media variable",
    ) -> MediaTransform:
        """Build from a request's list, defaults when ``params`` is None."""
        named = parse_transform_params(transformation, params, variable)
        return cls(TransformationType(transformation), tuple(named.values()))

    @property
    def named_params(self) -> dict[str, float]:
        """Parameter name to value."""
        names = PARAMETER_NAMES[self.transformation]
        return dict(zip(names, self.params, strict=True))

    def fit_apply(self, spend: ArrayLike) -> tuple[FloatArray, float]:
        """Transform ``spend`` and return the values with the fitted peak.

        The peak is ``max(a)`` of the adstocked series (0 for an empty one);
        it is recorded for every type, and used by the saturation curves.
        """
        adstocked = geometric_adstock(spend, self.named_params["carryover"])
        peak = float(adstocked.max()) if adstocked.size else 0.0
        return self._saturate(adstocked, peak), peak

    def replay(self, spend: ArrayLike, peak: float) -> FloatArray:
        """Transform ``spend`` with a peak fitted before, kept fixed.

        On the spend ``peak`` was fitted on, this equals ``fit_apply`` exactly.
        """
        adstocked = geometric_adstock(spend, self.named_params["carryover"])
        return self._saturate(adstocked, peak)

    def _saturate(self, adstocked: FloatArray, peak: float) -> FloatArray:
        named = self.named_params
        if self.transformation is TransformationType.LOGISTIC:
            return logistic_saturation(
                adstocked, named["growth_rate"], named["midpoint"], peak
            )
        if self.transformation is TransformationType.POWER:
            return power_saturation(adstocked, named["exponent"], peak)
        return adstocked
