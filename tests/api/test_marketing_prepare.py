"""POST /marketing/prepare-data: fiscal years, zero columns, Parquet, errors."""

from __future__ import annotations

import uuid
from typing import Any

import pandas as pd
import pytest
from flask.testing import FlaskClient

from tests.api.test_marketing_chain import (
    API,
    PREPARE_BODY,
    add_scope,
    list_keys,
    ok,
    post,
    raw_frame,
    read_parquet,
)


def prepared_frames(stores: Any, run_id: str) -> list[pd.DataFrame]:
    keys = list_keys(stores, f"marketing-prepared/{run_id}/")
    return [read_parquet(stores, key) for key in keys]


def test_prepare_keeps_requested_fiscal_years(demo: Any, client: FlaskClient) -> None:
    body = ok(post(client, "prepare-data", {**PREPARE_BODY, "fiscal_years": [2024]}))

    assert body["rows"] == 4 * 52 * 3
    assert body["fiscal_years_included"] == [2024]
    frames = prepared_frames(demo, body["run_id"])
    assert len(frames) == 4
    raw = raw_frame(demo, "heinz_US")
    expected = raw[raw["Fiscal_Year"] == 2024].reset_index(drop=True)
    stored = next(
        f
        for f in frames
        if f["Market"].iloc[0] == "US" and f["Brand"].iloc[0] == "heinz"
    )
    pd.testing.assert_frame_equal(stored, expected, check_dtype=False)
    assert (stored["Date"].dt.year == 2024).all()


def test_prepare_without_fiscal_years_keeps_every_row(
    demo: Any, client: FlaskClient
) -> None:
    body = ok(post(client, "prepare-data", PREPARE_BODY))

    frames = prepared_frames(demo, body["run_id"])
    assert sum(len(f) for f in frames) == body["rows"] == 1248
    assert sum(len(f.columns) for f in frames) == body["columns"]
    assert pd.api.types.is_datetime64_any_dtype(frames[0]["Date"])


def zero_in_2024(stores: Any) -> dict[str, pd.DataFrame]:
    frames = {}
    for combination_id in ("heinz_US", "kraft_CA"):
        frame = raw_frame(stores, combination_id)
        frame.loc[frame["Fiscal_Year"] == 2024, "Print_Spend"] = 0.0
        frame["Empty_Spend"] = 0.0
        frames[combination_id] = frame
    return frames


def test_prepare_removes_columns_zero_on_every_kept_row(
    demo: Any, client: FlaskClient
) -> None:
    add_scope(demo, "zero_scope", zero_in_2024(demo), brand="heinz")
    body = {"scope_id": "zero_scope", "set_name": "S", "remove_zero_columns": True}

    only_2024 = ok(post(client, "prepare-data", {**body, "fiscal_years": [2024]}))
    every_year = ok(post(client, "prepare-data", body))

    assert only_2024["columns_removed"] == ["Print_Spend", "Empty_Spend"]
    assert every_year["columns_removed"] == ["Empty_Spend"]
    for frame in prepared_frames(demo, only_2024["run_id"]):
        assert "Print_Spend" not in frame.columns
        assert "Empty_Spend" not in frame.columns
        assert "TV_Spend" in frame.columns
    for frame in prepared_frames(demo, every_year["run_id"]):
        assert "Print_Spend" in frame.columns
    assert only_2024["columns"] == 2 * 12


def test_prepare_keeps_zero_columns_unless_asked(
    demo: Any, client: FlaskClient
) -> None:
    add_scope(demo, "zero_scope", zero_in_2024(demo))

    body = ok(post(client, "prepare-data", {"scope_id": "zero_scope", "set_name": "S"}))

    assert body["columns_removed"] is None
    assert all("Empty_Spend" in f for f in prepared_frames(demo, body["run_id"]))


def test_prepare_uses_calendar_year_without_fiscal_year_column(
    demo: Any, client: FlaskClient
) -> None:
    frame = raw_frame(demo, "heinz_US").drop(columns=["Fiscal_Year"])
    frame = frame.rename(columns={"Date": "week_start", "Region": "Area"})
    add_scope(demo, "calendar_scope", {"heinz_US": frame})
    request = {
        "scope_id": "calendar_scope",
        "set_name": "S",
        "fiscal_years": [2023],
        "date_column": "week_start",
        "region_column": "Area",
    }

    body = ok(post(client, "prepare-data", request))

    assert body["rows"] == 52 * 3
    stored = prepared_frames(demo, body["run_id"])[0]
    assert (stored["week_start"].dt.year == 2023).all()
    run = demo.database.marketing_runs.find_one({"_id": body["run_id"]})
    assert (run["date_column"], run["region_column"]) == ("week_start", "Area")


def test_prepare_no_rows_left_answers_422_naming_years(
    demo: Any, client: FlaskClient
) -> None:
    response = post(
        client, "prepare-data", {**PREPARE_BODY, "fiscal_years": [2019, 2020]}
    )

    assert response.status_code == 422
    message = response.get_json()["message"]
    assert "[2019, 2020]" in message
    assert "[2023, 2024]" in message
    assert demo.database.marketing_runs.count_documents({}) == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"fiscal_years": ["2023"]}, "fiscal_years"),
        ({"fiscal_years": [2023, 2023]}, "fiscal_years"),
        ({"fiscal_years": []}, "fiscal_years"),
        ({"remove_zero_columns": "maybe"}, "remove_zero_columns"),
        ({"set_name": ""}, "set_name"),
        ({"unexpected": 1}, "unexpected"),
    ],
    ids=[
        "year-text",
        "year-repeated",
        "years-empty",
        "flag-not-bool",
        "set-empty",
        "unknown-field",
    ],
)
def test_prepare_bad_body_answers_422(
    client: FlaskClient, changes: dict[str, Any], field: str
) -> None:
    response = post(client, "prepare-data", {**PREPARE_BODY, **changes})

    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]


@pytest.mark.parametrize(
    "override",
    ["date_column", "region_column", "fiscal_year_column"],
    ids=["date", "region", "fiscal-year"],
)
def test_prepare_unknown_column_override_answers_422(
    demo: Any, client: FlaskClient, override: str
) -> None:
    response = post(client, "prepare-data", {**PREPARE_BODY, override: "Nope"})

    assert response.status_code == 422
    body = response.get_json()
    assert "'Nope' is not a column" in body["errors"]["json"][override][0]


@pytest.mark.parametrize(
    ("scope_id", "set_name", "named"),
    [
        ("no_such_scope", "MMM_Set_1", "no_such_scope"),
        ("marketing_scope_123", "No_Set", "No_Set"),
    ],
    ids=["scope", "set"],
)
def test_prepare_unknown_scope_or_set_answers_404(
    demo: Any, client: FlaskClient, scope_id: str, set_name: str, named: str
) -> None:
    response = post(
        client, "prepare-data", {"scope_id": scope_id, "set_name": set_name}
    )

    assert response.status_code == 404
    assert named in response.get_json()["message"]


def test_prepare_reports_missing_file_and_keeps_the_others(
    demo: Any, client: FlaskClient
) -> None:
    demo.s3.delete_object(Bucket=demo.data_bucket, Key="marketing/kraft_CA.csv")

    body = ok(post(client, "prepare-data", PREPARE_BODY))

    assert body["combinations_prepared"] == 3
    assert body["rows"] == 3 * 312
    failed = body["failed_combinations"]
    assert [f["combination_id"] for f in failed] == ["kraft_CA"]
    assert "not found" in failed[0]["error"]


def test_prepare_run_id_is_not_usable_as_other_kinds(
    client: FlaskClient, demo: Any
) -> None:
    run_id = ok(post(client, "prepare-data", PREPARE_BODY))["run_id"]

    response = client.get(f"{API}/results/{run_id}")

    assert response.status_code == 404
    assert "training_id" in response.get_json()["message"]
    assert uuid.UUID(run_id).version == 4
