"""The live-update signal: the data version (the newest batch id, :meth:`Store.data_version`) that every open
dashboard polls, shared by the workers of one or several servers.

Without ``QTM_REDIS_URL`` each poll asks the database. With it, the version is kept in Redis, under a key named after
the database, so that the database is asked about once a second whatever the number of open pages and workers:

- the process that stores or withdraws a batch publishes the new version at once (:meth:`LiveVersion.publish`):
  every worker's next poll sees it;
- the key lives :data:`REFRESH_SECONDS`; the first poll after that reads the database and sets it again, so a commit
  made where nothing publishes (``qtm ingest`` on the command line, a server without Redis) shows within that too;
- a version is only ever replaced by a larger one (a Lua script, atomic in Redis), so that two workers publishing
  at the same moment cannot leave the older one behind.

The database is the truth: when Redis is unset, not installed, down or answers nonsense, :meth:`LiveVersion.latest`
asks the database, and tries Redis again :data:`RETRY_SECONDS` later — live updates resume by themselves when Redis
is back.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from typing import Any

from qtm.config import current as settings
from qtm.store import Store

log = logging.getLogger(__name__)

#: How long a version kept in Redis is trusted before the database is read again.
REFRESH_SECONDS = 1.0
#: After Redis failed, how long the database alone answers before Redis is tried again.
RETRY_SECONDS = 5.0
#: How long one Redis call may take (connecting included) before the database answers instead.
REDIS_TIMEOUT_SECONDS = 0.25

#: Set KEYS[1] to ARGV[1] (for ARGV[2] ms) when it is absent or smaller: a version never goes back because two
#: publishers raced.
_SET_IF_NEWER = """
local current = redis.call('GET', KEYS[1])
if (not current) or (tonumber(current) == nil) or (tonumber(ARGV[1]) > tonumber(current)) then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""


def key_for(store: Store) -> str:
    """The Redis key of one database's version: two qtm deployments may share a Redis."""
    url = store.engine.url.render_as_string(hide_password=True)
    return "qtm:data-version:" + hashlib.sha256(url.encode()).hexdigest()[:16]


class LiveVersion:
    """The data version of ``store``, through Redis at ``redis_url`` when given (see the module's text)."""

    def __init__(self, store: Store, redis_url: str | None = None) -> None:
        self.store = store
        self.key = key_for(store)
        self._client: Any = None
        self._script: Any = None
        self._down_until = 0.0
        self._healthy = True
        self._lock = threading.Lock()
        if redis_url:
            self._client, self._script = _connect(redis_url)

    @classmethod
    def from_env(cls, store: Store) -> LiveVersion:
        """Through Redis when QTM_REDIS_URL is set (the URL the login throttling uses too)."""
        return cls(store, settings().redis_url)

    @property
    def shared(self) -> bool:
        """Whether Redis is configured (not whether it answers right now)."""
        return self._client is not None

    def latest(self) -> int:
        """The data version: Redis's while it is fresh there, else the database's (which is then kept in Redis)."""
        if not self._redis_usable():
            return self.store.data_version()
        try:
            raw = self._client.get(self.key)
            if raw is not None:
                version = int(raw)
                self._answered()
                return version
        except (
            Exception
        ) as exc:  # redis.RedisError, OSError, a value that is not a number: the database answers
            self._failed(exc)
            return self.store.data_version()
        version = self.store.data_version()
        self._set(version)
        return version

    def publish(self, version: int | None = None) -> None:
        """Tell every worker that the data changed: ``version`` (by default the database's, read now) becomes the
        one their next poll sees. Without Redis, or when it is down, nothing to do: they read the database."""
        if not self._redis_usable():
            return
        self._set(self.store.data_version() if version is None else version)

    def _set(self, version: int) -> None:
        try:
            self._script(keys=[self.key], args=[int(version), int(REFRESH_SECONDS * 1000)])
        except Exception as exc:
            self._failed(exc)
        else:
            self._answered()

    def _redis_usable(self) -> bool:
        return self._client is not None and time.monotonic() >= self._down_until

    def _failed(self, exc: Exception) -> None:
        """Redis did not answer: the database answers alone for RETRY_SECONDS (said once, not at every retry)."""
        with self._lock:
            self._down_until = time.monotonic() + RETRY_SECONDS
            if self._healthy:
                self._healthy = False
                log.warning(
                    "qtm: Redis unavailable for the live data version (%s); reading the database until it answers",
                    str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
                )

    def _answered(self) -> None:
        if not self._healthy:
            with self._lock:
                if not self._healthy:
                    self._healthy = True
                    log.warning("qtm: Redis answers again; the live data version is shared through it")


def _connect(url: str) -> tuple[Any, Any]:
    """A Redis client for ``url`` and the set-if-newer script, or (None, None) when that cannot be (the database
    then answers every poll). Nothing is sent to Redis yet."""
    try:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry
    except ImportError:
        log.warning(
            "qtm: QTM_REDIS_URL is set but the redis package is not installed; live updates read the database"
        )
        return None, None
    try:
        client = redis.Redis.from_url(
            url,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            retry=Retry(NoBackoff(), 0),  # one try: the database answers at once, Redis is tried again later
        )
    except ValueError as exc:
        log.warning(
            "qtm: QTM_REDIS_URL is not a URL redis-py reads (%s); live updates read the database", exc
        )
        return None, None
    return client, client.register_script(_SET_IF_NEWER)
