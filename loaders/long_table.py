"""Long tables: one value a row, with columns for indicator, region, period, value and unit, in any order.

The header row is found among the first rows of a sheet by the words officials use (指标名称, 地区, 年份, 数值,
计量单位 …, or the English ones); title rows above it and notes below the data are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

from loaders.grid import Cell, Sheet, ref
from qtm.units import normalise_text

#: Header words, after NFKC and with spaces removed, for each field of a long table.
HEADER_WORDS: dict[str, frozenset[str]] = {
    "indicator": frozenset(
        {"指标", "指标名称", "项目", "项目名称", "统计指标", "indicator", "indicatorname"}
    ),
    "region": frozenset(
        {
            "地区",
            "地区名称",
            "区划",
            "行政区划",
            "区划代码",
            "行政区划代码",
            "地区代码",
            "单位名称",
            "区域",
            "抽样区域",
            "region",
            "regioncode",
            "area",
        }
    ),
    "period": frozenset(
        {"年份", "年度", "统计期", "时间", "期别", "报告期", "统计时间", "period", "year", "time"}
    ),
    "value": frozenset({"数值", "本期", "值", "本年实际", "本期数", "指标值", "数据", "value", "amount"}),
    "unit": frozenset({"单位", "计量单位", "unit", "units"}),
    "flags": frozenset({"标记", "标志", "数据标记", "数据状态", "flags", "flag", "status"}),
    "source": frozenset({"来源", "数据来源", "出处", "source"}),
}
REQUIRED = ("indicator", "region", "period", "value")
_HEADER_SEARCH_ROWS = 30
_NOTE_PREFIXES = (
    "注",
    "说明",
    "填表人",
    "审核人",
    "报出日期",
    "单位负责人",
    "统计负责人",
    "数据来源",
    "资料来源",
)


@dataclass(frozen=True)
class RawRow:
    """One data row of a long table, cells by field (a missing optional field is ``None``)."""

    sheet: str | None
    row: int  # 1-based, as Excel shows it
    indicator: Cell
    region: Cell
    period: Cell
    value: Cell
    unit: Cell | None
    flags: Cell | None
    source: Cell | None


def header_key(value: object) -> str:
    return "".join(normalise_text(str(value)).split()).casefold() if value is not None else ""


def find_header(sheet: Sheet) -> tuple[int, dict[str, int]] | None:
    """The header row (0-based) and the column of each field, or ``None`` when the sheet has no long table."""
    for r, row in enumerate(sheet.rows[:_HEADER_SEARCH_ROWS]):
        columns: dict[str, int] = {}
        for c, cell in enumerate(row):
            key = header_key(cell.value)
            for field, words in HEADER_WORDS.items():
                if key in words and field not in columns:
                    columns[field] = c
        if all(f in columns for f in REQUIRED):
            return r, columns
    return None


def read_rows(sheet: Sheet, header_row: int, columns: dict[str, int]) -> list[RawRow]:
    """The data rows under the header, skipping blank rows and stopping at notes and signatures."""
    rows: list[RawRow] = []

    def cell(row: list[Cell], r: int, c: int) -> Cell:
        return row[c] if c < len(row) else Cell(None, ref(r, c))

    def optional(row: list[Cell], r: int, field: str) -> Cell | None:
        return cell(row, r, columns[field]) if field in columns else None

    for r in range(header_row + 1, len(sheet.rows)):
        row = sheet.rows[r]
        if all(c.is_blank for c in row):
            continue
        first = next((c for c in row if not c.is_blank), None)
        if (
            first is not None
            and isinstance(first.value, str)
            and normalise_text(first.value).startswith(_NOTE_PREFIXES)
        ):
            break
        rows.append(
            RawRow(
                sheet=sheet.name,
                row=r + 1,
                indicator=cell(row, r, columns["indicator"]),
                region=cell(row, r, columns["region"]),
                period=cell(row, r, columns["period"]),
                value=cell(row, r, columns["value"]),
                unit=optional(row, r, "unit"),
                flags=optional(row, r, "flags"),
                source=optional(row, r, "source"),
            )
        )
    return rows
