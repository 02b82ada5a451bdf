"""What a forked child must not inherit as it is.

A background job on one machine runs in a process forked from a busy web worker (dashboard.jobs): at the moment of
the fork another thread may hold a lock, and the database connections belong to the parent. Objects that keep such
state register here how to renew it; every child forked afterwards renews it before it runs anything else.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

_renewals: list[tuple[weakref.ref[Any], Callable[[Any], None]]] = []
_lock = threading.Lock()


def renew_in_child(owner: T, renew: Callable[[T], None]) -> None:
    """Call ``renew(owner)`` in every process forked from this one after now, for as long as ``owner`` lives."""
    with _lock:
        _renewals[:] = [(ref, then) for ref, then in _renewals if ref() is not None]
        _renewals.append((weakref.ref(owner), renew))


def _renew_all() -> None:
    global _lock
    _lock = threading.Lock()  # the parent's may have been held by another thread at the fork
    for ref, renew in list(_renewals):
        owner = ref()
        if owner is not None:
            renew(owner)


os.register_at_fork(after_in_child=_renew_all)
