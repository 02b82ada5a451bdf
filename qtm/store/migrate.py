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
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from qtm.errors import StoreError

MIGRATIONS = Path(__file__).parent / "migrations"
#: PostgreSQL: the advisory lock a migration holds for its transaction, a fixed 64-bit key made from "qtm-migrate"
LOCK_KEY = int.from_bytes(hashlib.sha256(b"qtm-migrate").digest()[:8], "big", signed=True)


def alembic_config(connection: Connection) -> Config:
    """Alembic's configuration, for running migrations on ``connection`` (see migrations/env.py)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    """The latest revision this version of qtm knows."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at (None for a new database)."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Apply every migration not yet applied (idempotent), one process at a time. Any failure is a
    :class:`StoreError` of one line."""
    head = head_revision()
    try:
        with engine.connect() as connection:
            if current_revision(connection) == head:
                return
        with engine.begin() as connection:
            _take_migration_lock(connection)
            if current_revision(connection) != head:  # unless another process migrated while we waited
                command.upgrade(alembic_config(connection), "head")
    except CommandError as exc:  # e.g. a revision unknown here: a newer qtm migrated the database
        raise StoreError(f"cannot migrate the database: {_first_line(exc)}") from exc
    except SQLAlchemyError as exc:
        reason = getattr(exc, "orig", None) or exc  # the driver's words, without SQLAlchemy's SQL and link
        raise StoreError(f"cannot open the database: {_first_line(reason)}") from exc


def _take_migration_lock(connection: Connection) -> None:
    """Wait for any other migration of this database, and keep others waiting until this transaction ends."""
    if connection.dialect.name == "sqlite":
        # at once: the driver's own BEGIN would come only at the first write, and never before DDL
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    elif connection.dialect.name == "postgresql":
        connection.execute(select(func.pg_advisory_xact_lock(LOCK_KEY)))


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
