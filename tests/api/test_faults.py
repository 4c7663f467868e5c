"""Faults of the real servers: paused (stalled) and lost in mid-request."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from buildatom.app import create_app
from migrations_seed.seed import load_demo_scopes
from tests.conftest import Servers, Stores, drop_stores, make_stores

MANY = 1200


@pytest.fixture
def faulty(private_servers: Servers) -> Iterator[tuple[Stores, FlaskClient]]:
    stores = make_stores(private_servers)
    load_demo_scopes(stores.database, stores.s3, stores.data_bucket)
    scope = stores.database.scopes.find_one({"_id": "scope_123"})
    template = scope["combinations"][0]
    combinations = [
        {**template, "combination_id": f"copy_{i:04d}", "set_name": "Many"}
        for i in range(MANY)
    ]
    stores.database.scopes.insert_one({"_id": "many", "combinations": combinations})
    client = create_app(stores.app_config()).test_client()
    yield stores, client
    private_servers.mongo.resume()
    private_servers.minio.resume()
    private_servers.mongo.start()
    private_servers.minio.start()
    drop_stores(stores)


def timed(client: FlaskClient, method: str, path: str, **kwargs: Any) -> Any:
    started = time.monotonic()
    response = client.open(path, method=method, **kwargs)
    return response, time.monotonic() - started


def test_minio_stalled_answers_503_within_15s(faulty: Any) -> None:
    stores, client = faulty
    stores.servers.minio.pause()

    health, health_time = timed(client, "GET", "/api/v1/health")
    columns, columns_time = timed(
        client, "GET", "/api/v1/scopes/scope_123/sets/Scope_1"
    )

    assert health.status_code == 503
    assert health.get_json()["services"]["minio"]["status"] == "disconnected"
    assert health_time < 3.0
    assert columns.status_code in {503, 504}
    assert "MinIO" in columns.get_json()["message"]
    assert columns_time < 15.0
    print(
        f"MinIO stalled: health 503 in {health_time:.2f} s, "
        f"set read 503 in {columns_time:.2f} s"
    )


def test_mongodb_stalled_answers_503_within_seconds(faulty: Any) -> None:
    stores, client = faulty
    client.get("/api/v1/scopes")
    stores.servers.mongo.pause()

    response, elapsed = timed(client, "GET", "/api/v1/scopes/scope_123")

    assert response.status_code == 503
    assert "MongoDB" in response.get_json()["message"]
    assert elapsed < 8.0
    stores.servers.mongo.resume()
    deadline = time.monotonic() + 15
    while client.get("/api/v1/scopes/scope_123").status_code != 200:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    print(f"MongoDB stalled: 503 in {elapsed:.2f} s")


def test_mongodb_lost_mid_training_answers_503_and_no_completed_run(
    faulty: Any,
) -> None:
    stores, client = faulty
    body = {
        "scope_id": "many",
        "set_name": "Many",
        "x_variables": ["Price", "Promo"],
        "y_variable": "Volume",
        "price_column": "Price",
    }
    stopper = threading.Timer(0.4, stores.servers.mongo.kill)

    stopper.start()
    response, elapsed = timed(client, "POST", "/api/v1/train-models", json=body)
    stopper.join()
    stores.servers.mongo.start()

    assert response.status_code == 503
    assert "MongoDB" in response.get_json()["message"]
    runs = list(stores.database.training_runs.find({}))
    assert all(run["status"] != "completed" for run in runs)
    for run in runs:
        detailed = client.get(f"/api/v1/model-results/detailed/{run['_id']}")
        assert detailed.status_code == 404
    statuses = [run["status"] for run in runs]
    print(f"MongoDB lost mid-training: 503 after {elapsed:.2f} s; runs {statuses}")
