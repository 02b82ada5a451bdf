"""The fast paths of a long return's ingest (issue #18) still give the careful path's answer where it is needed.

- A column of values is read at once when the sheet holds no percent format or formula in it; one percent-formatted
  cell or one formula without a cached value among thousands of plain values is still read as the official sees it.
- A CSV line shorter than the others still has a missing value, named at its cell.
- The extent of a sheet (the guard that keeps a hostile file from making calamine allocate gigabytes) is measured a
  window of XML at a time, the usual window in one pass; a cell beyond the rows, a row far ahead, a far column or a
  cell that names no place, deep in a long sheet, still refuses the file before anything is allocated.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from loaders.ingest import ingest_file
from qtm.store import Store
from tests.test_hostile import ingest_limited, only_issue, write_workbook_xml

RATE = "制造业产品质量合格率"
COUNT = "市级智能工厂数量"


@pytest.fixture(autouse=True)
def originals(tmp_path, monkeypatch):
    """Originals of stored uploads go to the test's own folder (the environment reaches `qtm` subprocesses too)."""
    monkeypatch.setenv("QTM_ORIGINALS_DIR", str(tmp_path / "originals"))


def _regions(registry) -> list[str]:
    names = [r.name_zh for r in registry.regions if r.level != "country"]
    assert len(set(names)) == len(names) >= 60
    return names


def _many_counts(registry, rows: int) -> list[tuple[str, str, int]]:
    """``rows`` plain values (counts of factories): region, month and value, each region and month once."""
    regions = _regions(registry)
    return [
        (regions[n % len(regions)], f"{2010 + n // len(regions) // 12}年{n // len(regions) % 12 + 1}月", n)
        for n in range(rows)
    ]


def test_one_percent_cell_among_thousands_of_plain_values_is_read_as_it_shows(
    tmp_path: Path, registry, sqlite_url
):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["指标名称", "地区", "统计期", "数值"])
    for region, period, value in _many_counts(registry, 3000):
        sheet.append([COUNT, region, period, value])
    sheet.append([RATE, "甘肃省", "2023年", 0.978])  # row 3002, the only percent-formatted cell
    sheet["D3002"].number_format = "0.0%"
    path = tmp_path / "一个百分比.xlsx"
    workbook.save(path)
    result = ingest_file(path, registry, Store.open(sqlite_url), uploaded_by="t")
    assert result.status == "committed", result.report.as_json()[:3]
    rates = [o for o in result.observations if registry.indicators[o.indicator].name.zh == RATE]
    assert [(o.value, o.value_as_written, o.unit_as_written) for o in rates] == [
        (pytest.approx(97.8), "97.8%", "%")
    ]
    counts = [o for o in result.observations if o not in rates]
    assert len(counts) == 3000 and all(o.unit_as_written != "%" for o in counts)


def test_a_percent_cell_in_the_second_column_of_values_is_read_as_it_shows(
    tmp_path: Path, registry, sqlite_url
):
    """Two columns of values (2023年, 2024年): the format is looked up in the column it belongs to."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["指标名称", "地区", "2023年", "2024年"])
    regions = _regions(registry)
    for region in regions[:60]:
        sheet.append([RATE, region, 95.5, 96.5])
    sheet["D40"] = 0.978
    sheet["D40"].number_format = "0.0%"
    path = tmp_path / "两列.xlsx"
    workbook.save(path)
    result = ingest_file(path, registry, Store.open(sqlite_url), uploaded_by="t")
    assert result.status == "committed", result.report.as_json()[:3]
    shown = {(o.region, str(o.period)): (o.value, o.value_as_written) for o in result.observations}
    code = registry.regions.resolve(regions[38])
    assert code is not None
    assert shown[(code.code, "2024")] == (pytest.approx(97.8), "97.8%")
    assert shown[(code.code, "2023")] == (95.5, "95.5")
    assert sum(written.endswith("%") for _value, written in shown.values()) == 1


def test_one_formula_without_a_value_among_thousands_is_an_error_at_its_cell(
    tmp_path: Path, registry, sqlite_url
):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["指标名称", "地区", "统计期", "数值"])
    for region, period, value in _many_counts(registry, 3000):
        sheet.append([COUNT, region, period, value])
    sheet["D1500"] = "=D1499+1"  # openpyxl writes the formula without a cached value
    path = tmp_path / "一个公式.xlsx"
    workbook.save(path)
    store = Store.open(sqlite_url)
    result = ingest_file(path, registry, store, uploaded_by="t")
    assert result.status == "rejected"
    assert [(i.code, i.cell) for i in result.report.errors] == [("formula_without_value", "D1500")]
    assert store.current() == []


def test_a_csv_line_shorter_than_the_others_is_a_missing_value_at_its_cell(
    tmp_path: Path, registry, sqlite_url
):
    lines = ["指标名称,地区,统计期,数值,计量单位,备注"]
    lines += [
        f"{COUNT},{region},{period},{value},家,说明" for region, period, value in _many_counts(registry, 500)
    ]
    lines[200] = f"{COUNT},甘肃省,2024年"  # no value, unit or note: the value is blank
    path = tmp_path / "短行.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = ingest_file(path, registry, Store.open(sqlite_url), uploaded_by="t")
    assert result.status == "committed", result.report.as_json()[:3]
    assert len(result.observations) == 499
    assert all(o.region != "620000" or str(o.period) != "2024" for o in result.observations)
    assert [(i.code, i.severity, i.cell) for i in result.report.issues] == [
        ("missing_value", "warning", "D201")
    ]


# ---- the extent of a long sheet, measured a window at a time ----------------------------------------------------


def _long_sheet_rows(rows: int, hostile: str = "", at: int = 0) -> str:
    """``rows`` rows of four cells as Excel writes them (about 1.3 MB of XML per 5 000 rows: several windows of the
    measure), with ``hostile`` XML inside row ``at`` (after its cells)."""
    text = "<is><t>{}</t></is>"
    parts = []
    for r in range(1, rows + 1):
        cells = (
            f'<c r="A{r}" t="inlineStr">{text.format("市级智能工厂数量")}</c>'
            f'<c r="B{r}" t="inlineStr">{text.format("甘肃省兰州市城关区质量监测点")}</c>'
            f'<c r="C{r}" t="inlineStr">{text.format("2024年第一季度统计数据（初步）")}</c>'
            f'<c r="D{r}"><v>{r}</v></c>'
        )
        parts.append(f'<row r="{r}">{cells}{hostile if r == at else ""}</row>')
    return "".join(parts)


#: Deep in a long sheet (row 12 000 of 15 000, in the third window of XML), each way a cell can lie far out.
HOSTILE = {
    "a cell far beyond its row": '<c r="XFD1048576"><v>1</v></c>',
    "a cell in a far column of its own row": '<c r="XFD12000"><v>1</v></c>',
    "a far cell with its attributes in another order": '<c s="0" r="XFD12000"><v>1</v></c>',
    "a row far ahead": '</row><row r="1048000"><c r="BZ1048000"><v>1</v></c>',
}


@pytest.mark.parametrize("shape", sorted(HOSTILE))
def test_a_far_cell_deep_in_a_long_sheet_is_still_refused_before_it_is_allocated(shape, tmp_path, sqlite_url):
    path = write_workbook_xml(tmp_path / "长表.xlsx", [_long_sheet_rows(15_000, HOSTILE[shape], at=12_000)])
    result, _seconds = ingest_limited(path, {"QTM_DATABASE_URL": sqlite_url})
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])  # refused, not killed
    assert only_issue(result)["code"] == "sheet_too_large"
    assert "Traceback" not in result.stderr


def test_a_long_sheet_of_usual_rows_is_measured_exactly(tmp_path, sqlite_url, monkeypatch):
    """15 000 rows × 4 columns is 60 000 cells: a budget of exactly that reads the file (it is then found to hold no
    table of the registry's names); one cell less refuses it — the measure is neither short nor long."""
    path = write_workbook_xml(tmp_path / "长表.xlsx", [_long_sheet_rows(15_000)])
    monkeypatch.setenv("QTM_MAX_CELLS", "60000")
    result, _seconds = ingest_limited(path, {"QTM_DATABASE_URL": sqlite_url})
    assert only_issue(result)["code"] == "no_table", result.stdout[-2000:]
    monkeypatch.setenv("QTM_MAX_CELLS", "59999")
    result, _seconds = ingest_limited(path, {"QTM_DATABASE_URL": sqlite_url})
    assert result.returncode == 2 and only_issue(result)["code"] == "too_many_cells"
