"""Finding the tables in a sheet: the header (one row or several, merged), what each column's header says, and
the context stated above (a title such as "2024年甘肃省制造业产品质量合格率", lines such as 计量单位：% or 地区：全国).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from loaders.grid import Position, Sheet, is_blank, ref
from loaders.labels import (
    COMPARISON_WORDS,
    FIELD_OF,
    NOTE_FIRST,
    PREVIOUS_WORDS,
    Classifier,
    is_note_row,
    partial_period,
    period_in,
    split_unit,
    stub_text,
    text_key,
)
from loaders.values import read_period
from qtm.periods import Period
from qtm.regions import Region
from qtm.registry import Indicator
from qtm.units import is_known_unit, normalise_text

_CONTEXT_KEYS: dict[str, str] = {
    **{k: "unit" for k in ("计量单位", "单位", "unit")},
    **{
        k: "region"
        for k in ("地区", "区划", "填报地区", "填报单位", "综合机关名称", "行政区划", "地区名称", "region")
    },
    **{k: "indicator" for k in ("指标", "指标名称", "indicator")},
    **{k: "period" for k in ("时间", "统计期", "年份", "报告期", "统计时间", "年度", "period")},
}


_CODE_PREFIX = re.compile(r"^(\d{6})\s*(\S.*)$")


_HEADER_SCAN_ROWS = 40


_MAX_HEADER_ROWS = 5


_MAX_FILL = 2_000_000


#: Headings are completed by the title (or taken for a mistyped name) in this many columns at most: a hostile
#: row of 16 384 text cells costs no more than a real table.
_COMPOSE_COLUMNS = 200


@dataclass
class Column:
    """What a column's header says: a field (indicator, region … value) or coordinates of its values."""

    index: int
    labels: list[str] = field(default_factory=list)
    field: str | None = None
    indicator: Indicator | None = None
    period: Period | None = None
    region: Region | None = None
    unit: str | None = None
    header_cell: str | None = None  # where the coordinates were written
    partial: tuple[str, int] | None = None  # a quarter or month waiting for the year stated in the title
    previous: bool = False  # 上年实际: the value of the period before the one the form states

    @property
    def is_measure(self) -> bool:
        return self.field == "value" or (
            self.field is None
            and (self.indicator is not None or self.period is not None or self.region is not None)
        )


@dataclass
class Context:
    """Coordinates stated once for the whole sheet: value and the cell it was written in."""

    indicator: tuple[object, str] | None = None
    region: tuple[object, str] | None = None
    period: tuple[object, str] | None = None
    unit: tuple[object, str] | None = None


@dataclass
class Table:
    sheet: Sheet
    header_rows: list[int]
    columns: list[Column]
    context: Context
    first_data_row: int
    stub: int  # the leftmost column of the table
    #: Columns of context beside the values (抽查批次数, 不合格率): their heading and its cell; read as nothing.
    skipped: list[tuple[str, str]] = field(default_factory=list)


class Filled:
    """Cell values with merged ranges filled from their top-left cell."""

    def __init__(self, sheet: Sheet) -> None:
        self.sheet = sheet
        self.fill: dict[Position, object] = {}
        self.merged_from: dict[Position, Position] = {}
        height = len(sheet.rows)
        budget = _MAX_FILL
        for r0, c0, r1, c1 in sheet.merged:
            r1 = min(r1, height - 1)
            value = sheet.value(r0, c0)
            for r in range(r0, r1 + 1):
                for c in range(c0, c1 + 1):
                    if (r, c) != (r0, c0) and budget > 0:
                        self.fill[(r, c)] = value
                        self.merged_from[(r, c)] = (r0, c0)
                        budget -= 1

    def value(self, row: int, column: int) -> object:
        value = self.sheet.value(row, column)
        if is_blank(value) and self.fill:
            return self.fill.get((row, column), value)
        return value


def find_tables(sheet: Sheet, classifier: Classifier) -> list[Table]:
    """Every table in the sheet (usually one), with its header and context."""
    filled = Filled(sheet)
    tables: list[Table] = []
    start = 0
    while start < len(sheet.rows):
        header = _find_header_row(filled, classifier, start)
        if header is None:
            break
        table = _build_table(filled, classifier, header, context_from=start)
        tables.append(table)
        start = _end_of_data(filled, classifier, table)
    return tables


def _row_kinds(
    filled: Filled, classifier: Classifier, row: int, around: str | None = None
) -> list[tuple[int, str]]:
    """The kind of every cell of a row; with ``around`` (the titles above), a heading that names an indicator
    together with them (高速（含一级）公路 under '甘肃省公路抽检指标总体合格率') is an indicator."""
    width = len(filled.sheet.rows[row]) if row < len(filled.sheet.rows) else 0
    kinds = []
    for c in range(width):
        value = filled.value(row, c)
        kind = classifier.kind(value)
        if around and kind == "text" and isinstance(value, str) and c < _COMPOSE_COLUMNS:
            base = split_unit(text_key(value))[0]
            if classifier.composed(base, around) is not None or classifier.near_indicator(base):
                kind = "indicator"  # (a mistyped name too: reported with the names it is close to)
        kinds.append((c, kind))
    return kinds


def _texts(filled: Filled, first: int, end: int) -> str:
    """The text written in rows ``first`` to ``end`` (titles, 地区：… lines), one line per cell, in the first
    ``_COMPOSE_COLUMNS`` columns."""
    return "\n".join(
        normalise_text(v)
        for r in range(first, min(end, len(filled.sheet.rows)))
        for v in filled.sheet.rows[r][:_COMPOSE_COLUMNS]
        if isinstance(v, str) and v.strip()
    )


def _is_header_row(kinds: list[tuple[int, str]]) -> bool:
    counts = Counter(kind for _c, kind in kinds if kind != "blank")
    header_like = counts["field"] + counts["period"] + counts["indicator"] + counts["region"]
    if counts["field"] >= 1 and header_like >= 2 and counts["number"] == 0:
        return True
    return counts["number"] == 0 and max(counts["period"], counts["indicator"], counts["region"]) >= 2


def _find_header_row(filled: Filled, classifier: Classifier, start: int) -> int | None:
    end = min(len(filled.sheet.rows), start + _HEADER_SCAN_ROWS)
    for row in range(start, end):
        if _is_header_row(_row_kinds(filled, classifier, row)):
            return row
    for row in range(start + 1, end):  # headings that name an indicator only together with the title
        if _is_header_row(_row_kinds(filled, classifier, row, _texts(filled, start, row))):
            return row
    return None


def _is_column_number_row(values: list[object]) -> bool:
    """甲 乙 丙 … 1 2 3: the row that numbers a form's columns."""
    cells = [text_key(v) for v in values if not is_blank(v)]
    if len(cells) < 2:
        return False
    letters = [c for c in cells if c in "甲乙丙丁戊己庚辛"]
    numbers = [c for c in cells if c.isdigit() and int(c) < 100]
    if len(letters) + len(numbers) != len(cells):
        return False
    return not numbers or [int(n) for n in numbers] == list(
        range(int(numbers[0]), int(numbers[0]) + len(numbers))
    )


def _build_table(filled: Filled, classifier: Classifier, header: int, context_from: int) -> Table:
    sheet = filled.sheet
    kinds = _row_kinds(filled, classifier, header)
    stub = next(c for c, kind in kinds if kind != "blank")
    header_rows = [header]
    row = header + 1
    while row < len(sheet.rows) and len(header_rows) < _MAX_HEADER_ROWS:
        values = sheet.rows[row]
        if _is_column_number_row(values):
            header_rows.append(row)
            row += 1
            continue
        row_kinds = [kind for _c, kind in _row_kinds(filled, classifier, row)]
        stub_merged = filled.merged_from.get((row, stub), (row, stub))[0] <= header
        stub_blank = is_blank(sheet.value(row, stub))
        translated = all(k in ("field", "blank") for k in row_kinds)  # a bilingual header's English line
        if (
            (stub_merged or stub_blank or translated)
            and "number" not in row_kinds
            and any(k != "blank" for k in row_kinds)
        ):
            header_rows.append(row)
            row += 1
            continue
        break
    width = max((len(sheet.rows[r]) for r in header_rows), default=0)
    above = _texts(filled, context_from, header)
    columns = [_column(filled, classifier, header_rows, c, above) for c in range(width)]
    context = _context(filled, classifier, context_from, header)
    _complete_partial_periods(columns, context)
    table = Table(sheet, header_rows, columns, context, row, stub)
    _find_stub_fields(table, filled, classifier)
    table.skipped = [
        (column.labels[-1], ref(header_rows[0], column.index))
        for column in columns
        if column.index > stub and column.labels and column.field is None and not column.is_measure
    ]
    return table


def _column(filled: Filled, classifier: Classifier, header_rows: list[int], index: int, above: str) -> Column:
    column = Column(index)
    cells: list[tuple[str, str]] = []  # (label without its unit, cell) of headings read as nothing yet
    for row in header_rows:
        value = filled.value(row, index)
        if is_blank(value) or (
            _is_column_number_row([value, value]) and text_key(value) in "甲乙丙丁戊己庚辛"
        ):
            continue
        label = text_key(value)
        if column.labels and column.labels[-1] == label:
            continue
        column.labels.append(label)
        base, unit = split_unit(label)
        if unit is not None:
            column.unit = unit
        field_name = FIELD_OF.get(base) or FIELD_OF.get(label)
        if field_name is not None:
            column.field = field_name
            if field_name == "value":
                cells.append((base, ref(row, index)))
            continue
        if base in PREVIOUS_WORDS:  # 上年实际: the previous period's value, once the form states its period
            column.previous = True
            column.header_cell = ref(row, index)
            continue
        if any(
            word in base for word in COMPARISON_WORDS
        ):  # 上年同期, 增长速度(%): beside the value, not values
            column.field = "ignored"
            continue
        if base in ("%", "") and unit:
            continue
        if (
            not base.isdigit() and base not in ("", "-") and is_known_unit(base)
        ):  # a row of units under the header
            column.unit = base
            continue
        partial = partial_period(base)
        if partial is not None:
            column.partial = partial
            column.header_cell = ref(row, index)
            continue
        kind = classifier.kind(value)
        cell = ref(row, index)
        if kind == "period":
            column.period = read_period(value)
            column.header_cell = cell
        elif kind == "indicator":
            column.indicator = classifier.indicator(base)
            column.header_cell = cell
        elif kind == "region":
            column.region = classifier.registry.regions.resolve(stub_text(value))
            column.header_cell = cell
        elif kind == "text":
            cells.append((base, cell))
    if column.field == "period" and column.period is not None:
        column.field = None  # a group heading (统计年度, 年份) over the periods it spans
    if column.indicator is None and column.field in (None, "value") and cells:
        group = [label for label in column.labels if label not in {b for b, _c in cells}]
        around = "\n".join([above, *group])
        for base, cell in cells:
            indicator = classifier.composed(base, around)
            if indicator is not None:
                column.indicator, column.header_cell = indicator, cell
                column.field = None
                break
    return column


def _complete_partial_periods(columns: list[Column], context: Context) -> None:
    """一季度 … 四季度 or 1月 … 12月 under a title that states the year: each column gets its period."""
    year_period = read_period(context.period[0]) if context.period is not None else None
    for column in columns:
        if column.previous and column.period is None and year_period is not None and year_period.year > 1900:
            column.period = Period(year_period.year - 1, year_period.quarter, year_period.month)
            continue
        if column.partial is None or column.period is not None:
            continue
        if year_period is not None and year_period.frequency == "year":
            kind, number = column.partial
            column.period = (
                Period(year_period.year, quarter=number)
                if kind == "quarter"
                else Period(year_period.year, month=number)
            )


def _context(filled: Filled, classifier: Classifier, first: int, header: int) -> Context:
    """Coordinates stated above the header: 'key：value' lines and titles."""
    context = Context()
    sheet = filled.sheet
    titles: list[tuple[str, str]] = []
    for row in range(first, header):
        values = sheet.rows[row]
        for column, value in enumerate(values):
            if is_blank(value) or not isinstance(value, str):
                continue
            cell = ref(row, column)
            text = normalise_text(value)
            stated = False
            for key, found in _key_values(text):
                name = _CONTEXT_KEYS.get(text_key(key))
                if name is None:
                    continue
                stated = True
                if getattr(context, name) is not None:
                    continue
                if name == "region":  # '310118青浦区', '甘肃省市场监督管理局' (an office: its area)
                    match = _CODE_PREFIX.match(found)
                    found = match.group(1) if match else found
                    if classifier.registry.regions.resolve(found) is None:
                        area = classifier.region_in(found)
                        found = area.code if area is not None else found
                elif name == "indicator":  # 指标：地区生产总值(亿元)
                    found, unit = split_unit(text_key(found))
                    if unit is not None and context.unit is None:
                        context.unit = (unit, cell)
                setattr(context, name, (found, cell))
            if not stated:  # a title (it may hold a colon, as in '…合格率（单位：%）')
                titles.append((text, cell))
    for text, cell in titles:
        if context.indicator is None and (indicator := classifier.indicator_in(text)) is not None:
            context.indicator = (indicator.id, cell)
        if context.region is None and (region := classifier.region_in(text)) is not None:
            context.region = (region.code, cell)
        if context.period is None and (period := period_in(text)) is not None:
            context.period = (period, cell)
        if context.unit is None:
            _base, unit = split_unit(text_key(text))
            if unit is not None:
                context.unit = (unit, cell)
    return context


def _key_values(text: str) -> Iterator[tuple[str, str]]:
    """'计量单位：%   地区：全国' → ('计量单位', '%'), ('地区', '全国')."""
    for part in re.split(r"\s{2,}|　+|\t", text):
        for separator in ("：", ":"):
            if separator in part:
                key, _sep, value = part.partition(separator)
                if key.strip() and value.strip():
                    yield key.strip(), value.strip()
                break


def _find_stub_fields(table: Table, filled: Filled, classifier: Classifier) -> None:
    """A column with no field word before the first measure column: guess indicator, region or period from content."""
    measures = [c.index for c in table.columns if c.is_measure]
    if not measures:
        return
    fields = {c.field for c in table.columns if c.field}
    sheet = filled.sheet
    sample = range(table.first_data_row, min(len(sheet.rows), table.first_data_row + 60))
    for column in table.columns:
        if column.index >= measures[0] or column.field is not None or column.is_measure:
            continue
        counts = Counter(classifier.kind(filled.value(r, column.index)) for r in sample)
        counts.pop("blank", None)
        for kind in ("indicator", "region", "period"):
            if kind == "period" and column.labels:
                continue  # a headed column of counts (抽检批次: 2100, 1800) is not a column of years
            if kind not in fields and counts[kind] and counts[kind] >= 0.5 * sum(counts.values()):
                column.field = kind
                fields.add(kind)
                break


def _end_of_data(filled: Filled, classifier: Classifier, table: Table) -> int:
    """The row after the table's last data row (where a note or a new header begins)."""
    rows = filled.sheet.rows
    verdicts: dict[str, bool] = {}  # by the row's first text: returns repeat their labels
    for r in range(table.first_data_row, len(rows)):
        row = rows[r]
        first = next((v for v in row[:4] if not is_blank(v)), None)
        if not isinstance(first, str) or first.lstrip()[:1].lower() not in NOTE_FIRST:
            continue
        verdict = verdicts.get(first)
        if verdict is None:
            verdict = verdicts[first] = is_note_row([first])
        if verdict:
            return r + 1
    return len(rows)
