"""Returns written as officials write them (issue #10): group headings over periods, indicator names split between
title and headings, columns and rows of context, 上年实际, templates filled in part, files of other types."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from loaders.ingest import ingest_file
from tests.conftest import run_qtm

TODAY = dt.date(2026, 6, 30)


@pytest.fixture(autouse=True)
def originals(tmp_path, monkeypatch):
    monkeypatch.setenv("QTM_ORIGINALS_DIR", str(tmp_path / "originals"))


def _workbook(path: Path, rows: list[list[object]], merges: tuple[str, ...] = ()) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "表1"
    for row in rows:
        sheet.append(row)
    for merge in merges:
        sheet.merge_cells(merge)
    workbook.save(path)
    return path


def _form(path: Path, this_year: float, last_year: float) -> Path:
    return _workbook(
        path,
        [
            ["质量发展基本情况"],
            ["综合机关名称：620100兰州市", None, "2024年"],
            ["指标名称", "计量单位", "本年实际", "上年实际"],
            ["制造业产品质量合格率", "%", this_year, last_year],
        ],
    )


def _values(store) -> dict[tuple[str, str, str], float]:
    return {(o.indicator, o.region, str(o.period)): o.value for o in store.current()}


def test_previous_year_is_stored_where_the_store_has_none(tmp_path, registry, store):
    result = ingest_file(
        _form(tmp_path / "a.xlsx", 93.8, 93.2), registry, store, uploaded_by="t", today=TODAY
    )
    assert result.status == "committed", result.report.as_json()
    assert _values(store) == {
        ("manufacturing_pass_rate", "620100", "2024"): 93.8,
        ("manufacturing_pass_rate", "620100", "2023"): 93.2,
    }


def test_previous_year_that_differs_from_the_store_is_not_stored_and_warned(tmp_path, registry, store):
    ingest_file(_form(tmp_path / "a.xlsx", 93.8, 93.2), registry, store, uploaded_by="t", today=TODAY)
    result = ingest_file(
        _form(tmp_path / "b.xlsx", 94.0, 92.5), registry, store, uploaded_by="t", today=TODAY
    )
    assert result.status == "committed", result.report.as_json()
    (warning,) = [i for i in result.report.issues if i.code == "previous_year_differs"]
    assert warning.severity == "warning" and warning.cell == "D4"
    assert "92.5" in warning.message and "93.2" in warning.message
    assert _values(store) == {
        ("manufacturing_pass_rate", "620100", "2024"): 94.0,
        ("manufacturing_pass_rate", "620100", "2023"): 93.2,
    }


def test_previous_year_equal_to_the_store_is_quiet(tmp_path, registry, store):
    ingest_file(_form(tmp_path / "a.xlsx", 93.8, 93.2), registry, store, uploaded_by="t", today=TODAY)
    result = ingest_file(
        _form(tmp_path / "b.xlsx", 94.0, 93.2), registry, store, uploaded_by="t", today=TODAY
    )
    assert result.status == "committed"
    assert [i.code for i in result.report.issues] == []


def test_a_template_filled_in_part_says_so_in_one_line(tmp_path, registry, store):
    rows: list[list[object]] = [["指标名称", "地区", "统计期", "数值", "计量单位"]]
    rows += [["制造业产品质量合格率", "兰州市", 2000 + year, None, "%"] for year in range(0, 24)]
    rows.append(["制造业产品质量合格率", "兰州市", 2024, 93.5, "%"])
    path = _workbook(tmp_path / "t.xlsx", rows)
    result = ingest_file(path, registry, store, uploaded_by="t", dry_run=True, today=TODAY)
    assert result.status == "would-commit"
    (issue,) = result.report.issues
    assert issue.code == "rows_left_blank" and issue.cell == "D2"
    assert "24 行未填" in issue.message and "24 rows left blank" in issue.message


def test_a_few_blank_values_are_still_named_one_by_one(tmp_path, registry, store):
    path = _workbook(
        tmp_path / "t.xlsx",
        [
            ["指标名称", "地区", "统计期", "数值"],
            ["制造业产品质量合格率", "兰州市", 2023, None],
            ["制造业产品质量合格率", "兰州市", 2024, 93.5],
        ],
    )
    result = ingest_file(path, registry, store, uploaded_by="t", dry_run=True, today=TODAY)
    assert [(i.code, i.cell) for i in result.report.issues] == [("missing_value", "D2")]


def test_a_composed_name_matching_no_single_indicator_is_not_guessed(tmp_path, registry, store):
    # "合格率" under a title naming no measured thing: nothing composes, the value has no indicator
    path = _workbook(
        tmp_path / "x.xlsx", [["2024年甘肃省各市州抽查情况"], ["市州", "合格率(%)"], ["兰州市", 93.0]]
    )
    result = ingest_file(path, registry, store, uploaded_by="t", dry_run=True, today=TODAY)
    assert result.status == "rejected"
    assert [i.code for i in result.report.issues] == ["no_indicator"]


def test_a_title_measure_and_heading_objects(tmp_path, registry, store):
    path = _workbook(
        tmp_path / "h.xlsx",
        [
            ["甘肃省公路抽检指标总体合格率"],
            ["时间：2024年"],
            ["市州", "高速（含一级）公路", "干线公路"],
            ["平凉市", 98.2, 97.7],
        ],
    )
    result = ingest_file(path, registry, store, uploaded_by="t", dry_run=True, today=TODAY)
    assert result.status == "would-commit", result.report.as_json()
    assert {(o.indicator, o.value) for o in result.observations} == {
        ("expressway_spot_check_pass_rate", 98.2),
        ("trunk_road_spot_check_pass_rate", 97.7),
    }


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("notes.txt", "制造业产品质量合格率,甘肃,2024,93.4\n".encode()),
        ("report.docx", _docx()),
        ("report.pdf", b"%PDF-1.4\n%%EOF\n"),
        ("report", b"plain words\n"),
    ],
)
def test_other_file_types_are_refused_alike_with_the_types_read(tmp_path, sqlite_url, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    result = run_qtm("ingest", str(path), "--json", env={"QTM_DATABASE_URL": sqlite_url})
    assert result.returncode == 2, result.stderr
    (entry,) = json.loads(result.stdout)["files"]
    (issue,) = entry["issues"]
    assert issue["code"] == "unsupported_type"
    for suffix in (".xlsx", ".xlsm", ".xls", ".csv"):
        assert suffix in issue["message"]
