"""Sessions that end, a login limit that holds, and no way out through a link — over real HTTP against real servers.

A cookie copied before a logout, a new password, another role, or disabling and enabling the account no longer
uploads; the CSRF cookie is Secure with QTM_SECURE_COOKIES=1; without Redis, failed logins are counted in the
database, so two workers share one limit; a login refused by the limit (429) is in the audit trail, with and
without Redis; and ``next`` after a login only ever leads to a path of this server."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
from collections.abc import Iterator
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from tests.conftest import (
    PASSWORD,
    QTM,
    add_user,
    empty_redis,
    prepared,
    run_qtm,
    served,
    served_settings,
    web_client,
)
from tests.test_security_web import session, upload
from tests.test_workers import LOGIN_LIMIT, WORKER, client, workers

REDIS_DB = 14  # a database of its own on the shared Redis, flushed first; never 0

NEW_PASSWORD = "a brand new passphrase for qtm"
#: Each upload stores a value of its own, so that each one commits a batch.
VALUES = (f"{90 + n / 100:.2f}" for n in itertools.count())


def lanzhou() -> str:
    return f"制造业产品质量合格率,兰州市,2025,{next(VALUES)},%\n"


@pytest.fixture(scope="module")
def here(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """A server that lets nobody in without an account, without Redis; yields its URL and its settings (for
    running ``qtm`` against its database)."""
    folder = tmp_path_factory.mktemp("sessions")
    settings = prepared(folder, {"QTM_ANONYMOUS_VIEW": "0", "QTM_REDIS_URL": ""})
    with served(folder, settings) as url:
        yield url, settings


def copy_of(original: requests.Session) -> requests.Session:
    """Another client with the same cookies and headers, as someone who copied them would have."""
    copy = requests.Session()
    copy.cookies.update(original.cookies)
    copy.headers.update(original.headers)
    return copy


def stores(client_: requests.Session, server: str) -> int:
    """The status of an upload of a new Lanzhou value; 200 means it committed a batch."""
    answer = upload(client_, server, "lanzhou.csv", lanzhou())
    if answer.status_code == 200:
        assert answer.json()["files"][0]["status"] == "committed", answer.text[:300]
    return answer.status_code


def users_command(settings: dict[str, str], *args: str, stdin: str = "") -> None:
    """A real ``qtm users …`` against the server's database, as the operator runs it."""
    done = subprocess.run(
        [*QTM, "users", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=settings,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def reporter(settings: dict[str, str], name: str) -> None:
    add_user(settings, name, "reporter", ("620100",))


# ---- sessions end -------------------------------------------------------------------------------------------------


def test_a_cookie_saved_before_logout_no_longer_uploads(here):
    server, settings = here
    reporter(settings, "leaving")
    browser = session(server, "leaving")
    saved = copy_of(browser)
    elsewhere = session(server, "leaving")  # the same account, logged in on another machine
    assert stores(saved, server) == 200

    assert browser.post(server + "/logout", timeout=10, allow_redirects=False).status_code == 302
    assert stores(saved, server) == 401
    assert stores(browser, server) == 401
    assert stores(elsewhere, server) == 200  # a logout ends its own session, not the account's others


@pytest.mark.parametrize(
    ("name", "change"),
    [
        ("new-password", ("set-password", "{name}", "--password-stdin")),
        ("to-gansu", ("set-role", "{name}", "reporter", "--region", "620000")),  # still Lanzhou's reporter
        ("to-viewer", ("set-role", "{name}", "viewer")),
    ],
)
def test_a_change_to_the_account_ends_every_session(here, name, change):
    server, settings = here
    reporter(settings, name)
    browser = session(server, name)
    saved = copy_of(browser)
    assert stores(saved, server) == 200

    users_command(settings, *(arg.format(name=name) for arg in change), stdin=NEW_PASSWORD + "\n")
    assert stores(saved, server) == 401
    assert stores(browser, server) == 401
    password = NEW_PASSWORD if change[0] == "set-password" else PASSWORD
    again = web_client(server, name, password=password)  # a new login works, with the account as it is now
    assert stores(again, server) == (403 if change[-1] == "viewer" else 200)


def test_reenabling_an_account_does_not_revive_its_old_cookies(here):
    server, settings = here
    reporter(settings, "paused")
    saved = copy_of(session(server, "paused"))
    assert stores(saved, server) == 200
    users_command(settings, "disable", "paused")
    assert stores(saved, server) == 401
    users_command(settings, "enable", "paused")
    assert stores(saved, server) == 401
    assert stores(session(server, "paused"), server) == 200


def test_the_csrf_cookie_is_secure_with_secure_cookies(tmp_path):
    settings = served_settings(tmp_path, {"QTM_SECURE_COOKIES": "1", "QTM_ANONYMOUS_VIEW": "0"})
    with served(tmp_path, settings) as server:
        answer = requests.get(server + "/login", timeout=30)
    cookies = {cookie.name: cookie for cookie in answer.cookies}
    assert {"session", "_csrf_token"} <= set(cookies)
    assert cookies["session"].secure and cookies["_csrf_token"].secure


# ---- no way out through a link ------------------------------------------------------------------------------------

#: ``next`` as it appears in the address (already percent-encoded where it says so).
BYPASSES = [
    "/%09/evil.example",  # a tab, which browsers drop: //evil.example
    "%09//evil.example",
    "/%0D%0ASet-Cookie:%20x=y",  # CR LF: a header of its own, or a 500
    "/%0A/evil.example",
    "/%5Cevil.example",  # "/\\evil.example": browsers read a backslash as a slash
    "%5C%5Cevil.example",
    "/%5C/evil.example",
    "%2F%2Fevil.example",  # encoded slashes
    "/%2F/evil.example",
    "%2F%252Fevil.example",
    "/%255Cevil.example",  # "/%5Cevil.example" once decoded: a path of this server
    "//evil.example",
    "///evil.example",
    "////evil.example/",
    "https://evil.example",
    "https:/evil.example",
    "https:evil.example",
    "//evil.example@127.0.0.1",
    "/.//evil.example",
    "javascript:alert(1)",
    "%20//evil.example",
    "/%E2%80%AE/evil.example",  # a right-to-left override
    "evil.example",
]


def lands_here(location: str, server: str) -> bool:
    """Whether a browser sent to ``location`` from this server's login page stays on this server: it drops tabs
    and line breaks and reads a backslash as a slash before it resolves the address."""
    as_read = re.sub(r"[\t\r\n]", "", location).replace("\\", "/")
    resolved = urlsplit(urljoin(server + "/login", as_read))
    return (
        location.startswith("/")
        and not as_read.startswith("//")
        and (resolved.scheme, resolved.netloc) == (urlsplit(server).scheme, urlsplit(server).netloc)
    )


def log_in_with_next(server: str, name: str, encoded_next: str) -> requests.Response:
    """A login through the form, its address carrying ``?next=`` exactly as given."""
    browser = requests.Session()
    form = browser.get(server + "/login", timeout=30)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    return browser.post(
        server + "/login?next=" + encoded_next,
        data={"username": name, "password": PASSWORD, "csrf_token": token.group(1)},
        timeout=30,
        allow_redirects=False,
    )


@pytest.mark.parametrize("encoded_next", BYPASSES)
def test_next_never_leads_off_the_server(here, encoded_next):
    server, _ = here
    answer = log_in_with_next(server, "viewer", encoded_next)
    assert answer.status_code == 302, answer.text[:300]
    location = answer.headers["Location"]
    assert lands_here(location, server), location


@pytest.mark.parametrize(
    ("encoded_next", "location"),
    [
        ("/region/620100", "/region/620100"),
        ("/%3Fplan%3Dgansu_2023_2025%26status%3Dmissed", "/?plan=gansu_2023_2025&status=missed"),
        ("", "/"),
    ],
)
def test_next_within_the_server_is_followed(here, encoded_next, location):
    server, _ = here
    answer = log_in_with_next(server, "viewer", encoded_next)
    assert answer.status_code == 302 and answer.headers["Location"] == location


def test_the_login_form_keeps_next_whole(here):
    """The page at /login?next=… posts to an address that still carries the whole of next, query included."""
    server, _ = here
    browser = requests.Session()
    form = browser.get(server + "/login", params={"next": "/?plan=gansu_2023_2025&status=missed"}, timeout=30)
    action = re.search(r'<form method="post" action="([^"]+)"', form.text)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert action is not None and token is not None
    answer = browser.post(
        urljoin(server, action.group(1).replace("&amp;", "&")),
        data={"username": "viewer", "password": PASSWORD, "csrf_token": token.group(1)},
        timeout=30,
        allow_redirects=False,
    )
    assert answer.headers["Location"] == "/?plan=gansu_2023_2025&status=missed"


# ---- the login limit ----------------------------------------------------------------------------------------------


def fail_login(browser: requests.Session, server: str, token: str) -> requests.Response:
    return browser.post(
        server + "/login",
        data={"username": "admin", "password": "wrong password", "csrf_token": token},
        timeout=30,
        allow_redirects=False,
    )


def csrf_token(browser: requests.Session, server: str) -> str:
    token = re.search(r'name="csrf_token" value="([^"]+)"', browser.get(server + "/login", timeout=30).text)
    assert token is not None
    return token.group(1)


def throttled_in_audit(settings: dict[str, str]) -> list[dict[str, object]]:
    audit = run_qtm("audit", "--json", env=settings)
    assert audit.returncode == 0, audit.stderr
    return [entry for entry in json.loads(audit.stdout) if entry["action"] == "login_throttled"]


def test_without_redis_two_workers_share_one_login_limit_in_the_database(tmp_path):
    """LOGIN_LIMIT failures a minute from one address, whichever worker answers: every attempt after them is
    refused (429), and each refusal is in the audit trail."""
    url = f"sqlite:///{tmp_path / 'qtm.sqlite'}"
    with workers(tmp_path, url, {"QTM_REDIS_URL": ""}) as (server, settings):
        stranger = client(server)
        token = csrf_token(stranger, server)
        codes: list[int] = []
        answered_by: set[str] = set()
        while len(codes) < 4 * LOGIN_LIMIT or len(answered_by) < 2:
            assert len(codes) < 200, f"every answer came from {answered_by}"
            answer = fail_login(stranger, server, token)
            codes.append(answer.status_code)
            answered_by.add(answer.headers[WORKER])
        assert codes == [401] * LOGIN_LIMIT + [429] * (len(codes) - LOGIN_LIMIT)
        refused = throttled_in_audit(settings)
    assert len(refused) == len(codes) - LOGIN_LIMIT
    assert {(e["user"], e["address"]) for e in refused} == {("admin", "127.0.0.1")}
    assert "Traceback" not in (tmp_path / "server.log").read_text()


def test_with_redis_a_throttled_login_is_in_the_audit_trail(tmp_path):
    settings = served_settings(
        tmp_path, {"QTM_REDIS_URL": empty_redis(REDIS_DB), "QTM_LOGIN_LIMIT": "3 per minute"}
    )
    add_user(settings, "admin", "admin")
    with served(tmp_path, settings) as server:
        browser = requests.Session()
        token = csrf_token(browser, server)
        answers = [fail_login(browser, server, token) for _ in range(5)]
        assert [a.status_code for a in answers] == [401, 401, 401, 429, 429]
        assert "登录失败次数过多" in answers[-1].text and int(answers[-1].headers["Retry-After"]) > 0
        refused = throttled_in_audit(settings)
    assert [(e["user"], e["address"], e["detail"]) for e in refused] == [
        ("admin", "127.0.0.1", {"limit": "3 per minute"})
    ] * 2
    empty_redis(REDIS_DB)


def test_a_throttled_login_page_says_why_and_when_to_retry(here):
    """Last in this module: it spends this address's login budget on the module's server."""
    server, settings = here
    browser = requests.Session()
    token = csrf_token(browser, server)
    answers = [fail_login(browser, server, token) for _ in range(11)]
    assert [a.status_code for a in answers][-1] == 429
    assert "登录失败次数过多" in answers[-1].text
    assert 0 < int(answers[-1].headers["Retry-After"]) <= 60
    assert throttled_in_audit(settings)[0]["address"] == "127.0.0.1"
