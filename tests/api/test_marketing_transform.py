"""POST /marketing/transform-variables: the chain, its stored parameters, 422s."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from flask.testing import FlaskClient

from buildatom.modeling.transforms import MediaTransform
from buildatom.modeling.transforms_combination import (
    replay_combination,
    transform_combination,
)
from tests.api.test_marketing_chain import (
    COMBINATIONS,
    MEDIA,
    NON_SCALED,
    OTHER,
    TRANSFORM_BODY,
    list_keys,
    ok,
    post,
    prepare_run,
    read_parquet,
    stored_parameters,
    transform_run,
)


@pytest.fixture
def prepared(demo: Any, client: FlaskClient) -> dict[str, Any]:
    return prepare_run(client)


@pytest.fixture
def transformed(client: FlaskClient, prepared: dict[str, Any]) -> dict[str, Any]:
    return transform_run(client, prepared["run_id"])


TYPES = {
    "adstock": {"TV_Spend": [0.6], "Print_Spend": [0.3]},
    "logistic": {"TV_Spend": [4.0, 0.6, 0.4]},
    "power": {"TV_Spend": [0.7, 0.5], "Digital_Spend": [0.4, 0.2]},
}


def transform(client: FlaskClient, run_id: str, **changes: Any) -> Any:
    return post(
        client, "transform-variables", {**TRANSFORM_BODY, "run_id": run_id, **changes}
    )


def frames_by_position(stores: Any, prefix: str) -> list[pd.DataFrame]:
    return [read_parquet(stores, key) for key in list_keys(stores, prefix)]


def as_fitted(stored: dict[str, Any]) -> dict[str, Any]:
    """The stored list form rebuilt as transform_combination's mapping."""

    def regions(entries: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            e["region"]: {k: v for k, v in e.items() if k != "region"} for e in entries
        }

    return {
        **{k: stored[k] for k in ("date_column", "region_column", "scaling")},
        "media": {
            e["variable"]: {
                "column": e["column"],
                "transformation": e["transformation"],
                "params": e["params"],
                "regions": regions(e["regions"]),
            }
            for e in stored["media"]
        },
        "other_variables": {
            e["variable"]: regions(e["regions"]) for e in stored["other_variables"]
        },
        "non_scaled_variables": stored["non_scaled_variables"],
    }


@pytest.mark.parametrize(
    ("kind", "scaling"),
    [("adstock", "none"), ("logistic", "minmax"), ("power", "standard")],
    ids=["adstock-none", "logistic-minmax", "power-standard"],
)
def test_transform_equals_pure_functions(
    demo: Any,
    client: FlaskClient,
    prepared: dict[str, Any],
    kind: str,
    scaling: str,
) -> None:
    body = ok(
        transform(
            client,
            prepared["run_id"],
            transformation_type=kind,
            standardization_method=scaling,
            transformation_params=TYPES[kind],
        )
    )

    inputs = frames_by_position(demo, prepared["prepared_data_key"])
    outputs = frames_by_position(demo, body["transformed_data_key"])
    media = {
        name: MediaTransform.from_params(kind, TYPES[kind].get(name), name)
        for name in MEDIA
    }
    for raw, stored in zip(inputs, outputs, strict=True):
        expected = transform_combination(
            raw, "Date", "Region", media, OTHER, NON_SCALED, scaling
        )
        pd.testing.assert_frame_equal(stored, expected.frame, check_dtype=False)
        combination = f"{raw['Brand'].iloc[0]}_{raw['Market'].iloc[0]}"
        statistics = body["variable_statistics"][combination]
        for column, regions in expected.variable_statistics.items():
            for region, values in regions.items():
                assert statistics[column][region] == pytest.approx(values)


def test_transform_statistics_match_pandas(
    demo: Any, transformed: dict[str, Any]
) -> None:
    frames = frames_by_position(demo, transformed["transformed_data_key"])

    for frame in frames:
        combination = f"{frame['Brand'].iloc[0]}_{frame['Market'].iloc[0]}"
        statistics = transformed["variable_statistics"][combination]
        grouped = frame.groupby("Region")["Price"]
        for region, values in statistics["Price"].items():
            assert values["mean"] == pytest.approx(grouped.mean()[region], rel=1e-12)
            assert values["std"] == pytest.approx(grouped.std(ddof=1)[region])
            assert values["min"] == 0.0 and values["max"] == 1.0


def test_transform_stored_parameters_replay_the_data(
    demo: Any, prepared: dict[str, Any], transformed: dict[str, Any]
) -> None:
    transform_id = transformed["transform_id"]
    inputs = frames_by_position(demo, prepared["prepared_data_key"])
    outputs = frames_by_position(demo, transformed["transformed_data_key"])

    for position, (raw, stored) in enumerate(zip(inputs, outputs, strict=True)):
        document = stored_parameters(demo, transform_id, position)
        fitted = as_fitted(document["fitted_parameters"])
        replayed = replay_combination(raw, fitted)
        pd.testing.assert_frame_equal(replayed, stored, check_dtype=False)
        assert document["combination_id"] == COMBINATIONS[position]


def test_transform_stores_peaks_and_scalers_per_region(
    demo: Any, prepared: dict[str, Any], transformed: dict[str, Any]
) -> None:
    document = stored_parameters(demo, transformed["transform_id"], 0)
    raw = frames_by_position(demo, prepared["prepared_data_key"])[0]

    tv = next(
        e for e in document["fitted_parameters"]["media"] if e["variable"] == "TV_Spend"
    )
    assert tv["transformation"] == "logistic"
    south = next(r for r in tv["regions"] if r["region"] == "South")
    spend = raw[raw["Region"] == "South"].sort_values("Date")["TV_Spend"]
    adstock, carried = [], 0.0
    for value in spend:
        carried = value + tv["params"][1] * carried
        adstock.append(carried)
    assert south["peak"] == pytest.approx(max(adstock), rel=1e-12)
    assert set(south) == {"region", "peak", "min", "max"}


def test_transform_never_uses_names_as_field_names(
    demo: Any, transformed: dict[str, Any]
) -> None:
    names = {
        *MEDIA,
        *OTHER,
        *NON_SCALED,
        "Northeast",
        "South",
        "West",
        "TV_Spend_transformed",
    }

    def keys(value: Any) -> set[str]:
        if isinstance(value, dict):
            return set(value) | {k for v in value.values() for k in keys(v)}
        if isinstance(value, list):
            return {k for item in value for k in keys(item)}
        return set()

    run = demo.database.marketing_runs.find_one({"_id": transformed["transform_id"]})
    document = stored_parameters(demo, transformed["transform_id"], 0)
    assert keys(run).isdisjoint(names)
    assert keys(document).isdisjoint(names)


@pytest.mark.parametrize(
    ("kind", "params", "message"),
    [
        ("adstock", {"TV_Spend": [1.0]}, "carryover for TV_Spend must be in"),
        ("adstock", {"TV_Spend": [-0.1]}, "carryover for TV_Spend must be in"),
        ("logistic", {"Digital_Spend": [0.0, 0.5, 0.5]}, "growth_rate for Digital"),
        ("logistic", {"Print_Spend": [3.0, 0.5, 1.5]}, "midpoint for Print_Spend"),
        ("power", {"TV_Spend": [-1.0, 0.5]}, "exponent for TV_Spend must be > 0"),
        ("power", {"TV_Spend": [0.5]}, "for TV_Spend must have 2 value"),
        ("adstock", {"Radio_Spend": [0.5]}, "'Radio_Spend' is not among media"),
    ],
    ids=[
        "carryover-one",
        "carryover-negative",
        "growth-zero",
        "midpoint-high",
        "exponent-negative",
        "wrong-length",
        "not-media",
    ],
)
def test_transform_bad_parameter_answers_422_naming_variable(
    client: FlaskClient,
    prepared: dict[str, Any],
    kind: str,
    params: dict[str, list[float]],
    message: str,
) -> None:
    response = transform(
        client,
        prepared["run_id"],
        transformation_type=kind,
        transformation_params=params,
    )

    assert response.status_code == 422
    body = response.get_json()
    variable = next(iter(params))
    errors = body["errors"]["json"]["transformation_params"][variable]
    assert message in errors[0]
    assert variable in body["message"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {
                "media_variables": ["TV_Spend", "Radio_Spend"],
                "transformation_params": {},
            },
            "media_variables",
            "'Radio_Spend' is not a column",
        ),
        (
            {"other_variables": ["Price", "Weather"]},
            "other_variables",
            "'Weather' is not a column",
        ),
        (
            {"non_scaled_variables": ["Date"]},
            "non_scaled_variables",
            "is the date or region column",
        ),
        (
            {"other_variables": ["Price", "TV_Spend"]},
            "other_variables",
            "'TV_Spend' is also in media_variables",
        ),
        ({"media_variables": []}, "media_variables", "Length must be between"),
        ({"transformation_type": "hill"}, "transformation_type", "Must be one of"),
        (
            {"standardization_method": "robust"},
            "standardization_method",
            "Must be one of",
        ),
    ],
    ids=[
        "unknown-media",
        "unknown-other",
        "date-as-variable",
        "two-roles",
        "no-media",
        "unknown-type",
        "unknown-scaling",
    ],
)
def test_transform_bad_variables_answer_422(
    client: FlaskClient,
    prepared: dict[str, Any],
    changes: dict[str, Any],
    field: str,
    message: str,
) -> None:
    response = transform(client, prepared["run_id"], **changes)

    assert response.status_code == 422
    errors = response.get_json()["errors"]["json"][field]
    assert any(message in error for error in errors), errors


def test_transform_text_variable_answers_422_naming_it(
    client: FlaskClient, prepared: dict[str, Any]
) -> None:
    response = transform(client, prepared["run_id"], other_variables=["Brand"])

    assert response.status_code == 422
    assert "'Brand' must be numeric" in response.get_json()["message"]


def test_transform_defaults_apply_to_media_without_params(
    demo: Any, client: FlaskClient, prepared: dict[str, Any]
) -> None:
    body = ok(
        transform(
            client,
            prepared["run_id"],
            transformation_type="power",
            transformation_params={},
        )
    )

    document = stored_parameters(demo, body["transform_id"], 0)
    params = {
        e["variable"]: e["params"] for e in document["fitted_parameters"]["media"]
    }
    assert params == {name: [0.5, 0.5] for name in MEDIA}
    frame = frames_by_position(demo, body["transformed_data_key"])[0]
    assert np.isfinite(frame["TV_Spend_transformed"]).all()
