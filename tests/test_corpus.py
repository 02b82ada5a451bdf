"""The return corpus: real files, clean, messy, broken and hostile, each with what a careful reader must make of it.

The files and their expectations are written by tests/corpus/make_corpus.py.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import pytest

from loaders.ingest import ingest_file
from qtm.store import Store

CORPUS = Path(__file__).parent / "corpus"
EXPECTED = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))
TODAY = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def empty_store(tmp_path_factory):
    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('corpus') / 'qtm.sqlite'}")
    yield store
    store.engine.dispose()


def test_the_corpus_is_large_and_varied():
    statuses = [e["status"] for e in EXPECTED.values()]
    assert len(EXPECTED) >= 30
    assert {"accepted", "rejected", "unreadable"} == set(statuses)
    suffixes = {Path(name).suffix for name in EXPECTED}
    assert {".xlsx", ".xls", ".xlsm", ".csv"} <= suffixes


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file(name, registry, empty_store):
    expected = EXPECTED[name]
    started = time.monotonic()
    result = ingest_file(
        CORPUS / "files" / name, registry, empty_store, uploaded_by="t", dry_run=True, today=TODAY
    )
    elapsed = time.monotonic() - started
    issues = sorted(([i.severity, i.code, i.sheet, i.cell] for i in result.report.issues), key=str)
    assert issues == expected["issues"], [i.describe(name) for i in result.report.issues]
    if expected["status"] == "accepted":
        assert result.status == "would-commit"
        observations = sorted([o.indicator, o.region, str(o.period), o.value] for o in result.observations)
        assert [o[:3] for o in observations] == [e[:3] for e in expected["observations"]]
        for got, want in zip(observations, expected["observations"], strict=True):
            assert got[3] == pytest.approx(want[3], abs=1e-9), got
    else:
        assert result.status == expected["status"].replace("unreadable", "unreadable")
        assert result.observations == [] or expected["status"] == "rejected"
    assert elapsed < 10, "refused or read within seconds"  # a hang or a bomb would blow far past this


def test_every_issue_names_file_sheet_and_cell_in_both_languages(registry, empty_store):
    result = ingest_file(
        CORPUS / "files" / "bad_ranges.xlsx", registry, empty_store, uploaded_by="t", today=TODAY
    )
    (first, *_rest) = result.report.issues
    assert first.describe("bad_ranges.xlsx").startswith(
        "bad_ranges.xlsx[Sheet1]!D2: error rate_out_of_range:"
    )
    assert "超出" in first.message and "outside" in first.message


def test_a_rejected_file_stores_nothing(registry, sqlite_url):
    store = Store.open(sqlite_url)
    result = ingest_file(
        CORPUS / "files" / "bad_unknown_names.xlsx", registry, store, uploaded_by="t", today=TODAY
    )
    assert result.status == "rejected"
    assert store.current() == [] and store.batches() == []


# ---- layouts written fresh here, beyond the corpus ----------------------------------------------------------------


def _workbook(tmp_path: Path, rows: list[list[object]], merges: tuple[str, ...] = ()) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    for merge in merges:
        sheet.merge_cells(merge)
    path = tmp_path / "return.xlsx"
    workbook.save(path)
    return path


def _read(path: Path, registry, store) -> dict[tuple[str, str, str], float]:
    result = ingest_file(path, registry, store, uploaded_by="t", dry_run=True, today=TODAY)
    assert result.report.ok, [i.describe(path.name) for i in result.report.issues]
    return {(o.indicator, o.region, str(o.period)): o.value for o in result.observations}


def test_unit_written_inside_the_indicator_name(tmp_path, registry, empty_store):
    path = _workbook(
        tmp_path, [["指标", "地区", "年份", "数值"], ["拖拉机平均故障间隔时间（天）", "全国", 2024, 10]]
    )
    assert _read(path, registry, empty_store) == {("tractor_mtbf", "100000", "2024"): 240}


def test_indicator_merged_down_over_its_regions(tmp_path, registry, empty_store):
    path = _workbook(
        tmp_path,
        [["指标", "地区", "2024年"], ["制造业产品质量合格率", "兰州市", 93.1], [None, "天水市", 92.4]],
        merges=("A2:A3",),
    )
    assert _read(path, registry, empty_store) == {
        ("manufacturing_pass_rate", "620100", "2024"): 93.1,
        ("manufacturing_pass_rate", "620500", "2024"): 92.4,
    }


def test_periods_down_and_regions_across(tmp_path, registry, empty_store):
    path = _workbook(
        tmp_path,
        [
            ["指标：主要农产品例行监测合格率"],
            ["年份", "兰州市", "天水市"],
            ["2023年", 97.5, 97.1],
            ["2024年", 97.9, 97.4],
        ],
    )
    assert _read(path, registry, empty_store) == {
        ("farm_product_monitoring_pass_rate", "620100", "2023"): 97.5,
        ("farm_product_monitoring_pass_rate", "620500", "2023"): 97.1,
        ("farm_product_monitoring_pass_rate", "620100", "2024"): 97.9,
        ("farm_product_monitoring_pass_rate", "620500", "2024"): 97.4,
    }


def test_code_and_name_columns_and_a_hierarchy_prefix(tmp_path, registry, empty_store):
    path = _workbook(
        tmp_path,
        [
            ["序号", "区划代码", "地区名称", "指标名称", "统计期", "本期"],
            [1, "620100", "兰州市", "（一）制造业产品质量合格率", "2024年度", "93.1 "],
            [2, "620200", "嘉峪关市", "1、制造业产品质量合格率", "2024", "93.5"],
        ],
    )
    assert _read(path, registry, empty_store) == {
        ("manufacturing_pass_rate", "620100", "2024"): 93.1,
        ("manufacturing_pass_rate", "620200", "2024"): 93.5,
    }


def test_a_tab_separated_csv(tmp_path, registry, empty_store):
    path = tmp_path / "export.csv"
    path.write_text("指标名称\t地区\t年份\t数值\n制造业产品质量合格率\t甘肃\t2024\t93.4\n", encoding="utf-8")
    assert _read(path, registry, empty_store) == {("manufacturing_pass_rate", "620000", "2024"): 93.4}


def test_quarters_across_under_a_title_that_states_the_year(tmp_path, registry, empty_store):
    path = _workbook(
        tmp_path,
        [
            ["2024年各季度主要农产品例行监测合格率"],
            ["地区", "一季度", "二季度", "三季度", "四季度"],
            ["甘肃省", 97.1, 97.3, 97.6, 97.8],
        ],
    )
    got = _read(path, registry, empty_store)
    assert got == {
        ("farm_product_monitoring_pass_rate", "620000", f"2024Q{q}"): v
        for q, v in zip(range(1, 5), (97.1, 97.3, 97.6, 97.8), strict=True)
    }


def test_a_row_of_units_under_the_header_and_counts_written_with_their_unit(tmp_path, registry, empty_store):
    path = _workbook(
        tmp_path,
        [
            ["时间：2024年"],
            ["地区", "市级智能工厂数量", "拖拉机平均故障间隔时间"],
            [None, "家", "天"],
            ["上海市", "120家", 10],
        ],
    )
    assert _read(path, registry, empty_store) == {
        ("municipal_smart_factories", "310000", "2024"): 120,
        ("tractor_mtbf", "310000", "2024"): 240,
    }


def test_a_region_with_a_note_in_brackets_and_an_average_row(tmp_path, registry, empty_store):
    path = _workbook(
        tmp_path,
        [
            ["2024年制造业产品质量合格率（单位：%）"],
            ["地区", "合格率"],
            ["兰州市（含兰州新区）", 93.1],
            ["嘉峪关市", 94.0],
            ["全省平均", 93.4],
        ],
    )
    assert _read(path, registry, empty_store) == {
        ("manufacturing_pass_rate", "620100", "2024"): 93.1,
        ("manufacturing_pass_rate", "620200", "2024"): 94.0,
        ("manufacturing_pass_rate", "620000", "2024"): 93.4,
    }


def test_the_reporting_office_names_the_area(tmp_path, registry, empty_store):
    path = _workbook(
        tmp_path,
        [
            ["填报单位：甘肃省市场监督管理局"],
            ["指标名称", "统计期", "数值"],
            ["制造业产品质量合格率", 2024, 93.4],
        ],
    )
    assert _read(path, registry, empty_store) == {("manufacturing_pass_rate", "620000", "2024"): 93.4}


def test_comparison_columns_beside_a_value_are_not_values(tmp_path, registry, empty_store):
    path = _workbook(
        tmp_path,
        [
            ["地区：甘肃省", None, None, None],
            ["指标", "2024年", "上年同期", "增长速度(%)"],
            ["制造业产品质量合格率", 93.4, 93.1, 0.3],
            ["市级智能工厂数量", "12*", 10, "20.0"],
        ],
    )
    assert _read(path, registry, empty_store) == {
        ("manufacturing_pass_rate", "620000", "2024"): 93.4,
        ("municipal_smart_factories", "620000", "2024"): 12,
    }


def test_a_table_with_nothing_the_registry_tracks_says_so(tmp_path, registry, empty_store):
    path = _workbook(tmp_path, [["项目", "编号", "实际评级里程（公里）"], ["国道312线", 1, 120.5]])
    result = ingest_file(path, registry, empty_store, uploaded_by="t", dry_run=True, today=TODAY)
    assert [i.code for i in result.report.issues] == ["no_values"] and result.status == "rejected"


def test_month_spans_that_make_a_year_or_a_quarter(tmp_path, registry, empty_store):
    path = _workbook(
        tmp_path,
        [["2024年1-12月全省质量指标"], ["地区：甘肃省"], ["指标", "数值"], ["制造业产品质量合格率", 93.4]],
    )
    assert _read(path, registry, empty_store) == {("manufacturing_pass_rate", "620000", "2024"): 93.4}
    path = _workbook(
        tmp_path,
        [["指标名称", "地区", "统计期", "数值"], ["主要农产品例行监测合格率", "甘肃", "2024年4-6月", 97.6]],
    )
    assert _read(path, registry, empty_store) == {
        ("farm_product_monitoring_pass_rate", "620000", "2024Q2"): 97.6
    }


def test_a_fraction_typed_under_a_percent_unit_is_questioned(tmp_path, registry, empty_store):
    path = _workbook(
        tmp_path,
        [["指标名称", "地区", "统计期", "数值", "单位"], ["制造业产品质量合格率", "甘肃", 2024, 0.934, "%"]],
    )
    result = ingest_file(path, registry, empty_store, uploaded_by="t", dry_run=True, today=TODAY)
    assert [(i.severity, i.code, i.cell) for i in result.report.issues] == [
        ("warning", "rate_looks_like_fraction", "D2")
    ]
    assert "93.4 %" in result.report.issues[0].message


def test_a_functional_zone_beside_the_prefectures_is_skipped_with_a_warning(tmp_path, registry, empty_store):
    path = _workbook(
        tmp_path,
        [
            ["2024年各市州制造业产品质量合格率（%）"],
            ["市州", "合格率"],
            ["兰州市", 93.1],
            ["兰州新区", 94.2],
            ["天水市", 92.7],
        ],
    )
    result = ingest_file(path, registry, empty_store, uploaded_by="t", dry_run=True, today=TODAY)
    assert [(i.severity, i.code, i.cell) for i in result.report.issues] == [
        ("warning", "untracked_region", "A4")
    ]
    assert {o.region for o in result.observations} == {"620100", "620500"}


def test_a_mistyped_district_is_an_error_not_a_zone(tmp_path, registry, empty_store):
    path = _workbook(tmp_path, [["统计期：2024年"], ["区", "市级智能工厂数量"], ["浦冬新区", 41]])
    result = ingest_file(path, registry, empty_store, uploaded_by="t", dry_run=True, today=TODAY)
    assert [(i.severity, i.code) for i in result.report.issues] == [("error", "unknown_region")]
    assert "浦东新区" in result.report.issues[0].message
