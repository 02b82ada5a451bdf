"""What a page needs from the running app: the registry and the store, set by the factory."""

from __future__ import annotations

from typing import cast

from flask import current_app

from qtm.registry import Registry
from qtm.store import Store


def registry() -> Registry:
    return cast(Registry, current_app.config["QTM_REGISTRY"])


def store() -> Store:
    return cast(Store, current_app.config["QTM_STORE"])
