"""Shared fixtures: the real registry, real databases (SQLite always, PostgreSQL when it runs), a real server."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import create_engine, text

from qtm import PROJECT_ROOT
from qtm.registry import Registry, load_registry
from qtm.store import Store

# Property tests are deterministic: the same examples every run, so that CI never fails by chance. A failure found
# while exploring (HYPOTHESIS_PROFILE=explore: random and more examples) is pinned in its test with @example.
settings.register_profile(
    "deterministic",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "explore", settings.get_profile("deterministic"), derandomize=False, max_examples=2000
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))

TESTS = Path(__file__).parent


@pytest.fixture(autouse=True)
def _no_files_in_the_repository(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Originals of uploads and staged files go to a temporary folder, never into the repository's data/."""
    folder = tmp_path_factory.mktemp("files")
    monkeypatch.setenv("QTM_ORIGINALS_DIR", os.environ.get("QTM_ORIGINALS_DIR") or str(folder / "originals"))
    monkeypatch.setenv("QTM_STAGING_DIR", os.environ.get("QTM_STAGING_DIR") or str(folder / "staging"))


SHARED = Path(os.environ.get("QTM_SHARED", PROJECT_ROOT.parent / "shared"))
REQUIRE_SERVICES = os.environ.get("QTM_REQUIRE_SERVICES") == "1"
POSTGRES_URL = os.environ.get("QTM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
QTM = [sys.executable, "-m", "qtm_command.cli"]


def service_missing(what: str, why: str) -> None:
    """Skip, or fail under QTM_REQUIRE_SERVICES=1 (CI), when a service a test needs is not there."""
    message = f"{what} is not available ({why})"
    if REQUIRE_SERVICES:
        pytest.fail(f"{message}; QTM_REQUIRE_SERVICES=1 requires it")
    pytest.skip(f"{message}; set QTM_REQUIRE_SERVICES=1 to make this a failure")


@pytest.fixture(scope="session")
def registry() -> Registry:
    return load_registry()


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The PostgreSQL URL, after checking the server answers."""
    try:
        engine = create_engine(POSTGRES_URL)
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:
        service_missing("PostgreSQL at " + POSTGRES_URL, str(exc).splitlines()[0])
    return POSTGRES_URL


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A URL whose search_path is a fresh schema of its own, dropped afterwards."""
    schema = f"qtm_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_server)
    with admin.begin() as connection:
        connection.execute(text(f'create schema "{schema}"'))
    separator = "&" if "?" in postgres_server else "?"
    yield f"{postgres_server}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(text(f'drop schema "{schema}" cascade'))
    admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'qtm.sqlite'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each test that takes this runs once on SQLite and once on PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(name))


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    opened = Store.open(database_url)
    yield opened
    opened.engine.dispose()


def run_qtm(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the real ``qtm`` command in a subprocess."""
    return subprocess.run(
        [*QTM, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"server exited with {process.returncode}: {process.stderr.read() if process.stderr else ''}"
            )
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listening on port {port} after {timeout} s")


#: Accounts the served test dashboards have: (name, role, regions). Every password is PASSWORD.
ACCOUNTS = (
    ("admin", "admin", ()),
    ("viewer", "viewer", ()),
    ("lanzhou", "reporter", ("620100",)),
    ("shanghai", "reporter", ("310000",)),
)
PASSWORD = "correct horse battery staple"


def add_user(env: dict[str, str], name: str, role: str, regions: tuple[str, ...] = ()) -> None:
    """``qtm users add`` with the password on standard input, as an operator would."""
    args = [*QTM, "users", "add", name, "--role", role, "--password-stdin"]
    for code in regions:
        args += ["--region", code]
    added = subprocess.run(
        args, input=PASSWORD + "\n", capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert added.returncode == 0, added.stderr


def served_settings(folder: Path, env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a served test dashboard (and of its `qtm worker`) whose files live in ``folder``."""
    return {
        **os.environ,
        "QTM_DATABASE_URL": f"sqlite:///{folder / 'qtm.sqlite'}",
        "QTM_STAGING_DIR": str(folder / "staging"),
        "QTM_ORIGINALS_DIR": str(folder / "originals"),
        "QTM_SECRET_KEY_FILE": str(folder / "secret_key"),
        "QTM_JOBS_DIR": str(folder / "jobs"),
        **(env or {}),
    }


def prepared(folder: Path, env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a served test dashboard whose files live in ``folder``, its database loaded by
    ``qtm demo`` and holding the ACCOUNTS."""
    settings = served_settings(folder, env)
    loaded = subprocess.run(
        [*QTM, "demo"], capture_output=True, text=True, env=settings, timeout=120, check=False
    )
    assert loaded.returncode == 0, loaded.stderr
    for name, role, regions in ACCOUNTS:
        add_user(settings, name, role, regions)
    return settings


@contextlib.contextmanager
def served(folder: Path, settings: dict[str, str], args: tuple[str, ...] = ()) -> Iterator[str]:
    """A real ``qtm serve [args]`` with ``settings`` on a free port; its log goes to ``folder/server.log`` (a pipe
    nobody reads would fill and stall the server)."""
    port = free_port()
    with (folder / "server.log").open("w") as log:
        process = subprocess.Popen(
            [*QTM, "serve", "--port", str(port), *args],
            env=settings,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            wait_for_port(port, process)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(timeout=30)


@contextlib.contextmanager
def serving(folder: Path, env: dict[str, str] | None = None, args: tuple[str, ...] = ()) -> Iterator[str]:
    """A real ``qtm serve [args]`` over a fresh SQLite database in ``folder`` loaded by ``qtm demo``, with the
    ACCOUNTS."""
    with served(folder, prepared(folder, env), args) as url:
        yield url


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A served dashboard over the demo data, for tests that only read."""
    with serving(tmp_path_factory.mktemp("demo")) as url:
        yield url


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    """The system Chromium, driven by Playwright (never a browser Playwright downloads)."""
    import shutil

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.fail("Chromium is missing: run `scripts/system-deps.sh` (as root) or install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    """A fresh page at 1366×768; the test fails if the browser console shows any error on it."""
    opened = browser.new_page(viewport={"width": 1366, "height": 768})
    errors: list[str] = []
    opened.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    opened.on("pageerror", lambda e: errors.append(str(e)))
    yield opened
    opened.close()
    assert errors == [], f"errors in the browser console: {errors}"


def web_client(server: str, name: str | None, *, password: str = PASSWORD, fresh_connections: bool = False):  # type: ignore[no-untyped-def]
    """A ``requests`` session logged in through the login form as ``name`` (None: anonymous), carrying the CSRF
    header as the dashboard's pages do; ``fresh_connections``: a new connection for every request (so that they
    spread over a server's workers). Its ``login_answer`` is the login form's answer (None when anonymous)."""
    import re

    import requests

    client = requests.Session()
    if fresh_connections:
        client.headers["Connection"] = "close"
    page = client.get(server + "/login", timeout=30)
    client.login_answer = None  # type: ignore[attr-defined]
    if name is not None:
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token is not None
        answer = client.post(
            server + "/login",
            data={"username": name, "password": password, "csrf_token": token.group(1)},
            timeout=30,
            allow_redirects=False,
        )
        assert answer.status_code == 302, answer.text[:300]
        client.login_answer = answer  # type: ignore[attr-defined]
    client.headers["X-CSRFToken"] = client.cookies.get("_csrf_token", "")
    return client


def empty_redis(database: int) -> str:
    """The URL of database ``database`` (never 0) of the local Redis, emptied; a missing Redis is reported by
    :func:`service_missing`."""
    assert database != 0
    url = f"redis://127.0.0.1:6379/{database}"
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=2).flushdb()
    except Exception as exc:
        service_missing("Redis at 127.0.0.1:6379", str(exc).splitlines()[0])
    return url


def log_in(page, server: str, name: str) -> None:
    """Log ``page`` in through the login form, as a person would."""
    page.goto(server + "/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#account-name")
