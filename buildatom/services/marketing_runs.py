"""The chain of marketing runs: look-ups by kind, start, and clean failure.

Prepare-data answers a ``run_id``, transform-variables a ``transform_id`` and
train-models a ``training_id``; each step takes the previous one's id. A run
is readable only once ``completed``; a failed one is marked ``failed`` and
loses its records, models and objects.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pandas as pd

from buildatom.errors import AppError, NotFound
from buildatom.repositories.leased_runs import COMPLETED
from buildatom.repositories.marketing import MarketingRepository
from buildatom.services.run_leases import complete_run, fail_run, start_run
from buildatom.storage.object_store import ObjectStore
from buildatom.storage.parquet_objects import write_parquet

logger = logging.getLogger(__name__)

PREPARE, TRANSFORM, TRAINING = "prepare", "transform", "training"
RUN_LEASE = timedelta(minutes=10)
READ_WORKERS = 16
WRITE_WORKERS = 8

_KIND_NAMES = {
    PREPARE: "a prepare-data run_id (from POST /api/v1/marketing/prepare-data)",
    TRANSFORM: "a transform_id (from POST /api/v1/marketing/transform-variables)",
    TRAINING: "a training_id (from POST /api/v1/marketing/train-models)",
}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class MarketingRuns:
    """Finds completed runs of one kind; starts and abandons runs."""

    def __init__(
        self, repository: MarketingRepository, objects: ObjectStore, bucket: str
    ) -> None:
        self.repository = repository
        self.objects = objects
        self.bucket = bucket

    def completed(self, run_id: str, kind: str) -> dict[str, Any]:
        """The run document, or 404 naming the kind of id that was expected."""
        run = self.repository.find(run_id)
        expected = _KIND_NAMES[kind]
        if run is None:
            raise NotFound(f"no marketing run {run_id!r}; expected {expected}")
        if run.get("kind") != kind:
            raise NotFound(
                f"{run_id!r} is a {run.get('kind')} run, not a {kind} run; "
                f"expected {expected}"
            )
        if run["status"] != COMPLETED:
            raise NotFound(
                f"{kind} run {run_id!r} is {run['status']}; it is usable once completed"
            )
        return run

    def start(self, run_id: str, kind: str, document: dict[str, Any]) -> None:
        """Record the run as ``running`` (see :func:`start_run`)."""
        run = {**document, "run_id": run_id, "kind": kind}
        start_run(self.repository, run, RUN_LEASE)

    def record_with_frames(
        self,
        run_id: str,
        kind: str,
        document: dict[str, Any],
        frames: Mapping[str, pd.DataFrame],
        summary: dict[str, Any],
        parameters: Sequence[dict[str, Any]] = (),
    ) -> None:
        """Start the run, write its frames as Parquet (concurrently), insert
        a transform's fitted ``parameters``, then flip it to ``completed``
        with ``summary`` (which embeds the per-combination records).

        On any failure the run is abandoned: marked failed, its parameters
        and objects removed.
        """
        self.start(run_id, kind, document)
        try:
            with ThreadPoolExecutor(WRITE_WORKERS, thread_name_prefix="write") as pool:
                list(
                    pool.map(
                        lambda item: write_parquet(
                            self.objects, self.bucket, item[0], item[1]
                        ),
                        frames.items(),
                    )
                )
            self.repository.add_parameters(run_id, parameters)
            complete_run(self.repository, run_id, summary)
        except BaseException as error:
            self.abandon(run_id, error, list(frames))
            raise

    def abandon(
        self, run_id: str, error: BaseException, written_keys: Sequence[str]
    ) -> None:
        """Mark the run failed and remove what it wrote, as far as possible."""
        reason = fail_run(self.repository, run_id, error)
        for key in written_keys:
            try:
                self.objects.delete(self.bucket, key)
            except AppError as cleanup_error:
                logger.warning(
                    "object %s of failed run %s left behind: %s",
                    key,
                    run_id,
                    cleanup_error.message,
                )
        logger.warning("marketing run %s failed: %s", run_id, reason)


def object_name(position: int, combination_id: str) -> str:
    """A file name for one combination's data that is safe in any object key."""
    safe = _UNSAFE.sub("_", combination_id).strip("._")[:80] or "combination"
    return f"{position:05d}_{safe}.parquet"
