"""Start-up migrations: the indexes Build Atom's own collections need.

Applied by the app once per process when MongoDB is first reached, and by
``python -m migrations_seed.migrations``. Creating an index that exists is a
no-op, so applying twice changes nothing. The ``scopes`` collection belongs
to the upstream system and is never touched here.
"""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.database import Database

INDEXES: dict[str, list[IndexModel]] = {
    "training_runs": [
        IndexModel([("run_id", ASCENDING)], unique=True, name="run_id_unique"),
        IndexModel([("created_at", DESCENDING)], name="created_at"),
        IndexModel(
            [("status", ASCENDING), ("lease_expires_at", ASCENDING)],
            name="status_lease",
        ),
    ],
    "model_results": [
        IndexModel(
            [("run_id", ASCENDING), ("position", ASCENDING)], name="run_position"
        ),
    ],
    "exports": [
        IndexModel(
            [("kind", ASCENDING), ("file_key", ASCENDING)],
            unique=True,
            name="kind_file_key_unique",
        ),
        IndexModel(
            [("kind", ASCENDING), ("run_id", ASCENDING), ("created_at", DESCENDING)],
            name="kind_run_created",
        ),
    ],
    "marketing_runs": [
        IndexModel(
            [("kind", ASCENDING), ("created_at", DESCENDING)], name="kind_created"
        ),
        IndexModel(
            [("status", ASCENDING), ("lease_expires_at", ASCENDING)],
            name="status_lease",
        ),
    ],
    "marketing_transform_parameters": [
        IndexModel([("transform_id", ASCENDING)], name="transform_id"),
    ],
    "marketing_models": [
        IndexModel(
            [("training_id", ASCENDING), ("model_id", ASCENDING)],
            unique=True,
            name="training_model_unique",
        ),
    ],
}


def ensure_indexes(database: Database[Any]) -> None:
    """Create every index in :data:`INDEXES` that is missing.

    Indexes are created one command each: FerretDB 1.24 drops the connection
    when a ``createIndexes`` naming several indexes is repeated on a
    collection that already has them, while a repeated single-index command
    is a no-op on both servers (two workers may race here).
    """
    for collection, indexes in INDEXES.items():
        existing = set(database[collection].index_information())
        for index in indexes:
            if index.document["name"] not in existing:
                database[collection].create_indexes([index])
