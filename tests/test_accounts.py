"""Accounts on SQLite and PostgreSQL: salted hashes, logins, what each role may do, and an audit row per change."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select, update

from qtm import accounts
from qtm.accounts import AccountError, User, Users, may
from qtm.errors import ConfigError
from qtm.regions import Regions, load_regions
from qtm.store import Store
from qtm.store.schema import audit as audit_table
from qtm.store.schema import sessions as sessions_table
from qtm.store.schema import users as users_table

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def regions() -> Regions:
    return load_regions()


@pytest.fixture
def accounts_of(store: Store, regions: Regions) -> Users:
    return Users(store, regions)


def hashes(store: Store) -> dict[str, str]:
    with store.engine.connect() as connection:
        return dict(connection.execute(select(users_table.c.name, users_table.c.password_hash)).all())


# ---- passwords -------------------------------------------------------------------------------------------------


def test_hashes_are_salted_and_never_the_password(store, accounts_of):
    accounts_of.add("alice", "viewer", [], PASSWORD, actor="tester")
    accounts_of.add("bob", "viewer", [], PASSWORD, actor="tester")
    stored = hashes(store)
    assert stored["alice"] != stored["bob"]  # the same password, a different salt
    for value in stored.values():
        assert value.startswith("$argon2id$") and PASSWORD not in value
    assert accounts_of.authenticate("alice", PASSWORD) == User("alice", "viewer", frozenset(), True)
    assert accounts_of.authenticate("bob", PASSWORD) is not None


def test_authenticate_refuses_a_wrong_password_an_unknown_name_and_a_disabled_account(store, accounts_of):
    accounts_of.add("admin", "admin", [], PASSWORD, actor="tester")
    accounts_of.add("lanzhou", "reporter", ["620100"], PASSWORD, actor="tester")
    assert accounts_of.authenticate("lanzhou", PASSWORD) == User(
        "lanzhou", "reporter", frozenset({"620100"}), True
    )
    assert accounts_of.authenticate("lanzhou", PASSWORD + "x", address="10.1.2.3") is None
    assert accounts_of.authenticate("lanzhou", "") is None
    assert accounts_of.authenticate("nobody", PASSWORD) is None
    assert accounts_of.authenticate("LANZHOU", PASSWORD) is None  # names are exact
    assert accounts_of.authenticate("x" * 5000, PASSWORD) is None
    accounts_of.disable("lanzhou", actor="admin")
    assert accounts_of.authenticate("lanzhou", PASSWORD) is None
    failed = [e for e in store.audit() if e.action == "login_failed"]
    assert [(e.user, e.detail["reason"]) for e in reversed(failed)] == [
        ("lanzhou", "wrong password"),
        ("lanzhou", "wrong password"),
        ("nobody", "unknown user"),
        ("LANZHOU", "unknown user"),
        ("x" * 200, "unknown user"),  # what a client sends is cut short
        ("lanzhou", "account disabled"),
    ]
    assert failed[-1].address == "10.1.2.3"
    assert all(PASSWORD not in str(e.detail) for e in store.audit())


def test_an_unknown_name_is_checked_against_a_hash_like_a_known_one(accounts_of, monkeypatch):
    accounts_of.add("alice", "viewer", [], PASSWORD, actor="tester")
    checked: list[str] = []
    real = accounts.verify_password
    monkeypatch.setattr(accounts, "verify_password", lambda h, p: checked.append(h) or real(h, p))
    assert accounts_of.authenticate("nobody", PASSWORD) is None
    assert accounts_of.authenticate("alice", "wrong password!") is None
    assert len(checked) == 2 and all(h.startswith("$argon2id$") for h in checked)


def test_a_hash_made_with_weaker_parameters_is_renewed_at_login(store, accounts_of):
    accounts_of.add("alice", "viewer", [], PASSWORD, actor="tester")
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
    with store.engine.begin() as connection:
        connection.execute(update(users_table).values(password_hash=weak))
    assert accounts_of.authenticate("alice", PASSWORD) is not None
    renewed = hashes(store)["alice"]
    assert renewed != weak and not PasswordHasher().check_needs_rehash(renewed)
    assert accounts_of.authenticate("alice", PASSWORD) is not None


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("", "the password is empty"),
        ("s3cr3t", "the password is too short: at least 12 characters"),
        ("elevenchars", "too short"),
        ("x" * 2000, "too long"),
        ("alice-the-admin", "must not be the user name"),
    ],
)
def test_weak_passwords_are_refused(accounts_of, password, message):
    with pytest.raises(AccountError, match=message) as refused:
        accounts_of.add("alice-the-admin", "admin", [], password, actor="tester")
    assert password not in str(refused.value) or password == ""
    assert accounts_of.list() == []


def test_there_is_no_default_account(store, accounts_of):
    assert accounts_of.list() == [] and accounts_of.count_admins() == 0
    assert accounts_of.authenticate("admin", "admin") is None
    assert accounts_of.authenticate("admin", "") is None


# ---- what each role may do -------------------------------------------------------------------------------------


def test_a_reporter_reports_for_their_regions_and_those_under_them(regions):
    gansu = User("gansu", "reporter", frozenset({"620000"}), True)
    lanzhou = User("lanzhou", "reporter", frozenset({"620100"}), True)
    assert may(gansu, "upload", "620000", regions) and may(gansu, "upload", "620100", regions)
    assert not may(gansu, "upload", "310000", regions) and not may(gansu, "upload", "100000", regions)
    assert may(lanzhou, "upload", "620100", regions)
    assert not may(lanzhou, "upload", "620000", regions)
    assert not may(lanzhou, "upload", "999999", regions)  # an unknown code is nobody's region
    assert not may(User("gansu", "reporter", frozenset({"620000"}), False), "upload", "620100", regions)
    assert not (may(gansu, "withdraw") or may(gansu, "manage_users") or may(gansu, "read_audit"))
    assert may(gansu, "view") and may(gansu, "upload")


def test_an_admin_may_do_everything_and_a_viewer_only_view(regions):
    admin = User("boss", "admin", frozenset(), True)
    viewer = User("v", "viewer", frozenset(), True)
    codes = [r.code for r in regions]
    assert all(may(admin, "upload", code, regions) for code in codes)
    assert all(may(admin, action) for action in accounts.ACTIONS)
    assert not any(may(viewer, "upload", code, regions) for code in codes)
    assert [a for a in accounts.ACTIONS if may(viewer, a)] == ["view"]
    assert not any(may(None, action) for action in accounts.ACTIONS)  # nobody logged in
    disabled = User("boss", "admin", frozenset(), False)  # disabled: nothing at all
    assert not may(disabled, "upload", "620000", regions)
    assert not any(may(disabled, action) for action in accounts.ACTIONS)


# ---- adding and changing accounts ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "role", "regions_given", "message"),
    [
        ("alice", "viewer", [], "there is already a user named 'alice'"),
        ("carol", "superuser", [], "unknown role 'superuser': a role is viewer, reporter or admin"),
        ("carol", "reporter", [], "a reporter needs at least one region"),
        ("carol", "reporter", ["620000", "999999"], "unknown region code '999999'"),
        ("carol", "viewer", ["620000"], "only reporters have regions"),
        ("carol", "admin", ["620000"], "only reporters have regions"),
        ("", "viewer", [], "a user name is 1 to 80 characters"),
        ("car ol", "viewer", [], "without spaces"),
        ("c" * 81, "viewer", [], "a user name is 1 to 80 characters"),
    ],
)
def test_an_account_that_cannot_be_added_is_refused_in_one_line_and_nothing_changes(
    store, accounts_of, name, role, regions_given, message
):
    accounts_of.add("alice", "viewer", [], PASSWORD, actor="tester")
    before = (accounts_of.list(), store.audit())
    with pytest.raises(AccountError, match=message) as refused:
        accounts_of.add(name, role, regions_given, PASSWORD, actor="tester")
    assert isinstance(refused.value, ConfigError) and isinstance(refused.value, ValueError)
    assert "\n" not in str(refused.value)
    assert (accounts_of.list(), store.audit()) == before


def test_regions_may_be_given_by_name_and_are_kept_as_codes(accounts_of):
    added = accounts_of.add("lz", "reporter", ["兰州", "620100", "上海"], PASSWORD, actor="tester")
    assert added.regions == {"620100", "310000"}
    assert accounts_of.get("lz") == added


def test_users_takes_a_store_or_its_engine(store, regions):
    Users(store.engine, regions).add("alice", "viewer", [], PASSWORD, actor="tester")
    assert Users(store).get("alice") == User("alice", "viewer", frozenset(), True)
    assert Users(store).get("nobody") is None


def test_every_change_to_an_account_is_audited_with_who_and_from_where(store, accounts_of):
    accounts_of.add("boss", "admin", [], PASSWORD, actor="root (root)")
    accounts_of.add("lz", "reporter", ["620100"], PASSWORD, actor="boss", address="10.0.0.7")
    accounts_of.set_role("lz", "reporter", ["620000"], actor="boss", address="10.0.0.7")
    accounts_of.set_password("lz", "another long password", actor="boss")
    accounts_of.disable("lz", actor="boss", address="10.0.0.8")
    accounts_of.disable("lz", actor="boss")  # already disabled: no change, no row
    accounts_of.enable("lz", actor="boss")
    accounts_of.set_role("lz", "reporter", ["620000"], actor="boss")  # no change, no row
    entries = list(reversed(store.audit()))
    assert [(e.action, e.user, e.address, e.batch) for e in entries] == [
        ("user_add", "root (root)", None, None),
        ("user_add", "boss", "10.0.0.7", None),
        ("user_set_role", "boss", "10.0.0.7", None),
        ("user_set_password", "boss", None, None),
        ("user_disable", "boss", "10.0.0.8", None),
        ("user_enable", "boss", None, None),
    ]
    assert entries[1].detail == {"name": "lz", "role": "reporter", "regions": ["620100"]}
    assert entries[2].detail == {
        "name": "lz",
        "role": "reporter",
        "regions": ["620000"],
        "was": {"role": "reporter", "regions": ["620100"]},
    }
    assert entries[3].detail == {"name": "lz"}  # that it changed, never what to
    stored = hashes(store)["lz"]
    assert all(stored not in str(e.detail) and "another long password" not in str(e.detail) for e in entries)
    assert entries[0].at <= entries[-1].at and entries[0].at.tzinfo is not None
    assert [e.action for e in store.audit(limit=2)] == ["user_enable", "user_disable"]


def test_roles_passwords_and_disabling_take_effect(accounts_of, regions):
    accounts_of.add("boss", "admin", [], PASSWORD, actor="tester")
    accounts_of.add("lz", "reporter", ["620100"], PASSWORD, actor="tester")
    promoted = accounts_of.set_role("lz", "admin", [], actor="boss")
    assert promoted == User("lz", "admin", frozenset(), True) == accounts_of.get("lz")
    assert accounts_of.count_admins() == 2
    demoted = accounts_of.set_role("lz", "reporter", ["620000"], actor="boss")
    assert may(demoted, "upload", "620100", regions) and not may(demoted, "upload", "310000", regions)
    accounts_of.set_password("lz", "a brand new password", actor="boss")
    assert accounts_of.authenticate("lz", PASSWORD) is None
    assert accounts_of.authenticate("lz", "a brand new password") == demoted
    accounts_of.disable("lz", actor="boss")
    assert accounts_of.get("lz") == User("lz", "reporter", frozenset({"620000"}), False)
    assert [(u.name, u.active) for u in accounts_of.list()] == [("boss", True), ("lz", False)]
    with pytest.raises(AccountError, match="there is no user named 'nobody'"):
        accounts_of.disable("nobody", actor="boss")
    with pytest.raises(AccountError, match="too short"):
        accounts_of.set_password("lz", "short", actor="boss")
    with pytest.raises(AccountError, match="a reporter needs at least one region"):
        accounts_of.set_role("boss", "reporter", [], actor="boss")


def test_the_last_active_admin_can_be_neither_disabled_nor_demoted(accounts_of):
    accounts_of.add("boss", "admin", [], PASSWORD, actor="tester")
    with pytest.raises(AccountError, match="boss cannot be disabled: it is the last active admin"):
        accounts_of.disable("boss", actor="boss")
    with pytest.raises(AccountError, match="boss cannot become a viewer: it is the last active admin"):
        accounts_of.set_role("boss", "viewer", [], actor="boss")
    accounts_of.add("deputy", "admin", [], PASSWORD, actor="boss")
    accounts_of.disable("deputy", actor="boss")
    assert accounts_of.count_admins() == 1  # a disabled admin does not count
    with pytest.raises(AccountError, match="last active admin"):
        accounts_of.disable("boss", actor="boss")
    accounts_of.enable("deputy", actor="boss")
    accounts_of.set_role("boss", "viewer", [], actor="deputy")
    assert accounts_of.count_admins() == 1 and may(accounts_of.get("deputy"), "manage_users")


# ---- sessions and the login limit ----------------------------------------------------------------------------


def test_a_session_ends_at_logout_and_with_every_change_to_its_account(accounts_of):
    accounts_of.add("boss", "admin", [], PASSWORD, actor="tester")
    accounts_of.add("lz", "reporter", ["620100"], PASSWORD, actor="tester")
    renewed = "another long password"

    def logged_in(password: str = renewed) -> str:
        login = accounts_of.log_in("lz", password)
        assert login is not None and accounts_of.session(login.token) == login.user == accounts_of.get("lz")
        return login.token

    token = logged_in(PASSWORD)
    accounts_of.set_password("lz", renewed, actor="boss")
    assert accounts_of.session(token) is None
    token = logged_in()
    accounts_of.set_role("lz", "reporter", ["620000"], actor="boss")
    assert accounts_of.session(token) is None
    token = logged_in()
    accounts_of.disable("lz", actor="boss")
    assert accounts_of.session(token) is None
    accounts_of.enable("lz", actor="boss")
    assert accounts_of.session(token) is None  # re-enabling revives nothing of before

    on_laptop, on_phone = logged_in(), logged_in()
    assert on_laptop != on_phone
    accounts_of.set_role("lz", "reporter", ["620000"], actor="boss")  # the same role and regions: no change
    accounts_of.enable("lz", actor="boss")  # already enabled: no change
    assert accounts_of.session(on_laptop) is not None
    accounts_of.end_session(on_laptop)  # a logout ends that session, not the account's others
    assert accounts_of.session(on_laptop) is None and accounts_of.session(on_phone) is not None
    assert accounts_of.session("not a token") is None and accounts_of.session("") is None


def test_a_login_racing_a_change_to_its_account_opens_a_session_that_never_counts(accounts_of, monkeypatch):
    """The password is checked, then (before the session is written) an admin changes the account: the session
    carries the account's version of before, and is refused."""
    accounts_of.add("boss", "admin", [], PASSWORD, actor="tester")
    accounts_of.add("lz", "reporter", ["620100"], PASSWORD, actor="tester")
    checked = Users._verify

    def checked_then_changed(self, *args):  # type: ignore[no-untyped-def]
        row = checked(self, *args)
        accounts_of.set_role("lz", "viewer", [], actor="boss")
        return row

    monkeypatch.setattr(Users, "_verify", checked_then_changed)
    login = accounts_of.log_in("lz", PASSWORD)
    assert login is not None and accounts_of.session(login.token) is None


def test_the_database_keeps_a_hash_of_each_session_and_none_outlives_its_days(store, accounts_of):
    accounts_of.add("lz", "reporter", ["620100"], PASSWORD, actor="tester")
    old, new = accounts_of.log_in("lz", PASSWORD), accounts_of.log_in("lz", PASSWORD)
    assert old is not None and new is not None
    with store.engine.begin() as connection:
        kept = connection.execute(select(sessions_table.c.token_hash)).scalars().all()
        assert len(kept) == 2 and old.token not in kept and new.token not in kept
        connection.execute(
            update(sessions_table)
            .where(sessions_table.c.token_hash == hashlib.sha256(old.token.encode()).hexdigest())
            .values(created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=accounts.SESSION_DAYS, minutes=1))
        )
    assert accounts_of.session(old.token) is None and accounts_of.session(new.token) is not None
    assert accounts_of.log_in("lz", PASSWORD) is not None  # and a login sweeps the old one away
    with store.engine.connect() as connection:
        assert len(connection.execute(select(sessions_table.c.token_hash)).all()) == 2


def test_failed_logins_are_counted_per_address_within_the_window(store, accounts_of):
    accounts_of.add("lz", "reporter", ["620100"], PASSWORD, actor="tester")
    for address in ("10.0.0.1", "10.0.0.1", "10.0.0.1", "10.0.0.2", None):
        assert accounts_of.authenticate("lz", "wrong password!", address=address) is None
    accounts_of.authenticate("lz", PASSWORD, address="10.0.0.1")  # a success is no failure
    accounts_of.record_throttled("lz", address="10.0.0.1", limit="3 per minute")  # nor is a refusal
    count, earliest = accounts_of.failed_logins("10.0.0.1", 60)
    assert count == 3 and earliest is not None and earliest.tzinfo is not None
    assert accounts_of.failed_logins("10.0.0.2", 60)[0] == 1 and accounts_of.failed_logins(None, 60)[0] == 1
    assert accounts_of.failed_logins("10.0.0.3", 60) == (0, None)
    with store.engine.begin() as connection:  # the first failure, two minutes ago: outside a minute's window
        first = connection.execute(
            select(func.min(audit_table.c.id)).where(audit_table.c.action == "login_failed")
        ).scalar_one()
        connection.execute(
            update(audit_table)
            .where(audit_table.c.id == first)
            .values(at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=2))
        )
    assert accounts_of.failed_logins("10.0.0.1", 60)[0] == 2
    assert accounts_of.failed_logins("10.0.0.1", 300)[0] == 3
    throttled = [e for e in store.audit() if e.action == "login_throttled"]
    assert [(e.user, e.address, e.detail) for e in throttled] == [
        ("lz", "10.0.0.1", {"limit": "3 per minute"})
    ]


def test_two_admins_demoting_each_other_at_once_leave_one_admin(database_url, regions):
    import threading

    stores = [Store.open(database_url) for _ in range(2)]
    Users(stores[0], regions).add("a", "admin", [], PASSWORD, actor="tester")
    Users(stores[0], regions).add("b", "admin", [], PASSWORD, actor="tester")
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def demote(number: int, name: str) -> None:
        barrier.wait()
        try:
            outcomes.append(Users(stores[number], regions).set_role(name, "viewer", [], actor="tester"))
        except AccountError as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=demote, args=(n, name)) for n, name in enumerate("ab")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Users(stores[0]).count_admins() == 1, outcomes
    assert sum(isinstance(o, str) and "last active admin" in o for o in outcomes) == 1, outcomes
    for opened in stores:
        opened.engine.dispose()


def test_an_empty_secret_key_file_is_refused_not_used(tmp_path, monkeypatch):
    """An empty key would sign every session with nothing: anyone could forge a login."""
    from dashboard.auth import secret_key
    from qtm.errors import ConfigError

    empty = tmp_path / "secret_key"
    empty.write_text("\n")
    monkeypatch.delenv("QTM_SECRET_KEY", raising=False)
    monkeypatch.setenv("QTM_SECRET_KEY_FILE", str(empty))
    with pytest.raises(ConfigError, match="empty or too short"):
        secret_key()
    empty.unlink()
    assert len(secret_key()) == 64  # made anew when missing
