"""Report-ready downloads from the pages, in a real Chromium: the overview's pack holds the cards in view, a
chart's PNG link gives the chart drawn on the server."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

import pytest

from reports.report_pack import read_manifest
from tests.conftest import serving
from tests.test_export import png_size

pytestmark = pytest.mark.browser
VIEW = "/?plan=gansu_2023_2025&as_of=2025-06-30"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving(tmp_path_factory.mktemp("export-page")) as url:
        yield url


def _download(page, selector: str) -> bytes:
    with page.expect_download(timeout=300_000) as download:
        page.click(selector)
    return download.value.path().read_bytes()


def test_the_overview_pack_holds_the_cards_in_view(page, server):
    page.goto(server + VIEW)
    page.wait_for_selector(".card-slot")
    cards = page.locator(".card-slot").evaluate_all(
        "els => els.map(e => e.dataset.targetId + '|' + e.dataset.region)"
    )
    data = _download(page, "#pack-link")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        rows = read_manifest(archive.read("manifest.csv"))
        assert set(archive.namelist()) == {r["file"] for r in rows} | {"manifest.csv", "report.docx"}
    assert {f"{r['target']}|{r['region']}" for r in rows} == set(cards)
    assert {r["as_of"] for r in rows} == {"2025-06-30"}


def test_a_chart_link_downloads_the_chart_drawn_on_the_server(page, server):
    page.goto(server + "/target/gansu_manufacturing_pass_rate_2025")
    page.wait_for_selector("#trend .main-svg")
    assert png_size(_download(page, "[data-export=trend]")) == (3200, 1800)
    assert png_size(_download(page, "[data-export=gauge]")) == (3200, 1800)
