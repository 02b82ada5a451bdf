"""PNG export speed for report packs: the pack path against plotly's own, measured side by side in one run.

    .venv/bin/python bench/export_speed.py [--charts 50] [--naive 10] [--tabs 2] [--no-sync-server]

Loads the demo returns (``qtm demo``) into a temporary SQLite database and draws the target charts of the PNG
export (``reports.figures.target_chart``), repeating targets to reach --charts figures, 1000×560 at scale 2.
Then times:
  (a) the pack path: ``PngExporter().pngs(jobs)`` for all of them, from a cold start (the browser's start is part
      of a pack's time) — and a second, warm, call;
  (b) the naive path: ``fig.write_image(path, width=, height=, scale=)`` for each figure separately, as plotly
      does it (a new browser for every image). This takes 2-4 s a chart, so it is timed on the first --naive
      figures only and scaled to --charts;
  (c) for reference, the previous exporter: kaleido's shared sync server, one image at a time (cold start).
Goal (issue #11): pack ≤ 1/12 of naive, per chart. Printed, not asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import plotly.graph_objects as go

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WIDTH, HEIGHT, SCALE = 1000, 560, 2
AS_OF = dt.date(2025, 6, 30)
GOAL = 1 / 12


def load_demo(directory: Path) -> str:
    """A SQLite database in ``directory`` loaded by the real ``qtm demo``; its URL."""
    url = f"sqlite:///{directory / 'qtm.sqlite'}"
    env = {
        **os.environ,
        "QTM_DATABASE_URL": url,
        "QTM_ORIGINALS_DIR": str(directory / "originals"),
        "QTM_STAGING_DIR": str(directory / "staging"),
    }
    loaded = subprocess.run(
        [sys.executable, "-m", "qtm_command.cli", "demo"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if loaded.returncode != 0:
        raise SystemExit(f"qtm demo failed: {loaded.stderr}")
    return url


def build_figures(url: str, count: int) -> list[go.Figure]:
    """``count`` target charts as ``qtm export`` draws them, the registry's targets repeated as needed."""
    from qtm.assessment import assess
    from qtm.registry import load_registry
    from qtm.store import Store
    from reports.figures import target_chart

    registry = load_registry()
    store = Store.open(url)
    observations = store.current()
    store.engine.dispose()
    results = {(r.target, r.region): r for r in assess(registry, observations, AS_OF)}
    targets = list(registry.targets.values())
    figures = []
    for index in range(count):
        target = targets[index % len(targets)]
        series = [
            o
            for o in observations
            if o.indicator == target.indicator and o.region == target.jurisdiction and o.period.end <= AS_OF
        ]
        figures.append(target_chart(registry, target, series, results.get((target.id, target.jurisdiction))))
    return figures


def time_naive(figures: list[go.Figure], folder: Path) -> list[float]:
    """Seconds for each ``fig.write_image`` (plotly's own path: a browser started for every call)."""
    times = []
    for index, figure in enumerate(figures):
        started = time.perf_counter()
        figure.write_image(folder / f"naive_{index}.png", width=WIDTH, height=HEIGHT, scale=SCALE)
        times.append(time.perf_counter() - started)
    return times


def time_pack(figures: list[go.Figure], tabs: int) -> tuple[float, float, list[bytes]]:
    """(seconds cold, seconds warm, images) for ``pngs`` over every figure with a fresh exporter."""
    from reports.export import ImageJob, PngExporter

    exporter = PngExporter(tabs=tabs)
    jobs = [ImageJob(figure, WIDTH, HEIGHT, SCALE) for figure in figures]
    try:
        started = time.perf_counter()
        images = exporter.pngs(jobs)
        cold = time.perf_counter() - started
        started = time.perf_counter()
        exporter.pngs(jobs)
        warm = time.perf_counter() - started
    finally:
        exporter.close()
    return cold, warm, images


def time_sync_server(figures: list[go.Figure]) -> float:
    """Seconds for the previous exporter's path: kaleido's shared sync server, one image at a time, cold."""
    import kaleido
    import plotly.graph_objects as go

    opts = {"format": "png", "width": WIDTH, "height": HEIGHT, "scale": SCALE}
    started = time.perf_counter()
    kaleido.start_sync_server(mathjax=False, silence_warnings=True)
    try:
        for figure in figures:
            kaleido.calc_fig_sync(go.Figure(figure).update_layout(width=WIDTH, height=HEIGHT), opts=opts)
        return time.perf_counter() - started
    finally:
        kaleido.stop_sync_server(silence_warnings=True)


def png_size(data: bytes) -> tuple[int, int]:
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--charts", type=int, default=50)
    parser.add_argument("--naive", type=int, default=10, help="figures timed on the naive path (scaled up)")
    parser.add_argument(
        "--tabs", type=int, default=None, help="tabs of the pack path (default: the exporter's)"
    )
    parser.add_argument("--no-sync-server", action="store_true", help="skip (c), the previous exporter")
    args = parser.parse_args()
    from reports.export import DEFAULT_TABS

    tabs = args.tabs or DEFAULT_TABS
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        figures = build_figures(load_demo(folder), args.charts)
        naive = time_naive(figures[: args.naive], folder)  # first: the sync server of (c) would serve it warm
        cold, warm, images = time_pack(figures, tabs)
        sync = None if args.no_sync_server else time_sync_server(figures)
    sizes = {png_size(image) for image in images}
    n = len(figures)
    naive_per_chart = statistics.mean(naive)
    pack_per_chart = cold / n
    print(f"{n} target charts, {WIDTH}×{HEIGHT} at scale {SCALE}; images of the pack: {sorted(sizes)}")
    print(
        f"(b) naive fig.write_image, timed on {len(naive)} charts : {naive_per_chart:6.3f} s per chart "
        f"(median {statistics.median(naive):.3f}, min {min(naive):.3f}, max {max(naive):.3f}); "
        f"scaled to {n}: {naive_per_chart * n:6.1f} s"
    )
    print(
        f"(a) pack exporter.pngs, {tabs} tabs, cold start   : {pack_per_chart:6.3f} s per chart ({cold:.1f} s)"
    )
    print(f"    pack exporter.pngs again, warm             : {warm / n:6.3f} s per chart ({warm:.1f} s)")
    if sync is not None:
        print(f"(c) previous exporter (sync server), cold      : {sync / n:6.3f} s per chart ({sync:.1f} s)")
    ratio = pack_per_chart / naive_per_chart
    verdict = "met" if ratio <= GOAL else "NOT met"
    print(
        f"ratio pack / naive per chart: {ratio:.4f} = 1/{1 / ratio:.1f}   (goal <= 1/12 = {GOAL:.4f}: {verdict})"
    )


if __name__ == "__main__":
    main()
