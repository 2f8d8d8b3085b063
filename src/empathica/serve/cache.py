"""``PageCache``: result pages as the server answered them, so a page asked again costs a dictionary look-up.

Published results change only when a run publishes, and what a scoped or filtered page shows changes only when an
ingest stores rows in a table that scopes and filters read; the server clears the cache when a run ends and drops
the scoped and filtered pages on such an ingest (``Server``), and the keys carry both versions as well, so a page
computed from data older than its key is never kept. A page that reads no such table survives every ingest.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable, Hashable


class PageCache:
    """A thread-safe least-recently-used map of key → response body (bytes), bounded by ``max_bytes`` in all."""

    def __init__(self, *, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._pages: OrderedDict[Hashable, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> bytes | None:
        with self._lock:
            body = self._pages.get(key)
            if body is None:
                self.misses += 1
                return None
            self._pages.move_to_end(key)
            self.hits += 1
            return body

    def put(self, key: Hashable, body: bytes) -> None:
        """Keep ``body`` (a page bigger than a quarter of the cache is not kept)."""
        if len(body) * 4 > self.max_bytes:
            return
        with self._lock:
            old = self._pages.pop(key, None)
            self._bytes -= len(old) if old is not None else 0
            self._pages[key] = body
            self._bytes += len(body)
            while self._bytes > self.max_bytes:
                _, dropped = self._pages.popitem(last=False)
                self._bytes -= len(dropped)

    def drop(self, stale: Callable[[Hashable], bool]) -> int:
        """Forget the pages whose key is ``stale``; how many."""
        with self._lock:
            keys = [key for key in self._pages if stale(key)]
            for key in keys:
                self._bytes -= len(self._pages.pop(key))
            return len(keys)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._pages)
