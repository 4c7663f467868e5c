"""Small per-process caches of answers that are costly to read from MongoDB.

A run's results never change once it is ``completed``, so a page computed
once can be served again without reading MongoDB (:data:`completed_pages`).
Scopes are written by another system and may change, so they are kept only
for a few seconds (:class:`PageCache` with ``ttl_seconds``). Entries are
bounded in number; the least recently used go first.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

MAX_ENTRIES = 256


class PageCache:
    """Least-recently-used answers, shared by the threads of one worker.

    With ``ttl_seconds``, an answer older than that is read again.
    """

    def __init__(
        self, max_entries: int = MAX_ENTRIES, ttl_seconds: float | None = None
    ) -> None:
        self._entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._max_entries = max_entries
        self._ttl = ttl_seconds

    def get_or_compute(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The cached answer for ``key``, computing and keeping it if missing."""
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] > now:
                self._entries.move_to_end(key)
                return entry[1]
        value = compute()
        expires = now + self._ttl if self._ttl is not None else float("inf")
        with self._lock:
            self._entries[key] = (expires, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
        return value

    def forget(self, key: Hashable) -> None:
        """Drop the answer for ``key``, if any."""
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        """Forget every answer."""
        with self._lock:
            self._entries.clear()


completed_pages = PageCache()
