"""Settings: every ``QTM_*`` environment variable, read in this module only, checked when a command starts.

The table :data:`VARIABLES` is the one list of what qtm reads from the environment: each variable's default, what
it means and how its text becomes a value. :func:`current` returns the :class:`Settings` for the process's
environment (parsed once, and again only when a ``QTM_*`` variable changes, as a test's ``monkeypatch`` does);
a bad value is a :class:`~qtm.errors.ConfigError` naming the variable, the value and what is allowed, which the
command line prints as one line before it does anything. The defaults serve one machine with nothing installed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qtm import PROJECT_ROOT
from qtm.errors import ConfigError

DEFAULT_DATABASE_FILE = PROJECT_ROOT / "data" / "qtm.sqlite"
DEFAULT_SECRET_KEY_FILE = Path.home() / ".local" / "share" / "qtm" / "secret_key"
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")
CHECK_MB_PER_MILLION_CELLS = 160


@dataclass(frozen=True)
class Variable:
    """One environment variable: its field on :class:`Settings`, default (as text, "" for none) and meaning."""

    name: str
    field: str
    default: str
    meaning: str
    parse: Callable[[str, str], Any]


def _text(_name: str, text: str) -> str | None:
    return text or None


def _path(_name: str, text: str) -> Path | None:
    return Path(text) if text else None


def _flag(name: str, text: str) -> bool | None:
    word = text.strip().lower()
    if not word:
        return None
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ConfigError(f"{name} must be 1 or 0 (on or off), not {text!r}")


def _number(lowest: float, what: str, *, whole: bool = False) -> Callable[[str, str], float | int | None]:
    def parse(name: str, text: str) -> float | int | None:
        if not text.strip():
            return None
        try:
            value = int(text) if whole else float(text)
        except ValueError:
            value = None
        if value is None or not lowest <= value < float("inf"):
            raise ConfigError(f"{name} must be {what}, not {text!r}")
        return value

    return parse


def _choice(*allowed: str, what: str) -> Callable[[str, str], str | None]:
    def parse(name: str, text: str) -> str | None:
        word = text.strip().lower()
        if word and word not in allowed:
            raise ConfigError(f"{name} must be {what}, not {word!r}")
        return word or None

    return parse


def _rate(name: str, text: str) -> str | None:
    if text and not re.fullmatch(r"\s*\d+\s*(/|per)\s*(\d+\s*)?(second|minute|hour|day)s?\s*", text):
        raise ConfigError(f"{name} must read like '10 per minute', not {text!r}")
    return text or None


VARIABLES: tuple[Variable, ...] = (
    Variable(
        "QTM_DATABASE_URL",
        "database_url",
        "sqlite:///data/qtm.sqlite",
        "the database (SQLite file or postgresql+psycopg://…)",
        _text,
    ),
    Variable(
        "QTM_REGISTRY",
        "registry_file",
        "targets.yaml",
        "the registry of plans, indicators and targets",
        _path,
    ),
    Variable(
        "QTM_REGIONS", "regions_file", "data/regions.csv", "the regions (GB/T 2260 codes and names)", _path
    ),
    Variable(
        "QTM_REDIS_URL", "redis_url", "", "Redis for the live data version, login limits and Celery", _text
    ),
    Variable(
        "QTM_SECRET_KEY", "secret_key", "", "the key that signs sessions (else QTM_SECRET_KEY_FILE)", _text
    ),
    Variable(
        "QTM_SECRET_KEY_FILE",
        "secret_key_file",
        "~/.local/share/qtm/secret_key",
        "a file holding the key, made on first use",
        _path,
    ),
    Variable(
        "QTM_ANONYMOUS_VIEW",
        "anonymous_view",
        "",
        "1: anyone may view without logging in; 0: only users (default: on when listening on loopback only)",
        _flag,
    ),
    Variable("QTM_SECURE_COOKIES", "secure_cookies", "0", "1: session cookies only over HTTPS", _flag),
    Variable("QTM_LOGIN_LIMIT", "login_limit", "10 per minute", "failed logins allowed per address", _rate),
    Variable(
        "QTM_PROXY_HOPS",
        "proxy_hops",
        "0",
        "reverse proxies in front that set X-Forwarded-For",
        _number(0, "a whole number of proxies, 0 or more", whole=True),
    ),
    Variable(
        "QTM_LIVE_SECONDS",
        "live_seconds",
        "10",
        "how often an open page asks for new data",
        _number(1, "a number of seconds (1 or more)"),
    ),
    Variable(
        "QTM_JOBS",
        "jobs",
        "diskcache",
        "where background jobs run: diskcache (one machine) or celery",
        _choice("diskcache", "celery", what="diskcache (one machine) or celery (with QTM_REDIS_URL)"),
    ),
    Variable("QTM_JOBS_DIR", "jobs_dir", "data/jobs", "the folder of diskcache jobs and job slots", _path),
    Variable(
        "QTM_JOB_SLOTS",
        "job_slots",
        "one per CPU core",
        "jobs that run at once on one machine",
        _number(1, "a whole number of jobs (1 or more)", whole=True),
    ),
    Variable(
        "QTM_SLOT_WAIT",
        "slot_wait",
        "30",
        "seconds a request waits for a job slot",
        _number(0, "a number of seconds (0 or more)"),
    ),
    Variable(
        "QTM_CHECK_MB",
        "check_mb",
        f"{CHECK_MB_PER_MILLION_CELLS} per million of QTM_MAX_CELLS, at least 256",
        "memory one check of a return may take",
        _number(16, "a number of megabytes (16 or more)"),
    ),
    Variable(
        "QTM_MAX_UPLOAD_MB",
        "max_upload_mb",
        "20",
        "the largest return accepted",
        _number(0.001, "a number of megabytes above 0"),
    ),
    Variable(
        "QTM_MAX_CELLS",
        "max_cells",
        "5000000",
        "the most cells of one return",
        _number(1, "a whole number of cells (1 or more)", whole=True),
    ),
    Variable(
        "QTM_STAGING_DIR", "staging_dir", "data/staging", "uploads checked and waiting to be stored", _path
    ),
    Variable(
        "QTM_ORIGINALS_DIR", "originals_dir", "data/originals", "the original of every stored upload", _path
    ),
    Variable(
        "QTM_JUMP_POINTS",
        "jump_points",
        "10",
        "a change from the last value that is warned about, in percentage points",
        _number(0, "a number of points (0 or more)"),
    ),
    Variable(
        "QTM_WARM",
        "warm",
        "1",
        "0: pages and judgements computed by their first visitor, not by each worker at its start and after commits",
        _flag,
    ),
    Variable(
        "QTM_DEBUG_WORKER_HEADER",
        "debug_worker_header",
        "0",
        "1: name the answering worker in a header (for tests of scale-out)",
        _flag,
    ),
)


@dataclass(frozen=True)
class Settings:
    """Every setting, checked. Defaults fill what the environment leaves unset."""

    database_url: str = f"sqlite:///{DEFAULT_DATABASE_FILE}"
    registry_file: Path = PROJECT_ROOT / "targets.yaml"
    regions_file: Path = PROJECT_ROOT / "data" / "regions.csv"
    redis_url: str | None = None
    secret_key: str | None = None
    secret_key_file: Path = DEFAULT_SECRET_KEY_FILE
    anonymous_view: bool | None = None
    secure_cookies: bool = False
    login_limit: str = "10 per minute"
    proxy_hops: int = 0
    live_seconds: float = 10.0
    jobs: str = "diskcache"
    jobs_dir: Path = PROJECT_ROOT / "data" / "jobs"
    job_slots: int = os.cpu_count() or 1
    slot_wait: float = 30.0
    check_mb: float | None = None
    max_upload_mb: float = 20.0
    max_cells: int = 5_000_000
    staging_dir: Path = PROJECT_ROOT / "data" / "staging"
    originals_dir: Path = PROJECT_ROOT / "data" / "originals"
    jump_points: float = 10.0
    warm: bool = True
    debug_worker_header: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings of ``environ`` (the process's environment by default); a bad value raises ConfigError."""
        environ = os.environ if environ is None else environ
        given: dict[str, Any] = {}
        for variable in VARIABLES:
            value = variable.parse(variable.name, environ.get(variable.name, ""))
            if value is not None:
                given[variable.field] = value
        settings = cls(**given)
        if settings.jobs == "celery" and not settings.redis_url:
            raise ConfigError(
                "QTM_JOBS=celery needs QTM_REDIS_URL: Redis is Celery's broker and result store"
            )
        return settings

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def check_bytes(self) -> int:
        """Memory one check may take: QTM_CHECK_MB, else in proportion to the cells allowed (at least 256 MB)."""
        megabytes = self.check_mb
        if megabytes is None:
            megabytes = max(256, CHECK_MB_PER_MILLION_CELLS * self.max_cells / 1_000_000)
        return int(megabytes * 1048576)


_current: tuple[tuple[tuple[str, str], ...], Settings] | None = None


def current() -> Settings:
    """The settings of the process's environment, parsed once (and again only after a QTM_* variable changed)."""
    global _current
    seen = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("QTM_")))
    if _current is None or _current[0] != seen:
        _current = (seen, Settings.from_env())
    return _current[1]
