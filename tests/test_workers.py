"""``qtm serve --workers N``: a real gunicorn with two workers, over PostgreSQL and Redis (and over SQLite with Redis
gone): requests spread over both workers, one login valid on every worker, an upload seen by every worker's live
version at once, login throttling counted across workers, a killed worker replaced while the server keeps answering,
and the database answering when Redis does not."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.conftest import empty_redis, free_port, prepared, run_qtm, served, web_client

WORKER = "X-QTM-Worker"
REDIS_DB = 11  # a database of its own on the shared Redis, flushed first; never 0
LOGIN_LIMIT = 5
#: A return for Lanzhou: the value differs per call, so that each one stores a batch.
RETURN = "指标名称,地区,统计期,数值,计量单位\n制造业产品质量合格率,兰州市,2025,{value},%\n"


@contextlib.contextmanager
def workers(folder: Path, database_url: str, env: dict[str, str]) -> Iterator[tuple[str, dict[str, str]]]:
    """``qtm serve --workers 2`` on a free port over ``database_url`` loaded by ``qtm demo``, with the ACCOUNTS;
    its log goes to ``folder/server.log``. Yields the URL and the environment it runs with."""
    settings = prepared(
        folder,
        {
            "QTM_DATABASE_URL": database_url,
            "QTM_DEBUG_WORKER_HEADER": "1",
            "QTM_ANONYMOUS_VIEW": "0",
            "QTM_LOGIN_LIMIT": f"{LOGIN_LIMIT} per minute",
            "QTM_LIVE_SECONDS": "1",
            **env,
        },
    )
    assert not (folder / "secret_key").exists()  # made by the master, once, before any worker starts
    with served(folder, settings, ("--workers", "2", "--threads", "4")) as url:
        yield url, settings


def client(server: str, name: str | None = None) -> requests.Session:
    """A client (logged in as ``name`` unless None) that opens a new connection for every request, so that its
    requests go to whichever worker accepts them, not to the one a kept-alive connection stays with."""
    session = web_client(server, name, fresh_connections=True)
    if name is not None:
        session.login_worker = session.login_answer.headers[WORKER]
    return session  # type: ignore[no-any-return]


def spread(request: Callable[[], requests.Response], n: int = 60) -> list[requests.Response]:
    """``n`` answers to ``request``, eight at a time (so that both workers take some)."""
    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(lambda _: request(), range(n)))


def worker_pids(answers: list[requests.Response]) -> set[int]:
    return {int(a.headers[WORKER]) for a in answers}


def overview(session: requests.Session, server: str) -> requests.Response:
    return session.get(server + "/", timeout=30, allow_redirects=False)


def live_version(session: requests.Session, server: str) -> requests.Response:
    """The dashboard's live poll (``watch_data``), as an open page sends it, knowing no version yet."""
    body = {
        "output": "data-version.data",
        "outputs": {"id": "data-version", "property": "data"},
        "inputs": [{"id": "live-tick", "property": "n_intervals", "value": 1}],
        "changedPropIds": ["live-tick.n_intervals"],
        "state": [{"id": "data-version", "property": "data", "value": None}],
    }
    return session.post(server + "/_dash-update-component", json=body, timeout=30)


def versions(answers: list[requests.Response]) -> set[int]:
    assert all(a.status_code == 200 for a in answers), {a.status_code for a in answers}
    return {int(a.json()["response"]["data-version"]["data"]) for a in answers}


def both_workers(
    request: Callable[[], requests.Response], pids: set[int] | None = None
) -> list[requests.Response]:
    """Answers to ``request`` until two workers (both of ``pids`` when given) have answered; at most 600."""
    answers: list[requests.Response] = []
    while len(answers) < 600:
        answers += spread(request, 40)
        seen = worker_pids(answers)
        if (pids is None and len(seen) >= 2) or (pids is not None and pids <= seen):
            return answers
    pytest.fail(f"600 requests all went to {worker_pids(answers)}")


@pytest.fixture
def redis_url() -> str:
    """A Redis database of this test's own, emptied first."""
    return empty_redis(REDIS_DB)


@pytest.mark.postgres
def test_two_workers_over_postgresql_and_redis(tmp_path, postgres_url, redis_url):
    import redis

    from qtm.signals import key_for
    from qtm.store import Store

    with workers(tmp_path, postgres_url, {"QTM_REDIS_URL": redis_url}) as (server, env):
        assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600

        # Anonymous visitors are sent to the login page by every worker.
        anonymous = client(server)
        answers = both_workers(lambda: overview(anonymous, server))
        assert {a.status_code for a in answers} == {302}
        pids = worker_pids(answers)

        # One login, made on one worker, is valid on both: the session cookie is signed with the one key.
        admin = client(server, "admin")
        answers = both_workers(lambda: overview(admin, server), pids)
        assert {a.status_code for a in answers} == {200}, {a.status_code for a in answers}
        assert worker_pids(answers) - {int(admin.login_worker)}  # type: ignore[attr-defined]

        # An upload through one worker: every worker's live version is the new batch at once.
        before = versions(both_workers(lambda: live_version(admin, server), pids))
        uploaded = admin.post(
            server + "/api/upload",
            files={"files": ("lanzhou.csv", RETURN.format(value="94.7").encode())},
            timeout=60,
        )
        assert uploaded.status_code == 200, uploaded.text[:500]
        batch = uploaded.json()["files"][0]["batch"]
        assert len(before) == 1 and batch > before.pop()
        store = Store.open(postgres_url, migrate=False)
        key = key_for(store)
        store.engine.dispose()
        assert (
            int(redis.Redis.from_url(redis_url).get(key) or 0) == batch
        )  # published by the worker that stored it
        answers = both_workers(lambda: live_version(admin, server), pids)
        assert versions(answers) == {batch}

        # A commit made outside the server (the command line publishes nothing) shows within a second or so.
        path = tmp_path / "lanzhou-2.csv"
        path.write_text(RETURN.format(value="94.9"), encoding="utf-8")
        ingested = run_qtm("ingest", str(path), "--json", env=env)
        assert ingested.returncode == 0, ingested.stderr
        deadline = time.monotonic() + 10
        while versions(spread(lambda: live_version(admin, server), 16)) != {batch + 1}:
            assert time.monotonic() < deadline, "the command line's batch never showed"
            time.sleep(0.2)

        # Kill -9 one worker: gunicorn starts another, and the server answers all along.
        killed = max(pids)
        os.kill(killed, signal.SIGKILL)
        answers = spread(lambda: overview(admin, server), 80)
        assert {a.status_code for a in answers} == {200}
        assert killed not in worker_pids(answers)
        deadline = time.monotonic() + 60
        while len(worker_pids(answers := spread(lambda: overview(admin, server), 40)) - {killed}) < 2:
            assert {a.status_code for a in answers} == {200}
            assert time.monotonic() < deadline, "no new worker replaced the one killed"
        replacement = worker_pids(answers) - pids
        assert len(replacement) == 1
        new = both_workers(lambda: live_version(admin, server), worker_pids(answers))
        assert versions(new) == {batch + 1}  # the new worker sees the same data and the same session

        # Failed logins are counted in Redis, across workers: the limit holds whichever worker is asked.
        throttled_across = _fail_logins_until_throttled_across_workers(server)
        assert throttled_across, "no worker refused a login the other had counted"
    log = (tmp_path / "server.log").read_text()
    assert "Traceback" not in log, log[-3000:]


def _csrf(session: requests.Session, server: str) -> str:
    token = re.search(r'name="csrf_token" value="([^"]+)"', session.get(server + "/login", timeout=30).text)
    assert token is not None
    return token.group(1)


def _fail_logins_until_throttled_across_workers(server: str) -> bool:
    """Wrong passwords, one after another on new connections, until a worker refuses (429) while it had answered
    fewer than LOGIN_LIMIT of the failures itself: only a count shared by the workers can do that."""
    session = client(server)
    token = re.search(r'name="csrf_token" value="([^"]+)"', session.get(server + "/login", timeout=30).text)
    assert token is not None
    failed_by: dict[int, int] = {}
    codes = []
    for _ in range(60):
        answer = session.post(
            server + "/login",
            data={"username": "admin", "password": "wrong password", "csrf_token": token.group(1)},
            timeout=30,
            allow_redirects=False,
        )
        codes.append(answer.status_code)
        pid = int(answer.headers[WORKER])
        if answer.status_code == 401:
            failed_by[pid] = failed_by.get(pid, 0) + 1
        assert codes.count(401) <= LOGIN_LIMIT, codes
        if answer.status_code == 429 and failed_by.get(pid, 0) < LOGIN_LIMIT:
            assert codes == [401] * LOGIN_LIMIT + [429] * (len(codes) - LOGIN_LIMIT), codes
            return True
    return False


def test_two_workers_over_sqlite_answer_from_the_database_when_redis_is_gone(tmp_path):
    """QTM_REDIS_URL names a port where nothing listens (Redis down): pages answer, and the live version comes from
    the database, advancing with each commit."""
    url = f"sqlite:///{tmp_path / 'qtm.sqlite'}"
    gone = {"QTM_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0", "QTM_PROXY_HOPS": "1"}
    with workers(tmp_path, url, gone) as (server, env):
        viewer = client(server, "viewer")
        answers = both_workers(lambda: overview(viewer, server))
        assert {a.status_code for a in answers} == {200}
        pids = worker_pids(answers)
        before = versions(both_workers(lambda: live_version(viewer, server), pids))
        assert len(before) == 1
        for number, value in enumerate(("94.7", "94.9"), start=1):
            path = tmp_path / f"lanzhou-{number}.csv"
            path.write_text(RETURN.format(value=value), encoding="utf-8")
            ingested = run_qtm("ingest", str(path), env=env)
            assert ingested.returncode == 0, ingested.stderr
            answers = both_workers(lambda: live_version(viewer, server), pids)
            assert versions(answers) == {next(iter(before)) + number}

        # Logging in still works (throttling counts in memory meanwhile), and behind one proxy (QTM_PROXY_HOPS=1)
        # the audit records the address the proxy passes on.
        assert client(server, "admin").get(server + "/", timeout=30).status_code == 200
        stranger = client(server)
        refused = stranger.post(
            server + "/login",
            data={"username": "admin", "password": "wrong password", "csrf_token": _csrf(stranger, server)},
            headers={"X-Forwarded-For": "203.0.113.9"},
            timeout=30,
        )
        assert refused.status_code == 401
        audit = json.loads(run_qtm("audit", "--json", env=env).stdout)
        assert [e["address"] for e in audit if e["action"] == "login_failed"] == ["203.0.113.9"]
    log = (tmp_path / "server.log").read_text()
    assert "Redis unavailable" in log and "Traceback" not in log, log[-3000:]


def test_a_port_already_taken_is_one_line(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {"QTM_DATABASE_URL": f"sqlite:///{tmp_path / 'qtm.sqlite'}"}
        answer = run_qtm("serve", "--workers", "2", "--port", str(port), env=env, timeout=60)
    assert answer.returncode == 1
    assert answer.stderr.strip().splitlines() == [
        f"qtm: error: port {port} on 127.0.0.1 is already in use (another qtm serve?); stop it or choose another --port"
    ]


def test_threads_need_workers(tmp_path):
    answer = run_qtm(
        "serve", "--threads", "4", env={"QTM_DATABASE_URL": f"sqlite:///{tmp_path / 'q.sqlite'}"}
    )
    assert answer.returncode == 2 and "--threads needs --workers" in answer.stderr


@pytest.fixture
def signal_redis() -> Iterator[str]:
    """Another Redis database of this module's own (the served test flushes REDIS_DB), emptied first and after."""
    url = empty_redis(REDIS_DB + 1)
    yield url
    empty_redis(REDIS_DB + 1)


def test_the_live_version_is_shared_never_goes_back_and_expires(sqlite_url, signal_redis):
    import redis

    from qtm.signals import REFRESH_SECONDS, LiveVersion
    from qtm.store import Store

    store = Store.open(sqlite_url)
    one, other = LiveVersion(store, signal_redis), LiveVersion(store, signal_redis)
    assert one.shared and one.latest() == 0  # from the database, then kept in Redis
    one.publish(7)
    assert other.latest() == 7  # another process sees what one published, without asking the database
    other.publish(5)  # a publisher that raced and lost
    assert one.latest() == 7
    assert 0 < redis.Redis.from_url(signal_redis).pttl(one.key) <= REFRESH_SECONDS * 1000
    time.sleep(REFRESH_SECONDS + 0.2)
    assert one.latest() == 0  # expired: the database is the truth again
    store.engine.dispose()


def test_without_redis_the_database_answers(sqlite_url):
    from qtm.signals import LiveVersion
    from qtm.store import Store

    store = Store.open(sqlite_url)
    for url in (None, f"redis://127.0.0.1:{free_port()}/0", "memcached://nowhere"):
        live = LiveVersion(store, url)
        live.publish(9)  # nothing to tell, nothing raised
        assert live.latest() == store.data_version() == 0
    store.engine.dispose()
