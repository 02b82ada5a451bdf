"""Processes that open a new database at once migrate it in turn (qtm.store.migrate): none fails, none waits when the
schema is already at head, and a migration that cannot be done is one line, never a traceback.

Every ``qtm`` command migrates as it opens the database; ten ``qtm ingest`` started together into a new PostgreSQL
database used to leave two or three of them dead on a unique violation of alembic_version, and on SQLite one on
"table … already exists".
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, func, make_url, select, text

from qtm.errors import StoreError
from qtm.store import Store
from qtm.store.migrate import LOCK_KEY, alembic_config, head_revision
from tests.conftest import QTM, run_qtm

N_PROCESSES = 10


@pytest.fixture
def new_postgres_database(postgres_server: str) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database (its public schema, as in production), dropped afterwards."""
    name = f"qtm_migrate_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'create database "{name}"'))
    yield make_url(postgres_server).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'drop database "{name}" with (force)'))
    admin.dispose()


def new_database(backend: str, request: pytest.FixtureRequest) -> str:
    name = "sqlite_url" if backend == "sqlite" else "new_postgres_database"
    return str(request.getfixturevalue(name))


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def write_returns(folder: Path) -> list[Path]:
    """One small valid return per process, each with values (and so contents) of its own."""
    files = []
    for index in range(N_PROCESSES):
        path = folder / f"return{index}.csv"
        path.write_text(
            f"指标名称,地区,统计期,数值,计量单位\n制造业产品质量合格率,兰州市,{2010 + index},{90 + index}.5,%\n",
            encoding="utf-8",
        )
        files.append(path)
    return files


@pytest.mark.parametrize("backend", BACKENDS)
def test_ten_ingests_into_a_new_database_at_once_all_succeed(tmp_path, request, backend):
    database_url = new_database(backend, request)
    files = write_returns(tmp_path)
    env = {**os.environ, "QTM_DATABASE_URL": database_url}
    processes = [  # started together, before any of them has opened (and so migrated) the database
        subprocess.Popen(
            [*QTM, "ingest", str(path), "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for path in files
    ]
    outcomes = [(process, *process.communicate(timeout=300)) for process in processes]
    for process, out, err in outcomes:
        assert "Traceback" not in err, err
        assert err.strip() == "", err
        assert process.returncode == 0, err
        assert [f["status"] for f in json.loads(out)["files"]] == ["committed"], out
    store = Store.open(database_url, migrate=False)
    try:
        assert store.schema_revision() == head_revision()
        stored = store.batches()
        every_file = sorted(hashlib.sha256(f.read_bytes()).hexdigest() for f in files)
        assert sorted(b.sha256 for b in stored) == every_file  # each batch once
        assert [b.n_observations for b in stored] == [1] * N_PROCESSES
        current = store.current(indicator="manufacturing_pass_rate")
        assert sorted(o.value for o in current) == [90.5 + i for i in range(N_PROCESSES)]
    finally:
        store.engine.dispose()


@pytest.mark.postgres
def test_a_database_at_head_opens_without_waiting_for_the_migration_lock(new_postgres_database):
    """Opening a database already at head takes no lock: it opens while another session holds the migration lock.
    One behind head waits for that lock, then migrates."""
    url = new_postgres_database
    store = Store.open(url)
    holder = create_engine(url)
    with holder.connect() as connection:
        connection.execute(select(func.pg_advisory_lock(LOCK_KEY)))
        at_head = Opening(url)
        at_head.join(timeout=30)
        assert at_head.done, "opening a database at head waited for the migration lock"

        with store.engine.begin() as other:  # behind head again
            command.downgrade(alembic_config(other), "0003")
        behind = Opening(url)
        behind.join(timeout=1)
        assert not behind.done, "a migration did not wait for the lock"
        connection.execute(select(func.pg_advisory_unlock(LOCK_KEY)))
        behind.join(timeout=30)
        assert behind.done
    holder.dispose()
    assert store.schema_revision() == head_revision()
    store.engine.dispose()


class Opening(threading.Thread):
    """``Store.open(url)`` in a thread of its own; ``done`` once it has opened (an error is raised by ``join``)."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url, self.done = url, False
        self.error: Exception | None = None
        self.start()

    def run(self) -> None:
        try:
            Store.open(self.url).engine.dispose()
            self.done = True
        except Exception as exc:
            self.error = exc

    def join(self, timeout: float | None = None) -> None:
        super().join(timeout)
        if self.error is not None:
            raise self.error


def test_a_sqlite_database_at_head_opens_while_another_process_writes(sqlite_url):
    """The migration lock on SQLite is the write lock: a database at head opens without it."""
    Store.open(sqlite_url).engine.dispose()
    writer = create_engine(sqlite_url)
    with writer.connect() as connection:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        at_head = Opening(sqlite_url)
        at_head.join(timeout=30)
        assert at_head.done, "opening a database at head waited for the write lock"
        connection.exec_driver_sql("ROLLBACK")
    writer.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_schema_this_version_does_not_know_is_one_line(tmp_path, request, backend):
    database_url = new_database(backend, request)
    store = Store.open(database_url)
    with store.engine.begin() as connection:
        connection.execute(text("update alembic_version set version_num = '9999'"))
    store.engine.dispose()
    with pytest.raises(StoreError, match=r"^cannot migrate the database: .*'9999'"):
        Store.open(database_url)
    (tmp_path / "r.csv").write_text(
        "指标名称,地区,统计期,数值,计量单位\n制造业产品质量合格率,兰州市,2024,93.5,%\n", encoding="utf-8"
    )
    done = run_qtm("ingest", str(tmp_path / "r.csv"), env={"QTM_DATABASE_URL": database_url})
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("qtm: error: cannot migrate the database:")
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
