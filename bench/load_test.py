"""Load and fault test: a whole country's officials at once, on loopback, bounded in count and time.

    .venv/bin/python bench/load_test.py [--seconds 60] [--reporters 20] [--viewers 50] [--workers 2]
                                        [--viewer-mode browser|full] [--poll-every 1] [--upload-every 10]
                                        [--postgres postgresql+psycopg://postgres@127.0.0.1/test] [--no-faults]

Starts a private `redis-server` (a free loopback port, a temporary folder, nothing saved: the shared Redis is never
touched) and `qtm serve --workers N` (gunicorn) over it and a fresh PostgreSQL database (qtm_load, the demo data
loaded), with one reporter account per region. Then, for --seconds:
  - the reporters upload a return each for their own regions, all at once, again every --upload-every seconds (10;
    0: one after another), each with new values (retrying an upload that got no answer or a 5xx, as a person would
    press the button again);
  - each viewer keeps the overview open. --viewer-mode browser (the default) sends what a real browser sends (the
    payloads were taken from headless Chromium): the live version and the page's content once on opening, then
    the live version every --poll-every seconds (1, the dashboard's shortest QTM_LIVE_SECONDS) and, whenever it
    changed, the overview's per-card refresh (`refresh_cards`) with the card keys the page holds, which it then
    keeps from the answer as the browser's store does. --viewer-mode full fetches the whole page's content again
    at every change instead (what this test did before; --poll-every 0: over and over without a pause);
  - unless --no-faults: a third of the way in, one worker is killed with SIGKILL in the middle of the traffic;
    half way, the private Redis is killed with SIGKILL and started again on the same port 3 s later.
Then it checks the database against what the server said it committed, and prints: observations lost (goal 0:
every committed row present exactly once), partial batches visible (goal 0), server errors (goal 0, the requests
cut by the kill counted apart), the viewers' latency p50/p95 over all their requests and per kind (goal p95 ≤ 1 s
on this machine), how the viewers' requests fared while Redis was down, and whether live updates resumed after it
came back (the live version advancing, and kept in Redis again). Figures printed, not asserted.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REDIS_SERVER = "/usr/bin/redis-server"
REDIS_DOWN_SECONDS = 3.0
WARM_SECONDS = 10.0  # the viewers' figures are printed apart from this on too: the opening rush is over
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
CARD_BODIES = '{"card":["ALL"],"type":"card-body"}'
REFRESH_OUTPUT = f"..cards.children...{CARD_BODIES}.children...{CARD_BODIES}.className...card-keys.data.."


def refresh_callback(version: int | None, keys: list[list[str]], search: str = "") -> dict[str, Any]:
    """The overview's per-card refresh as Chromium posts it when the live version changed to ``version``: the
    cards the page shows (``keys``, from its card-keys store, in the grid's order) as outputs and states."""
    bodies = [{"card": key, "type": "card-body"} for key, _ in keys]
    return {
        "output": REFRESH_OUTPUT,
        "outputs": [
            {"id": "cards", "property": "children"},
            [{"id": body, "property": "children"} for body in bodies],
            [{"id": body, "property": "className"} for body in bodies],
            {"id": "card-keys", "property": "data"},
        ],
        "inputs": [{"id": "data-version", "property": "data", "value": version}],
        "changedPropIds": ["data-version.data"],
        "parsedChangedPropsIds": ["data-version.data"],
        "state": [
            {"id": "url", "property": "search", "value": search},
            {"id": "card-keys", "property": "data", "value": keys},
            [
                {"id": body, "property": "id", "value": {"type": "card-body", "card": body["card"]}}
                for body in bodies
            ],
        ],
    }


def card_keys_in(content: object) -> list[list[str]] | None:
    """The card-keys store's data in a page's content (Dash's JSON of its components), None when absent."""
    if isinstance(content, list):
        for item in content:
            found = card_keys_in(item)
            if found is not None:
                return found
    elif isinstance(content, dict):
        props = content.get("props", {})
        if props.get("id") == "card-keys":
            return list(props.get("data") or [])
        return card_keys_in(props.get("children"))
    return None


@dataclass
class Tally:
    """What the clients saw."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    began: float = field(default_factory=time.monotonic)
    # the viewers' answered requests, (kind, started, seconds), and their 5xx or unanswered ones, (kind, started)
    requests: list[tuple[str, float, float]] = field(default_factory=list)
    failed: list[tuple[str, float]] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    cut: int = 0  # requests that got no answer (the killed worker's)
    committed: dict[int, tuple[str, list[tuple[str, str, str, float]]]] = field(default_factory=dict)
    uploads: int = 0
    upload_seconds: list[float] = field(default_factory=list)  # each answered upload request
    retries: int = 0
    grids_redrawn: int = 0
    cards_redrawn: int = 0

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


class PrivateRedis:
    """A redis-server of this test's own on a free loopback port, saving nothing, to be killed and restarted."""

    def __init__(self, folder: str) -> None:
        from tests.conftest import free_port

        self.folder, self.port = folder, free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = [
            REDIS_SERVER,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ]
        self.process = subprocess.Popen(
            [*args, "--dir", self.folder], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.client().ping()

    def client(self) -> Any:
        """A client that waits up to 10 s for the server to answer."""
        import redis
        from redis.backoff import ConstantBackoff
        from redis.retry import Retry

        errors = [redis.ConnectionError, redis.BusyLoadingError]
        return redis.Redis.from_url(self.url, retry=Retry(ConstantBackoff(0.1), 100), retry_on_error=errors)

    def kill(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@dataclass
class FaultLog:
    """What the faults did and when (time.monotonic())."""

    events: list[str] = field(default_factory=list)
    redis_down: tuple[float, float] | None = None  # killed, answering again
    resumed: str = "not tried"


def fresh_database(server: str) -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text('DROP DATABASE IF EXISTS "qtm_load" WITH (FORCE)'))
        connection.execute(text('CREATE DATABASE "qtm_load"'))
    return make_url(server).set(database="qtm_load").render_as_string(hide_password=False)


def regions_for(count: int) -> list[tuple[str, str]]:
    """(code, Chinese name) of ``count`` regions, for one reporter each: first the targets' own jurisdictions
    (the country, the provinces: their new values change the overview's cards, which the viewers then redraw),
    then regions below the provinces."""
    from qtm.registry import load_registry

    registry = load_registry()
    own = sorted({t.jurisdiction for t in registry.targets.values()})
    below = [r.code for r in registry.regions if r.parent not in (None, "100000") and r.code not in own]
    return [(code, registry.regions.get(code).name_zh) for code in [*own, *below][:count]]


def prepare(env: dict[str, str], regions: list[tuple[str, str]]) -> None:
    qtm = [str(ROOT / ".venv" / "bin" / "qtm")]
    subprocess.run([*qtm, "demo"], env=env, check=True, capture_output=True)
    for code, _ in regions:
        add = [*qtm, "users", "add", f"rep{code}", "--role", "reporter", "--region", code, "--password-stdin"]
        subprocess.run(add, env=env, input=PASSWORD + "\n", text=True, check=True, capture_output=True)


def login(server: str, name: str | None) -> Any:
    from tests.conftest import web_client

    return web_client(server, name, password=PASSWORD)


def reporter(server: str, code: str, name_zh: str, until: float, every: float, tally: Tally) -> None:
    """Upload new values for the region's manufacturing pass rate, 2010–2025: all reporters at once, again every
    ``every`` seconds (0: one return right after another)."""
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
        batch = upload(client, server, f"{code}-{round_}.csv", body.encode(), tally)
        if batch is not None:
            stored = [("manufacturing_pass_rate", code, period, round(value, 2)) for period, value in rows]
            tally.add(committed={batch: (code, stored)})
        tally.add(uploads=1)


def upload(client: Any, server: str, name: str, body: bytes, tally: Tally) -> int | None:
    """The batch id the server committed ``body`` as, trying up to 5 times; None when it did not commit."""
    import requests

    for _attempt in range(5):
        started = time.monotonic()
        try:
            answer = client.post(server + "/api/upload", files={"files": (name, body)}, timeout=120)
            tally.add(upload_seconds=time.monotonic() - started)
        except requests.RequestException:
            tally.add(cut=1, retries=1)
            continue
        if answer.status_code >= 500:
            tally.add(server_errors=f"upload {answer.status_code}", retries=1)
            continue
        result = answer.json()["files"][0]
        return int(result["batch"]) if result["status"] == "committed" else None
    return None


class Viewer:
    """An open overview. ``browser`` mode: the live version and the content on opening, then the version every
    ``every`` seconds and, when it changed, the per-card refresh with the card keys held (kept from its answer).
    ``full`` mode: the whole content again at every change (``every`` 0: over and over, no pause)."""

    def __init__(self, server: str, mode: str, every: float, tally: Tally) -> None:
        self.server, self.mode, self.every, self.tally = server, mode, every, tally
        self.client = login(server, None)
        self.version: int | None = None
        self.keys: list[list[str]] = []

    def run(self, until: float) -> None:
        import requests

        opened = False
        while time.monotonic() < until:
            started = time.monotonic()
            try:
                if not opened:
                    self.version = self.poll()
                    opened = self.open() is not None
                else:
                    self.follow()
            except requests.RequestException:
                self.tally.add(cut=1)
            time.sleep(max(0.0, started + self.every - time.monotonic()))

    def follow(self) -> None:
        """A tick: the version, and what the mode asks when it changed (the version is kept even when that fails,
        as the browser's store keeps it)."""
        version = self.poll() if self.every else None
        if self.every and version == self.version:
            return
        self.version = version
        if self.mode == "browser":
            self.refresh(version)
        else:
            self.open("content")

    def open(self, kind: str = "open") -> object:
        answer = self.post(kind, OVERVIEW_CALLBACK)
        if answer is not None:
            self.keys = card_keys_in(answer.get("_pages_content", {}).get("children")) or []
        return answer

    def refresh(self, version: int | None) -> object:
        answer = self.post("refresh", refresh_callback(version, self.keys))
        if answer:
            self.keys = answer.get("card-keys", {}).get("data", self.keys)
            redrawn = sum(1 for k in answer if k.startswith("{") and "children" in answer[k])
            self.tally.add(grids_redrawn=int("cards" in answer), cards_redrawn=redrawn)
        return answer

    def poll(self) -> int | None:
        state = [{"id": "data-version", "property": "data", "value": self.version}]
        answer = self.post("poll", {**VERSION_CALLBACK, "state": state})
        data = (answer or {}).get("data-version", {}).get("data")
        return int(data) if data is not None else self.version

    def post(self, kind: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Dash's "response" for ``payload`` ({} when nothing changed), None after a 5xx or no answer (counted)."""
        import requests

        started = time.monotonic()
        try:
            answer = self.client.post(self.server + "/_dash-update-component", json=payload, timeout=60)
        except requests.RequestException:
            self.tally.add(failed=(kind, started))
            raise
        if answer.status_code >= 500:
            self.tally.add(server_errors=f"{kind} {answer.status_code}", failed=(kind, started))
            return None
        self.tally.add(requests=(kind, started, time.monotonic() - started))
        return answer.json().get("response", {}) if answer.status_code == 200 else {}


def live_version(client: Any, server: str) -> int | None:
    answer = client.post(server + "/_dash-update-component", json=VERSION_CALLBACK, timeout=30)
    data = answer.json().get("response", {}).get("data-version", {}).get("data") if answer.ok else None
    return int(data) if data is not None else None


def workers_of(master: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True, check=False).stdout
    return [int(p) for p in found.split()]


def faults(
    server: str, master: int, redis_: PrivateRedis, until: float, seconds: float, log: FaultLog
) -> None:
    """A worker killed a third of the way in; Redis killed half way and started again 3 s later."""
    time.sleep(seconds / 3)
    victims = workers_of(master)
    if victims:
        os.kill(victims[0], signal.SIGKILL)
        log.events.append(f"killed worker {victims[0]} with SIGKILL at {seconds / 3:.0f} s")
    time.sleep(seconds / 6)
    probe = login(server, None)
    before = live_version(probe, server)
    killed = time.monotonic()
    redis_.kill()
    time.sleep(REDIS_DOWN_SECONDS)
    redis_.start()
    log.redis_down = (killed, time.monotonic())
    log.events.append(
        f"Redis killed with SIGKILL at {seconds / 2:.0f} s (live version then {before}), "
        f"answering again {log.redis_down[1] - killed:.1f} s later on the same port"
    )
    log.resumed = resumed(probe, server, redis_, until)


def resumed(probe: Any, server: str, redis_: PrivateRedis, until: float) -> str:
    """Whether live updates resumed after Redis came back: the live version advancing past the one seen then, and
    Redis holding it again (the workers share it through Redis once more, not only through the database)."""
    restarted = time.monotonic()
    at_restart = live_version(probe, server) or 0
    advanced: float | None = None
    while time.monotonic() < until + 15:
        now = live_version(probe, server) or 0
        if advanced is None and now > at_restart:
            advanced = time.monotonic() - restarted
        if advanced is not None and redis_version(redis_) >= now:
            shared = time.monotonic() - restarted
            return f"yes: {at_restart} → {now} {advanced:.1f} s after the restart, in Redis again at {shared:.1f} s"
        time.sleep(0.5)
    if advanced is None:
        return f"NO: still {at_restart} {time.monotonic() - restarted:.0f} s after the restart"
    return f"advanced {advanced:.1f} s after the restart, but Redis never held it again"


def redis_version(redis_: PrivateRedis) -> int:
    """The highest live version the private Redis holds (0: none)."""
    client = redis_.client()
    keys = client.keys("qtm:data-version:*")
    held = client.mget(keys) if keys else []
    return max((int(v) for v in held if v), default=0)


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


def parse_args() -> argparse.Namespace:
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
        "--viewer-mode", choices=("browser", "full"), default="browser", help="what a viewer asks at a change"
    )
    parser.add_argument(
        "--upload-every", type=float, default=10.0, help="seconds between a reporter's returns"
    )
    parser.add_argument("--poll-every", type=float, default=1.0, help="seconds between a viewer's polls")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory() as folder:
        redis_ = PrivateRedis(folder)
        redis_.start()
        try:
            serve(folder, redis_, args)
        finally:
            redis_.stop()


def serve(folder: str, redis_: PrivateRedis, args: argparse.Namespace) -> None:
    from tests.conftest import free_port, wait_for_port

    url = fresh_database(args.postgres)
    env = {
        **os.environ,
        "QTM_DATABASE_URL": url,
        "QTM_REDIS_URL": redis_.url,
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
            run(server, process.pid, redis_, url, regions, args)
        finally:
            process.terminate()
            process.wait(timeout=30)


def run(
    server: str,
    master: int,
    redis_: PrivateRedis,
    url: str,
    regions: list[tuple[str, str]],
    args: argparse.Namespace,
) -> None:
    tally, log = Tally(), FaultLog()
    viewers = [Viewer(server, args.viewer_mode, args.poll_every, tally) for _ in range(args.viewers)]
    probe = login(server, None)
    version_before = live_version(probe, server)
    tally.began = time.monotonic()
    until = tally.began + args.seconds
    threads = [threading.Thread(target=v.run, args=(until,)) for v in viewers]
    threads += [
        threading.Thread(target=reporter, args=(server, c, n, until, args.upload_every, tally))
        for c, n in regions
    ]
    if not args.no_faults:
        threads.append(
            threading.Thread(target=faults, args=(server, master, redis_, until, args.seconds, log))
        )
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    version_after = live_version(probe, server)
    report(tally, log, check_database(url, tally), regions, args)
    print(f"live version before → after    : {version_before} → {version_after} (it must advance)")


def percentiles(seconds: list[float]) -> str:
    if not seconds:
        return "0"
    ordered = sorted(seconds)
    p50, p95 = ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"{len(ordered)}, p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms"


def report(
    tally: Tally, log: FaultLog, database: tuple[int, int, int], regions: list[Any], args: argparse.Namespace
) -> None:
    lost, doubled, partial = database
    for event in log.events:
        print(f"fault: {event}")
    print(
        f"{args.workers} workers · {len(regions)} reporters · {args.viewers} viewers ({args.viewer_mode} mode) · "
        f"{args.seconds:.0f} s"
    )
    print(f"uploads {tally.uploads} ({tally.retries} retried), batches committed {len(tally.committed)}")
    print(f"upload requests answered       : {percentiles(tally.upload_seconds)}")
    print(f"observations lost              : {lost}  (goal 0)")
    print(f"observations stored twice      : {doubled}  (goal 0)")
    print(f"partial batches visible        : {partial}  (goal 0)")
    errors = sorted(set(tally.server_errors))
    print(f"server errors (5xx)            : {len(tally.server_errors)}  (goal 0) {errors}")
    print(f"requests cut by the kill       : {tally.cut}")
    viewer_latencies(tally, args.viewer_mode)
    if log.redis_down is not None:
        outage(tally, log)


def viewer_latencies(tally: Tally, mode: str) -> None:
    """p50/p95 of the viewers' requests: all, those once the opening rush is over, and per kind."""
    warm, done = tally.began + WARM_SECONDS, tally.requests
    last = ("refresh", "card refreshes") if mode == "browser" else ("content", "whole content again")
    rows = [
        ("viewer requests, all", [s for _, _, s in done]),
        (f"  from {WARM_SECONDS:.0f} s on", [s for _, started, s in done if started >= warm]),
        *[
            (f"  {name}", [s for k, _, s in done if k == kind])
            for kind, name in (("open", "opening"), ("poll", "version polls"), last)
        ],
    ]
    for name, seconds in rows:
        print(f"{name:<31}: {percentiles(seconds)}{'' if name.startswith(' ') else '  (goal p95 ≤ 1000 ms)'}")
    if mode == "browser":
        print(f"  refreshes redrew             : {tally.grids_redrawn} grids, {tally.cards_redrawn} cards")


def outage(tally: Tally, log: FaultLog) -> None:
    """How the viewers' requests started while Redis was down fared, and whether live updates came back."""
    assert log.redis_down is not None
    down, up = log.redis_down
    answered = [s for _, started, s in tally.requests if down <= started < up]
    failed = [kind for kind, started in tally.failed if down <= started < up]
    print(
        f"while Redis was down ({up - down:.1f} s): viewer requests answered {percentiles(answered)}; "
        f"failed {len(failed)}"
    )
    print(f"live updates resumed after     : {log.resumed}")


if __name__ == "__main__":
    main()
