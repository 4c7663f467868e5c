"""Synthetic weekly sales behind the demo scope ``scope_123``.

Volume is linear in price, distribution and promotion, plus a yearly season and
Gaussian noise, with coefficients drawn per combination from a seeded generator,
so a linear regression on a combination's CSV recovers its price elasticity.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

SALES_SCOPE_ID = "scope_123"
SALES_SEED = 20220103
SALES_WEEKS = 156
SALES_FIRST_WEEK = "2022-01-03"
DECIMALS = 4
FLOAT_FORMAT = f"%.{DECIMALS}f"

REGULAR_PRICE_BY_PPG = {
    "small": (2.0, 3.5),
    "medium": (3.0, 4.5),
    "large": (4.0, 6.5),
    "bulk": (8.0, 12.0),
}


@dataclass(frozen=True)
class SalesCombination:
    """One channel × brand × PPG combination of the sales scope."""

    set_name: str
    channel: str
    brand: str
    ppg: str

    @property
    def combination_id(self) -> str:
        """Unique, URL-safe id: ``<channel>_<brand>_<ppg>``."""
        return f"{self.channel}_{self.brand}_{self.ppg}"

    @property
    def file_key(self) -> str:
        """Key of the combination's CSV file in the data bucket."""
        return f"sales/{self.combination_id}.csv"


def _grid(
    set_name: str,
    channels: tuple[str, ...],
    brands: tuple[str, ...],
    ppgs: tuple[str, ...],
) -> tuple[SalesCombination, ...]:
    return tuple(
        SalesCombination(set_name, channel, brand, ppg)
        for channel in channels
        for brand in brands
        for ppg in ppgs
    )


SALES_COMBINATIONS: tuple[SalesCombination, ...] = (
    *_grid(
        "Scope_1",
        ("walmart", "target", "kroger"),
        ("heinz", "kraft"),
        ("small", "large"),
    ),
    *_grid("Scope_2", ("costco", "amazon"), ("heinz", "kraft"), ("bulk",)),
    *_grid("Scope_3", ("safeway", "publix"), ("hunts", "frenchs"), ("medium",)),
)
_BY_ID = {combo.combination_id: combo for combo in SALES_COMBINATIONS}


@dataclass(frozen=True)
class SalesParameters:
    """True parameters of one combination's sales process.

    The volume equation, with ``t`` the week index from 0::

        Volume_t = intercept + price·Price_t + distribution·Distribution_t
                   + promo·Promo_t
                   + season_amplitude·sin(2π·t/52 + season_phase) + ε_t,
        ε_t ~ N(0, noise_sd²)

    ``regular_price``, ``mean_distribution`` and ``promo_rate`` describe how the
    regressors themselves are generated.
    """

    intercept: float
    price: float
    distribution: float
    promo: float
    season_amplitude: float
    season_phase: float
    noise_sd: float
    regular_price: float
    mean_distribution: float
    promo_rate: float


@dataclass(frozen=True)
class _SalesSeries:
    parameters: SalesParameters
    price: np.ndarray
    distribution: np.ndarray
    promo: np.ndarray
    expected_volume: np.ndarray
    volume: np.ndarray


def _combination(combination_id: str) -> SalesCombination:
    try:
        return _BY_ID[combination_id]
    except KeyError:
        known = ", ".join(_BY_ID)
        message = f"unknown sales combination_id {combination_id!r}"
        raise KeyError(f"{message}; known ids: {known}") from None


def _draw_parameters(
    combo: SalesCombination, rng: np.random.Generator
) -> SalesParameters:
    base_volume = rng.uniform(4_000.0, 16_000.0)
    regular_price = rng.uniform(*REGULAR_PRICE_BY_PPG[combo.ppg])
    mean_distribution = rng.uniform(0.55, 0.85)
    elasticity_at_regular_price = rng.uniform(-2.2, -1.2)

    price = elasticity_at_regular_price * base_volume / regular_price
    distribution = base_volume * rng.uniform(0.4, 0.8)
    intercept = base_volume - price * regular_price
    intercept -= distribution * mean_distribution
    values = {
        "intercept": intercept,
        "price": price,
        "distribution": distribution,
        "promo": base_volume * rng.uniform(0.08, 0.20),
        "season_amplitude": base_volume * rng.uniform(0.01, 0.02),
        "season_phase": rng.uniform(0.0, 2.0 * np.pi),
        "noise_sd": base_volume * 0.01,
        "regular_price": regular_price,
        "mean_distribution": mean_distribution,
        "promo_rate": rng.uniform(0.15, 0.25),
    }
    return SalesParameters(
        **{name: round(float(v), DECIMALS) for name, v in values.items()}
    )


def _autoregressive(
    rng: np.random.Generator, n: int, phi: float, sd: float
) -> np.ndarray:
    """Return an AR(1) path ``z_t = phi·z_{t-1} + N(0, sd²)`` from ``z_0 = 0``."""
    shocks = rng.normal(0.0, sd, n)
    path = np.zeros(n)
    for t in range(1, n):
        path[t] = phi * path[t - 1] + shocks[t]
    return path


def _simulate(combo: SalesCombination) -> _SalesSeries:
    seed = np.random.SeedSequence(
        [SALES_SEED, zlib.crc32(combo.combination_id.encode())]
    )
    parameter_seed, series_seed = seed.spawn(2)
    params = _draw_parameters(combo, np.random.default_rng(parameter_seed))
    rng = np.random.default_rng(series_seed)
    n = SALES_WEEKS

    regular = params.regular_price * np.exp(_autoregressive(rng, n, 0.5, 0.07))
    promo = (rng.random(n) < params.promo_rate).astype(np.int64)
    depth = rng.uniform(0.10, 0.30, n)
    price = np.round(regular * (1.0 - depth * promo), DECIMALS)
    drift = _autoregressive(rng, n, 0.95, 0.01)
    distribution = np.round(
        np.clip(params.mean_distribution + drift, 0.05, 1.0), DECIMALS
    )

    week = np.arange(n)
    season = params.season_amplitude * np.sin(
        2.0 * np.pi * week / 52 + params.season_phase
    )
    expected = (
        params.intercept
        + params.price * price
        + params.distribution * distribution
        + params.promo * promo
        + season
    )
    volume = np.round(expected + rng.normal(0.0, params.noise_sd, n), DECIMALS)
    return _SalesSeries(params, price, distribution, promo, expected, volume)


def sales_parameters(combination_id: str) -> SalesParameters:
    """Return the true parameters of a sales combination.

    Parameters
    ----------
    combination_id : str
        A combination of ``scope_123``, e.g. ``"walmart_heinz_large"``.

    Returns
    -------
    SalesParameters
        Coefficients of the volume equation, in raw units (volume per unit of
        price, of distribution share, of promo flag).

    Raises
    ------
    KeyError
        If the id is not a combination of the sales scope.
    """
    return _simulate(_combination(combination_id)).parameters


def true_price_elasticity(combination_id: str) -> float:
    """Return the true price elasticity of a sales combination.

    Over the combination's rows, ``e = price · mean(Price) / mean(E[Volume])``,
    with ``price`` the true coefficient and ``E[Volume]`` the volume equation
    without its noise term. The API's ``price_elasticity`` estimates the same
    quantity with the fitted coefficient and ``mean(Volume)``.

    Parameters
    ----------
    combination_id : str
        A ``combination_id`` of scope ``scope_123``.

    Returns
    -------
    float
        The elasticity, negative.
    """
    series = _simulate(_combination(combination_id))
    mean_expected = float(np.mean(series.expected_volume))
    mean_price = float(np.mean(series.price))
    return series.parameters.price * mean_price / mean_expected


def _sales_csv(combo: SalesCombination) -> bytes:
    series = _simulate(combo)
    dates = np.datetime64(SALES_FIRST_WEEK) + 7 * np.arange(SALES_WEEKS)
    frame = pd.DataFrame(
        {
            "Date": np.datetime_as_string(dates, unit="D"),
            "Channel": combo.channel,
            "Brand": combo.brand,
            "PPG": combo.ppg,
            "Price": series.price,
            "Distribution": series.distribution,
            "Promo": series.promo,
            "Volume": series.volume,
            "Revenue": np.round(series.price * series.volume, DECIMALS),
        }
    )
    text = frame.to_csv(index=False, float_format=FLOAT_FORMAT, lineterminator="\n")
    return text.encode("utf-8")


def sales_document() -> dict[str, Any]:
    """Return the ``scopes`` document of the sales scope."""
    return {
        "_id": SALES_SCOPE_ID,
        "scope_id": SALES_SCOPE_ID,
        "scope_name": "Sales Analysis Scope",
        "description": (
            "Weekly retail sales 2022-2024 by channel, brand and PPG "
            "(synthetic demo data)"
        ),
        "created_at": datetime(2025, 1, 15, 10, 0, tzinfo=UTC),
        "combinations": [
            {
                "combination_id": combo.combination_id,
                "set_name": combo.set_name,
                "channel": combo.channel,
                "brand": combo.brand,
                "ppg": combo.ppg,
                "file_key": combo.file_key,
                "record_count": SALES_WEEKS,
            }
            for combo in SALES_COMBINATIONS
        ],
    }


def sales_files() -> dict[str, bytes]:
    """Return the sales CSV files, keyed by their data-bucket key."""
    return {combo.file_key: _sales_csv(combo) for combo in SALES_COMBINATIONS}
