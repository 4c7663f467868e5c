"""Read-only access to the upstream ``scopes`` collection."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from pymongo.database import Database

from buildatom.repositories.mongo import translates_mongo_errors

Document = dict[str, Any]


class ScopeRepository:
    """Finds scopes by ``_id`` (string or ObjectId hex) or by ``scope_id``."""

    collection_name = "scopes"

    def __init__(self, database: Database[Any]) -> None:
        self._scopes = database[self.collection_name]

    @translates_mongo_errors
    def find(self, reference: str) -> Document | None:
        """Return the scope ``reference`` names, preferring an ``_id`` match."""
        candidates: list[Any] = [reference]
        with suppress(InvalidId, TypeError):
            candidates.append(ObjectId(reference))
        query = {"$or": [{"_id": {"$in": candidates}}, {"scope_id": reference}]}
        matches = list(self._scopes.find(query).limit(3))
        for candidate in candidates:
            for match in matches:
                if match["_id"] == candidate:
                    return match
        return matches[0] if matches else None

    @translates_mongo_errors
    def list(self, limit: int, skip: int) -> list[Document]:
        """Return one page of scopes in ``_id`` order."""
        cursor = self._scopes.find({}).sort("_id", 1).skip(skip).limit(limit)
        return list(cursor)

    @translates_mongo_errors
    def count(self) -> int:
        """Return how many scopes exist."""
        return int(self._scopes.count_documents({}))
