"""Uploading returns in the browser: preview, commit, problems by cell, several officials at once, and every open
dashboard following the commits without a reload. A real server, a real Chromium, real files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import log_in, serving

CORPUS = Path(__file__).parent / "corpus" / "files"
SCREENSHOTS = Path(__file__).parent.parent / "docs" / "screenshots"
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server of its own (these tests write), checking for new data every second."""
    with serving(tmp_path_factory.mktemp("upload"), {"QTM_LIVE_SECONDS": "1"}) as url:
        yield url


def _return(folder: Path, name: str, rows: str) -> Path:
    path = folder / name
    path.write_text("指标名称,地区,统计期,数值,计量单位\n" + rows, encoding="utf-8")
    return path


def _upload(page, server: str, *files: Path, user: str = "admin") -> None:
    log_in(page, server, user)
    page.goto(server + "/upload")
    page.wait_for_selector("input[type=file]", state="attached")
    assert page.locator("input[type=file]").count() == 1
    page.set_input_files("input[type=file]", [str(f) for f in files])
    page.wait_for_selector("#preview .file-preview, #preview .refused-upload", timeout=60_000)


def _batches(page) -> int:
    return page.locator("#batches tr[data-batch]").count()


def test_a_good_return_previews_commits_and_reaches_the_chart(page, server, tmp_path):
    good = _return(tmp_path, "全国制造业2025.csv", "制造业产品质量合格率,全国,2025,94.2,%\n")
    _upload(page, server, good)
    rows = page.locator("[data-observation]").evaluate_all("els => els.map(e => e.dataset.observation)")
    assert rows == ["manufacturing_pass_rate|100000|2025|94.2"]
    # docs/screenshots/upload-preview-zh.png (a preview with old → new) is taken by tests/test_upload_round3.py
    before = _batches(page)
    page.click("[data-action=commit]")
    page.wait_for_selector(".commit-result li[data-status=committed]")
    page.wait_for_function(
        f"() => document.querySelectorAll('#batches tr[data-batch]').length === {before + 1}"
    )
    assert "admin" in page.locator("#batches tr[data-batch]").first.inner_text()
    page.goto(server + "/target/national_manufacturing_pass_rate_2025")
    page.wait_for_selector("#trend .main-svg")
    values = page.locator("#trend .js-plotly-plot").evaluate("g => g.data.flatMap(t => [...(t.y || [])])")
    assert 94.2 in values
    assert page.locator("#target-status [data-status]").first.get_attribute("data-status") == "met"


def test_a_bad_return_shows_its_problems_by_cell_and_stores_nothing(page, server):
    _upload(page, server, CORPUS / "bad_ranges.xlsx")
    before = _batches(page)
    issues = page.locator("[data-issue-code]").evaluate_all(
        "els => els.map(e => [e.dataset.issueCode, e.dataset.cell])"
    )
    assert ["rate_out_of_range", "D2"] in issues and ["negative_value", "D3"] in issues
    assert page.locator("[data-action=commit]").is_disabled()
    assert page.locator(".file-preview[data-status=rejected]").count() == 1
    page.locator(".file-preview").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "upload-problems-zh.png"))
    page.reload()
    page.wait_for_selector("#batches")
    assert _batches(page) == before


def test_a_hostile_file_is_refused_and_the_server_keeps_serving(page, server):
    _upload(page, server, CORPUS / "hostile_zip_bomb.xlsx")
    assert page.locator(".file-preview[data-status=unreadable]").count() == 1
    assert page.locator("[data-issue-code]").count() >= 1  # says why, in both languages
    assert page.locator("[data-action=commit]").is_disabled()
    page.goto(server + "/")
    page.wait_for_selector(".target-card")


def test_two_officials_uploading_at_once_both_succeed(browser, server, tmp_path):
    files = [
        _return(tmp_path, "兰州.csv", "制造业产品质量合格率,兰州市,2025,94.4,%\n"),
        _return(tmp_path, "天水.csv", "制造业产品质量合格率,天水市,2025,93.2,%\n"),
    ]
    pages = [browser.new_page(viewport={"width": 1366, "height": 768}) for _ in files]
    for opened, file in zip(pages, files, strict=True):
        _upload(opened, server, file)
    for (
        opened
    ) in pages:  # click both before waiting for either, so that the two commits overlap on the server
        opened.click("[data-action=commit]", no_wait_after=True)
    for opened in pages:
        opened.wait_for_selector(".commit-result li[data-status=committed]", timeout=60_000)
        opened.close()


def test_an_open_dashboard_follows_a_commit_made_elsewhere(browser, server, tmp_path):
    watcher = browser.new_page(viewport={"width": 1366, "height": 768})
    watcher.goto(server + "/?order=plan")  # plan order: the cards keep their places when a status changes
    watcher.wait_for_selector("[data-target-id=national_food_sampling_pass_rate_2025] .gauge .main-svg")
    card = "[data-target-id=national_food_sampling_pass_rate_2025] [data-status]"
    assert watcher.locator(card).first.get_attribute("data-status") == "awaiting_data"
    other = "[data-target-id=gansu_manufacturing_pass_rate_2025] .gauge .js-plotly-plot"
    watcher.wait_for_selector(other + " .main-svg")
    watcher.evaluate(
        """([other]) => {
            window.__notReloaded = true;
            const gauge = document.querySelector(other);
            gauge.__same = true;
            gauge.__redraws = 0;
            gauge.on('plotly_afterplot', () => { gauge.__redraws += 1; });
        }""",
        [other],
    )
    # A slow machine may still be finishing the first drawing (a resize as the grid settles): count from here.
    watcher.wait_for_timeout(1500)
    watcher.evaluate("([other]) => { document.querySelector(other).__redraws = 0; }", [other])
    uploader = browser.new_page(viewport={"width": 1366, "height": 768})
    _upload(uploader, server, _return(tmp_path, "食品.csv", "食品抽检合格率,全国,2025,98.3,%\n"))
    uploader.click("[data-action=commit]")
    uploader.wait_for_selector(".commit-result li[data-status=committed]")
    watcher.wait_for_function(
        f"() => document.querySelector('{card}').dataset.status === 'met'", timeout=20_000
    )
    assert watcher.evaluate("window.__notReloaded") is True  # it changed in place, without a reload
    untouched = watcher.evaluate(
        "([other]) => { const g = document.querySelector(other); return [g.__same === true, g.__redraws]; }",
        [other],
    )
    assert untouched == [True, 0]  # a gauge whose data did not change was neither replaced nor redrawn
    uploader.close()
    watcher.close()


def test_a_reporter_uploads_for_their_regions_only(page, server, tmp_path):
    shanghai = _return(tmp_path, "上海.csv", "市级智能工厂数量,上海市,2025,205,家\n")
    _upload(page, server, shanghai, user="lanzhou")
    assert "兰州市" in page.locator("#who").inner_text()
    issues = page.locator("[data-issue-code]").evaluate_all(
        "els => els.map(e => [e.dataset.issueCode, e.dataset.cell])"
    )
    assert (
        issues and {code for code, _ in issues} == {"region_out_of_scope"} and all(cell for _, cell in issues)
    )
    assert page.locator("[data-action=commit]").is_disabled()


def test_a_viewer_cannot_upload(page, server, tmp_path):
    _upload(
        page, server, _return(tmp_path, "v.csv", "制造业产品质量合格率,兰州市,2025,94.0,%\n"), user="viewer"
    )
    texts = page.locator("#preview .refused-upload").evaluate_all("els => els.map(e => e.textContent)")
    assert any("无上报权限" in text for text in texts), texts
    assert page.locator("#commit-result").inner_text().strip() == "", (
        "nothing was committed, so nothing to report"
    )
    assert page.locator("[data-action=commit]").is_disabled()
