"""Pages and judgements ready before anyone asks: each worker builds them when it starts and again after every
commit made anywhere, so that the officials who open the dashboard together in the morning, or the moment after
an upload, are served from the caches (qtm.results_cache, the overview's built pages) instead of all waiting for
the first of them to compute.

A worker's warmer is a thread that watches the live data version (qtm.signals: Redis when configured, else the
database, once a second — and at once when this process commits) and, whenever it moved, renders what a visitor
would open: every region's page, every target's page and the overview in both languages. ``QTM_WARM=0`` turns it
off (the bench measures the difference side by side).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import dash
from dash import Dash
from sqlalchemy import event

from dashboard import i18n, plotly_bundle
from qtm import forking
from qtm.signals import LiveVersion

_log = logging.getLogger(__name__)
#: Seconds between two looks at the data version.
WATCH_SECONDS = 1.0


class Warmer:
    """Warms ``app``'s pages when started and whenever the data version moves."""

    def __init__(self, app: Dash, every: float = WATCH_SECONDS) -> None:
        self.app = app
        self.server = app.server
        self.every = every
        self.store = self.server.config["QTM_STORE"]
        self.live = LiveVersion.from_env(self.store)
        self.warmed: int | None = None  # the data version last warmed
        self.changed = threading.Condition()
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="qtm-warmer", daemon=True)

    def start(self) -> Warmer:
        """Dash's one-time setup now, before this worker serves anyone (done by a first request otherwise, which
        others arriving with it would not wait for); the pages in the thread."""
        with self.server.app_context():
            self.server.test_client().get("/_dash-dependencies")
        event.listen(self.store.engine, "commit", self._committed)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._wake.set()
        self._thread.join(timeout=60)
        event.remove(self.store.engine, "commit", self._committed)

    def wait_for(self, version: int, timeout: float) -> bool:
        """Whether the pages of data version ``version`` (or a later one) were warmed within ``timeout`` s."""
        with self.changed:
            return self.changed.wait_for(lambda: self.warmed is not None and self.warmed >= version, timeout)

    def _committed(self, _connection: object) -> None:
        self._wake.set()  # this process committed: look at the version now rather than within a second

    def _run(self) -> None:
        for encoding in ("br", "gzip"):  # plotly.js compressed before the first browser asks for it
            plotly_bundle.encoded(encoding)
        while not self._stopped.is_set():
            try:
                with forking.unforked():
                    version = self.live.latest()
                if version != self.warmed:
                    self._warm_version(version)
            except Exception:  # a warmer that fails leaves the pages to compute on demand, as without it
                _log.exception("qtm: warming the pages failed; they are computed when asked")
            self._wake.wait(self.every)
            self._wake.clear()

    def _warm_version(self, version: int) -> None:
        started = time.monotonic()
        pages = self.warm()
        print(
            f"qtm: worker {os.getpid()} warmed {pages} pages of data version {version} "
            f"in {time.monotonic() - started:.1f} s",
            file=sys.stderr,
            flush=True,
        )
        with self.changed:
            self.warmed = version
            self.changed.notify_all()

    def warm(self) -> int:
        """Render every page a visitor may open first, as a visitor's request would; how many."""
        pages = 0
        for lang, path, layout, kwargs in self._pages():
            if self._stopped.is_set():
                break
            # a page at a time, no fork meanwhile (qtm.forking: a child must not inherit SQLite's locks held)
            with (
                forking.unforked(),
                self.server.test_request_context(path, headers={"Cookie": f"{i18n.COOKIE}={lang}"}),
            ):
                layout(**kwargs)
            pages += 1
        return pages

    def _pages(self) -> Iterator[tuple[str, str, Callable[..., Any], dict[str, str]]]:
        """(language, path, layout, its arguments) of every region's and every target's page in Chinese (their
        judgements are the same in either language), then the overview in both languages: the most visited last,
        the most recently used in the caches."""
        registry = self.server.config["QTM_REGISTRY"]
        layouts = {
            page["path_template"] or page["path"]: page["layout"] for page in dash.page_registry.values()
        }
        for region in registry.regions:
            yield "zh", f"/region/{region.code}", layouts["/region/<code>"], {"code": region.code}
        for target_id in registry.targets:
            yield "zh", f"/target/{target_id}", layouts["/target/<target_id>"], {"target_id": target_id}
        for lang in ("en", "zh"):
            yield lang, "/", layouts["/"], {}
