"""``Recent``: the last few values computed for one ``LogStore``, by key (thread-safe, bounded).

Why: a first view computes the same matrix (and its picture) for the page's HTML, for the layout
and for the first matrix callback, three requests in a row for the same logs and view state. The
keys include the logs' fingerprint, so new data never meets an old value; values are read-only.
``for_store`` keeps one cache per store and drops it with the store (tests build many apps).
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

from confusionflow.data_access.store import LogStore

V = TypeVar("V")


class Recent(Generic[V]):
    """At most ``size`` values, the least recently used dropped first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: Hashable, value: V) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


class PerStore(Generic[V]):
    """One :class:`Recent` per ``LogStore`` (weakly held: it goes with its store)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._caches: weakref.WeakKeyDictionary[LogStore, Recent[V]] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def for_store(self, store: LogStore) -> Recent[V]:
        with self._lock:
            cache = self._caches.get(store)
            if cache is None:
                cache = self._caches[store] = Recent(self.size)
            return cache
