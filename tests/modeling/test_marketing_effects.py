"""Contributions, 1 % elasticities and ROI of a fitted model."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from buildatom.modeling.marketing_effects import (
    media_elasticity,
    media_roi,
    predict_marketing,
    variable_contributions,
)
from buildatom.modeling.marketing_models import MarketingModelError
from buildatom.modeling.transforms import MediaTransform
from buildatom.modeling.transforms_combination import transform_combination


def make_raw(seed: int = 41) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    weeks = pd.date_range("2023-01-01", periods=52, freq="7D")
    frame = pd.DataFrame(
        {"Date": np.tile(weeks, 2), "Region": np.repeat(["East", "West"], 52)}
    )
    frame["TV_Spend"] = rng.gamma(2.0, 50.0, len(frame))
    frame["Radio_Spend"] = rng.gamma(2.0, 20.0, len(frame))
    frame["Price"] = rng.normal(4.0, 0.2, len(frame))
    return frame.sample(frac=1.0, random_state=seed)


def transformed(kind: str, params: list[float], scaling: str = "none"):
    media = {
        "TV_Spend": MediaTransform.from_params(kind, params),
        "Radio_Spend": MediaTransform.from_params("adstock", [0.2]),
    }
    return transform_combination(
        make_raw(), "Date", "Region", media, ["Price"], [], scaling
    )


def adstock_by_region(frame: pd.DataFrame, carryover: float) -> pd.Series:
    """Reference adstock of TV_Spend, aligned to the frame's index."""
    parts = []
    for _, rows in frame.groupby("Region"):
        ordered = rows.sort_values("Date")
        values, previous = [], 0.0
        for spend in ordered["TV_Spend"]:
            previous = spend + carryover * previous
            values.append(previous)
        parts.append(pd.Series(values, index=ordered.index))
    return pd.concat(parts).loc[frame.index]


COEFFICIENTS = {
    "TV_Spend_transformed": 0.8,
    "Radio_Spend_transformed": 0.3,
    "Price": -5.0,
}
INTERCEPT = 120.0


def test_contributions_add_up_to_one():
    result = transformed("logistic", [5.0, 0.5, 0.5], "minmax")

    shares = variable_contributions(result.frame, COEFFICIENTS, INTERCEPT)

    assert sum(shares.values()) == pytest.approx(1.0, rel=1e-12)
    assert list(shares) == [*COEFFICIENTS, "intercept"]


def test_contributions_of_hand_example():
    design = pd.DataFrame({"TV": [1.0, 2.0, 3.0], "Price": [2.0, 2.0, 2.0]})

    shares = variable_contributions(design, {"TV": 2.0, "Price": -1.0}, 4.0)

    total = 3 * 4.0 + 2.0 * 6.0 - 1.0 * 6.0
    assert shares == pytest.approx(
        {"TV": 12.0 / total, "Price": -6.0 / total, "intercept": 12.0 / total}
    )


def test_contributions_of_zero_prediction_are_nan():
    design = pd.DataFrame({"TV": [1.0, -1.0]})

    shares = variable_contributions(design, {"TV": 1.0}, 0.0)

    assert all(math.isnan(value) for value in shares.values())


def test_prediction_is_linear_in_model_columns():
    design = pd.DataFrame({"a": [1.0, 2.0], "b": [0.5, -1.0]})

    np.testing.assert_allclose(
        predict_marketing(design, {"a": 2.0, "b": 4.0}, 1.0), [5.0, 1.0]
    )


def test_elasticity_of_adstock_chain_matches_analytic_value():
    result = transformed("adstock", [0.6])
    mean_prediction = predict_marketing(result.frame, COEFFICIENTS, INTERCEPT).mean()
    adstocked = adstock_by_region(result.frame, 0.6)

    elasticity = media_elasticity(
        result.frame, result.fitted_parameters, COEFFICIENTS, INTERCEPT
    )

    expected = 0.8 * adstocked.mean() / mean_prediction
    assert elasticity["TV_Spend"] == pytest.approx(expected, rel=1e-9)


def test_elasticity_keeps_fitted_minmax_statistics():
    result = transformed("adstock", [0.6], "minmax")
    frame = result.frame
    mean_prediction = predict_marketing(frame, COEFFICIENTS, INTERCEPT).mean()
    adstocked = adstock_by_region(frame, 0.6)
    spans = adstocked.groupby(frame["Region"]).agg(lambda a: a.max() - a.min())

    elasticity = media_elasticity(
        frame, result.fitted_parameters, COEFFICIENTS, INTERCEPT
    )

    per_row = adstocked / frame["Region"].map(spans)
    expected = 0.8 * per_row.mean() / mean_prediction
    assert elasticity["TV_Spend"] == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("exponent", [0.3, 1.0, 2.0], ids=lambda p: f"p={p}")
def test_elasticity_of_power_chain_matches_analytic_value(exponent):
    result = transformed("power", [exponent, 0.4])
    frame = result.frame
    mean_prediction = predict_marketing(frame, COEFFICIENTS, INTERCEPT).mean()
    response = frame["TV_Spend_transformed"]

    elasticity = media_elasticity(
        frame, result.fitted_parameters, COEFFICIENTS, INTERCEPT
    )

    growth = (1.01**exponent - 1.0) / 0.01
    expected = 0.8 * growth * response.mean() / mean_prediction
    assert elasticity["TV_Spend"] == pytest.approx(expected, rel=1e-9)


def test_elasticity_of_logistic_chain_replays_fitted_peak():
    result = transformed("logistic", [4.0, 0.5, 0.4])
    frame = result.frame
    adstocked = adstock_by_region(frame, 0.5)
    peaks = adstocked.groupby(frame["Region"]).max()
    share = adstocked / frame["Region"].map(peaks)
    before = 1.0 / (1.0 + np.exp(-4.0 * (share - 0.4)))
    after = 1.0 / (1.0 + np.exp(-4.0 * (1.01 * share - 0.4)))
    mean_prediction = predict_marketing(frame, COEFFICIENTS, INTERCEPT).mean()

    elasticity = media_elasticity(
        frame, result.fitted_parameters, COEFFICIENTS, INTERCEPT
    )

    expected = 0.8 * (after - before).mean() / 0.01 / mean_prediction
    assert elasticity["TV_Spend"] == pytest.approx(expected, rel=1e-9)


def test_elasticity_is_keyed_by_raw_media_name():
    result = transformed("adstock", [0.5])

    elasticity = media_elasticity(
        result.frame, result.fitted_parameters, COEFFICIENTS, INTERCEPT
    )

    assert set(elasticity) == {"TV_Spend", "Radio_Spend"}
    assert elasticity["Radio_Spend"] > 0.0


def test_elasticity_skips_media_outside_model_by_default():
    result = transformed("adstock", [0.5])
    coefficients = {"TV_Spend_transformed": 0.8}

    elasticity = media_elasticity(
        result.frame, result.fitted_parameters, coefficients, INTERCEPT
    )

    assert set(elasticity) == {"TV_Spend"}


def test_roi_divides_contribution_by_raw_spend():
    result = transformed("adstock", [0.5], "minmax")
    frame = result.frame

    roi = media_roi(frame, result.fitted_parameters, COEFFICIENTS)

    expected = 0.3 * frame["Radio_Spend_transformed"].sum() / frame["Radio_Spend"].sum()
    assert roi["Radio_Spend"] == pytest.approx(expected, rel=1e-12)
    assert set(roi) == {"TV_Spend", "Radio_Spend"}


def test_roi_of_zero_spend_is_nan():
    result = transformed("adstock", [0.5])
    frame = result.frame.assign(TV_Spend=0.0)

    roi = media_roi(frame, result.fitted_parameters, COEFFICIENTS)

    assert math.isnan(roi["TV_Spend"])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda r: media_elasticity(
                r.frame,
                r.fitted_parameters,
                {"TV_Spend_transformed": 1.0},
                1.0,
                media_variables=["Radio_Spend"],
            ),
            r"media variable 'Radio_Spend' has no transformed column among",
        ),
        (
            lambda r: media_elasticity(
                r.frame, r.fitted_parameters, COEFFICIENTS, 1.0, spend_change=0.0
            ),
            r"spend_change must be > 0, got 0.0",
        ),
        (
            lambda r: variable_contributions(r.frame, {"intercept": 1.0}, 1.0),
            r"model column 'intercept' is not a column of the data; pass the",
        ),
        (
            lambda r: predict_marketing(r.frame, {"Region": 1.0}, 0.0),
            r"model column 'Region' must be numeric",
        ),
    ],
    ids=["media-not-in-model", "no-change", "intercept-key", "text-column"],
)
def test_effects_reject(call, message):
    result = transformed("adstock", [0.5])

    with pytest.raises(MarketingModelError, match=message):
        call(result)
