"""POST /train-models on the demo data, checked against scikit-learn."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pandas as pd
import pytest
from flask.testing import FlaskClient
from sklearn.linear_model import ElasticNet, Lasso, LinearRegression, Ridge
from sklearn.model_selection import KFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from migrations_seed.demo_data import true_price_elasticity

X_VARIABLES = ["Channel", "Brand", "PPG", "Price", "Distribution", "Promo"]
NUMERIC = ["Price", "Distribution", "Promo"]
BODY: dict[str, Any] = {
    "scope_id": "scope_123",
    "set_name": "Scope_1",
    "x_variables": X_VARIABLES,
    "y_variable": "Volume",
    "price_column": "Price",
    "standardization": "minmax",
    "k_folds": 5,
    "models_to_run": ["linear", "ridge", "lasso", "elastic_net"],
}
REFERENCES = {
    "linear": (lambda: LinearRegression(), 1e-6),
    "ridge": (lambda: Ridge(alpha=1.0), 1e-6),
    "lasso": (lambda: Lasso(alpha=1.0, tol=1e-12, max_iter=1_000_000), 1e-4),
    "elastic_net": (
        lambda: ElasticNet(alpha=1.0, l1_ratio=0.5, tol=1e-12, max_iter=1_000_000),
        1e-4,
    ),
}
SCALERS = {"none": None, "minmax": MinMaxScaler, "standard": StandardScaler}


def train(client: FlaskClient, **changes: Any) -> Any:
    return client.post("/api/v1/train-models", json={**BODY, **changes})


def combination_frame(stores: Any, combination_id: str) -> pd.DataFrame:
    key = f"sales/{combination_id}.csv"
    body = stores.s3.get_object(Bucket=stores.data_bucket, Key=key)["Body"].read()
    return pd.read_csv(io.BytesIO(body))


def reference_scores(
    frame: pd.DataFrame, model_name: str, standardization: str
) -> dict[str, Any]:
    X = frame[NUMERIC].to_numpy(float)
    y = frame["Volume"].to_numpy(float)
    estimator = REFERENCES[model_name][0]()
    scaler = SCALERS[standardization]
    pipeline = (
        make_pipeline(scaler(), estimator) if scaler else make_pipeline(estimator)
    )
    scores = cross_validate(
        pipeline,
        X,
        y,
        cv=KFold(5),
        scoring=["r2", "neg_mean_absolute_percentage_error"],
        return_train_score=True,
    )
    pipeline.fit(X, y)
    coef = pipeline[-1].coef_
    intercept = pipeline[-1].intercept_
    if scaler is MinMaxScaler:
        fitted = pipeline[0]
        raw = coef * fitted.scale_
        intercept = intercept + coef @ fitted.min_
    elif scaler is StandardScaler:
        fitted = pipeline[0]
        raw = coef / fitted.scale_
        intercept = intercept - raw @ fitted.mean_
    else:
        raw = coef
    return {
        "r2_test": scores["test_r2"].mean(),
        "r2_train": scores["train_r2"].mean(),
        "mape_test": -scores["test_neg_mean_absolute_percentage_error"].mean(),
        "coefficients": dict(zip(NUMERIC, raw, strict=True)),
        "scaled_coefficients": dict(zip(NUMERIC, coef, strict=True)),
        "intercept": intercept,
        "price_elasticity": raw[0] * X[:, 0].mean() / y.mean(),
    }


@pytest.mark.parametrize("standardization", sorted(SCALERS), ids=sorted(SCALERS))
def test_train_models_numbers_match_sklearn(
    demo: Any, client: FlaskClient, standardization: str
) -> None:
    response = train(client, standardization=standardization)

    assert response.status_code == 200
    body = response.get_json()
    result = body["combination_results"][0]
    frame = combination_frame(demo, result["combination_id"])
    for model in result["model_results"]:
        expected = reference_scores(frame, model["model_name"], standardization)
        tolerance = REFERENCES[model["model_name"]][1]
        for key in (
            "r2_test",
            "r2_train",
            "mape_test",
            "intercept",
            "price_elasticity",
        ):
            assert model[key] == pytest.approx(expected[key], rel=tolerance), key
        for key in ("coefficients", "scaled_coefficients"):
            assert model[key] == pytest.approx(expected[key], rel=tolerance), key


def test_train_models_answers_documented_shape(demo: Any, client: FlaskClient) -> None:
    body = train(client).get_json()

    assert body["scope_id"] == "scope_123"
    assert body["set_name"] == "Scope_1"
    assert body["x_variables"] == X_VARIABLES
    assert body["total_combinations"] == 12
    first = body["combination_results"][0]
    assert first["status"] == "completed"
    assert {"channel", "brand", "ppg"} <= set(first)
    assert first["dropped_variables"] == ["Channel", "Brand", "PPG"]
    models = [m["model_name"] for m in first["model_results"]]
    assert models == BODY["models_to_run"]
    summary = body["summary"]
    assert summary["total_models_saved"] == 48
    assert summary["failed_combinations"] == []
    assert len(summary["best_model_by_mape"]) == 12
    best = summary["best_model_by_mape"][first["combination_id"]]
    lowest = min(first["model_results"], key=lambda m: m["mape_test"])
    assert best == {"model": lowest["model_name"], "mape_test": lowest["mape_test"]}


def test_linear_model_recovers_demo_price_elasticity(
    demo: Any, client: FlaskClient
) -> None:
    body = train(client, models_to_run=["linear"], standardization="none").get_json()

    for result in body["combination_results"]:
        estimated = result["model_results"][0]["price_elasticity"]
        truth = true_price_elasticity(result["combination_id"])
        assert estimated == pytest.approx(truth, rel=0.10), result["combination_id"]


def test_constrained_ridge_honours_bounds(demo: Any, client: FlaskClient) -> None:
    bounds = {"Price": [-5000, None], "Promo": [None, 500], "Distribution": [0, 0]}

    response = train(
        client,
        models_to_run=["custom_constrained_ridge"],
        custom_model_configs={"custom_constrained_ridge": {"bounds": bounds}},
    )

    assert response.status_code == 200
    for result in response.get_json()["combination_results"]:
        coefficients = result["model_results"][0]["coefficients"]
        assert coefficients["Price"] >= -5000 - 1e-9
        assert coefficients["Promo"] <= 500 + 1e-9
        assert coefficients["Distribution"] == 0


def test_lasso_stopped_at_max_iter_is_answered_stored_and_exported_unconverged(
    demo: Any, client: FlaskClient
) -> None:
    configs = {"lasso": {"alpha": 0.001, "max_iter": 1, "tol": 1e-12}}

    body = train(
        client, models_to_run=["lasso", "ridge"], custom_model_configs=configs
    ).get_json()
    run_id = body["summary"]["run_id"]
    export = client.get(f"/api/v1/model-results/export/{run_id}")

    answered = {
        (result["combination_id"], model["model_name"]): model["converged"]
        for result in body["combination_results"]
        for model in result["model_results"]
    }
    assert len(answered) == 24
    assert all(flag is (model == "ridge") for (_, model), flag in answered.items())
    stored = demo.database.model_results.find_one({"run_id": run_id, "position": 0})
    assert [m["converged"] for m in stored["models"]] == [False, True]
    rows = pd.read_csv(io.StringIO(export.get_data(as_text=True)))
    exported = rows.set_index(["combination_id", "model_name"])["converged"]
    assert exported.to_dict() == answered


def test_failed_combination_fails_alone(demo: Any, client: FlaskClient) -> None:
    zero = "Date,Channel,Brand,PPG,Price,Distribution,Promo,Volume,Revenue\n" + (
        "2024-01-01,walmart,heinz,small,2.0,0.9,0,0,0\n" * 20
    )
    demo.s3.put_object(
        Bucket=demo.data_bucket, Key="sales/walmart_heinz_small.csv", Body=zero.encode()
    )
    demo.s3.delete_object(Bucket=demo.data_bucket, Key="sales/walmart_heinz_large.csv")

    body = train(client).get_json()

    results = {r["combination_id"]: r for r in body["combination_results"]}
    assert results["walmart_heinz_small"]["status"] == "failed"
    assert "zero" in results["walmart_heinz_small"]["error"]
    assert results["walmart_heinz_large"]["status"] == "failed"
    assert "not found" in results["walmart_heinz_large"]["error"]
    completed = [r for r in results.values() if r["status"] == "completed"]
    assert len(completed) == 10
    assert body["summary"]["total_models_saved"] == 40
    failed = {f["combination_id"] for f in body["summary"]["failed_combinations"]}
    assert failed == {"walmart_heinz_small", "walmart_heinz_large"}
    assert "walmart_heinz_small" not in body["summary"]["best_model_by_mape"]


def test_odd_file_does_not_change_how_other_files_are_modelled(
    demo: Any, client: FlaskClient
) -> None:
    # One file's Promo column holds a word, another file has no rows; files
    # are parsed and stacked a chunk at a time, and neither may turn Promo
    # into a text column for the combinations parsed beside them.
    key = "sales/walmart_heinz_small.csv"
    body = demo.s3.get_object(Bucket=demo.data_bucket, Key=key)["Body"].read()
    header, rows = body.split(b"\n", 1)
    odd = header + b"\n" + rows.replace(b",1,", b",yes,", 1)
    assert odd != body
    demo.s3.put_object(Bucket=demo.data_bucket, Key=key, Body=odd)
    demo.s3.put_object(
        Bucket=demo.data_bucket,
        Key="sales/walmart_heinz_large.csv",
        Body=header + b"\n",
    )

    result = train(client, x_variables=NUMERIC, models_to_run=["linear"]).get_json()

    results = {r["combination_id"]: r for r in result["combination_results"]}
    assert "0 complete rows" in results["walmart_heinz_large"]["error"]
    odd_model = results["walmart_heinz_small"]["model_results"][0]
    assert "Promo" not in odd_model["coefficients"]
    assert any(name.startswith("Promo") for name in odd_model["coefficients"])
    for combination_id, combination in results.items():
        if combination_id.startswith("walmart_heinz"):
            continue
        (model,) = combination["model_results"]
        assert set(model["coefficients"]) == set(NUMERIC)
        frame = combination_frame(demo, combination_id)
        expected = reference_scores(frame, "linear", "minmax")
        assert model["coefficients"] == pytest.approx(
            expected["coefficients"], rel=1e-6
        )


def test_train_models_stores_completed_run(demo: Any, client: FlaskClient) -> None:
    body = train(client, models_to_run=["ridge"]).get_json()
    run_id = body["summary"]["run_id"]

    run = demo.database.training_runs.find_one({"_id": run_id})
    results = list(demo.database.model_results.find({"run_id": run_id}))

    assert run["status"] == "completed"
    assert run["summary"]["total_models_saved"] == 12
    assert len(results) == 12
    stored = results[0]["models"][0]["coefficients"]
    assert {pair["name"] for pair in stored} == {"Price", "Distribution", "Promo"}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"k_folds": 1}, "k_folds"),
        ({"k_folds": 21}, "k_folds"),
        ({"standardization": "robust"}, "standardization"),
        ({"models_to_run": ["svm"]}, "models_to_run"),
        ({"price_column": "Promo2"}, "price_column"),
        ({"x_variables": []}, "x_variables"),
        ({"custom_model_configs": {"ridge": {"alpah": 1}}}, "custom_model_configs"),
        ({"custom_model_configs": {"xgboost": {}}}, "custom_model_configs"),
        ({"unexpected": 1}, "unexpected"),
    ],
    ids=[
        "folds-low",
        "folds-high",
        "scaler",
        "model",
        "price",
        "no-x",
        "config-key",
        "config-model",
        "unknown-field",
    ],
)
def test_train_models_bad_body_answers_422_naming_field(
    client: FlaskClient, changes: dict[str, Any], field: str
) -> None:
    response = train(client, **changes)

    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]


def test_train_models_column_not_in_data_answers_422(
    demo: Any, client: FlaskClient
) -> None:
    response = train(client, x_variables=["Price", "Shelf_Space"])

    assert response.status_code == 422
    assert "Shelf_Space" in response.get_json()["message"]
    assert demo.database.training_runs.count_documents({}) == 0


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [({"scope_id": "nope"}, "nope"), ({"set_name": "Scope_9"}, "Scope_9")],
    ids=["scope", "set"],
)
def test_train_models_unknown_scope_or_set_answers_404(
    demo: Any, client: FlaskClient, changes: dict[str, Any], fragment: str
) -> None:
    response = train(client, **changes)

    assert response.status_code == 404
    assert fragment in response.get_json()["message"]


def test_train_models_not_json_answers_400(client: FlaskClient) -> None:
    response = client.post(
        "/api/v1/train-models", data="{nope", content_type="application/json"
    )

    assert response.status_code == 400
    assert response.get_json()["code"] == 400


def test_train_models_numbers_are_finite_or_null(
    demo: Any, client: FlaskClient
) -> None:
    response = train(client, k_folds=20)

    text = response.get_data(as_text=True)
    assert "NaN" not in text and "Infinity" not in text
    assert np.isfinite(response.get_json()["summary"]["duration_seconds"])
