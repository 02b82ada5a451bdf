"""The values of a table, column by column, each with its coordinates.

A value's indicator, region, period and unit come from, in order: its row (a column such as 指标名称 or 地区), its
column header (a period such as 2024年, an indicator such as 合格率(%), a region), and the sheet's context. So one
reader serves long tables (one value a row) and wide ones (regions or indicators down, periods or indicators across).
The work is columnar: a return of 100 000 rows costs a few list comprehensions per column, not work per cell.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from loaders.grid import is_blank, ref
from loaders.labels import NOTE_FIRST, is_note_row, split_unit, stub_text, text_key, without_office
from loaders.tables import Column, Filled, Table
from loaders.totals import Area

_T = TypeVar("_T")


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
    previous: bool = False  # 上年实际: the previous period's values, stored only where the store has none

    def cell(self, index: int) -> str:
        return ref(self.rows[index], self.column)


def table_columns(table: Table, jurisdiction: Area | None) -> list[ValueColumn]:
    """The table's values, column by column, each with its coordinates (columnar: a return of 100 000 rows is
    handled with a few list comprehensions per column rather than work per cell)."""
    measures = [c for c in table.columns if c.is_measure]
    if not measures:
        return []
    field_column = {
        c.field: c.index for c in table.columns if c.field and c.field not in ("value", "ignored")
    }
    coordinate_columns = [field_column[f] for f in ("indicator", "region", "period") if f in field_column]
    data_rows = _data_rows(table, [c.index for c in measures], coordinate_columns)
    if not data_rows:
        return []
    extract = _extractor(table, data_rows)
    row_values = {name: extract(column) for name, column in field_column.items()}
    unit_from_label = _indicator_labels(row_values)
    if "region" in row_values:  # 兰州市市场监督管理局: the area the office reports for
        row_values["region"] = _areas_of_offices(row_values["region"], jurisdiction)
    # 全国, 合计, 全省 …: the country, the return's area
    if "region" in row_values and jurisdiction is not None:
        row_values["region"] = jurisdiction.totals(row_values["region"])
    sheet = table.sheet
    percent_by_column = _by_column(sheet.percent_formats)
    uncached_by_column = _by_column(dict.fromkeys(sheet.uncached_formulas, True))
    result: list[ValueColumn] = []
    for measure in measures:
        c = measure.index
        values = extract(c)
        coordinates = _Coordinates(table, measure, field_column, row_values)
        unit = coordinates.of("unit", measure.unit)
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
                _at_rows(percent_by_column.get(c), data_rows),
                set(_at_rows(uncached_by_column.get(c), data_rows)),
                coordinates.of("indicator", measure.indicator.id if measure.indicator else measure.named),
                coordinates.of("region", measure.region.code if measure.region else None),
                coordinates.of("period", measure.period.text if measure.period else None),
                unit,
                coordinates.of("flags", None),
                coordinates.of("source", None),
                measure.previous,
            )
        )
    return result


def _by_column(cells: dict[tuple[int, int], _T]) -> dict[int, dict[int, _T]]:
    """Per column, row → what ``cells`` hold there: grouped once per table, so that a column of values with no
    percent format or formula (the usual case) costs nothing, and one with a few costs a look-up per row."""
    found: dict[int, dict[int, _T]] = {}
    for (row, column), held in cells.items():
        found.setdefault(column, {})[row] = held
    return found


def _at_rows(column_cells: dict[int, _T] | None, data_rows: list[int]) -> dict[int, _T]:
    """Index (in ``data_rows``) → what ``column_cells`` hold in that row, for the data rows that hold any."""
    if not column_cells:
        return {}
    return {i: column_cells[r] for i, r in enumerate(data_rows) if r in column_cells}


def _indicator_labels(row_values: dict[str, list[object]]) -> list[object] | None:
    """Indicator cells without hierarchy prefixes and units ('（一）制造业产品质量合格率（%）' → the indicator), set
    in ``row_values``; the units they carried, row by row, or None when none did."""
    if "indicator" not in row_values:
        return None
    written = row_values["indicator"]
    labels = {v: split_unit(stub_text(v)) if isinstance(v, str) else (v, None) for v in set(written)}
    row_values["indicator"] = [labels[v][0] or v for v in written]
    if not any(unit is not None for _label, unit in labels.values()):
        return None
    return [labels[v][1] for v in written]


def _extractor(table: Table, data_rows: list[int]) -> Callable[[int], list[object]]:
    """A function giving a column's values in the data rows, merged cells filled from their first cell."""
    rows = table.sheet.rows
    filled = Filled(table.sheet) if table.sheet.merged else None
    fill = {k: v for k, v in filled.fill.items() if k[0] >= table.first_data_row} if filled else {}

    data = [rows[r] for r in data_rows]
    narrowest = min(map(len, data), default=0)

    def extract(column: int) -> list[object]:
        if column < narrowest:  # every row reaches the column (calamine's rows are all as wide as the sheet)
            values = [row[column] for row in data]
        else:
            values = [row[column] if column < len(row) else None for row in data]
        if fill:
            for index, r in enumerate(data_rows):
                if (r, column) in fill and is_blank(values[index]):
                    values[index] = fill[(r, column)]
        return values

    return extract


#: The coordinates a table's context may state (its title, 地区：… and 计量单位：… lines, notes saying 初步统计数).
_STATED = ("indicator", "region", "period", "unit", "flags")


class _Coordinates:
    """The coordinates of one column of values: from its row (a column of labels), else its header, else the
    table's context; a coordinate written nowhere points at the whole table (its cell range), which is what a
    message about it names."""

    def __init__(
        self, table: Table, measure: Column, field_column: dict[str, int], row_values: dict[str, list[object]]
    ) -> None:
        self.table, self.field_column, self.row_values = table, field_column, row_values
        self.header_cell = measure.header_cell or ref(table.header_rows[0], measure.index)

    def of(self, name: str, header_value: object) -> Coordinate:
        context = getattr(self.table.context, name) if name in _STATED else None
        constant, cell = (
            (header_value, self.header_cell) if header_value is not None else (context or (None, None))
        )
        column = self.field_column.get(name)
        values = self.row_values.get(name)
        if values is None:
            if constant is None and name in ("indicator", "region", "period"):
                return Coordinate(None, None, None, self.table.span)
            return Coordinate(None, None, constant, cell)
        if constant is None:
            return Coordinate(column, values, None, None)
        blanks = frozenset(i for i, v in enumerate(values) if is_blank(v))
        if blanks:
            values = [constant if i in blanks else v for i, v in enumerate(values)]
        return Coordinate(column, values, constant, cell, blanks)


def _areas_of_offices(written: list[object], jurisdiction: Area | None) -> list[object]:
    """Region cells with each reporting office (兰州市市场监督管理局, 天水市市场监管局) replaced by the area it
    reports for, when that is a known region; other cells unchanged. One look-up per distinct spelling."""
    areas: dict[object, object] = {}
    for value in set(written):
        if isinstance(value, str):
            key = stub_text(value)
            area = without_office(key)
            if area != key and (jurisdiction is None or jurisdiction.regions.resolve(area) is not None):
                areas[value] = area
    return [areas.get(v, v) for v in written] if areas else written


def _expand(coordinate: Coordinate, length: int) -> list[object]:
    return coordinate.values if coordinate.values is not None else [coordinate.constant] * length


def _data_rows(table: Table, measures: list[int], coordinates: list[int]) -> list[int]:
    """The rows that hold values: not blank, not a note, a section heading, a repeated header or 续表; up to the
    table's end and in its columns (another table may stand below or beside it)."""
    sheet = table.sheet
    rows = sheet.rows
    stub, left, right = table.stub, table.left, table.right
    header_stub = next(
        (text_key(v) for r in table.header_rows if not is_blank(v := sheet.value(r, stub))), ""
    )
    uncached_rows = {r for r, _c in sheet.uncached_formulas}
    seen_stub: dict[str, str] = {}  # a stub's verdict, by its text: returns repeat their labels
    kept: list[int] = []
    only = measures[0] if len(measures) == 1 else None  # the usual long table: one column of values
    for r in range(table.first_data_row, len(rows) if table.end is None else table.end):
        row = rows[r]
        width = len(row)
        if only is not None:
            value = row[only] if only < width else None
            has_value = value is not None and value != ""
        else:
            has_value = any(c < width and row[c] is not None and row[c] != "" for c in measures)
        if uncached_rows and not has_value:
            has_value = r in uncached_rows
        first = row[stub] if stub < width else None
        if isinstance(first, str) and first:
            verdict = seen_stub.get(first)
            if verdict is None:
                key = text_key(first)
                verdict = seen_stub[first] = (
                    "note"
                    if first[:1] in NOTE_FIRST and is_note_row([first])
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
        if all(is_blank(v) for v in row[left : right + 1]):
            continue  # a blank spacer row
        if is_note_row(row[left:]):
            break
        if any(c < width and not is_blank(row[c]) for c in coordinates):
            kept.append(r)  # named, but no value: reported as missing
    return kept
