"""Adstock, saturation curves, parameter lists and the media chain."""

from __future__ import annotations

import math

import numpy as np
import pytest

from buildatom.modeling.transforms import (
    DEFAULT_PARAMETERS,
    MediaTransform,
    TransformationType,
    TransformParameterError,
    geometric_adstock,
    logistic_saturation,
    parse_transform_params,
    power_saturation,
)

CARRYOVERS = [0.0, 0.3, 0.5, 0.95]
CHAINS = [
    MediaTransform(TransformationType.ADSTOCK, (0.4,)),
    MediaTransform(TransformationType.LOGISTIC, (5.0, 0.5, 0.5)),
    MediaTransform(TransformationType.LOGISTIC, (0.8, 0.3, 0.2)),
    MediaTransform(TransformationType.POWER, (0.5, 0.5)),
    MediaTransform(TransformationType.POWER, (2.0, 0.0)),
]
CHAIN_IDS = ["adstock", "logistic", "logistic-shallow", "power-concave", "power-convex"]


def looped_adstock(spend: np.ndarray, carryover: float) -> np.ndarray:
    """Reference: the recursion written out."""
    adstocked = np.empty_like(spend)
    previous = 0.0
    for t, value in enumerate(spend):
        previous = value + carryover * previous if t else value
        adstocked[t] = previous
    return adstocked


@pytest.fixture
def spend() -> np.ndarray:
    rng = np.random.default_rng(20240101)
    values = rng.gamma(shape=2.0, scale=150.0, size=200)
    values[rng.random(200) < 0.2] = 0.0
    return values


@pytest.mark.parametrize("carryover", CARRYOVERS, ids=lambda r: f"r={r}")
def test_geometric_adstock_equals_looped_recursion(spend, carryover):
    vectorised = geometric_adstock(spend, carryover)

    np.testing.assert_array_equal(vectorised, looped_adstock(spend, carryover))


@pytest.mark.parametrize("carryover", CARRYOVERS, ids=lambda r: f"r={r}")
def test_geometric_adstock_satisfies_recursion(spend, carryover):
    adstocked = geometric_adstock(spend, carryover)

    assert adstocked[0] == spend[0]
    np.testing.assert_allclose(
        adstocked[1:], spend[1:] + carryover * adstocked[:-1], rtol=1e-14
    )


def test_geometric_adstock_impulse_decays_geometrically():
    impulse = np.array([1.0, 0.0, 0.0, 0.0, 0.0])

    np.testing.assert_allclose(
        geometric_adstock(impulse, 0.5), 0.5 ** np.arange(5), rtol=1e-15
    )


def test_geometric_adstock_zero_spend_is_zero():
    assert np.array_equal(geometric_adstock(np.zeros(12), 0.7), np.zeros(12))


def test_geometric_adstock_empty_series_is_empty():
    assert geometric_adstock(np.array([]), 0.5).shape == (0,)


@pytest.mark.parametrize(
    ("carryover", "message"),
    [
        (-0.1, r"carryover must be in \[0, 1\), got -0.1"),
        (1.0, r"carryover must be in \[0, 1\), got 1.0"),
        (1.5, r"carryover must be in \[0, 1\), got 1.5"),
        (math.nan, r"carryover must be finite, got nan"),
        ("0.5", r"carryover must be a number, got '0.5'"),
        (True, r"carryover must be a number, got True"),
    ],
    ids=["negative", "one", "above-one", "nan", "string", "bool"],
)
def test_geometric_adstock_rejects_carryover(carryover, message):
    with pytest.raises(TransformParameterError, match=message):
        geometric_adstock(np.ones(3), carryover)


@pytest.mark.parametrize(
    ("spend", "message"),
    [
        (np.ones((2, 2)), r"spend must be a 1-D series, got an array of shape"),
        (np.array([1.0, np.nan]), r"spend must hold finite numbers, got 1"),
        (["a", "b"], r"spend must hold numbers"),
    ],
    ids=["2-d", "nan", "text"],
)
def test_geometric_adstock_rejects_series(spend, message):
    with pytest.raises(TransformParameterError, match=message):
        geometric_adstock(spend, 0.5)


@pytest.mark.parametrize("growth_rate", [0.5, 5.0, 20.0], ids=lambda k: f"k={k}")
@pytest.mark.parametrize("midpoint", [0.0, 0.5, 1.0], ids=lambda m: f"m={m}")
def test_logistic_saturation_lies_in_open_unit_interval(spend, growth_rate, midpoint):
    adstocked = geometric_adstock(spend, 0.5)

    response = logistic_saturation(adstocked, growth_rate, midpoint, adstocked.max())

    assert np.all(response > 0.0)
    assert np.all(response < 1.0)


def test_logistic_saturation_matches_formula(spend):
    growth_rate, midpoint, peak = 3.0, 0.4, float(spend.max())
    expected = 1.0 / (1.0 + np.exp(-growth_rate * (spend / peak - midpoint)))

    response = logistic_saturation(spend, growth_rate, midpoint, peak)

    np.testing.assert_allclose(response, expected, rtol=1e-14)


def test_logistic_saturation_is_one_half_at_midpoint():
    response = logistic_saturation(np.array([30.0]), 7.0, 0.3, 100.0)

    assert response[0] == pytest.approx(0.5, abs=1e-15)


def test_logistic_saturation_zero_peak_uses_zero_share():
    response = logistic_saturation(np.zeros(4), 5.0, 0.5, 0.0)

    np.testing.assert_allclose(response, 1.0 / (1.0 + math.exp(2.5)), rtol=1e-15)


@pytest.mark.parametrize("exponent", [0.2, 0.5, 1.0, 3.0], ids=lambda p: f"p={p}")
def test_power_saturation_lies_in_unit_interval(spend, exponent):
    adstocked = geometric_adstock(spend, 0.5)

    response = power_saturation(adstocked, exponent, adstocked.max())

    assert response.min() >= 0.0
    assert response.max() == pytest.approx(1.0, abs=1e-15)


def test_power_saturation_matches_formula(spend):
    expected = (spend / 900.0) ** 0.35

    np.testing.assert_allclose(power_saturation(spend, 0.35, 900.0), expected, 1e-14)


def test_power_saturation_zero_peak_is_zero():
    assert np.array_equal(power_saturation(np.zeros(3), 0.5, 0.0), np.zeros(3))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: logistic_saturation([1.0], 0.0, 0.5, 1.0), r"growth_rate must be > 0"),
        (lambda: logistic_saturation([1.0], 1.0, 1.5, 1.0), r"midpoint must be in"),
        (lambda: logistic_saturation([1.0], 1.0, 0.5, -1.0), r"peak must be >= 0"),
        (lambda: logistic_saturation([-1.0], 1.0, 0.5, 1.0), r"adstocked must be >="),
        (lambda: power_saturation([1.0], -0.5, 1.0), r"exponent must be > 0, got -0.5"),
        (lambda: power_saturation([-2.0], 0.5, 1.0), r"adstocked must be >= 0"),
    ],
    ids=["growth", "midpoint", "peak", "negative-logistic", "exponent", "negative"],
)
def test_saturation_rejects_parameters(call, message):
    with pytest.raises(TransformParameterError, match=message):
        call()


@pytest.mark.parametrize("chain", CHAINS, ids=CHAIN_IDS)
def test_media_transform_is_monotonic_in_spend(spend, chain):
    rng = np.random.default_rng(7)
    more_spend = spend + rng.uniform(0.0, 50.0, spend.size)
    values, peak = chain.fit_apply(spend)

    assert np.all(chain.replay(more_spend, peak) >= values)


@pytest.mark.parametrize("chain", CHAINS[1:], ids=CHAIN_IDS[1:])
def test_saturation_is_non_decreasing_along_sorted_adstock(spend, chain):
    ordered = np.sort(geometric_adstock(spend, 0.0))

    values = chain.replay(ordered, float(ordered.max()))

    assert np.all(np.diff(values) >= 0.0)


@pytest.mark.parametrize("chain", CHAINS, ids=CHAIN_IDS)
def test_media_transform_replay_reproduces_fit_exactly(spend, chain):
    values, peak = chain.fit_apply(spend)

    assert peak == geometric_adstock(spend, chain.named_params["carryover"]).max()
    assert np.array_equal(chain.replay(spend, peak), values)


@pytest.mark.parametrize("chain", CHAINS, ids=CHAIN_IDS)
def test_media_transform_zero_spend_is_defined(chain):
    values, peak = chain.fit_apply(np.zeros(6))

    assert peak == 0.0
    assert np.isfinite(values).all()
    assert np.ptp(values) == 0.0


def test_media_transform_logistic_uses_list_order():
    chain = MediaTransform.from_params("logistic", [0.8, 0.3, 0.5], "TV_Spend")

    assert chain.named_params == {"growth_rate": 0.8, "carryover": 0.3, "midpoint": 0.5}


@pytest.mark.parametrize("kind", list(TransformationType), ids=str)
def test_parse_transform_params_defaults(kind):
    named = parse_transform_params(kind, None, "TV_Spend")

    assert tuple(named.values()) == DEFAULT_PARAMETERS[kind]


def test_default_parameters_follow_the_contract():
    assert DEFAULT_PARAMETERS == {
        TransformationType.ADSTOCK: (0.5,),
        TransformationType.LOGISTIC: (5.0, 0.5, 0.5),
        TransformationType.POWER: (0.5, 0.5),
    }


@pytest.mark.parametrize(
    ("kind", "params", "message"),
    [
        (
            "logistic",
            [0.8, 0.3],
            r"transformation_params for TV_Spend must have 3 value\(s\) "
            r"\[growth_rate, carryover, midpoint\] for logistic, got 2",
        ),
        ("power", [0.5], r"must have 2 value\(s\) \[exponent, carryover\]"),
        ("adstock", [0.5, 0.1], r"must have 1 value\(s\) \[carryover\]"),
        ("adstock", "0.5", r"transformation_params for TV_Spend must be a list"),
        ("adstock", [1.2], r"carryover for TV_Spend must be in \[0, 1\), got 1.2"),
        ("logistic", [0.0, 0.5, 0.5], r"growth_rate for TV_Spend must be > 0, got 0.0"),
        ("logistic", [1.0, 0.5, -0.1], r"midpoint for TV_Spend must be in \[0, 1\]"),
        ("power", [0.0, 0.5], r"exponent for TV_Spend must be > 0, got 0.0"),
        ("power", [None, 0.5], r"exponent for TV_Spend must be a number, got None"),
        ("hill", [1.0], r"transformation_type must be one of adstock, logistic, "),
    ],
    ids=[
        "logistic-short",
        "power-short",
        "adstock-long",
        "not-a-list",
        "carryover",
        "growth-rate",
        "midpoint",
        "exponent",
        "none-value",
        "unknown-type",
    ],
)
def test_parse_transform_params_rejects(kind, params, message):
    with pytest.raises(TransformParameterError, match=message):
        MediaTransform.from_params(kind, params, "TV_Spend")


def test_media_transform_validates_direct_construction():
    with pytest.raises(TransformParameterError, match=r"carryover for .* got 1.0"):
        MediaTransform(TransformationType.ADSTOCK, (1.0,))
