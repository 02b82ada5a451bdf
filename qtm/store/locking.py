"""Writing to the store one writer at a time, and trying again when another writer got in the way.

Every write that reads what it is about to change (a batch superseding current values, a withdrawal restoring
earlier ones, an account change that must keep an admin) runs in :func:`writing`: a transaction that first takes
the database's write lock, so that what it read still holds when it writes. Writers then wait for one another
instead of failing. What still collides (SQLite's lock after its busy timeout, a PostgreSQL deadlock, two uploads of
the same keys) is run again on the new state by :func:`retrying`, a few times.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import Engine, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from qtm.errors import StoreError

#: How many times :func:`retrying` runs an operation before it gives up.
ATTEMPTS = 4
#: PostgreSQL: the advisory lock every write in :func:`writing` holds for its transaction (an arbitrary key).
WRITE_LOCK_KEY = 0x51_54_4D_01

_T = TypeVar("_T")


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A transaction holding the database's write lock, taken before anything is read: ``with writing(engine) as
    connection: …`` commits when the block ends, rolls back if it raises. Writers take turns; readers are not held
    up. (:meth:`qtm.store.Store.writing` is the same for a store.)"""
    with engine.begin() as connection:
        take_lock(connection, WRITE_LOCK_KEY)
        yield connection


def take_lock(connection: Connection, key: int) -> None:
    """Take a lock held to the end of ``connection``'s transaction, waiting for whoever holds it.

    On SQLite, ``BEGIN IMMEDIATE``: the database's write lock at once (waiting up to the busy timeout), where the
    driver's own ``BEGIN`` would come only at the first write, after the reads (``key`` is not used: SQLite has one
    lock). On PostgreSQL, the advisory lock ``key``."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    elif connection.dialect.name == "postgresql":
        connection.execute(select(func.pg_advisory_xact_lock(key)))


def retrying(operation: Callable[[], _T], *, gave_up: str, also_on: tuple[type[Exception], ...] = ()) -> _T:
    """``operation()``, run again (up to :data:`ATTEMPTS` times in all, a little later each time) when another writer
    got in the way: the database refused for contention (:func:`is_contention`), or it raised one of ``also_on``.
    When it never goes through, :class:`StoreError` with the words ``gave_up``. Other errors pass at once."""
    retried: tuple[type[Exception], ...] = (OperationalError, *also_on)
    for attempt in range(ATTEMPTS):
        try:
            return operation()
        except retried as exc:
            if isinstance(exc, OperationalError) and not isinstance(exc, also_on) and not is_contention(exc):
                raise
            if attempt == ATTEMPTS - 1:
                raise StoreError(gave_up) from exc
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def is_contention(exc: OperationalError) -> bool:
    """Whether the database refused for another writer (SQLite's lock, a PostgreSQL deadlock): worth a retry."""
    text = str(exc.orig).lower()
    return "locked" in text or "deadlock" in text
