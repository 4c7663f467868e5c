"""Seeding the demo scopes into the real servers, and the API serving them."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from migrations_seed.demo_data import demo_scopes
from migrations_seed.seed import load_demo_scopes


def stored_state(stores: Any) -> tuple[list[Any], dict[str, tuple[str, Any]]]:
    documents = list(stores.database.scopes.find({}).sort("_id", 1))
    listing = stores.s3.list_objects_v2(Bucket=stores.data_bucket)["Contents"]
    objects = {o["Key"]: (o["ETag"], o["LastModified"]) for o in listing}
    return documents, objects


def test_seed_twice_changes_nothing(stores: Any) -> None:
    first = load_demo_scopes(stores.database, stores.s3, stores.data_bucket)
    before = stored_state(stores)

    second = load_demo_scopes(stores.database, stores.s3, stores.data_bucket)

    expected_files = sum(len(scope.files) for scope in demo_scopes())
    assert (first.scopes_written, first.files_written) == (2, expected_files)
    assert (second.scopes_written, second.files_written) == (0, 0)
    assert second.files_unchanged == expected_files
    assert stored_state(stores) == before


def test_seed_creates_missing_data_bucket(stores: Any) -> None:
    stores.s3.delete_bucket(Bucket=stores.data_bucket)

    load_demo_scopes(stores.database, stores.s3, stores.data_bucket)

    keys = stores.s3.list_objects_v2(Bucket=stores.data_bucket)["KeyCount"]
    assert keys == sum(len(scope.files) for scope in demo_scopes())


def test_demo_data_served_by_scope_endpoints(stores: Any, client: FlaskClient) -> None:
    load_demo_scopes(stores.database, stores.s3, stores.data_bucket)

    sets = client.get("/api/v1/scopes/scope_123/sets").get_json()
    scope_set = client.get("/api/v1/scopes/scope_123/sets/Scope_1").get_json()
    marketing = client.get("/api/v1/scopes/marketing_scope_123/sets").get_json()

    assert sets == ["Scope_1", "Scope_2", "Scope_3"]
    assert scope_set["total_combinations"] == 12
    assert {"Price", "Distribution", "Promo", "Volume", "Revenue"} <= set(
        scope_set["columns"]
    )
    assert marketing == ["MMM_Set_1"]
