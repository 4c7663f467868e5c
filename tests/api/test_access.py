"""API keys, body size limit and training admission."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from buildatom.app import create_app
from buildatom.services.admission import TrainingSlots

KEY = "s3cr3t-key-value"


@pytest.fixture
def locked_client(stores: Any) -> FlaskClient:
    return create_app(stores.app_config(API_KEYS=f"other-key,{KEY}")).test_client()


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"X-API-Key": "wrong"},
        {"Authorization": f"Basic {KEY}"},
        {"Authorization": "Bearer "},
    ],
    ids=["none", "wrong-bearer", "wrong-header", "basic-scheme", "empty-bearer"],
)
def test_api_keys_refuse_missing_or_wrong_key(
    locked_client: FlaskClient, headers: dict[str, str]
) -> None:
    response = locked_client.get("/api/v1/scopes", headers=headers)

    assert response.status_code == 401
    body = response.get_json()
    assert body["code"] == 401
    assert body["request_id"]
    assert "WWW-Authenticate" in response.headers


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": f"Bearer {KEY}"},
        {"X-API-Key": KEY},
        {"Authorization": "bearer other-key"},
    ],
    ids=["bearer", "x-api-key", "second-key-lowercase-scheme"],
)
def test_api_keys_accept_valid_key(
    locked_client: FlaskClient, headers: dict[str, str]
) -> None:
    assert locked_client.get("/api/v1/scopes", headers=headers).status_code == 200


@pytest.mark.parametrize(
    "path",
    ["/api/v1/health", "/openapi.json", "/docs"],
    ids=["health", "openapi", "docs"],
)
def test_api_keys_leave_health_and_docs_open(
    locked_client: FlaskClient, path: str
) -> None:
    assert locked_client.get(path).status_code == 200


def test_api_keys_declared_in_openapi(locked_client: FlaskClient) -> None:
    spec = locked_client.get("/openapi.json").get_json()

    schemes = spec["components"]["securitySchemes"]
    assert schemes["BearerAuth"] == {"type": "http", "scheme": "bearer"}
    assert schemes["ApiKeyAuth"]["name"] == "X-API-Key"
    assert {"BearerAuth": []} in spec["security"]


def test_api_keys_never_logged(
    locked_client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    locked_client.get("/api/v1/scopes", headers={"X-API-Key": KEY + "x"})
    locked_client.get("/api/v1/scopes", headers={"X-API-Key": KEY})

    assert KEY not in caplog.text


def test_body_over_limit_answers_413(stores: Any) -> None:
    client = create_app(stores.app_config(MAX_BODY_BYTES=1000)).test_client()
    body = {"scope_id": "x" * 2000}

    response = client.post("/api/v1/train-models", json=body)

    assert response.status_code == 413
    assert response.get_json()["code"] == 413


def test_training_slots_refuse_beyond_count(tmp_path: Path) -> None:
    slots = TrainingSlots(2, str(tmp_path))

    with (
        slots.hold() as first,
        slots.hold() as second,
        pytest.raises(Exception, match="all 2 training slots") as refused,
        slots.hold(),
    ):
        pass
    assert {first, second} == {0, 1}
    assert refused.value.headers == {"Retry-After": "5"}  # type: ignore[attr-defined]
    with slots.hold() as again:
        assert again == 0


def test_train_models_all_slots_busy_answers_429(demo: Any, tmp_path: Path) -> None:
    config = demo.app_config(
        MAX_CONCURRENT_TRAININGS=1, TRAINING_SLOT_DIR=str(tmp_path)
    )
    client = create_app(config).test_client()
    body = {
        "scope_id": "scope_123",
        "set_name": "Scope_1",
        "x_variables": ["Price"],
        "y_variable": "Volume",
        "price_column": "Price",
    }

    with TrainingSlots(1, str(tmp_path)).hold():
        busy = client.post("/api/v1/train-models", json=body)
    free = client.post("/api/v1/train-models", json=body)

    assert busy.status_code == 429
    assert busy.headers["Retry-After"] == "5"
    assert free.status_code == 200
