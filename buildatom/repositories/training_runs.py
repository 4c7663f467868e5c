"""Training runs and their per-combination results (endpoints 7 to 9).

A run document goes ``running`` → ``completed`` or ``failed``
(:mod:`buildatom.repositories.leased_runs`). Results are inserted in bulk
while the run is ``running`` and read by the results service only once it is
``completed``, so no reader ever sees part of a run. User-supplied names
(variables, coefficients) are stored as values in name/value pairs, never as
field names.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing
from typing import Any

import pymongo
from pymongo.database import Database

from buildatom.repositories.leased_runs import Document, LeasedRuns
from buildatom.repositories.mongo import mongo_errors, translates_mongo_errors

SCAN_BATCH_DOCUMENTS = 100
# One batch of an export's scan may cross every document stored before the
# run: FerretDB decodes a few hundred result documents a second.
SCAN_BATCH_SECONDS = 60.0


def result_id(run_id: str, position: int) -> str:
    """The ``_id`` of a run's result document for one combination."""
    return f"{run_id}:{position:07d}"


class TrainingRunRepository(LeasedRuns):
    """The ``training_runs`` and ``model_results`` collections."""

    def __init__(self, database: Database[Any]) -> None:
        super().__init__(database["training_runs"])
        self._results = database["model_results"]
        self.namespace = database.name

    def _discard(self, run_id: str) -> None:
        self._results.delete_many({"run_id": run_id})

    @translates_mongo_errors
    def add_results(self, results: Sequence[Mapping[str, Any]]) -> None:
        """Insert a batch of per-combination result documents."""
        if results:
            self._results.insert_many([dict(r) for r in results], ordered=False)

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
