"""POST /marketing/train-models: exact constrained fits, split, ids, failures."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from flask.testing import FlaskClient
from scipy.optimize import lsq_linear
from sklearn.linear_model import Ridge
from sklearn.metrics import mean_absolute_percentage_error, r2_score

from tests.api.test_marketing_chain import (
    API,
    MEDIA,
    NON_SCALED,
    OTHER,
    TRAIN_BODY,
    list_keys,
    ok,
    post,
    prepare_run,
    read_parquet,
    train_run,
    transform_run,
)

X_COLUMNS = [f"{m}_transformed" for m in MEDIA] + OTHER + NON_SCALED


@pytest.fixture
def transformed(demo: Any, client: FlaskClient) -> dict[str, Any]:
    return transform_run(client, prepare_run(client)["run_id"])


def train(client: FlaskClient, transform_id: str, **changes: Any) -> Any:
    return post(
        client, "train-models", {**TRAIN_BODY, "run_id": transform_id, **changes}
    )


def results(client: FlaskClient, training_id: str) -> list[dict[str, Any]]:
    body: list[dict[str, Any]] = ok(client.get(f"{API}/results/{training_id}"))
    return body


def first_frame(stores: Any, transformed: dict[str, Any]) -> pd.DataFrame:
    key = list_keys(stores, transformed["transformed_data_key"])[0]
    return read_parquet(stores, key)


def split(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    dates = np.sort(frame["Date"].unique())
    train_rows = frame["Date"].isin(dates[:83]).to_numpy()
    return train_rows, ~train_rows


@pytest.mark.parametrize(
    "constraints",
    [
        {"Price": "positive", "Holiday_Flag": "negative", "TV_Spend": "positive"},
        {"Distribution": "negative", "Print_Spend_transformed": "negative"},
    ],
    ids=["binding-price-holiday", "binding-distribution-print"],
)
def test_train_constraints_hold_on_every_model(
    client: FlaskClient, transformed: dict[str, Any], constraints: dict[str, str]
) -> None:
    listed = [
        {"variable_name": k, "constraint_type": v} for k, v in constraints.items()
    ]
    body = train_run(
        client,
        transformed["transform_id"],
        model_types=["LINEAR", "RIDGE", "LASSO", "ELASTIC_NET"],
        variable_constraints=listed,
    )

    models = results(client, body["training_id"])
    assert len(models) == 4 * 2 * 4
    assert body["summary"]["total_constraints"] == len(constraints)
    for model in models:
        for name, kind in constraints.items():
            column = name if name in X_COLUMNS else f"{name}_transformed"
            value = model["coefficients"][column]
            assert value >= 0.0 if kind == "positive" else value <= 0.0, name


def test_train_linear_matches_bounded_least_squares(
    demo: Any, client: FlaskClient, transformed: dict[str, Any]
) -> None:
    body = train_run(
        client,
        transformed["transform_id"],
        model_types=["LINEAR"],
        y_variables=["Volume"],
        variable_constraints=[
            {"variable_name": "Price", "constraint_type": "positive"}
        ],
    )
    model = results(client, body["training_id"])[0]
    frame = first_frame(demo, transformed)
    train_rows, test_rows = split(frame)
    X = np.column_stack([frame[X_COLUMNS].to_numpy(float), np.ones(len(frame))])
    y = frame["Volume"].to_numpy(float)
    low = np.full(X.shape[1], -np.inf)
    low[X_COLUMNS.index("Price")] = 0.0

    reference = lsq_linear(
        X[train_rows], y[train_rows], bounds=(low, np.inf), tol=1e-12, method="bvls"
    )

    fitted = [model["coefficients"][c] for c in X_COLUMNS]
    fitted.append(model["coefficients"]["intercept"])
    assert fitted == pytest.approx(reference.x, rel=1e-6, abs=1e-6)
    predicted = X @ reference.x
    assert model["mape"] == pytest.approx(
        mean_absolute_percentage_error(y[test_rows], predicted[test_rows]), rel=1e-6
    )
    assert model["r_squared"] == pytest.approx(
        r2_score(y[test_rows], predicted[test_rows]), rel=1e-6
    )


def test_train_ridge_matches_sklearn_with_model_configs(
    demo: Any, client: FlaskClient, transformed: dict[str, Any]
) -> None:
    body = train_run(
        client,
        transformed["transform_id"],
        model_types=["ridge"],
        y_variables=["Revenue"],
        use_constraints=False,
        model_configs={"ridge": {"alpha": 0.5}},
    )
    model = results(client, body["training_id"])[0]
    frame = first_frame(demo, transformed)
    train_rows, _ = split(frame)

    reference = Ridge(alpha=0.5).fit(
        frame.loc[train_rows, X_COLUMNS], frame.loc[train_rows, "Revenue"]
    )

    assert model["model_type"] == "RIDGE"
    coefficients = [model["coefficients"][c] for c in X_COLUMNS]
    assert coefficients == pytest.approx(reference.coef_, rel=1e-8)
    assert model["coefficients"]["intercept"] == pytest.approx(
        reference.intercept_, rel=1e-10
    )
    assert body["summary"]["constraints_applied"] is False
    assert body["summary"]["total_constraints"] == 0


def test_train_splits_by_distinct_dates(
    demo: Any, client: FlaskClient, transformed: dict[str, Any]
) -> None:
    body = train_run(client, transformed["transform_id"], train_test_split=0.5)

    stored = demo.database.marketing_models.find_one(
        {"training_id": body["training_id"], "model_id": 1}
    )
    assert (stored["n_train"], stored["n_test"]) == (52 * 3, 52 * 3)


def test_train_stores_models_as_name_value_lists(
    demo: Any, client: FlaskClient, transformed: dict[str, Any]
) -> None:
    body = train_run(client, transformed["transform_id"])

    stored = demo.database.marketing_models.find_one(
        {"training_id": body["training_id"], "model_id": 2}
    )
    assert stored["model_type"] == "LASSO"
    assert [c["name"] for c in stored["coefficients"]] == X_COLUMNS
    assert stored["market"] == ["US"] and stored["brand"] == "heinz"
    run = demo.database.marketing_runs.find_one({"_id": body["training_id"]})
    assert run["status"] == "completed"
    assert run["transform_id"] == transformed["transform_id"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {
                "variable_constraints": [
                    {"variable_name": "Radio_Spend", "constraint_type": "positive"}
                ]
            },
            "variable_constraints",
            "'Radio_Spend' is not a variable of transform",
        ),
        (
            {
                "variable_constraints": [
                    {"variable_name": "TV_Spend", "constraint_type": "positive"},
                    {
                        "variable_name": "TV_Spend_transformed",
                        "constraint_type": "negative",
                    },
                ]
            },
            "variable_constraints",
            "both positive and negative",
        ),
        (
            {
                "variable_constraints": [
                    {"variable_name": "Price", "constraint_type": "up"}
                ]
            },
            "variable_constraints",
            "Must be one of",
        ),
        ({"y_variables": ["Sales"]}, "y_variables", "'Sales' is not a column"),
        ({"y_variables": ["Price"]}, "y_variables", "'Price' is a model variable"),
        ({"y_variables": ["Volume", "Volume"]}, "y_variables", "repeated"),
        ({"model_types": ["RIDGE", "XGBOOST"]}, "model_types", "Must be one of"),
        ({"train_test_split": 1.0}, "train_test_split", "Must be greater than"),
        ({"train_test_split": 0}, "train_test_split", "Must be greater than"),
        (
            {"model_configs": {"RIDGE": {"gamma": 1}}},
            "model_configs",
            "unknown setting(s) ['gamma']",
        ),
        (
            {"model_configs": {"ELASTIC_NET": {"alpha": 1}}},
            "model_configs",
            "is not in model_types",
        ),
        ({"constraint_iterations": 0}, "constraint_iterations", "greater than"),
    ],
    ids=[
        "unknown-constraint",
        "conflicting-constraints",
        "unknown-sign",
        "unknown-y",
        "y-is-x",
        "repeated-y",
        "unknown-model",
        "split-one",
        "split-zero",
        "unknown-config",
        "config-not-chosen",
        "no-iterations",
    ],
)
def test_train_bad_request_answers_422(
    demo: Any,
    client: FlaskClient,
    transformed: dict[str, Any],
    changes: dict[str, Any],
    field: str,
    message: str,
) -> None:
    response = train(client, transformed["transform_id"], **changes)

    assert response.status_code == 422
    body = response.get_json()
    assert message in str(body["errors"]["json"][field])
    assert demo.database.marketing_runs.count_documents({"kind": "training"}) == 0


def test_train_reports_a_combination_that_cannot_be_split(
    demo: Any, client: FlaskClient, transformed: dict[str, Any]
) -> None:
    response = train(client, transformed["transform_id"], train_test_split=0.001)

    assert response.status_code == 422
    assert "at least 1 date is needed on each side" in response.get_json()["message"]
