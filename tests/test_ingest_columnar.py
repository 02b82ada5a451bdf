"""The columnar checker and the bulk store, on returns that reach their less common paths: more rows than one
insert statement holds, repeats across columns and sheets, warnings placed at the cells of several columns.

These guard the rewrite of the checks as passes over whole columns (issue #18, "reaching the reader's limit"): the
same values, problems and cells as before, however the work is split."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from loaders.ingest import ingest_file
from qtm.store import Store

HEADER = ["指标名称", "地区", "年份", "数值", "计量单位"]


def _regions(registry, count: int) -> list[str]:
    """``count`` regions, by their names (64 at most: the regions file's provinces, prefectures and districts)."""
    names = [r.name_zh for r in registry.regions if r.level != "country"]
    assert len(set(names)) == len(names) >= count
    return names[:count]


def test_a_return_of_more_rows_than_one_statement_holds_is_stored_whole(tmp_path: Path, registry, store):
    """1 234 values: two full statements of many rows and a shorter last one; every value stored as written."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    regions = _regions(registry, 62)
    expected = {}
    for number in range(1234):
        region, year = regions[number % 62], 2005 + number // 62
        value = 90 + (number % 97) / 10
        sheet.append(["制造业产品质量合格率", region, year, value, "%"])
        expected[(region, str(year))] = value
    path = tmp_path / "many.xlsx"
    workbook.save(path)
    result = ingest_file(path, registry, store, uploaded_by="t")
    assert result.status == "committed", result.report.as_json()[:3]
    names = {r.code: r.name_zh for r in registry.regions}
    stored = {(names[o.region], str(o.period)): o.value for o in store.current()}
    assert stored == expected
    assert store.batches()[-1].n_observations == 1234


def test_repeats_are_named_by_their_first_cell_in_the_same_column_and_on_another_sheet(
    tmp_path: Path, registry, sqlite_url
):
    workbook = Workbook()
    first = workbook.active
    first.title = "表1"
    first.append(HEADER)
    regions = _regions(registry, 40)
    for number, region in enumerate(regions):
        first.append(["制造业产品质量合格率", region, 2023, 90 + number / 10, "%"])
    first.append(["制造业产品质量合格率", regions[2], 2023, 90.2, "%"])  # row 42: the same as row 4
    second = workbook.create_sheet("表2")
    second.append(HEADER)
    second.append(["制造业产品质量合格率", regions[5], 2023, 99.9, "%"])  # differs from 表1!D7
    path = tmp_path / "repeats.xlsx"
    workbook.save(path)
    result = ingest_file(path, registry, Store.open(sqlite_url), uploaded_by="t")
    found = [(i.severity, i.code, i.sheet, i.cell) for i in result.report.issues]
    assert found == [
        ("warning", "duplicate_row", "表1", "D42"),
        ("error", "conflicting_duplicate", "表2", "D2"),
    ]
    assert "D4" in result.report.issues[0].message
    assert "表1!D7" in result.report.issues[1].message and "99.9" in result.report.issues[1].message


def test_a_jump_is_warned_at_the_later_value_of_a_wide_table(tmp_path: Path, registry, sqlite_url):
    """Periods across: each period is a column of its own; the warning names the cell of the later value."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["地区", "2022年", "2023年", "2024年"])
    regions = _regions(registry, 3)
    sheet.append([regions[0], 90.0, 91.0, 60.0])  # 2023 → 2024 jumps: D2
    sheet.append([regions[1], 60.0, 91.0, 92.0])  # 2022 → 2023 jumps: C3
    sheet.append([regions[2], 90.0, 90.5, 91.0])
    sheet.insert_rows(1)
    sheet["A1"] = "制造业产品质量合格率（%）"
    path = tmp_path / "wide.xlsx"
    workbook.save(path)
    result = ingest_file(path, registry, Store.open(sqlite_url), uploaded_by="t")
    assert result.status == "committed", result.report.as_json()
    jumps = sorted(i.cell for i in result.report.issues if i.code == "implausible_jump")
    assert jumps == ["C4", "D3"]
