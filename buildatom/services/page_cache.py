"""A small per-process cache for pages of completed runs.

A run's results never change once it is ``completed``, so a page computed
once can be served again without reading MongoDB. Entries are bounded in
number and only small pages are kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

MAX_ENTRIES = 256


class PageCache:
    """Least-recently-used pages, shared by the threads of one worker."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._max_entries = max_entries

    def get_or_compute(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The cached page for ``key``, computing and keeping it if missing."""
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        page = compute()
        with self._lock:
            self._entries[key] = page
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
        return page

    def clear(self) -> None:
        """Forget every page."""
        with self._lock:
            self._entries.clear()


completed_pages = PageCache()
