"""Finding the tables in a sheet and the coordinates of every value in them.

A value's indicator, region, period and unit come from, in order: its row (a column such as 指标名称 or 地区), its
column header (a period such as 2024年, an indicator such as 合格率(%), a region), and the sheet's context (a title
such as "2024年甘肃省制造业产品质量合格率", or a line such as 计量单位：% or 地区：全国). So one reader serves long
tables (one value a row) and wide ones (regions or indicators down, periods or indicators across), with titles,
multi-row merged headers, notes and signatures below, and blank spacer rows and columns.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from loaders.grid import Position, Sheet, is_blank, ref
from loaders.values import MISSING_MARKERS, read_period
from qtm.periods import Period
from qtm.regions import Region, Regions
from qtm.registry import Indicator, Registry
from qtm.units import is_known_unit, normalise_text

#: Header words, after NFKC and with spaces removed, for each field. "value" marks a column of values.
FIELD_WORDS: dict[str, frozenset[str]] = {
    "indicator": frozenset(
        {"指标", "指标名称", "项目", "项目名称", "统计指标", "指标项", "indicator", "indicatorname", "item"}
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
            "市州",
            "区县",
            "地市",
            "省份",
            "填报地区",
            "region",
            "regioncode",
            "area",
            "province",
        }
    ),
    "period": frozenset(
        {
            "年份",
            "年度",
            "统计期",
            "时间",
            "期别",
            "报告期",
            "统计时间",
            "统计年度",
            "月份",
            "季度",
            "period",
            "year",
            "time",
            "date",
        }
    ),
    "value": frozenset(
        {
            "数值",
            "本期",
            "值",
            "本年实际",
            "本期数",
            "指标值",
            "数据",
            "实际值",
            "完成值",
            "本期实际",
            "本年",
            "合格率",
            "value",
            "amount",
            "actual",
        }
    ),
    "unit": frozenset({"单位", "计量单位", "unit", "units"}),
    "flags": frozenset({"标记", "标志", "数据标记", "数据状态", "状态", "flags", "flag", "status"}),
    "source": frozenset({"来源", "数据来源", "出处", "资料来源", "source"}),
    "ignored": frozenset(
        {"序号", "代码", "编号", "备注", "说明", "no", "no.", "code", "note", "notes", "remark"}
    ),
}
_FIELD_OF = {word: name for name, words in FIELD_WORDS.items() for word in words}

_CONTEXT_KEYS: dict[str, str] = {
    **{k: "unit" for k in ("计量单位", "单位", "unit")},
    **{
        k: "region"
        for k in ("地区", "区划", "填报地区", "填报单位", "综合机关名称", "行政区划", "地区名称", "region")
    },
    **{k: "indicator" for k in ("指标", "指标名称", "indicator")},
    **{k: "period" for k in ("时间", "统计期", "年份", "报告期", "统计时间", "年度", "period")},
}
_NOTE_PREFIXES = (
    "注",
    "说明",
    "填表人",
    "审核人",
    "报出日期",
    "单位负责人",
    "统计负责人",
    "资料来源",
    "数据来源",
    "联系电话",
    "制表人",
    "负责人",
    "备注",
    "note",
    "source:",
)
_NOTE_FIRST = frozenset(p[0] for p in _NOTE_PREFIXES)
#: Sub-column labels of comparisons printed beside a value (营业收入 → 1-本月 | 上年同期 | 增长速度(%)).
_COMPARISON_WORDS = (
    "上年",
    "去年",
    "同期",
    "同比",
    "环比",
    "增长",
    "增速",
    "增幅",
    "增减",
    "比上年",
    "百分点",
    "排名",
    "位次",
)
TOTAL_WORDS = frozenset(
    {
        "合计",
        "总计",
        "全省",
        "全市",
        "全区",
        "全州",
        "全国",
        "全省合计",
        "全市合计",
        "全省平均",
        "全市平均",
        "总体",
        "平均",
        "total",
    }
)
_UNIT_IN_LABEL = re.compile(r"^(?P<base>.*?)[（(](?P<unit>[^()（）]{1,12})[)）]$")
_HIERARCHY = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.]|[（(][一二三四五六七八九十\d]+[)）]|\d+[、.．]|其中[：:]?|#|\*)+"
)
_FOOTNOTE = re.compile(r"[*①②③④⑤⑥⑦⑧⑨⑩]+$")
_CODE_PREFIX = re.compile(r"^(\d{6})\s*(\S.*)$")
_HEADER_SCAN_ROWS = 40
_MAX_HEADER_ROWS = 5
_MAX_FILL = 2_000_000


@dataclass
class Coordinate:
    """One coordinate (indicator, region, period, unit, flags or source) of a column of values.

    Written in a column of each row (``values``, aligned with the value column's rows), or stated once in a header
    or the context (``constant``, written at ``cell``), or both: a blank row cell falls back to the constant.
    """

    column: int | None = None
    values: list[object] | None = None
    constant: object = None
    cell: str | None = None
    fallback_rows: frozenset[int] = frozenset()  # indices whose row cell was blank and took the constant

    @property
    def known(self) -> bool:
        return self.values is not None or self.constant is not None

    def at(self, index: int) -> object:
        return self.values[index] if self.values is not None else self.constant

    def where(self, index: int, row: int) -> str | None:
        """The A1 reference of this coordinate for the value at ``index`` (in sheet row ``row``)."""
        if self.values is not None and self.column is not None and index not in self.fallback_rows:
            return ref(row, self.column)
        return self.cell


@dataclass
class ValueColumn:
    """A column of values of one table, with the coordinates of each value."""

    sheet: str | None
    column: int
    rows: list[int]  # 0-based sheet rows
    values: list[object]
    percent: dict[int, str]  # index → number format, for the cells that show a percent
    uncached: set[int]  # indices of formulas with no cached value
    indicator: Coordinate
    region: Coordinate
    period: Coordinate
    unit: Coordinate
    flags: Coordinate
    source: Coordinate

    def cell(self, index: int) -> str:
        return ref(self.rows[index], self.column)


def text_key(value: object) -> str:
    """A label as compared: NFKC, no spaces (yearbooks write '北 京' and '指 标 名 称'), case-folded."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "".join(normalise_text(str(value)).split()).casefold()


def stub_text(value: object) -> str:
    """A row label without hierarchy prefixes (一、 （二） 1、 其中： #) and footnote marks."""
    text = text_key(value)
    return _FOOTNOTE.sub("", _HIERARCHY.sub("", text))


def split_unit(label: str) -> tuple[str, str | None]:
    """'合格率(%)' → ('合格率', '%'); '市级智能工厂（家）' → ('市级智能工厂', '家'); '合格率（单位：%）' too;
    other labels unchanged."""
    match = _UNIT_IN_LABEL.match(label)
    if match:
        unit = re.sub(r"^(?:计量)?单位[:：]", "", match["unit"])
        if is_known_unit(unit):
            return match["base"], unit
    return label, None


_QUARTER_ONLY = re.compile(r"^(?:第)?([一二三四1-4])季度$|^q([1-4])$")
_MONTH_ONLY = re.compile(r"^(\d{1,2})月(?:份)?$")
_QUARTER_NUMBERS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}


def partial_period(label: str) -> tuple[str, int] | None:
    """A column headed by a quarter or a month without its year (一季度, Q2, 5月): the year comes from the title."""
    match = _QUARTER_ONLY.match(label)
    if match:
        return ("quarter", _QUARTER_NUMBERS[match.group(1) or match.group(2)])
    match = _MONTH_ONLY.match(label)
    if match and 1 <= int(match.group(1)) <= 12:
        return ("month", int(match.group(1)))
    return None


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


class Classifier:
    """Recognises labels: field words, periods, indicators and regions of the registry."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._indicator_names = sorted(
            {
                text_key(n): i
                for i in registry.indicators.values()
                for n in (i.name.zh, i.name.en, *i.aliases)
            }.items(),
            key=lambda item: -len(item[0]),
        )
        self._region_names = sorted(
            {
                text_key(n): r
                for r in registry.regions
                for n in (r.name_zh, *r.short)
                if len(text_key(n)) >= 2
            }.items(),
            key=lambda item: -len(item[0]),
        )

    def kind(self, value: object) -> str:
        """'blank', 'field', 'period', 'indicator', 'region', 'number', 'marker' or 'text'."""
        if is_blank(value):
            return "blank"
        if isinstance(value, bool):
            return "text"
        if isinstance(value, int | float):
            return "period" if read_period(value) is not None and float(value).is_integer() else "number"
        key = text_key(value)
        base, _unit = split_unit(key)
        if base in _FIELD_OF or key in _FIELD_OF:
            return "field"
        if key in MISSING_MARKERS:
            return "marker"
        if read_period(value) is not None or partial_period(key) is not None:
            return "period"
        if self.indicator(base) is not None:
            return "indicator"
        if self.registry.regions.resolve(stub_text(value)) is not None:
            return "region"
        if _looks_numeric(key):
            return "number"
        return "text"

    def indicator(self, label: str) -> Indicator | None:
        return self.registry.resolve_indicator(label)

    def indicator_in(self, text: str) -> Indicator | None:
        """The one indicator a title names, or None (none, or several)."""
        key = text_key(text)
        found: dict[str, Indicator] = {}
        covered: list[tuple[int, int]] = []
        for name, indicator in self._indicator_names:
            start = key.find(name)
            if start < 0 or any(a <= start < b for a, b in covered):
                continue
            covered.append((start, start + len(name)))
            found[indicator.id] = indicator
        return next(iter(found.values())) if len(found) == 1 else None

    def region_in(self, text: str) -> Region | None:
        """The most specific region a title names, when the others it names are its ancestors."""
        key = text_key(text)
        found = [region for name, region in self._region_names if name in key]
        if not found:
            return None
        regions = self.registry.regions
        deepest = max(found, key=lambda r: _depth(regions, r))
        ancestors = set(_ancestors(regions, deepest))
        return deepest if all(r.code in ancestors or r is deepest for r in found) else None


def _depth(regions: Regions, region: Region) -> int:
    return len(_ancestors(regions, region))


def _ancestors(regions: Regions, region: Region) -> list[str]:
    chain = []
    current: Region | None = region
    while current is not None and current.parent is not None:
        chain.append(current.parent)
        current = regions.get(current.parent) if current.parent in regions else None
    return chain


def _looks_numeric(key: str) -> bool:
    body = key.rstrip("%").replace(",", "")
    try:
        float(body)
    except ValueError:
        return False
    return True


_PERIOD_IN_TITLE = re.compile(r"(\d{4})年(?:第?([一二三四1-4])季度|(\d{1,2})月(?!\s*[-—~至到]))?")
_RANGE_IN_TITLE = re.compile(r"\d{4}\s*年?\s*[-—~至到]\s*\d{4}|\d{1,2}\s*[-—~至到]\s*\d{1,2}\s*月")


def _period_in(text: str) -> str | None:
    normal = normalise_text(text)
    if _RANGE_IN_TITLE.search(normal):
        return None
    found = {m.group(0) for m in _PERIOD_IN_TITLE.finditer(normal)}
    if len(found) != 1:
        return None
    (written,) = found
    return written if read_period(written) is not None else None


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


def _row_kinds(filled: Filled, classifier: Classifier, row: int) -> list[tuple[int, str]]:
    width = len(filled.sheet.rows[row]) if row < len(filled.sheet.rows) else 0
    return [(c, classifier.kind(filled.value(row, c))) for c in range(width)]


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
    columns = [_column(filled, classifier, header_rows, c) for c in range(width)]
    context = _context(filled, classifier, context_from, header)
    _complete_partial_periods(columns, context)
    table = Table(sheet, header_rows, columns, context, row, stub)
    _find_stub_fields(table, filled, classifier)
    return table


def _column(filled: Filled, classifier: Classifier, header_rows: list[int], index: int) -> Column:
    column = Column(index)
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
        field_name = _FIELD_OF.get(base) or _FIELD_OF.get(label)
        if field_name is not None:
            column.field = field_name
            continue
        if any(
            word in base for word in _COMPARISON_WORDS
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
    return column


def _complete_partial_periods(columns: list[Column], context: Context) -> None:
    """一季度 … 四季度 or 1月 … 12月 under a title that states the year: each column gets its period."""
    year_period = read_period(context.period[0]) if context.period is not None else None
    for column in columns:
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
        if context.period is None and (period := _period_in(text)) is not None:
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
        if not isinstance(first, str) or first.lstrip()[:1].lower() not in _NOTE_FIRST:
            continue
        verdict = verdicts.get(first)
        if verdict is None:
            verdict = verdicts[first] = is_note_row([first])
        if verdict:
            return r + 1
    return len(rows)


def is_note_row(values: list[object]) -> bool:
    for value in values[:4]:
        if is_blank(value):
            continue
        if isinstance(value, str):
            text = value.lstrip()
            if text[:1] in _NOTE_FIRST or text[:1].lower() in _NOTE_FIRST:
                key = normalise_text(text).lower()
                return key.startswith(_NOTE_PREFIXES) and text_key(text) not in _FIELD_OF
        return False
    return False


def table_columns(table: Table, jurisdiction: str | None) -> list[ValueColumn]:
    """The table's values, column by column, each with its coordinates (columnar: a return of 100 000 rows is
    handled with a few list comprehensions per column rather than work per cell)."""
    sheet = table.sheet
    rows = sheet.rows
    columns = table.columns
    measures = [c for c in columns if c.is_measure]
    if not measures:
        return []
    field_column = {c.field: c.index for c in columns if c.field and c.field not in ("value", "ignored")}
    coordinate_columns = [field_column[f] for f in ("indicator", "region", "period") if f in field_column]
    data_rows = _data_rows(table, [c.index for c in measures], coordinate_columns)
    if not data_rows:
        return []
    filled = Filled(sheet) if sheet.merged else None
    fill = {k: v for k, v in filled.fill.items() if k[0] >= table.first_data_row} if filled else {}

    def extract(column: int) -> list[object]:
        values = [rows[r][column] if column < len(rows[r]) else None for r in data_rows]
        if fill:
            for index, r in enumerate(data_rows):
                if (r, column) in fill and is_blank(values[index]):
                    values[index] = fill[(r, column)]
        return values

    row_values = {name: extract(column) for name, column in field_column.items()}
    unit_from_label: list[object] | None = None
    if "indicator" in row_values:  # '（一）制造业产品质量合格率（%）' → the indicator, and a unit
        labels = {
            v: split_unit(stub_text(v)) if isinstance(v, str) else (v, None)
            for v in set(row_values["indicator"])
        }
        row_values["indicator"] = [labels[v][0] or v for v in row_values["indicator"]]
        if any(unit is not None for _label, unit in labels.values()):
            unit_from_label = [labels[v][1] for v in extract(field_column["indicator"])]
    if "region" in row_values and jurisdiction is not None:  # 合计, 全省 … stand for the return's own area
        row_values["region"] = [
            jurisdiction if stub_text(v) in TOTAL_WORDS else v for v in row_values["region"]
        ]
    ctx = table.context
    header_row = {m.index: m.header_cell for m in measures}
    result: list[ValueColumn] = []
    for measure in measures:
        c = measure.index
        values = extract(c)
        percent = {
            i: sheet.percent_formats[(r, c)]
            for i, r in enumerate(data_rows)
            if (r, c) in sheet.percent_formats
        }
        uncached = {i for i, r in enumerate(data_rows) if (r, c) in sheet.uncached_formulas}
        header_cell = header_row[c] or ref(table.header_rows[0], c)

        def coordinate(
            name: str,
            header_value: object,
            context: tuple[object, str] | None,
            header_cell: str = header_cell,
        ) -> Coordinate:
            constant, cell = (
                (header_value, header_cell) if header_value is not None else (context or (None, None))
            )
            column = field_column.get(name)
            values = row_values.get(name)
            if values is None:
                return Coordinate(None, None, constant, cell)
            if constant is None:
                return Coordinate(column, values, None, None)
            blanks = frozenset(i for i, v in enumerate(values) if is_blank(v))
            if blanks:
                values = [constant if i in blanks else v for i, v in enumerate(values)]
            return Coordinate(column, values, constant, cell, blanks)

        unit = coordinate("unit", measure.unit, ctx.unit)
        if unit_from_label is not None:
            merged_units = [
                u if not is_blank(u) else unit_from_label[i] for i, u in enumerate(_expand(unit, len(values)))
            ]
            unit = Coordinate(field_column.get("unit", field_column["indicator"]), merged_units, None, None)
        result.append(
            ValueColumn(
                sheet.name,
                c,
                data_rows,
                values,
                percent,
                uncached,
                coordinate("indicator", measure.indicator.id if measure.indicator else None, ctx.indicator),
                coordinate("region", measure.region.code if measure.region else None, ctx.region),
                coordinate("period", measure.period.text if measure.period else None, ctx.period),
                unit,
                coordinate("flags", None, None),
                coordinate("source", None, None),
            )
        )
    return result


def _expand(coordinate: Coordinate, length: int) -> list[object]:
    return coordinate.values if coordinate.values is not None else [coordinate.constant] * length


def _data_rows(table: Table, measures: list[int], coordinates: list[int]) -> list[int]:
    """The rows that hold values: not blank, not a note, a section heading, a repeated header or 续表."""
    sheet = table.sheet
    rows = sheet.rows
    stub = table.stub
    header_stub = text_key(sheet.value(table.header_rows[0], stub))
    uncached_rows = {r for r, _c in sheet.uncached_formulas}
    seen_stub: dict[str, str] = {}  # a stub's verdict, by its text: returns repeat their labels
    kept: list[int] = []
    for r in range(table.first_data_row, len(rows)):
        row = rows[r]
        width = len(row)
        has_value = (
            any(c < width and row[c] is not None and row[c] != "" for c in measures) or r in uncached_rows
        )
        first = row[stub] if stub < width else None
        if isinstance(first, str) and first:
            verdict = seen_stub.get(first)
            if verdict is None:
                key = text_key(first)
                verdict = seen_stub[first] = (
                    "note"
                    if first[:1] in _NOTE_FIRST and is_note_row([first])
                    else "skip"
                    if key == header_stub or key.startswith("续表")
                    else "data"
                )
            if verdict == "note":
                break  # notes and signatures end the table
            if verdict == "skip":
                continue  # a table continued: 续表 and its header repeated
        if has_value:
            kept.append(r)
            continue
        if all(is_blank(v) for v in row):
            continue  # a blank spacer row
        if is_note_row(row):
            break
        if any(c < width and not is_blank(row[c]) for c in coordinates):
            kept.append(r)  # named, but no value: reported as missing
    return kept
