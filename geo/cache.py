"""A bounded in-memory cache (by bytes, least recently used first out), safe across threads.

Callers put their versions in the keys (boundary generation, dataset load, data
version), so a change makes old entries unreachable: they are never served stale,
and age out. Used for tiles, rendered reports and past generations' locate indexes."""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

ENTRY_OVERHEAD = 64   # bytes counted per entry on top of its value: key, links


class ByteCache:
    """Values up to ``max_bytes`` in all, each measured by ``size`` (default ``len``); a value
    larger than the whole budget is not kept."""

    def __init__(self, max_bytes: int, size: Callable[[Any], int] = len):
        self.max_bytes, self._size = max_bytes, size
        self._items: OrderedDict[tuple, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def get(self, key: tuple) -> Any | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item[0]

    def put(self, key: tuple, value: Any) -> None:
        size = self._size(value) + ENTRY_OVERHEAD
        if size > self.max_bytes:
            return
        with self._lock:
            if key in self._items:
                self._bytes -= self._items.pop(key)[1]
            self._items[key] = (value, size)
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, (_, old) = self._items.popitem(last=False)
                self._bytes -= old

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._items)
