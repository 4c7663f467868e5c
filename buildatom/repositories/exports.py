"""Records of the files the API exported, the only keys downloads may serve."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pymongo import DESCENDING
from pymongo.database import Database

from buildatom.repositories.mongo import translates_mongo_errors

Document = dict[str, Any]


class ExportRepository:
    """The ``exports`` collection; ``kind`` separates model-result CSVs from
    marketing exports so each download endpoint sees only its own files."""

    def __init__(self, database: Database[Any]) -> None:
        self._exports = database["exports"]

    @translates_mongo_errors
    def record(self, kind: str, export: Mapping[str, Any]) -> None:
        """Record an export after its object has been written completely."""
        self._exports.insert_one(
            {**export, "kind": kind, "created_at": datetime.now(UTC)}
        )

    @translates_mongo_errors
    def find(self, kind: str, file_key: str) -> Document | None:
        """Return the record of ``file_key`` if the API exported it."""
        return self._exports.find_one({"kind": kind, "file_key": file_key})

    @translates_mongo_errors
    def list(self, kind: str, run_id: str | None, limit: int) -> list[Document]:
        """Newest first, optionally for one run."""
        query: Document = {"kind": kind}
        if run_id is not None:
            query["run_id"] = run_id
        cursor = self._exports.find(query).sort("created_at", DESCENDING).limit(limit)
        return list(cursor)

    @translates_mongo_errors
    def count(self, kind: str, run_id: str | None) -> int:
        """How many exports match the same filter as :meth:`list`."""
        query: Document = {"kind": kind}
        if run_id is not None:
            query["run_id"] = run_id
        return int(self._exports.count_documents(query))
