"""Twenty of the largest legal returns sent to /api/upload at once: the server's peak memory, and an answer for each.

    .venv/bin/python bench/upload_load.py [--uploads 20] [--configs default,workers2]

Builds (once, cached in bench/.cache/) the largest return the default limits let through: a long-format .xlsx for
Shanghai and its districts (the `shanghai` reporter's regions), every indicator monthly back from 2025 for as many
months as fit under QTM_MAX_CELLS (5 million cells; 8 columns), about 19 MB (QTM_MAX_UPLOAD_MB: 20). Then, for the
default server (`qtm serve`) and for `qtm serve --workers 2`, each over a fresh SQLite database loaded by `qtm demo`
with the test accounts (tests/conftest.py): logs in as the reporter, sends the file --uploads times at once (every
other one with ?dry_run=1, the others stored for real), samples the memory of the server's process tree (children
included: the checks run in processes of their own) every 100 ms, and prints:
  - peak memory: the sum of the processes' RSS (pages shared between a worker and the checks it forked counted once
    per process, so an overstatement) and of their PSS (shared pages divided among their sharers: what the machine
    holds) — goal under 1.5 GB for the default server;
  - the answers by status: every request must get one (200 stored or would store, 422 refused, 503 busy with
    Retry-After); none dropped, no 5xx but 503;
  - the bound the settings give: QTM_JOB_SLOTS × QTM_CHECK_MB + the server's memory before the burst.
Figures printed, not asserted. About 4 minutes on a 2-core machine.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest_speed import CACHE, _add_title_merge  # noqa: E402

GOAL_BYTES = 1.5e9
REPORTER, REGION = "shanghai", "310000"
CONFIGS = {"default": (), "workers2": ("--workers", "2")}
COLUMNS = ["序号", "指标名称", "地区", "统计期", "数值", "计量单位", "标记", "备注"]


def largest_return() -> Path:
    """The largest return the default limits accept, for the reporter's regions (built once, cached)."""
    from loaders.safety import Limits
    from qtm.registry import load_registry

    registry = load_registry()
    regions = [r for r in registry.regions if REGION in (r.code, r.parent)]
    indicators = list(registry.indicators.values())
    limits = Limits()
    fitting = (limits.max_total_cells // len(COLUMNS) - 2) // (len(indicators) * len(regions))
    months = [(year, month) for year in range(1900, 2026) for month in range(1, 13)][-fitting:]
    rows = len(months) * len(indicators) * len(regions)
    path = CACHE / f"largest_return_{rows}.xlsx"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        _write_return(path, months, indicators, regions)
    cells = (rows + 2) * len(COLUMNS)
    assert path.stat().st_size <= limits.max_bytes and cells <= limits.max_total_cells, "not a legal return"
    return path


def _write_return(
    path: Path, months: list[tuple[int, int]], indicators: list[Any], regions: list[Any]
) -> None:
    """Invented figures, one per indicator, region and month, as bench/ingest_speed.py writes them."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("月报")
    sheet.append([WriteOnlyCell(sheet, value="1900—2025年各地区质量指标月度统计（测试数据，非官方统计）")])
    sheet.append(COLUMNS)
    count = 0
    for number, (year, month) in enumerate(months):
        for indicator in indicators:
            for index, region in enumerate(regions):
                unit: str | None = None
                value: Any = 80 + 0.01 * (number % 100)
                if indicator.kind == "rate":
                    value = WriteOnlyCell(
                        sheet, value=round(0.90 + 0.0003 * (number % 192) + 0.001 * (index % 7), 4)
                    )
                    value.number_format = "0.00%"
                elif indicator.kind == "count":
                    value, unit = 10 + number % 100 + index, "家"
                elif indicator.kind == "duration":
                    value, unit = float(100 + number % 50 + index), "小时"
                count += 1
                sheet.append(
                    [count, indicator.name.zh, region.name_zh, f"{year}年{month}月", value, unit, None, None]
                )
    workbook.save(path)
    _add_title_merge(path)


@dataclass
class Peaks:
    """The highest sums of the server tree's RSS and PSS seen, and the most processes at once."""

    rss: int = 0
    pss: int = 0
    processes: int = 0
    stop: threading.Event = field(default_factory=threading.Event)


def tree_memory(root: int) -> tuple[int, int, int]:
    """(RSS sum, PSS sum, processes) of ``root`` and all its descendants."""
    import psutil

    try:
        processes = [psutil.Process(root)]
        processes += processes[0].children(recursive=True)
    except psutil.NoSuchProcess:
        return 0, 0, 0
    rss = pss = 0
    for process in processes:
        try:
            memory = process.memory_full_info()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        rss, pss = rss + memory.rss, pss + memory.pss
    return rss, pss, len(processes)


def sample(root: int, peaks: Peaks) -> None:
    while not peaks.stop.is_set():
        rss, pss, count = tree_memory(root)
        peaks.rss, peaks.pss = max(peaks.rss, rss), max(peaks.pss, pss)
        peaks.processes = max(peaks.processes, count)
        peaks.stop.wait(0.1)


def send(
    client: Any, server: str, path: Path, dry_run: bool, answers: list[str], barrier: threading.Barrier
) -> None:
    """One upload; its answer's status (or what went wrong) is appended to ``answers``."""
    import requests

    query = "?dry_run=1" if dry_run else ""
    with path.open("rb") as file:
        body = file.read()
    barrier.wait()
    started = time.monotonic()
    try:
        answer = client.post(f"{server}/api/upload{query}", files={"files": (path.name, body)}, timeout=600)
    except requests.RequestException as failed:
        answers.append(f"no answer ({type(failed).__name__})")
        return
    status = str(answer.status_code)
    if answer.status_code == 503 and not answer.headers.get("Retry-After"):
        status += " without Retry-After"
    answers.append(f"{status} {'dry' if dry_run else 'real'} {time.monotonic() - started:.0f} s")


def burst(name: str, path: Path, uploads: int) -> None:
    """One configuration: a fresh server, the uploads all at once, the figures."""
    from dashboard import jobs
    from tests.conftest import prepared, served, web_client

    args = CONFIGS[name]
    with tempfile.TemporaryDirectory() as folder:
        settings = prepared(Path(folder))
        with served(Path(folder), settings, args) as server:
            root = _server_pid(server)
            clients = [web_client(server, REPORTER) for _ in range(uploads)]
            base = tree_memory(root)
            peaks, answers = Peaks(), []  # type: ignore[var-annotated]
            sampler = threading.Thread(target=sample, args=(root, peaks))
            barrier = threading.Barrier(uploads)
            threads = [
                threading.Thread(target=send, args=(c, server, path, n % 2 == 0, answers, barrier))
                for n, c in enumerate(clients)
            ]
            started = time.monotonic()
            sampler.start()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            peaks.stop.set()
            sampler.join()
            seconds = time.monotonic() - started
            alive = web_client(server, None).get(server + "/login", timeout=30).status_code
    slots, bound = jobs.slots(), jobs.check_memory()
    report(name, args, base, peaks, answers, seconds, alive, (slots, bound))


def _server_pid(server: str) -> int:
    """The `qtm serve --port N` process answering at ``server`` (tests.conftest.served starts it)."""
    import psutil

    port = server.rsplit(":", 1)[1]
    for process in psutil.process_iter(["cmdline"]):
        command = process.info["cmdline"] or []
        if "serve" in command and any(a == "--port" and b == port for a, b in itertools.pairwise(command)):
            return int(process.pid)
    raise RuntimeError(f"no qtm serve process for {server}")


def report(
    name: str,
    args: tuple[str, ...],
    base: tuple[int, int, int],
    peaks: Peaks,
    answers: list[str],
    seconds: float,
    alive: int,
    bound: tuple[int, int],
) -> None:
    statuses = collections.Counter(a.split()[0] if a[0].isdigit() else a for a in answers)
    dropped = sum(n for status, n in statuses.items() if not status[0].isdigit())
    bad = sum(n for status, n in statuses.items() if status[0] == "5" and status != "503")
    slots, check = bound
    print(f"== qtm serve {' '.join(args) or '(default)'} · {len(answers)} uploads at once · {seconds:.0f} s")
    print(
        f"  server before the burst      : RSS {base[0] / 1e9:.2f} GB, PSS {base[1] / 1e9:.2f} GB, {base[2]} processes"
    )
    goal = "under" if peaks.pss < GOAL_BYTES else "OVER"
    print(
        f"  peak memory, PSS (held)      : {peaks.pss / 1e9:.2f} GB = {peaks.pss / GOAL_BYTES:.2f} × the 1.5 GB goal ({goal})"
    )
    goal = "under" if peaks.rss < GOAL_BYTES else "OVER"
    print(
        f"  peak memory, RSS summed      : {peaks.rss / 1e9:.2f} GB = {peaks.rss / GOAL_BYTES:.2f} × the goal ({goal})"
    )
    print(f"  most processes at once       : {peaks.processes}")
    limit = slots * check + base[1]
    print(
        f"  bound: {slots} slots × {check / 1048576:.0f} MB + base {base[1] / 1e9:.2f} GB = {limit / 1e9:.2f} GB "
        f"(peak PSS / bound {peaks.pss / limit:.2f})"
    )
    print(f"  answers by status            : {dict(sorted(statuses.items()))}")
    print(
        f"  every request answered       : {'yes' if not dropped else f'NO, {dropped} dropped'}; 5xx but 503: {bad}"
    )
    print(f"  server answers afterwards    : GET /login {alive}")
    for answer in sorted(answers):
        print(f"    {answer}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--uploads", type=int, default=20)
    parser.add_argument(
        "--configs", default="default,workers2", help=f"comma-separated, of {', '.join(CONFIGS)}"
    )
    options = parser.parse_args()
    started = time.monotonic()
    path = largest_return()
    print(
        f"file: {path.name}, {path.stat().st_size / 1048576:.1f} MB (built or found in {time.monotonic() - started:.0f} s)"
    )
    for name in options.configs.split(","):
        burst(name.strip(), path, options.uploads)
    print(f"bench took {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
