"""The store on SQLite and on PostgreSQL: batches, supersession with history, atomicity, migrations."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from qtm.errors import StoreError
from qtm.observations import Observation
from qtm.periods import Period
from qtm.store import NothingChanged, Store
from qtm.store.migrate import alembic_config, head_revision
from qtm.store.schema import metadata
from tests.store_helpers import history as history_of


def obs(
    value: float, period: str = "2023", region: str = "100000", flags: frozenset[str] = frozenset()
) -> Observation:
    return Observation("manufacturing_pass_rate", region, Period.parse(period), value, str(value), "%", flags)


def commit(store: Store, name: str, records: list[Observation]):
    return store.commit_batch(
        file_name=name,
        sha256=name.ljust(64, "0"),
        uploaded_by="tester",
        records=records,
        report=[],
        n_warnings=0,
    )


def test_migrations_reach_head_and_match_the_schema(store):
    assert store.schema_revision() == head_revision()
    with store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []


def test_opening_twice_is_harmless(database_url):
    Store.open(database_url).engine.dispose()
    again = Store.open(database_url)
    assert again.schema_revision() == head_revision()
    again.engine.dispose()


def test_a_later_value_supersedes_and_the_earlier_stays_in_history(store):
    first = commit(store, "a", [obs(93.6), obs(93.9, "2024")])
    second = commit(store, "b", [obs(93.65)])
    assert (second.n_inserted, second.n_superseded) == (1, 1)
    current = {str(o.period): o.value for o in store.current()}
    assert current == {"2023": 93.65, "2024": 93.9}
    history = history_of(store, "manufacturing_pass_rate", "100000", "2023")
    assert [(h.observation.value, h.batch_id, h.superseded_by) for h in history] == [
        (93.6, first.batch_id, second.batch_id),
        (93.65, second.batch_id, None),
    ]


def test_the_same_value_again_is_counted_unchanged_not_stored(store):
    commit(store, "a", [obs(93.6)])
    again = commit(store, "b", [obs(93.6)])
    assert (again.n_inserted, again.n_unchanged) == (0, 1)
    assert len(history_of(store, "manufacturing_pass_rate", "100000", "2023")) == 1


def test_a_new_flag_is_a_change(store):
    commit(store, "a", [obs(93.6, flags=frozenset({"provisional"}))])
    revised = commit(store, "b", [obs(93.6, flags=frozenset({"revised"}))])
    assert revised.n_superseded == 1
    (current,) = store.current()
    assert current.flags == {"revised"}


def test_a_failing_batch_stores_nothing(store):
    commit(store, "a", [obs(93.6)])
    # Two current values for one key violate the unique index: the whole batch must roll back.
    with pytest.raises(StoreError, match="nothing was stored"):
        commit(store, "b", [obs(94.0, "2024"), obs(94.1, "2024")])
    assert [b.file_name for b in store.batches()] == ["a"]
    assert [o.value for o in store.current()] == [93.6]


def test_batches_keep_file_sha_user_counts_and_report(store):
    report = [{"severity": "warning", "code": "missing_value", "sheet": "表1", "cell": "D9", "message": "…"}]
    store.commit_batch(
        file_name="甘肃.xlsx",
        sha256="f" * 64,
        uploaded_by="张三",
        records=[obs(93.6)],
        report=report,
        n_warnings=1,
    )
    batch = store.find_batch("f" * 64)
    assert batch is not None
    assert (batch.file_name, batch.uploaded_by, batch.n_observations, batch.n_warnings) == (
        "甘肃.xlsx",
        "张三",
        1,
        1,
    )
    assert batch.report == report and batch.uploaded_at.tzinfo is not None
    assert store.find_batch("0" * 64) is None


def test_current_filters_by_indicator_and_region(store):
    commit(store, "a", [obs(93.6), obs(92.0, region="620000")])
    assert [o.region for o in store.current(region="620000")] == ["620000"]
    assert store.current(indicator="tractor_mtbf") == []


def test_sqlite_uses_wal(sqlite_url):
    opened = Store.open(sqlite_url)
    with opened.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    opened.engine.dispose()


def test_cached_answers_follow_writes_from_another_process(database_url):
    reader, writer = Store.open(database_url), Store.open(database_url)  # two app workers on one database
    commit(writer, "a", [obs(93.6)])
    assert [o.value for o in reader.current()] == [93.6]
    assert reader.current() is reader.current()  # unchanged data: answered from the cache
    commit(writer, "b", [obs(93.7)])
    assert [o.value for o in reader.current()] == [93.7]
    assert reader.data_version() == writer.data_version() == 2
    reader.engine.dispose()
    writer.engine.dispose()


def test_concurrent_uploads_of_the_same_values_both_land(database_url):
    import threading

    stores = [Store.open(database_url) for _ in range(4)]
    commit(stores[0], "seed", [obs(90.0, str(year)) for year in range(2015, 2025)])
    barrier = threading.Barrier(len(stores))
    failures: list[BaseException] = []

    def upload(number: int) -> None:
        barrier.wait()
        try:
            commit(
                stores[number],
                f"worker{number}",
                [obs(91.0 + number, str(year)) for year in range(2015, 2025)],
            )
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=upload, args=(n,)) for n in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    current = stores[0].current()
    assert (
        len(current) == 10 and len({o.value for o in current}) == 1
    )  # one worker's values, whole, are current
    history = history_of(stores[0], "manufacturing_pass_rate", "100000", "2020")
    assert len(history) == 5 and sum(h.superseded_by is None for h in history) == 1
    for store in stores:
        store.engine.dispose()


def test_identical_batches_at_once_store_once_when_unchanged_values_are_refused(database_url):
    import threading

    stores = [Store.open(database_url) for _ in range(4)]
    records = [obs(91.5, str(year)) for year in range(2015, 2025)]
    barrier = threading.Barrier(len(stores))
    outcomes: list[object] = []

    def upload(number: int) -> None:
        barrier.wait()
        try:
            outcomes.append(
                stores[number].commit_batch_if_changed(
                    file_name=f"same{number}",
                    sha256="s".ljust(64, "0"),
                    uploaded_by="tester",
                    records=records,
                    report=[],
                    n_warnings=0,
                )
            )
        except BaseException as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=upload, args=(n,)) for n in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stored = [o for o in outcomes if not isinstance(o, BaseException)]
    refused = [o for o in outcomes if isinstance(o, NothingChanged)]
    assert len(stored) == 1 and len(refused) == 3, outcomes
    assert all(r.n_unchanged == len(records) for r in refused)
    assert len(stores[0].batches()) == 1  # the refused ones left no batch, no audit row
    assert [e.action for e in stores[0].audit()] == ["upload"]
    # A change to one value is stored as usual; commit_batch stores an all-unchanged batch as before.
    changed = commit_if_changed(stores[0], "changed", [*records[:-1], obs(91.6, "2024")])
    assert (changed.n_inserted, changed.n_superseded, changed.n_unchanged) == (1, 1, 9)
    assert commit(stores[0], "again", records[:-1]).n_unchanged == 9
    for store in stores:
        store.engine.dispose()


def commit_if_changed(store: Store, name: str, records: list[Observation]):
    return store.commit_batch_if_changed(
        file_name=name,
        sha256=name.ljust(64, "0"),
        uploaded_by="tester",
        records=records,
        report=[],
        n_warnings=0,
    )


def test_migration_0002_renames_stored_mttf_ids_to_mtbf(database_url):
    # A database written before 0002 holds excavator values under the old id; after the upgrade they are found
    # under the id the registry uses now.
    from alembic import command

    store = Store.open(database_url, migrate=False)
    with store.engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0001")
    # Written as 0001 knew the store (the code of today writes an audit row too, which 0001 has no table for).
    with store.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO batches (id, file_name, sha256, uploaded_by, uploaded_at, n_observations, "
                "n_superseded, n_unchanged, n_warnings, report) "
                "VALUES (1, 'old', :sha, 'tester', '2024-05-01 00:00:00', 1, 0, 0, 0, '[]')"
            ),
            {"sha": "old".ljust(64, "0")},
        )
        connection.execute(
            text(
                "INSERT INTO observations (indicator_id, region_code, period, period_end, value, "
                "value_as_written, unit_as_written, flags, source, batch_id, superseded_by) "
                "VALUES ('excavator_mttf', '100000', '2024', '2024-12-31', 820.0, '820', 'h', '', NULL, 1, NULL)"
            )
        )
    store.upgrade()
    assert [(o.indicator, o.value) for o in store.current()] == [("excavator_mtbf", 820.0)]
    store.engine.dispose()


# ---- withdrawing a batch ---------------------------------------------------------------------------------------


def current_values(store: Store) -> dict[str, float]:
    return {str(o.period): o.value for o in store.current()}


def test_withdrawing_a_batch_falls_back_to_the_previous_values(store):
    first = commit(store, "a", [obs(93.6), obs(93.9, "2024")])
    second = commit(store, "b", [obs(93.65), obs(95.0, "2024")])
    assert current_values(store) == {"2023": 93.65, "2024": 95.0}
    result = store.withdraw_batch(second.batch_id, withdrawn_by="王五", reason="wrong sheet")
    assert (result.n_withdrawn, result.n_restored) == (2, 2)
    assert current_values(store) == {"2023": 93.6, "2024": 93.9}
    withdrawal = store.batch(result.withdrawal_batch_id)
    assert withdrawal is not None
    assert (withdrawal.kind, withdrawal.withdraws, withdrawal.uploaded_by, withdrawal.reason) == (
        "withdrawal",
        second.batch_id,
        "王五",
        "wrong sheet",
    )
    assert (withdrawal.n_observations, withdrawal.n_superseded) == (0, 2)
    assert withdrawal.file_name == f"withdrawal of batch {second.batch_id}"
    listed = {b.id: b for b in store.batches()}
    assert listed[second.batch_id].withdrawn_by == result.withdrawal_batch_id
    assert listed[first.batch_id].withdrawn_by is None and listed[first.batch_id].kind == "upload"
    # Nothing is deleted: the withdrawn value stays in the history, marked with the withdrawal.
    history = history_of(store, "manufacturing_pass_rate", "100000", "2023")
    assert [(h.observation.value, h.batch_id, h.superseded_by) for h in history] == [
        (93.6, first.batch_id, None),
        (93.65, second.batch_id, result.withdrawal_batch_id),
    ]


def test_a_value_a_later_batch_replaced_stands_after_the_withdrawal(store):
    commit(store, "a", [obs(93.6), obs(93.9, "2024")])
    second = commit(store, "b", [obs(93.65), obs(95.0, "2024")])
    commit(store, "c", [obs(93.7)])  # 2023 revised again after b
    result = store.withdraw_batch(second.batch_id, withdrawn_by="tester")
    assert (result.n_withdrawn, result.n_restored) == (1, 1)
    assert current_values(store) == {"2023": 93.7, "2024": 93.9}


def test_a_withdrawn_value_never_comes_back_when_the_batch_that_replaced_it_is_withdrawn(store):
    commit(store, "z", [obs(93.0)])
    a = commit(store, "a", [obs(93.5)])
    b = commit(store, "b", [obs(94.0)])
    assert (
        store.withdraw_batch(a.batch_id, withdrawn_by="tester").n_withdrawn == 0
    )  # b had replaced it already
    assert current_values(store) == {"2023": 94.0}
    result = store.withdraw_batch(b.batch_id, withdrawn_by="tester")
    assert (result.n_withdrawn, result.n_restored) == (1, 1)
    assert current_values(store) == {"2023": 93.0}  # z's value, not a's


def test_a_first_time_value_disappears_when_its_batch_is_withdrawn(store):
    commit(store, "a", [obs(93.6)])
    second = commit(store, "b", [obs(92.0, region="620000"), obs(93.6)])  # 93.6 again: unchanged, not stored
    result = store.withdraw_batch(second.batch_id, withdrawn_by="tester")
    assert (result.n_withdrawn, result.n_restored) == (1, 0)
    assert [(o.region, o.value) for o in store.current()] == [("100000", 93.6)]
    assert store.current(region="620000") == []


def test_a_withdrawn_file_can_be_stored_again(store):
    commit(store, "a", [obs(93.6)])
    assert store.find_batch("a".ljust(64, "0")) is not None
    store.withdraw_batch(1, withdrawn_by="tester")
    assert store.find_batch("a".ljust(64, "0")) is None  # the ingest's duplicate check no longer refuses it
    again = commit(store, "a", [obs(93.6)])
    assert again.n_inserted == 1 and current_values(store) == {"2023": 93.6}


def test_withdrawing_twice_an_unknown_batch_or_a_withdrawal_is_refused_and_changes_nothing(store):
    commit(store, "a", [obs(93.6)])
    second = commit(store, "b", [obs(93.65)])
    withdrawal = store.withdraw_batch(second.batch_id, withdrawn_by="tester").withdrawal_batch_id
    before = (store.batches(), store.current(), store.data_version())
    with pytest.raises(
        StoreError, match=f"batch {second.batch_id} .*already withdrawn by batch {withdrawal}"
    ):
        store.withdraw_batch(second.batch_id, withdrawn_by="tester")
    with pytest.raises(StoreError, match="no batch 99"):
        store.withdraw_batch(99, withdrawn_by="tester")
    with pytest.raises(StoreError, match=f"batch {withdrawal} is the withdrawal of batch {second.batch_id}"):
        store.withdraw_batch(withdrawal, withdrawn_by="tester")
    assert (store.batches(), store.current(), store.data_version()) == before


def test_two_people_withdrawing_the_same_batch_at_once_withdraw_it_once(database_url):
    import threading

    stores = [Store.open(database_url) for _ in range(3)]
    commit(stores[0], "a", [obs(90.0, str(year)) for year in range(2015, 2025)])
    commit(stores[0], "b", [obs(91.0, str(year)) for year in range(2015, 2025)])
    barrier = threading.Barrier(len(stores))
    outcomes: list[object] = []

    def withdraw(number: int) -> None:
        barrier.wait()
        try:
            outcomes.append(stores[number].withdraw_batch(2, withdrawn_by=f"worker{number}"))
        except StoreError as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=withdraw, args=(n,)) for n in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done = [o for o in outcomes if not isinstance(o, str)]
    refused = [o for o in outcomes if isinstance(o, str)]
    assert len(done) == 1 and len(refused) == 2, outcomes
    assert all("batch 2 (b) was already withdrawn by batch" in message for message in refused)
    assert {o.value for o in stores[0].current()} == {90.0}
    assert [b.kind for b in stores[0].batches()] == ["upload", "upload", "withdrawal"]
    for store in stores:
        store.engine.dispose()


def test_history_for_keeps_every_revision_of_every_period(store):
    first = commit(store, "a", [obs(93.9, "2024"), obs(93.6), obs(90.0, region="620000")])
    second = commit(store, "b", [obs(93.65)])
    withdrawal = store.withdraw_batch(second.batch_id, withdrawn_by="tester").withdrawal_batch_id
    third = commit(store, "c", [obs(93.8)])
    rows = store.history_for("manufacturing_pass_rate", "100000")
    assert [(str(h.observation.period), h.observation.value, h.batch_id, h.superseded_by) for h in rows] == [
        ("2023", 93.6, first.batch_id, third.batch_id),
        ("2023", 93.65, second.batch_id, withdrawal),
        ("2023", 93.8, third.batch_id, None),
        ("2024", 93.9, first.batch_id, None),
    ]
    assert store.history_for("manufacturing_pass_rate", "310000") == []


def test_a_withdrawal_from_another_process_refreshes_cached_answers(database_url):
    reader, writer = Store.open(database_url), Store.open(database_url)
    commit(writer, "a", [obs(93.6)])
    second = commit(writer, "b", [obs(93.7)])
    assert [o.value for o in reader.current()] == [93.7]
    version = reader.data_version()
    writer.withdraw_batch(second.batch_id, withdrawn_by="tester")
    assert reader.data_version() > version
    assert [o.value for o in reader.current()] == [93.6]
    reader.engine.dispose()
    writer.engine.dispose()


def test_migration_0003_keeps_batches_written_before_it_and_they_can_be_withdrawn(database_url):
    from alembic import command

    store = Store.open(database_url, migrate=False)
    with store.engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0002")
    # Written as 0002 knew batches, without the columns 0003 adds: b.xlsx revised a.xlsx's value.
    with store.engine.begin() as connection:
        for number, name in [(1, "a.xlsx"), (2, "b.xlsx")]:
            connection.execute(
                text(
                    "INSERT INTO batches (id, file_name, sha256, uploaded_by, uploaded_at, n_observations, "
                    "n_superseded, n_unchanged, n_warnings, report) "
                    "VALUES (:id, :name, :sha, 'tester', '2024-05-01 00:00:00', 1, :superseded, 0, 0, '[]')"
                ),
                {"id": number, "name": name, "sha": name.ljust(64, "0"), "superseded": number - 1},
            )
        for value, batch, superseded_by in [(93.6, 1, 2), (93.65, 2, None)]:
            connection.execute(
                text(
                    "INSERT INTO observations (indicator_id, region_code, period, period_end, value, "
                    "value_as_written, unit_as_written, flags, source, batch_id, superseded_by) "
                    "VALUES ('manufacturing_pass_rate', '100000', '2023', '2023-12-31', :value, :written, '%', "
                    "'', NULL, :batch, :superseded_by)"
                ),
                {"value": value, "written": str(value), "batch": batch, "superseded_by": superseded_by},
            )
    if store.engine.dialect.name == "postgresql":  # ids given by hand: move the sequence past them
        with store.engine.begin() as connection:
            connection.execute(text("SELECT setval(pg_get_serial_sequence('batches', 'id'), 2)"))
    store.upgrade()
    assert store.schema_revision() == head_revision()
    assert [(b.file_name, b.kind, b.withdraws, b.withdrawn_by) for b in store.batches()] == [
        ("a.xlsx", "upload", None, None),
        ("b.xlsx", "upload", None, None),
    ]
    assert current_values(store) == {"2023": 93.65}
    result = store.withdraw_batch(2, withdrawn_by="tester")
    assert result.withdrawal_batch_id == 3 and current_values(store) == {"2023": 93.6}
    store.engine.dispose()


def test_migration_0003_downgrades_and_upgrades_again(database_url):
    from alembic import command

    store = Store.open(database_url)
    commit(store, "a", [obs(93.6)])
    commit(store, "b", [obs(93.65)])
    store.withdraw_batch(2, withdrawn_by="tester")
    with store.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0002")
    assert store.schema_revision() == "0002"
    store.upgrade()
    # 0002 cannot say that a batch was withdrawn: the withdrawal reads as an upload that stored nothing, and the
    # values stay as they were.
    assert [(b.file_name, b.kind, b.withdrawn_by) for b in store.batches()] == [
        ("a", "upload", None),
        ("b", "upload", None),
        ("withdrawal of batch 2", "upload", None),
    ]
    assert current_values(store) == {"2023": 93.6}
    store.engine.dispose()


# ---- the audit trail and migration 0004 --------------------------------------------------------------------------


def test_uploads_and_withdrawals_are_audited_in_their_own_transaction(store):
    first = store.commit_batch(
        file_name="甘肃.xlsx",
        sha256="a" * 64,
        uploaded_by="李四",
        records=[obs(93.6), obs(93.9, "2024")],
        report=[],
        n_warnings=1,
        address="192.0.2.7",
    )
    second = commit(store, "b", [obs(93.65), obs(93.9, "2024")])  # no address: the command line
    withdrawal = store.withdraw_batch(
        second.batch_id, withdrawn_by="王五", reason="wrong sheet", address="::1"
    )
    entries = store.audit()  # newest first
    assert [(e.action, e.user, e.batch, e.address) for e in entries] == [
        ("withdraw", "王五", second.batch_id, "::1"),
        ("upload", "tester", second.batch_id, None),
        ("upload", "李四", first.batch_id, "192.0.2.7"),
    ]
    assert entries[2].detail == {
        "file": "甘肃.xlsx",
        "sha256": "a" * 64,
        "stored": 2,
        "superseded": 0,
        "unchanged": 0,
        "warnings": 1,
    }
    assert (entries[1].detail["stored"], entries[1].detail["superseded"], entries[1].detail["unchanged"]) == (
        1,
        1,
        1,
    )
    assert entries[0].detail == {
        "file": "b",
        "withdrawal_batch": withdrawal.withdrawal_batch_id,
        "reason": "wrong sheet",
        "withdrawn": 1,
        "restored": 1,
    }
    assert all(e.at.tzinfo is not None for e in entries) and entries[0].at >= entries[2].at
    assert [e.action for e in store.audit(limit=1)] == ["withdraw"]
    assert store.audit(limit=0) == []


def test_a_write_that_fails_leaves_no_audit_row(store):
    commit(store, "a", [obs(93.6)])
    with pytest.raises(StoreError):
        commit(store, "b", [obs(94.0, "2024"), obs(94.1, "2024")])
    with pytest.raises(StoreError):
        store.withdraw_batch(99, withdrawn_by="tester")
    assert [(e.action, e.batch) for e in store.audit()] == [("upload", 1)]


def test_migration_0004_adds_accounts_and_the_audit_trail_to_a_database_holding_data(database_url):
    from alembic import command

    from qtm.accounts import Users

    store = Store.open(database_url, migrate=False)
    with store.engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0003")
    # Written as 0003 knew the store: an upload, a revision, and the revision's withdrawal.
    with store.engine.begin() as connection:
        for number, name, kind, withdraws in [
            (1, "a.xlsx", "upload", None),
            (2, "b.xlsx", "upload", None),
            (3, "withdrawal of batch 2", "withdrawal", 2),
        ]:
            connection.execute(
                text(
                    "INSERT INTO batches (id, file_name, sha256, uploaded_by, uploaded_at, n_observations, "
                    "n_superseded, n_unchanged, n_warnings, report, kind, withdraws) "
                    "VALUES (:id, :name, :sha, 'tester', '2024-05-01 00:00:00', 1, 0, 0, 0, '[]', :kind, :withdraws)"
                ),
                {
                    "id": number,
                    "name": name,
                    "sha": name.ljust(64, "0"),
                    "kind": kind,
                    "withdraws": withdraws,
                },
            )
        connection.execute(text("UPDATE batches SET withdrawn_by = 3 WHERE id = 2"))
        for value, batch, superseded_by in [(93.6, 1, None), (93.65, 2, 3)]:
            connection.execute(
                text(
                    "INSERT INTO observations (indicator_id, region_code, period, period_end, value, "
                    "value_as_written, unit_as_written, flags, source, batch_id, superseded_by) "
                    "VALUES ('manufacturing_pass_rate', '100000', '2023', '2023-12-31', :value, :written, '%', "
                    "'', NULL, :batch, :superseded_by)"
                ),
                {"value": value, "written": str(value), "batch": batch, "superseded_by": superseded_by},
            )
    if store.engine.dialect.name == "postgresql":  # ids given by hand: move the sequence past them
        with store.engine.begin() as connection:
            connection.execute(text("SELECT setval(pg_get_serial_sequence('batches', 'id'), 3)"))
    store.upgrade()
    assert store.schema_revision() == head_revision()  # 0004 and every later one
    # The data are as they were; the trail starts empty (nothing was audited before 0004); there are no accounts.
    assert [(b.id, b.kind, b.withdrawn_by) for b in store.batches()] == [
        (1, "upload", None),
        (2, "upload", 3),
        (3, "withdrawal", None),
    ]
    assert current_values(store) == {"2023": 93.6}
    assert store.audit() == [] and Users(store).list() == []
    Users(store).add("boss", "admin", [], "correct horse battery staple", actor="tester")
    result = commit(store, "c", [obs(93.7)])
    assert result.batch_id == 4
    assert [(e.action, e.batch) for e in store.audit()] == [("upload", 4), ("user_add", None)]
    store.engine.dispose()


def test_migration_0004_downgrades_and_upgrades_again(database_url):
    from alembic import command
    from sqlalchemy import inspect

    from qtm.accounts import Users

    store = Store.open(database_url)
    Users(store).add("boss", "admin", [], "correct horse battery staple", actor="tester")
    commit(store, "a", [obs(93.6)])
    with store.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0003")
    assert store.schema_revision() == "0003"
    assert {"users", "user_regions", "audit"}.isdisjoint(inspect(store.engine).get_table_names())
    assert current_values(store) == {"2023": 93.6}  # the data stay; the accounts and the trail go
    store.upgrade()
    assert Users(store).list() == [] and store.audit() == []
    store.engine.dispose()
