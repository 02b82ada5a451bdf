"""The overview, built from the store: as a pure page builder, and in a real headless Chromium."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from qtm.observations import Observation
from qtm.overview import TargetRow, latest, overview_rows
from qtm.periods import Period
from qtm.progress import judge
from qtm.store import Store

ARTIFACTS = Path(__file__).parent / "artifacts"


def _text(component) -> str:
    """All the text of a Dash component tree."""
    if component is None:
        return ""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return " ".join(_text(c) for c in component)
    return _text(getattr(component, "children", None))


def test_latest_prefers_the_most_recent_period():
    a = Observation("x", "100000", Period.parse("2024"), 1.0)
    b = Observation("x", "100000", Period.parse("2025Q3"), 2.0)
    c = Observation("x", "100000", Period.parse("2024Q4"), 3.0)
    assert latest([a, b, c]) is b
    assert latest([c, a]) is a  # the year and its last quarter end together: the year wins
    assert latest([]) is None


def test_overview_rows_come_from_the_store_and_resolve_relative_targets(registry, sqlite_url):
    store = Store.open(sqlite_url)
    records = [
        Observation("manufacturing_pass_rate", "100000", Period.parse("2023"), 93.65),
        Observation("manufacturing_pass_rate", "100000", Period.parse("2024"), 93.93),
        Observation("excavator_mtbf_standard", "100000", Period.parse("2018"), 500.0),
        Observation(
            "excavator_mtbf_standard", "100000", Period.parse("2024"), 900.0
        ),  # revised after the plan
    ]
    store.commit_batch(
        file_name="f", sha256="a" * 64, uploaded_by="t", records=records, report=[], n_warnings=0
    )
    rows = {r.target.id: r for r in overview_rows(registry, store)}
    assert len(rows) == len(registry.targets)
    national = rows["national_manufacturing_pass_rate_2025"]
    assert national.latest is not None and national.latest.value == 93.93
    assert rows["gansu_manufacturing_pass_rate_2025"].latest is None  # national data is not Gansu's
    excavator = rows["national_excavator_mtbf_2025"]
    assert excavator.target_value == pytest.approx(
        800.0
    )  # the 2018 standard, in force when the plan was issued
    assert excavator.baseline is not None and str(excavator.baseline.period) == "2018"
    assert rows["national_loader_mtbf_2025"].target_value is None


def test_the_page_marks_synthetic_values_and_says_so(registry):
    from dashboard.views.overview import SYNTHETIC_MARK, overview_page

    target = registry.targets["gansu_manufacturing_pass_rate_2025"]
    made_up = Observation(
        target.indicator, "620000", Period.parse("2024"), 93.1, flags=frozenset({"synthetic"})
    )
    page = _text(overview_page(registry, [TargetRow(target, made_up, 94.0)]))
    assert "合成演示数据" in page and "synthetic" in page and f"93.1 % {SYNTHETIC_MARK}" in page
    real = Observation(target.indicator, "620000", Period.parse("2024"), 93.1)
    page = _text(overview_page(registry, [TargetRow(target, real, 94.0)]))
    assert SYNTHETIC_MARK not in page


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.fail("Chromium is missing: run `scripts/system-deps.sh` (as root) or install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    """A fresh page; the test fails if the browser console shows any error on it."""
    opened = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    opened.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    opened.on("pageerror", lambda e: errors.append(str(e)))
    yield opened
    opened.close()
    assert errors == [], f"errors in the browser console: {errors}"


@pytest.mark.browser
def test_overview_in_a_real_browser(page, demo_server, registry):
    page.goto(demo_server + "/")
    page.wait_for_selector("tr.target-row")
    assert page.locator("tr.target-row").count() == len(registry.targets)
    assert "合成演示数据" in page.locator("#synthetic-banner").inner_text()
    national = page.locator("#target-national_manufacturing_pass_rate_2025").inner_text()
    assert "93.93 %" in national and "2024" in national and "≥ 94 %" in national and "2025-12-31" in national
    # Past the deadline with no 2025 value: the verdict waits, and the outlook says where the data were heading.
    assert "待2025年数据；按2024年数据：" in national and "awaiting 2025 data; on 2024 data:" in national
    gansu = page.locator("#target-gansu_manufacturing_pass_rate_2025").inner_text()
    assert "◆" in gansu  # Gansu values are synthetic demo data
    tractor = page.locator("#target-national_tractor_mtbf_2025").inner_text()
    assert "无数据" in tractor and "≥ 250 h" in tractor
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"overview-{dt.date.today()}.png"), full_page=True)


@pytest.mark.browser
def test_target_page_shows_how_the_status_was_judged(page, demo_server):
    page.goto(demo_server + "/")
    page.wait_for_selector("tr.target-row")
    badge = page.locator("#target-gansu_manufacturing_pass_rate_2025 a.badge")
    assert badge.inner_text().split()[0] in {"未达成", "已达成", "待数据"}
    badge.click()
    page.wait_for_selector("#components")
    page.wait_for_selector("#trend .main-svg")  # the trend chart rendered
    assert page.url.endswith("/target/gansu_manufacturing_pass_rate_2025")
    components = page.locator("#components").inner_text()
    for label in ("Method", "Base", "Latest", "Target value", "Deadline", "As of"):
        assert label in components
    status = page.locator("#target-status").inner_text()
    assert (
        status.split()[0] != "待数据" or "待2025年数据" in status
    )  # awaiting data always comes with its outlook
    assert page.locator("tr.region-row").count() == 14  # every prefecture with data, ranked
    assert "◆" in page.locator("#regions").inner_text() and page.locator("#synthetic-banner").count() == 1
    page.screenshot(path=str(ARTIFACTS / f"target-{dt.date.today()}.png"), full_page=True)
    page.goto(demo_server + "/target/no_such_target")
    page.wait_for_selector("h1")
    assert "No such target" in page.locator("h1").inner_text()


def test_outlook_reads_in_both_languages(registry):
    from qtm.formatting import outlook_text

    target = registry.targets["national_manufacturing_pass_rate_2025"]
    indicator = registry.indicators[target.indicator]
    data = [
        Observation(indicator.id, "100000", Period.parse(p), v)
        for p, v in {"2022": 93.29, "2023": 93.65, "2024": 93.93}.items()
    ]
    result = judge(target, indicator, "100000", data, dt.date(2026, 11, 23))
    assert outlook_text(result) == (
        "待2025年数据；按2024年数据：进展顺利",
        "awaiting 2025 data; on 2024 data: on track",
    )
    assert outlook_text(judge(target, indicator, "100000", data, dt.date(2025, 6, 30))) is None


def test_trend_figure_draws_series_target_and_projection(registry):
    from dashboard.figures import trend_figure
    from qtm.progress import judge

    target = registry.targets["gansu_manufacturing_pass_rate_2025"]
    indicator = registry.indicators[target.indicator]
    data = [
        Observation(indicator.id, "620000", Period.parse(p), v)
        for p, v in (("2022", 93.0), ("2023", 93.3), ("2024", 93.5))
    ]
    result = judge(target, indicator, "620000", data, dt.date(2025, 6, 30))
    figure = trend_figure(target, indicator, data, result, "甘肃省 Gansu")
    names = [trace.name for trace in figure.data]
    assert "年度值 Annual" in names and "预测 Projection" in names and "预测区间 Projection band" in names
    projection = next(t for t in figure.data if t.name == "预测 Projection")
    assert projection.y[-1] == pytest.approx(result.components["expected_path"]["projection"]["value"])
    assert any(shape.y0 == 94 for shape in figure.layout.shapes)  # the target line
    assert "制造业产品质量合格率" in figure.layout.title.text
