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

The machine's job slots (QTM_JOB_SLOTS) are also taken by the checks of returns sent to ``/api/upload``: such a
request waits at most QTM_SLOT_WAIT seconds for one (:func:`slot`, :class:`Busy` beyond), and checks each file in a
child process whose memory is bounded by QTM_CHECK_MB (:func:`bounded`, :class:`OutOfMemory` beyond it), so that
the web worker never holds a check's memory and the machine holds at most slots × bound for checks.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import pickle
import resource
import secrets
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ParamSpec, TypeVar, cast

from dash import State, ctx, dcc
from dash.background_callback.managers import BaseBackgroundCallbackManager
from flask import Flask

from qtm.config import current as settings
from qtm.errors import ConfigError, QtmError
from reports.export import exporter

P = ParamSpec("P")
R = TypeVar("R")

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
    """``diskcache`` or ``celery`` (QTM_JOBS, checked by the settings)."""
    return settings().jobs


@functools.cache
def manager() -> BaseBackgroundCallbackManager:
    """The process's background callback manager, made once (Dash registers every callback with every manager)."""
    slot_wait()  # a wrong QTM_SLOT_WAIT or QTM_CHECK_MB stops the server now, in one line, not each upload later
    check_memory()
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
    return settings().jobs_dir


@functools.cache
def celery_app() -> Any:
    """The Celery application of this process: Redis at QTM_REDIS_URL as broker and result store, JSON only."""
    url = settings().redis_url
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
    """QTM_JOBS, QTM_JOB_SLOTS, QTM_SLOT_WAIT, QTM_CHECK_MB and, for Celery, QTM_REDIS_URL: a one-line
    :class:`ConfigError` when one is wrong (checked before any worker starts, without opening anything)."""
    settings()


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
    Celery workers are bounded by their ``--concurrency`` instead. The checks of ``/api/upload`` take these slots
    too, whatever QTM_JOBS says (they run on the web server)."""
    return settings().job_slots


def slot_wait() -> float:
    """Seconds a request waits for a slot before it is answered 503 (QTM_SLOT_WAIT, default 30)."""
    return settings().slot_wait


def check_memory() -> int:
    """Bytes of memory one check of a return may take beyond the process it starts from (QTM_CHECK_MB; default
    160 MB per million cells of QTM_MAX_CELLS, at least 256 MB: bench/upload_load.py measures the largest return
    the default limits let through at about 530 MB)."""
    return settings().check_bytes


class Busy(QtmError):
    """Every slot of the machine stayed taken for as long as the request may wait."""

    code = "busy"
    status = 503

    def __init__(self, waited: float) -> None:
        super().__init__(
            "the server is busy checking other returns: try again shortly",
            "服务器正忙：检查报表的名额都在使用中，请稍后重试",
        )
        self.waited = waited


class OutOfMemory(QtmError):
    """The work needed more memory than it may use (``limit`` bytes), and was stopped."""

    code = "out_of_memory"
    status = 503

    def __init__(self, limit: int, how: str) -> None:
        megabytes = f"{limit / 1048576:.0f} MB"
        super().__init__(
            f"stopped at its memory limit of {megabytes} ({how})",
            f"已达内存上限 {megabytes}，已停止（{how}）",
        )
        self.limit, self.how = limit, how


#: The slot files this process holds locked. A forked child closes its copies at once: a slot is its taker's,
#: and a child that kept the copy (a job forked while a request checks a file) would hold the slot until it ends.
_held: set[int] = set()
_held_lock = threading.Lock()


def _forget_held_slots() -> None:
    global _held_lock
    _held_lock = threading.Lock()  # another thread may have held it at the fork
    for descriptor in list(_held):
        with contextlib.suppress(OSError):
            os.close(descriptor)  # the parent's lock stays: it is released when the parent's copy is closed
    _held.clear()


os.register_at_fork(after_in_child=_forget_held_slots)


@contextmanager
def slot(wait: float | None = None) -> Iterator[None]:
    """One of the machine's slots, held until the block ends: a lock on a file in QTM_JOBS_DIR/slots, shared by
    every worker of the machine and let go by the system if the process dies. ``wait``: seconds to wait at most
    (then :class:`Busy`); None: as long as it takes."""
    folder = jobs_folder() / "slots"
    folder.mkdir(parents=True, exist_ok=True)
    deadline = None if wait is None else time.monotonic() + wait
    while True:
        for number in range(slots()):
            with (folder / str(number)).open("a") as file:
                try:
                    fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue
                with _held_lock:
                    _held.add(file.fileno())
                try:
                    yield
                finally:
                    with _held_lock:
                        _held.discard(file.fileno())
                return
        if deadline is not None and time.monotonic() >= deadline:
            raise Busy(wait or 0.0)
        time.sleep(0.2 if deadline is None else max(0.0, min(0.2, deadline - time.monotonic())))


@contextmanager
def _slot() -> Iterator[None]:
    """A background job's slot (it waits as long as it takes); Celery's workers are bounded by their concurrency."""
    if kind() == "celery":
        yield
        return
    with slot():
        try:
            yield
        finally:
            exporter.close()  # this job's Chromium ends before the next job may start one


def bounded(work: Callable[[], R], memory: int) -> R:
    """``work()`` run in a child process forked from this one, its data (heap and private mappings) limited to
    ``memory`` bytes beyond what it starts with; what it returns (small: it goes through a pipe) is returned here.
    A child that runs out of that memory raises :class:`OutOfMemory` here; this process keeps none of it."""
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(reader)
        _run_child(work, memory, writer)  # never returns
    os.close(writer)
    with os.fdopen(reader, "rb") as pipe:
        sent = pipe.read()
    _, status = os.waitpid(child, 0)
    outcome, value = pickle.loads(sent) if sent else ("ended", _how_it_ended(status))
    if outcome == "done":
        return cast(R, value)
    if outcome == "failed":
        raise RuntimeError(f"the check failed in its process:\n{value}")
    raise OutOfMemory(memory, str(value))


def _run_child(work: Callable[[], Any], memory: int, writer: int) -> None:
    """In the forked child: limit its data, run ``work``, send (outcome, value) to the parent, and end."""
    code = 1
    try:
        _, hard = resource.getrlimit(resource.RLIMIT_DATA)
        limit = _data_size() + memory
        resource.setrlimit(
            resource.RLIMIT_DATA, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard)
        )
        try:
            answer: tuple[str, object] = ("done", work())
        except MemoryError:
            answer = ("memory", "MemoryError")
        except Exception:
            import traceback

            answer = ("failed", traceback.format_exc())
        with os.fdopen(writer, "wb") as pipe:
            pickle.dump(answer, pipe)
        code = 0
    finally:
        os._exit(code)  # no atexit handlers, no flushing of the parent's buffers: they are the parent's


def _data_size() -> int:
    """This process's data segment and private writable mappings (VmData), what RLIMIT_DATA counts."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmData:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _how_it_ended(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"ended by {signal.Signals(os.WTERMSIG(status)).name}"
    return f"ended with exit code {os.waitstatus_to_exitcode(status)} before answering"


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
