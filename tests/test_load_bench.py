"""bench/load_test.py's viewers send what a real browser sends: the per-card refresh Chromium posts when the live
version changes is the one the load test builds from the card keys it read from the page's content."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from bench import load_test
from tests.conftest import serving, web_client


def test_card_keys_are_found_in_the_content() -> None:
    store = {"props": {"id": "card-keys", "data": [["a-1", "x"]]}, "type": "Store"}
    content = {"props": {"children": [{"props": {"children": "title"}}, {"props": {"children": [store]}}]}}
    assert load_test.card_keys_in(content) == [["a-1", "x"]]
    assert load_test.card_keys_in({"props": {"children": "nothing"}}) is None


@pytest.mark.browser
def test_the_viewers_refresh_is_the_browsers(page, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QTM_LIVE_SECONDS", "1")
    with serving(tmp_path) as server:
        viewer = load_test.Viewer(server, "browser", 1.0, load_test.Tally())
        viewer.open()
        posted: list[str] = []
        page.on(
            "request",
            lambda r: posted.append(r.post_data or "") if "card-keys" in (r.post_data or "") else None,
        )
        page.goto(server + "/")
        page.wait_for_selector("#cards")
        rows = "".join(f"制造业产品质量合格率,甘肃省,{year},91.50,%\n" for year in range(2010, 2026))
        body = ("指标名称,地区,统计期,数值,计量单位\n" + rows).encode()
        answer = web_client(server, "admin").post(server + "/api/upload", files={"files": ("g.csv", body)})
        assert answer.json()["files"][0]["status"] == "committed"
        deadline = time.monotonic() + 20
        while not posted and time.monotonic() < deadline:
            page.wait_for_timeout(200)
        page.wait_for_timeout(1000)  # the refresh's answer drawn
        page.goto("about:blank")  # no more polls: the server stops next
    assert posted, "the browser posted no card refresh"
    sent = json.loads(posted[0])
    held = sent["state"][1]["value"]
    assert held == viewer.keys
    assert sent == load_test.refresh_callback(sent["inputs"][0]["value"], viewer.keys)
