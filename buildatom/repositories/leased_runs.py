"""The life of a run document: ``running`` under a lease, then ``completed``
or ``failed``.

Training runs and marketing runs live the same way. A run is inserted as
``running`` with ``lease_expires_at``; the worker running it renews the lease
as it makes progress and flips it to ``completed`` at the end, which is the
moment its records become readable. A run that fails, or whose lease passes
because its worker died, is marked ``failed`` and loses whatever it wrote
(:meth:`LeasedRuns._discard`). Each flip is one ``update_one`` conditioned on
the status, so a run that expired can no longer complete.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.collection import Collection

from buildatom.repositories.mongo import mongo_errors, translates_mongo_errors

Document = dict[str, Any]
RUNNING, COMPLETED, FAILED = "running", "completed", "failed"
LEASE_EXPIRED = "lease expired: the worker running it stopped"


class LeasedRuns:
    """Run documents keyed by ``run_id``; subclasses say what a failed run
    loses by overriding :meth:`_discard`."""

    def __init__(self, runs: Collection[Document]) -> None:
        self._runs = runs

    @property
    def collection_name(self) -> str:
        """Name of the run collection."""
        return self._runs.name

    def _discard(self, run_id: str) -> None:
        """Remove the documents a failed run wrote besides its run document."""

    @translates_mongo_errors
    def start(self, run: Mapping[str, Any], lease: timedelta) -> None:
        """Record a new run as ``running`` until ``lease`` from now."""
        now = _now()
        self._runs.insert_one(
            {
                **run,
                "_id": run["run_id"],
                "status": RUNNING,
                "created_at": now,
                "lease_expires_at": now + lease,
            }
        )

    @translates_mongo_errors
    def renew(self, run_id: str, lease: timedelta) -> bool:
        """Extend a running run's lease; False if it is no longer running."""
        result = self._runs.update_one(
            {"_id": run_id, "status": RUNNING},
            {"$set": {"lease_expires_at": _now() + lease}},
        )
        return result.matched_count == 1

    @translates_mongo_errors
    def complete(self, run_id: str, summary: Mapping[str, Any]) -> bool:
        """Flip the run to ``completed`` with ``summary``: from now on it is
        readable.

        Returns False when the run was no longer ``running`` (its lease passed
        and it was failed in the meantime).
        """
        result = self._runs.update_one(
            {"_id": run_id, "status": RUNNING},
            {
                "$set": {**summary, "status": COMPLETED, "completed_at": _now()},
                "$unset": {"lease_expires_at": ""},
            },
        )
        return result.matched_count == 1

    def fail(self, run_id: str, reason: str) -> None:
        """Mark the run ``failed`` and remove whatever it wrote."""
        with mongo_errors():
            self._runs.update_one(
                {"_id": run_id},
                {
                    "$set": {"status": FAILED, "error": reason, "completed_at": _now()},
                    "$unset": {"lease_expires_at": ""},
                },
            )
            self._discard(run_id)

    @translates_mongo_errors
    def expire_stale_runs(self, now: datetime | None = None) -> list[str]:
        """Fail every ``running`` run whose lease has passed; return their ids."""
        moment = now or _now()
        stale = [
            document["_id"]
            for document in self._runs.find(
                {"status": RUNNING, "lease_expires_at": {"$lt": moment}}, {"_id": 1}
            )
        ]
        for run_id in stale:
            self.fail(run_id, LEASE_EXPIRED)
        return stale

    @translates_mongo_errors
    def find(self, run_id: str) -> Document | None:
        """Return a run document in any state."""
        return self._runs.find_one({"_id": run_id})


def _now() -> datetime:
    return datetime.now(UTC)
