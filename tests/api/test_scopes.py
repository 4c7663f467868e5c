"""Endpoints 3 to 6 against documents and files in the real stores."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest
from bson import ObjectId
from flask import Flask
from flask.testing import FlaskClient

from buildatom.api.dependencies import runtime
from buildatom.app import create_app

HEADER = "Date,Channel,Brand,PPG,Price,Volume\n"
OBJECT_ID = ObjectId("65a1b2c3d4e5f60718293a4b")


def combination(number: int, set_name: str, **extra: Any) -> dict[str, Any]:
    return {
        "combination_id": f"combo_{number:03d}",
        "set_name": set_name,
        "channel": "walmart",
        "brand": f"brand{number}",
        "ppg": "large",
        "file_key": f"sales/combo_{number:03d}.csv",
        "record_count": 3,
        **extra,
    }


@pytest.fixture
def scopes(stores: Any) -> list[dict[str, Any]]:
    documents = [
        {
            "_id": "scope_123",
            "scope_id": "scope_123",
            "scope_name": "Sales Analysis Scope",
            "description": "Q4 2024 sales data scope",
            "created_at": datetime(2025, 1, 15, 10, 0, tzinfo=UTC),
            "combinations": [
                combination(1, "Scope_1"),
                combination(2, "Scope_1", market="US"),
                combination(3, "Scope_2"),
            ],
        },
        {"_id": OBJECT_ID, "scope_name": "Object id scope", "combinations": []},
        {"_id": "internal-7", "scope_id": "public_7", "combinations": []},
    ]
    stores.database.scopes.insert_many(documents)
    body = HEADER + "2024-01-01,walmart,brand1,large,2.5,100\n"
    for number in (1, 2, 3):
        stores.s3.put_object(
            Bucket=stores.data_bucket,
            Key=f"sales/combo_{number:03d}.csv",
            Body=body.encode(),
        )
    return documents


@pytest.mark.parametrize(
    ("reference", "expected_id"),
    [
        ("scope_123", "scope_123"),
        (str(OBJECT_ID), str(OBJECT_ID)),
        ("public_7", "public_7"),
        ("internal-7", "public_7"),
    ],
    ids=["string-id", "objectid-hex", "scope_id-field", "id-with-scope_id"],
)
def test_get_scope_found_by_id_or_scope_id(
    client: FlaskClient, scopes: list[Any], reference: str, expected_id: str
) -> None:
    response = client.get(f"/api/v1/scopes/{reference}")

    assert response.status_code == 200
    assert response.get_json()["scope_id"] == expected_id


def test_get_scope_returns_document_fields(client: FlaskClient, scopes: Any) -> None:
    body = client.get("/api/v1/scopes/scope_123").get_json()

    assert body["scope_name"] == "Sales Analysis Scope"
    assert body["description"] == "Q4 2024 sales data scope"
    assert body["created_at"] == "2025-01-15T10:00:00.000Z"
    assert body["combinations"][0] == combination(1, "Scope_1")
    assert body["combinations"][1]["market"] == "US"


def test_get_scope_unknown_answers_404(client: FlaskClient, scopes: Any) -> None:
    response = client.get("/api/v1/scopes/no_such_scope")

    assert response.status_code == 404
    body = response.get_json()
    assert body["code"] == 404
    assert "no_such_scope" in body["message"]


def test_list_scopes_pages_in_id_order(client: FlaskClient, scopes: Any) -> None:
    first = client.get("/api/v1/scopes?limit=2&skip=0")
    second = client.get("/api/v1/scopes?limit=2&skip=2")

    assert first.status_code == 200
    assert first.headers["X-Total-Count"] == "3"
    ids = [s["scope_id"] for s in first.get_json() + second.get_json()]
    # BSON order: string _ids ("internal-7", "scope_123") before ObjectIds.
    assert ids == ["public_7", "scope_123", str(OBJECT_ID)]
    assert len(second.get_json()) == 1


def test_list_scopes_defaults_to_ten(client: FlaskClient, stores: Any) -> None:
    stores.database.scopes.insert_many(
        [{"_id": f"s{i:02d}", "combinations": []} for i in range(12)]
    )

    body = client.get("/api/v1/scopes").get_json()

    assert [s["scope_id"] for s in body] == [f"s{i:02d}" for i in range(10)]


@pytest.mark.parametrize(
    "query",
    ["limit=0", "limit=101", "limit=abc", "skip=-1", "skip=x", "limit=1.5"],
    ids=[
        "limit-zero",
        "limit-over",
        "limit-text",
        "skip-negative",
        "skip-text",
        "limit-fraction",
    ],
)
def test_list_scopes_bad_paging_answers_422_naming_field(
    client: FlaskClient, query: str
) -> None:
    response = client.get(f"/api/v1/scopes?{query}")

    assert response.status_code == 422
    field = query.split("=")[0]
    assert field in response.get_json()["errors"]["query"]
    assert field in response.get_json()["message"]


def test_list_sets_in_order_of_appearance(client: FlaskClient, scopes: Any) -> None:
    response = client.get("/api/v1/scopes/scope_123/sets")

    assert response.status_code == 200
    assert response.get_json() == ["Scope_1", "Scope_2"]


def test_list_sets_unknown_scope_answers_404(client: FlaskClient) -> None:
    assert client.get("/api/v1/scopes/missing/sets").status_code == 404


def test_get_set_reads_columns_of_first_file(client: FlaskClient, scopes: Any) -> None:
    response = client.get("/api/v1/scopes/scope_123/sets/Scope_1")

    assert response.status_code == 200
    body = response.get_json()
    assert body["scope_id"] == "scope_123"
    assert body["scope_name"] == "Sales Analysis Scope"
    assert body["set_name"] == "Scope_1"
    assert body["columns"] == ["Date", "Channel", "Brand", "PPG", "Price", "Volume"]
    assert body["total_combinations"] == 2
    ids = [c["combination_id"] for c in body["combinations"]]
    assert ids == ["combo_001", "combo_002"]


@pytest.mark.parametrize(
    ("reference", "set_name", "fragment"),
    [("scope_123", "Scope_9", "Scope_9"), ("missing", "Scope_1", "missing")],
    ids=["unknown-set", "unknown-scope"],
)
def test_get_set_unknown_answers_404(
    client: FlaskClient, scopes: Any, reference: str, set_name: str, fragment: str
) -> None:
    response = client.get(f"/api/v1/scopes/{reference}/sets/{set_name}")

    assert response.status_code == 404
    assert fragment in response.get_json()["message"]


def test_get_set_missing_file_answers_404(client: FlaskClient, stores: Any) -> None:
    stores.database.scopes.insert_one(
        {"_id": "orphan", "combinations": [combination(9, "Scope_1")]}
    )

    response = client.get("/api/v1/scopes/orphan/sets/Scope_1")

    assert response.status_code == 404
    assert "sales/combo_009.csv" in response.get_json()["message"]


def test_get_set_header_read_with_ranged_get(
    app: Flask, client: FlaskClient, stores: Any
) -> None:
    header = ",".join(f"col{i}" for i in range(3000)) + "\n"
    rows = "".join(",".join("1.0" for _ in range(3000)) + "\n" for _ in range(400))
    stores.s3.put_object(
        Bucket=stores.data_bucket, Key="sales/wide.csv", Body=(header + rows).encode()
    )
    stores.database.scopes.insert_one(
        {
            "_id": "wide",
            "combinations": [
                combination(1, "Scope_1", file_key="sales/wide.csv"),
            ],
        }
    )
    ranges: list[str] = []
    with app.app_context():
        events = runtime().objects.client.meta.events
        events.register(
            "before-call.s3.GetObject",
            lambda params, **_: ranges.append(params["headers"].get("Range", "")),
        )

    response = client.get("/api/v1/scopes/wide/sets/Scope_1")

    assert response.status_code == 200
    assert response.get_json()["columns"][-1] == "col2999"
    assert ranges == ["bytes=0-65535"]
    assert len(header) < 65536 < len(header) + len(rows)


def test_scope_reads_are_kept_for_scope_cache_seconds(stores: Any, scopes: Any) -> None:
    client = create_app(stores.app_config(SCOPE_CACHE_SECONDS=0.5)).test_client()
    assert client.get("/api/v1/scopes/scope_123/sets").get_json() == [
        "Scope_1",
        "Scope_2",
    ]
    stores.database.scopes.update_one(
        {"_id": "scope_123"}, {"$set": {"combinations": [combination(9, "Scope_9")]}}
    )

    kept = client.get("/api/v1/scopes/scope_123/sets").get_json()
    time.sleep(0.6)
    renewed = client.get("/api/v1/scopes/scope_123/sets").get_json()

    assert kept == ["Scope_1", "Scope_2"]
    assert renewed == ["Scope_9"]


def test_scope_cache_zero_reads_every_time(stores: Any, scopes: Any) -> None:
    client = create_app(stores.app_config(SCOPE_CACHE_SECONDS=0)).test_client()
    assert client.get("/api/v1/scopes/scope_123").status_code == 200
    stores.database.scopes.update_one(
        {"_id": "scope_123"}, {"$set": {"scope_name": "Renamed"}}
    )
    assert client.get("/api/v1/scopes/scope_123").get_json()["scope_name"] == "Renamed"


def test_a_missing_scope_is_not_kept(client: FlaskClient, stores: Any) -> None:
    assert client.get("/api/v1/scopes/late_scope").status_code == 404
    stores.database.scopes.insert_one({"_id": "late_scope", "combinations": []})
    assert client.get("/api/v1/scopes/late_scope").status_code == 200


def test_training_reads_the_scope_afresh(client: FlaskClient, demo: Any) -> None:
    # The set's scope is read (and kept) by the scope endpoints, then changed
    # upstream; a training started at once must use the changed scope.
    assert client.get("/api/v1/scopes/scope_123/sets/Scope_1").status_code == 200
    scope = demo.database.scopes.find_one({"_id": "scope_123"})
    kept = [c for c in scope["combinations"] if c["set_name"] == "Scope_1"][:2]
    demo.database.scopes.update_one(
        {"_id": "scope_123"}, {"$set": {"combinations": kept}}
    )

    response = client.post(
        "/api/v1/train-models",
        json={
            "scope_id": "scope_123",
            "set_name": "Scope_1",
            "x_variables": ["Price", "Distribution", "Promo"],
            "y_variable": "Volume",
            "price_column": "Price",
            "models_to_run": ["linear"],
        },
    )

    assert response.status_code == 200
    assert response.get_json()["total_combinations"] == 2
