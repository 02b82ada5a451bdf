"""Accounts: who may do what. Knows neither Flask nor Dash: the dashboard and the ``qtm users`` command both use it.

Three roles. A **viewer** sees the dashboard. A **reporter** also uploads returns, for the regions assigned to them
and every region under those (a reporter for Gansu, 620000, reports for Lanzhou, 620100, too; one for Lanzhou does
not report for Gansu). An **admin** uploads for every region, withdraws batches and manages accounts.

Users live in the store's database (tables ``users`` and ``user_regions``, migration 0004). Passwords are kept as
salted argon2id hashes, never as themselves; there is no default password and no default account: the operator of
the machine adds the first admin with ``qtm users add NAME --role admin --password-stdin``. Every change to an
account writes a row in the audit trail (``qtm audit``) in the same transaction, naming who made it.

A login opens a session (table ``sessions``, migration 0006): a random token that only the client's signed cookie
holds (the database keeps its SHA-256), checked on every request. A logout deletes it. Every change to who the
account is — its password, its role or regions, disabling, enabling — raises the account's ``session_version`` and
deletes its sessions in the same transaction, so that every session it had ends, and a session whose password was
checked before the change (a login racing it) never counts. No session lasts more than ``SESSION_DAYS``.
Failed logins are in the audit trail with their address: :meth:`Users.failed_logins` counts them for the login
limit, shared by every process that uses the database.
"""

from __future__ import annotations

import builtins
import datetime as dt
import functools
import hashlib
import secrets
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from qtm.errors import ConfigError
from qtm.regions import Regions
from qtm.store import Store
from qtm.store import audit as _audit
from qtm.store.locking import retrying, writing
from qtm.store.schema import audit, sessions, user_regions, users

Role = Literal["viewer", "reporter", "admin"]
ROLES: tuple[Role, ...] = ("viewer", "reporter", "admin")
MIN_PASSWORD = 12  # characters
MAX_PASSWORD = 1024  # characters: a longer "password" is refused before it costs a hash
MAX_NAME = 80  # characters of a user name
SESSION_DAYS = 30  # the longest a login lasts: an older session is refused, and swept at the next login

_T = TypeVar("_T")
_hasher = PasswordHasher()  # argon2id with the library's parameters (RFC 9106's low-memory choice)


class AccountError(ConfigError, ValueError):
    """An account cannot be added or changed as asked; the message says why, in one line."""

    code = "account"
    status = 422


# ---- who may do what ---------------------------------------------------------------------------------------------

Action = Literal["view", "upload", "withdraw", "manage_users", "read_audit"]
ACTIONS: tuple[Action, ...] = ("view", "upload", "withdraw", "manage_users", "read_audit")

#: What each role may do: the whole permission model, as data. A disabled account may do nothing.
PERMISSIONS: dict[Role, frozenset[Action]] = {
    "viewer": frozenset({"view"}),
    "reporter": frozenset({"view", "upload"}),
    "admin": frozenset({"view", "upload", "withdraw", "manage_users", "read_audit"}),
}
#: The actions a role may do only in its own regions and every region under them (an admin's are everywhere).
REGION_SCOPED: dict[Role, frozenset[Action]] = {"reporter": frozenset({"upload"})}


def may(user: User | None, action: Action, region: str | None = None, regions: Regions | None = None) -> bool:
    """Whether ``user`` (None: nobody logged in) may do ``action`` — for ``region``, when given: a reporter uploads
    for the regions assigned and every region under them (the parents of ``region`` are walked up in ``regions``;
    without ``regions``, only the assigned ones themselves)."""
    if user is None or not user.active or action not in PERMISSIONS[user.role]:
        return False
    if region is None or action not in REGION_SCOPED.get(user.role, frozenset()):
        return True
    place: str | None = region
    seen: set[str] = set()
    while place is not None and place not in seen:
        if place in user.regions:
            return True
        seen.add(place)
        place = regions.get(place).parent if regions is not None and place in regions else None
    return False


def scoped(user: User | None, action: Action) -> bool:
    """Whether ``user`` may do ``action`` only in their own regions (and those under them), not everywhere."""
    return may(user, action) and user is not None and action in REGION_SCOPED.get(user.role, frozenset())


@dataclass(frozen=True)
class User:
    name: str
    role: Role
    regions: frozenset[str]  # a reporter's assigned GB/T 2260 codes (empty for viewers and admins)
    active: bool  # False once disabled: a disabled user may do nothing, not even view (see :func:`may`)


@dataclass(frozen=True)
class Login:
    """A session opened by a successful login: the user, and the random token that names the session (for the
    client's signed cookie only; the database keeps its SHA-256)."""

    user: User
    token: str


# ---- passwords ---------------------------------------------------------------------------------------------------


def check_password(password: object, name: str | None = None) -> str:
    """``password`` when it may be used, else :class:`AccountError` (the message never repeats the password)."""
    if not isinstance(password, str) or password == "":
        raise AccountError("the password is empty: give one of at least 12 characters")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password is too short: at least {MIN_PASSWORD} characters, please")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"the password is too long: at most {MAX_PASSWORD} characters")
    if name is not None and password.strip().casefold() == name.casefold():
        raise AccountError("the password must not be the user name")
    return password


def hash_password(password: str) -> str:
    """A salted argon2id hash of ``password`` (a new random salt each time)."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash() -> str:
    """A hash no password matches, verified against for an unknown user so that they take as long as a known one."""
    return _hasher.hash(secrets.token_urlsafe(32))


# ---- the repository ----------------------------------------------------------------------------------------------


class Users:
    """The accounts in one database. ``source`` is a :class:`Store` (or its engine), already migrated.

    ``regions`` are the regions that assignments are checked against; a method that assigns regions may be given
    others (``regions_known``); with neither, the configured regions file (``QTM_REGIONS``) is read.
    Every mutating method takes ``actor`` (who is doing it, as recorded in the audit trail) and, for a change made
    over the web, ``address``; it raises :class:`AccountError` (a ``ConfigError`` and a ``ValueError``) with one
    line saying what is wrong, changing nothing.
    """

    def __init__(self, source: Engine | Store, regions: Regions | None = None) -> None:
        self.engine: Engine = source.engine if isinstance(source, Store) else source
        self.regions = regions

    # ---- reading ----

    def get(self, name: str) -> User | None:
        with self.engine.connect() as connection:
            return self._get(connection, name)

    def list(self) -> builtins.list[User]:
        """Every account, by name."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(users).order_by(users.c.name)).all()
            assigned: dict[int, set[str]] = {}
            for user_id, code in connection.execute(
                select(user_regions.c.user_id, user_regions.c.region_code)
            ):
                assigned.setdefault(user_id, set()).add(code)
        return [_user(row._mapping, assigned.get(row.id, set())) for row in rows]

    def count_admins(self) -> int:
        """Active admins."""
        with self.engine.connect() as connection:
            return _count_admins(connection)

    def authenticate(self, name: str, password: str, *, address: str | None = None) -> User | None:
        """The user, when ``name`` and ``password`` match an active account; None otherwise (unknown name, wrong
        password, disabled account: the caller cannot tell which, and each takes about as long: an unknown name is
        checked against a dummy hash). A failure is recorded in the audit trail as ``login_failed``, with the name
        tried, the address and why (for the admins). A hash made with weaker parameters than today's is replaced."""
        return self.get(name) if self._verify(name, password, address) is not None else None

    def log_in(self, name: str, password: str, *, address: str | None = None) -> Login | None:
        """Check ``name`` and ``password`` as :meth:`authenticate` does and, when they match, open a session: the
        :class:`Login` holds its token. Sessions older than ``SESSION_DAYS`` are swept meanwhile."""
        row = self._verify(name, password, address)
        if row is None:
            return None
        token = secrets.token_urlsafe(32)

        def work(connection: Connection, now: dt.datetime) -> User | None:
            connection.execute(delete(sessions).where(sessions.c.created_at < now - _SESSION_LIFETIME))
            connection.execute(
                sessions.insert().values(
                    token_hash=_digest(token),
                    user_id=row.id,
                    version=row.session_version,  # as it was when the password was checked
                    created_at=now,
                )
            )
            return self._get(connection, name)

        user = self._write(work)
        return Login(user, token) if user is not None else None

    def session(self, token: object) -> User | None:
        """The user whose live session ``token`` names; None once the session ended (a logout), once the account
        changed after the password was checked (password, role, disabling, enabling), while the account is
        disabled, and after ``SESSION_DAYS``."""
        if not isinstance(token, str) or not token:
            return None
        oldest = dt.datetime.now(dt.UTC) - _SESSION_LIFETIME
        with self.engine.connect() as connection:
            row = connection.execute(
                select(users)
                .join(sessions, sessions.c.user_id == users.c.id)
                .where(
                    sessions.c.token_hash == _digest(token),
                    sessions.c.version == users.c.session_version,
                    sessions.c.created_at >= oldest,
                    users.c.active.is_(True),
                )
            ).first()
            if row is None:
                return None
            codes = connection.execute(
                select(user_regions.c.region_code).where(user_regions.c.user_id == row.id)
            ).scalars()
            return _user(row._mapping, set(codes))

    def end_session(self, token: object) -> None:
        """End the session ``token`` names (a logout): it no longer counts, wherever its cookie was copied."""
        if isinstance(token, str) and token:
            self._write(
                lambda connection, now: connection.execute(
                    delete(sessions).where(sessions.c.token_hash == _digest(token))
                )
            )

    def failed_logins(self, address: str | None, seconds: float) -> tuple[int, dt.datetime | None]:
        """How many logins failed from ``address`` in the last ``seconds`` (the audit trail's ``login_failed``
        rows, which every worker and server of the database writes), and when the earliest of them was."""
        since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=seconds)
        where = (
            audit.c.address.is_(None) if address is None else audit.c.address == address[: _audit.MAX_TEXT]
        )
        with self.engine.connect() as connection:
            count, earliest = connection.execute(
                select(func.count(), func.min(audit.c.at)).where(
                    where, audit.c.at >= since, audit.c.action == "login_failed"
                )
            ).one()
        if earliest is not None and earliest.tzinfo is None:  # SQLite keeps no zone; we always write UTC
            earliest = earliest.replace(tzinfo=dt.UTC)
        return int(count), earliest

    def record_throttled(self, name: str, *, address: str | None, limit: str) -> None:
        """A login refused before its password was checked, its address having failed too often: an audit row
        ``login_throttled`` with the name tried, the address and the limit."""
        self._write(
            lambda connection, now: _audit.record(
                connection,
                user=name[:MAX_NAME] if isinstance(name, str) else "",
                action="login_throttled",
                address=address,
                at=now,
                detail={"limit": limit},
            )
        )

    # ---- changing ----

    def add(
        self,
        name: str,
        role: Role,
        regions: Iterable[str],
        password: str,
        *,
        actor: str,
        address: str | None = None,
        regions_known: Regions | None = None,
    ) -> User:
        """Add an account. Refused for a name already taken, an unknown role or region, a reporter without
        regions, regions for a viewer or admin, a password shorter than 12 characters."""
        name = _check_name(name)
        role = _check_role(role)
        codes = self._codes(role, regions, regions_known)
        password_hash = hash_password(check_password(password, name))

        def work(connection: Connection, now: dt.datetime) -> User:
            if self._get(connection, name) is not None:
                raise AccountError(f"there is already a user named {name!r}")
            inserted = connection.execute(
                users.insert().values(
                    name=name,
                    role=role,
                    password_hash=password_hash,
                    active=True,
                    created_at=now,
                    updated_at=now,
                )
            )
            assert inserted.inserted_primary_key is not None
            _assign(connection, int(inserted.inserted_primary_key[0]), codes)
            _audit.record(
                connection,
                user=actor,
                action="user_add",
                address=address,
                at=now,
                detail={"name": name, "role": role, "regions": codes},
            )
            return User(name, role, frozenset(codes), True)

        try:
            return self._write(work)
        except IntegrityError as exc:  # added by someone else between the check and the insert
            raise AccountError(f"there is already a user named {name!r}") from exc

    def disable(self, name: str, *, actor: str, address: str | None = None) -> User:
        """Disable an account: it can no longer log in or do anything. Nothing is deleted (``enable`` undoes it).
        Refused for the last active admin. Disabling a disabled account changes nothing."""
        return self._set_active(name, False, actor=actor, address=address)

    def enable(self, name: str, *, actor: str, address: str | None = None) -> User:
        """Enable a disabled account again."""
        return self._set_active(name, True, actor=actor, address=address)

    def set_role(
        self,
        name: str,
        role: Role,
        regions: Iterable[str] = (),
        *,
        actor: str,
        address: str | None = None,
        regions_known: Regions | None = None,
    ) -> User:
        """Give an account another role, and (for a reporter) the regions it reports for, replacing the old ones.
        Refused as :meth:`add` refuses, and for the last active admin made something else."""
        role = _check_role(role)
        codes = self._codes(role, regions, regions_known)

        def work(connection: Connection, now: dt.datetime) -> User:
            before = self._existing(connection, name)
            if (before.role, before.regions) == (role, frozenset(codes)):
                return before
            if before.role == "admin" and role != "admin" and before.active:
                _keep_an_admin(connection, name, f"{name} cannot become a {role}")
            user_id = connection.execute(select(users.c.id).where(users.c.name == name)).scalar_one()
            connection.execute(update(users).where(users.c.id == user_id).values(role=role, updated_at=now))
            _end_sessions(connection, name)
            connection.execute(delete(user_regions).where(user_regions.c.user_id == user_id))
            _assign(connection, user_id, codes)
            _audit.record(
                connection,
                user=actor,
                action="user_set_role",
                address=address,
                at=now,
                detail={
                    "name": name,
                    "role": role,
                    "regions": codes,
                    "was": {"role": before.role, "regions": sorted(before.regions)},
                },
            )
            return User(name, role, frozenset(codes), before.active)

        return self._write(work)

    def set_password(self, name: str, password: str, *, actor: str, address: str | None = None) -> User:
        """Give an account a new password (at least 12 characters). The audit row says it changed, never what to."""
        password_hash = hash_password(check_password(password, name))

        def work(connection: Connection, now: dt.datetime) -> User:
            user = self._existing(connection, name)
            connection.execute(
                update(users).where(users.c.name == name).values(password_hash=password_hash, updated_at=now)
            )
            _end_sessions(connection, name)
            _audit.record(
                connection,
                user=actor,
                action="user_set_password",
                address=address,
                at=now,
                detail={"name": name},
            )
            return user

        return self._write(work)

    # ---- helpers ----

    def _verify(self, name: object, password: object, address: str | None) -> Any | None:
        """The account's row (id, password_hash, active, session_version) when ``name`` and ``password`` match an
        active account, else None with a ``login_failed`` audit row (see :meth:`authenticate`)."""
        if not isinstance(name, str) or not isinstance(password, str):
            return None
        with self.engine.connect() as connection:
            row = (
                connection.execute(
                    select(users.c.id, users.c.password_hash, users.c.active, users.c.session_version).where(
                        users.c.name == name
                    )
                ).first()
                if len(name) <= MAX_NAME
                else None
            )
        stored = row.password_hash if row is not None else _dummy_hash()
        matches = len(password) <= MAX_PASSWORD and verify_password(stored, password)
        if row is None or not matches or not row.active:
            why = "unknown user" if row is None else "wrong password" if not matches else "account disabled"
            self._write(
                lambda connection, now: _audit.record(
                    connection,
                    user=name,
                    action="login_failed",
                    address=address,
                    at=now,
                    detail={"reason": why},
                )
            )
            return None
        if _hasher.check_needs_rehash(stored):
            renewed = hash_password(password)
            self._write(
                lambda connection, now: connection.execute(
                    update(users)
                    .where(users.c.id == row.id, users.c.password_hash == stored)
                    .values(password_hash=renewed, updated_at=now)
                )
            )
        return row

    def _set_active(self, name: str, active: bool, *, actor: str, address: str | None) -> User:
        def work(connection: Connection, now: dt.datetime) -> User:
            user = self._existing(connection, name)
            if user.active == active:
                return user
            if not active and user.role == "admin":
                _keep_an_admin(connection, name, f"{name} cannot be disabled")
            connection.execute(
                update(users).where(users.c.name == name).values(active=active, updated_at=now)
            )
            _end_sessions(connection, name)  # re-enabling never revives a session of before
            _audit.record(
                connection,
                user=actor,
                action="user_enable" if active else "user_disable",
                address=address,
                at=now,
                detail={"name": name, "role": user.role},
            )
            return User(user.name, user.role, user.regions, active)

        return self._write(work)

    def _write(self, work: Callable[[Connection, dt.datetime], _T]) -> _T:
        """Run ``work`` in one transaction; again, on the new state, when another writer got in the way (SQLite's
        lock, a PostgreSQL deadlock), a few times. Nothing is changed unless all of it is. Writes take turns (the
        store's write lock), so what was read (the last admin?) still holds when written."""

        def once() -> _T:
            with writing(self.engine) as connection:
                return work(connection, dt.datetime.now(dt.UTC))

        gave_up = "other changes to the accounts kept getting in the way; nothing was changed, try again"
        return retrying(once, gave_up=gave_up)

    def _codes(self, role: Role, regions: Iterable[str], known: Regions | None) -> builtins.list[str]:
        """The region codes assigned, checked: each known (by code or name), some for a reporter, none otherwise."""
        if isinstance(regions, str):
            regions = [regions]
        written = [str(r).strip() for r in regions]
        if written and role != "reporter":
            raise AccountError(f"only reporters have regions; a {role} has none (leave out the regions)")
        if not written:
            if role == "reporter":
                raise AccountError("a reporter needs at least one region to report for (a GB/T 2260 code)")
            return []
        places = (
            known
            if known is not None
            else self.regions
            if self.regions is not None
            else _configured_regions()
        )
        codes: builtins.list[str] = []
        for text in written:
            place = places.resolve(text) if text else None
            if place is None:
                raise AccountError(f"unknown region code {text!r} (qtm regions lists them)")
            if place.code not in codes:
                codes.append(place.code)
        return sorted(codes)

    @staticmethod
    def _get(connection: Connection, name: str) -> User | None:
        row = connection.execute(select(users).where(users.c.name == name)).first()
        if row is None:
            return None
        codes = connection.execute(
            select(user_regions.c.region_code).where(user_regions.c.user_id == row.id)
        ).scalars()
        return _user(row._mapping, set(codes))

    def _existing(self, connection: Connection, name: str) -> User:
        user = self._get(connection, name)
        if user is None:
            raise AccountError(f"there is no user named {name!r} (qtm users list lists them)")
        return user


_SESSION_LIFETIME = dt.timedelta(days=SESSION_DAYS)


def _digest(token: str) -> str:
    """What the database keeps of a session's token: its SHA-256 (a copy of the database opens no session)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _end_sessions(connection: Connection, name: str) -> None:
    """Every session of account ``name`` ends: its version is raised (a login whose password was checked before
    this opens a session that never counts) and its live sessions are deleted."""
    connection.execute(
        update(users).where(users.c.name == name).values(session_version=users.c.session_version + 1)
    )
    account = select(users.c.id).where(users.c.name == name).scalar_subquery()
    connection.execute(delete(sessions).where(sessions.c.user_id == account))


def _user(row: Any, codes: set[str]) -> User:
    return User(row["name"], cast(Role, row["role"]), frozenset(codes), bool(row["active"]))


def _check_name(name: object) -> str:
    if (
        not isinstance(name, str)
        or not name
        or len(name) > MAX_NAME
        or any(ch.isspace() or unicodedata.category(ch).startswith("C") for ch in name)
    ):
        raise AccountError(f"a user name is 1 to {MAX_NAME} characters, without spaces or control characters")
    return name


def _check_role(role: object) -> Role:
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}: a role is viewer, reporter or admin")
    return cast(Role, role)


def _assign(connection: Connection, user_id: int, codes: Iterable[str]) -> None:
    rows = [{"user_id": user_id, "region_code": code} for code in codes]
    if rows:
        connection.execute(user_regions.insert(), rows)


def _count_admins(connection: Connection) -> int:
    query = select(func.count()).select_from(users).where(users.c.role == "admin", users.c.active.is_(True))
    return int(connection.execute(query).scalar_one())


def _keep_an_admin(connection: Connection, name: str, refused: str) -> None:
    """Refuse to take away the last active admin: then nobody could manage accounts on the web."""
    # Every active admin's row is locked (PostgreSQL; SQLite has one writer at a time), this one's too, so that two
    # admins demoting each other at once cannot both succeed: the second waits, then sees the first's change.
    admins = connection.execute(
        select(users.c.name)
        .where(users.c.role == "admin", users.c.active.is_(True))
        .order_by(users.c.id)
        .with_for_update()
    ).scalars()
    if all(admin == name for admin in admins):
        raise AccountError(f"{refused}: it is the last active admin (add another admin first)")


def _configured_regions() -> Regions:
    from qtm import config
    from qtm.regions import load_regions

    return load_regions(config.current().regions_file)
