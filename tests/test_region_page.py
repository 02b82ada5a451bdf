"""The region page (issue 19, "Pages"): its own targets first, higher targets without data as one line each, the
synthetic mark following the current value, the pack's 取消 hidden at rest, a pack named for its page, and no console
error when a commit redraws the page live."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from dashboard.views.region import region_page
from qtm.observations import Observation
from qtm.periods import Period
from qtm.standings import in_region, sub_regions
from qtm.store import Store
from tests.conftest import prepared, run_qtm, served
from tests.test_dashboard import _text

TODAY = dt.date(2026, 11, 23)


def _store_with(sqlite_url: str, records: list[Observation]) -> Store:
    store = Store.open(sqlite_url)
    store.commit_batch(
        file_name="f", sha256="a" * 64, uploaded_by="t", records=records, report=[], n_warnings=0
    )
    return store


def _find(component, wanted: str):  # type: ignore[no-untyped-def]
    if getattr(component, "id", None) == wanted:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children] if children is not None else []:
        found = _find(child, wanted)
        if found is not None:
            return found
    return None


def test_a_higher_target_without_data_for_the_region_is_one_line_not_an_empty_card(registry, sqlite_url):
    store = _store_with(
        sqlite_url, [Observation("manufacturing_pass_rate", "620100", Period.parse("2025"), 94.26)]
    )
    page = region_page(registry, "620100", in_region(registry, store, "620100", TODAY), [], "zh")
    cards = _find(page, "reference-cards")
    lines = _find(page, "reference-without-data")
    assert cards is not None and lines is not None
    carded = {c.to_plotly_json()["props"]["data-target-id"] for c in cards.children}
    assert carded and all(registry.targets[t].indicator == "manufacturing_pass_rate" for t in carded)
    line_ids = {li.to_plotly_json()["props"]["data-target-id"] for li in lines.children}
    assert "national_tractor_mtbf_2025" in line_ids and not carded & line_ids
    assert "本地区暂无数据" in _text(lines) and "无数据" not in _text(cards)


def test_the_synthetic_mark_follows_the_current_value_not_an_older_one(registry, sqlite_url):
    synthetic = frozenset({"synthetic"})
    store = _store_with(
        sqlite_url,
        [
            Observation("manufacturing_pass_rate", "620100", Period.parse("2024"), 93.0, flags=synthetic),
            Observation("manufacturing_pass_rate", "620100", Period.parse("2025"), 94.3),  # a real upload
            Observation("manufacturing_pass_rate", "620200", Period.parse("2025"), 93.1, flags=synthetic),
        ],
    )
    target = registry.targets["gansu_manufacturing_pass_rate_2025"]
    own = next(s for s in in_region(registry, store, "620000", TODAY) if s.target.id == target.id)
    rows = sub_regions(registry, store, target, "620000", TODAY)
    page = region_page(registry, "620000", [own], [(own, rows)], "zh")
    labels = str(page.to_plotly_json())
    assert "兰州市 ◆" not in labels and "嘉峪关市 ◆" in labels


def test_a_pack_is_named_for_its_page(registry, sqlite_url):
    from dashboard.app import create_app
    from dashboard.downloads import pack_name

    names = set()
    app = create_app(registry=registry, store=Store.open(sqlite_url))
    with app.server.app_context():
        for args in ({}, {"region": "620000"}, {"region": "620100"}):
            names.add(pack_name(args, dt.date(2026, 12, 3)))
    assert names == {
        "qtm-report-pack-overview-2026-12-03.zip",
        "qtm-report-pack-620000-Gansu-2026-12-03.zip",
        "qtm-report-pack-620100-Lanzhou-2026-12-03.zip",
    }


def test_the_cancel_button_shows_only_while_a_pack_is_drawn(page, demo_server):
    page.goto(f"{demo_server}/region/620100")
    page.wait_for_selector("#pack-link")
    assert page.is_visible("#pack-link") and not page.is_visible("#pack-cancel")


def test_a_live_refresh_of_a_region_page_raises_no_console_error(page, tmp_path: Path):
    settings = prepared(tmp_path, {"QTM_LIVE_SECONDS": "1"})
    upload = tmp_path / "return.csv"
    upload.write_text(
        "indicator,region,period,value,unit\n制造业产品质量合格率,兰州市,2025,95.55,%\n", encoding="utf-8"
    )
    with served(tmp_path, settings) as server:
        page.goto(f"{server}/region/620100")
        page.wait_for_selector("#own-targets")
        page.wait_for_timeout(1500)
        assert run_qtm("ingest", str(upload), env=settings).returncode == 0
        page.get_by_text("95.55", exact=False).first.wait_for(timeout=30000)
        page.wait_for_timeout(1500)  # the page fixture fails on any console error
        page.goto("about:blank")  # leave before the server stops: its polls would fail


def test_region_bars_leave_room_for_their_labels_and_the_target_label_sits_above_them(registry):
    from reports.figures import ranked_regions_figure, ranked_regions_json

    indicator = registry.indicators["manufacturing_pass_rate"]
    rows = [("平凉市", 94.6, "2025", "reference"), ("金昌市", 92.33, "2025", "reference")]
    figure = ranked_regions_figure(indicator, 94.0, rows, "zh", labels_outside=True)
    bars, axis = figure.data[0], figure.layout.xaxis
    assert bars.textposition == "outside" and bars.cliponaxis is False
    low, high = axis.range
    assert high - 94.6 >= 0.4 * (high - low)  # the longest bar's label fits right of it
    assert max(axis.tickvals) <= 100  # no "102 %" on a rate's axis
    (label,) = figure.layout.annotations
    assert label.yanchor == "bottom" and label.yref == "y domain" and label.y == 1  # above the bars
    page = ranked_regions_json(indicator, 94.0, rows, "zh")  # what the region page draws
    assert page["data"][0]["textposition"] == "outside"


def test_an_empty_bullet_draws_no_invented_0_to_1_axis(registry):
    from qtm.progress import judge
    from reports.figures import gauge_figure

    target = registry.targets["national_public_service_satisfaction_2025"]
    indicator = registry.indicators[target.indicator]
    result = judge(target, indicator, "620100", [], TODAY)
    axis = gauge_figure(target, indicator, result, "zh").data[0].gauge.axis
    assert axis.visible is False


def test_the_png_of_a_one_region_comparison_is_served_and_packed(registry, sqlite_url):
    from dashboard.app import create_app
    from dashboard.downloads import pack_of

    store = _store_with(
        sqlite_url,
        [
            Observation("public_service_quality_satisfaction", "620100", Period.parse(p), v)
            for p, v in (("2022", 80.1), ("2025", 81.4))
        ],
    )
    app = create_app(registry, store)
    client = app.server.test_client()
    answer = client.get(
        "/export/chart.png?target=gansu_public_service_satisfaction_2025&region=620000&kind=regions"
    )
    assert answer.status_code == 200 and answer.mimetype == "image/png"
    with app.server.test_request_context():
        _name, pack = pack_of({"region": "620000", "as_of": "2026-11-23"}, "zh")
    import io
    import zipfile

    names = zipfile.ZipFile(io.BytesIO(pack)).namelist()
    assert any("gansu_public_service_satisfaction_2025" in n and "regions" in n for n in names), names


def test_a_chart_that_is_not_there_says_so_in_chinese_first(registry, sqlite_url):
    from dashboard.app import create_app

    client = create_app(registry, Store.open(sqlite_url)).server.test_client()
    answer = client.get("/export/chart.png?target=no_such_target&region=620000&kind=regions")
    text = answer.get_data(as_text=True)
    assert answer.status_code == 404 and text.startswith("没有这张图") and "Not Found" not in text


def test_an_empty_trend_shows_its_target_line_on_a_scale_that_holds_it(registry):
    from qtm.progress import judge
    from reports.figures import trend_figure

    target = registry.targets["gansu_manufacturing_pass_rate_2025"]  # ≥ 94 %
    indicator = registry.indicators[target.indicator]
    result = judge(target, indicator, "620000", [], TODAY)
    layout = trend_figure(target, indicator, [], result, "甘肃省", lang="zh").layout
    low, high = layout.yaxis.range
    (line,) = [s for s in layout.shapes if s.y0 == s.y1]  # the target's horizontal line
    assert layout.yaxis.autorange is False and low <= line.y0 <= high
    assert any(s.x0 == s.x1 for s in layout.shapes)  # the deadline


def test_two_plans_setting_one_indicator_for_the_region_share_one_card_naming_both(registry, sqlite_url):
    store = _store_with(
        sqlite_url, [Observation("manufacturing_pass_rate", "620100", Period.parse("2025"), 94.26)]
    )
    page = region_page(registry, "620100", in_region(registry, store, "620100", TODAY), [], "zh")
    cards = _find(page, "reference-cards").children
    assert len(cards) == 1  # the national and Gansu manufacturing pass-rate targets: one card
    text = _text(cards[0])
    assert "质量强国建设纲要" in text and "甘肃省深入开展产品、工程和服务质量提升行动实施方案" in text
