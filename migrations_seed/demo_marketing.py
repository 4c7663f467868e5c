"""Synthetic weekly marketing-mix data behind ``marketing_scope_123``.

Volume responds to TV, digital and print spend through geometric adstock and
logistic saturation, and linearly to price, distribution and holiday weeks,
with parameters drawn per brand × market combination from a seeded generator.
``Fiscal_Year`` is the calendar year of the week's Monday (``Date``).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

MARKETING_SCOPE_ID = "marketing_scope_123"
MARKETING_SET_NAME = "MMM_Set_1"
MARKETING_SEED = 20230102
MARKETING_WEEKS = 104
MARKETING_FIRST_WEEK = date(2023, 1, 2)
REGIONS = ("Northeast", "South", "West")
BRANDS = ("heinz", "kraft")
MARKETS = ("US", "CA")
DECIMALS = 4
FLOAT_FORMAT = f"%.{DECIMALS}f"

# Ranges the true media parameters are drawn from, uniformly; ``beta`` as a
# share of the combination's base volume, ``spend_when_on`` per on-air week.
_MEDIA_RANGES: dict[str, dict[str, tuple[float, float]]] = {
    "TV_Spend": {
        "beta": (0.10, 0.20),
        "carryover": (0.4, 0.7),
        "growth_rate": (3.0, 6.0),
        "midpoint": (0.3, 0.5),
        "spend_when_on": (30e3, 60e3),
    },
    "Digital_Spend": {
        "beta": (0.08, 0.15),
        "carryover": (0.1, 0.4),
        "growth_rate": (4.0, 8.0),
        "midpoint": (0.3, 0.6),
        "spend_when_on": (10e3, 25e3),
    },
    "Print_Spend": {
        "beta": (0.02, 0.06),
        "carryover": (0.2, 0.5),
        "growth_rate": (3.0, 6.0),
        "midpoint": (0.4, 0.6),
        "spend_when_on": (3e3, 8e3),
    },
}
# media -> (weeks per flight block, probability that a block is on air)
_FLIGHTING = {
    "TV_Spend": (4, 0.6),
    "Digital_Spend": (2, 0.85),
    "Print_Spend": (4, 0.4),
}


@dataclass(frozen=True)
class MediaParameters:
    """True response of volume to one media variable.

    ``beta · logistic_saturation(geometric_adstock(spend, carryover),
    growth_rate, midpoint)``; ``spend_when_on`` is the typical weekly spend in
    an on-air week.
    """

    beta: float
    carryover: float
    growth_rate: float
    midpoint: float
    spend_when_on: float


@dataclass(frozen=True)
class MarketingParameters:
    """True parameters of one brand × market combination.

    For region ``g`` and week ``t``::

        Volume = base_by_region[g] + Σ_m media[m].beta · s_m
                 + price·Price + distribution·Distribution
                 + holiday·Holiday_Flag + ε,   ε ~ N(0, noise_sd²)

    with ``s_m`` the saturated adstock of media ``m`` in that region.
    ``regular_price``, ``price_increase`` (list-price rise from 2024) and
    ``mean_distribution`` describe how the regressors are generated.
    """

    base_by_region: dict[str, float]
    media: dict[str, MediaParameters]
    price: float
    distribution: float
    holiday: float
    noise_sd: float
    regular_price: float
    price_increase: float
    mean_distribution: float

    def transformation_params(self) -> dict[str, list[float]]:
        """Return the true ``[growth_rate, carryover, midpoint]`` per media.

        The shape of ``transformation_params`` of the transform-variables
        endpoint with ``transformation_type="logistic"``.
        """
        return {
            name: [media.growth_rate, media.carryover, media.midpoint]
            for name, media in self.media.items()
        }


def geometric_adstock(spend: np.ndarray, carryover: float) -> np.ndarray:
    """Return the geometric adstock ``a_t = x_t + r·a_{t-1}``, ``a_0 = x_0``.

    Parameters
    ----------
    spend : numpy.ndarray
        Spend per week, in date order.
    carryover : float
        Share ``r`` of last week's adstock carried into this week, ``0 <= r < 1``.

    Returns
    -------
    numpy.ndarray
        Adstock, same length as ``spend``.
    """
    adstock = np.empty(len(spend))
    carried = 0.0
    for t, value in enumerate(spend):
        carried = float(value) + carryover * carried
        adstock[t] = carried
    return adstock


def logistic_saturation(
    adstock: np.ndarray, growth_rate: float, midpoint: float
) -> np.ndarray:
    """Return the logistic saturation ``s = 1 / (1 + exp(-k·(u - m)))``.

    Parameters
    ----------
    adstock : numpy.ndarray
        Adstock ``a`` of one region's spend; ``u = a / max(a)``, 0 where the
        maximum is 0.
    growth_rate : float
        Steepness ``k``.
    midpoint : float
        Share ``m`` of the peak adstock at which ``s = 0.5``.

    Returns
    -------
    numpy.ndarray
        Saturation in (0, 1), same length as ``adstock``.
    """
    peak = float(np.max(adstock))
    share = adstock / peak if peak > 0 else np.zeros(len(adstock))
    return 1.0 / (1.0 + np.exp(-growth_rate * (share - midpoint)))


def _combination_id(brand: str, market: str) -> str:
    return f"{brand}_{market}"


_COMBINATIONS = {
    _combination_id(brand, market): (brand, market)
    for brand in BRANDS
    for market in MARKETS
}


def _brand_market(combination_id: str) -> tuple[str, str]:
    try:
        return _COMBINATIONS[combination_id]
    except KeyError:
        known = ", ".join(_COMBINATIONS)
        message = f"unknown marketing combination_id {combination_id!r}"
        raise KeyError(f"{message}; known ids: {known}") from None


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _holidays(market: str, year: int) -> list[date]:
    """Return New Year, national day, Labour Day, Thanksgiving and Christmas."""
    if market == "CA":
        national_day, thanksgiving = date(year, 7, 1), _nth_weekday(year, 10, 0, 2)
    else:
        national_day, thanksgiving = date(year, 7, 4), _nth_weekday(year, 11, 3, 4)
    labour_day = _nth_weekday(year, 9, 0, 1)
    return [
        date(year, 1, 1),
        national_day,
        labour_day,
        thanksgiving,
        date(year, 12, 25),
    ]


def _holiday_flags(market: str, weeks: list[date]) -> np.ndarray:
    """Return 1 for each week (Monday to Sunday) that holds a holiday, else 0."""
    years = sorted({week.year for week in weeks})
    holidays = [day for year in years for day in _holidays(market, year)]
    flags = [any(0 <= (day - week).days < 7 for day in holidays) for week in weeks]
    return np.array(flags, dtype=np.int64)


def _draw_parameters(rng: np.random.Generator) -> MarketingParameters:
    base_volume = rng.uniform(20_000.0, 50_000.0)
    regular_price = rng.uniform(3.0, 5.0)
    mean_distribution = rng.uniform(0.70, 0.85)
    price = rng.uniform(-1.6, -0.8) * base_volume / regular_price
    distribution = base_volume * rng.uniform(0.3, 0.6)
    level = base_volume - price * regular_price
    level -= distribution * mean_distribution

    media = {}
    for name, ranges in _MEDIA_RANGES.items():
        media[name] = MediaParameters(
            beta=round(base_volume * rng.uniform(*ranges["beta"]), DECIMALS),
            carryover=round(rng.uniform(*ranges["carryover"]), 2),
            growth_rate=round(rng.uniform(*ranges["growth_rate"]), 2),
            midpoint=round(rng.uniform(*ranges["midpoint"]), 2),
            spend_when_on=round(rng.uniform(*ranges["spend_when_on"]), 2),
        )
    base_by_region = {
        region: round(level + base_volume * rng.uniform(-0.02, 0.02), DECIMALS)
        for region in REGIONS
    }
    return MarketingParameters(
        base_by_region=base_by_region,
        media=media,
        price=round(price, DECIMALS),
        distribution=round(distribution, DECIMALS),
        holiday=round(base_volume * rng.uniform(0.05, 0.12), DECIMALS),
        noise_sd=round(base_volume * 0.02, DECIMALS),
        regular_price=round(regular_price, DECIMALS),
        price_increase=round(rng.uniform(0.03, 0.06), DECIMALS),
        mean_distribution=round(mean_distribution, DECIMALS),
    )


def _flighted_spend(
    rng: np.random.Generator, name: str, spend_when_on: float
) -> np.ndarray:
    block, on_share = _FLIGHTING[name]
    blocks = -(-MARKETING_WEEKS // block)
    on_air = np.repeat(rng.random(blocks) < on_share, block)[:MARKETING_WEEKS]
    weekly = spend_when_on * rng.lognormal(0.0, 0.3, MARKETING_WEEKS)
    return np.round(on_air * weekly, DECIMALS)


def _seeds(combination_id: str) -> list[np.random.SeedSequence]:
    crc = zlib.crc32(combination_id.encode())
    return np.random.SeedSequence([MARKETING_SEED, crc]).spawn(2)


def _region_columns(
    params: MarketingParameters,
    region: str,
    market: str,
    weeks: list[date],
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    n = len(weeks)
    in_2024 = np.array([week.year >= 2024 for week in weeks])
    level = params.regular_price * rng.uniform(0.97, 1.03)
    discount = rng.uniform(0.05, 0.20, n) * (rng.random(n) < 0.12)
    price = level * (1.0 + params.price_increase * in_2024) * (1.0 - discount)
    start = params.mean_distribution + rng.uniform(-0.05, 0.05)
    trend = start + 0.03 * np.arange(n) / n
    distribution = np.clip(trend + rng.normal(0.0, 0.01, n), 0.05, 1.0)
    columns = {
        "Price": np.round(price, DECIMALS),
        "Distribution": np.round(distribution, DECIMALS),
        "Holiday_Flag": _holiday_flags(market, weeks),
    }

    expected = (
        params.base_by_region[region]
        + params.price * columns["Price"]
        + params.distribution * columns["Distribution"]
        + params.holiday * columns["Holiday_Flag"]
    )
    for name, media in params.media.items():
        spend = _flighted_spend(rng, name, media.spend_when_on)
        adstock = geometric_adstock(spend, media.carryover)
        response = logistic_saturation(adstock, media.growth_rate, media.midpoint)
        expected = expected + media.beta * response
        columns[name] = spend
    volume = np.round(expected + rng.normal(0.0, params.noise_sd, n), DECIMALS)
    columns["Volume"] = volume
    columns["Revenue"] = np.round(columns["Price"] * volume, DECIMALS)
    return columns


def _marketing_csv(combination_id: str) -> bytes:
    brand, market = _brand_market(combination_id)
    parameter_seed, series_seed = _seeds(combination_id)
    params = _draw_parameters(np.random.default_rng(parameter_seed))
    rng = np.random.default_rng(series_seed)
    weeks = [MARKETING_FIRST_WEEK + timedelta(weeks=i) for i in range(MARKETING_WEEKS)]
    regions = [_region_columns(params, r, market, weeks, rng) for r in REGIONS]

    def date_major(name: str) -> np.ndarray:
        return np.stack([columns[name] for columns in regions]).T.ravel()

    def per_week(values: list[Any]) -> np.ndarray:
        return np.repeat(values, len(REGIONS))

    frame = pd.DataFrame(
        {
            "Date": per_week([week.isoformat() for week in weeks]),
            "Region": np.tile(REGIONS, MARKETING_WEEKS),
            "Brand": brand,
            "Market": market,
            **{name: date_major(name) for name in _MEDIA_RANGES},
            "Price": date_major("Price"),
            "Distribution": date_major("Distribution"),
            "Holiday_Flag": date_major("Holiday_Flag"),
            "Fiscal_Year": per_week([week.year for week in weeks]),
            "Revenue": date_major("Revenue"),
            "Volume": date_major("Volume"),
        }
    )
    text = frame.to_csv(index=False, float_format=FLOAT_FORMAT, lineterminator="\n")
    return text.encode("utf-8")


def marketing_parameters(combination_id: str) -> MarketingParameters:
    """Return the true parameters of a marketing combination.

    Parameters
    ----------
    combination_id : str
        A combination of ``marketing_scope_123``, e.g. ``"heinz_US"``.

    Returns
    -------
    MarketingParameters
        Base volume per region, media response, and the raw-units coefficients
        of price, distribution and the holiday flag.

    Raises
    ------
    KeyError
        If the id is not a combination of the marketing scope.
    """
    _brand_market(combination_id)
    parameter_seed, _ = _seeds(combination_id)
    return _draw_parameters(np.random.default_rng(parameter_seed))


def marketing_document() -> dict[str, Any]:
    """Return the ``scopes`` document of the marketing scope."""
    return {
        "_id": MARKETING_SCOPE_ID,
        "scope_id": MARKETING_SCOPE_ID,
        "scope_name": "Marketing Mix Scope",
        "description": (
            "Weekly media spend, price and sales 2023-2024 by brand, market and "
            "region (synthetic demo data)"
        ),
        "created_at": datetime(2025, 1, 15, 10, 30, tzinfo=UTC),
        "combinations": [
            {
                "combination_id": combination_id,
                "set_name": MARKETING_SET_NAME,
                "brand": brand,
                "market": market,
                "file_key": f"marketing/{combination_id}.csv",
                "record_count": MARKETING_WEEKS * len(REGIONS),
            }
            for combination_id, (brand, market) in _COMBINATIONS.items()
        ],
    }


def marketing_files() -> dict[str, bytes]:
    """Return the marketing CSV files, keyed by their data-bucket key."""
    return {
        f"marketing/{combination_id}.csv": _marketing_csv(combination_id)
        for combination_id in _COMBINATIONS
    }
