"""What a forked child must not inherit as it is.

A background job on one machine runs in a process forked from a busy web worker (dashboard.jobs): at the moment of
the fork another thread may hold a lock, and the database connections belong to the parent. Objects that keep such
state register here how to renew it; every child forked afterwards renews it before it runs anything else.

Some locks cannot be renewed: SQLite's own mutexes, taken inside its C code. A child forked while another thread
was opening or reading a database hangs the first time it opens one (seen: an upload's check forked while the
warmer read the store). Work that runs beside requests on its own — the warmer — does its database work
:func:`unforked`, and every fork waits until no such work is under way.
"""

from __future__ import annotations

import contextlib
import os
import threading
import weakref
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

_renewals: list[tuple[weakref.ref[Any], Callable[[Any], None]]] = []
_lock = threading.Lock()
_quiet = threading.RLock()  # held by work that a fork must not cut in two


@contextlib.contextmanager
def unforked() -> Iterator[None]:
    """No process is forked from this one while the block runs (a fork waits for it to end)."""
    with _quiet:
        yield


def renew_in_child(owner: T, renew: Callable[[T], None]) -> None:
    """Call ``renew(owner)`` in every process forked from this one after now, for as long as ``owner`` lives."""
    with _lock:
        _renewals[:] = [(ref, then) for ref, then in _renewals if ref() is not None]
        _renewals.append((weakref.ref(owner), renew))


def _before_fork() -> None:
    _quiet.acquire()


def _after_fork_in_parent() -> None:
    _quiet.release()


def _renew_all() -> None:
    global _lock, _quiet
    _lock = threading.Lock()  # the parent's may have been held by another thread at the fork
    _quiet = threading.RLock()
    for ref, renew in list(_renewals):
        owner = ref()
        if owner is not None:
            renew(owner)


os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_in_parent, after_in_child=_renew_all)
