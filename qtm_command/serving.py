"""``qtm serve --workers N``: the dashboard under gunicorn, run in this process (docs/deploy.md).

The master process (this one) does once what must be done once, before any worker exists:

- it checks the registry (a broken registry refuses to start, in one line);
- it binds the port itself, so that a port already taken is one line too, and hands the socket to gunicorn;
- it makes the secret key file if there is none (dashboard.auth.secret_key), so that workers starting together
  cannot make different keys: every worker signs sessions with the same key, a login is valid on all of them;
- it migrates the database, then closes every connection: no connection crosses the fork.

Each worker then opens its own store (its own connection pool) and builds its own app (gunicorn's ``preload_app``
stays off), and warms its pages and judgements at once and after every commit (dashboard.warming). Workers are
gthread workers: a long request — an ingest, a report pack — holds one of a worker's threads, not the worker.
Gunicorn restarts a worker that dies.
"""

from __future__ import annotations

import errno
import os
import socket
import sys
from collections.abc import Callable
from typing import Any

from gunicorn.app.base import BaseApplication

from qtm.config import Settings
from qtm.errors import QtmError
from qtm.registry import Registry
from qtm.store import Store

#: Threads per worker unless --threads says otherwise.
DEFAULT_THREADS = 4
#: The header naming the worker's pid, sent only when QTM_DEBUG_WORKER_HEADER=1 (tests, diagnosis).
WORKER_HEADER = "X-QTM-Worker"


class DashboardServer(BaseApplication):
    """Gunicorn with these ``options``, serving the WSGI app ``factory`` makes in each worker. GUNICORN_CMD_ARGS
    (gunicorn's own command-line options) may add or override settings: ``--timeout 300 --access-logfile -``."""

    def __init__(self, factory: Callable[[], Any], options: dict[str, Any]) -> None:
        self.factory = factory
        self.options = options
        super().__init__(prog="qtm serve")

    def load_config(self) -> None:
        for name, value in self.options.items():
            if name in self.cfg.settings:  # a setting this gunicorn does not have yet is left out
                self.cfg.set(name, value)
        from_env = self.cfg.get_cmd_args_from_env()
        if from_env:
            parsed = self.cfg.parser().parse_args(from_env)
            for name, value in vars(parsed).items():
                if value is not None and name != "args" and name.lower() in self.cfg.settings:
                    self.cfg.set(name.lower(), value)

    def load(self) -> Any:
        return self.factory()


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host``:``port`` (gunicorn makes it listen); a port already taken is a one-line
    :class:`QtmError`."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise QtmError(f"cannot serve on {host}:{port}: {exc.strerror}") from None
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise QtmError(
                f"port {port} on {host} is already in use (another qtm serve?); stop it or choose another --port"
            ) from None
        raise QtmError(f"cannot serve on {host}:{port}: {exc.strerror}") from None
    sock.set_inheritable(True)
    return sock


def serve_workers(
    settings: Settings, registry: Registry, *, host: str, port: int, workers: int, threads: int
) -> None:
    """Serve the dashboard with ``workers`` gunicorn processes of ``threads`` threads each, until stopped (SIGTERM
    or Ctrl-C: requests under way are finished, up to 30 s)."""
    import dashboard.app  # noqa: F401  (imported once here, shared by the forked workers)
    from dashboard import auth, jobs

    jobs.check_settings()
    sock = listen(host, port)
    auth.secret_key()  # made now, once, if missing: every worker reads the same key
    # migrated once, here; then every connection closed, so that none is inherited by a worker
    Store.open(settings.database_url).engine.dispose()

    def factory() -> Any:
        """The app of one worker, made after the fork: its own store and connections."""
        return wsgi_app(settings, registry, host)

    options = {
        "bind": [f"fd://{sock.fileno()}"],
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "preload_app": False,
        "timeout": 120,
        "graceful_timeout": 30,
        "keepalive": 5,
        "proc_name": "qtm",
        "control_socket_disable": True,  # gunicorn's control socket is one fixed path per user: no two servers
        "errorlog": "-",
        "loglevel": "info",
    }
    print(
        f"qtm: serving http://{_show(host)}:{port}/ with {workers} worker(s) × {threads} thread(s) "
        f"(database {_safe_url(settings.database_url)})",
        file=sys.stderr,
        flush=True,
    )
    DashboardServer(factory, options).run()


def wsgi_app(settings: Settings, registry: Registry, host: str) -> Any:
    """The Flask server of a new dashboard app over its own store (migrated already by the master)."""
    from dashboard import warming
    from dashboard.app import create_app

    store = Store.open(settings.database_url, migrate=False)
    app = create_app(registry, store, host=host)
    server = app.server
    hops = settings.proxy_hops  # QTM_PROXY_HOPS, checked by qtm.config when the command started
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # the client's address (the audit, login throttling) and scheme, as the trusted proxies in front pass them
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=hops, x_proto=hops)
    if settings.debug_worker_header:
        pid = str(os.getpid())

        @server.after_request
        def name_the_worker(response: Any) -> Any:
            response.headers[WORKER_HEADER] = pid
            return response

    # last, once the app is set up (its first request is made now): pages and judgements built at once and after
    # every commit, not by the first visitor (QTM_WARM=0: not)
    server.extensions["qtm_warmer"] = warming.Warmer(app).start() if settings.warm else None
    return server


def _show(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
