"""Admission of trainings: at most N at once per instance, across workers.

gunicorn.conf.py points every worker of one master at the same directory;
without it, each process has slots of its own. Trainings run inline in
gunicorn workers, so an unbounded number of them would
starve reads. Each slot is an exclusive ``flock`` on a file in a directory the
workers of one instance share; the kernel releases a slot when its holder
exits, even by SIGKILL, so a crashed worker never leaks one.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from buildatom.errors import TooManyRequests

RETRY_AFTER_SECONDS = 5


def default_slot_count() -> int:
    """Workers − 1 (gunicorn's worker count as configured), at least 1."""
    workers = os.environ.get("BUILDATOM_WORKERS")
    count = int(workers) if workers else (os.cpu_count() or 1) + 1
    return max(1, count - 1)


def default_slot_dir(owner: int | None = None) -> Path:
    """Slots private to one process and its workers (gunicorn's master pid)."""
    pid = owner if owner is not None else os.getpid()
    return Path(tempfile.gettempdir()) / f"buildatom-slots-{os.getuid()}-{pid}"


class TrainingSlots:
    """A fixed number of slots shared by every process using ``directory``."""

    def __init__(self, count: int, directory: str) -> None:
        self.count = count if count > 0 else default_slot_count()
        self.directory = Path(directory) if directory else default_slot_dir()

    @contextmanager
    def hold(self) -> Iterator[int]:
        """Hold a free slot for the block, or raise 429 if none is free."""
        self.directory.mkdir(parents=True, exist_ok=True)
        for slot in range(self.count):
            handle = open(self.directory / f"slot-{slot}.lock", "a")  # noqa: SIM115
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            try:
                yield slot
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
                handle.close()
            return
        raise TooManyRequests(
            f"all {self.count} training slots of this instance are busy; "
            f"retry in {RETRY_AFTER_SECONDS} s",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
