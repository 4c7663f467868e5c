"""Stores that go away: 503 within seconds, the other store still reported."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from buildatom.app import create_app
from tests.conftest import Servers, Stores, drop_stores, make_stores


@pytest.fixture
def outage(private_servers: Servers) -> Iterator[tuple[Stores, FlaskClient]]:
    made = make_stores(private_servers)
    made.database.scopes.insert_one(
        {
            "_id": "scope_1",
            "combinations": [
                {"combination_id": "c1", "set_name": "S", "file_key": "f.csv"}
            ],
        }
    )
    made.s3.put_object(Bucket=made.data_bucket, Key="f.csv", Body=b"A,B\n1,2\n")
    client = create_app(made.app_config()).test_client()
    yield made, client
    private_servers.mongo.start()
    private_servers.minio.start()
    drop_stores(made)


def timed_get(client: FlaskClient, path: str) -> tuple[Any, float]:
    started = time.monotonic()
    response = client.get(path)
    return response, time.monotonic() - started


def test_health_mongodb_stopped_answers_503_within_3s(outage: Any) -> None:
    stores, client = outage
    stores.servers.mongo.stop()

    response, elapsed = timed_get(client, "/api/v1/health")

    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unhealthy"
    assert body["services"]["mongodb"]["status"] == "disconnected"
    assert "MongoDB" in body["services"]["mongodb"]["error"]
    assert body["services"]["minio"] == {"status": "connected"}
    assert elapsed < 3.0


def test_health_minio_stopped_answers_503_within_3s(outage: Any) -> None:
    stores, client = outage
    stores.servers.minio.stop()

    response, elapsed = timed_get(client, "/api/v1/health")

    assert response.status_code == 503
    body = response.get_json()
    assert body["services"]["minio"]["status"] == "disconnected"
    assert body["services"]["mongodb"] == {"status": "connected"}
    assert elapsed < 3.0


@pytest.mark.parametrize(
    ("store", "path", "name"),
    [
        ("mongo", "/api/v1/scopes", "MongoDB"),
        ("mongo", "/api/v1/scopes/scope_1", "MongoDB"),
        ("minio", "/api/v1/scopes/scope_1/sets/S", "MinIO"),
    ],
    ids=["list-without-mongodb", "get-without-mongodb", "set-without-minio"],
)
def test_request_store_stopped_answers_503_naming_it(
    outage: Any, store: str, path: str, name: str
) -> None:
    stores, client = outage
    getattr(stores.servers, store).stop()

    response, elapsed = timed_get(client, path)

    assert response.status_code == 503
    body = response.get_json()
    assert body["code"] == 503
    assert name in body["message"]
    assert body["request_id"]
    assert elapsed < 3.0


def test_store_back_after_outage_serves_without_restart(outage: Any) -> None:
    stores, client = outage
    stores.servers.mongo.stop()
    assert client.get("/api/v1/scopes/scope_1").status_code == 503

    stores.servers.mongo.start()
    started = time.monotonic()
    status = 0
    while time.monotonic() < started + 15 and status != 200:
        status = client.get("/api/v1/scopes/scope_1").status_code
        time.sleep(0.2)

    assert status == 200
    print(f"MongoDB back: serving again {time.monotonic() - started:.2f} s later")


def test_app_starts_with_both_stores_down(private_servers: Servers) -> None:
    stores = make_stores(private_servers)
    config = stores.app_config()
    private_servers.stop()

    try:
        client = create_app(config).test_client()
        response, elapsed = timed_get(client, "/api/v1/health")
        assert response.status_code == 503
        assert elapsed < 3.0

        private_servers.mongo.start()
        private_servers.minio.start()
        back = time.monotonic()
        assert client.get("/api/v1/health").status_code == 200
        assert client.get("/api/v1/scopes").status_code == 200
        print(
            f"stores down at start: health 503 in {elapsed:.2f} s; "
            f"serving {time.monotonic() - back:.2f} s after they returned"
        )
        indexes = stores.database.training_runs.index_information()
        assert "run_id_unique" in indexes
    finally:
        private_servers.mongo.start()
        private_servers.minio.start()
        drop_stores(stores)
