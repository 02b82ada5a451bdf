"""Layouts nobody described (issue 18), read by rules: several groups over the same sub-headings, scale words in
units, several tables on one sheet, reporting offices for regions in old files, grouped headings completed by the
title, and tables found by their content — or refused saying which part could not be told, and where.

The corpus files of these classes are written by tests/corpus/make_corpus_round3.py; here they are stored for real.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from openpyxl import Workbook

from loaders.ingest import ingest_file
from loaders.labels import Classifier
from qtm.store import Store
from qtm.units import convert

CORPUS = Path(__file__).parent / "corpus"
EXPECTED = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))
TODAY = dt.date(2026, 6, 30)
#: The corpus files of this issue, by class (tests/corpus/make_corpus_round3.py).
CLASSES = ("groups", "scale_", "tables_", "bureau_", "title_groups_", "found_by_", "unclear_")
ROUND3 = sorted(name for name in EXPECTED if name.startswith(CLASSES))


def _workbook(path: Path, rows: list[list[object]], merges: tuple[str, ...] = ()) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "表1"
    for row in rows:
        sheet.append(row)
    for cells in merges:
        sheet.merge_cells(cells)
    workbook.save(path)
    return path


@pytest.fixture
def sqlite_store(sqlite_url):
    opened = Store.open(sqlite_url)
    yield opened
    opened.engine.dispose()


def test_every_class_has_several_corpus_files():
    assert len(ROUND3) == 22
    for prefix in CLASSES[:5]:
        assert len([n for n in ROUND3 if n.startswith(prefix)]) >= 3, prefix
    assert {Path(n).suffix for n in ROUND3} == {".xlsx", ".xls", ".csv"}


@pytest.mark.parametrize("name", [n for n in ROUND3 if EXPECTED[n]["status"] == "accepted"])
def test_each_file_stores_exactly_its_values(name, registry, sqlite_store):
    result = ingest_file(CORPUS / "files" / name, registry, sqlite_store, uploaded_by="t", today=TODAY)
    assert result.status == "committed", [i.describe(name) for i in result.report.issues]
    stored = sorted([o.indicator, o.region, str(o.period), o.value] for o in sqlite_store.current())
    want = EXPECTED[name]["observations"]
    assert [s[:3] for s in stored] == [w[:3] for w in want]
    for got, expected in zip(stored, want, strict=True):
        assert got[3] == pytest.approx(expected[3], abs=1e-9), got


# ---- several groups over the same sub-headings ---------------------------------------------------------------------


def _groups(path: Path, groups: list[str]) -> Path:
    width = 1 + 2 * len(groups)
    heads: list[object] = ["地区"]
    subs: list[object] = [None]
    for group in groups:
        heads += [group, None]
        subs += ["抽检批次（批）", "合格率（%）"]
    merges = ["A3:A4", *(f"{chr(66 + 2 * i)}3:{chr(67 + 2 * i)}3" for i in range(len(groups)))]
    values: list[object] = ["兰州市"]
    for i in range(len(groups)):
        values += [1000 + i, 93.0 + i]
    rows = [["2024年甘肃省产品质量统计表"], ["填报单位：甘肃省市场监督管理局"], heads, subs, values]
    assert len(heads) == width
    return _workbook(path, rows, (f"A1:{chr(64 + width)}1", *merges))


def test_two_groups_over_the_same_sub_headings_read_as_one_does(tmp_path, registry, sqlite_store):
    want = {"farm_product_monitoring_pass_rate": 93.0, "manufacturing_pass_rate": 94.0}
    for groups in (["主要农产品例行监测"], ["主要农产品例行监测", "制造业产品质量监督抽查"]):
        path = _groups(tmp_path / f"groups{len(groups)}.xlsx", groups)
        result = ingest_file(path, registry, sqlite_store, uploaded_by="t", dry_run=True, today=TODAY)
        assert result.status == "would-commit", [i.describe(path.name) for i in result.report.issues]
        assert {(o.indicator, o.region, str(o.period), o.value) for o in result.observations} == {
            (indicator, "620100", "2024", value) for indicator, value in list(want.items())[: len(groups)]
        }
        (skipped,) = result.report.issues
        assert skipped.code == "context_columns_skipped" and "抽检批次" in skipped.message


def test_a_composed_name_that_is_no_indicator_is_reported_by_that_name(registry, sqlite_store):
    path = CORPUS / "files" / "groups_unregistered_name.xlsx"
    result = ingest_file(path, registry, sqlite_store, uploaded_by="t", dry_run=True, today=TODAY)
    codes = [i.code for i in result.report.issues]
    assert "no_indicator" not in codes
    (unknown,) = [i for i in result.report.issues if i.code == "unknown_indicator"]
    assert "工业产品监督抽查合格率" in unknown.message and unknown.cell == "D3"


# ---- scale words in units --------------------------------------------------------------------------------------------


def test_scale_words_are_multiplied_out_and_kept_as_written(registry, sqlite_store):
    result = ingest_file(
        CORPUS / "files" / "scale_in_cells.xlsx", registry, sqlite_store, uploaded_by="t", today=TODAY
    )
    written = {
        (o.indicator, o.region): (o.value, o.value_as_written, o.unit_as_written) for o in result.observations
    }
    assert written[("specialised_sme_count", "310000")] == (9000, "0.9万家", "万家")
    assert written[("ip_information_service_points", "310000")] == (2400, "2.4 千个", "千个")
    assert written[("specialised_sme_count", "620000")] == (1200, "0.12", "万家")
    (history,) = [
        o for o in sqlite_store.current() if o.region == "310000" and o.indicator.startswith("spec")
    ]
    assert (history.value, history.value_as_written, history.unit_as_written) == (9000, "0.9万家", "万家")


def _text(component: object) -> str:
    """All the text a Dash component shows."""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return "".join(_text(c) for c in component)
    return _text(getattr(component, "children", None) or "")


def test_the_upload_preview_shows_the_scale_as_written(registry, sqlite_store):
    from dashboard.views.upload import _observations_table

    result = ingest_file(
        CORPUS / "files" / "scale_in_cells.xlsx",
        registry,
        sqlite_store,
        uploaded_by="t",
        dry_run=True,
        today=TODAY,
    )
    shown = _text(_observations_table(registry, result, "zh", {}))  # nothing stored yet
    assert "（原文 0.9万家）" in shown and "（原文 2.4 千个）" in shown and "（原文 0.12 万家）" in shown
    assert "原文 36个" not in shown  # no scale word: nothing to explain


def test_scale_in_a_unit_line_and_in_a_header(registry, sqlite_store):
    for name in ("scale_unit_line.xlsx", "scale_in_header.xlsx"):
        result = ingest_file(CORPUS / "files" / name, registry, sqlite_store, uploaded_by="t", dry_run=True)
        sme = next(
            o for o in result.observations if o.region == "620000" and o.indicator == "specialised_sme_count"
        )
        assert (sme.value, sme.unit_as_written) == (1200, "万家"), name


def test_scale_words_in_units():
    assert convert(0.9, "万家", "count") == pytest.approx(9000)
    assert convert(3.2, "亿元", "元") == pytest.approx(320_000_000)
    assert convert(1.5, "万人", "count") == pytest.approx(15_000)
    assert convert(12, "千", "count") == pytest.approx(12_000)


# ---- several tables on one sheet -------------------------------------------------------------------------------------


def test_a_table_below_never_takes_the_title_of_the_table_above(tmp_path, registry, sqlite_store):
    path = _workbook(
        tmp_path / "t.xlsx",
        [
            ["2023年甘肃省各市州制造业产品质量合格率"],
            ["市州", "合格率(%)"],
            ["兰州市", 92.5],
            [],
            ["各市州主要农产品例行监测合格率"],  # no period: the 2023 above is not this table's
            ["市州", "合格率(%)"],
            ["兰州市", 97.9],
        ],
    )
    result = ingest_file(path, registry, sqlite_store, uploaded_by="t", dry_run=True, today=TODAY)
    assert [(i.code, i.cell) for i in result.report.issues] == [("no_period", "A6:B7")]
    assert "统计期" in result.report.issues[0].message and "period" in result.report.issues[0].message


def test_tables_side_by_side_each_with_its_own_title_and_the_sheet_s_reporter(
    tmp_path, registry, sqlite_store
):
    path = _workbook(
        tmp_path / "t.xlsx",
        [
            ["填报单位：甘肃省市场监督管理局"],
            ["2023年各市州制造业产品质量合格率", None, None, "2024年各市州制造业产品质量合格率"],
            ["市州", "合格率(%)", None, "市州", "合格率(%)"],
            ["兰州市", 92.5, None, "兰州市", 93.1],
            ["全省", 92.2, None, "全省", 93.0],
        ],
    )
    result = ingest_file(path, registry, sqlite_store, uploaded_by="t", dry_run=True, today=TODAY)
    assert result.report.issues == []
    assert {(o.region, str(o.period), o.value) for o in result.observations} == {
        ("620100", "2023", 92.5),
        ("620000", "2023", 92.2),
        ("620100", "2024", 93.1),
        ("620000", "2024", 93.0),
    }


# ---- reporting offices ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "code"),
    [("兰州市市场监督管理局", "620100"), ("天水市市场监管局", "620500"), ("甘肃省市场监管局", "620000")],
)
def test_a_reporting_office_names_its_area(registry, written, code):
    region = Classifier(registry).region(written)
    assert region is not None and region.code == code


def test_an_office_of_a_functional_zone_is_no_division(registry):
    assert Classifier(registry).region("兰州新区市场监管局") is None
