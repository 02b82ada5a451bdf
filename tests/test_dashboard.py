"""The dashboard's pages, built from the store: the pure builders, and the real pages in a real headless Chromium."""

from __future__ import annotations

import datetime as dt
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from qtm.observations import Observation
from qtm.periods import Period
from qtm.progress import judge
from qtm.standings import Filters, overview
from qtm.store import Store

ARTIFACTS = Path(__file__).parent / "artifacts"
SCREENSHOTS = Path(__file__).parent.parent / "docs" / "screenshots"
TODAY = dt.date(2026, 11, 23)


def _text(component) -> str:
    """All the text of a Dash component tree."""
    if component is None:
        return ""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return " ".join(_text(c) for c in component)
    return _text(getattr(component, "children", None))


def _store_with(sqlite_url: str, records: list[Observation]) -> Store:
    store = Store.open(sqlite_url)
    store.commit_batch(
        file_name="f", sha256="a" * 64, uploaded_by="t", records=records, report=[], n_warnings=0
    )
    return store


def test_one_latest_value_per_target_everywhere(registry, sqlite_url):
    # A 2025Q3 quarter of an unfinished year is not "the latest" beside the 2024 annual value: the overview card,
    # the target page and the export all show the value the status is judged on.
    store = _store_with(
        sqlite_url,
        [
            Observation("farm_product_monitoring_pass_rate", "100000", Period.parse("2024"), 98.0),
            Observation("farm_product_monitoring_pass_rate", "100000", Period.parse("2025Q3"), 97.6),
        ],
    )
    cards = {s.target.id: s for s in overview(registry, store, Filters(as_of=TODAY))}
    latest = cards["national_farm_product_monitoring_pass_rate_2025"].result.latest
    assert latest is not None and (latest.period, latest.value) == ("2024", 98.0)


def test_relative_targets_stand_on_the_standard_of_the_plans_base_year(registry, sqlite_url):
    store = _store_with(
        sqlite_url,
        [
            Observation("excavator_mtbf_standard", "100000", Period.parse("2018"), 500.0),
            Observation("excavator_mtbf_standard", "100000", Period.parse("2024"), 900.0),  # revised later
        ],
    )
    cards = {s.target.id: s for s in overview(registry, store, Filters(as_of=TODAY))}
    assert cards["national_excavator_mtbf_2025"].result.target_value == pytest.approx(800.0)
    assert cards["national_loader_mtbf_2025"].result.target_value is None


def test_filters_narrow_and_worst_comes_first(registry, sqlite_url):
    store = _store_with(
        sqlite_url,
        [
            Observation("manufacturing_pass_rate", "620000", Period.parse(p), v)
            for p, v in {"2022": 93.0, "2025": 92.0}.items()
        ],
    )
    every = overview(registry, store, Filters(as_of=TODAY))
    assert len(every) == len(registry.targets)
    assert every[0].status == "missed"  # worst first
    gansu = overview(registry, store, Filters(as_of=TODAY, plan="gansu_2023_2025"))
    assert {s.target.plan for s in gansu} == {"gansu_2023_2025"}
    in_plan_order = overview(registry, store, Filters(as_of=TODAY, order="plan"))
    assert [s.target.id for s in in_plan_order] == list(registry.targets)


def test_cards_mark_synthetic_and_provisional_values(registry, sqlite_url):
    from dashboard.views.overview import card_grid

    store = _store_with(
        sqlite_url,
        [
            Observation("manufacturing_pass_rate", "620000", Period.parse("2022"), 93.0),
            Observation(
                "manufacturing_pass_rate",
                "620000",
                Period.parse("2024"),
                93.1,
                flags=frozenset({"synthetic"}),
            ),
            Observation(
                "manufacturing_pass_rate",
                "100000",
                Period.parse("2024"),
                93.9,
                flags=frozenset({"provisional"}),
            ),
        ],
    )
    cards = overview(registry, store, Filters(as_of=TODAY))
    gansu = next(s for s in cards if s.target.id == "gansu_manufacturing_pass_rate_2025")
    national = next(s for s in cards if s.target.id == "national_manufacturing_pass_rate_2025")
    assert "93.1 % (2024) ◆" in _text(card_grid(registry, [gansu], "zh"))
    assert "（初步）" in _text(card_grid(registry, [national], "zh"))
    assert "(provisional)" in _text(card_grid(registry, [national], "en"))


def test_gauges_are_indicators_and_bullets_for_direction_only_and_relative(registry):
    from reports.figures import gauge_figure

    def gauge(target_id: str, values: dict[str, float]):
        target = registry.targets[target_id]
        indicator = registry.indicators[target.indicator]
        data = [Observation(indicator.id, target.jurisdiction, Period.parse(p), v) for p, v in values.items()]
        result = judge(target, indicator, target.jurisdiction, data, dt.date(2025, 6, 30))
        return gauge_figure(target, indicator, result, "zh").data[0]

    angular = gauge("gansu_manufacturing_pass_rate_2025", {"2022": 93.0, "2024": 93.5})
    assert angular.type == "indicator" and angular.gauge.shape == "angular"
    assert angular.gauge.threshold.value == 94 and angular.value == 93.5
    assert angular.gauge.axis.range[0] < 93.0 and angular.gauge.axis.range[1] <= 100
    improve = gauge("national_farm_food_pass_rate_2025", {"2021": 97.0, "2024": 97.3})
    assert improve.gauge.shape == "bullet" and improve.gauge.threshold.value == 97.0  # the base to pass
    assert gauge("national_excavator_mtbf_2025", {}).gauge.shape == "bullet"


def test_trend_marks_provisional_and_revised_values_and_draws_the_target(registry):
    from reports.figures import trend_figure

    target = registry.targets["gansu_manufacturing_pass_rate_2025"]
    indicator = registry.indicators[target.indicator]
    data = [
        Observation(indicator.id, "620000", Period.parse("2022"), 93.0),
        Observation(indicator.id, "620000", Period.parse("2023"), 93.3),
        Observation(indicator.id, "620000", Period.parse("2024"), 93.5, flags=frozenset({"provisional"})),
    ]
    result = judge(target, indicator, "620000", data, dt.date(2025, 6, 30))
    figure = trend_figure(target, indicator, data, result, "甘肃省", lang="en", revised=frozenset({"2023"}))
    annual = next(t for t in figure.data if t.name == "Annual")
    assert list(annual.text) == ["2022", "2023 · revised", "2024 · provisional"]
    assert list(annual.marker.symbol) == ["circle", "circle", "circle-open"]
    projection = next(t for t in figure.data if t.name == "Projection")
    assert projection.y[-1] == pytest.approx(
        result.components.as_json()["expected_path"]["projection"]["value"]
    )
    assert any(shape.y0 == 94 for shape in figure.layout.shapes)  # the target line


def test_a_target_without_data_draws_its_target_over_its_own_years(registry):
    from reports.figures import trend_figure

    target = registry.targets["national_tractor_mtbf_2025"]
    indicator = registry.indicators[target.indicator]
    result = judge(target, indicator, "100000", [], TODAY)
    figure = trend_figure(target, indicator, [], result, "全国", lang="zh")
    assert list(figure.layout.xaxis.range) == [
        "2021-01-01",
        "2026-03-01",
    ]  # base year to the deadline, not −1…4
    assert any(shape.y0 == 250 for shape in figure.layout.shapes)


def test_outlook_reads_in_both_languages(registry):
    from qtm.formatting import outlook_text

    target = registry.targets["national_manufacturing_pass_rate_2025"]
    indicator = registry.indicators[target.indicator]
    data = [
        Observation(indicator.id, "100000", Period.parse(p), v)
        for p, v in {"2022": 93.29, "2023": 93.65, "2024": 93.93}.items()
    ]
    result = judge(target, indicator, "100000", data, TODAY)
    assert outlook_text(result) == (
        "待2025年数据；按2024年数据，进展顺利，有望完成目标",
        "awaiting 2025 data; on 2024 data, on track to meet the target",
    )
    assert outlook_text(judge(target, indicator, "100000", data, dt.date(2025, 6, 30))) is None


def test_numbers_are_written_the_chinese_way(registry):
    from qtm.formatting import value_text

    rate, hours, count = (
        registry.indicators[i]
        for i in ("manufacturing_pass_rate", "tractor_mtbf", "municipal_smart_factories")
    )
    assert value_text(98, rate, "zh") == "98.0 %" and value_text(93.93, rate, "zh") == "93.93 %"
    assert value_text(250, hours, "zh") == "250 小时" and value_text(250, hours) == "250 h"
    assert (
        value_text(1000, count, "zh") == "1,000家"
    )  # a count is written with its own counter, as reports do


# ---- in a real browser ---------------------------------------------------------------------------------------


def _gauge_types(page) -> list[str]:
    return page.evaluate(
        "() => [...document.querySelectorAll('[data-target-id] .gauge .js-plotly-plot')].map(g => g.data[0].type)"
    )


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)


@pytest.mark.browser
def test_overview_shows_a_gauge_card_per_target(page, demo_server, registry):
    page.goto(demo_server + "/")
    page.wait_for_selector("[data-target-id] .gauge .main-svg")
    cards = page.locator(".card-slot[data-target-id]")
    assert cards.count() == len(registry.targets)
    page.wait_for_function(
        f"() => document.querySelectorAll('[data-target-id] .gauge .js-plotly-plot').length === {len(registry.targets)}"
    )
    assert set(_gauge_types(page)) == {"indicator"}
    national = page.locator("[data-target-id=national_manufacturing_pass_rate_2025]").inner_text()
    assert (
        "93.93 %" in national and "2024" in national and "≥ 94.0 %" in national and "2025-12-31" in national
    )
    # Past the deadline with no 2025 value: the verdict waits, and the outlook says where the data were heading.
    assert "待数据" in national and "待2025年数据；按2024年数据，" in national
    assert "◆" in page.locator("[data-target-id=gansu_manufacturing_pass_rate_2025]").inner_text()
    statuses = page.locator("[data-target-id] [data-status]").evaluate_all(
        "els => els.map(e => e.dataset.status)"
    )
    assert len(statuses) == len(registry.targets) and statuses[0] in (
        "missed",
        "deteriorating",
    )  # worst first
    assert "合成演示数据" in page.locator("#synthetic-banner").inner_text()
    _shot(page, "overview-zh")


@pytest.mark.browser
def test_a_status_filter_narrows_the_cards_and_the_url_keeps_it(page, demo_server, registry):
    page.goto(demo_server + "/")
    page.wait_for_selector(".target-card")
    page.locator("#filter-status").click()
    page.get_by_role("option", name="未达成", exact=True).click()
    page.wait_for_url("**/?status=missed")
    page.wait_for_function("() => document.querySelectorAll('.target-card').length < 20")
    statuses = page.locator(".target-card [data-status]").evaluate_all(
        "els => els.map(e => e.dataset.status)"
    )
    assert statuses and set(statuses) == {"missed"}
    page.reload()  # a shared link opens the same view
    page.wait_for_selector(".target-card")
    assert page.locator(".target-card").count() == len(statuses)


@pytest.mark.browser
def test_a_card_opens_its_target_page(page, demo_server):
    page.goto(demo_server + "/")
    page.wait_for_selector(".target-card")
    page.locator("[data-target-id=gansu_manufacturing_pass_rate_2025] .card-title").click()
    page.wait_for_selector("#components")
    page.wait_for_selector("#trend .main-svg")
    assert page.url.endswith("/target/gansu_manufacturing_pass_rate_2025")
    components = page.locator("#components").inner_text()
    for label in ("方法", "基期", "最新值", "目标值", "期限", "评估日期"):
        assert label in components
    assert page.locator("tr.region-row").count() == 14  # every prefecture with data, ranked
    assert page.locator("#target-gauge .js-plotly-plot").evaluate("g => g.data[0].type") == "indicator"
    assert page.locator("#data-table tr.data-row").count() >= 4
    assert "qtm：" not in page.locator("#quote").inner_text()  # Gansu quotes its own heading, (二)主要目标
    _shot(page, "target-zh")
    page.locator("tr.region-row .region-link").first.click()  # region names link to their page
    page.wait_for_selector("#region-name")
    assert "/region/62" in page.url


@pytest.mark.browser
def test_a_target_without_data_says_what_to_upload(page, demo_server):
    page.goto(demo_server + "/target/national_tractor_mtbf_2025")
    page.wait_for_selector("#no-data")
    links = page.locator("#no-data a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert "/upload" in links and any(h.startswith("/template.xlsx?plan=") for h in links)
    page.wait_for_selector("#trend .main-svg")
    ticks = page.locator("#trend .xtick text").evaluate_all("els => els.map(e => e.textContent)")
    assert "2021" in ticks and "2025" in ticks and "2000" not in ticks


@pytest.mark.browser
def test_a_province_page_compares_its_prefectures(page, demo_server):
    page.goto(demo_server + "/region/620000")
    page.wait_for_selector(".comparison .main-svg")
    assert page.locator("#region-name").inner_text() == "甘肃省"
    assert page.locator(".card-slot[data-target-id]").count() >= 5
    bars = page.locator(".comparison .js-plotly-plot").first.evaluate("g => g.data[0].y.length")
    assert bars == 14
    _shot(page, "region-zh")


@pytest.mark.browser
def test_the_language_toggle_switches_every_label_and_persists(page, demo_server, registry):
    page.goto(demo_server + "/")
    page.wait_for_selector(".target-card")
    page.click("[data-action=language]")
    page.wait_for_selector("[data-action=language][data-lang=en]")
    page.wait_for_selector(".target-card")
    assert page.locator("h1").inner_text() == "Overview of targets"
    assert page.locator("#nav-upload").inner_text() == "Upload"
    card = page.locator("[data-target-id=national_manufacturing_pass_rate_2025]").inner_text()
    assert "Awaiting data" in card and "awaiting 2025 data; on 2024 data," in card and "待" not in card
    page.wait_for_function(
        f"() => document.querySelectorAll('[data-target-id] .gauge .main-svg').length >= {len(registry.targets)}"
    )
    _shot(page, "overview-en")
    page.goto(demo_server + "/target/gansu_manufacturing_pass_rate_2025")  # another page, still English
    page.wait_for_selector("#components")
    assert "Method" in page.locator("#components").inner_text()
    assert page.locator("#trend .js-plotly-plot").evaluate("g => g._context.locale") == "en"
    _shot(page, "target-en")
    page.click("[data-action=language]")
    page.wait_for_selector("[data-action=language][data-lang=zh]")
    page.wait_for_selector("#components")
    assert "方法" in page.locator("#components").inner_text()
    toolbar = page.locator("#trend .js-plotly-plot").evaluate("g => g._context.locale")
    assert toolbar == "zh-CN"


@pytest.mark.browser
def test_the_chart_toolbar_sends_nothing_off_the_server(page, demo_server):
    page.goto(demo_server + "/target/national_manufacturing_pass_rate_2025")
    page.wait_for_selector("#trend .main-svg")
    page.hover("#trend .main-svg")
    titles = page.locator("#trend .modebar-btn").evaluate_all("els => els.map(e => e.dataset.title)")
    assert titles and not any("share" in (t or "").lower() or "cloud" in (t or "").lower() for t in titles)
    assert "下载图表为PNG格式" in titles  # plotly's zh-CN locale


def test_an_unknown_path_is_a_404_in_both_languages(demo_server, browser):
    for path in ("/nope", "/region/999999", "/target/no_such_target"):
        with pytest.raises(urllib.error.HTTPError) as answer:
            urllib.request.urlopen(demo_server + path, timeout=10)
        assert answer.value.code == 404
    assert urllib.request.urlopen(demo_server + "/region/620000", timeout=10).status == 200
    opened = browser.new_page()
    opened.goto(demo_server + "/nope")
    opened.wait_for_selector("#not-found")
    assert "页面不存在" in opened.locator("#not-found").inner_text()
    assert opened.locator("#not-found a[href='/']").count() == 1
    opened.set_viewport_size({"width": 1366, "height": 768})
    _shot(opened, "not-found-zh")
    opened.close()


def test_a_cold_load_is_compressed(demo_server):
    import gzip

    def fetch(path: str) -> tuple[str | None, bytes]:
        request = urllib.request.Request(demo_server + path, headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            encoding, body = answer.headers.get("Content-Encoding"), answer.read()
        return encoding, gzip.decompress(body) if encoding == "gzip" else body

    _, page = fetch("/")
    scripts = [s.split('"')[0] for s in page.decode().split('src="')[1:]]
    bundle = next(s for s in scripts if "dash_core_components.v" in s)
    encoding, body = fetch(bundle)
    assert encoding == "gzip" and len(body) > 100_000


def test_the_template_is_served_for_a_plan(demo_server, tmp_path):
    from openpyxl import load_workbook

    with urllib.request.urlopen(demo_server + "/template.xlsx?plan=gansu_2023_2025", timeout=30) as answer:
        (tmp_path / "t.xlsx").write_bytes(answer.read())
    assert "填报" in load_workbook(tmp_path / "t.xlsx").sheetnames


@pytest.mark.parametrize(
    ("reason", "chinese"),
    [
        ("no value yet for the deadline period (2025)", "期限期（2025年）尚无数值"),
        (
            "no baseline value for a period no later than 2021 (基准值待录入); later values (2024) do not move the target",
            "基准值待录入：需要不晚于 2021 的数值（之后的 2024 数值不改变目标）",
        ),
        (
            "base and latest (or target) have opposite signs: growth rates do not exist",
            "基期值与最新值（或目标值）符号相反，增长率不存在",
        ),
    ],
)
def test_status_reasons_read_in_chinese(reason, chinese):
    from dashboard.views.target import reason_text

    assert reason_text(reason, "zh") == chinese and "基准值" not in reason_text(reason, "en")


def test_every_reason_the_methods_give_has_a_chinese_reading(registry):
    # Judge every target on empty, one-value and sign-changing series: no reason may reach a Chinese page in English.
    from dashboard.views.target import reason_text

    series = ([], [("2022", 5.0)], [("2021", 5.0), ("2023", -5.0)], [("2022", 93.0), ("2024", 93.5)])
    for target in registry.targets.values():
        indicator = registry.indicators[target.indicator]
        for values in series:
            data = [Observation(indicator.id, target.jurisdiction, Period.parse(p), v) for p, v in values]
            for day in (dt.date(2025, 6, 30), TODAY):
                result = judge(target, indicator, target.jurisdiction, data, day)
                for detail in (result.components.as_json(), result.components.as_json().get(result.method)):
                    if isinstance(detail, dict) and detail.get("reason"):
                        assert reason_text(str(detail["reason"]), "zh") != detail["reason"], detail["reason"]


# ---- issue #17: who a target binds, the missing base ------------------------------------------------------------


def test_a_region_page_says_which_targets_are_its_own_and_which_are_references(registry, sqlite_url):
    from dashboard.views.region import region_page
    from qtm.standings import in_region

    store = _store_with(
        sqlite_url,
        [
            Observation("manufacturing_pass_rate", "620100", Period.parse("2022"), 93.5),
            Observation("manufacturing_pass_rate", "620100", Period.parse("2025"), 94.26),
        ],
    )
    lanzhou = region_page(registry, "620100", in_region(registry, store, "620100", TODAY), [], "zh")
    text = _text(lanzhou)
    assert "本地区目标" in text and "对照上级目标（仅作参考）" in text and "本地区没有自己的目标" in text
    references = next(c for c in lanzhou.children if getattr(c, "id", None) == "reference-cards")
    shown = _text(references)
    assert "对照参考" in shown and "已实现" not in shown and "已达成" not in shown
    gansu = region_page(registry, "620000", in_region(registry, store, "620000", TODAY), [], "en")
    own = next(c for c in gansu.children if getattr(c, "id", None) == "own-cards")
    assert len(own.children) == sum(1 for t in registry.targets.values() if t.jurisdiction == "620000")


def test_the_chart_marks_a_missing_base_and_never_labels_a_later_year_as_base(registry):
    from reports.figures import trend_figure

    target = registry.targets["gansu_public_service_satisfaction_2025"]  # base year 2022
    indicator = registry.indicators[target.indicator]
    data = [
        Observation(indicator.id, "620000", Period.parse(p), v) for p, v in (("2024", 80.1), ("2025", 81.4))
    ]
    result = judge(target, indicator, "620000", data, TODAY)
    labels = [
        a.text for a in trend_figure(target, indicator, data, result, "甘肃省", lang="zh").layout.annotations
    ]
    assert "缺基期（2022年）数值" in labels and "基期" not in labels


def test_a_regions_png_says_reference_and_counts_no_verdict(registry, sqlite_url):
    from qtm.standings import sub_regions
    from reports.paper import regions_for_paper

    store = _store_with(
        sqlite_url,
        [
            Observation("manufacturing_pass_rate", "620100", Period.parse("2025"), 94.26),
            Observation("manufacturing_pass_rate", "620500", Period.parse("2025"), 93.1),
        ],
    )
    target = registry.targets["gansu_manufacturing_pass_rate_2025"]
    rows = sub_regions(registry, store, target, "620000", TODAY)
    figure = regions_for_paper(registry, target, rows, region="620000", as_of=TODAY, lang="zh")
    texts = " ".join(str(a.text) for a in figure.layout.annotations) + " ".join(figure.data[0].text)
    assert "对照参考，不判断是否实现（地区数）：达到目标水平 1 · 未达到目标水平 1" in texts
    assert "对照参考" in " ".join(figure.data[0].text)
    assert not any(word in texts for word in ("已实现", "已达成", "未达成", "状态（地区数）"))
