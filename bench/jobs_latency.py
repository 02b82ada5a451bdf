"""What long work costs the other users: viewers' latency while report packs are drawn in the request or as
background jobs, measured side by side in one run, on loopback, bounded in time.

    .venv/bin/python bench/jobs_latency.py [--viewers 8] [--packs 2] [--threads 2]

Starts `qtm serve --workers 1 --threads T` over the demo data (SQLite, in a temporary folder). Viewers keep asking
for the overview's content (the callback a page load makes), one request after another, through three phases:
  1. quiet — nothing else happens (the baseline);
  2. packs in the request — P report packs of every target fetched at once from /export/pack.zip, which draws them
     inside the request, as the pages did before packs became jobs;
  3. packs as jobs — the same P packs asked for by pressing the overview's button in P real Chromium pages, which
     starts a background job each (dashboard.jobs) and downloads the zip when it is done.
Prints, for each phase, the viewers' latency (median, p95, p99, the longest wait) and the packs' duration, and the
ratio of the viewers' p99 to the quiet phase's. A server held by packs answers few requests while held, so the
longest wait and p99 show it where the median does not. Goal: with packs as jobs no viewer waits for a pack (the
longest wait far below a pack's duration); the machine's two cores are shared by everything, so drawing costs the
viewers some CPU either way. Figures printed, not asserted.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load_test import OVERVIEW_CALLBACK  # noqa: E402
from tests.conftest import CHROMIUM_ARGS, QTM, free_port, served_settings, wait_for_port, web_client  # noqa: E402


class Viewers:
    """``count`` threads asking for the overview's content back to back; latencies kept per phase."""

    def __init__(self, server: str, count: int) -> None:
        self.server, self.count = server, count
        self.phase = "between"
        self.latency: dict[str, list[float]] = {}
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._view, daemon=True) for _ in range(count)]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=120)

    def _view(self) -> None:
        client = web_client(self.server, None)
        while not self._stop.is_set():
            phase, began = self.phase, time.perf_counter()
            answer = client.post(self.server + "/_dash-update-component", json=OVERVIEW_CALLBACK, timeout=300)
            answer.raise_for_status()
            self.latency.setdefault(phase, []).append(time.perf_counter() - began)


def packs_in_the_request(server: str, packs: int) -> list[float]:
    client = web_client(server, None)

    def one(_: int) -> float:
        began = time.perf_counter()
        answer = client.get(server + "/export/pack.zip", timeout=600)
        answer.raise_for_status()
        return time.perf_counter() - began

    with ThreadPoolExecutor(packs) as pool:
        return list(pool.map(one, range(packs)))


def packs_as_jobs(server: str, packs: int, viewers: Viewers) -> list[float]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        pages = [browser.new_page() for _ in range(packs)]
        for page in pages:
            page.goto(server + "/")
            page.wait_for_selector("#pack-link")
        viewers.phase = "packs as jobs"  # the pages are open: from here on, the packs
        downloads, began = [], time.perf_counter()
        for page in pages:
            waiting = page.expect_download(timeout=600_000)
            downloads.append((waiting, waiting.__enter__()))
            page.click("#pack-link")
        took = []
        for waiting, info in downloads:
            waiting.__exit__(None, None, None)
            info.value.path()
            took.append(time.perf_counter() - began)
        browser.close()
    return took


def phase(viewers: Viewers, name: str, work: Callable[[], list[float]]) -> list[float]:
    viewers.phase = name
    took = work()
    viewers.phase = "between"
    return took


def quiet(seconds: float) -> list[float]:
    time.sleep(seconds)
    return []


def show(viewers: Viewers, packs: dict[str, list[float]]) -> None:
    quiet = _quantile(viewers.latency["quiet"], 0.99)
    print(
        f"{'phase':<22}{'requests':>9}{'median':>9}{'p95':>9}{'p99':>9}{'longest':>10}{'p99 / quiet':>13}"
        f"{'pack seconds':>15}"
    )
    for name in ("quiet", "packs in the request", "packs as jobs"):
        times = viewers.latency.get(name, [])
        if not times:
            print(f"{name:<22}{0:>9}")
            continue
        took = ", ".join(f"{t:.1f}" for t in packs.get(name, [])) or "-"
        print(
            f"{name:<22}{len(times):>9}{_ms(statistics.median(times))}{_ms(_quantile(times, 0.95))}"
            f"{_ms(_quantile(times, 0.99))}{_ms(max(times), 10)}{_quantile(times, 0.99) / quiet:>12.1f}×{took:>15}"
        )


def _quantile(times: list[float], q: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _ms(seconds: float, width: int = 9) -> str:
    return f"{seconds * 1000:>{width - 2}.0f}ms"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--viewers", type=int, default=8)
    parser.add_argument("--packs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quiet-seconds", type=float, default=10.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        settings = served_settings(Path(folder))
        subprocess.run([*QTM, "demo"], env=settings, check=True, capture_output=True)
        port = free_port()
        server = subprocess.Popen(
            [*QTM, "serve", "--port", str(port), "--workers", "1", "--threads", str(args.threads)],
            env=settings,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_port(port, server)  # type: ignore[arg-type]
            url = f"http://127.0.0.1:{port}"
            web_client(url, None).get(url + "/export/pack.zip", timeout=600)  # Chromium started, caches warm
            viewers = Viewers(url, args.viewers)
            viewers.start()
            packs = {
                "quiet": phase(viewers, "quiet", lambda: quiet(args.quiet_seconds)),
                "packs in the request": phase(
                    viewers, "packs in the request", lambda: packs_in_the_request(url, args.packs)
                ),
                "packs as jobs": phase(
                    viewers, "opening pages", lambda: packs_as_jobs(url, args.packs, viewers)
                ),
            }
            viewers.stop()
        finally:
            server.terminate()
            server.wait(timeout=60)
    print(
        f"1 worker × {args.threads} threads, {args.viewers} viewers, {args.packs} packs of every target at once"
    )
    show(viewers, packs)


if __name__ == "__main__":
    main()
