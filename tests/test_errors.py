"""One error family, one JSON shape: every refusal of the API a client can trigger answers exactly
``{"error": {"code", "message" (Chinese), "message_en", "status", "place"}}`` (docs/deploy.md "Errors"), over a real
server; and the CLI prints any error of the family as one line."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator

import pytest
import requests

from dashboard.api import Forbidden
from dashboard.downloads import Refused as ExportRefused
from dashboard.jobs import Busy, OutOfMemory
from loaders.grid import UnreadableFile
from loaders.originals import OriginalNotKept
from loaders.safety import Refused
from loaders.staging import StagingRefused
from qtm.accounts import AccountError
from qtm.errors import ConfigError, Place, QtmError, StoreError
from qtm.store.database import NothingChanged
from reports.export import ExportUnavailable
from tests.conftest import serving, web_client

HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = {"QTM_ANONYMOUS_VIEW": "0", "QTM_MAX_UPLOAD_MB": "1"}
    with serving(tmp_path_factory.mktemp("errors"), env) as url:
        yield url


def assert_the_one_shape(answer: requests.Response, status: int, code: str) -> dict[str, object]:
    """``answer`` is exactly the one error shape, for ``status`` and ``code``, in Chinese and English."""
    assert answer.status_code == status, answer.text[:300]
    assert answer.headers["Content-Type"].startswith("application/json"), answer.headers["Content-Type"]
    body = answer.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "message_en", "status", "place"}, error
    assert error["code"] == code and error["status"] == status and error["place"] is None, error
    assert HAN.search(error["message"]), error  # Chinese first
    assert isinstance(error["message_en"], str) and not HAN.search(error["message_en"]), error
    return error


def test_a_bad_audit_limit(server):
    answer = web_client(server, "admin").get(server + "/api/audit?limit=abc", timeout=30)
    assert "1 to 10000" in assert_the_one_shape(answer, 400, "bad_limit")["message_en"]  # type: ignore[operator]


def test_without_a_login(server):
    anonymous = web_client(server, None)
    for method, path in (("get", "/api/audit"), ("post", "/api/upload"), ("post", "/api/batches/1/withdraw")):
        assert_the_one_shape(getattr(anonymous, method)(server + path, timeout=30), 401, "login_required")


def test_a_role_that_may_not(server):
    viewer = web_client(server, "viewer")
    assert_the_one_shape(viewer.get(server + "/api/audit", timeout=30), 403, "forbidden")
    upload = viewer.post(server + "/api/upload", files={"files": ("x.csv", b"a,b\n")}, timeout=30)
    assert_the_one_shape(upload, 403, "forbidden")


def test_a_region_the_reporter_may_not_report_for(server):
    lanzhou = web_client(server, "lanzhou")
    outside = lanzhou.get(server + "/template.xlsx?region=310000", timeout=60)
    assert "上海" in assert_the_one_shape(outside, 403, "forbidden")["message"]  # type: ignore[operator]
    unknown = lanzhou.get(server + "/template.xlsx?region=999999", timeout=60)
    assert_the_one_shape(unknown, 400, "unknown_region")


def test_an_unknown_batch(server):
    admin = web_client(server, "admin")
    answer = admin.post(server + "/api/batches/987654/withdraw", json={"reason": "x"}, timeout=30)
    assert "987654" in assert_the_one_shape(answer, 409, "store")["message_en"]  # type: ignore[operator]


def test_an_upload_beyond_the_request_limit(server):
    admin = web_client(server, "admin")
    answer = admin.post(
        server + "/api/upload", files={"files": ("big.csv", b"0" * 6 * 1024 * 1024)}, timeout=60
    )
    assert_the_one_shape(answer, 413, "too_large")


def test_a_wrong_method_and_an_unknown_route(server):
    admin = web_client(server, "admin")
    wrong = admin.get(server + "/api/upload", timeout=30)
    assert_the_one_shape(wrong, 405, "method_not_allowed")
    assert "POST" in wrong.headers["Allow"]
    assert_the_one_shape(admin.get(server + "/api/nothing-here", timeout=30), 404, "not_found")


def test_a_bad_body_a_bad_account_and_no_csrf_token(server):
    admin = web_client(server, "admin")
    not_json = admin.post(server + "/api/users", data="x", timeout=30)
    assert_the_one_shape(not_json, 400, "bad_request")
    body = {"name": "someone", "role": "emperor", "regions": [], "password": "a long enough password"}
    assert_the_one_shape(admin.post(server + "/api/users", json=body, timeout=30), 422, "account")
    del admin.headers["X-CSRFToken"]
    assert_the_one_shape(admin.post(server + "/api/users", json=body, timeout=30), 400, "csrf")


def test_a_page_keeps_its_own_answer(server):
    """HTML pages are not answered in JSON: an unknown page is Dash's Chinese 404 page."""
    answer = web_client(server, "viewer").get(server + "/no-such-page", timeout=30)
    assert answer.status_code == 404 and answer.headers["Content-Type"].startswith("text/html")


# ---- the family ------------------------------------------------------------------------------------------------


def test_every_error_class_is_one_of_the_family():
    made = [
        QtmError("x"),
        ConfigError("x"),
        StoreError("x"),
        AccountError("x"),
        NothingChanged("f.csv", 3),
        OriginalNotKept("x"),
        ExportUnavailable("x"),
        UnreadableFile("corrupt_workbook", "文件损坏", "corrupt", "B7"),
        Refused("zip_bomb", "压缩炸弹", "a zip bomb"),
        StagingRefused("太大", "too large"),
        Busy(3.0),
        OutOfMemory(64 * 1048576, "killed"),
        ExportRefused(404, "没有", "none"),
        Forbidden("需要管理员权限", "this needs an admin account"),
    ]
    for error in made:
        assert isinstance(error, QtmError)
        shape = error.as_json()["error"]
        assert isinstance(shape, dict) and set(shape) == {"code", "message", "message_en", "status", "place"}
        assert 400 <= error.status < 600 and error.code and str(error) == error.en
    assert isinstance(StagingRefused("a", "b"), ValueError) and isinstance(AccountError("a"), ValueError)


def test_a_data_error_names_its_place():
    error = UnreadableFile("too_many_columns", "列数过多", "too many columns", "XFE1")
    assert error.as_json() == {
        "error": {
            "code": "too_many_columns",
            "message": "列数过多",
            "message_en": "too many columns",
            "status": 422,
            "place": {"file": None, "sheet": None, "cell": "XFE1"},
        }
    }
    assert QtmError("x", place=Place("a.xlsx", "表1", "C7")).as_json()["error"]["place"] == {  # type: ignore[index]
        "file": "a.xlsx",
        "sheet": "表1",
        "cell": "C7",
    }


def test_the_cli_prints_an_error_of_the_family_on_one_line(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "qtm_command.cli", "targets"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "QTM_LIVE_SECONDS": "abc"},
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr == "qtm: error: QTM_LIVE_SECONDS must be a number of seconds (1 or more), not 'abc'\n"


def test_an_error_with_both_languages_is_one_line_with_both():
    assert Forbidden("需要管理员权限", "this needs an admin account").message == (
        "需要管理员权限 / this needs an admin account"
    )
    assert ConfigError("only English").message == "only English"
