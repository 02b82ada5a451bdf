"""Who may do what is data (qtm.accounts.PERMISSIONS), and the paths anyone may open are named exactly
(dashboard.auth.PUBLIC_PATHS, PUBLIC_FOLDERS): a path that merely begins with a public one's text is not public."""

from __future__ import annotations

import pytest

from dashboard.auth import PUBLIC_FOLDERS, PUBLIC_PATHS, is_public
from qtm.accounts import ACTIONS, PERMISSIONS, REGION_SCOPED, ROLES, User, may


def test_the_table_names_every_role_and_only_known_actions():
    assert set(PERMISSIONS) == set(ROLES)
    assert all(actions <= set(ACTIONS) for actions in PERMISSIONS.values())
    assert all(REGION_SCOPED[role] <= PERMISSIONS[role] for role in REGION_SCOPED)


@pytest.mark.parametrize("role", ROLES)
def test_may_follows_the_table_and_a_disabled_account_may_nothing(role):
    user = User("u", role, frozenset({"620100"}) if role == "reporter" else frozenset(), True)
    assert {a for a in ACTIONS if may(user, a)} == PERMISSIONS[role]
    disabled = User("u", role, user.regions, False)
    assert not any(may(disabled, a) for a in ACTIONS)


def test_a_reporter_uploads_only_in_their_regions():
    lanzhou = User("lanzhou", "reporter", frozenset({"620100"}), True)
    assert may(lanzhou, "upload", "620100") and not may(lanzhou, "upload", "310000")
    assert may(User("boss", "admin", frozenset(), True), "upload", "310000")
    assert may(lanzhou, "view", "310000")  # viewing is everywhere


@pytest.mark.parametrize("path", ["/login", "/favicon.ico", "/_favicon.ico", "/assets/qtm.css", "/vendor/plotly.js",
                                  "/_dash-component-suites/dash/deps/react@18.js"])  # fmt: skip
def test_the_public_paths_are_public(path):
    assert is_public(path)


@pytest.mark.parametrize(
    "path",
    [
        "/login-anything",
        "/loginx",
        "/login/",
        "/login/../api/audit",
        "/favicon.icox",
        "/assets",
        "/assets/",
        "/assets/../api/audit",
        "/assets/./x",
        "/assets//x",
        "/vendorx/plotly.js",
        "/_dash-component-suitesx/a.js",
        "/_dash-layout",
        "/api/audit",
        "/",
    ],
)
def test_a_path_that_merely_begins_like_a_public_one_is_not_public(path):
    assert not is_public(path)


def test_public_folders_are_named_with_their_slash():
    assert all(folder.startswith("/") and folder.endswith("/") for folder in PUBLIC_FOLDERS)
    assert all("/" not in path[1:] for path in PUBLIC_PATHS)


def test_over_http_a_lookalike_of_the_login_page_needs_a_login(registry, sqlite_url, tmp_path, monkeypatch):
    from dashboard.app import create_app
    from qtm.store import Store

    monkeypatch.setenv("QTM_ANONYMOUS_VIEW", "0")
    monkeypatch.setenv("QTM_SECRET_KEY", "k" * 32)
    monkeypatch.setenv("QTM_JOBS_DIR", str(tmp_path / "jobs"))
    client = create_app(registry, Store.open(sqlite_url)).server.test_client()
    assert client.get("/login").status_code == 200
    assert client.get("/assets/qtm.css").status_code == 200
    for path in ("/login-anything", "/loginx", "/assets/../api/audit"):
        answer = client.get(path)
        assert answer.status_code in (302, 401), (path, answer.status_code)
        assert answer.status_code == 401 or "/login?next=" in answer.headers["Location"], path
