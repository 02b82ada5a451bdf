"""Fill-in returns: an .xlsx with a row per indicator × region × period that :mod:`loaders.ingest` reads back
exactly, with dropdowns for indicators, regions, units and flags, and instructions in Chinese.

No text cell is ever a formula: a name from the registry or the regions file that starts as a formula would (= + - @,
a tab or a carriage return) is written as text with Excel's quote prefix — what a leading apostrophe typed in Excel
does — so that opening the template runs nothing, while the text stays exactly as written and reads back the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from qtm.escaping import FORMULA_STARTS
from qtm.periods import Period
from qtm.registry import Indicator, Registry, Target

DATA_SHEET = "填报"
LISTS_SHEET = "_lists"
HEADER = ["指标名称", "地区", "统计期", "数值", "计量单位", "标记", "数据来源", "备注"]
#: The unit officials write for each registry unit, and the other words the dropdown offers.
UNIT_WORDS = {"percent": "%", "hour": "小时", "count": "家", "dimensionless": ""}
UNIT_CHOICES = ["%", "小时", "天", "分钟", "家", "个", "项"]
FLAG_CHOICES = ["初步", "估计", "修订"]
INSTRUCTIONS = [
    "填表说明 / Instructions",
    "",
    "1. 请在“填报”工作表的“数值”列填写数据，每行一个指标、一个地区、一个统计期。",
    "   Fill in the 数值 (value) column of the 填报 sheet: one indicator, region and period per row.",
    "2. 指标名称、地区、计量单位请从下拉列表中选择，不要改动表头。",
    "   Choose indicator, region and unit from the dropdowns; do not change the header row.",
    "3. 统计期填写 2024（年度）、2024年第一季度 或 2024年5月。",
    "   Periods: 2024 (a year), 2024年第一季度 (a quarter) or 2024年5月 (a month).",
    "4. 比率按百分数填写，如 97.8 并选择单位“%”；无数据请留空或填“—”。",
    "   Rates as percentages, e.g. 97.8 with unit %; leave blank or write — when there is no data.",
    "5. 初步数、估计数、修订数请在“标记”列注明；可在“数据来源”列注明出处。",
    "   Mark provisional, estimated or revised figures in 标记; name the source in 数据来源.",
    "6. 可以增加行；同一指标、地区、统计期只能填写一个数值。",
    "   Rows may be added; one value per indicator, region and period.",
    "7. 填好后在监测系统“上传”页面上传本文件，或运行 qtm ingest 文件名.xlsx。",
    "   Upload the file on the dashboard's upload page, or run: qtm ingest FILE.xlsx",
]


def neutralise(cell: Cell) -> None:
    """Make a text cell that would start a formula plain text (quote-prefixed); numbers and other text are left
    alone."""
    value = cell.value
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        cell.data_type = "s"  # openpyxl made "=…" a formula when it was assigned
        cell.quotePrefix = True


def _neutralise_sheet(sheet: Worksheet) -> None:
    for row in sheet.iter_rows():
        for cell in row:
            neutralise(cell)


@dataclass(frozen=True)
class TemplateRow:
    indicator: Indicator
    region: str  # GB/T 2260 code
    period: Period


def template_rows(
    registry: Registry,
    *,
    plan: str | None = None,
    regions: Sequence[str] = (),
    periods: Sequence[Period] = (),
) -> list[TemplateRow]:
    """The rows of a template: each selected target's indicator (and the baseline of a relative target) in its
    jurisdiction — or in ``regions`` — for each year from the base year to the deadline, or for ``periods``."""
    targets: list[Target] = [t for t in registry.targets.values() if plan is None or t.plan == plan]
    rows: dict[tuple[str, str, Period], TemplateRow] = {}
    for target in targets:
        indicator_ids = [target.indicator]
        if target.relative is not None:
            indicator_ids.append(target.relative.baseline_indicator)
        places = list(regions) or [target.jurisdiction]
        first = int(target.baseline.period[:4]) if target.baseline else target.deadline.year - 1
        years = list(periods) or [Period(y) for y in range(first, target.deadline.year + 1)]
        for indicator_id in indicator_ids:
            for region in places:
                for period in years:
                    rows.setdefault(
                        (indicator_id, region, period),
                        TemplateRow(registry.indicators[indicator_id], region, period),
                    )
    return sorted(rows.values(), key=lambda r: (r.indicator.id, r.region, r.period.sort_key()))


def region_codes(registry: Registry, written: Sequence[str]) -> list[str]:
    """The GB/T 2260 codes of regions written as a code or a name (as ``qtm template --region`` takes them);
    ``ValueError`` naming the first unknown one."""
    codes = []
    for text in written:
        region = registry.regions.resolve(text)
        if region is None:
            raise ValueError(f"unknown region {text!r}")
        codes.append(region.code)
    return codes


def template_title(registry: Registry, plan: str | None) -> str:
    """The title row of a template: for one plan, or for every plan."""
    return "质量目标监测数据填报表" + (f"（{registry.plans[plan].title.zh}）" if plan else "")


def write_template(registry: Registry, rows: Sequence[TemplateRow], path: Path, title: str) -> None:
    """Write the fill-in return for ``rows`` to ``path`` (.xlsx): the data sheet with its dropdowns, the hidden
    lists they offer, and the instructions, opened first."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = DATA_SHEET
    _write_data_sheet(sheet, registry, rows, title)
    lists = workbook.create_sheet(LISTS_SHEET)
    counts = _write_lists(lists, registry)
    _add_validations(sheet, counts, last_row=max(len(rows) + 200, 1000) + 2)  # room for rows officials add
    instructions = workbook.create_sheet("填表说明")
    _write_instructions(instructions)
    for written in (sheet, lists, instructions):
        _neutralise_sheet(written)
    workbook.move_sheet(instructions, offset=-(len(workbook.sheetnames) - 1))
    workbook.active = workbook.sheetnames.index(DATA_SHEET)
    workbook.save(path)


def _write_data_sheet(sheet: Worksheet, registry: Registry, rows: Sequence[TemplateRow], title: str) -> None:
    """The title, the header and a row per indicator × region × period, with the value left to fill in."""
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append(HEADER)
    fill = PatternFill("solid", fgColor="DDE7F0")
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.fill = fill
    for row in rows:
        region = registry.regions.get(row.region)
        unit = UNIT_WORDS.get(row.indicator.unit, "")
        sheet.append([row.indicator.name.zh, region.name_zh, row.period.text, None, unit, None, None, None])
    for column, width in zip("ABCDEFGH", (44, 18, 12, 12, 10, 10, 28, 20), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A3"


def _write_lists(lists: Worksheet, registry: Registry) -> list[int]:
    """The hidden sheet of what the dropdowns offer, a column each (indicators, regions, units, flags); how many
    choices each column has."""
    columns = (
        ("指标名称", sorted({i.name.zh for i in registry.indicators.values()})),
        ("地区", [r.name_zh for r in registry.regions]),
        ("计量单位", UNIT_CHOICES),
        ("标记", FLAG_CHOICES),
    )
    for list_number, (name, values) in enumerate(columns, start=1):
        lists.cell(1, list_number, name)
        for row_number, value in enumerate(values, start=2):
            lists.cell(row_number, list_number, value)
    lists.sheet_state = "hidden"
    return [len(values) for _name, values in columns]


def _add_validations(sheet: Worksheet, counts: Sequence[int], last_row: int) -> None:
    """Dropdowns for the indicator, region, unit and flag columns (from the lists sheet, ``counts`` choices each),
    and a number of at least 0 in the value column, down to ``last_row``."""
    for letter, list_column, count in zip("ABEF", "ABCD", counts, strict=True):
        validation = DataValidation(
            type="list",
            formula1=f"{LISTS_SHEET}!${list_column}$2:${list_column}${count + 1}",
            allow_blank=True,
        )
        validation.add(f"{letter}3:{letter}{last_row}")
        sheet.add_data_validation(validation)
    values = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
    values.error = "请填写数值 / enter a number"
    values.add(f"D3:D{last_row}")
    sheet.add_data_validation(values)


def _write_instructions(instructions: Worksheet) -> None:
    for line in INSTRUCTIONS:
        instructions.append([line])
    instructions.column_dimensions["A"].width = 100
    instructions["A1"].font = Font(bold=True, size=14)
