"""How often a process looks for runs whose worker died.

Failing expired runs scans the run collection, which on FerretDB costs a
decode of every run document; starting a run does it at most once a minute
per process instead of every time.
"""

from __future__ import annotations

import threading
import time

SWEEP_SECONDS = 60.0


class SweepSchedule:
    """Says yes at most once per ``interval`` seconds (thread-safe)."""

    def __init__(self, interval: float = SWEEP_SECONDS) -> None:
        self._interval = interval
        self._last: float | None = None
        self._lock = threading.Lock()

    def due(self) -> bool:
        """Whether a sweep should run now; a yes starts the next interval."""
        now = time.monotonic()
        with self._lock:
            if self._last is not None and now - self._last < self._interval:
                return False
            self._last = now
        return True

    def reset(self) -> None:
        """Make the next :meth:`due` say yes."""
        with self._lock:
            self._last = None


stale_run_sweeps = SweepSchedule()
