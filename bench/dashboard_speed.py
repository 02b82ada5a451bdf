"""How fast the dashboard answers, measured side by side in one run.

    .venv/bin/python bench/dashboard_speed.py [--repeat K]

1. The overview's server time (its layout: query, judgements, cards and gauges), median of K, with the demo data
   and with the 100 000-row return of bench/ingest_speed.py stored beside it — and their ratio.
2. In the system Chromium, against a real `qtm serve` over the demo data: the time from navigation until every
   gauge is drawn, and the bytes a cold load of the overview transfers (compressed, as sent), against the 2 MB
   goal.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COLD_LOAD_GOAL = 2 * 1024 * 1024


def overview_server_time(url: str, repeat: int) -> float:
    """Median seconds to build the overview page in a request, as the page callback does."""
    import dash

    from dashboard.app import create_app
    from qtm.registry import load_registry
    from qtm.store import Store

    app = create_app(load_registry(), Store.open(url))
    layout = next(page["layout"] for page in dash.page_registry.values() if page["path"] == "/")
    times = []
    for _ in range(repeat):
        with app.server.test_request_context("/"):
            start = time.perf_counter()
            layout()
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def in_the_browser(url: str, database: str) -> tuple[float, int, int]:
    """(seconds until every gauge is drawn, bytes transferred, number of gauges) for a cold load."""
    from playwright.sync_api import sync_playwright

    from tests.conftest import CHROMIUM_ARGS, QTM, free_port, wait_for_port

    port = free_port()
    env = {**os.environ, "QTM_DATABASE_URL": database}
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen([*QTM, "serve", "--port", str(port)], env=env, stdout=log, stderr=log)
        try:
            wait_for_port(port, server)  # type: ignore[arg-type]
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
                )
                page = browser.new_page(viewport={"width": 1366, "height": 768})
                cdp = page.context.new_cdp_session(page)
                cdp.send("Network.enable")
                cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
                sent: list[int] = []
                cdp.on("Network.loadingFinished", lambda event: sent.append(int(event["encodedDataLength"])))
                start = time.perf_counter()
                page.goto(f"http://127.0.0.1:{port}/")
                page.wait_for_selector(".target-card")
                cards = page.locator(".target-card").count()
                page.wait_for_function(
                    f"() => document.querySelectorAll('.target-card .gauge .main-svg').length >= {cards}",
                    timeout=60_000,
                )
                seconds = time.perf_counter() - start
                page.wait_for_load_state("networkidle")
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
    return seconds, sum(sent), cards


def main() -> None:
    from bench.ingest_speed import build_return
    from loaders.ingest import ingest_file
    from qtm.registry import load_registry
    from qtm.store import Store
    from tests.conftest import QTM

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        demo = f"sqlite:///{folder}/demo.sqlite"
        big = f"sqlite:///{folder}/big.sqlite"
        for url in (demo, big):
            env = {**os.environ, "QTM_DATABASE_URL": url}
            subprocess.run([*QTM, "demo"], env=env, check=True, capture_output=True)
        store = Store.open(big)
        result = ingest_file(build_return(100_000), load_registry(), store, uploaded_by="bench")
        assert result.status == "committed", result.report.as_json()[:3]
        stored = len(store.current())
        store.engine.dispose()
        small = overview_server_time(demo, args.repeat)
        large = overview_server_time(big, args.repeat)
        seconds, transferred, cards = in_the_browser(demo, demo)
    print(f"overview server time, demo data          : {small * 1000:8.1f} ms (median of {args.repeat})")
    print(
        f"overview server time, {stored:>7,} values  : {large * 1000:8.1f} ms   ratio {large / small:.2f}× the demo"
    )
    print(f"every gauge drawn in Chromium ({cards} cards) : {seconds:8.2f} s from navigation")
    print(
        f"cold load of the overview, as sent       : {transferred / 1024 / 1024:8.2f} MB   "
        f"ratio {transferred / COLD_LOAD_GOAL:.2f} of the 2 MB goal"
    )


if __name__ == "__main__":
    main()
