"""The server as a hostile or careless client meets it: who may do what (the whole permission matrix, over HTTP),
CSRF, login throttling, request size, malformed callbacks, and hostile files through the web upload."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.conftest import serving, web_client

CORPUS = Path(__file__).parent / "corpus" / "files"
HOSTILE = sorted(p.name for p in CORPUS.glob("hostile_*"))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server that lets nobody in without an account (as when it listens beyond loopback), small upload limit."""
    env = {"QTM_ANONYMOUS_VIEW": "0", "QTM_MAX_UPLOAD_MB": "1", "QTM_LOGIN_LIMIT": "5 per minute"}
    with serving(tmp_path_factory.mktemp("secure"), env) as url:
        yield url


def session(server: str, name: str | None) -> requests.Session:
    """A client logged in as ``name`` (None: anonymous), carrying the CSRF header as the dashboard's pages do."""
    return web_client(server, name)  # type: ignore[no-any-return]


def upload(client: requests.Session, server: str, name: str, text: str) -> requests.Response:
    body = "指标名称,地区,统计期,数值,计量单位\n" + text
    return client.post(server + "/api/upload", files={"files": (name, body.encode())}, timeout=60)


LANZHOU = "制造业产品质量合格率,兰州市,2025,94.5,%\n"
SHANGHAI = "市级智能工厂数量,上海市,2025,210,家\n"
WHO = ["anonymous", "viewer", "lanzhou", "shanghai", "admin"]


@pytest.mark.parametrize("who", WHO)
def test_viewing_a_page_needs_an_account_here(server, who):
    client = session(server, None if who == "anonymous" else who)
    answer = client.get(server + "/", timeout=10, allow_redirects=False)
    if who == "anonymous":
        assert answer.status_code == 302 and "/login" in answer.headers["Location"]
        refused = client.post(server + "/_dash-update-component", json={"output": "x"}, timeout=10)
        assert refused.status_code in (400, 401)
    else:
        assert answer.status_code == 200


@pytest.mark.parametrize(
    ("who", "own", "other"),
    [
        ("anonymous", None, None),
        ("viewer", None, None),
        ("lanzhou", LANZHOU, SHANGHAI),
        ("shanghai", SHANGHAI, LANZHOU),
        ("admin", LANZHOU, SHANGHAI),
    ],
)
def test_uploading_needs_a_reporter_and_stays_in_their_regions(server, who, own, other):
    client = session(server, None if who == "anonymous" else who)
    if own is None:
        answer = upload(client, server, "x.csv", LANZHOU)
        assert answer.status_code == (401 if who == "anonymous" else 403)
        return
    mine = upload(client, server, f"{who}-own.csv", own)
    assert mine.status_code == 200, mine.text[:300]
    assert mine.json()["files"][0]["status"] in ("committed", "duplicate")
    theirs = upload(client, server, f"{who}-other.csv", other)
    if who == "admin":
        assert theirs.status_code == 200
        return
    assert theirs.status_code == 422
    (file,) = theirs.json()["files"]
    assert file["status"] == "rejected"
    assert [i["code"] for i in file["issues"]] == ["region_out_of_scope"] and file["issues"][0]["cell"]


@pytest.mark.parametrize("who", WHO)
def test_only_an_admin_withdraws_a_batch(server, who):
    admin = session(server, "admin")
    stored = upload(
        admin, server, f"withdraw-{who}.csv", f"食品抽检合格率,全国,2025,{97 + WHO.index(who) / 10},%\n"
    )
    assert stored.status_code == 200, stored.text[:500]
    batch = stored.json()["files"][0]["batch"]
    assert batch is not None, stored.text[:500]
    client = session(server, None if who == "anonymous" else who)
    answer = client.post(server + f"/api/batches/{batch}/withdraw", json={"reason": "test"}, timeout=10)
    expected = {"anonymous": 401, "admin": 200}.get(who, 403)
    assert answer.status_code == expected, answer.text[:300]


@pytest.mark.parametrize("who", WHO)
def test_only_an_admin_manages_users(server, who):
    client = session(server, None if who == "anonymous" else who)
    body = {"name": f"new-{who}", "role": "viewer", "regions": [], "password": "a long enough password"}
    answer = client.post(server + "/api/users", json=body, timeout=10)
    assert answer.status_code == {"anonymous": 401, "admin": 200}.get(who, 403), answer.text[:300]
    audit = client.get(server + "/api/audit", timeout=10)
    assert audit.status_code == {"anonymous": 401, "admin": 200}.get(who, 403)
    if who == "admin":
        actions = {(e["action"], e["user"]) for e in audit.json()}
        assert ("user_add", "admin") in actions and any(a == "upload" for a, _ in actions)


def test_a_state_changing_request_without_the_csrf_token_is_refused(server):
    client = session(server, "admin")
    del client.headers["X-CSRFToken"]
    answer = client.post(server + "/api/users", json={"name": "x", "role": "viewer"}, timeout=10)
    assert answer.status_code == 400 and "csrf" in answer.text.lower()


def test_a_request_beyond_the_limit_gets_413(server):
    client = session(server, "admin")
    answer = client.post(
        server + "/api/upload", files={"files": ("big.csv", b"0" * 6 * 1024 * 1024)}, timeout=60
    )
    assert answer.status_code == 413
    assert client.get(server + "/", timeout=10).status_code == 200  # and the server keeps serving


@pytest.mark.parametrize(
    "body",
    ['{"output": "nope.children", "inputs": []}', "not json", "[1, 2]", '{"output": 5}'],
)
def test_a_malformed_callback_is_the_clients_error(server, body):
    client = session(server, "admin")
    answer = client.post(
        server + "/_dash-update-component",
        data=body,
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert 400 <= answer.status_code < 500


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_files_through_the_web_are_refused_and_the_server_stays_up(server, name):
    client = session(server, "admin")
    before = client.get(server + "/api/audit", timeout=10).json()
    answer = client.post(
        server + "/api/upload", files={"files": (name, (CORPUS / name).read_bytes())}, timeout=60
    )
    assert answer.status_code in (200, 413, 422)
    if answer.status_code != 413:
        assert answer.json()["files"][0]["status"] == "rejected"
    after = client.get(server + "/api/audit", timeout=10).json()
    assert len(after) == len(before)  # nothing stored
    assert client.get(server + "/", timeout=10).status_code == 200


def test_security_headers_and_cookie_flags(server):
    client = requests.Session()
    answer = client.get(server + "/login", timeout=10)
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in answer.headers["Content-Security-Policy"]
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    session_cookie = next(c for c in answer.headers.get("Set-Cookie", "").split(", ") if "session=" in c)
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie


def test_anonymous_viewing_follows_where_the_server_listens(monkeypatch):
    from dashboard.auth import anonymous_view_default

    monkeypatch.delenv("QTM_ANONYMOUS_VIEW", raising=False)
    assert anonymous_view_default("127.0.0.1") and anonymous_view_default("localhost")
    assert not anonymous_view_default("0.0.0.0") and not anonymous_view_default("10.0.0.5")
    monkeypatch.setenv("QTM_ANONYMOUS_VIEW", "1")
    assert anonymous_view_default("0.0.0.0")


# Last: it spends this address's login budget for the minute.
def test_repeated_failed_logins_are_throttled(server):
    client = requests.Session()
    page = client.get(server + "/login", timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    codes = [
        client.post(
            server + "/login",
            data={"username": "admin", "password": "wrong", "csrf_token": token},
            timeout=10,
        ).status_code
        for _ in range(8)
    ]
    assert codes[0] == 401 and codes[-1] == 429
