"""The PNG renderer of report packs (reports/export.py): real Chromium, real fonts, no mock of the browser.

Images are decoded with Pillow and looked at: their pixel sizes, a pixel's colour, and whether two Chinese strings
come out as different glyphs (with no CJK font both would be the same row of boxes).
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator

import plotly.graph_objects as go
import pytest
from PIL import Image

from qtm import PROJECT_ROOT
from qtm.errors import QtmError
from reports import export
from reports.export import (
    INSTALL_CHROMIUM,
    INSTALL_CJK_FONT,
    INSTALL_FONTCONFIG,
    ExportUnavailable,
    ImageJob,
    PngExporter,
    export_problem,
)

COLOURS = [(200, 30, 30), (30, 160, 40), (30, 60, 200), (220, 180, 20), (150, 40, 170), (20, 170, 170)]


@pytest.fixture(scope="module")
def exporter() -> Iterator[PngExporter]:
    """An exporter of the tests' own (its own Chromium), stopped at the end."""
    own = PngExporter()
    yield own
    own.close()


def decode(png: bytes) -> Image.Image:
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return Image.open(io.BytesIO(png)).convert("RGB")


def plain(colour: tuple[int, int, int], title: str = "") -> go.Figure:
    """A figure whose whole background is ``colour``."""
    rgb = f"rgb{colour}"
    return go.Figure(go.Scatter(x=[1, 2], y=[1, 2])).update_layout(
        title=title, paper_bgcolor=rgb, plot_bgcolor=rgb
    )


def text_only(text: str) -> go.Figure:
    """A white figure whose only ink is ``text``, large, in the middle."""
    figure = go.Figure()
    figure.add_annotation(
        text=text,
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
        showarrow=False,
        font={"size": 96, "color": "black"},
    )
    return figure.update_layout(
        xaxis={"visible": False},
        yaxis={"visible": False},
        paper_bgcolor="white",
        plot_bgcolor="white",
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
    )


def check(png: bytes, width: int, height: int, colour: tuple[int, int, int]) -> None:
    image = decode(png)
    assert image.size == (width, height)
    assert image.getpixel((3, 3)) == colour


@pytest.mark.browser
def test_pngs_gives_the_images_in_job_order_at_their_pixel_sizes(exporter):
    sizes = [(300, 200, 1), (320, 180, 2), (240, 240, 1.5), (410, 150, 1), (200, 300, 3), (500, 260, 0.5)]
    jobs: list[ImageJob | tuple[go.Figure, int, int, float]] = [
        ImageJob(plain(colour), w, h, s) for colour, (w, h, s) in zip(COLOURS, sizes, strict=True)
    ]
    jobs[1] = tuple(jobs[1])  # a plain tuple is a job too
    images = exporter.pngs(jobs)
    assert len(images) == len(jobs)
    for png, colour, (w, h, s) in zip(images, COLOURS, sizes, strict=True):
        check(png, round(w * s), round(h * s), colour)


@pytest.mark.browser
def test_png_keeps_its_signature(exporter):
    png = exporter.png(plain(COLOURS[0]), width=330, height=210, scale=2)
    check(png, 660, 420, COLOURS[0])


def test_no_jobs_no_images_and_no_browser():
    idle = PngExporter()
    assert idle.pngs([]) == []
    assert idle._renderer is None


@pytest.mark.browser
def test_threads_exporting_at_once_each_get_their_own_images(exporter):
    """Six threads, each with a figure of its own colour, title and size, draw at the same moment, by ``png`` and
    by ``pngs``: every image is the caller's own."""
    barrier = threading.Barrier(len(COLOURS))
    results: dict[int, list[bytes]] = {}
    failures: list[BaseException] = []

    def draw(index: int) -> None:
        figure, size = plain(COLOURS[index], f"线程 {index}"), (300 + 20 * index, 200 + 10 * index)
        try:
            barrier.wait(timeout=30)
            mine = [exporter.png(figure, width=size[0], height=size[1], scale=1) for _ in range(3)]
            mine += exporter.pngs([(figure, *size, 1), (figure, *size, 1)])
            results[index] = mine
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=draw, args=(i,)) for i in range(len(COLOURS))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not failures, failures
    for index, images in results.items():
        assert len(images) == 5
        for png in images:
            check(png, 300 + 20 * index, 200 + 10 * index, COLOURS[index])
    assert sorted(results) == list(range(len(COLOURS)))


@pytest.mark.browser
def test_tabs_reloaded_between_images_still_give_each_job_its_image(monkeypatch):
    """A tab's page is reloaded every RELOAD_EVERY images only; here every second image, on one tab."""
    monkeypatch.setattr(export, "RELOAD_EVERY", 2)
    own = PngExporter(tabs=1)
    try:
        sizes = [(200 + 10 * i, 100, 1) for i in range(len(COLOURS))]
        images = own.pngs([(plain(c), *size) for c, size in zip(COLOURS, sizes, strict=True)])
        for png, colour, (w, h, _) in zip(images, COLOURS, sizes, strict=True):
            check(png, w, h, colour)
    finally:
        own.close()


@pytest.mark.browser
def test_a_browser_that_died_is_replaced():
    """Chromium killed under the exporter (as the OOM killer would): the next image comes from a new one."""
    own = PngExporter(tabs=1)
    try:
        check(own.png(plain(COLOURS[0]), width=200, height=100, scale=1), 200, 100, COLOURS[0])
        wrapper = own._renderer._kaleido.subprocess  # type: ignore[union-attr]
        children = subprocess.run(["pgrep", "-P", str(wrapper.pid)], capture_output=True, text=True).stdout
        for pid in children.split():  # the Chromium this test started
            os.kill(int(pid), signal.SIGKILL)
        wrapper.wait(timeout=30)
        check(own.png(plain(COLOURS[1]), width=210, height=100, scale=1), 210, 100, COLOURS[1])
    finally:
        own.close()


@pytest.mark.browser
def test_chinese_text_is_drawn_in_real_glyphs_not_boxes(exporter):
    """Two different Chinese strings of the same length: as boxes (no CJK font) both images would be the same."""
    jobs = [(text_only(text), 600, 200, 1) for text in ("质量合格", "服务满意", "质量合格", "")]
    quality, service, quality_again, blank = (decode(png) for png in exporter.pngs(jobs))
    assert quality.tobytes() == quality_again.tobytes(), "the same text must draw the same image"
    assert quality.tobytes() != blank.tobytes(), "the text was not drawn at all"
    assert quality.tobytes() != service.tobytes(), (
        "different Chinese text drew the same image: boxes, no CJK font"
    )


# ---- the machine check ------------------------------------------------------------------------------------------


def which_in(*names: str) -> Callable[[str], str | None]:
    return lambda name: f"/usr/bin/{name}" if name in names else None


def files(*paths: str) -> Callable[[str], bool]:
    return lambda path: path in paths


WQY = "WenQuanYi Micro Hei,文泉驛微米黑\n"


@pytest.mark.parametrize(
    ("environ", "which", "is_file", "fonts", "problem"),
    [
        ({}, which_in("chromium", "fc-list"), files(), WQY, None),
        ({}, which_in("fc-list"), files("/usr/bin/chromium"), WQY, None),  # not on PATH, where Debian puts it
        ({"BROWSER_PATH": "/opt/chrome"}, which_in(), files("/opt/chrome"), WQY, None),
        ({}, which_in("fc-list"), files(), WQY, INSTALL_CHROMIUM),
        ({}, which_in("chromium"), files(), "", INSTALL_CJK_FONT),
        ({}, which_in("chromium"), files(), "\n", INSTALL_CJK_FONT),
        ({}, which_in("chromium"), files(), None, INSTALL_FONTCONFIG),  # None: fc-list itself is missing
    ],
)
def test_what_is_missing_is_named_with_what_to_install(environ, which, is_file, fonts, problem):
    assert export_problem(environ, which, is_file, lambda: fonts) == problem


def test_a_browser_path_that_is_not_there_is_named():
    """choreographer takes $BROWSER_PATH as given, even when nothing is there: so does the check."""
    problem = export_problem({"BROWSER_PATH": "/nope/chrome"}, which_in("chromium"), files(), lambda: WQY)
    assert (
        problem is not None
        and problem.startswith(INSTALL_CHROMIUM)
        and "BROWSER_PATH=/nope/chrome" in problem
    )


def test_every_message_is_one_line_saying_what_to_install():
    for message in (INSTALL_CHROMIUM, INSTALL_CJK_FONT, INSTALL_FONTCONFIG):
        assert "\n" not in message and "apt-get install " in message
    assert issubclass(ExportUnavailable, QtmError)  # the CLI prints it as one line and exits 1


def test_this_machine_has_what_export_needs():
    assert export_problem() is None, "install what the message says (scripts/system-deps.sh does it)"


_TRY_EXPORT = """
import plotly.graph_objects as go
from reports.export import ExportUnavailable, exporter
try:
    exporter.png(go.Figure())
except ExportUnavailable as exc:
    print(exc)
"""


def try_export(tmp_path, **env: str) -> str:
    """What a fresh process reports when it exports under ``env`` (the check runs before any browser starts)."""
    done = subprocess.run(
        [sys.executable, "-c", _TRY_EXPORT],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        cwd=PROJECT_ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_process_without_chromium_is_told_to_install_it(tmp_path):
    message = try_export(tmp_path, BROWSER_PATH=str(tmp_path / "no-chromium"))
    assert message.startswith(INSTALL_CHROMIUM) and len(message.splitlines()) == 1


def test_a_process_without_a_cjk_font_is_told_to_install_one(tmp_path):
    """fontconfig given a configuration with no fonts at all: what a machine without fonts-wqy-microhei sees."""
    empty = tmp_path / "fonts.conf"
    empty.write_text('<?xml version="1.0"?>\n<fontconfig></fontconfig>\n')
    assert try_export(tmp_path, FONTCONFIG_FILE=str(empty)) == INSTALL_CJK_FONT
