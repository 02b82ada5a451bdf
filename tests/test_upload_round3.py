"""The upload page, round 3 (issue 19): the preview says what each value does to the store (新增, 替换：old → new,
不变); a note saying 初步统计数 marks a return's values provisional; a withdrawal is confirmed with a reason and
shows the values that fall back; the batch table says each batch's status in words; the template follows the
reporter. Real files, a real SQLite store, a real server and a real Chromium."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from dashboard.views.upload import batch_table, preview_view, withdraw_summary
from loaders.ingest import ingest_file
from qtm.accounts import User
from qtm.registry import Registry
from qtm.store.database import Store
from tests.conftest import log_in, serving, web_client

SCREENSHOTS = Path(__file__).parent.parent / "docs" / "screenshots"


def _return(folder: Path, name: str, rows: str) -> Path:
    path = folder / name
    path.write_text("指标名称,地区,统计期,数值,计量单位\n" + rows, encoding="utf-8")
    return path


def _texts(component: Any) -> list[str]:
    """Every string in a Dash component tree, in order."""
    if isinstance(component, str):
        return [component]
    if isinstance(component, (list, tuple)):
        return [s for c in component for s in _texts(c)]
    children = getattr(component, "children", None)
    return _texts(children) if children is not None else []


def _find(component: Any, attribute: str) -> list[Any]:
    """Every component in the tree carrying the data attribute ``attribute``."""
    found = [component] if hasattr(component, attribute) else []
    if isinstance(component, (list, tuple)):
        return [f for c in component for f in _find(c, attribute)]
    children = getattr(component, "children", None)
    return found + (_find(children, attribute) if children is not None else [])


def _store(store: Store, registry: Registry, path: Path) -> int:
    result = ingest_file(path, registry, store, uploaded_by="admin")
    assert result.status == "committed", result.report.issues
    assert result.batch_id is not None
    return result.batch_id


def test_the_preview_says_new_replaces_and_unchanged(tmp_path, registry, sqlite_url):
    store = Store.open(sqlite_url)
    _store(
        store,
        registry,
        _return(
            tmp_path,
            "first.csv",
            "制造业产品质量合格率,全国,2021,93.1,%\n制造业产品质量合格率,全国,2022,93.3,%\n",
        ),
    )
    second = _return(
        tmp_path,
        "second.csv",
        "制造业产品质量合格率,全国,2021,93.1,%\n制造业产品质量合格率,全国,2022,93.6,%\n制造业产品质量合格率,全国,2023,93.8,%\n",
    )
    result = ingest_file(second, registry, store, uploaded_by="admin", dry_run=True)
    stored = store.current_of({(o.indicator, o.region) for o in result.observations})
    current = {(o.indicator, o.region, o.period.text): o for o in stored}
    view = preview_view(registry, result, "zh", current)
    cells = [" ".join(_texts(td)) for td in _find(view, "data-change")]
    assert cells == ["不变", "替换：93.3 % → 93.6 %", "新增"], cells
    assert "replaces: 93.3 % → 93.6 %" in " ".join(_texts(preview_view(registry, result, "en", current)))


def test_a_note_saying_the_figures_are_preliminary_marks_them_provisional(tmp_path, registry, sqlite_url):
    store = Store.open(sqlite_url)
    for where in ("above", "below"):
        book = Workbook()
        sheet = book.active
        sheet.append(["2024年全国制造业产品质量合格率"])
        if where == "above":
            sheet.append(["本表数据为初步统计数"])
        sheet.append(["地区", "合格率（%）"])
        sheet.append(["全国", 93.9])
        if where == "below":
            sheet.append(["注：本表数据为初步统计数"])
        path = tmp_path / f"{where}.xlsx"
        book.save(path)
        result = ingest_file(path, registry, store, uploaded_by="admin", dry_run=True)
        assert [(o.value, sorted(o.flags)) for o in result.observations] == [(93.9, ["provisional"])], where
        assert "初步" in _texts(preview_view(registry, result, "zh", {})), where


def test_withdrawing_shows_the_values_that_fall_back(tmp_path, registry, sqlite_url):
    store = Store.open(sqlite_url)
    _store(store, registry, _return(tmp_path, "old.csv", "制造业产品质量合格率,全国,2021,93.1,%\n"))
    newer = _store(
        store,
        registry,
        _return(
            tmp_path,
            "new.csv",
            "制造业产品质量合格率,全国,2021,93.5,%\n制造业产品质量合格率,全国,2022,93.6,%\n",
        ),
    )
    fallback = store.withdrawal_fallback(newer)
    assert [(now.value, after.value if after else None) for now, after in fallback] == [
        (93.5, 93.1),
        (93.6, None),
    ]
    batch = store.batch(newer)
    assert batch is not None
    rows = [_texts(tr) for tr in _find(withdraw_summary(registry, batch, fallback, "zh"), "data-fallback")]
    assert [row[-2:] for row in rows] == [["93.5 %", "93.1 %"], ["93.6 %", "无"]]


def test_the_batch_table_says_each_status_in_words_and_keeps_the_button_apart(tmp_path, registry, sqlite_url):
    store = Store.open(sqlite_url)
    kept = _store(store, registry, _return(tmp_path, "kept.csv", "制造业产品质量合格率,全国,2021,93.1,%\n"))
    gone = _store(store, registry, _return(tmp_path, "gone.csv", "制造业产品质量合格率,全国,2022,93.6,%\n"))
    store.withdraw_batch(gone, withdrawn_by="admin", reason="数据有误，重新上报")
    admin = User("admin", "admin", frozenset(), True)
    table = batch_table(store.batches(), "zh", user=admin)
    rows = {getattr(tr, "data-batch"): tr.children for tr in _find(table, "data-batch")}
    states = {b: " ".join(_texts(cells[7])) for b, cells in rows.items()}
    assert states[str(kept)] == "已存储"
    assert states[str(gone)] == f"已撤回（由批次 {gone + 1}）"
    assert states[str(gone + 1)] == f"撤回记录（撤回批次 {gone}）：数据有误，重新上报"
    assert [" ".join(_texts(cells[8])) for cells in rows.values()] == ["", "", "撤回…"]  # newest first


# ---- a real server ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving(tmp_path_factory.mktemp("upload3"), {"QTM_LIVE_SECONDS": "1"}) as url:
        yield url


def _template_regions(content: bytes) -> set[str]:
    sheet = load_workbook(io.BytesIO(content))["填报"]
    return {row[1] for row in sheet.iter_rows(min_row=3, values_only=True) if row[0]}


@pytest.mark.browser
def test_the_template_follows_the_reporter_and_checks_the_region(server):
    lanzhou = web_client(server, "lanzhou")
    own = lanzhou.get(server + "/template.xlsx?plan=gansu_2023_2025", timeout=60)
    assert own.status_code == 200
    assert _template_regions(own.content) == {"兰州市"}
    outside = lanzhou.get(server + "/template.xlsx?plan=gansu_2023_2025&region=310000", timeout=60)
    assert outside.status_code == 403
    assert outside.json()["error"]["code"] == "forbidden" and "上海" in outside.json()["error"]["message"]
    unknown = lanzhou.get(server + "/template.xlsx?region=999999", timeout=60)
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "unknown_region"
    admin = web_client(server, "admin")
    asked = admin.get(server + "/template.xlsx?plan=gansu_2023_2025&region=620100", timeout=60)
    assert _template_regions(asked.content) == {"兰州市"}


def _upload(page, server: str, path: Path) -> None:
    page.goto(server + "/upload")
    page.wait_for_selector("input[type=file]", state="attached")
    page.set_input_files("input[type=file]", [str(path)])
    page.wait_for_selector("#preview .file-preview", timeout=60_000)


def _commit(page) -> None:
    page.click("[data-action=commit]")
    page.wait_for_selector(".commit-result li[data-status=committed]", timeout=60_000)


@pytest.mark.browser
def test_the_preview_shows_old_to_new_and_a_withdrawal_asks_why(page, server, tmp_path):
    log_in(page, server, "admin")
    _upload(page, server, _return(tmp_path, "制造业2021初报.csv", "制造业产品质量合格率,全国,2021,93.1,%\n"))
    _commit(page)
    second = _return(
        tmp_path,
        "制造业2021修订.csv",
        "制造业产品质量合格率,全国,2021,93.4,%\n制造业产品质量合格率,全国,2019,93.6,%\n",
    )
    _upload(page, server, second)
    changes = page.locator("#preview [data-change]").all_inner_texts()
    assert changes == ["替换：93.1 % → 93.4 %", "新增"], changes
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#preview").screenshot(path=str(SCREENSHOTS / "upload-preview-zh.png"))
    _commit(page)
    page.wait_for_selector("#batches [data-action=withdraw]")
    page.wait_for_function(
        "() => document.querySelector('#batches tr[data-batch]').innerText.includes('制造业2021修订')"
    )
    page.locator("#batches tr[data-batch]").first.locator("[data-action=withdraw]").click()
    page.wait_for_selector("#withdraw-dialog:not([hidden]) [data-fallback]")
    fallback = page.locator("#withdraw-dialog [data-fallback]").all_inner_texts()
    assert [row.split("\t")[-2:] for row in fallback] == [["93.4 %", "93.1 %"], ["93.6 %", "无"]], fallback
    page.fill("#withdraw-reason", "2021年数据有误，待核实后重新上报")
    page.locator("#withdraw-dialog").screenshot(path=str(SCREENSHOTS / "upload-withdraw-zh.png"))
    page.fill("#withdraw-reason", "  ")
    page.click("[data-action=withdraw-confirm]")  # no reason: refused, nothing withdrawn
    page.wait_for_selector("#withdraw-message:has-text('请填写撤回原因')")
    assert "已存储" in page.locator("#batches tr[data-batch]").first.inner_text()
    page.fill("#withdraw-reason", "2021年数据有误，待核实后重新上报")
    page.click("[data-action=withdraw-confirm]")
    page.wait_for_selector("#withdraw-dialog[hidden]", state="attached")
    page.wait_for_function(
        "() => document.querySelector('#batches tr[data-batch]').innerText.includes('2021年数据有误')"
    )
    states = page.locator("#batches .batch-state").all_inner_texts()
    assert states[0].startswith("撤回记录") and states[1].startswith("已撤回") and states[2] == "已存储", (
        states
    )
