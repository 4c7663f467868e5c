"""The id chain and run lifecycle: wrong kinds of ids, failed runs unseen."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from buildatom.api.dependencies import runtime, scope_service
from buildatom.errors import StoreUnavailable
from buildatom.modeling.marketing_models import MarketingModelType
from buildatom.repositories.marketing import MarketingRepository
from buildatom.services.marketing_prepare import MarketingPrepareService, PrepareRequest
from buildatom.services.marketing_runs import MarketingRuns
from buildatom.services.marketing_training import (
    MarketingTrainingRequest,
    MarketingTrainingService,
)
from buildatom.services.run_leases import stale_run_sweeps
from tests.api.test_marketing_chain import (
    API,
    list_keys,
    post,
    prepare_run,
    train_run,
    transform_run,
)


@pytest.fixture
def transformed(demo: Any, client: FlaskClient) -> dict[str, Any]:
    return transform_run(client, prepare_run(client)["run_id"])


def chain_ids(client: FlaskClient) -> dict[str, str]:
    prepare_id = prepare_run(client)["run_id"]
    transform_id = transform_run(client, prepare_id)["transform_id"]
    training_id = train_run(client, transform_id)["training_id"]
    return {
        "prepare": prepare_id,
        "transform": transform_id,
        "training": training_id,
        "unknown": str(uuid.uuid4()),
    }


@pytest.mark.parametrize(
    ("endpoint", "given", "expected"),
    [
        ("transform-variables", "transform", "prepare-data run_id"),
        ("transform-variables", "training", "prepare-data run_id"),
        ("train-models", "prepare", "a transform_id"),
        ("train-models", "unknown", "a transform_id"),
        ("calculate-elasticity", "transform", "a training_id"),
        ("results", "prepare", "a training_id"),
        ("export", "transform", "a training_id"),
    ],
    ids=[
        "transform-given-transform",
        "transform-given-training",
        "train-given-prepare",
        "train-given-unknown",
        "elasticity-given-transform",
        "results-given-prepare",
        "export-given-transform",
    ],
)
def test_wrong_kind_of_id_answers_404_naming_expected_kind(
    demo: Any, client: FlaskClient, endpoint: str, given: str, expected: str
) -> None:
    ids = chain_ids(client)
    run_id = ids[given]
    bodies = {
        "transform-variables": {"media_variables": ["TV_Spend"]},
        "train-models": {"y_variables": ["Volume"]},
        "calculate-elasticity": {},
    }

    if endpoint == "results":
        response = client.get(f"{API}/results/{run_id}")
    elif endpoint == "export":
        response = client.post(f"{API}/export/{run_id}")
    else:
        response = post(client, endpoint, {**bodies[endpoint], "run_id": run_id})

    assert response.status_code == 404
    message = response.get_json()["message"]
    assert expected in message and run_id in message


class FailingModelInsert(MarketingRepository):
    """The real repository, with MongoDB 'lost' while models are inserted."""

    def add_models(self, models: Any) -> None:
        super().add_models(models[:5])
        raise StoreUnavailable("MongoDB", "connection lost mid-run (injected)")


def test_failed_training_leaves_nothing_visible(
    demo: Any, app: Flask, client: FlaskClient, transformed: dict[str, Any]
) -> None:
    request = MarketingTrainingRequest(
        run_id=transformed["transform_id"],
        model_types=[MarketingModelType.LINEAR],
        y_variables=["Volume"],
    )
    with app.test_request_context():
        current = runtime()
        runs = MarketingRuns(
            FailingModelInsert(current.mongo.database()),
            current.objects,
            current.settings.results_bucket,
        )
        with pytest.raises(StoreUnavailable, match="mid-run"):
            MarketingTrainingService(runs).train(request)

    run = demo.database.marketing_runs.find_one({"kind": "training"})
    assert run["status"] == "failed"
    assert "mid-run" in run["error"]
    assert demo.database.marketing_models.count_documents({}) == 0
    for response in (
        client.get(f"{API}/results/{run['_id']}"),
        post(client, "calculate-elasticity", {"run_id": run["_id"]}),
        client.post(f"{API}/export/{run['_id']}"),
    ):
        assert response.status_code == 404
        assert "failed" in response.get_json()["message"]


class FailingCompletion(MarketingRepository):
    """The real repository, with MongoDB 'lost' just before a run completes."""

    def complete(self, run_id: str, summary: Any) -> None:
        raise StoreUnavailable("MongoDB", "connection lost at completion (injected)")


def test_failed_prepare_removes_its_parquet(
    demo: Any, app: Flask, client: FlaskClient
) -> None:
    with app.test_request_context():
        current = runtime()
        runs = MarketingRuns(
            FailingCompletion(current.mongo.database()),
            current.objects,
            current.settings.results_bucket,
        )
        service = MarketingPrepareService(scope_service(), runs, demo.data_bucket)
        with pytest.raises(StoreUnavailable, match="completion"):
            service.prepare(PrepareRequest("marketing_scope_123", "MMM_Set_1"))

    run = demo.database.marketing_runs.find_one({"kind": "prepare"})
    assert run["status"] == "failed"
    assert list_keys(demo, "marketing-prepared/") == []
    response = post(
        client,
        "transform-variables",
        {"run_id": run["_id"], "media_variables": ["TV_Spend"]},
    )
    assert response.status_code == 404
    assert "failed" in response.get_json()["message"]


def test_running_run_is_invisible_then_expires(demo: Any, client: FlaskClient) -> None:
    stale_run_sweeps.reset()
    repository = MarketingRepository(demo.database)
    run_id = str(uuid.uuid4())
    repository.start({"run_id": run_id, "kind": "training"}, timedelta(seconds=-1))
    repository.add_models(
        [{"_id": f"{run_id}:1", "training_id": run_id, "model_id": 1}]
    )

    response = client.get(f"{API}/results/{run_id}")
    prepare_run(client)

    assert response.status_code == 404
    assert "running" in response.get_json()["message"]
    stale = demo.database.marketing_runs.find_one({"_id": run_id})
    assert stale["status"] == "failed"
    assert "lease expired" in stale["error"]
    assert demo.database.marketing_models.count_documents({}) == 0
