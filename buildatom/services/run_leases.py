"""What the services do around a run's lease: finish it, fail it, and look
for runs whose worker died.

Failing expired runs scans the run collection, which on FerretDB costs a
decode of every run document; starting a run does it at most once a minute
per process and collection (:func:`start_run`) instead of every time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from buildatom.errors import AppError, RunLost
from buildatom.repositories.leased_runs import LeasedRuns

logger = logging.getLogger(__name__)

SWEEP_SECONDS = 60.0


class SweepSchedule:
    """Says yes at most once per ``interval`` seconds for each run collection
    (thread-safe)."""

    def __init__(self, interval: float = SWEEP_SECONDS) -> None:
        self._interval = interval
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def due(self, collection: str) -> bool:
        """Whether ``collection`` should be swept now; a yes starts its next
        interval."""
        now = time.monotonic()
        with self._lock:
            last = self._last.get(collection)
            if last is not None and now - last < self._interval:
                return False
            self._last[collection] = now
        return True

    def reset(self) -> None:
        """Make the next :meth:`due` say yes for every collection."""
        with self._lock:
            self._last.clear()


stale_run_sweeps = SweepSchedule()


def start_run(runs: LeasedRuns, run: Mapping[str, Any], lease: timedelta) -> None:
    """Record ``run`` as ``running`` for ``lease``; first, at most once a
    minute per process and collection, fail the runs whose worker died."""
    if stale_run_sweeps.due(runs.collection_name):
        for stale in runs.expire_stale_runs():
            logger.warning("run %s expired while running", stale)
    runs.start(run, lease)


def complete_run(runs: LeasedRuns, run_id: str, summary: Mapping[str, Any]) -> None:
    """Flip a run to ``completed``; 409 (:class:`RunLost`) when its lease
    passed first and it was failed in the meantime."""
    if not runs.complete(run_id, summary):
        raise RunLost(f"run {run_id} expired before it could complete")


def fail_run(runs: LeasedRuns, run_id: str, error: BaseException) -> str:
    """Mark a run ``failed`` because of ``error`` and return the reason given.

    When the store cannot be reached to say so, the run is left to its lease.
    """
    reason = error.message if isinstance(error, AppError) else type(error).__name__
    try:
        runs.fail(run_id, reason)
    except AppError as cleanup_error:
        logger.warning(
            "run %s not marked failed (%s); its lease will expire",
            run_id,
            cleanup_error.message,
        )
    return reason
