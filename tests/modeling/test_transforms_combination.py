"""Transforming a combination per region in date order, and replaying it."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from buildatom.modeling.transforms import (
    MediaTransform,
    ScalingMethod,
    TransformParameterError,
)
from buildatom.modeling.transforms_combination import (
    ALL_REGIONS,
    build_media_transforms,
    replay_combination,
    replay_media,
    transform_combination,
)

MEDIA = ["TV_Spend", "Digital_Spend", "Print_Spend"]


def make_combination(
    rows_per_region: int, regions: list[str], seed: int
) -> pd.DataFrame:
    """Weekly rows per region, in shuffled order, with media, other and y."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2022-01-02", periods=rows_per_region, freq="7D")
    frame = pd.DataFrame(
        {
            "Date": np.tile(dates, len(regions)),
            "Region": np.repeat(regions, rows_per_region),
        }
    )
    for name in MEDIA:
        spend = rng.gamma(2.0, 100.0, len(frame))
        spend[rng.random(len(frame)) < 0.15] = 0.0
        frame[name] = spend
    frame["Price"] = rng.normal(3.0, 0.3, len(frame))
    frame["Distribution"] = rng.uniform(0.5, 1.0, len(frame))
    frame["Holiday_Flag"] = rng.integers(0, 2, len(frame))
    frame["Revenue"] = rng.normal(1000.0, 50.0, len(frame))
    return frame.sample(frac=1.0, random_state=seed)


def reference_chain(spend: np.ndarray, kind: str, params: list[float]) -> np.ndarray:
    """Independent reference: loops and the formulas of the contract."""
    carryover = params[0] if kind == "adstock" else params[1]
    adstocked, previous = [], 0.0
    for value in spend:
        previous = value + carryover * previous
        adstocked.append(previous)
    a = np.array(adstocked)
    share = a / a.max() if a.max() > 0 else np.zeros_like(a)
    if kind == "logistic":
        return 1.0 / (1.0 + np.exp(-params[0] * (share - params[2])))
    if kind == "power":
        return share ** params[0]
    return a


def reference_scale(values: np.ndarray, method: str) -> np.ndarray:
    if method == "minmax":
        spread = values.max() - values.min()
        return (values - values.min()) / (spread if spread else 1.0)
    if method == "standard":
        spread = values.std(ddof=0)
        return (values - values.mean()) / (spread if spread else 1.0)
    return values


@pytest.fixture
def frame() -> pd.DataFrame:
    return make_combination(60, ["North", "South"], seed=3)


@pytest.mark.parametrize("method", ["none", "minmax", "standard"], ids=str)
@pytest.mark.parametrize(
    ("kind", "params"),
    [("adstock", [0.6]), ("logistic", [4.0, 0.4, 0.3]), ("power", [0.6, 0.2])],
    ids=["adstock", "logistic", "power"],
)
def test_transform_combination_matches_reference_per_region(
    frame, kind, params, method
):
    media = {"TV_Spend": MediaTransform.from_params(kind, params)}

    result = transform_combination(
        frame, "Date", "Region", media, ["Price"], ["Holiday_Flag"], method
    )

    for region, rows in frame.groupby("Region"):
        ordered = rows.sort_values("Date")
        expected = reference_scale(
            reference_chain(ordered["TV_Spend"].to_numpy(), kind, params), method
        )
        got = result.frame.loc[ordered.index, "TV_Spend_transformed"].to_numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
        price = result.frame.loc[ordered.index, "Price"].to_numpy()
        np.testing.assert_allclose(
            price, reference_scale(ordered["Price"].to_numpy(), method), rtol=1e-12
        )
        assert region in result.fitted_parameters["media"]["TV_Spend"]["regions"]


def test_transform_combination_keeps_rows_and_untouched_columns(frame):
    media = build_media_transforms(MEDIA, "power")

    result = transform_combination(
        frame, "Date", "Region", media, ["Price"], ["Holiday_Flag"], "minmax"
    )

    assert result.frame.index.equals(frame.index)
    for column in [*MEDIA, "Holiday_Flag", "Revenue", "Date", "Region"]:
        pd.testing.assert_series_equal(result.frame[column], frame[column])
    assert [f"{name}_transformed" for name in MEDIA] == list(result.frame.columns[-3:])


def test_transform_combination_minmax_spans_unit_interval_per_region(frame):
    media = build_media_transforms(MEDIA, "logistic")

    result = transform_combination(
        frame, "Date", "Region", media, ["Price", "Distribution"], (), "minmax"
    )

    spans = result.frame.groupby("Region")[["TV_Spend_transformed", "Price"]].agg(
        ["min", "max"]
    )
    np.testing.assert_allclose(spans.xs("min", axis=1, level=1), 0.0, atol=1e-15)
    np.testing.assert_allclose(spans.xs("max", axis=1, level=1), 1.0, rtol=1e-15)


def test_variable_statistics_match_pandas(frame):
    media = build_media_transforms(MEDIA, "adstock")

    result = transform_combination(
        frame, "Date", "Region", media, ["Price"], ["Holiday_Flag"], "standard"
    )

    columns = [f"{name}_transformed" for name in MEDIA] + ["Price"]
    assert sorted(result.variable_statistics) == sorted(columns)
    grouped = result.frame.groupby("Region")[columns].agg(["mean", "std", "min", "max"])
    for column in columns:
        for region in ("North", "South"):
            stats = result.variable_statistics[column][region]
            for name in ("mean", "std", "min", "max"):
                assert stats[name] == pytest.approx(
                    grouped.loc[region, (column, name)], rel=1e-12, abs=1e-12
                )


def test_fitted_parameters_are_plain_json(frame):
    media = build_media_transforms(MEDIA, "logistic", {"TV_Spend": [0.8, 0.3, 0.5]})

    result = transform_combination(
        frame, "Date", "Region", media, ["Price"], ["Holiday_Flag"], "minmax"
    )

    text = json.dumps(result.fitted_parameters, allow_nan=False)
    stored = json.loads(text)
    assert stored["media"]["TV_Spend"]["params"] == [0.8, 0.3, 0.5]
    assert stored["media"]["Print_Spend"]["params"] == [5.0, 0.5, 0.5]
    assert set(stored["media"]["TV_Spend"]["regions"]["North"]) == {
        "peak",
        "min",
        "max",
    }
    assert set(stored["other_variables"]["Price"]["South"]) == {"min", "max"}
    json.dumps(result.variable_statistics)


@pytest.mark.parametrize("method", list(ScalingMethod), ids=str)
@pytest.mark.parametrize("kind", ["adstock", "logistic", "power"], ids=str)
def test_replay_combination_reproduces_transform_exactly(frame, kind, method):
    media = build_media_transforms(MEDIA, kind)
    result = transform_combination(
        frame, "Date", "Region", media, ["Price", "Distribution"], [], method
    )
    stored = json.loads(json.dumps(result.fitted_parameters))

    replayed = replay_combination(frame, stored)

    pd.testing.assert_frame_equal(replayed, result.frame, check_exact=True)


def test_replay_media_keeps_fitted_peak_on_new_spend(frame):
    media = {"TV_Spend": MediaTransform.from_params("power", [1.0, 0.3])}
    result = transform_combination(frame, "Date", "Region", media)

    doubled = replay_media(frame, result.fitted_parameters, "TV_Spend", 2.0)

    np.testing.assert_allclose(
        doubled, 2.0 * result.frame["TV_Spend_transformed"], rtol=1e-14
    )


def test_transform_combination_without_region_or_date():
    frame = pd.DataFrame({"TV": [1.0, 0.0, 2.0], "y": [1.0, 2.0, 3.0]})
    media = {"TV": MediaTransform.from_params("adstock", [0.5])}

    result = transform_combination(frame, None, None, media)

    np.testing.assert_allclose(result.frame["TV_transformed"], [1.0, 0.5, 2.25])
    assert list(result.fitted_parameters["media"]["TV"]["regions"]) == [ALL_REGIONS]
    stats = result.variable_statistics["TV_transformed"][ALL_REGIONS]
    assert stats["std"] == pytest.approx(np.std([1.0, 0.5, 2.25], ddof=1), rel=1e-14)
    assert stats["max"] == 2.25


def test_variable_statistics_std_of_single_row_region_is_nan():
    frame = pd.DataFrame({"Region": ["A", "B", "B"], "TV": [1.0, 2.0, 3.0]})
    media = {"TV": MediaTransform.from_params("adstock", [0.5])}

    result = transform_combination(frame, None, "Region", media)

    assert np.isnan(result.variable_statistics["TV_transformed"]["A"]["std"])
    assert result.variable_statistics["TV_transformed"]["A"]["mean"] == 1.0


@pytest.mark.parametrize(
    ("change", "media_kind", "kwargs", "message"),
    [
        (
            lambda f: f.drop(columns="TV_Spend"),
            "adstock",
            {},
            r"media variable 'TV_Spend' is not a column of the data",
        ),
        (
            lambda f: f.assign(TV_Spend="high"),
            "adstock",
            {},
            r"media variable 'TV_Spend' must be numeric, got dtype",
        ),
        (
            lambda f: f.assign(TV_Spend=np.where(f.index == f.index[0], np.nan, 1.0)),
            "adstock",
            {},
            r"media variable 'TV_Spend' has 1 missing or infinite value\(s\)",
        ),
        (
            lambda f: f.assign(TV_Spend=-f["TV_Spend"] - 1.0),
            "power",
            {},
            r"media variable 'TV_Spend' must be >= 0 for a power transform",
        ),
        (
            lambda f: f,
            "adstock",
            {"other_variables": ["TV_Spend"]},
            r"'TV_Spend' is listed in both media_variables and other_variables",
        ),
        (
            lambda f: f,
            "adstock",
            {"non_scaled_variables": ["Missing"]},
            r"non_scaled_variable 'Missing' is not a column of the data",
        ),
        (
            lambda f: f.assign(Region=f["Region"].where(f.index != f.index[0])),
            "adstock",
            {},
            r"region_column 'Region' has 1 missing value\(s\)",
        ),
        (
            lambda f: f.drop(columns="Date"),
            "adstock",
            {},
            r"date_column 'Date' is not a column of the data",
        ),
    ],
    ids=[
        "missing-media",
        "text-media",
        "nan-media",
        "negative-spend",
        "two-roles",
        "missing-non-scaled",
        "missing-region",
        "missing-date",
    ],
)
def test_transform_combination_rejects(frame, change, media_kind, kwargs, message):
    media = {"TV_Spend": MediaTransform.from_params(media_kind)}

    with pytest.raises(TransformParameterError, match=message):
        transform_combination(change(frame), "Date", "Region", media, **kwargs)


def test_build_media_transforms_rejects_unknown_parameter_key():
    with pytest.raises(
        TransformParameterError, match=r"transformation_params names \['Radio'\]"
    ):
        build_media_transforms(MEDIA, "adstock", {"Radio": [0.5]})


def test_replay_rejects_unfitted_region(frame):
    media = build_media_transforms(MEDIA, "adstock")
    result = transform_combination(frame, "Date", "Region", media)
    other = frame.assign(Region="East")

    with pytest.raises(
        TransformParameterError,
        match=r"no fitted parameters for region\(s\) \['East'\]",
    ):
        replay_combination(other, result.fitted_parameters)


def test_replay_media_rejects_untransformed_variable(frame):
    media = build_media_transforms(["TV_Spend"], "adstock")
    result = transform_combination(frame, "Date", "Region", media)

    with pytest.raises(TransformParameterError, match=r"'Radio' was not transformed"):
        replay_media(frame, result.fitted_parameters, "Radio")
