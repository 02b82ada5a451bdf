"""Migrating a database to the latest schema, one process at a time.

Every command migrates as it opens the database (:meth:`qtm.store.Store.open`), so processes that open a new
database at the same moment would each create the same tables, and all but one fail. They take turns instead: the
migration runs in one transaction that first takes a lock — on PostgreSQL an advisory lock held to the end of the
transaction, on SQLite the database's write lock (``BEGIN IMMEDIATE``, waiting up to the busy timeout) — and then
reads the revision again, so that whoever waited finds the schema at head and does nothing. A database already at
head (the common case) costs one read and no lock. The transaction also makes a migration land whole or not at all.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from qtm.errors import StoreError
from qtm.store.locking import take_lock

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
#: PostgreSQL: the advisory lock a migration holds for its transaction, a fixed 64-bit key made from "qtm-migrate"
LOCK_KEY = int.from_bytes(hashlib.sha256(b"qtm-migrate").digest()[:8], "big", signed=True)


def alembic_config(connection: Connection) -> Config:
    """Alembic's configuration, for running migrations on ``connection`` (see migrations/env.py)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    """The latest revision this version of qtm knows."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at (None for a new database)."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Apply every migration not yet applied (idempotent), one process at a time. Any failure is a
    :class:`StoreError` of one line. A database at head costs one read, without loading Alembic."""
    if _at_head_already(engine):
        return
    from alembic import command
    from alembic.util import CommandError

    head = head_revision()
    try:
        with engine.connect() as connection:
            if current_revision(connection) == head:
                return
        with engine.begin() as connection:
            take_lock(connection, LOCK_KEY)  # wait for any other migration of this database
            if current_revision(connection) != head:  # unless another process migrated while we waited
                command.upgrade(alembic_config(connection), "head")
    except CommandError as exc:  # e.g. a revision unknown here: a newer qtm migrated the database
        raise StoreError(f"cannot migrate the database: {_first_line(exc)}") from exc
    except SQLAlchemyError as exc:
        reason = getattr(exc, "orig", None) or exc  # the driver's words, without SQLAlchemy's SQL and link
        raise StoreError(f"cannot open the database: {_first_line(reason)}") from exc


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


_REVISION = re.compile(r'^(down_revision|revision) = (?:"([^"]+)"|None)$', re.MULTILINE)


def head_of_files() -> str | None:
    """The head revision read from the migration files themselves (``revision = "0007"``, ``down_revision =
    "0006"``), without loading Alembic: the one revision no other names as its parent; None when that is unclear
    (branches, or a file written another way), and Alembic then decides."""
    revisions, parents = set(), set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = dict((key, value) for key, value in _REVISION.findall(path.read_text(encoding="utf-8")))
        if not found.get("revision"):
            return None
        revisions.add(found["revision"])
        parents.add(found.get("down_revision", ""))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _at_head_already(engine: Engine) -> bool:
    """Whether the database records the head revision (the common case of every command and worker)."""
    head = head_of_files()
    if head is None:
        return False
    try:
        with engine.connect() as connection:
            if not connection.dialect.has_table(connection, "alembic_version"):
                return False
            stored = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    except SQLAlchemyError:
        return False  # the full path below says what is wrong, in one line
    return stored == [head]
