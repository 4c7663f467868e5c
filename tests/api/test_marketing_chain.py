"""Endpoints 13 to 17 chained on the demo marketing scope: shapes and ids.

The helpers here (``prepare_run``, ``transform_run``, ``train_run``,
``effects_run``, readers of MinIO and MongoDB) are imported by the other
``test_marketing_*`` modules, which wrap them in fixtures of their own.
"""

from __future__ import annotations

import io
import uuid
from typing import Any

import pandas as pd
import pytest
from flask.testing import FlaskClient

from migrations_seed.demo_data import marketing_parameters

API = "/api/v1/marketing"
COMBINATIONS = ["heinz_US", "heinz_CA", "kraft_US", "kraft_CA"]
REGIONS = ["Northeast", "South", "West"]
MEDIA = ["TV_Spend", "Digital_Spend", "Print_Spend"]
OTHER = ["Price", "Distribution"]
NON_SCALED = ["Holiday_Flag"]
PREPARE_BODY: dict[str, Any] = {
    "scope_id": "marketing_scope_123",
    "set_name": "MMM_Set_1",
}
TRANSFORM_BODY: dict[str, Any] = {
    "media_variables": MEDIA,
    "other_variables": OTHER,
    "non_scaled_variables": NON_SCALED,
    "transformation_type": "logistic",
    "standardization_method": "minmax",
    "transformation_params": marketing_parameters("heinz_US").transformation_params(),
}
TRAIN_BODY: dict[str, Any] = {
    "model_types": ["RIDGE", "LASSO", "LINEAR"],
    "y_variables": ["Revenue", "Volume"],
    "train_test_split": 0.8,
    "use_constraints": True,
    "variable_constraints": [
        {"variable_name": "TV_Spend_transformed", "constraint_type": "positive"},
        {"variable_name": "Digital_Spend_transformed", "constraint_type": "positive"},
        {"variable_name": "Price", "constraint_type": "negative"},
    ],
    "constraint_learning_rate": 0.01,
    "constraint_iterations": 1000,
}


def post(client: FlaskClient, path: str, body: dict[str, Any]) -> Any:
    return client.post(f"{API}/{path}", json=body)


def ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def read_parquet(stores: Any, key: str) -> pd.DataFrame:
    body = stores.s3.get_object(Bucket=stores.results_bucket, Key=key)["Body"].read()
    return pd.read_parquet(io.BytesIO(body))


def list_keys(stores: Any, prefix: str) -> list[str]:
    listing = stores.s3.list_objects_v2(Bucket=stores.results_bucket, Prefix=prefix)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def raw_frame(stores: Any, combination_id: str) -> pd.DataFrame:
    key = f"marketing/{combination_id}.csv"
    body = stores.s3.get_object(Bucket=stores.data_bucket, Key=key)["Body"].read()
    return pd.read_csv(io.BytesIO(body), parse_dates=["Date"])


def stored_parameters(stores: Any, transform_id: str, position: int) -> Any:
    return stores.database.marketing_transform_parameters.find_one(
        {"_id": f"{transform_id}:{position:05d}"}
    )


def prepare_run(client: FlaskClient) -> dict[str, Any]:
    return ok(post(client, "prepare-data", PREPARE_BODY))


def transform_run(client: FlaskClient, run_id: str) -> dict[str, Any]:
    return ok(post(client, "transform-variables", {**TRANSFORM_BODY, "run_id": run_id}))


def train_run(client: FlaskClient, transform_id: str, **changes: Any) -> dict[str, Any]:
    body = {**TRAIN_BODY, "run_id": transform_id, **changes}
    return ok(post(client, "train-models", body))


def effects_run(client: FlaskClient, training_id: str) -> dict[str, Any]:
    return ok(post(client, "calculate-elasticity", {"run_id": training_id}))


@pytest.fixture
def prepared(demo: Any, client: FlaskClient) -> dict[str, Any]:
    return prepare_run(client)


@pytest.fixture
def transformed(client: FlaskClient, prepared: dict[str, Any]) -> dict[str, Any]:
    return transform_run(client, prepared["run_id"])


@pytest.fixture
def trained(client: FlaskClient, transformed: dict[str, Any]) -> dict[str, Any]:
    return train_run(client, transformed["transform_id"])


@pytest.fixture
def effects(client: FlaskClient, trained: dict[str, Any]) -> dict[str, Any]:
    return effects_run(client, trained["training_id"])


def test_prepare_data_answers_documented_shape(
    demo: Any, prepared: dict[str, Any]
) -> None:
    run_id = prepared["run_id"]

    assert uuid.UUID(run_id).version == 4
    assert prepared["status"] == "success"
    assert prepared["rows"] == 4 * 312
    assert prepared["columns"] == 4 * 13
    assert prepared["prepared_data_key"] == f"marketing-prepared/{run_id}/"
    assert prepared["fiscal_years_included"] == [2023, 2024]
    assert prepared["columns_removed"] is None
    assert len(list_keys(demo, prepared["prepared_data_key"])) == 4


def test_transform_variables_answers_documented_shape(
    demo: Any, transformed: dict[str, Any]
) -> None:
    transform_id = transformed["transform_id"]

    assert uuid.UUID(transform_id).version == 4
    assert transformed["status"] == "success"
    assert transformed["transformed_data_key"] == (
        f"marketing-transformed/{transform_id}/"
    )
    assert transformed["regions_processed"] == REGIONS
    assert transformed["media_variables_transformed"] == MEDIA
    statistics = transformed["variable_statistics"]
    assert sorted(statistics) == sorted(COMBINATIONS)
    columns = [f"{m}_transformed" for m in MEDIA] + OTHER
    assert sorted(statistics["heinz_US"]) == sorted(columns)
    tv = statistics["heinz_US"]["TV_Spend_transformed"]["South"]
    assert set(tv) == {"mean", "std", "min", "max"}
    assert tv["min"] == 0.0 and tv["max"] == 1.0
    assert len(list_keys(demo, transformed["transformed_data_key"])) == 4


def test_train_models_answers_documented_shape(trained: dict[str, Any]) -> None:
    assert uuid.UUID(trained["training_id"]).version == 4
    assert trained["status"] == "success"
    assert trained["models_trained"] == 24
    assert trained["summary"] == {
        "combinations_processed": 4,
        "model_types": ["RIDGE", "LASSO", "LINEAR"],
        "y_variables": ["Revenue", "Volume"],
        "constraints_applied": True,
        "total_constraints": 3,
        "failed_combinations": [],
    }
    assert [m["model_id"] for m in trained["models"]] == list(range(1, 25))
    for key in ("by_mape", "by_r2", "by_aic"):
        assert 1 <= trained["best_models"][key] <= 24
    by_id = {m["model_id"]: m for m in trained["models"]}
    best = by_id[trained["best_models"]["by_mape"]]
    assert best["mape"] == min(m["mape"] for m in trained["models"])
    assert trained["execution_time_seconds"] > 0


def test_train_models_orders_ids_by_combination_y_and_type(
    trained: dict[str, Any],
) -> None:
    expected = [
        (combination, y, kind)
        for combination in COMBINATIONS
        for y in ("Revenue", "Volume")
        for kind in ("RIDGE", "LASSO", "LINEAR")
    ]

    got = [
        (m["combination_id"], m["y_variable"], m["model_type"])
        for m in trained["models"]
    ]

    assert got == expected


def test_calculate_elasticity_answers_documented_shape(
    effects: dict[str, Any],
) -> None:
    assert effects["status"] == "success"
    assert effects["models_updated"] == 24
    assert sorted(effects["elasticity_summary"], key=int) == [
        str(i) for i in range(1, 25)
    ]
    assert sorted(effects["elasticity_summary"]["1"]) == sorted(MEDIA)
    assert sorted(effects["roi_summary"]["1"]) == sorted(MEDIA)
    assert sorted(effects["contribution_summary"]["1"]) == sorted(
        [*(f"{m}_transformed" for m in MEDIA), *OTHER, *NON_SCALED, "intercept"]
    )


def test_results_answer_documented_shape(
    client: FlaskClient, trained: dict[str, Any], effects: dict[str, Any]
) -> None:
    training_id = trained["training_id"]

    models = ok(client.get(f"{API}/results/{training_id}"))

    assert len(models) == 24
    first = models[0]
    assert first["model_id"] == 1
    assert first["model_type"] == "RIDGE"
    assert first["brand"] == "heinz"
    assert first["market"] == ["US"]
    assert first["region"] == REGIONS
    assert first["y_variable"] == "Revenue"
    assert first["training_id"] == training_id
    assert first["created_at"].endswith("Z")
    assert all(model["converged"] is True for model in models)
    for key in (
        "mape",
        "r_squared",
        "adjusted_r_squared",
        "aic",
        "bic",
        "nrmse_train",
        "nrmse_test",
    ):
        assert isinstance(first[key], float), key
    assert "intercept" in first["coefficients"]
    assert first["elasticities"] == effects["elasticity_summary"]["1"]
    assert first["contributions"] == effects["contribution_summary"]["1"]
    assert first["roi"] == effects["roi_summary"]["1"]


def test_results_before_elasticity_have_null_effects(
    client: FlaskClient, trained: dict[str, Any]
) -> None:
    models = ok(client.get(f"{API}/results/{trained['training_id']}"))

    assert all(m["elasticities"] is None for m in models)
    assert all(m["contributions"] is None and m["roi"] is None for m in models)


def test_models_recover_true_signs_and_fit(
    client: FlaskClient, trained: dict[str, Any]
) -> None:
    models = ok(client.get(f"{API}/results/{trained['training_id']}"))

    volume = [m for m in models if m["y_variable"] == "Volume"]
    for model in volume:
        coefficients = model["coefficients"]
        assert all(coefficients[f"{m}_transformed"] > 0 for m in MEDIA)
        assert coefficients["Price"] < 0
        assert model["mape"] < 0.05
    heinz_us = [m for m in volume if m["combination_id"] == "heinz_US"]
    assert all(m["r_squared"] > 0.85 for m in heinz_us)


def add_scope(
    stores: Any, scope_id: str, frames: dict[str, pd.DataFrame], **identifiers: str
) -> None:
    """Play the upstream system: one scope, set ``S``, a CSV per combination."""
    combinations = []
    for combination_id, frame in frames.items():
        key = f"custom/{scope_id}/{combination_id}.csv"
        body = frame.to_csv(index=False).encode()
        stores.s3.put_object(Bucket=stores.data_bucket, Key=key, Body=body)
        combinations.append(
            {
                "combination_id": combination_id,
                "set_name": "S",
                "file_key": key,
                **identifiers,
            }
        )
    stores.database.scopes.insert_one(
        {"_id": scope_id, "scope_id": scope_id, "combinations": combinations}
    )
