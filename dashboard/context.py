"""What a page needs from the running app: the registry and the store, set by the factory."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar, cast

from flask import current_app

from qtm import forking
from qtm.registry import Registry
from qtm.store import Store

T = TypeVar("T")


class Built:
    """Pages built once and served to every visitor who asks for the same thing on the same data (the key says
    what: the data version, the language, the filters); the least recently used are dropped. One thread builds a
    page while the others asking for it wait (after a commit, every open page may ask at once). Components are
    only read once built, so threads may share them."""

    def __init__(self, kept: int = 64) -> None:
        self._built: OrderedDict[Hashable, Any] = OrderedDict()
        self._kept = kept
        self._lock = threading.Lock()
        self._flights: dict[Hashable, threading.Lock] = {}
        forking.renew_in_child(self, Built._renew)

    def _renew(self) -> None:
        """In a forked job: locks as new (another thread may have held one at the fork), no builds under way."""
        self._lock, self._flights = threading.Lock(), {}

    def get(self, key: Hashable, build: Callable[[], T]) -> T:
        with self._lock:
            if key in self._built:
                self._built.move_to_end(key)
                return self._built[key]
            flight = self._flights.setdefault(key, threading.Lock())
        with flight:
            with self._lock:
                if key in self._built:
                    return self._built[key]
            try:
                built = build()
                self._keep(key, built)
            finally:
                with self._lock:
                    self._flights.pop(key, None)
        return built

    def _keep(self, key: Hashable, built: object) -> None:
        with self._lock:
            self._built[key] = built
            while len(self._built) > self._kept:
                self._built.popitem(last=False)


def registry() -> Registry:
    return cast(Registry, current_app.config["QTM_REGISTRY"])


def store() -> Store:
    return cast(Store, current_app.config["QTM_STORE"])
