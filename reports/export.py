"""Report-ready PNGs of the dashboard's charts, offline: kaleido drives the system Chromium.

    exporter.png(figure, width=1000, height=560, scale=2) -> bytes        one image
    exporter.pngs([ImageJob(figure, 1000, 560, 2), ...]) -> list[bytes]  many, in the order of the jobs

A job is an ``ImageJob`` or a plain ``(figure, width, height, scale)`` tuple (ImageJob is a NamedTuple).

One Chromium per exporter, started on first use and kept: a cold start costs 2-3 s, a warm image about 0.05-0.1 s.
It runs in a private asyncio loop on a daemon thread, with ``tabs`` tabs sharing the work; every caller's images
come back through its own future, so threads may call ``png``/``pngs`` at once and each gets its own images.
kaleido's shared sync server is not used: it hands results back through one queue and mixes up concurrent
callers' images. MathJax is off: kaleido would fetch it from a CDN, which stalls offline.

kaleido reloads a tab's page (4 MB of plotly.js, parsed anew) after every image, which is over half the time of an
image. ``Plotly.toImage`` draws each figure in a fresh element that it purges afterwards, so the page keeps no state
between images: a tab is reloaded every ``RELOAD_EVERY`` images only, to bound any slow leak in the page.

Before the first start the machine is checked once (``ensure_export_available``): without Chromium or without a CJK
font (every Chinese glyph would be a box) it raises ``ExportUnavailable``, whose message is one line naming what to
install (a QtmError: the CLI prints it as one line and exits 1).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import shutil
import subprocess
import threading
from collections import Counter
from collections.abc import Callable, Coroutine, Mapping, Sequence
from functools import cache
from typing import Any, NamedTuple, TypeVar

import plotly.graph_objects as go

from qtm.errors import QtmError

DEFAULT_WIDTH, DEFAULT_HEIGHT, DEFAULT_SCALE = 1000, 560, 2
#: Tabs rendering side by side. Two measured fastest on a 2-CPU machine (one tab: 1.5-2x the time per image).
DEFAULT_TABS = 2
RELOAD_EVERY = 100
RENDER_TIMEOUT = 90  # seconds for one image

INSTALL_CHROMIUM = "PNG export needs Chromium: apt-get install chromium"
INSTALL_CJK_FONT = "PNG export needs a CJK font for Chinese text: apt-get install fonts-wqy-microhei"
INSTALL_FONTCONFIG = (
    "PNG export needs fc-list to find a CJK font: apt-get install fontconfig fonts-wqy-microhei"
)

#: Where choreographer (kaleido's browser driver) finds a system Chromium: $BROWSER_PATH, then these names on
#: PATH, then these paths. The browser found is the one started, so the check and the start agree.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")

T = TypeVar("T")


class ExportUnavailable(QtmError):
    """PNG export cannot run on this machine; the message is one line saying what to install (a QtmError: the
    CLI prints it as ``qtm: error: …`` and exits 1)."""


class ImageJob(NamedTuple):
    """One image to draw: a plain ``(figure, width, height, scale)`` tuple is one too."""

    figure: go.Figure
    width: int = DEFAULT_WIDTH
    height: int = DEFAULT_HEIGHT
    scale: float = DEFAULT_SCALE


# ---- is the machine able to export? ---------------------------------------------------------------------------


def cjk_font_list() -> str | None:
    """The CJK fonts fontconfig knows (``fc-list :lang=zh``); None when fc-list itself is missing."""
    if shutil.which("fc-list") is None:
        return None
    listed = subprocess.run(
        ["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=30, check=False
    )
    return listed.stdout


def find_chromium(
    environ: Mapping[str, str], which: Callable[[str], str | None], is_file: Callable[[str], bool]
) -> str | None:
    """The browser choreographer would start: $BROWSER_PATH when set (even a wrong one), else the first found."""
    if "BROWSER_PATH" in environ:
        return environ["BROWSER_PATH"] if is_file(environ["BROWSER_PATH"]) else None
    found = (which(name) for name in CHROMIUM_NAMES)
    return next((path for path in found if path), None) or next(
        (path for path in CHROMIUM_PATHS if is_file(path)), None
    )


def export_problem(
    environ: Mapping[str, str] = os.environ,
    which: Callable[[str], str | None] = shutil.which,
    is_file: Callable[[str], bool] = os.path.isfile,
    cjk_fonts: Callable[[], str | None] = cjk_font_list,
) -> str | None:
    """What is missing for PNG export, as one line saying what to install; None when nothing is."""
    if find_chromium(environ, which, is_file) is None:
        wrong = environ.get("BROWSER_PATH")
        return (
            f"{INSTALL_CHROMIUM} (or unset BROWSER_PATH={wrong}: no such file)" if wrong else INSTALL_CHROMIUM
        )
    fonts = cjk_fonts()
    if fonts is None:
        return INSTALL_FONTCONFIG
    return None if fonts.strip() else INSTALL_CJK_FONT


@cache
def _problem_on_this_machine() -> str | None:
    return export_problem()


def ensure_export_available() -> None:
    """Raise ExportUnavailable when Chromium or a CJK font is missing (the machine is looked at once a process)."""
    problem = _problem_on_this_machine()
    if problem is not None:
        raise ExportUnavailable(problem)


# ---- the renderer ---------------------------------------------------------------------------------------------


def _kaleido_class() -> type:
    import kaleido

    class TabReusingKaleido(kaleido.Kaleido):
        """kaleido.Kaleido that reloads a tab every RELOAD_EVERY images instead of after each one."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._images_drawn: Counter[int] = Counter()

        async def _return_kaleido_tab(self, tab: Any) -> None:
            self._images_drawn[id(tab)] += 1
            if self._images_drawn[id(tab)] % RELOAD_EVERY == 0:
                await tab.reload()
            await self.tabs_ready.put(tab)

    return TabReusingKaleido


def _spec(job: ImageJob) -> tuple[dict[str, Any], dict[str, Any]]:
    """(figure as a dict at the job's size, kaleido's options) — built in the caller's thread, not the loop's."""
    figure = job.figure.to_dict()
    figure["layout"] = {**figure.get("layout", {}), "width": job.width, "height": job.height}
    return figure, {"format": "png", "width": job.width, "height": job.height, "scale": job.scale}


class _Renderer:
    """One Chromium with ``tabs`` tabs, driven by an asyncio loop that runs on a daemon thread of its own."""

    def __init__(self, chromium: str, tabs: int) -> None:
        self.pid = os.getpid()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="png-renderer", daemon=True)
        self._thread.start()
        try:
            self._kaleido = self._run(self._open(chromium, tabs))
        except BaseException:
            self._stop_loop()
            raise

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    async def _open(self, chromium: str, tabs: int) -> Any:
        opened = _kaleido_class()(n=tabs, mathjax=False, path=chromium, timeout=RENDER_TIMEOUT)
        await opened.open()
        return opened

    async def _draw(self, specs: list[tuple[dict[str, Any], dict[str, Any]]]) -> list[bytes]:
        drawn = await asyncio.gather(*(self._kaleido.calc_fig(figure, opts=opts) for figure, opts in specs))
        return [bytes(image) for image in drawn]

    def draw(self, jobs: Sequence[ImageJob]) -> list[bytes]:
        return self._run(self._draw([_spec(job) for job in jobs]))

    def alive(self) -> bool:
        """Whether the loop runs and the browser's process has not exited."""
        process = getattr(self._kaleido, "subprocess", None)
        return self._thread.is_alive() and (process is None or process.poll() is None)

    def close(self) -> None:
        try:
            self._run(self._kaleido.close())
        finally:
            self._stop_loop()

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)


class PngExporter:
    """Turns figures into PNG bytes through one Chromium of its own, started on first use and kept."""

    def __init__(self, tabs: int = DEFAULT_TABS) -> None:
        self.tabs = tabs
        self._lock = threading.Lock()  # guards starting and stopping only; drawing runs concurrently
        self._renderer: _Renderer | None = None
        atexit.register(self.close)

    def png(
        self,
        figure: go.Figure,
        *,
        width: int = DEFAULT_WIDTH,
        height: int = DEFAULT_HEIGHT,
        scale: float = DEFAULT_SCALE,
    ) -> bytes:
        """One figure as a PNG of width×scale by height×scale pixels."""
        return self.pngs([ImageJob(figure, width, height, scale)])[0]

    def pngs(self, jobs: Sequence[ImageJob | tuple[go.Figure, int, int, float]]) -> list[bytes]:
        """Many figures at once, drawn side by side in the tabs; the images come back in the order of the jobs."""
        if not jobs:
            return []
        chosen = [ImageJob(*job) for job in jobs]
        renderer = self._started()
        try:
            return renderer.draw(chosen)
        except Exception:
            if renderer.alive():
                raise  # the browser is fine: the figure was at fault
            self._discard(renderer)
            return self._started().draw(chosen)  # Chromium died (crash, OOM killer): once more on a new one

    def _started(self) -> _Renderer:
        with self._lock:
            if self._renderer is None or self._renderer.pid != os.getpid():  # a forked child starts its own
                self._renderer = self._start()
            return self._renderer

    def _start(self) -> _Renderer:
        from kaleido.errors import ChromeNotFoundError

        ensure_export_available()
        chromium = find_chromium(os.environ, shutil.which, os.path.isfile)
        try:
            renderer = _Renderer(str(chromium), self.tabs)
        except ChromeNotFoundError:
            raise ExportUnavailable(INSTALL_CHROMIUM) from None
        return renderer

    def _discard(self, renderer: _Renderer) -> None:
        with self._lock:
            if self._renderer is renderer:
                self._renderer = None
        with contextlib.suppress(Exception):
            renderer.close()

    def close(self) -> None:
        """Stop the browser (the next image starts a new one)."""
        with self._lock:
            renderer, self._renderer = self._renderer, None
        if renderer is not None and renderer.pid == os.getpid():
            renderer.close()


#: The process's exporter: one browser for every chart the process draws.
exporter = PngExporter()
