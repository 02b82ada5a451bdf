"""Staging and the names of uploads, against a real server and a real Chromium: the name a batch keeps is the one the
server received at upload time (never one the page sends with the commit); long names (Chinese ones longer than a
file name may be on disk, 300-character ones) are stored under a shortened label that keeps its extension, through
the API and through the page; staging is per user and per page (two officials committing the same file: the second
is told which batch holds it; one official cannot commit another's staged file); and the daily sweep."""

from __future__ import annotations

import io
import itertools
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from loaders.staging import LABEL_CHARACTERS, MAX_AGE_SECONDS, Staging, disk_name, label
from tests.conftest import log_in, prepared, run_qtm, served, web_client

HEADER = ["指标名称", "地区", "统计期", "数值", "计量单位"]
#: A value for Lanzhou's manufacturing pass rate that no other return here sends, so that each one stores a batch.
_VALUES = itertools.count(9001)
#: The issue's hostile name: 5,065 characters, with a terminal escape and a line break.
HOSTILE = "\x1b[2J\x1b[31m伪造\n2025-01-01 batch 1 withdrawn by admin\u202e" + "名" * 5000 + "x.csv"
#: (characters before the extension, extension): the issue's long names — 83 Chinese characters (too long for the
#: disk through the page before) and 84 (through the API), more than 255 bytes in UTF-8, and a name of 300
#: characters in all (its extension cut off through the page before).
LONG_NAMES = [(83, ".xlsx"), (84, ".xlsx"), (83, ".csv"), (84, ".csv"), (295, ".xlsx"), (296, ".csv")]


@pytest.fixture(scope="module")
def here(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """A server of this module's own (its tests write), and the settings its `qtm` commands run with."""
    folder = tmp_path_factory.mktemp("staging")
    settings = prepared(folder)
    with served(folder, settings) as url:
        yield url, settings


def lanzhou_return(extension: str, value: float | None = None) -> bytes:
    """A valid return for Lanzhou (one value, fresh unless given), as a real .xlsx or .csv."""
    row = ["制造业产品质量合格率", "兰州市", "2025", value if value is not None else next(_VALUES) / 100, "%"]
    if extension == ".csv":
        return (",".join(HEADER) + "\n" + ",".join(str(c) for c in row) + "\n").encode()
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def long_name(characters: int, extension: str) -> str:
    """``characters`` characters (Chinese up to 84, mixed beyond) and ``extension``."""
    text = (
        "二〇二五年兰州市制造业产品质量合格率季度报表" if characters <= 84 else "2025 兰州 quarterly return "
    )
    return (text * (characters // len(text) + 1))[:characters] + extension


def batches(settings: dict[str, str]) -> dict[int, dict[str, Any]]:
    listed = run_qtm("batches", "--json", env=settings)
    assert listed.returncode == 0, listed.stderr
    return {b["id"]: b for b in json.loads(listed.stdout)["batches"]}


def assert_label(shown: str, name: str) -> None:
    """``shown`` is how a name like ``name`` is labelled: at most LABEL_CHARACTERS long, with its extension."""
    extension = os.path.splitext(name)[1]
    assert shown.endswith(extension) and len(shown) <= LABEL_CHARACTERS, shown
    assert shown[:20] == name[:20]


def upload_page(page, server: str, user: str, files: list[tuple[str, bytes]]) -> None:
    """Log ``page`` in as ``user``, drop ``files`` (name, bytes) on the upload page and wait for their preview."""
    log_in(page, server, user)
    page.goto(server + "/upload")
    page.wait_for_selector("input[type=file]", state="attached")
    payloads = [{"name": n, "mimeType": "application/octet-stream", "buffer": b} for n, b in files]
    page.set_input_files("input[type=file]", payloads)
    page.wait_for_function(
        f"() => document.querySelectorAll('#preview .file-preview').length === {len(files)}", timeout=60_000
    )


def forge_commit(page, change) -> None:  # type: ignore[no-untyped-def]
    """Send ``page``'s commit callback with its ``staged`` state changed by ``change`` (as a hostile client
    would); every other request goes out as the page sends it."""

    def handle(route, request) -> None:  # type: ignore[no-untyped-def]
        body = request.post_data_json if request.method == "POST" else None
        if not (isinstance(body, dict) and "commit-result" in str(body.get("output"))):
            route.continue_()
            return
        for state in body.get("state", []):
            if state.get("id") == "staged" and isinstance(state.get("value"), list):
                state["value"] = change(state["value"])
        route.continue_(post_data=json.dumps(body))

    page.route("**/_dash-update-component*", handle)


def commit(page) -> Any:  # type: ignore[no-untyped-def]
    page.click("[data-action=commit]")
    return page.wait_for_selector(".commit-result li", timeout=60_000)


# --- names --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("characters", "extension"), LONG_NAMES)
def test_a_long_name_is_stored_through_the_api_under_a_label_that_keeps_its_extension(
    here, characters, extension
):
    server, settings = here
    name = long_name(characters, extension)
    client = web_client(server, "lanzhou")
    answer = client.post(
        server + "/api/upload", files={"files": (name, lanzhou_return(extension))}, timeout=60
    )
    assert answer.status_code == 200, answer.text[:500]
    (file,) = answer.json()["files"]
    assert file["status"] == "committed", file
    assert_label(file["file"], name)
    assert batches(settings)[file["batch"]]["file_name"] == file["file"]


def test_control_and_bidirectional_characters_never_reach_a_label_through_the_api(here):
    server, settings = here
    client = web_client(server, "lanzhou")
    name = "兰州\x1b[2J报表\u202egpj.\u2066csv"
    answer = client.post(server + "/api/upload", files={"files": (name, lanzhou_return(".csv"))}, timeout=60)
    assert answer.status_code == 200, answer.text[:500]
    (file,) = answer.json()["files"]
    assert file["status"] == "committed" and file["file"] == "兰州[2J报表gpj.csv"
    assert batches(settings)[file["batch"]]["file_name"] == "兰州[2J报表gpj.csv"


@pytest.mark.browser
def test_long_names_are_stored_through_the_page_under_labels_that_keep_their_extension(page, here):
    server, settings = here
    files = [(long_name(c, e), lanzhou_return(e)) for c, e in LONG_NAMES]
    upload_page(page, server, "lanzhou", files)
    statuses = page.locator("#preview .file-preview").evaluate_all("els => els.map(e => e.dataset.status)")
    assert statuses == ["would-commit"] * len(files)
    before = set(batches(settings))
    commit(page)
    page.wait_for_function(
        f"() => document.querySelectorAll('.commit-result li[data-status=committed]').length === {len(files)}"
    )
    stored = [b["file_name"] for i, b in sorted(batches(settings).items()) if i not in before]
    assert len(stored) == len(files)
    for shown, (name, _) in zip(stored, files, strict=True):
        assert_label(shown, name)


@pytest.mark.browser
def test_the_commit_stores_the_name_received_at_upload_not_one_the_page_sends(page, here):
    server, settings = here
    upload_page(page, server, "lanzhou", [("兰州真实报表.csv", lanzhou_return(".csv"))])
    forge_commit(page, lambda staged: [{**entry, "file": HOSTILE, "label": HOSTILE} for entry in staged])
    before = set(batches(settings))
    assert commit(page).get_attribute("data-status") == "committed"
    (new,) = [b for i, b in batches(settings).items() if i not in before]
    assert new["file_name"] == "兰州真实报表.csv" and new["uploaded_by"] == "lanzhou"


# --- staging per user and per page --------------------------------------------------------------------------------


@pytest.mark.browser
def test_two_officials_commit_the_same_file_and_the_second_is_told_which_batch_holds_it(browser, here):
    server, settings = here
    same = lanzhou_return(".csv")
    first, second = (browser.new_page(viewport={"width": 1366, "height": 768}) for _ in range(2))
    second.context.add_cookies([{"name": "qtm_lang", "value": "en", "url": server}])
    upload_page(first, server, "lanzhou", [("兰州.csv", same)])
    upload_page(second, server, "admin", [("lanzhou-copy.csv", same)])
    for opened in (first, second):  # both previewed before either commits
        assert opened.locator("#preview .file-preview").get_attribute("data-status") == "would-commit"
    assert commit(first).get_attribute("data-status") == "committed"
    batch = max(batches(settings))
    assert batches(settings)[batch]["uploaded_by"] == "lanzhou"
    told = commit(second)
    assert told.get_attribute("data-status") == "duplicate"
    assert told.get_attribute("data-batch") == str(batch)
    assert f"already stored as batch {batch}" in told.inner_text()
    assert max(batches(settings)) == batch  # the second commit stored nothing
    first.close()
    second.close()


@pytest.mark.browser
def test_an_official_cannot_commit_a_file_another_staged(browser, here):
    server, settings = here
    owner, thief = (browser.new_page(viewport={"width": 1366, "height": 768}) for _ in range(2))
    earlier = staged_by(settings, "lanzhou")
    upload_page(owner, server, "lanzhou", [("兰州.csv", lanzhou_return(".csv"))])
    (theirs,) = staged_by(settings, "lanzhou") - earlier  # the owner's page's token (as a thief may learn it)
    errors: list[str] = []
    thief.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    upload_page(thief, server, "shanghai", [("上海.csv", _shanghai_return())])
    forge_commit(thief, lambda _staged: [{"token": theirs}])
    before = batches(settings)
    gone = commit(thief)
    assert gone.get_attribute("data-status") == "gone"
    assert "不在暂存区" in gone.inner_text()
    assert batches(settings) == before and errors == []  # nothing stored, no server error
    assert commit(owner).get_attribute("data-status") == "committed"  # the owner's file is still theirs
    owner.close()
    thief.close()


def staged_by(settings: dict[str, str], user: str) -> set[str]:
    """The tokens of what ``user`` has staged (read from the server's staging folder)."""
    folder = Path(settings["QTM_STAGING_DIR"])
    if not folder.is_dir():
        return set()
    records = {
        entry.name: entry / "staged.json" for entry in folder.iterdir() if (entry / "staged.json").is_file()
    }
    return {token for token, record in records.items() if json.loads(record.read_text())["owner"] == user}


def _shanghai_return() -> bytes:
    row = f"市级智能工厂数量,上海市,2025,{next(_VALUES) % 100 + 200},家\n"
    return (",".join(HEADER) + "\n" + row).encode()


# --- the staging folder -------------------------------------------------------------------------------------------


def test_a_staged_file_is_handed_only_to_its_user_and_page(tmp_path):
    staging = Staging(tmp_path)
    staged = staging.put("报表.csv", lanzhou_return(".csv", 94.0), owner="lanzhou", page="p1")
    again = staging.put("报表.csv", lanzhou_return(".csv", 94.0), owner="admin", page="p2")
    assert staged.token != again.token and staged.path.read_bytes() == again.path.read_bytes()
    assert staging.get(staged.token, owner="admin", page="p1") is None
    assert staging.get(staged.token, owner="lanzhou", page="p2") is None
    found = staging.get(staged.token, owner="lanzhou", page="p1")
    assert found is not None and found.label == "报表.csv" and found.path == staged.path
    staging.discard(staged.token)  # one commits: the other's staged file stays
    assert staging.get(again.token, owner="admin", page="p2") is not None


def test_the_sweep_removes_what_was_staged_more_than_a_day_ago(tmp_path):
    staging = Staging(tmp_path)
    old = staging.put("old.xlsx", lanzhou_return(".xlsx", 94.0), owner="lanzhou", page="p")
    legacy = tmp_path / ("0" * 64)  # a folder of the layout before (named for the sha256)
    legacy.mkdir()
    (legacy / "return.csv").write_bytes(b"x")
    day_ago = time.time() - MAX_AGE_SECONDS - 60
    for folder in (old.path.parent, legacy):
        os.utime(folder, (day_ago, day_ago))
    fresh = staging.put("new.csv", lanzhou_return(".csv", 94.0), owner="lanzhou", page="p")
    assert not old.path.parent.exists() and not legacy.exists()
    assert staging.get(old.token, owner="lanzhou", page="p") is None
    assert staging.get(fresh.token, owner="lanzhou", page="p") is not None


@pytest.mark.parametrize(("characters", "extension"), LONG_NAMES)
def test_the_servers_name_for_the_bytes_fits_any_disk_and_keeps_the_extension(
    tmp_path, characters, extension
):
    name = long_name(characters, extension)
    staged = Staging(tmp_path).put(name, b"x", owner="lanzhou", page="p")
    assert staged.path.name == disk_name("return", name) == "return" + extension
    assert_label(staged.label, name)
    assert "…" in staged.label  # shortened: the head, "…" and the extension
    assert label("C:\\Users\\李\\" + name) == staged.label  # folders never part of a label
    assert Path(staged.path).read_bytes() == b"x"


def test_the_commit_view_names_the_batch_that_already_holds_a_file_in_both_languages():
    from dashboard.views.upload import commit_view
    from loaders.ingest import FileResult

    held = FileResult("兰州.csv", "0" * 64, "duplicate", batch_id=7)
    assert "已存储为批次 7" in str(commit_view([held], "zh").to_plotly_json())
    assert "already stored as batch 7" in str(commit_view([held], "en").to_plotly_json())
