"""Judgements computed once per data version: the first request after a commit computes what a page needs, every
later one — in this process, and in every other worker when Redis is configured — reads it.

A key always holds the data version (the newest batch id and the number of batches, see ``Store.version``), so an
entry never goes stale: a commit makes new keys, and old ones age out (least recently used here, a time to live in
Redis). Redis is an accelerator, never the truth: when it is unset or unreachable, this process computes and keeps
its own copy, and the pages answer as before.
"""

from __future__ import annotations

import logging
import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from qtm import forking

T = TypeVar("T")
_LOCAL_ENTRIES = 4096  # every page the warmer builds (dashboard.warming) takes ~1100 on the demo data
_REDIS_TTL_SECONDS = 24 * 3600
_REDIS_RETRY_SECONDS = 30.0  # after a failure, how long to leave Redis alone
_log = logging.getLogger(__name__)
_MISSING = object()


class ResultsCache:
    """In-process LRU in front of an optional Redis shared by every worker."""

    def __init__(self, redis_url: str | None = None) -> None:
        self._local: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._flights: dict[Hashable, threading.Lock] = {}
        self._redis_url = redis_url
        self._redis: Any = None
        self._redis_down_until = 0.0
        forking.renew_in_child(self, ResultsCache._renew)

    def _renew(self) -> None:
        """In a forked job: locks as new (another thread may have held one at the fork), nothing under way."""
        self._lock, self._flights = threading.Lock(), {}

    def get_or_compute(self, key: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
        """The value for ``key``: kept here, else shared in Redis, else computed — by one thread at a time per key
        (the others wait for it: after a commit, every open page asks at once)."""
        found = self._kept(key)
        if found is not _MISSING:
            return found  # type: ignore[return-value]
        with self._lock:
            flight = self._flights.setdefault(key, threading.Lock())
        with flight:
            found = self._kept(key)
            if found is not _MISSING:
                return found  # type: ignore[return-value]
            shared = self._redis_get(key)
            value: T = shared if shared is not None else compute()
            if shared is None:
                self._redis_set(key, value)
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

    # ---- Redis, best effort --------------------------------------------------------------------------------

    def _client(self) -> Any:
        import time

        if self._redis_url is None or time.monotonic() < self._redis_down_until:
            return None
        if self._redis is None:
            import redis

            self._redis = redis.Redis.from_url(
                self._redis_url, socket_timeout=0.5, socket_connect_timeout=0.5
            )
        return self._redis

    def _redis_get(self, key: tuple[Hashable, ...]) -> Any:
        client = self._client()
        if client is None:
            return None
        try:
            data = client.get(_redis_key(key))
        except Exception as exc:
            self._down(exc)
            return None
        return None if data is None else pickle.loads(data)

    def _redis_set(self, key: tuple[Hashable, ...], value: object) -> None:
        client = self._client()
        if client is None:
            return
        try:
            client.set(
                _redis_key(key), pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL), ex=_REDIS_TTL_SECONDS
            )
        except Exception as exc:
            self._down(exc)

    def _down(self, exc: Exception) -> None:
        import time

        _log.warning("qtm: Redis unavailable (%s); computing in this process", exc)
        self._redis_down_until = time.monotonic() + _REDIS_RETRY_SECONDS


def _redis_key(key: tuple[Hashable, ...]) -> str:
    return "qtm:results:" + repr(key)


_shared: ResultsCache | None = None


def shared() -> ResultsCache:
    """The process's cache, Redis-backed when QTM_REDIS_URL is set (qtm.config)."""
    from qtm import config

    global _shared
    if _shared is None:
        _shared = ResultsCache(config.current().redis_url or None)
    return _shared
