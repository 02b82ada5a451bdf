"""The store's house in order: a withdrawal's reason in a column of its own (migration 0007, moving the reasons of
earlier withdrawals there), the public write lock (Store.writing) and the one retry of a write that collided."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from alembic import command
from sqlalchemy import create_engine, select, text

from dashboard.views.upload import batch_state
from qtm.errors import StoreError
from qtm.observations import Observation
from qtm.periods import Period
from qtm.store import Store
from qtm.store.locking import ATTEMPTS, retrying, writing
from qtm.store.migrate import alembic_config
from qtm.store.schema import batches

REASON = "填错了年份 / wrong year"


def obs(value: float, period: str = "2023") -> Observation:
    return Observation(
        "manufacturing_pass_rate", "100000", Period.parse(period), value, str(value), "%", frozenset()
    )


def commit(store: Store, name: str, records: list[Observation]) -> int:
    result = store.commit_batch(
        file_name=name,
        sha256=name.ljust(64, "0"),
        uploaded_by="tester",
        records=records,
        report=[],
        n_warnings=0,
    )
    return result.batch_id


def stored_report_and_reason(store: Store, batch_id: int) -> tuple[list[dict[str, object]], str | None]:
    """The withdrawal's report and reason as the database holds them."""
    with store.engine.connect() as connection:
        row = connection.execute(
            select(batches.c.report, batches.c.reason).where(batches.c.id == batch_id)
        ).one()
    return json.loads(row.report), row.reason


def insert_old_withdrawal(store: Store) -> None:
    """An upload and its withdrawal with a reason, as qtm wrote them before 0007: the reason inside the report."""
    old_report = [
        {
            "severity": "info",
            "code": "withdrawal",
            "sheet": None,
            "cell": None,
            "message": f"撤回批次 1 / withdraws batch 1: {REASON}",
            "withdraws": 1,
            "reason": REASON,
            "n_restored": 0,
        }
    ]
    with store.engine.begin() as connection:
        for number, name, kind, withdraws, report in [
            (1, "a.xlsx", "upload", None, "[]"),
            (2, "withdrawal of batch 1", "withdrawal", 1, json.dumps(old_report, ensure_ascii=False)),
        ]:
            connection.execute(
                text(
                    "INSERT INTO batches (id, file_name, sha256, uploaded_by, uploaded_at, n_observations, "
                    "n_superseded, n_unchanged, n_warnings, report, kind, withdraws) VALUES (:id, :name, :sha, "
                    "'tester', '2024-05-01 00:00:00', 0, 0, 0, 0, :report, :kind, :withdraws)"
                ),
                {
                    "id": number,
                    "name": name,
                    "sha": name.ljust(64, "0"),
                    "kind": kind,
                    "withdraws": withdraws,
                    "report": report,
                },
            )
        connection.execute(text("UPDATE batches SET withdrawn_by = 2 WHERE id = 1"))
        if store.engine.dialect.name == "postgresql":  # ids given by hand: move the sequence past them
            connection.execute(text("SELECT setval(pg_get_serial_sequence('batches', 'id'), 2)"))


def test_the_reason_of_a_withdrawal_made_before_0007_is_shown_after_the_upgrade(database_url):
    store = Store.open(database_url, migrate=False)
    with store.engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0006")
    insert_old_withdrawal(store)
    store.upgrade()
    withdrawal = store.batch(2)
    assert withdrawal is not None and withdrawal.reason == REASON
    assert REASON in batch_state(withdrawal, "zh") and REASON in batch_state(
        withdrawal, "en"
    )  # the upload page
    report, column = stored_report_and_reason(store, 2)
    assert column == REASON and "reason" not in report[0]  # moved, not copied
    assert (
        report[0]["message"].endswith(REASON) and report[0]["n_restored"] == 0
    )  # the rest of the report stays
    assert store.batch(1).reason is None  # type: ignore[union-attr]
    store.engine.dispose()


def test_a_new_withdrawal_keeps_its_reason_in_the_column_and_a_downgrade_puts_it_back(database_url):
    store = Store.open(database_url)
    first = commit(store, "a", [obs(93.6)])
    second = commit(store, "b", [obs(93.7)])
    with_reason = store.withdraw_batch(second, withdrawn_by="王五", reason=REASON).withdrawal_batch_id
    without = store.withdraw_batch(first, withdrawn_by="王五").withdrawal_batch_id
    report, column = stored_report_and_reason(store, with_reason)
    assert column == REASON and "reason" not in report[0]
    assert [(b.id, b.reason) for b in store.batches()] == [
        (first, None),
        (second, None),
        (with_reason, REASON),
        (without, None),
    ]
    assert store.audit()[1].detail["reason"] == REASON  # the audit trail keeps its own record
    with store.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0006")
    with store.engine.connect() as connection:
        old = json.loads(
            connection.execute(text(f"SELECT report FROM batches WHERE id = {with_reason}")).scalar_one()
        )
    assert old[0]["reason"] == REASON  # where qtm before 0007 reads it
    store.upgrade()
    assert store.batch(with_reason).reason == REASON  # type: ignore[union-attr]
    store.engine.dispose()


def test_writing_commits_the_block_or_nothing(database_url):
    store = Store.open(database_url)
    row = {
        "file_name": "x",
        "sha256": "0" * 64,
        "uploaded_by": "t",
        "uploaded_at": dt.datetime(2024, 5, 1, tzinfo=dt.UTC),
        "n_observations": 0,
        "n_superseded": 0,
        "n_unchanged": 0,
        "n_warnings": 0,
        "report": "[]",
    }
    with pytest.raises(RuntimeError), store.writing() as connection:
        connection.execute(batches.insert().values(**row))
        raise RuntimeError("the block failed")
    assert store.batches() == []
    with store.writing() as connection:
        connection.execute(batches.insert().values(**row))
    assert [b.file_name for b in store.batches()] == ["x"]
    store.engine.dispose()


def test_a_write_that_keeps_finding_the_database_locked_is_tried_again_then_refused(sqlite_url):
    store = Store.open(sqlite_url)
    impatient = create_engine(
        sqlite_url, connect_args={"timeout": 0}
    )  # no busy timeout: "database is locked" at once
    attempts: list[int] = []

    def write() -> None:
        attempts.append(1)
        with writing(impatient):
            pass

    with store.writing(), pytest.raises(StoreError, match="kept getting in the way"):
        retrying(write, gave_up="other writers kept getting in the way")
    assert len(attempts) == ATTEMPTS
    assert retrying(lambda: len(attempts), gave_up="unused") == ATTEMPTS  # free again: at once
    impatient.dispose()
    store.engine.dispose()


def test_the_head_read_from_the_migration_files_is_alembics():
    from qtm.store.migrate import head_of_files, head_revision

    assert head_of_files() == head_revision() is not None


def test_a_database_at_head_opens_without_loading_alembic(tmp_path):
    """Every command opens the database: one read, not Alembic's import (0.2 s of a one-line `qtm ingest`)."""
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'qtm.sqlite'}"
    probe = f"import sys; from qtm.store import Store; Store.open({url!r}); print('alembic' in sys.modules)"
    first, second = (
        subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60)
        for _ in range(2)
    )
    assert (first.stdout.strip(), second.stdout.strip()) == ("True", "False")  # migrated once, then only read
