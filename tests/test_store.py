"""The store on SQLite and on PostgreSQL: batches, supersession with history, atomicity, migrations."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from qtm.errors import StoreError
from qtm.observations import Observation
from qtm.periods import Period
from qtm.store import Store
from qtm.store.schema import metadata


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
    assert store.schema_revision() == Store.head_revision()
    with store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []


def test_opening_twice_is_harmless(database_url):
    Store.open(database_url).engine.dispose()
    again = Store.open(database_url)
    assert again.schema_revision() == Store.head_revision()
    again.engine.dispose()


def test_a_later_value_supersedes_and_the_earlier_stays_in_history(store):
    first = commit(store, "a", [obs(93.6), obs(93.9, "2024")])
    second = commit(store, "b", [obs(93.65)])
    assert (second.n_inserted, second.n_superseded) == (1, 1)
    current = {str(o.period): o.value for o in store.current()}
    assert current == {"2023": 93.65, "2024": 93.9}
    history = store.history("manufacturing_pass_rate", "100000", "2023")
    assert [(h.observation.value, h.batch_id, h.superseded_by) for h in history] == [
        (93.6, first.batch_id, second.batch_id),
        (93.65, second.batch_id, None),
    ]


def test_the_same_value_again_is_counted_unchanged_not_stored(store):
    commit(store, "a", [obs(93.6)])
    again = commit(store, "b", [obs(93.6)])
    assert (again.n_inserted, again.n_unchanged) == (0, 1)
    assert len(store.history("manufacturing_pass_rate", "100000", "2023")) == 1


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
    history = stores[0].history("manufacturing_pass_rate", "100000", "2020")
    assert len(history) == 5 and sum(h.superseded_by is None for h in history) == 1
    for store in stores:
        store.engine.dispose()


def test_migration_0002_renames_stored_mttf_ids_to_mtbf(database_url):
    # A database written before 0002 holds excavator values under the old id; after the upgrade they are found
    # under the id the registry uses now.
    from alembic import command

    from qtm.store.database import _alembic_config

    store = Store.open(database_url, migrate=False)
    with store.engine.begin() as connection:
        command.upgrade(_alembic_config(connection), "0001")
    old = Observation("excavator_mttf", "100000", Period.parse("2024"), 820.0, "820", "h", frozenset())
    commit(store, "old", [old])
    store.upgrade()
    assert [(o.indicator, o.value) for o in store.current()] == [("excavator_mtbf", 820.0)]
    store.engine.dispose()
