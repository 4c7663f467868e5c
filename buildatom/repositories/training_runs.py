"""Training runs and their per-combination results (endpoints 7 to 9).

A run document goes ``running`` → ``completed`` or ``failed``. Results are
inserted in bulk while the run is ``running`` and read only through
:meth:`TrainingRunRepository.completed_run`, so no reader ever sees part of a
run. User-supplied names (variables, coefficients) are stored as values in
name/value pairs, never as field names.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing
from datetime import UTC, datetime, timedelta
from typing import Any

import pymongo
from pymongo.database import Database

from buildatom.repositories.mongo import mongo_errors, translates_mongo_errors

Document = dict[str, Any]
RUNNING, COMPLETED, FAILED = "running", "completed", "failed"
SCAN_BATCH_DOCUMENTS = 100
# One batch of an export's scan may cross every document stored before the
# run: FerretDB decodes a few hundred result documents a second.
SCAN_BATCH_SECONDS = 60.0


def result_id(run_id: str, position: int) -> str:
    """The ``_id`` of a run's result document for one combination."""
    return f"{run_id}:{position:07d}"


class TrainingRunRepository:
    """The ``training_runs`` and ``model_results`` collections."""

    def __init__(self, database: Database[Any]) -> None:
        self._runs = database["training_runs"]
        self._results = database["model_results"]
        self.namespace = database.name

    @translates_mongo_errors
    def start(self, run: Mapping[str, Any], lease: timedelta) -> None:
        """Record a new run as ``running`` until ``lease`` from now."""
        now = datetime.now(UTC)
        document = {
            **run,
            "_id": run["run_id"],
            "status": RUNNING,
            "created_at": now,
            "lease_expires_at": now + lease,
        }
        self._runs.insert_one(document)

    @translates_mongo_errors
    def add_results(self, results: Sequence[Mapping[str, Any]]) -> None:
        """Insert a batch of per-combination result documents."""
        if results:
            self._results.insert_many([dict(r) for r in results], ordered=False)

    @translates_mongo_errors
    def renew(self, run_id: str, lease: timedelta) -> bool:
        """Extend a running run's lease; False if it is no longer running."""
        result = self._runs.update_one(
            {"_id": run_id, "status": RUNNING},
            {"$set": {"lease_expires_at": datetime.now(UTC) + lease}},
        )
        return result.matched_count == 1

    @translates_mongo_errors
    def complete(self, run_id: str, summary: Mapping[str, Any]) -> bool:
        """Flip the run to ``completed``: from now on its results are readable.

        Returns False when the run was no longer ``running`` (its lease expired
        and it was failed in the meantime).
        """
        result = self._runs.update_one(
            {"_id": run_id, "status": RUNNING},
            {
                "$set": {
                    **summary,
                    "status": COMPLETED,
                    "completed_at": datetime.now(UTC),
                },
                "$unset": {"lease_expires_at": ""},
            },
        )
        return result.matched_count == 1

    def fail(self, run_id: str, reason: str) -> None:
        """Mark the run ``failed`` and remove whatever results it wrote."""
        with mongo_errors():
            self._runs.update_one(
                {"_id": run_id},
                {
                    "$set": {
                        "status": FAILED,
                        "error": reason,
                        "completed_at": datetime.now(UTC),
                    },
                    "$unset": {"lease_expires_at": ""},
                },
            )
            self._results.delete_many({"run_id": run_id})

    @translates_mongo_errors
    def find(self, run_id: str) -> Document | None:
        """Return a run document in any state."""
        return self._runs.find_one({"_id": run_id})

    def iter_results(
        self,
        run_id: str,
        positions: range,
        projection: Mapping[str, Any] | None = None,
    ) -> Iterator[Document]:
        """Yield a run's combination documents at ``positions``, in order.

        Each is read by its ``_id``: an index look-up on MongoDB; on FerretDB
        a scan that stops at the document, so a page of a run stored after
        a long history costs more than one of an early run.
        """
        for position in positions:
            with mongo_errors():
                document = self._results.find_one(
                    {"_id": result_id(run_id, position)}, projection
                )
            if document is not None:
                yield document

    def scan_results(
        self,
        run_id: str,
        count: int,
        projection: Mapping[str, Any] | None = None,
        batch_seconds: float = SCAN_BATCH_SECONDS,
    ) -> Iterator[Document]:
        """Yield a run's ``count`` combination documents in position order,
        from one query (an export).

        FerretDB answers every query with a scan in storage order, which is
        position order here (results are inserted in order); MongoDB walks
        the ``(run_id, position)`` index. A document that arrives early waits
        in memory for its turn. The query is limited to ``count`` so the scan
        ends at the run's last document, and a batch may take
        ``batch_seconds``, not the usual operation timeout: the first one can
        cross every document stored before the run.
        """
        if count <= 0:
            return
        waiting: dict[int, Document] = {}
        position = 0
        with mongo_errors():
            cursor = self._results.find({"run_id": run_id}, projection, limit=count)
            with closing(cursor.batch_size(min(count, SCAN_BATCH_DOCUMENTS))):
                while position < count:
                    with pymongo.timeout(batch_seconds):
                        document = next(cursor, None)
                    if document is None:
                        break
                    waiting[document["position"]] = document
                    while position in waiting:
                        yield waiting.pop(position)
                        position += 1
        yield from (waiting[key] for key in sorted(waiting))

    @translates_mongo_errors
    def expire_stale_runs(self, now: datetime | None = None) -> list[str]:
        """Fail every ``running`` run whose lease has passed; return their ids."""
        moment = now or datetime.now(UTC)
        stale = [
            document["_id"]
            for document in self._runs.find(
                {"status": RUNNING, "lease_expires_at": {"$lt": moment}}, {"_id": 1}
            )
        ]
        for run_id in stale:
            self.fail(run_id, "lease expired: the worker running it stopped")
        return stale
