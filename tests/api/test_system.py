"""Endpoints 1 and 2, the OpenAPI document and the error shape."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient

from buildatom import __version__


def test_health_all_connected_answers_healthy(client: FlaskClient) -> None:
    response = client.get("/api/v1/health")

    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "healthy"
    assert body["services"] == {
        "mongodb": {"status": "connected"},
        "minio": {"status": "connected"},
    }
    assert body["version"] == __version__
    assert body["api"] == "Build Atom API"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", body["timestamp"])
    datetime.fromisoformat(body["timestamp"].replace("Z", "+00:00"))


def test_api_info_lists_every_real_route(app: Flask, client: FlaskClient) -> None:
    body = client.get("/api/v1/").get_json()

    assert body["message"] == "Welcome to Build Atom API"
    assert body["documentation"] == "/docs"
    expected = {
        "health": "/api/v1/health",
        "get_scope": "/api/v1/scopes/{scope_id}",
        "list_scopes": "/api/v1/scopes",
        "get_scope_set": "/api/v1/scopes/{scope_id}/sets/{set_name}",
        "list_scope_sets": "/api/v1/scopes/{scope_id}/sets",
    }
    assert expected.items() <= body["endpoints"].items()
    openapi_paths = set(client.get("/openapi.json").get_json()["paths"])
    assert set(body["endpoints"].values()) == openapi_paths


def test_openapi_every_component_schema_has_examples(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").get_json()

    assert spec["openapi"].startswith("3.")
    schemas = spec["components"]["schemas"]
    assert schemas
    for name, schema in schemas.items():
        if name == "PaginationMetadata":  # flask-smorest built-in
            continue
        for prop, definition in schema.get("properties", {}).items():
            has_example = (
                "example" in definition
                or "$ref" in definition
                or (definition.get("type") == "array" and "$ref" in definition["items"])
            )
            assert has_example, f"{name}.{prop} has no example"


def test_docs_serves_swagger_ui(client: FlaskClient) -> None:
    response = client.get("/docs")

    assert response.status_code == 200
    assert b"swagger-ui" in response.data
    assert b"/openapi.json" in response.data


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/api/v1/nothing-here", 404), ("POST", "/api/v1/health", 405)],
    ids=["unknown-route", "wrong-method"],
)
def test_http_errors_use_json_error_shape(
    client: FlaskClient, method: str, path: str, status: int
) -> None:
    response = client.open(path, method=method, headers={"X-Request-ID": "abc-123"})

    assert response.status_code == status
    body = response.get_json()
    assert body["code"] == status
    assert body["status"]
    assert body["message"]
    assert body["request_id"] == "abc-123"
    assert response.headers["X-Request-ID"] == "abc-123"


def test_request_id_unsafe_header_is_replaced(client: FlaskClient) -> None:
    response = client.get("/api/v1/", headers={"X-Request-ID": "bad id <script>"})

    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])
