"""Start-up migrations on the real server: idempotent, safe when raced."""

from __future__ import annotations

import threading
from typing import Any

from pymongo import MongoClient

from migrations_seed.migrations import INDEXES, ensure_indexes


def index_names(stores: Any) -> dict[str, set[str]]:
    return {name: set(stores.database[name].index_information()) for name in INDEXES}


def test_ensure_indexes_twice_changes_nothing(stores: Any) -> None:
    ensure_indexes(stores.database)
    first = index_names(stores)

    ensure_indexes(stores.database)

    assert index_names(stores) == first
    for collection, indexes in INDEXES.items():
        assert {i.document["name"] for i in indexes} <= first[collection]


def test_ensure_indexes_raced_by_workers(stores: Any) -> None:
    errors: list[Exception] = []

    def migrate() -> None:
        client: MongoClient[Any] = MongoClient(stores.servers.mongo.url)
        try:
            ensure_indexes(client[stores.database_name])
        except Exception as error:  # collected for the assertion below
            errors.append(error)
        finally:
            client.close()

    workers = [threading.Thread(target=migrate) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    ensure_indexes(stores.database)

    assert errors == []
    assert "run_id_unique" in index_names(stores)["training_runs"]
