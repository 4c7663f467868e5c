"""POST /marketing/calculate-elasticity and GET /marketing/results filters."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from flask.testing import FlaskClient

from buildatom.modeling.transforms_combination import replay_combination
from tests.api.test_marketing_chain import (
    API,
    MEDIA,
    REGIONS,
    effects_run,
    list_keys,
    ok,
    post,
    prepare_run,
    read_parquet,
    stored_parameters,
    train_run,
    transform_run,
)
from tests.api.test_marketing_transform import as_fitted


@pytest.fixture
def chain(demo: Any, client: FlaskClient) -> dict[str, Any]:
    prepared = prepare_run(client)
    transformed = transform_run(client, prepared["run_id"])
    trained = train_run(client, transformed["transform_id"])
    return {"prepared": prepared, "transformed": transformed, "trained": trained}


def results(client: FlaskClient, training_id: str, query: str = "") -> Any:
    return ok(client.get(f"{API}/results/{training_id}{query}"))


def predict(frame: pd.DataFrame, coefficients: dict[str, float]) -> np.ndarray:
    prediction = np.full(len(frame), coefficients["intercept"])
    for column, value in coefficients.items():
        if column != "intercept":
            prediction = prediction + value * frame[column].to_numpy(float)
    return prediction


def test_contributions_add_up_to_one(
    client: FlaskClient, chain: dict[str, Any]
) -> None:
    body = effects_run(client, chain["trained"]["training_id"])

    assert body["models_updated"] == 24
    for model_id, shares in body["contribution_summary"].items():
        assert sum(shares.values()) == pytest.approx(1.0, rel=1e-10), model_id
        assert "intercept" in shares


def test_elasticity_matches_finite_difference_replay(
    demo: Any, client: FlaskClient, chain: dict[str, Any]
) -> None:
    training_id = chain["trained"]["training_id"]
    body = effects_run(client, training_id)
    model = results(client, training_id, "?model_ids=4")[0]
    transform_id = chain["transformed"]["transform_id"]
    raw = read_parquet(demo, list_keys(demo, chain["prepared"]["prepared_data_key"])[0])
    fitted = as_fitted(stored_parameters(demo, transform_id, 0)["fitted_parameters"])
    base = predict(replay_combination(raw, fitted), model["coefficients"]).mean()

    for media in MEDIA:
        bumped = raw.copy()
        bumped[media] = bumped[media] * 1.01
        moved = predict(replay_combination(bumped, fitted), model["coefficients"])
        expected = (moved.mean() - base) / base / 0.01
        assert body["elasticity_summary"]["4"][media] == pytest.approx(
            expected, rel=1e-9
        )
        assert model["elasticities"][media] > 0


def test_roi_is_contribution_in_y_units_per_unit_of_spend(
    demo: Any, client: FlaskClient, chain: dict[str, Any]
) -> None:
    training_id = chain["trained"]["training_id"]
    body = effects_run(client, training_id)
    frame = read_parquet(
        demo, list_keys(demo, chain["transformed"]["transformed_data_key"])[0]
    )
    model = results(client, training_id, "?model_ids=1")[0]

    for media in MEDIA:
        column = f"{media}_transformed"
        effect = model["coefficients"][column] * frame[column].sum()
        expected = effect / frame[media].sum()
        assert body["roi_summary"]["1"][media] == pytest.approx(expected, rel=1e-10)
        share = effect / predict(frame, model["coefficients"]).sum()
        assert model["contributions"][column] == pytest.approx(share, rel=1e-10)


def test_elasticity_of_chosen_models_only(
    demo: Any, client: FlaskClient, chain: dict[str, Any]
) -> None:
    training_id = chain["trained"]["training_id"]

    body = ok(
        post(
            client,
            "calculate-elasticity",
            {
                "run_id": training_id,
                "model_ids": [2, 5],
                "include_contributions": False,
            },
        )
    )

    assert body["models_updated"] == 2
    assert sorted(body["elasticity_summary"]) == ["2", "5"]
    assert body["contribution_summary"] == {}
    models = {m["model_id"]: m for m in results(client, training_id)}
    assert models[2]["elasticities"] is not None
    assert models[2]["contributions"] is None
    assert models[1]["elasticities"] is None


def test_elasticity_unknown_model_id_answers_404(
    demo: Any, client: FlaskClient, chain: dict[str, Any]
) -> None:
    training_id = chain["trained"]["training_id"]

    response = post(
        client, "calculate-elasticity", {"run_id": training_id, "model_ids": [1, 99]}
    )

    assert response.status_code == 404
    assert "[99]" in response.get_json()["message"]
    stored = demo.database.marketing_models.find_one({"model_id": 1})
    assert stored["elasticities"] is None


@pytest.mark.parametrize(
    ("query", "expected_ids"),
    [
        ("?model_ids=3&model_ids=7", [3, 7]),
        ("?brand=kraft", list(range(13, 25))),
        ("?brand=kraft&model_ids=1&model_ids=13", [13]),
        ("?region=South", list(range(1, 25))),
        ("?region=Atlantis", []),
        ("?brand=unilever", []),
    ],
    ids=[
        "model-ids",
        "brand",
        "brand-and-ids",
        "region",
        "unknown-region",
        "unknown-brand",
    ],
)
def test_results_filters(
    client: FlaskClient, chain: dict[str, Any], query: str, expected_ids: list[int]
) -> None:
    models = results(client, chain["trained"]["training_id"], query)

    assert [m["model_id"] for m in models] == expected_ids
    for model in models:
        assert model["region"] == REGIONS


@pytest.mark.parametrize(
    "query",
    ["?model_ids=zero", "?model_ids=0", "?brand="],
    ids=["id-text", "id-zero", "brand-empty"],
)
def test_results_bad_query_answers_422(
    client: FlaskClient, chain: dict[str, Any], query: str
) -> None:
    response = client.get(f"{API}/results/{chain['trained']['training_id']}{query}")

    assert response.status_code == 422
    assert response.get_json()["errors"]["query"]
