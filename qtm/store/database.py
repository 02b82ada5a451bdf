"""Opening the database, migrating it, and reading and writing batches of observations."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from itertools import chain, islice
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Select, and_, create_engine, event, func, or_, select, update
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError

from qtm import forking
from qtm.errors import StoreError
from qtm.observations import Observation
from qtm.periods import Period
from qtm.store import audit as _audit
from qtm.store import locking as _locking
from qtm.store import migrate as _migrate
from qtm.store.audit import AuditEntry
from qtm.store.schema import batches, observations

# SQLite: how long a writer waits for the write lock (writers take turns: see Store.writing) before giving up
_BUSY_TIMEOUT_MS = 120_000
_CURRENT_COLUMNS = (
    observations.c.indicator_id,
    observations.c.region_code,
    observations.c.period,
    observations.c.value,
    observations.c.value_as_written,
    observations.c.unit_as_written,
    observations.c.flags,
    observations.c.source,
)
_CACHE_ENTRIES = 64  # cached answers of current(); all are dropped when full (they are cheap to remake)


@dataclass(frozen=True)
class StoredObservation:
    observation: Observation
    batch_id: int
    superseded_by: int | None


@dataclass(frozen=True)
class StoredBatch:
    id: int
    file_name: str
    sha256: str
    uploaded_by: str
    uploaded_at: dt.datetime
    n_observations: int
    n_superseded: int
    n_unchanged: int
    n_warnings: int
    report: list[dict[str, Any]]
    kind: str  # "upload", or "withdrawal": a batch that withdrew another (see Store.withdraw_batch)
    withdraws: int | None  # on a withdrawal: the batch it withdrew
    withdrawn_by: int | None  # on an upload: the withdrawal that withdrew it, None while it stands
    #: On an upload: the name its original was held under before the commit (loaders.originals); None for a
    #: withdrawal, an upload stored before schema 0005, or one stored by a script without an original.
    original: str | None = None
    #: On a withdrawal: why it was made, as its maker said; None for an upload, or when no reason was given.
    reason: str | None = None


@dataclass(frozen=True)
class CommitResult:
    batch_id: int
    n_inserted: int
    n_superseded: int
    n_unchanged: int


@dataclass(frozen=True)
class WithdrawResult:
    withdrawal_batch_id: int  # the new batch that records the withdrawal
    n_withdrawn: int  # values of the withdrawn batch that were current and no longer are
    n_restored: int  # earlier values made current again (the rest of the withdrawn keys now have no value)


class NothingChanged(StoreError):
    """:meth:`Store.commit_batch_if_changed` stored nothing: every record equals its current value, flags included —
    seen under the write lock, so also when an identical upload committed a moment before."""

    def __init__(self, file_name: str, n_unchanged: int) -> None:
        super().__init__(f"{file_name}: every value equals the current one, flags included; nothing stored")
        self.file_name, self.n_unchanged = file_name, n_unchanged


class _Moved(Exception):
    """Another process changed the rows a withdrawal was about to change: try again on the new state."""


@dataclass(frozen=True)
class _Upload:
    """What :meth:`Store.commit_batch` was given to store."""

    file_name: str
    sha256: str
    uploaded_by: str
    records: Sequence[Observation]
    report: list[dict[str, Any]]
    n_warnings: int
    address: str | None
    original: str | None
    #: commit_batch_if_changed: store nothing when every record equals its current value
    unless_unchanged: bool


class Store:
    """Batches and observations in one database. Open with :meth:`open`, which migrates to the latest schema."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._cache: dict[tuple[tuple[int, int], object], list[Observation]] = {}
        # a forked child (a background job) opens connections of its own, and leaves the parent's alone
        forking.renew_in_child(self, lambda store: store.engine.dispose(close=False))

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Store:
        """Connect to ``url`` (``sqlite:///path`` or ``postgresql+psycopg://…``) and bring its schema up to date."""
        parsed = make_url(url)
        if parsed.drivername == "postgresql":  # plain postgresql:// means psycopg 3 here, not psycopg2
            parsed = parsed.set(drivername="postgresql+psycopg")
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        try:
            engine = create_engine(parsed)
        except (SQLAlchemyError, ImportError) as exc:
            raise StoreError(
                f"cannot use database {parsed.render_as_string(hide_password=True)}: {exc}"
            ) from exc
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        store = cls(engine)
        if migrate:
            store.upgrade()
        return store

    def upgrade(self) -> None:
        """Apply every migration not yet applied (idempotent), one process at a time: see :mod:`qtm.store.migrate`."""
        _migrate.upgrade(self.engine)

    def schema_revision(self) -> str | None:
        with self.engine.connect() as connection:
            return _migrate.current_revision(connection)

    def writing(self) -> AbstractContextManager[Connection]:
        """A transaction holding the store's write lock, taken before anything is read::

            with store.writing() as connection:
                ...  # read what will change, then change it

        It commits when the block ends and rolls back if the block raises. Writes take turns, so what a writer
        reads still holds when it writes: every write that reads first (an upload's commit, a withdrawal, a change
        to the accounts) goes through it. Readers are not held up. On SQLite the database's write lock (``BEGIN
        IMMEDIATE``, waiting up to the busy timeout); on PostgreSQL an advisory lock held to the end of the
        transaction. See :mod:`qtm.store.locking`, which also retries a write another writer got in the way of."""
        return _locking.writing(self.engine)

    # ---- batches -------------------------------------------------------------------------------------------

    def find_batch(self, sha256: str) -> StoredBatch | None:
        """The upload that already stored a file with this content and still stands, if any: a file whose batch
        was withdrawn can be stored again."""
        query = (
            select(batches)
            .where(batches.c.sha256 == sha256, batches.c.kind == "upload", batches.c.withdrawn_by.is_(None))
            .order_by(batches.c.id)
            .limit(1)
        )
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        return _batch(row._mapping) if row is not None else None

    def batch(self, batch_id: int) -> StoredBatch | None:
        """One batch by its id, or None."""
        with self.engine.connect() as connection:
            row = connection.execute(select(batches).where(batches.c.id == batch_id)).first()
        return _batch(row._mapping) if row is not None else None

    def batches(self) -> list[StoredBatch]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(batches).order_by(batches.c.id)).all()
        return [_batch(r._mapping) for r in rows]

    def upload_originals(self) -> list[tuple[int, str, str | None]]:
        """Every upload as (id, sha256, the name its original was held under or None), oldest first: what
        :mod:`loaders.originals` checks the originals folder against, without reading the batches' reports."""
        query = (
            select(batches.c.id, batches.c.sha256, batches.c.original)
            .where(batches.c.kind == "upload")
            .order_by(batches.c.id)
        )
        with self.engine.connect() as connection:
            return [(row.id, row.sha256, row.original) for row in connection.execute(query)]

    def batch_of_original(self, original: str) -> int | None:
        """The id of the batch whose original was held under ``original``, or None."""
        query = select(batches.c.id).where(batches.c.original == original).limit(1)
        with self.engine.connect() as connection:
            found = connection.execute(query).scalar()
        return int(found) if found is not None else None

    def commit_batch(
        self,
        *,
        file_name: str,
        sha256: str,
        uploaded_by: str,
        records: Sequence[Observation],
        report: list[dict[str, Any]],
        n_warnings: int,
        address: str | None = None,
        original: str | None = None,
    ) -> CommitResult:
        """Store ``records`` as one batch, in one transaction, with its audit row (action ``upload``, by
        ``uploaded_by``, from ``address`` when the upload came over the web).

        A record whose indicator, region and period already has a current value with the same value and flags is
        counted as unchanged and not stored again; one with a different value supersedes the current row.
        When another process stores the same keys at the same moment, the transaction is retried on the new state
        (a few times); if it still cannot go through, :class:`StoreError` says so and nothing is stored.
        Batch writes take turns (see :meth:`writing`): each sees every batch committed before it.
        ``original``: the name the upload's original is held under (loaders.originals), recorded with the batch in
        the same transaction, so that the batch and its original are never apart.
        """
        upload = _Upload(
            file_name, sha256, uploaded_by, records, report, n_warnings, address, original, False
        )
        return self._commit(upload)

    def commit_batch_if_changed(
        self,
        *,
        file_name: str,
        sha256: str,
        uploaded_by: str,
        records: Sequence[Observation],
        report: list[dict[str, Any]],
        n_warnings: int,
        address: str | None = None,
        original: str | None = None,
    ) -> CommitResult:
        """:meth:`commit_batch`, except that when every record equals its current value (flags included) no batch
        is stored and :class:`NothingChanged` is raised: the duplicate rule, decided under the write lock. Of two
        identical files uploaded at the same moment, the second is then a duplicate, not an empty batch."""
        upload = _Upload(file_name, sha256, uploaded_by, records, report, n_warnings, address, original, True)
        return self._commit(upload)

    def _commit(self, upload: _Upload) -> CommitResult:
        return _locking.retrying(
            lambda: self._commit_once(upload),
            gave_up=f"{upload.file_name}: other uploads kept changing the same values; nothing was stored, try again",
            also_on=(IntegrityError,),
        )

    def _commit_once(self, upload: _Upload) -> CommitResult:
        now = dt.datetime.now(dt.UTC)
        with self.writing() as connection:
            fresh, replaced, unchanged = self._what_changes(connection, upload.records)
            if upload.unless_unchanged and upload.records and not fresh:
                raise NothingChanged(
                    upload.file_name, unchanged
                )  # the transaction rolls back: nothing was written
            batch_id = _insert_upload(connection, upload, now, len(fresh), len(replaced), unchanged)
            _supersede(connection, replaced, batch_id)
            if fresh:
                self._insert_observations(connection, fresh, batch_id)
            _audit.record(
                connection,
                user=upload.uploaded_by,
                action="upload",
                batch=batch_id,
                address=upload.address,
                at=now,
                detail={
                    "file": upload.file_name,
                    "sha256": upload.sha256,
                    "stored": len(fresh),
                    "superseded": len(replaced),
                    "unchanged": unchanged,
                    "warnings": upload.n_warnings,
                },
            )
        return CommitResult(batch_id, len(fresh), len(replaced), unchanged)

    def _what_changes(
        self, connection: Connection, records: Sequence[Observation]
    ) -> tuple[list[Observation], list[int], int]:
        """The records to store (new keys, or a value or flags other than the current ones), the ids of the current
        rows they supersede, and how many records equal their current value (not stored again)."""
        current = self._current_for_keys(connection, records)
        if not current:
            return list(records), [], 0
        fresh: list[Observation] = []
        replaced: list[int] = []
        unchanged = 0
        for record in records:
            existing = current.get((record.indicator, record.region, record.period.text))
            if existing is not None:
                row_id, value, flags = existing
                if value == record.value and flags == _flags_text(record.flags):
                    unchanged += 1
                    continue
                replaced.append(row_id)
            fresh.append(record)
        return fresh, replaced, unchanged

    def withdraw_batch(
        self, batch_id: int, *, withdrawn_by: str, reason: str | None = None, address: str | None = None
    ) -> WithdrawResult:
        """Withdraw an upload, in one transaction, recorded as a batch of its own (kind ``withdrawal``) and in the
        audit trail (action ``withdraw``, by ``withdrawn_by``, from ``address`` when made over the web).

        Each value of the upload that is still current stops being current (superseded by the withdrawal) and the
        value it had replaced, if any, is current again (or, if that value's batch was withdrawn too, the revision
        before it); a value of the upload that a later batch has already replaced is left alone, so the later value
        stands. Nothing is deleted: :meth:`history` keeps every row.
        Refused with :class:`StoreError`, changing nothing, for an unknown batch, a withdrawal or a batch
        already withdrawn. A withdrawn file can be uploaded again.
        """
        return _locking.retrying(
            lambda: self._withdraw_once(batch_id, withdrawn_by, reason, address),
            gave_up=f"batch {batch_id}: other uploads kept changing the same values; nothing was withdrawn, try again",
            also_on=(IntegrityError, _Moved),
        )

    def _withdraw_once(
        self, batch_id: int, withdrawn_by: str, reason: str | None, address: str | None
    ) -> WithdrawResult:
        now = dt.datetime.now(dt.UTC)
        c = observations.c
        with self.writing() as connection:
            upload = _upload_to_withdraw(connection, batch_id)
            live = connection.execute(
                select(c.id, c.indicator_id, c.region_code, c.period).where(
                    c.batch_id == batch_id, c.superseded_by.is_(None)
                )
            ).all()
            keys = {(r.indicator_id, r.region_code, r.period) for r in live}
            earlier = self._previous_revisions(connection, batch_id, keys)
            withdrawal_id = _insert_withdrawal(
                connection, batch_id, withdrawn_by, reason, now, len(live), len(earlier)
            )
            _mark_withdrawn(connection, batch_id, withdrawal_id)
            withdrawn, restored = _swap_current(
                connection, [r.id for r in live], sorted(earlier.values()), withdrawal_id
            )
            _audit.record(
                connection,
                user=withdrawn_by,
                action="withdraw",
                batch=batch_id,
                address=address,
                at=now,
                detail={
                    "file": upload.file_name,
                    "withdrawal_batch": withdrawal_id,
                    "reason": reason,
                    "withdrawn": withdrawn,
                    "restored": restored,
                },
            )
        return WithdrawResult(withdrawal_id, withdrawn, restored)

    def withdrawal_fallback(self, batch_id: int) -> list[tuple[Observation, Observation | None]]:
        """What withdrawing ``batch_id`` would do, read only: each of its values that is current, beside the value
        that would become current in its place (None when the key would have no value)."""
        c = observations.c
        with self.engine.connect() as connection:
            live = [
                _observation(r._mapping)
                for r in connection.execute(
                    select(observations)
                    .where(c.batch_id == batch_id, c.superseded_by.is_(None))
                    .order_by(c.id)
                )
            ]
            keys = {(o.indicator, o.region, o.period.text) for o in live}
            earlier: dict[tuple[str, str, str], Observation] = {}
            if keys:
                query = _standing_elsewhere(select(observations), batch_id, keys)
                for r in connection.execute(query):
                    key = (r.indicator_id, r.region_code, r.period)
                    if key in keys:
                        earlier[key] = _observation(r._mapping)
        return [(o, earlier.get((o.indicator, o.region, o.period.text))) for o in live]

    @staticmethod
    def _previous_revisions(
        connection: Connection, batch_id: int, keys: set[tuple[str, str, str]]
    ) -> dict[tuple[str, str, str], int]:
        """Per key, the row to make current when ``batch_id``'s current row is withdrawn: the newest row of another
        batch that stands. Usually the row ``batch_id`` superseded; but if that row's batch has been withdrawn
        since, the revision before it, so that a withdrawn value never comes back."""
        found: dict[tuple[str, str, str], int] = {}
        if not keys:
            return found
        c = observations.c
        query = (
            _standing_elsewhere(select(c.id, c.indicator_id, c.region_code, c.period), batch_id, keys)
            # On PostgreSQL, a batch being withdrawn at this moment by another process is waited for, then left out.
            .with_for_update(read=True, of=batches)
        )
        for r in connection.execute(query):
            key = (r.indicator_id, r.region_code, r.period)
            if key in keys:
                found[key] = r.id
        return found

    def _insert_observations(self, connection: Connection, records: list[Observation], batch_id: int) -> None:
        """Insert. For SQLite (Python's own driver), with statements of many rows each, on rows made as they are
        asked for: SQLAlchemy's per-row parameter processing would cost more than the whole rest of an ingest of
        100 000 rows (see :meth:`_insert_sqlite`). For PostgreSQL
        (psycopg 3), with ``COPY … FROM STDIN``: as fast, and a refusal (a unique violation when another process
        stored the same key first) is one plain error — psycopg's executemany runs in pipeline mode, and a pipeline
        aborted by an error, then closed while the error propagates, printed "error ignored terminating
        psycopg.Pipeline … pipeline aborted" on stderr. Other databases go through SQLAlchemy."""
        dialect = connection.dialect
        if dialect.name == "postgresql" and dialect.driver == "psycopg":
            self._copy_observations(connection, records, batch_id)
            return
        driver = connection.connection.driver_connection
        if dialect.name == "sqlite" and isinstance(driver, sqlite3.Connection):
            self._insert_sqlite(driver, records, batch_id)
            return
        connection.execute(observations.insert(), [_row(r, batch_id) for r in records])

    @staticmethod
    def _insert_sqlite(driver: sqlite3.Connection, records: list[Observation], batch_id: int) -> None:
        """Insert into SQLite with statements of many rows each (``INSERT … VALUES (…), (…), …``, as many as the
        build allows parameters): half the time of the driver's executemany, which steps and resets a statement
        per row. The batch is written into the statement: an integer from the database, not from the file."""
        names = [c.name for c in observations.columns if c.name != "id"]
        assert names == [
            "indicator_id",
            "region_code",
            "period",
            "period_end",
            "value",
            "value_as_written",
            "unit_as_written",
            "flags",
            "source",
            "batch_id",
            "superseded_by",
        ]
        per_statement = max(1, min(500, driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // 9))
        row = f"(?, ?, ?, ?, ?, ?, ?, ?, ?, {int(batch_id)}, NULL)"

        def statement(count: int) -> str:
            return f"INSERT INTO observations ({', '.join(names)}) VALUES {', '.join([row] * count)}"

        full = statement(per_statement)
        rows = _sqlite_rows(records)
        cursor = driver.cursor()
        try:
            while parameters := list(chain.from_iterable(islice(rows, per_statement))):
                count = len(parameters) // 9
                cursor.execute(full if count == per_statement else statement(count), parameters)
        except sqlite3.Error as exc:  # the same exception SQLAlchemy would raise (IntegrityError …)
            raise DBAPIError.instance(statement(1), None, exc, sqlite3.Error) from exc
        finally:
            cursor.close()

    @staticmethod
    def _copy_observations(connection: Connection, records: list[Observation], batch_id: int) -> None:
        """Insert with PostgreSQL's COPY, in the connection's transaction."""
        names = [c.name for c in observations.columns if c.name != "id"]
        sql = f"COPY observations ({', '.join(names)}) FROM STDIN"
        dbapi = connection.dialect.loaded_dbapi
        flag_text: dict[frozenset[str], str] = {}
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            with cursor.copy(sql) as copy:
                for r in records:
                    flags = flag_text.get(r.flags)
                    if flags is None:
                        flags = flag_text[r.flags] = _flags_text(r.flags)
                    copy.write_row(
                        (
                            r.indicator,
                            r.region,
                            r.period.text,
                            r.period.end,
                            r.value,
                            r.value_as_written,
                            r.unit_as_written,
                            flags,
                            r.source,
                            batch_id,
                            None,
                        )
                    )
        except dbapi.Error as exc:  # the same exception SQLAlchemy would raise (IntegrityError …)
            raise DBAPIError.instance(sql, None, exc, dbapi.Error) from exc
        finally:
            cursor.close()

    def _current_for_keys(
        self, connection: Connection, records: Sequence[Observation]
    ) -> dict[tuple[str, str, str], tuple[int, float, str]]:
        """The current rows that the records would supersede, by key."""
        found: dict[tuple[str, str, str], tuple[int, float, str]] = {}
        indicators = sorted({r.indicator for r in records})
        if not indicators:
            return found
        c = observations.c
        # Read the current rows of the indicators concerned, then match keys in Python: one query, any size.
        query = select(c.id, c.indicator_id, c.region_code, c.period, c.value, c.flags).where(
            and_(c.superseded_by.is_(None), c.indicator_id.in_(indicators))
        )
        existing = {
            (row.indicator_id, row.region_code, row.period): (row.id, row.value, row.flags)
            for row in connection.execute(query)
        }
        if existing:
            for r in records:
                key = (r.indicator, r.region, r.period.text)
                if key in existing:
                    found[key] = existing[key]
        return found

    # ---- the audit trail -----------------------------------------------------------------------------------

    def audit(self, limit: int | None = None) -> list[AuditEntry]:
        """Every audited write, newest first (at most ``limit``): uploads, withdrawals, changes to accounts."""
        with self.engine.connect() as connection:
            return _audit.read(connection, limit)

    # ---- observations --------------------------------------------------------------------------------------

    def current(self, *, indicator: str | None = None, region: str | None = None) -> list[Observation]:
        """The current value of every indicator, region and period, oldest period first.

        Answers come from an in-process cache while the data are unchanged: any new batch (an upload or a
        withdrawal), from this process or another, changes the newest batch id and the number of batches, which
        is one query to read. (The count too: on PostgreSQL a batch can commit after one with a higher id.)"""
        c = observations.c
        query = select(*_CURRENT_COLUMNS).where(c.superseded_by.is_(None))
        if indicator is not None:
            query = query.where(c.indicator_id == indicator)
        if region is not None:
            query = query.where(c.region_code == region)
        return self._cached_current((indicator, region), query)

    def current_of(self, pairs: Iterable[tuple[str, str]]) -> list[Observation]:
        """The current values of the given (indicator, region) pairs alone, through the key index: what a page
        shows costs the same however much else the store holds. Cached like :meth:`current`."""
        wanted = sorted(set(pairs))
        if not wanted:
            return []
        c = observations.c
        by_indicator: dict[str, list[str]] = {}
        for indicator, region in wanted:
            by_indicator.setdefault(indicator, []).append(region)
        query = select(*_CURRENT_COLUMNS).where(
            c.superseded_by.is_(None),
            or_(*(and_(c.indicator_id == i, c.region_code.in_(r)) for i, r in by_indicator.items())),
        )
        return self._cached_current(tuple(wanted), query)

    def _cached_current(self, key: object, query: Select[Any]) -> list[Observation]:
        versioned = (self._version(), key)
        cached = self._cache.get(versioned)
        if cached is not None:
            return cached
        c = observations.c
        query = query.order_by(c.indicator_id, c.region_code, c.period_end, c.period)
        periods: dict[str, Period] = {}
        flag_sets: dict[str, frozenset[str]] = {}
        found: list[Observation] = []
        with self.engine.connect() as connection:
            for ind, reg, period_text, value, written, unit, flags, source in connection.execute(query):
                period = periods.get(period_text)
                if period is None:
                    period = periods[period_text] = Period.parse(period_text)
                flag_set = flag_sets.get(flags)
                if flag_set is None:
                    flag_set = flag_sets[flags] = frozenset(f for f in flags.split(",") if f)
                found.append(Observation(ind, reg, period, value, written, unit, flag_set, source))
        if len(self._cache) >= _CACHE_ENTRIES:
            self._cache.clear()
        self._cache[versioned] = found
        return found

    def data_version(self) -> int:
        """The newest batch id (0 for an empty store): it changes whenever any process stores or withdraws a
        batch."""
        return self._version()[0]

    def version(self) -> tuple[str, int, int]:
        """Which database, and the state of its data: changes with every batch stored or withdrawn anywhere. A key
        for what is computed from the data (:mod:`qtm.results_cache`)."""
        return (self.identity, *self._version())

    @property
    def identity(self) -> str:
        """A short name of this database (its URL without a password, hashed): caches shared by several
        databases keep their entries apart."""
        shown = self.engine.url.render_as_string(hide_password=True)
        return hashlib.sha256(shown.encode()).hexdigest()[:16]

    def _version(self) -> tuple[int, int]:
        """The newest batch id and the number of batches: batches are never deleted, so every commit of one
        changes this pair, whatever the order in which concurrent transactions commit."""
        with self.engine.connect() as connection:
            newest, count = connection.execute(
                select(func.coalesce(func.max(batches.c.id), 0), func.count())
            ).one()
        return int(newest), int(count)

    def history_for(self, indicator: str, region: str) -> list[StoredObservation]:
        """Every value ever stored for one indicator and region, current and superseded, by period (oldest
        first) and then in the order stored: each value's revisions, with the batch that stored each and the
        batch that superseded or withdrew it (see :meth:`batch`)."""
        c = observations.c
        query = (
            select(observations)
            .where(c.indicator_id == indicator, c.region_code == region)
            .order_by(c.period_end, c.period, c.id)
        )
        with self.engine.connect() as connection:
            return [
                StoredObservation(_observation(r._mapping), r.batch_id, r.superseded_by)
                for r in connection.execute(query)
            ]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
    cursor.close()


def _flags_text(flags: Iterable[str]) -> str:
    return ",".join(sorted(flags))


_INDICATOR, _REGION, _PERIOD, _VALUE, _WRITTEN, _UNIT, _FLAGS, _SOURCE = map(itemgetter, range(8))


def _sqlite_rows(records: Sequence[Observation]) -> Iterator[tuple[object, ...]]:
    """The rows of ``records`` as SQLite stores them (a date as ISO text; without the batch and superseded_by),
    made in C as they are asked for: no list of 100 000 tuples, no Python call per row. Each period's text and end,
    and each set of flags, is worked out once (periods by identity: the records share them, and they hash
    slowly)."""
    periods = dict(zip(map(id, map(_PERIOD, records)), map(_PERIOD, records), strict=True))
    texts = {key: period.text for key, period in periods.items()}
    ends = {key: period.end.isoformat() for key, period in periods.items()}
    flags = {found: _flags_text(found) for found in set(map(_FLAGS, records))}
    return zip(
        map(_INDICATOR, records),
        map(_REGION, records),
        map(texts.__getitem__, map(id, map(_PERIOD, records))),
        map(ends.__getitem__, map(id, map(_PERIOD, records))),
        map(_VALUE, records),
        map(_WRITTEN, records),
        map(_UNIT, records),
        map(flags.__getitem__, map(_FLAGS, records)),
        map(_SOURCE, records),
        strict=True,
    )


def _row(record: Observation, batch_id: int) -> dict[str, Any]:
    return {
        "indicator_id": record.indicator,
        "region_code": record.region,
        "period": str(record.period),
        "period_end": record.period.end,
        "value": record.value,
        "value_as_written": record.value_as_written,
        "unit_as_written": record.unit_as_written,
        "flags": _flags_text(record.flags),
        "source": record.source,
        "batch_id": batch_id,
        "superseded_by": None,
    }


def _observation(row: Any) -> Observation:
    return Observation(
        indicator=row["indicator_id"],
        region=row["region_code"],
        period=Period.parse(row["period"]),
        value=row["value"],
        value_as_written=row["value_as_written"],
        unit_as_written=row["unit_as_written"],
        flags=frozenset(f for f in row["flags"].split(",") if f),
        source=row["source"],
    )


def _batch(row: Any) -> StoredBatch:
    uploaded_at = row["uploaded_at"]
    if uploaded_at.tzinfo is None:  # SQLite keeps no zone; we always write UTC
        uploaded_at = uploaded_at.replace(tzinfo=dt.UTC)
    return StoredBatch(
        id=row["id"],
        file_name=row["file_name"],
        sha256=row["sha256"],
        uploaded_by=row["uploaded_by"],
        uploaded_at=uploaded_at,
        n_observations=row["n_observations"],
        n_superseded=row["n_superseded"],
        n_unchanged=row["n_unchanged"],
        n_warnings=row["n_warnings"],
        report=json.loads(row["report"]),
        kind=row["kind"],
        withdraws=row["withdraws"],
        withdrawn_by=row["withdrawn_by"],
        original=row.get("original"),
        reason=row.get("reason"),
    )


def _insert_upload(
    connection: Connection,
    upload: _Upload,
    now: dt.datetime,
    n_stored: int,
    n_superseded: int,
    n_unchanged: int,
) -> int:
    """Add the batch row of an upload; its id."""
    inserted = connection.execute(
        batches.insert().values(
            file_name=upload.file_name,
            sha256=upload.sha256,
            uploaded_by=upload.uploaded_by,
            uploaded_at=now,
            n_observations=n_stored,
            n_superseded=n_superseded,
            n_unchanged=n_unchanged,
            n_warnings=upload.n_warnings,
            report=json.dumps(upload.report, ensure_ascii=False),
            original=upload.original,
        )
    )
    assert inserted.inserted_primary_key is not None
    return int(inserted.inserted_primary_key[0])


def _supersede(connection: Connection, row_ids: list[int], batch_id: int) -> None:
    """Mark the rows ``row_ids`` superseded by ``batch_id``."""
    for chunk in _chunks(row_ids, 500):
        connection.execute(
            update(observations).where(observations.c.id.in_(chunk)).values(superseded_by=batch_id)
        )


def _upload_to_withdraw(connection: Connection, batch_id: int) -> StoredBatch:
    """The upload ``batch_id``, read under the write lock; :class:`StoreError` unless it is an upload that stands."""
    row = connection.execute(select(batches).where(batches.c.id == batch_id)).first()
    if row is None:
        raise StoreError(f"there is no batch {batch_id} (qtm batches lists them)")
    upload = _batch(row._mapping)
    if upload.kind != "upload":
        raise StoreError(
            f"batch {batch_id} is the withdrawal of batch {upload.withdraws}, not an upload: "
            "only uploads can be withdrawn"
        )
    if upload.withdrawn_by is not None:
        raise StoreError(
            f"batch {batch_id} ({upload.file_name}) was already withdrawn by batch {upload.withdrawn_by}"
        )
    return upload


def _insert_withdrawal(
    connection: Connection,
    batch_id: int,
    withdrawn_by: str,
    reason: str | None,
    now: dt.datetime,
    n_withdrawn: int,
    n_restored: int,
) -> int:
    """Add the batch row of the withdrawal of ``batch_id``, with its reason in a column of its own; its id."""
    report = [
        {
            "severity": "info",
            "code": "withdrawal",
            "sheet": None,
            "cell": None,
            "message": f"撤回批次 {batch_id} / withdraws batch {batch_id}"
            + (f": {reason}" if reason else ""),
            "withdraws": batch_id,
            "n_restored": n_restored,
        }
    ]
    inserted = connection.execute(
        batches.insert().values(
            file_name=f"withdrawal of batch {batch_id}",
            sha256=hashlib.sha256(f"withdraw:{batch_id}:{now.isoformat()}".encode()).hexdigest(),
            uploaded_by=withdrawn_by,
            uploaded_at=now,
            n_observations=0,
            n_superseded=n_withdrawn,
            n_unchanged=0,
            n_warnings=0,
            report=json.dumps(report, ensure_ascii=False),
            kind="withdrawal",
            withdraws=batch_id,
            reason=reason,
        )
    )
    assert inserted.inserted_primary_key is not None
    return int(inserted.inserted_primary_key[0])


def _mark_withdrawn(connection: Connection, batch_id: int, withdrawal_id: int) -> None:
    """Point the upload at its withdrawal; :class:`_Moved` if another process withdrew it since it was read."""
    marked = connection.execute(
        update(batches)
        .where(batches.c.id == batch_id, batches.c.withdrawn_by.is_(None))
        .values(withdrawn_by=withdrawal_id)
    )
    if marked.rowcount != 1:
        raise _Moved(batch_id)


def _swap_current(
    connection: Connection, live: list[int], earlier: list[int], withdrawal_id: int
) -> tuple[int, int]:
    """Take the rows ``live`` out (superseded by the withdrawal), then make the rows ``earlier`` current again: at no
    moment are there two current values for one key (ux_observations_current). How many of each changed;
    :class:`_Moved` when not all did (a concurrent upload got there first)."""
    c = observations.c
    withdrawn = 0
    for chunk in _chunks(live, 500):
        withdrawn += connection.execute(
            update(observations)
            .where(c.id.in_(chunk), c.superseded_by.is_(None))
            .values(superseded_by=withdrawal_id)
        ).rowcount
    restored = 0
    for chunk in _chunks(earlier, 500):
        restored += connection.execute(
            update(observations)
            .where(c.id.in_(chunk), c.superseded_by.is_not(None))
            .values(superseded_by=None)
        ).rowcount
    if (withdrawn, restored) != (len(live), len(earlier)):
        raise _Moved(withdrawal_id)
    return withdrawn, restored


def _chunks(items: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _standing_elsewhere(query: Select[Any], batch_id: int, keys: set[tuple[str, str, str]]) -> Select[Any]:
    """``query`` narrowed to the rows of batches other than ``batch_id`` that stand (not withdrawn), for the
    indicators and regions of ``keys`` (the caller keeps the exact keys), oldest first."""
    c = observations.c
    return (
        query.select_from(observations.join(batches, batches.c.id == c.batch_id))
        .where(
            c.indicator_id.in_(sorted({k[0] for k in keys})),
            c.region_code.in_(sorted({k[1] for k in keys})),
            c.batch_id != batch_id,
            batches.c.withdrawn_by.is_(None),
        )
        .order_by(c.id)
    )
