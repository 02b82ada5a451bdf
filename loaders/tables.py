"""Finding the tables in a sheet by their content: the header (one row or several, merged, group headings over
sub-headings), what each column's header says, the rows of data, and the context stated above (a title such as
"2024年甘肃省制造业产品质量合格率", lines such as 计量单位：% or 填报单位：…).

A sheet may hold several tables: one under another (blank rows between, each with its own title) or side by side (a
blank column between, each with its own label column). Each is read with the context written above it only, never
with another table's title; the reporting office (填报单位：…) stated once speaks for the whole sheet.
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


#: Keys that name who reports: the area of the whole sheet, for every table on it that states no area of its own.
_REPORTER_KEYS = frozenset({"填报地区", "填报单位", "综合机关名称"})


_CODE_PREFIX = re.compile(r"^(\d{6})\s*(\S.*)$")


_HEADER_SCAN_ROWS = 40


_MAX_HEADER_ROWS = 5


_MAX_FILL = 2_000_000


#: Headings are completed by the title (or taken for a mistyped name) in this many columns at most: a hostile
#: row of 16 384 text cells costs no more than a real table.
_COMPOSE_COLUMNS = 200


#: "To the sheet's last column": the right edge of a table that has no table beside it.
WHOLE_WIDTH = 1 << 30


#: A new table's header lies within this many rows of the first row after a blank row (its title, its 单位 line).
_TITLE_ROWS = 6


#: Rows under a header looked at to tell tables side by side, and the most tables one header row may hold.
_BLOCK_SAMPLE = 30
_MAX_BLOCKS = 8


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
    #: An indicator's name composed of a group heading and its measure ('工业产品监督抽查' over 合格率) that names
    #: no indicator of the registry: the values are reported under that name, never as having no indicator.
    named: str | None = None

    @property
    def is_measure(self) -> bool:
        return self.field == "value" or (
            self.field is None
            and (
                self.indicator is not None
                or self.period is not None
                or self.region is not None
                or self.named is not None
            )
        )


@dataclass
class Context:
    """Coordinates stated once for the whole table: value and the cell it was written in."""

    indicator: tuple[object, str] | None = None
    region: tuple[object, str] | None = None
    period: tuple[object, str] | None = None
    unit: tuple[object, str] | None = None
    reporter: tuple[object, str] | None = None  # the area of a 填报单位 line: it speaks for the whole sheet
    flags: tuple[object, str] | None = None  # 'provisional' when a title or note says 初步统计数, 快报数 …


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
    end: int | None = None  # the row after the table's last row (None: the sheet's end)
    left: int = 0  # the columns of the sheet that are the table's, for tables side by side
    right: int = WHOLE_WIDTH

    @property
    def span(self) -> str:
        """The table's cells in A1 notation ('A3:E9'): where a message about the whole table points."""
        last_column = max((c.index for c in self.columns if c.labels), default=self.stub)
        end = len(self.sheet.rows) if self.end is None else self.end
        last_row = max(end - 1, self.header_rows[-1])
        return f"{ref(self.header_rows[0], self.stub)}:{ref(last_row, last_column)}"


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

    def width_of(self, row: int, column: int) -> int:
        """How many columns the cell spans (1 unless merged across)."""
        width = 1
        while self.merged_from.get((row, column + width)) == (row, column):
            width += 1
        return width


def find_tables(sheet: Sheet, classifier: Classifier) -> list[Table]:
    """Every table in the sheet (usually one), with its header and context: tables one under another and side by
    side are found each with its own title."""
    filled = Filled(sheet)
    tables: list[Table] = []
    reporter: tuple[object, str] | None = None
    start = 0
    while start < len(sheet.rows):
        header = _find_header_row(filled, classifier, start)
        if header is None:
            break
        built = [
            _build_table(filled, classifier, header, start, block)
            for block in _column_blocks(filled, classifier, header)
        ]
        found = [table for table, _after in built]
        reporter = next((t.context.reporter for t in found if t.context.reporter is not None), reporter)
        for table in found:
            if table.context.region is None and reporter is not None:
                table.context.region = reporter
        tables.extend(found)
        start = max(header + 1, *(after for _table, after in built))
    return tables


def _row_kinds(
    filled: Filled,
    classifier: Classifier,
    row: int,
    around: str | None = None,
    left: int = 0,
    right: int = WHOLE_WIDTH,
) -> list[tuple[int, str]]:
    """The kind of every cell of a row (from ``left`` to ``right``); with ``around`` (the titles above), a heading
    that names an indicator together with them (高速（含一级）公路 under '甘肃省公路抽检指标总体合格率') is an
    indicator."""
    width = len(filled.sheet.rows[row]) if row < len(filled.sheet.rows) else 0
    kinds = []
    for c in range(left, min(width, right + 1)):
        value = filled.value(row, c)
        kind = classifier.kind(value)
        if around and kind == "text" and isinstance(value, str) and c < _COMPOSE_COLUMNS:
            base = split_unit(text_key(value))[0]
            if classifier.composed(base, around) is not None or classifier.near_indicator(base):
                kind = "indicator"  # (a mistyped name too: reported with the names it is close to)
        kinds.append((c, kind))
    return kinds


def _texts(filled: Filled, first: int, end: int, left: int = 0, right: int = WHOLE_WIDTH) -> str:
    """The text written in rows ``first`` to ``end`` (titles, 地区：… lines; notes left out), one line per cell, in
    the table's columns (at most ``_COMPOSE_COLUMNS`` of them)."""
    return "\n".join(
        normalise_text(value)
        for r in range(first, min(end, len(filled.sheet.rows)))
        if not is_note_row(filled.sheet.rows[r][left:])
        for _c, value in _cells_of(filled, r, left, min(right, left + _COMPOSE_COLUMNS))
        if isinstance(value, str)
    )


def _cells_of(filled: Filled, row: int, left: int, right: int) -> Iterator[tuple[int, object]]:
    """The non-blank cells of a row that lie over columns ``left`` to ``right``: a cell merged across from further
    left (a title over two tables side by side) too."""
    values = filled.sheet.rows[row]
    if left > 0:
        for r0, c0, _r1, c1 in filled.sheet.merged:
            if r0 == row and c0 < left <= c1 and not is_blank(filled.sheet.value(r0, c0)):
                yield c0, filled.sheet.value(r0, c0)
    for column in range(left, min(len(values), right + 1)):
        if not is_blank(values[column]):
            yield column, values[column]


def _is_header_row(kinds: list[tuple[int, str]]) -> bool:
    counts = Counter(kind for _c, kind in kinds if kind != "blank")
    header_like = counts["field"] + counts["period"] + counts["indicator"] + counts["region"]
    if counts["field"] >= 1 and header_like >= 2 and counts["number"] == 0:
        return True
    return counts["number"] == 0 and max(counts["period"], counts["indicator"], counts["region"]) >= 2


def _find_header_row(
    filled: Filled, classifier: Classifier, start: int, end: int | None = None
) -> int | None:
    """The first header row from ``start``: a row of field words, periods, indicators or regions; else one whose
    headings name indicators together with the title; else, by content, a row of labels over rows of data."""
    stop = min(len(filled.sheet.rows), start + _HEADER_SCAN_ROWS if end is None else end)
    for row in range(start, stop):
        if _is_header_row(_heading_kinds(filled, classifier, row)):
            return row
    for row in range(start + 1, stop):  # headings that name an indicator only together with the title
        if _is_header_row(_heading_kinds(filled, classifier, row, _texts(filled, start, row))):
            return row
    for row in range(start, stop):
        if _heads_data(filled, classifier, row, stop):
            return row
    return None


def _heading_kinds(
    filled: Filled, classifier: Classifier, row: int, around: str | None = None
) -> list[tuple[int, str]]:
    """The kinds of a row's headings, a heading merged across several columns counted once: a title merged over
    the table that names an indicator is one heading, not a row of them."""
    return [
        (c, kind)
        for c, kind in _row_kinds(filled, classifier, row, around)
        if filled.merged_from.get((row, c), (row, c)) in ((row, c), None)
        or filled.merged_from[(row, c)][0] != row
    ]


def _heads_data(filled: Filled, classifier: Classifier, row: int, stop: int) -> bool:
    """A row of two or more labels and no number, over a row of data: a label (a region, period or indicator)
    and numbers (抽检单位 | 合格率 over 兰州市市场监督管理局 | 93.1)."""
    kinds = [
        kind for _c, kind in _row_kinds(filled, classifier, row, None, 0, _COMPOSE_COLUMNS) if kind != "blank"
    ]
    if len(kinds) < 2 or "number" in kinds or is_note_row(filled.sheet.rows[row]):
        return False
    if any(_states_context(v) for v in filled.sheet.rows[row]):
        return False
    for below in range(row + 1, min(stop, row + 3)):
        values = filled.sheet.rows[below]
        if all(is_blank(v) for v in values) or _is_column_number_row(values):
            continue
        below_kinds = [
            kind
            for _c, kind in _row_kinds(filled, classifier, below, None, 0, _COMPOSE_COLUMNS)
            if kind != "blank"
        ]
        return bool(below_kinds) and below_kinds[0] in _LABEL_KINDS and "number" in below_kinds
    return False


def _states_context(value: object) -> bool:
    """Whether a cell is a 'key：value' line of context (填报单位：…, 计量单位：%)."""
    if not isinstance(value, str) or ("：" not in value and ":" not in value):
        return False
    return any(text_key(key) in _CONTEXT_KEYS for key, _v in _key_values(normalise_text(value)))


def _is_statement(value: object) -> bool:
    """Whether a cell states something as 'key：value' (地区：全国, 表号：Z301表, 制表机关：…): no heading."""
    return isinstance(value, str) and any(True for _pair in _key_values(normalise_text(value)))


def _column_blocks(filled: Filled, classifier: Classifier, header: int) -> list[tuple[int, int]]:
    """The columns of each table a header row holds: one table, or tables side by side — runs of headings
    separated by a blank column, each with a column of labels (regions, periods, indicators) first."""
    rows = filled.sheet.rows
    sample = range(header + 1, min(len(rows), header + _BLOCK_SAMPLE))
    runs: list[list[int]] = []
    gap = False
    for column in range(min(len(rows[header]), _COMPOSE_COLUMNS)):
        if not is_blank(filled.value(header, column)):
            if runs and not gap:
                runs[-1].append(column)
            else:
                runs.append([column])
            gap = False
        elif runs and all(is_blank(filled.value(r, column)) for r in sample):
            gap = True  # a column blank under the header too: tables may stand on either side
    if not 2 <= len(runs) <= _MAX_BLOCKS:
        return [(0, WHOLE_WIDTH)]
    starts = [run[0] for run in runs[1:] if _stands_alone(filled, classifier, header, run, sample)]
    edges = [0, *starts]
    return [(edge, edges[i + 1] - 1 if i + 1 < len(edges) else WHOLE_WIDTH) for i, edge in enumerate(edges)]


def _stands_alone(filled: Filled, classifier: Classifier, header: int, run: list[int], sample: range) -> bool:
    """Whether a run of headings is a table of its own: two columns or more, the first (after a 序号 column) a
    column of labels, not of numbers."""
    columns = [c for c in run if FIELD_OF.get(text_key(filled.value(header, c))) != "ignored"]
    if len(columns) < 2:
        return False
    kinds = Counter(classifier.kind(filled.value(r, columns[0])) for r in sample)
    labels = kinds["region"] + kinds["period"] + kinds["indicator"] + kinds["text"] + kinds["field"]
    return labels > kinds["number"]


def _is_column_number_row(values: list[object]) -> bool:
    """甲 乙 丙 … 1 2 3: the row that numbers a form's columns."""
    cells = [text_key(v) for v in values if not is_blank(v)]
    if len(cells) < 2:
        return False
    letters = [c for c in cells if c in "甲乙丙丁戊己庚辛"]
    numbers = [c for c in cells if c.isdecimal() and int(c) < 100]
    if len(letters) + len(numbers) != len(cells):
        return False
    return not numbers or [int(n) for n in numbers] == list(
        range(int(numbers[0]), int(numbers[0]) + len(numbers))
    )


def _build_table(
    filled: Filled, classifier: Classifier, header: int, context_from: int, block: tuple[int, int]
) -> tuple[Table, int]:
    """The table whose header row is ``header`` in the columns ``block``, and the row where the next table may
    begin."""
    left, right = block
    sheet = filled.sheet
    stub = next(c for c, kind in _row_kinds(filled, classifier, header, None, left, right) if kind != "blank")
    top, stub = _group_rows_above(filled, classifier, header, context_from, stub, right)
    header_rows = list(range(top, header)) + _rows_of_header(filled, classifier, header, stub, block)
    width = min(right + 1, max((len(sheet.rows[r]) for r in header_rows), default=0))
    _spread_group_headings(filled, header_rows, stub, width)
    above = _texts(filled, context_from, top, left, right)
    columns = [_column(filled, classifier, header_rows, c, above) for c in range(left, width)]
    context = _context(filled, classifier, context_from, top, block)
    _complete_partial_periods(columns, context)
    table = Table(sheet, header_rows, columns, context, header_rows[-1] + 1, stub, left=left, right=right)
    table.end, after = _end_of_data(filled, classifier, table)
    _notes_below(table, filled, table.end)
    _find_stub_fields(table, filled, classifier)
    table.skipped = [
        (column.labels[-1], ref(header_rows[0], column.index))
        for column in columns
        if column.index > stub and column.labels and column.field is None and not column.is_measure
    ]
    return table, after


def _rows_of_header(
    filled: Filled, classifier: Classifier, header: int, stub: int, block: tuple[int, int]
) -> list[int]:
    """The header row and the rows under it that belong to it: a column-number row, sub-headings under a merged
    stub or beside a blank one, a bilingual header's English line."""
    sheet = filled.sheet
    header_rows = [header]
    row = header + 1
    while row < len(sheet.rows) and len(header_rows) < _MAX_HEADER_ROWS:
        values = sheet.rows[row]
        if _is_column_number_row(values[block[0] : block[1] + 1]):
            header_rows.append(row)
            row += 1
            continue
        row_kinds = [kind for _c, kind in _row_kinds(filled, classifier, row, None, *block)]
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
    return header_rows


def _group_rows_above(
    filled: Filled, classifier: Classifier, header: int, context_from: int, stub: int, right: int
) -> tuple[int, int]:
    """The first row of the header and the table's stub: group headings above the row found ('主要农产品例行监测'
    over 抽检批次 | 合格率) belong to the header, and so does the stub label written above a blank one (地区 over
    the sub-headings' row of a CSV)."""
    top = header
    while top - 1 >= context_from and header - top + 1 < _MAX_HEADER_ROWS:
        values = filled.sheet.rows[top - 1][: min(stub, right) + 1]
        wider = next((c for c, v in enumerate(values) if not is_blank(v)), stub)
        if not _is_group_row(filled, classifier, top - 1, top, wider, right):
            break
        top, stub = top - 1, wider
    return top, stub


def _is_group_row(
    filled: Filled, classifier: Classifier, row: int, below: int, stub: int, right: int
) -> bool:
    """Whether ``row`` holds group headings over the header row ``below``: headings right of the stub, no number,
    no 'key：value' statement, no note; and the stub merged down over both rows, or a field word over a blank stub, or
    headings over some of the columns (several, or one merged across part of them; not a title over all)."""
    sheet = filled.sheet
    values = sheet.rows[row]
    headings = [(c, v) for c, v in enumerate(values[: right + 1]) if c > stub and not is_blank(v)]
    if not headings or is_note_row(values) or any(_is_statement(v) for v in values):
        return False
    if any(classifier.kind(v) == "number" for _c, v in headings[:_COMPOSE_COLUMNS]):
        return False
    if filled.merged_from.get((below, stub), (below, stub))[0] <= row:
        return True
    above_stub, below_stub = sheet.value(row, stub), sheet.value(below, stub)
    if not is_blank(above_stub) and not is_blank(below_stub):
        return False
    if is_blank(below_stub) and classifier.kind(above_stub) == "field":
        return True  # 地区 over a blank: the sub-headings' row of a CSV
    if len(headings) >= 2:
        return True
    covered = sum(1 for c in range(stub + 1, len(sheet.rows[below])) if not is_blank(filled.value(below, c)))
    return 2 <= filled.width_of(row, headings[0][0]) < covered


def _spread_group_headings(filled: Filled, header_rows: list[int], stub: int, width: int) -> None:
    """A group heading not merged (a CSV, or centred across the columns) stands over the blank cells to its right,
    up to the next heading, above sub-headings: they are filled with it as a merge would."""
    rows = filled.sheet.rows
    label_rows = [r for r in header_rows if not _is_column_number_row(rows[r])]
    for row in label_rows[:-1]:
        group: object = None
        origin = (row, stub)
        for column in range(stub + 1, min(width, _COMPOSE_COLUMNS)):
            value = filled.value(row, column)
            if is_blank(filled.value(label_rows[-1], column)):
                group = None  # a spacer column ends a group
            elif not is_blank(value):
                field_name = FIELD_OF.get(split_unit(text_key(value))[0])
                group = value if field_name in (None, "period", "value") else None
                origin = filled.merged_from.get((row, column), (row, column))
            elif group is not None:
                filled.fill[(row, column)] = filled.sheet.value(*origin)
                filled.merged_from[(row, column)] = origin


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
        cell = ref(*filled.merged_from.get((row, index), (row, index)))  # a merged heading's own cell
        text = _read_heading(column, classifier, value, label, cell)
        if text is not None:
            cells.append(text)
    if column.field == "period" and column.period is not None:
        column.field = None  # a group heading (统计年度, 年份) over the periods it spans
    if column.indicator is None and column.field in (None, "value") and cells:
        _compose(column, classifier, cells, above)
    return column


def _read_heading(
    column: Column, classifier: Classifier, value: object, label: str, cell: str
) -> tuple[str, str] | None:
    """What one heading of a column says, set on the column; a heading that says nothing yet (a text, a value
    word such as 合格率) is returned, without its unit, to be completed by the headings and title around it."""
    base, unit = split_unit(label)
    if unit is not None:
        column.unit = unit
    field_name = FIELD_OF.get(base) or FIELD_OF.get(label)
    if field_name is not None:
        column.field = field_name
        return (base, cell) if field_name == "value" else None
    if base in PREVIOUS_WORDS:  # 上年实际: the previous period's value, once the form states its period
        column.previous, column.header_cell = True, cell
        return None
    if any(word in base for word in COMPARISON_WORDS):  # 上年同期, 增长速度(%): beside the value, not values
        column.field = "ignored"
        return None
    if base in ("%", "") and unit:
        return None
    if (
        not base.isdigit() and base not in ("", "-") and is_known_unit(base)
    ):  # a row of units under the header
        column.unit = base
        return None
    partial = partial_period(base)
    if partial is not None:
        column.partial, column.header_cell = partial, cell
        return None
    kind = classifier.kind(value)
    if kind == "period":
        column.period, column.header_cell = read_period(value), cell
    elif kind == "indicator":
        column.indicator, column.header_cell = classifier.indicator(base), cell
    elif kind == "region":
        column.region, column.header_cell = classifier.region(value), cell
    elif kind == "text":
        return (base, cell)
    return None


def _compose(column: Column, classifier: Classifier, cells: list[tuple[str, str]], above: str) -> None:
    """The indicator a column's headings name together with the title or the group heading above them.

    The lowest heading says what the column holds: a thing of its own (抽检批次) is only that — context unless it
    composes; a measure (合格率, a value word) or a coordinate (2023年) leaves the naming to the group heading. A
    group heading and measure that compose no indicator of the registry ('工业产品监督抽查' over 合格率) name the
    column by their words, to be reported as an unknown indicator."""
    lowest = split_unit(column.labels[-1])[0]
    measure = column.field == "value" or classifier.is_measure(lowest)
    own_thing = cells[-1][0] == lowest and not measure
    for base, cell in cells[-1:] if own_thing else cells:
        others = [label for label in column.labels if split_unit(label)[0] != base]
        indicator = classifier.composed(base, "\n".join([above, *others]))
        if indicator is not None:
            column.indicator, column.header_cell, column.field = indicator, cell, None
            return
    if (
        own_thing
    ):  # 抽检批次 under 兰州市 or 2023年: context beside the values, whatever the group heading says
        column.region = column.period = column.partial = None
        return
    if measure and cells[-1][0] == lowest and len(cells) >= 2:
        group_heading, cell = cells[-2]
        column.named, column.header_cell, column.field = group_heading + lowest, cell, None


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


def _context(
    filled: Filled, classifier: Classifier, first: int, header: int, block: tuple[int, int]
) -> Context:
    """Coordinates stated above the header, over the table's columns: 'key：value' lines and titles (not notes,
    which belong to the table above)."""
    context = Context()
    titles: list[tuple[str, str]] = []
    for row in range(first, header):
        if is_note_row(filled.sheet.rows[row][block[0] :]):
            _provisional_in(context, filled, row, block)
            continue
        for column, value in _cells_of(filled, row, *block):
            if not isinstance(value, str):
                continue
            cell = ref(row, column)
            text = normalise_text(value)
            if context.flags is None and PROVISIONAL_WORDS.search(text):
                context.flags = ("provisional", cell)
            if not _state(context, classifier, text, cell):  # a title (it may hold a colon: '…（单位：%）')
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


#: Words of a title or note that make a table's values provisional (本表数据为初步统计数, 2024年快报数).
PROVISIONAL_WORDS = re.compile(r"初步(?:统计|核算)?数|快报数")
#: How many rows under a table are read for notes that say its values are provisional.
_NOTE_ROWS = 6


def _provisional_in(context: Context, filled: Filled, row: int, block: tuple[int, int]) -> None:
    """Mark the table's values provisional when a note on ``row`` says so (the flags column, if any, wins)."""
    if context.flags is not None:
        return
    for column, value in _cells_of(filled, row, *block):
        if isinstance(value, str) and PROVISIONAL_WORDS.search(normalise_text(value)):
            context.flags = ("provisional", ref(row, column))
            return


def _notes_below(table: Table, filled: Filled, end: int) -> None:
    """Read the note rows just under the table (from ``end``: 注：本表数据为初步统计数) into its context."""
    rows = filled.sheet.rows
    for row in range(end, min(end + _NOTE_ROWS, len(rows))):
        if is_note_row(rows[row][table.left :]):
            _provisional_in(table.context, filled, row, (table.left, table.right))


def _state(context: Context, classifier: Classifier, text: str, cell: str) -> bool:
    """Read the 'key：value' statements of a line into the context; False when the line states nothing."""
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
                area = classifier.region(found) or classifier.region_in(found)
                found = area.code if area is not None else found
            if text_key(key) in _REPORTER_KEYS:
                context.reporter = (found, cell)
        elif name == "indicator":  # 指标：地区生产总值(亿元)
            found, unit = split_unit(text_key(found))
            if unit is not None and context.unit is None:
                context.unit = (unit, cell)
        setattr(context, name, (found, cell))
    return stated


def _key_values(text: str) -> Iterator[tuple[str, str]]:
    """'计量单位：%   地区：全国' → ('计量单位', '%'), ('地区', '全国')."""
    for part in re.split(r"\s{2,}|　+|\t", text):
        for separator in ("：", ":"):
            if separator in part:
                key, _sep, value = part.partition(separator)
                if key.strip() and value.strip():
                    yield key.strip(), value.strip()
                break


#: What a column of labels may hold, as found by its content.
_LABEL_KINDS = ("indicator", "region", "period")


def _find_stub_fields(table: Table, filled: Filled, classifier: Classifier) -> None:
    """The label columns before the first measure column, by their content: a column with no field word holds
    indicators, regions or periods; a column headed with a general word (项目) that holds only periods or regions
    holds those."""
    measures = [c.index for c in table.columns if c.is_measure]
    if not measures:
        return
    fields = {c.field for c in table.columns if c.field}
    sheet = filled.sheet
    end = len(sheet.rows) if table.end is None else table.end
    sample = range(table.first_data_row, min(end, table.first_data_row + 60))
    for column in table.columns:
        if column.index >= measures[0] or column.is_measure:
            continue
        if column.field is not None and column.field not in _LABEL_KINDS:
            continue
        counts = Counter(classifier.kind(filled.value(r, column.index)) for r in sample)
        counts.pop("blank", None)
        if column.field is not None:
            _relabel(column, counts, fields)
            continue
        for kind in _LABEL_KINDS:
            if kind == "period" and column.labels:
                continue  # a headed column of counts (抽检批次: 2100, 1800) is not a column of years
            if kind not in fields and counts[kind] and counts[kind] >= 0.5 * sum(counts.values()):
                column.field = kind
                fields.add(kind)
                break


def _relabel(column: Column, counts: Counter[str], fields: set[str]) -> None:
    """A column headed indicator, region or period whose cells are all another of them (项目 over 2023年,
    2024年) holds what its cells say."""
    if counts[column.field or ""]:
        return
    total = sum(counts.values())
    for kind in _LABEL_KINDS:
        if kind not in fields and counts[kind] and counts[kind] >= 0.5 * total:
            fields.discard(column.field or "")
            column.field = kind
            fields.add(kind)
            return


def _end_of_data(filled: Filled, classifier: Classifier, table: Table) -> tuple[int, int]:
    """The row after the table's last data row, and where to look for the next table: a note or signature row
    ends the table, and so does a blank row followed by another table's title or header (not by 续表 or the same
    header repeated). One cheap look at each row's first cell: a number there is a row of data."""
    rows = filled.sheet.rows
    left, right = table.left, table.right
    verdicts: dict[str, bool] = {}  # by the row's first text: returns repeat their labels
    row = table.first_data_row
    while row < len(rows):
        values = rows[row]
        first = values[left] if left < len(values) else None
        if first is None or (isinstance(first, str) and not first.strip()):
            first = next((v for v in values[left + 1 : left + 4] if not is_blank(v)), None)
        if first is None:
            if not all(is_blank(v) for v in values[left : right + 1]):
                row += 1
                continue
            following = _next_filled_row(rows, row + 1, left, right)
            if following is None:
                return len(rows), len(rows)
            if _starts_table(filled, classifier, table, following):
                return row, following
            row = following
            continue
        if isinstance(first, str) and first.lstrip()[:1].lower() in NOTE_FIRST:
            verdict = verdicts.get(first)
            if verdict is None:
                verdict = verdicts[first] = is_note_row([first])
            if verdict:
                return row, row + 1
        row += 1
    return len(rows), len(rows)


def _next_filled_row(rows: list[list[object]], start: int, left: int, right: int) -> int | None:
    for row in range(start, len(rows)):
        if any(not is_blank(v) for v in rows[row][left : right + 1]):
            return row
    return None


def _starts_table(filled: Filled, classifier: Classifier, table: Table, row: int) -> bool:
    """Whether a row after a blank one begins another table: a title or a header, with a header within a few
    rows — not 续表, a note, a row of data or the table's own header repeated."""
    values = filled.sheet.rows[row][table.left : table.right + 1]
    first = next(v for v in values if not is_blank(v))
    if (isinstance(first, str) and text_key(first).startswith("续表")) or is_note_row(values):
        return False
    kinds = [kind for _c, kind in _row_kinds(filled, classifier, row, None, table.left, table.right)]
    if "number" in kinds:
        return False
    header = _find_header_row(filled, classifier, row, row + _TITLE_ROWS)
    if header is None:
        return False
    return header != row or _labels(filled, row, table) not in [
        _labels(filled, r, table) for r in table.header_rows
    ]


def _labels(filled: Filled, row: int, table: Table) -> list[str]:
    values = filled.sheet.rows[row][table.left : min(table.right + 1, table.left + _COMPOSE_COLUMNS)]
    return [text_key(v) for v in values]
