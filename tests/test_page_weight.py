"""A page that opens at once: the charts draw with a plotly.js of only the trace types the pages use, served at a
URL naming its content, compressed and cached for a year; and each worker has the pages' judgements ready before
the first visitor comes, and again after every commit (bench/page_open.py measures the effect)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import brotli
import pytest
import requests

from dashboard import plotly_bundle
from tests.conftest import QTM, prepared

TARGET = "/target/gansu_manufacturing_pass_rate_2025"
#: (path, a selector shown once the page's charts are drawn, how many charts at least, whether they have a toolbar)
CHART_PAGES = [
    ("/", "[data-target-id] .gauge .js-plotly-plot .main-svg", 25, False),
    (TARGET, "#trend .js-plotly-plot .main-svg", 1, True),
    ("/region/620000", ".comparison .js-plotly-plot .main-svg", 1, True),
]


def watch_network(page: Any) -> dict[str, int]:
    """The bytes each response took over the wire (DevTools' encodedDataLength), by URL, filled as they finish."""
    cdp = page.context.new_cdp_session(page)
    urls: dict[str, str] = {}
    received: dict[str, int] = {}
    cdp.on("Network.responseReceived", lambda e: urls.__setitem__(e["requestId"], e["response"]["url"]))
    cdp.on(
        "Network.loadingFinished",
        lambda e: received.__setitem__(urls.get(e["requestId"], e["requestId"]), int(e["encodedDataLength"])),
    )
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    return received


@pytest.mark.browser
def test_the_overview_draws_with_the_partial_bundle_and_never_fetches_the_full_one(page, demo_server):
    received = watch_network(page)
    page.goto(demo_server + "/")
    page.wait_for_selector(CHART_PAGES[0][1])
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-target-id] .gauge .js-plotly-plot:has(svg.main-svg)").count() == 25
    traces = page.evaluate("() => Object.keys(window.Plotly.PlotSchema.get().traces).sort()")
    assert traces == ["bar", "indicator", "scatter"]  # no pie, no heatmap, no 3-D: not in what was sent
    plotly_js = [url for url in received if "plotly" in url and "locale" not in url]
    assert plotly_js == [demo_server + plotly_bundle.url()], (
        plotly_js
    )  # dcc.Graph's own plotly.min.js not asked
    # compressed over the wire: well under half the file (brotli takes it to about 30 %)
    assert received[demo_server + plotly_bundle.url()] < plotly_bundle.BUNDLE_FILE.stat().st_size * 0.4


@pytest.mark.browser
@pytest.mark.parametrize(("path", "drawn", "at_least", "toolbar"), CHART_PAGES)
def test_every_chart_page_draws_with_it(page, demo_server, path, drawn, at_least, toolbar):
    page.goto(demo_server + path)
    page.wait_for_selector(drawn)
    charts = page.locator(".js-plotly-plot")
    assert charts.count() >= at_least
    assert page.locator(".js-plotly-plot:has(svg.main-svg g.trace)").count() == charts.count()
    if toolbar:  # the zh-CN locale (dashboard/assets) registered with this Plotly: the toolbar speaks Chinese
        titles = page.locator(".js-plotly-plot .modebar-btn").evaluate_all(
            "bs => bs.map(b => b.dataset.title)"
        )
        assert "下载图表为PNG格式" in titles, titles


@pytest.mark.browser
def test_the_upload_page_opens_with_no_error(page, demo_server):
    from tests.conftest import PASSWORD

    page.goto(demo_server + "/login?next=/upload")
    page.fill("input[name=username]", "lanzhou")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#upload")


def test_the_bundle_is_served_at_its_content_hash_compressed_and_cached_for_a_year(demo_server):
    page = requests.get(demo_server + "/", timeout=30).text
    digest = hashlib.sha256(plotly_bundle.BUNDLE_FILE.read_bytes()).hexdigest()[:16]
    src = f"/vendor/plotly-{digest}.min.js"
    assert re.search(rf'<script[^>]* src="{re.escape(src)}"', page)
    answer = requests.get(demo_server + src, headers={"Accept-Encoding": "br"}, stream=True, timeout=30)
    assert answer.status_code == 200
    assert answer.headers["Content-Encoding"] == "br"
    assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "javascript" in answer.headers["Content-Type"]
    sent = answer.raw.read()
    assert brotli.decompress(sent) == plotly_bundle.BUNDLE_FILE.read_bytes()
    assert b"Licensed under the MIT license" in brotli.decompress(sent)[:400]
    gzipped = requests.get(demo_server + src, headers={"Accept-Encoding": "gzip"}, timeout=30)
    assert gzipped.headers["Content-Encoding"] == "gzip"
    assert gzipped.content == plotly_bundle.BUNDLE_FILE.read_bytes()
    again = requests.get(demo_server + src, headers={"If-None-Match": answer.headers["ETag"]}, timeout=30)
    assert again.status_code == 304
    assert requests.get(demo_server + "/vendor/plotly-0000000000000000.min.js", timeout=30).status_code == 404


# ---- warming ---------------------------------------------------------------------------------------------


@pytest.fixture
def worker_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A worker's app as `qtm serve --workers` makes it (qtm_command.serving.wsgi_app), over the demo data."""
    from qtm.config import Settings
    from qtm.registry import load_registry
    from qtm_command.serving import wsgi_app

    env = prepared(tmp_path)
    for name in (
        "QTM_DATABASE_URL",
        "QTM_SECRET_KEY_FILE",
        "QTM_STAGING_DIR",
        "QTM_ORIGINALS_DIR",
        "QTM_JOBS_DIR",
    ):
        monkeypatch.setenv(name, env[name])
    monkeypatch.delenv("QTM_REDIS_URL", raising=False)
    server = wsgi_app(Settings(database_url=env["QTM_DATABASE_URL"]), load_registry(), "127.0.0.1")
    server.extensions["qtm_test_env"] = env
    yield server
    warmer = server.extensions["qtm_warmer"]
    if warmer is not None:
        warmer.stop()
    server.config["QTM_STORE"].engine.dispose()


def overview_key(server: Any) -> tuple[Any, ...]:
    """The results-cache key of the overview's judgements on the data as they are now (qtm.standings.overview)."""
    from qtm.standings import Filters

    registry, store = server.config["QTM_REGISTRY"], server.config["QTM_STORE"]
    return ("overview", registry.fingerprint, store.version(), Filters(as_of=dt.date.today(), order="worst"))


def test_a_worker_has_the_judgements_before_the_first_visitor_and_again_after_a_commit(worker_app, tmp_path):
    from qtm import results_cache

    warmer, store = worker_app.extensions["qtm_warmer"], worker_app.config["QTM_STORE"]
    assert warmer.wait_for(store.data_version(), timeout=120)
    assert results_cache.shared().holds(overview_key(worker_app))  # no request made: the warmer computed it
    before = overview_key(worker_app)
    stored = tmp_path / "return.csv"
    stored.write_text(
        "指标名称,地区,统计期,数值,计量单位\n制造业产品质量合格率,上海市,2023,93.47,%\n", encoding="utf-8"
    )
    env = worker_app.extensions["qtm_test_env"]
    ingested = subprocess.run(
        [*QTM, "ingest", str(stored)], env=env, capture_output=True, text=True, check=False
    )
    assert ingested.returncode == 0, ingested.stderr
    assert overview_key(worker_app) != before  # another process committed: new data, new key
    assert warmer.wait_for(store.data_version(), timeout=120)
    assert results_cache.shared().holds(overview_key(worker_app))


def test_without_warming_the_first_visitor_would_compute(worker_app_unwarmed):
    from qtm import results_cache

    assert worker_app_unwarmed.extensions["qtm_warmer"] is None
    assert not results_cache.shared().holds(overview_key(worker_app_unwarmed))


@pytest.fixture
def worker_app_unwarmed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from qtm.config import Settings
    from qtm.registry import load_registry
    from qtm_command.serving import wsgi_app

    env = prepared(tmp_path)
    settings = Settings(database_url=env["QTM_DATABASE_URL"], warm=False)  # QTM_WARM=0
    server = wsgi_app(settings, load_registry(), "127.0.0.1")
    yield server
    server.config["QTM_STORE"].engine.dispose()
