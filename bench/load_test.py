"""Load and fault test: a whole country's officials at once, on loopback, bounded in count and time.

    .venv/bin/python bench/load_test.py [--seconds 60] [--reporters 20] [--viewers 50] [--workers 2]
                                        [--postgres postgresql+psycopg://postgres@127.0.0.1/test] [--no-faults]

Starts `qtm serve --workers N` (gunicorn) over a fresh PostgreSQL database (qtm_load, the demo data loaded) and
Redis (database 14, flushed), with one reporter account per region. Then, for --seconds:
  - the reporters upload a return each for their own regions, all at once, again every --upload-every seconds (10;
    0: one after another), each with new values (retrying an upload that got no answer or a 5xx, as a person would
    press the button again);
  - each viewer keeps the overview open as the browser does: its content once, then the live version every
    --poll-every seconds (1, the dashboard's shortest QTM_LIVE_SECONDS), and the content again whenever it changed
    (0: the content over and over without a pause, a load no browser makes);
  - unless --no-faults: a third of the way in, one worker is killed with SIGKILL in the middle of the traffic;
    half way, Redis drops every client connection and then stalls for 3 s (as a restart does).
Then it checks the database against what the server said it committed, and prints: observations lost (goal 0:
every committed row present exactly once), partial batches visible (goal 0), server errors (goal 0, the requests
cut by the kill counted apart), viewers' latency p50/p95 (goal p95 ≤ 1 s on this machine), and whether the live
version still advanced after the Redis stall. Figures printed, not asserted.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REDIS_URL = "redis://127.0.0.1:6379/14"
PASSWORD = "load-test password 1"
OVERVIEW_CALLBACK = {
    "output": ".._pages_content.children..._pages_store.data..",
    "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
    "inputs": [
        {"id": "_pages_location", "property": "pathname", "value": "/"},
        {"id": "_pages_location", "property": "search", "value": ""},
    ],
    "changedPropIds": ["_pages_location.pathname", "_pages_location.search"],
    "parsedChangedPropsIds": ["_pages_location.pathname", "_pages_location.search"],
}
VERSION_CALLBACK = {
    "output": "data-version.data",
    "outputs": {"id": "data-version", "property": "data"},
    "inputs": [{"id": "live-tick", "property": "n_intervals", "value": 1}],
    "changedPropIds": ["live-tick.n_intervals"],
    "state": [{"id": "data-version", "property": "data", "value": -1}],
}


@dataclass
class Tally:
    """What the clients saw."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: list[float] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    cut: int = 0  # requests that got no answer (the killed worker's)
    committed: dict[int, tuple[str, list[tuple[str, str, float]]]] = field(default_factory=dict)
    uploads: int = 0
    retries: int = 0

    def add(self, **changes: object) -> None:
        with self.lock:
            for name, value in changes.items():
                current = getattr(self, name)
                if isinstance(current, list):
                    current.append(value)
                elif isinstance(current, dict):
                    current.update(value)  # type: ignore[call-overload]
                else:
                    setattr(self, name, current + value)


def fresh_database(server: str) -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text('DROP DATABASE IF EXISTS "qtm_load" WITH (FORCE)'))
        connection.execute(text('CREATE DATABASE "qtm_load"'))
    return make_url(server).set(database="qtm_load").render_as_string(hide_password=False)


def regions_for(count: int) -> list[tuple[str, str]]:
    """(code, Chinese name) of ``count`` regions below the provinces, for one reporter each."""
    from qtm.registry import load_registry

    found = [(r.code, r.name_zh) for r in load_registry().regions if r.parent not in (None, "100000")]
    return found[:count]


def prepare(env: dict[str, str], regions: list[tuple[str, str]]) -> None:
    qtm = [str(ROOT / ".venv" / "bin" / "qtm")]
    subprocess.run([*qtm, "demo"], env=env, check=True, capture_output=True)
    for code, _ in regions:
        add = [*qtm, "users", "add", f"rep{code}", "--role", "reporter", "--region", code, "--password-stdin"]
        subprocess.run(add, env=env, input=PASSWORD + "\n", text=True, check=True, capture_output=True)


def login(server: str, name: str | None):  # type: ignore[no-untyped-def]
    from tests.conftest import web_client

    return web_client(server, name, password=PASSWORD)


def reporter(server: str, code: str, name_zh: str, until: float, every: float, tally: Tally) -> None:
    """Upload new values for the region's manufacturing pass rate, 2010–2025: all reporters at once, again every
    ``every`` seconds (0: one return right after another)."""
    import requests

    client = login(server, f"rep{code}")
    round_ = 0
    start = time.monotonic()
    while time.monotonic() < until:
        time.sleep(max(0.0, start + round_ * every - time.monotonic()))
        round_ += 1
        rows = [(str(year), 90 + (round_ * 0.01 + year % 7) % 9) for year in range(2010, 2026)]
        body = "指标名称,地区,统计期,数值,计量单位\n" + "".join(
            f"制造业产品质量合格率,{name_zh},{period},{value:.2f},%\n" for period, value in rows
        )
        for _attempt in range(5):
            try:
                answer = client.post(
                    server + "/api/upload",
                    files={"files": (f"{code}-{round_}.csv", body.encode())},
                    timeout=120,
                )
            except requests.RequestException:
                tally.add(cut=1, retries=1)
                continue
            if answer.status_code >= 500:
                tally.add(server_errors=f"upload {answer.status_code}", retries=1)
                continue
            result = answer.json()["files"][0]
            if result["status"] == "committed":
                stored = [
                    ("manufacturing_pass_rate", code, period, round(value, 2)) for period, value in rows
                ]
                tally.add(committed={result["batch"]: (code, stored)})
            break
        tally.add(uploads=1)


def viewer(server: str, until: float, every: float, tally: Tally) -> None:
    """An open overview, as the browser keeps it: the page's content once, then every ``every`` seconds the live
    version, and the content again whenever the version changed (0: the content over and over, no pause)."""
    import requests

    client = login(server, None)
    known: int | None = None
    while time.monotonic() < until:
        started = time.perf_counter()
        try:
            version = _poll(client, server, known) if every else None
            if not every or version != known:
                answer = client.post(server + "/_dash-update-component", json=OVERVIEW_CALLBACK, timeout=60)
                if answer.status_code >= 500:
                    tally.add(server_errors=f"overview {answer.status_code}")
                else:
                    tally.add(latencies=time.perf_counter() - started)
                known = version
        except requests.RequestException:
            tally.add(cut=1)
        time.sleep(max(0.0, every - (time.perf_counter() - started)))


def _poll(client, server: str, known: int | None) -> int | None:  # type: ignore[no-untyped-def]
    state = [{"id": "data-version", "property": "data", "value": known}]
    answer = client.post(
        server + "/_dash-update-component", json={**VERSION_CALLBACK, "state": state}, timeout=60
    )
    if answer.status_code == 204:  # no update: the version is the one known
        return known
    data = answer.json().get("response", {}).get("data-version", {}).get("data") if answer.ok else None
    return int(data) if data is not None else known


def live_version(server: str) -> int | None:
    client = login(server, None)
    answer = client.post(server + "/_dash-update-component", json=VERSION_CALLBACK, timeout=30)
    data = answer.json().get("response", {}).get("data-version", {}).get("data") if answer.ok else None
    return int(data) if data is not None else None


def workers_of(master: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True, check=False).stdout
    return [int(p) for p in found.split()]


def faults(server: str, master: int, seconds: float, log: list[str]) -> None:
    """A worker killed a third of the way in; Redis dropping its clients and stalling half way."""
    import redis

    time.sleep(seconds / 3)
    victims = workers_of(master)
    if victims:
        os.kill(victims[0], signal.SIGKILL)
        log.append(f"killed worker {victims[0]} with SIGKILL at {seconds / 3:.0f} s")
    time.sleep(seconds / 6)
    client = redis.Redis.from_url(REDIS_URL)
    before = live_version(server)
    client.client_kill_filter(_type="normal", skipme=True)
    client.client_pause(3000)  # every client's commands wait 3 s
    log.append(
        f"Redis dropped every client and stalled 3 s at {seconds / 2:.0f} s (live version then {before})"
    )


def check_database(url: str, tally: Tally) -> tuple[int, int, int]:
    """(observations lost, observations present more than once, partial batches visible)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    lost = doubled = 0
    with engine.connect() as connection:
        for batch, (_, rows) in tally.committed.items():
            for indicator, region, period, value in rows:
                n = connection.execute(
                    text(
                        "SELECT count(*) FROM observations WHERE batch_id = :b AND indicator_id = :i "
                        "AND region_code = :r AND period = :p AND abs(value - :v) < 1e-9"
                    ),
                    {"b": batch, "i": indicator, "r": region, "p": period, "v": value},
                ).scalar_one()
                lost += n == 0
                doubled += n > 1
        partial = connection.execute(
            text(
                "SELECT count(*) FROM batches b WHERE b.kind = 'upload' AND b.n_observations <> "
                "(SELECT count(*) FROM observations o WHERE o.batch_id = b.id)"
            )
        ).scalar_one()
    engine.dispose()
    return lost, doubled, int(partial)


def main() -> None:
    from tests.conftest import free_port, wait_for_port

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--reporters", type=int, default=20)
    parser.add_argument("--viewers", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1/test")
    parser.add_argument("--no-faults", action="store_true")
    parser.add_argument(
        "--upload-every", type=float, default=10.0, help="seconds between a reporter's returns"
    )
    parser.add_argument("--poll-every", type=float, default=1.0, help="seconds between a viewer's polls")
    args = parser.parse_args()
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    with tempfile.TemporaryDirectory() as folder:
        url = fresh_database(args.postgres)
        env = {
            **os.environ,
            "QTM_DATABASE_URL": url,
            "QTM_REDIS_URL": REDIS_URL,
            "QTM_SECRET_KEY_FILE": f"{folder}/secret_key",
            "QTM_STAGING_DIR": f"{folder}/staging",
            "QTM_ORIGINALS_DIR": f"{folder}/originals",
            "QTM_LOGIN_LIMIT": "1000 per minute",
        }
        regions = regions_for(args.reporters)
        prepare(env, regions)
        port = free_port()
        server = f"http://127.0.0.1:{port}"
        qtm = str(ROOT / ".venv" / "bin" / "qtm")
        with open(f"{folder}/server.log", "w") as log:
            process = subprocess.Popen(
                [qtm, "serve", "--port", str(port), "--workers", str(args.workers)],
                env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
            try:
                wait_for_port(port, process)  # type: ignore[arg-type]
                run(server, process.pid, url, regions, args)
            finally:
                process.terminate()
                process.wait(timeout=30)


def run(server: str, master: int, url: str, regions: list[tuple[str, str]], args: argparse.Namespace) -> None:
    tally, events = Tally(), []
    until = time.monotonic() + args.seconds
    threads = [
        threading.Thread(target=reporter, args=(server, c, n, until, args.upload_every, tally))
        for c, n in regions
    ]
    threads += [
        threading.Thread(target=viewer, args=(server, until, args.poll_every, tally))
        for _ in range(args.viewers)
    ]
    if not args.no_faults:
        threads.append(threading.Thread(target=faults, args=(server, master, args.seconds, events)))
    version_before = live_version(server)
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    version_after = live_version(server)
    lost, doubled, partial = check_database(url, tally)
    latencies = sorted(tally.latencies)
    p95 = latencies[int(len(latencies) * 0.95)] if latencies else float("nan")
    for event in events:
        print(f"fault: {event}")
    print(
        f"{args.workers} workers · {len(regions)} reporters · {args.viewers} viewers · {args.seconds:.0f} s"
    )
    print(f"uploads {tally.uploads} ({tally.retries} retried), batches committed {len(tally.committed)}")
    print(f"observations lost            : {lost}  (goal 0)")
    print(f"observations stored twice    : {doubled}  (goal 0)")
    print(f"partial batches visible      : {partial}  (goal 0)")
    print(
        f"server errors (5xx)          : {len(tally.server_errors)}  (goal 0) {sorted(set(tally.server_errors))}"
    )
    print(f"requests cut by the kill     : {tally.cut}")
    print(
        f"viewer overview answers      : {len(latencies)}, p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"p95 {p95 * 1000:.0f} ms  (goal p95 ≤ 1000 ms)"
    )
    print(f"live version before → after  : {version_before} → {version_after} (it must advance)")


if __name__ == "__main__":
    main()
