"""A page that opens at once: what a cold load of the overview moves over the wire, and how long the first open
takes when many officials arrive together, measured side by side in one run.

    .venv/bin/python bench/page_open.py [--viewers 50] [--workers 2]

1. Bytes: `qtm serve --workers N` over the demo data; headless Chromium (the system one) loads / with an empty
   cache and adds up every response's encodedDataLength (Chrome DevTools Protocol: the bytes received, headers and
   compression included), twice: with the partial plotly.js bundle the dashboard serves (dashboard/plotly_bundle),
   and with that bundle's request refused, so that dcc.Graph fetches the full plotly.js it ships — what a cold
   load cost before. Both loads must draw every gauge.
2. First open: a fresh server with page warming off (QTM_WARM=0, as before) and one with it on (the default),
   each given the same time to start; then --viewers clients at once each open the overview as a browser does
   (the page, Dash's layout and dependencies, the page's content callback: every request that is not a cached
   static file), p50/p95 of the whole open. Then one return is stored (`qtm ingest`, another process, as an
   upload's job would) and, 6 s later, the viewers open the overview again: the first open after a commit.
Figures printed, not asserted (goals: at most 800 kB; p95 at most 1.5 s).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load_test import OVERVIEW_CALLBACK, percentiles  # noqa: E402

QTM = str(ROOT / ".venv" / "bin" / "qtm")
START_SECONDS = 8.0  # after the workers booted, before the viewers arrive: the same for both servers
AFTER_COMMIT_SECONDS = 6.0  # after a commit, before the viewers open the overview again
GRAPHS_DRAWN = ".js-plotly-plot svg.main-svg"


@dataclass
class ColdLoad:
    """What one cold load of a page moved: bytes over the wire, per URL, and the graphs it drew."""

    total: int
    by_url: dict[str, int]
    graphs: int
    errors: list[str]

    def largest(self) -> tuple[str, int]:
        url = max(self.by_url, key=lambda u: self.by_url[u])
        return url.split("?")[0].rsplit("/", 1)[-1], self.by_url[url]


def cold_load(browser: Any, url: str, *, refuse: str | None = None) -> ColdLoad:
    """Load ``url`` in a fresh browser context (empty cache), refusing requests to URLs matching ``refuse``."""
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    cdp = context.new_cdp_session(page)
    urls: dict[str, str] = {}
    received: dict[str, int] = {}
    cdp.on("Network.responseReceived", lambda e: urls.__setitem__(e["requestId"], e["response"]["url"]))
    cdp.on(
        "Network.loadingFinished", lambda e: received.__setitem__(e["requestId"], int(e["encodedDataLength"]))
    )
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    if refuse:
        page.route(re.compile(refuse), lambda route: route.abort())
    page.goto(url)
    page.wait_for_selector(GRAPHS_DRAWN, timeout=60_000)
    page.wait_for_load_state("networkidle")
    graphs = page.locator(".js-plotly-plot:has(svg.main-svg)").count()
    by_url: dict[str, int] = {}
    for request_id, size in received.items():
        name = urls.get(request_id, request_id)
        by_url[name] = by_url.get(name, 0) + size
    context.close()
    return ColdLoad(sum(by_url.values()), by_url, graphs, errors)


def open_overview(server: str) -> float:
    """Seconds for what a browser asks from the server to show the overview: the page, the layout, the
    dependencies and the page's content (a new client: no cookie, no connection kept)."""
    import requests

    client = requests.Session()
    started = time.monotonic()
    client.get(server + "/", timeout=120).raise_for_status()
    client.headers["X-CSRFToken"] = client.cookies.get("_csrf_token", "")
    client.get(server + "/_dash-layout", timeout=120).raise_for_status()
    client.get(server + "/_dash-dependencies", timeout=120).raise_for_status()
    answer = client.post(server + "/_dash-update-component", json=OVERVIEW_CALLBACK, timeout=120)
    answer.raise_for_status()
    assert "card-keys" in answer.text, answer.text[:200]
    return time.monotonic() - started


def arrive_together(server: str, viewers: int) -> list[float]:
    """``viewers`` clients opening the overview at the same moment; each one's seconds."""
    barrier = threading.Barrier(viewers)
    seconds: list[float] = []
    lock = threading.Lock()

    def viewer() -> None:
        barrier.wait()
        took = open_overview(server)
        with lock:
            seconds.append(took)

    threads = [threading.Thread(target=viewer) for _ in range(viewers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return seconds


@contextmanager
def server(folder: Path, settings: dict[str, str], workers: int) -> Iterator[str]:
    """`qtm serve --workers N` with ``settings``, once its workers booted and START_SECONDS passed."""
    from tests.conftest import free_port, wait_for_port

    port = free_port()
    log_path = folder / f"server-{port}.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [QTM, "serve", "--port", str(port), "--workers", str(workers)],
            env=settings, stdout=log, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        try:
            wait_for_port(port, process)  # type: ignore[arg-type]
            while log_path.read_text().count("Booting worker") < workers:
                time.sleep(0.1)
            time.sleep(START_SECONDS)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(timeout=30)


def commit_a_return(folder: Path, settings: dict[str, str], round_: int) -> None:
    """New values for Shanghai's manufacturing pass rate, stored by `qtm ingest` in a process of its own."""
    path = folder / f"return-{round_}.csv"
    rows = "".join(
        f"制造业产品质量合格率,上海市,{year},{93 + round_ * 0.1 + year % 3:.2f},%\n"
        for year in range(2019, 2025)
    )
    path.write_text("指标名称,地区,统计期,数值,计量单位\n" + rows, encoding="utf-8")
    stored = subprocess.run(
        [QTM, "ingest", str(path)], env=settings, capture_output=True, text=True, check=False
    )
    assert stored.returncode == 0, stored.stdout + stored.stderr


def first_opens(folder: Path, settings: dict[str, str], args: argparse.Namespace) -> None:
    rows = []
    for label, warm in (("warming off (before)", "0"), ("warming on", "1")):
        with server(folder, {**settings, "QTM_WARM": warm}, args.workers) as url:
            fresh = arrive_together(url, args.viewers)
            commit_a_return(folder, settings, len(rows))
            time.sleep(AFTER_COMMIT_SECONDS)
            after_commit = arrive_together(url, args.viewers)
        rows.append((label, fresh, after_commit))
    for label, fresh, after_commit in rows:
        print(f"first open, fresh server, {label:<21}: {percentiles(fresh)}")
        print(f"first open after a commit, {label:<20}: {percentiles(after_commit)}")
    p95 = [sorted(f)[min(len(f) - 1, int(len(f) * 0.95))] for _, f, _ in rows]
    print(f"fresh server p95, on/off                        : {p95[1] / p95[0]:.2f}  (goal p95 ≤ 1500 ms)")


def cold_loads(folder: Path, settings: dict[str, str], workers: int) -> None:
    from playwright.sync_api import sync_playwright

    from tests.conftest import CHROMIUM_ARGS

    with server(folder, settings, workers) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        partial = cold_load(browser, url + "/")
        full = cold_load(browser, url + "/", refuse=r"/vendor/plotly-")
        browser.close()
    for label, load in (("full plotly.js (before)", full), ("partial bundle", partial)):
        name, size = load.largest()
        print(
            f"cold load of /, {label:<23}: {load.total / 1000:7.1f} kB in {len(load.by_url)} responses, "
            f"largest {name} {size / 1000:.1f} kB, {load.graphs} graphs drawn"
        )
    print(
        f"cold load bytes, partial/full                   : {partial.total / full.total:.2f}  (goal ≤ 800 kB)"
    )
    if partial.errors:
        print(f"browser console errors with the partial bundle  : {partial.errors}")


def main() -> None:
    from tests.conftest import prepared

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--viewers", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        settings = {**prepared(folder), "QTM_LIVE_SECONDS": "10"}
        settings.pop("QTM_WARM", None)
        os.environ.pop("QTM_WARM", None)
        cold_loads(folder, settings, args.workers)
        first_opens(folder, settings, args)


if __name__ == "__main__":
    main()
