"""Judgements computed once per data version: the first request after a commit — or, before it, the worker's
warmer (dashboard.warming) — computes what a page needs, and every later request in this process reads it.

A key always holds the data version (the newest batch id and the number of batches, see ``Store.version``), so an
entry never goes stale: a commit makes new keys, and old ones age out, least recently used first. Nothing is
shared through Redis: every worker warms its own copy within a second of a commit, and a cache that unpickled what
a shared server returned would run the code of anyone who can write to that server.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from qtm import forking

T = TypeVar("T")
_LOCAL_ENTRIES = 4096  # every page the warmer builds (dashboard.warming) takes ~1100 on the demo data
_MISSING = object()


class ResultsCache:
    """An in-process LRU, computed once per key however many threads ask at once (single flight)."""

    def __init__(self) -> None:
        self._local: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._flights: dict[Hashable, threading.Lock] = {}
        forking.renew_in_child(self, ResultsCache._renew)

    def _renew(self) -> None:
        """In a forked job: locks as new (another thread may have held one at the fork), nothing under way."""
        self._lock, self._flights = threading.Lock(), {}

    def get_or_compute(self, key: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
        """The value for ``key``: kept here, else computed — by one thread at a time per key (the others wait for
        it: after a commit, every open page asks at once)."""
        found = self._kept(key)
        if found is not _MISSING:
            return found  # type: ignore[return-value]
        with self._lock:
            flight = self._flights.setdefault(key, threading.Lock())
        with flight:
            found = self._kept(key)
            if found is not _MISSING:
                return found  # type: ignore[return-value]
            value = compute()
            with self._lock:
                self._local[key] = value
                while len(self._local) > _LOCAL_ENTRIES:
                    self._local.popitem(last=False)
                self._flights.pop(key, None)
        return value

    def holds(self, key: tuple[Hashable, ...]) -> bool:
        """Whether ``key``'s value is kept in this process (read without computing anything, nor touching its
        place among the least recently used)."""
        with self._lock:
            return key in self._local

    def _kept(self, key: tuple[Hashable, ...]) -> object:
        with self._lock:
            if key in self._local:
                self._local.move_to_end(key)
                return self._local[key]
        return _MISSING


_shared: ResultsCache | None = None


def shared() -> ResultsCache:
    """The process's cache."""
    global _shared
    if _shared is None:
        _shared = ResultsCache()
    return _shared
