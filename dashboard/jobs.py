"""Long work off the web workers: checking and storing uploaded returns, drawing report packs. They run as Dash
background callbacks (the page polls for the result; the worker's thread is free meanwhile).

- One machine (the default; QTM_JOBS unset or ``diskcache``): each job runs in a process of its own, forked from
  the worker that was asked; its result waits in QTM_JOBS_DIR (default ``data/jobs/``), a diskcache that every
  worker of the machine shares, so that whichever worker the page's next poll reaches can answer it.
- At scale (QTM_JOBS=celery, with QTM_REDIS_URL): Celery, with Redis as broker and result store; jobs run in
  ``qtm worker`` processes, on any machine that has the same code, settings and QTM_STAGING_DIR (docs/deploy.md).

A job runs inside the request that started it, rebuilt from what Dash hands every job (the cookies, the browser's
headers, the client's address): who asks, in which language and from where are read from them by the same code as
in any request. The login, the role and the regions are checked again in the job — never taken from the page.
"""

from __future__ import annotations

import fcntl
import functools
import os
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from dash import State, ctx, dcc
from dash.background_callback.managers import BaseBackgroundCallbackManager
from flask import Flask

from dashboard.export import exporter
from qtm import PROJECT_ROOT
from qtm.errors import ConfigError

P = ParamSpec("P")
R = TypeVar("R")

DEFAULT_FOLDER = PROJECT_ROOT / "data" / "jobs"
#: Seconds a finished job's result waits for the page to collect it.
RESULT_SECONDS = 3600
#: What a job keeps of its request's headers: the session and language cookies, and the browser (Flask-Login's
#: session protection compares it), and the host the page was served under.
_KEPT_HEADERS = ("cookie", "user-agent", "accept-language", "host")

_servers: list[Flask] = []

#: Every background callback takes this State: a token made for each page load. Dash names a job after its
#: arguments; without it, two officials pressing the same button on the same data (or previewing the same file) at
#: once would share one job, and one of them would never get its result — or would get the other's.
OWN_PAGE = State("page-id", "data")


def page_id() -> dcc.Store:
    """The page load's token (in the shell of every page)."""
    return dcc.Store(id="page-id", data=secrets.token_urlsafe(16))


def kind() -> str:
    """``diskcache`` or ``celery`` (QTM_JOBS); anything else is a one-line configuration error."""
    chosen = (os.environ.get("QTM_JOBS") or "diskcache").strip().lower()
    if chosen not in ("diskcache", "celery"):
        raise ConfigError(
            f"QTM_JOBS must be diskcache (one machine) or celery (with QTM_REDIS_URL), not {chosen!r}"
        )
    return chosen


@functools.cache
def manager() -> BaseBackgroundCallbackManager:
    """The process's background callback manager, made once (Dash registers every callback with every manager)."""
    if kind() == "celery":
        from dash import CeleryManager

        return CeleryManager(celery_app(), expire=RESULT_SECONDS)
    import diskcache
    from dash import DiskcacheManager

    slots()  # a wrong QTM_JOB_SLOTS stops the server now, in one line, not each job later
    folder = jobs_folder()
    folder.mkdir(parents=True, exist_ok=True)
    return DiskcacheManager(diskcache.Cache(str(folder)), expire=RESULT_SECONDS)


def jobs_folder() -> Path:
    return Path(os.environ.get("QTM_JOBS_DIR") or DEFAULT_FOLDER)


@functools.cache
def celery_app() -> Any:
    """The Celery application of this process: Redis at QTM_REDIS_URL as broker and result store, JSON only."""
    url = os.environ.get("QTM_REDIS_URL")
    if not url:
        raise ConfigError("QTM_JOBS=celery needs QTM_REDIS_URL: Redis is Celery's broker and result store")
    from celery import Celery

    app = Celery("qtm", broker=url, backend=url)
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_expires=RESULT_SECONDS,
        worker_prefetch_multiplier=1,  # a long job does not hold others back in one worker's queue
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )
    return app


def check_settings() -> None:
    """QTM_JOBS, QTM_JOB_SLOTS and, for Celery, QTM_REDIS_URL: a one-line :class:`ConfigError` when one is wrong
    (checked before any worker starts, without opening anything)."""
    if kind() == "celery" and not os.environ.get("QTM_REDIS_URL"):
        raise ConfigError("QTM_JOBS=celery needs QTM_REDIS_URL: Redis is Celery's broker and result store")
    slots()


def broker_text() -> str:
    """Celery's broker, without its password."""
    from sqlalchemy.engine import make_url

    return make_url(str(celery_app().conf.broker_url)).render_as_string(hide_password=True)


def check_broker() -> None:
    """A one-line :class:`ConfigError` when Celery's Redis does not answer (rather than retrying for ever)."""
    import redis

    try:
        redis.Redis.from_url(str(celery_app().conf.broker_url), socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        raise ConfigError(f"cannot reach Redis at {broker_text()} for background jobs: {exc}") from None


def attach(server: Flask) -> None:
    """The Flask server whose requests this process's jobs are rebuilt in (the app factory calls this)."""
    _servers.append(server)


def in_request(body: Callable[P, R]) -> Callable[P, R]:
    """Run a background callback's ``body`` in the request that started the job (see the module's text)."""

    @functools.wraps(body)
    def job(*args: P.args, **kwargs: P.kwargs) -> R:
        # A job forked on this machine still carries the request it was forked in, as the thread had it; it is
        # rebuilt all the same, so that a job runs alike wherever it runs.
        with _slot(), _request_of_job():
            return body(*args, **kwargs)

    return job


def slots() -> int:
    """How many jobs of one machine run at once (QTM_JOB_SLOTS, default: one per CPU core); the others wait their
    turn, so that a burst of packs or uploads cannot start a Chromium and a process each beyond what it can hold.
    Celery workers are bounded by their ``--concurrency`` instead."""
    text = os.environ.get("QTM_JOB_SLOTS") or str(os.cpu_count() or 1)
    try:
        return max(1, int(text))
    except ValueError:
        raise ConfigError(f"QTM_JOB_SLOTS must be a whole number of jobs, not {text!r}") from None


@contextmanager
def _slot() -> Iterator[None]:
    """One of the machine's job slots, held while the job runs: a lock on a file in QTM_JOBS_DIR, shared by every
    worker's jobs, and let go by the system if the job's process dies."""
    if kind() == "celery":
        yield
        return
    folder = jobs_folder() / "slots"
    folder.mkdir(parents=True, exist_ok=True)
    while True:
        for number in range(slots()):
            with (folder / str(number)).open("a") as file:
                try:
                    fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue
                try:
                    yield
                finally:
                    exporter.close()  # this job's Chromium ends before the next job may start one
                return
        time.sleep(0.2)


@contextmanager
def _request_of_job() -> Iterator[None]:
    if not _servers:
        raise RuntimeError(
            "no dashboard app in this process: jobs run where dashboard.app.create_app was called"
        )
    headers = {name: value for name, value in (ctx.headers or {}).items() if name.lower() in _KEPT_HEADERS}
    with _servers[-1].test_request_context(
        "/_dash-update-component",
        method="POST",
        headers=headers,
        environ_base={"REMOTE_ADDR": ctx.remote or "0.0.0.0"},
    ):
        yield
