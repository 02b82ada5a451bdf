"""Checking raw values against the registry: every value named, placed, dated and converted to its indicator's
unit. All problems are found in one pass and reported by sheet and cell, in Chinese and English.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import functools
import itertools
import math
import operator
import re
import sys
from array import array
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import compress, repeat
from operator import attrgetter, itemgetter
from typing import Any, NamedTuple, TypeVar, overload

from loaders.columns import Coordinate, ValueColumn
from loaders.grid import ref
from loaders.labels import TOTAL_WORDS, text_key
from loaders.totals import UnclearTotal, region_written
from loaders.values import NumberReading, format_percent, read_flags, read_number, read_period, report_note
from qtm.config import current as settings
from qtm.formatting import unit_symbol, value_text
from qtm.observations import NO_FLAGS, Observation
from qtm.periods import Period
from qtm.problems import Report
from qtm.registry import Indicator, Registry
from qtm.units import convert, converts, normalise_text

_MISSING = object()
#: Areas returns list beside the divisions that have no GB/T 2260 code: 兰州新区, 高新区, 经开区, 省本级 ….
_FUNCTIONAL_AREA = re.compile(r"(新区|开发区|高新区|经开区|综保区|保税区|园区|工业园|示范区|本级|省直|市直)$")
_INF = float("inf")
T = TypeVar("T")
#: From this many blank values on, a return is a template filled in part: one summary line, not one per row.
BLANK_SUMMARY_AT = 5
#: What a value of each kind can plausibly be, in a unit of the kind: beyond ``error`` it is refused
#: (``implausible_value``), beyond ``warning`` questioned (``unusually_large_value``). Rates are bounded by 0–100 %.
PLAUSIBLE: dict[str, tuple[str, float, float]] = {
    "count": ("count", 1e6, 1e9),  # a million factories in one region is already more than any has
    "duration": ("hour", 1e5, 1e6),  # 11 years between failures is suspicious, 114 years impossible
    "index": ("dimensionless", 1e3, 1e6),  # index scores are a few hundred points at most
}


def _shown(value: float, indicator: Indicator) -> str:
    """A value with its unit for a message; an absurdly large one in short (1e+300 h, not 300 digits)."""
    if math.isfinite(value) and abs(value) < 1e15:
        return value_text(value, indicator)
    return f"{value:.6g} {indicator.unit}"


def _display(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return normalise_text(str(value))


class Checker:
    """Turns columns of values into observations. Every name, period and unit is resolved once per distinct
    spelling, so a return of 100 000 rows costs little more than one pass over its values."""

    def __init__(self, registry: Registry, report: Report, today: dt.date) -> None:
        self.registry = registry
        self.report = report
        self.today = today
        self._indicators: dict[object, Indicator | None] = {}
        self._regions: dict[object, str | None] = {}
        self._periods: dict[object, Period | None] = {}
        self._factors: dict[tuple[str, str], float | None] = {}
        #: How values are converted and judged, by indicator id, unit written and unit shown in the cell.
        self._plans: dict[tuple[str, str, str | None], _Plan] = {}
        self._ceilings = _Ceilings(self)
        self._unknown_indicators: dict[str, tuple[str | None, str | None]] = {}
        self._known_seen = False
        self._keys = _Keys()  # the indicator, region and period of every observation so far
        self._values = array("d")  # and its value
        #: Where each observation's value was written, in the order they were made.
        self.places = Places()
        self._limits: dict[str, tuple[float, float] | None] = {}
        self._blank_cells: list[tuple[str | None, str, int]] = []  # sheet, cell, row

    # ---- lookups, cached by spelling ----------------------------------------------------------------------------

    def indicator(self, written: object) -> Indicator | None:
        found = self._indicators.get(written, _MISSING)
        if found is _MISSING:
            found = self.registry.resolve_indicator(_display(written)) if not _blank(written) else None
            self._indicators[written] = found
        return found  # type: ignore[return-value]

    def region(self, written: object) -> str | None:
        found = self._regions.get(written, _MISSING)
        if found is _MISSING:
            region = (
                None if isinstance(written, UnclearTotal) else region_written(self.registry.regions, written)
            )
            found = region.code if region is not None else None
            self._regions[written] = found
        return found  # type: ignore[return-value]

    def period(self, written: object) -> Period | None:
        found = self._periods.get(written, _MISSING)
        if found is _MISSING:
            found = read_period(written)
            self._periods[written] = found
        return found  # type: ignore[return-value]

    def _period_begun(self, written: object) -> Period | None:
        """The period, unless it has not started yet (reported as future_period)."""
        period = self.period(written)
        return period if period is not None and period.start <= self.today else None

    def factor(self, unit: str, indicator: Indicator) -> float | None:
        """Multiplier from ``unit`` to the indicator's unit, or None when it does not convert."""
        key = (unit, indicator.unit)
        found = self._factors.get(key, _MISSING)
        if found is _MISSING:
            found = None
            if converts(unit, indicator.unit) and convert(0.0, unit, indicator.unit) == 0:
                found = convert(1.0, unit, indicator.unit)
            self._factors[key] = found
        return found  # type: ignore[return-value]

    def rate_ceiling(self, indicator_id: str) -> float:
        """100 % in the indicator's own unit (100 for percent, 1 for a fraction)."""
        return 1.0 / convert(1.0, self.registry.indicators[indicator_id].unit, "dimensionless")

    # ---- one column of values, step by step ----------------------------------------------------------------

    def check_column(self, column: ValueColumn) -> list[Observation]:
        """The column's observations, in the order of its values (where each was written goes to :attr:`places`).

        Columnar: each step is one pass over the whole column and hands its result to the next — the values read
        as numbers, those whose indicator, region and period are known, each converted to its indicator's unit and
        judged, then the observations. Every name, unit and factor is looked up once per distinct spelling."""
        coordinates = self._coordinates(column)
        numbers = self._numbers(column, coordinates.indicators)
        located = self._located(column, coordinates, numbers)
        del coordinates, numbers
        return self._observations(column, self._converted(column, located))

    def _coordinates(self, column: ValueColumn) -> _Coordinates:
        size = len(column.values)
        return _Coordinates(
            self._resolve(column.indicator, self.indicator, size, None),
            self._resolve(column.region, self.region, size, None),
            self._resolve(column.period, self._period_begun, size, None),
            self._resolve(column.unit, _unit_text, size, ""),
            self._resolve(column.flags, self._flag_set, size, NO_FLAGS),
            self._resolve(column.source, _source_text, size, None),
        )

    def _numbers(self, column: ValueColumn, indicators: list[Indicator | None]) -> _Numbers:
        """The column's numbers as the official sees them: a cell holding a finite number as it is (a
        percent-formatted one as the percentage it shows), any other read from what is written in it — or
        reported, and left out (a formula never calculated, blank, a no-data mark, an error value, text)."""
        values, percent = column.values, column.percent
        if _finite_numbers(values):  # the usual column: numbers only, converted as a whole
            return _Numbers(range(len(values)), *_Percentages().shown(values, percent))  # type: ignore[arg-type]
        indices: list[int] = []
        found = _Numbers(indices, [], [], [])
        for index, value in enumerate(values):
            kind = type(value)
            number: float
            as_written: str | None
            cell_unit: str | None
            if (kind is float or kind is int) and _finite(value):  # type: ignore[arg-type]
                number, as_written, cell_unit = value, None, None  # type: ignore[assignment]
                if index in percent:
                    (number, as_written), cell_unit = _Percentages.one(number, percent[index]), "%"
            else:
                reading = self._reading(column, index, value, indicators[index])
                if reading is None or reading.value is None:
                    continue
                number, as_written, cell_unit = reading.value, reading.as_written, reading.unit_in_cell
            indices.append(index)
            found.numbers.append(number)
            found.written.append(as_written)
            found.cell_units.append(cell_unit)
        return found

    def _reading(
        self, column: ValueColumn, index: int, value: object, indicator: Indicator | None
    ) -> NumberReading | None:
        """A cell holding no plain number, read as written; None, with the problem reported, when it holds no
        number to store. A row left blank is counted (summed up in one line if many), not reported here."""
        report, sheet = self.report, column.sheet
        if index in column.uncached and _blank(value):
            report.error(
                "formula_without_value",
                "公式单元格没有计算结果（请在 Excel 中重新计算并保存）",
                "a formula with no cached value (recalculate and save the workbook in Excel)",
                sheet,
                column.cell(index),
            )
            return None
        reading = read_number(value, column.percent.get(index))
        if reading.missing:
            if indicator is not None and _blank(value):
                self._blank_cells.append((sheet, column.cell(index), column.rows[index]))
            elif indicator is not None:
                report.warning(
                    "missing_value",
                    f"无数据（“{reading.as_written or '空白'}”），该值未导入",
                    f"no value ({reading.as_written or 'blank'!r}); not imported",
                    sheet,
                    column.cell(index),
                )
            return None
        if reading.error_value:
            report.error(
                "cell_error",
                f"单元格为错误值 {reading.as_written}（公式出错或结果不是有限数值），不是数值",
                f"the cell holds the error value {reading.as_written} (a formula that failed or whose "
                "result is not a finite number), not a number",
                sheet,
                column.cell(index),
            )
        elif reading.not_finite:
            report.error(
                "value_not_finite",
                f"“{reading.as_written}”不是有限数值",
                f"{reading.as_written!r} is not a finite number",
                sheet,
                column.cell(index),
            )
        elif reading.not_a_number or reading.value is None:
            report.error(
                "not_a_number",
                f"“{reading.as_written}”不是数值",
                f"{reading.as_written!r} is not a number",
                sheet,
                column.cell(index),
            )
        else:
            report_note(report, reading, sheet, column.cell(index))  # '97.8①': read as 97.8, noted
            return reading
        return None

    def _located(self, column: ValueColumn, coordinates: _Coordinates, numbers: _Numbers) -> _Located:
        """The numbers whose indicator, region and period are known, with their coordinates; why the others' are
        not is reported at the cell to blame."""
        indicators, regions, periods = coordinates.indicators, coordinates.regions, coordinates.periods
        indices = numbers.indices
        known = [
            indicators[i] is not None and regions[i] is not None and periods[i] is not None for i in indices
        ]
        if not all(known):
            for index, is_known in zip(indices, known, strict=True):
                if not is_known:
                    self._coordinate_problems(
                        column, index, indicators[index], regions[index], periods[index]
                    )
        kept = list(compress(indices, known))
        if kept:
            self._known_seen = True
        return _Located(
            kept,
            list(compress(numbers.numbers, known)),
            list(compress(numbers.written, known)),
            list(compress(numbers.cell_units, known)),
            *(_taken(values, kept) for values in _fields(coordinates)),
        )

    def _converted(self, column: ValueColumn, located: _Located) -> tuple[_Located, list[float]]:
        """The located numbers in their indicator's unit: those kept, and their values. A value whose unit does not
        fit, or that its indicator cannot have, is reported and left out. One plan per indicator and unit; a value
        inside its plan's plain range needs no further look."""

        def keys() -> Iterator[tuple[str, str, str | None]]:  # made as needed: no list of 100 000 tuples
            return zip(map(_ID, located.indicators), located.units, located.cell_units, strict=True)

        plan_of = {
            key: self._plans.get(key) or self._plan(indicator, key[1], key[2])
            for key, indicator in dict(zip(keys(), located.indicators, strict=True)).items()
        }
        plans = list(map(plan_of.__getitem__, keys()))
        values = [
            number * plan.factor if plan.factor is not None else _INF
            for number, plan in zip(located.numbers, plans, strict=True)
        ]
        plain = [
            plan.low <= value <= plan.high and (not plan.whole or value.is_integer())
            for value, plan in zip(values, plans, strict=True)
        ]
        if all(plain):
            return located, values
        for position, is_plain in enumerate(plain):
            if not is_plain:
                plain[position] = self._judged(column, located, position, values[position], plans[position])
        return located.kept(plain), list(compress(values, plain))

    def _plan(self, indicator: Indicator, unit_text: str, cell_unit: str | None) -> _Plan:
        """How values of ``indicator`` written in ``unit_text`` (or showing ``cell_unit``) are converted, and the
        range inside which a converted value is plain: nothing to report, nothing to look at further."""
        unit = cell_unit or unit_text or indicator.unit  # no unit written: the indicator's own
        conflict = bool(
            cell_unit and unit_text and unit_text != cell_unit and not converts(unit_text, cell_unit)
        )
        factor = None if conflict else self.factor(unit, indicator)
        low, high, whole = 0.0, sys.float_info.max, False
        if indicator.kind == "rate":  # 0–100 %, and above 1 % (0.978 under a % unit warns)
            ceiling = self._ceilings[indicator.id]
            low, high = math.nextafter(ceiling / 100, _INF), ceiling
        else:
            limits = self._limits.get(indicator.id, _MISSING)
            if limits is _MISSING:
                limits = self._limits[indicator.id] = _limits(indicator)
            if limits is not None:  # the unusual and the impossible are judged one by one
                high, whole = limits[0], indicator.kind == "count"  # type: ignore[index]
        plan = self._plans[(indicator.id, unit_text, cell_unit)] = _Plan(factor, unit, low, high, whole)
        return plan

    def _unit_problem(
        self, column: ValueColumn, index: int, indicator: Indicator, unit_text: str, cell_unit: str | None
    ) -> None:
        """A value whose unit conflicts with the cell's, or does not convert to its indicator's."""
        sheet = column.sheet
        if cell_unit and unit_text and unit_text != cell_unit and not converts(unit_text, cell_unit):
            self.report.error(
                "unit_conflict",
                f"单元格显示“{cell_unit}”，但计量单位为“{unit_text}”",
                f"the cell shows {cell_unit!r} but the unit is given as {unit_text!r}",
                sheet,
                column.cell(index),
            )
            return
        unit = cell_unit or unit_text or indicator.unit
        blamed = column.unit.where(index, column.rows[index]) if unit_text and not cell_unit else None
        self.report.error(
            "unit_mismatch",
            f"单位“{unit}”无法换算为指标“{indicator.name.zh}”的单位“{indicator.unit}”",
            f"unit {unit!r} does not convert to {indicator.unit!r}, the unit of {indicator.name.en}",
            sheet,
            blamed or column.cell(index),
        )

    def _judged(
        self, column: ValueColumn, located: _Located, position: int, value: float, plan: _Plan
    ) -> bool:
        """Whether a value outside its plan's plain range is kept: not when its unit does not fit, or when it is
        no finite number in its indicator's unit, or one its indicator cannot have (each reported); an unusual one
        is kept, with a warning."""
        index, indicator = located.indices[position], located.indicators[position]
        sheet, cell = column.sheet, column.cell(index)
        if plan.factor is None:
            self._unit_problem(
                column, index, indicator, located.units[position], located.cell_units[position]
            )
            return False
        if not math.isfinite(value):  # 1e308 天 in hours
            written = located.written[position]
            shown = written if written is not None else f"{located.numbers[position]:g}"
            self.report.error(
                "value_not_finite",
                f"{indicator.name.zh}“{shown}”（{plan.unit}）换算为{unit_symbol(indicator, 'zh') or indicator.unit}"
                "后超出可表示的范围",
                f"{indicator.name.en} {shown!r} ({plan.unit}) is too large to represent in "
                f"{unit_symbol(indicator) or indicator.unit}",
                sheet,
                cell,
            )
            return False
        if indicator.kind == "rate":
            return self._rate_judged(indicator, value, located.cell_units[position], sheet, cell)
        if value < 0:
            self.report.error(
                "negative_value",
                f"{indicator.name.zh}不能为负数（{_shown(value, indicator)}）",
                f"{indicator.name.en} cannot be negative ({_shown(value, indicator)})",
                sheet,
                cell,
            )
            return False
        return self._plausible(indicator, value, sheet, cell)

    def _rate_judged(
        self, indicator: Indicator, converted: float, cell_unit: str | None, sheet: str | None, cell: str
    ) -> bool:
        """A rate must lie within 0–100 %; one of at most 1 % under a % unit is questioned (a fraction typed where
        a percentage belongs?)."""
        ceiling = self._ceilings[indicator.id]
        if not 0 <= converted <= ceiling:
            self.report.error(
                "rate_out_of_range",
                f"{indicator.name.zh} {_shown(converted, indicator)} 超出 0–100% 范围",
                f"{indicator.name.en} {_shown(converted, indicator)} is outside 0–100 %",
                sheet,
                cell,
            )
            return False
        if 0 < converted <= ceiling / 100 and cell_unit != "%":
            self.report.warning(
                "rate_looks_like_fraction",
                f"{indicator.name.zh}为 {value_text(converted, indicator)}，是否应为 "
                f"{value_text(converted * 100, indicator)}？",
                f"{indicator.name.en} is {value_text(converted, indicator)}; did you mean "
                f"{value_text(converted * 100, indicator)}?",
                sheet,
                cell,
            )
        return True

    def _observations(
        self, column: ValueColumn, converted: tuple[_Located, list[float]]
    ) -> list[Observation]:
        """The observations of the converted values: the first of each indicator, region and period only (a
        repeat is reported, an error when its value differs); flags not understood are warned about once per
        cell. Where each was written goes to :attr:`places`."""
        located, values = converted
        earlier = self._keys.firsts(located.indicators, located.regions, located.periods)
        if earlier is not None:  # repeats: left out, and reported once the new values are in place
            new = [e is None for e in earlier]
            repeats = [
                (i, v, e) for i, v, e in zip(located.indices, values, earlier, strict=True) if e is not None
            ]
            located, values = located.kept(new), list(compress(values, new))
        self._values.extend(values)
        self.places.extend(column.sheet, column.column, map(column.rows.__getitem__, located.indices))
        if earlier is not None:
            for index, value, at in repeats:
                self._repeated(column, index, value, self._values[at], self.places[at])
        flags = located.flags
        if None in flags:  # words not understood: warned about once per cell, the value kept
            flags = [
                f if f is not None else self._flags(column.flags, i, column.sheet, column.rows[i])
                for f, i in zip(flags, located.indices, strict=True)
            ]
        fields = zip(
            map(_ID, located.indicators),
            located.regions,
            located.periods,
            values,
            [
                w if w is not None else _number_text(n)
                for w, n in zip(located.written, located.numbers, strict=True)
            ],
            [u or c or "" for u, c in zip(located.units, located.cell_units, strict=True)],
            flags,
            located.sources,
            strict=True,
        )
        return list(map(_observation, fields))

    def _repeated(self, column: ValueColumn, index: int, value: float, before: float, place: Place) -> None:
        """A value for an indicator, region and period already read: ``before``, at ``place``."""
        first_sheet, first_row, first_column = place
        first = ref(first_row, first_column)
        first = f"{first_sheet}!{first}" if first_sheet else first
        cell = column.cell(index)
        if before != value:
            self.report.error(
                "conflicting_duplicate",
                f"与 {first} 为同一指标、地区、统计期，但数值不同（{before:g} 与 {value:g}）",
                f"same indicator, region and period as {first} with a different value ({before:g} vs {value:g})",
                column.sheet,
                cell,
            )
        else:
            self.report.warning(
                "duplicate_row", f"与 {first} 重复，已忽略", f"repeats {first}; ignored", column.sheet, cell
            )

    def _plausible(self, indicator: Indicator, value: float, sheet: str | None, cell: str) -> bool:
        """False, with an error, for a value its kind cannot have: a count that is not a whole number or beyond a
        billion, a duration beyond a century, an index beyond a million; a warning for one merely unusual."""
        limits = self._limits.get(indicator.id)
        if limits is None:
            limits = self._limits[indicator.id] = _limits(indicator)
        if limits is None:
            return True
        warn_above, refuse_above = limits
        if (
            indicator.kind == "count"
            and not value.is_integer()
            and abs(value - round(value)) > 1e-9 * max(1.0, abs(value))
        ):
            self.report.error(
                "not_a_whole_number",
                f"{indicator.name.zh}应为整数（{_shown(value, indicator)}）",
                f"{indicator.name.en} must be a whole number ({_shown(value, indicator)})",
                sheet,
                cell,
            )
            return False
        if value > refuse_above:
            self.report.error(
                "implausible_value",
                f"{indicator.name.zh} {_shown(value, indicator)} 不可能（上限 {_shown(refuse_above, indicator)}）",
                f"{indicator.name.en} {_shown(value, indicator)} is impossible (the limit is "
                f"{_shown(refuse_above, indicator)})",
                sheet,
                cell,
            )
            return False
        if value > warn_above:
            self.report.warning(
                "unusually_large_value",
                f"{indicator.name.zh} {_shown(value, indicator)} 异常偏大，请核实单位和数值",
                f"{indicator.name.en} {_shown(value, indicator)} is unusually large; please check the value and "
                "its unit",
                sheet,
                cell,
            )
        return True

    @staticmethod
    def _resolve(coordinate: Coordinate, lookup: Callable[[object], T], size: int, unknown: T) -> list[T]:
        """The coordinate resolved for each of ``size`` values, by one lookup per distinct spelling (``unknown``
        where the column has none)."""
        if coordinate.values is not None:
            resolved = {v: lookup(v) for v in set(coordinate.values)}
            return list(map(resolved.__getitem__, coordinate.values))
        return [lookup(coordinate.constant) if coordinate.constant is not None else unknown] * size

    def _coordinate_problems(
        self,
        column: ValueColumn,
        index: int,
        indicator: Indicator | None,
        region: str | None,
        period: Period | None,
    ) -> None:
        """Report why a value has no indicator, region or period, at the cell to blame. Region and period are not
        judged for a value that belongs to no known indicator."""
        if indicator is None:
            self._no_indicator(column, index)
            return
        if region is None:
            self._no_region(column, index)
        if period is None:
            self._no_period(column, index)

    def _no_indicator(self, column: ValueColumn, index: int) -> None:
        report, sheet, row = self.report, column.sheet, column.rows[index]
        written = column.indicator.at(index)
        if _blank(written):
            report.error(
                "no_indicator",
                "无法确定该数值属于哪个指标（表中没有指标列、表头或标题说明）",
                "cannot tell which indicator this value is for (no indicator column, header or title)",
                sheet,
                column.indicator.where(index, row) or column.cell(index),
            )
        else:
            text = _display(written)
            self._unknown_indicators.setdefault(text, (sheet, column.indicator.where(index, row)))

    def _no_region(self, column: ValueColumn, index: int) -> None:
        report, sheet, row = self.report, column.sheet, column.rows[index]
        written = column.region.at(index)
        if _blank(written):
            report.error(
                "no_region",
                "无法确定该数值属于哪个地区（表中没有地区列，也没有“地区：…”说明）",
                "cannot tell which region this value is for (no region column, header or 地区： line)",
                sheet,
                column.region.where(index, row) or column.cell(index),
            )
        else:
            if isinstance(written, UnclearTotal):  # 合计, 全市 … whose area the return leaves unclear
                report.error("unknown_region", written.zh, written.en, sheet, column.region.where(index, row))
            else:
                self._unknown_region(_display(written), sheet, column.region.where(index, row))

    def _no_period(self, column: ValueColumn, index: int) -> None:
        report, sheet, row = self.report, column.sheet, column.rows[index]
        written = column.period.at(index)
        where = column.period.where(index, row) or column.cell(index)
        if _blank(written):
            report.error(
                "no_period",
                "无法确定该数值的统计期（表中没有统计期列、表头或标题说明）",
                "cannot tell which period this value is for (no period column, header or title)",
                sheet,
                where,
            )
        elif (parsed := self.period(written)) is not None:
            report.error(
                "future_period",
                f"统计期 {parsed} 尚未开始",
                f"period {parsed} has not started yet",
                sheet,
                where,
            )
        else:
            text = _display(written)
            report.error(
                "bad_period",
                f"无法识别的统计期“{text}”（应如 2024、2024年第一季度、2024年5月）",
                f"cannot read the period {text!r} (expected e.g. 2024, 2024Q1, 2024-05)",
                sheet,
                where,
            )

    def _unknown_region(self, text: str, sheet: str | None, cell: str | None) -> None:
        names = self.registry.regions.all_names()
        typo = difflib.get_close_matches(
            text, names, n=1, cutoff=0.75
        )  # 浦冬新区 is 浦东新区 mistyped, not a zone
        if _FUNCTIONAL_AREA.search(text_key(text)) and not typo:
            self.report.warning(
                "untracked_region",
                f"“{text}”是功能区或本级单位，不是行政区划，已跳过",
                f"{text!r} is a functional zone or a level's own office, not an administrative division; skipped",
                sheet,
                cell,
            )
            return
        if text_key(text) in TOTAL_WORDS:
            zh = f"“{text}”指本表所属地区，但表中未说明是哪个地区（请在表头上方注明“地区：…”）"
            en = f"{text!r} means the return's own area, which the return does not name (add 地区：… above the table)"
        else:
            hint = "、".join(difflib.get_close_matches(text, names, n=3, cutoff=0.5))
            zh = f"未知地区“{text}”" + (f"，是否为：{hint}" if hint else "")
            en = f"unknown region {text!r}" + (f"; did you mean: {hint}" if hint else "")
        self.report.error("unknown_region", zh, en, sheet, cell)

    def _flag_set(self, written: object) -> frozenset[str] | None:
        """The flags a cell states; None when it has words not understood (reported by :meth:`_flags`)."""
        if _blank(written):
            return NO_FLAGS
        flags, unknown = read_flags(written)
        return None if unknown else flags

    def _flags(self, coordinate: Coordinate, index: int, sheet: str | None, row: int) -> frozenset[str]:
        written = coordinate.at(index)
        if _blank(written):
            return NO_FLAGS
        flags, unknown = read_flags(written)
        if unknown:
            self.report.warning(
                "unknown_flag",
                f"无法识别的标记：{'、'.join(unknown)}（可用：初步、估计、修订、合成）",
                f"unknown flag(s) {', '.join(unknown)} (known: provisional, estimated, revised, synthetic)",
                sheet,
                coordinate.where(index, row),
            )
        return flags

    def finish(self) -> None:
        """Report unknown indicators: an error when close to a known name or when nothing in the file is known;
        otherwise a warning (a 综合表 carries many rows the registry does not track)."""
        blanks = self._blank_cells
        if len(blanks) >= BLANK_SUMMARY_AT:  # a template filled in part, as its instructions allow
            first_sheet, first_cell, _row = blanks[0]
            count = len({(sheet, row) for sheet, _cell, row in blanks})
            self.report.warning(
                "rows_left_blank",
                f"{count} 行未填（自 {first_cell} 起），未导入",
                f"{count} rows left blank (from {first_cell}); not imported",
                first_sheet,
                first_cell,
            )
        else:
            for blank_sheet, blank_cell, _row in blanks:
                self.report.warning(
                    "missing_value",
                    "无数据（“空白”），该值未导入",
                    "no value ('blank'); not imported",
                    blank_sheet,
                    blank_cell,
                )
        names = self.registry.indicator_names()
        for text, (sheet, cell) in self._unknown_indicators.items():
            close = difflib.get_close_matches(text, names, n=3, cutoff=0.6)
            hint = "、".join(close)
            zh = f"未知指标“{text}”" + (f"，是否为：{hint}" if hint else "")
            en = f"unknown indicator {text!r}" + (f"; did you mean: {hint}" if hint else "")
            if close or not self._known_seen:
                self.report.error("unknown_indicator", zh, en, sheet, cell)
            else:
                self.report.warning(
                    "untracked_indicator",
                    zh + "，不在监测目录中，已跳过",
                    en + "; not tracked, skipped",
                    sheet,
                    cell,
                )


def _limits(indicator: Indicator) -> tuple[float, float] | None:
    """(warn above, refuse above) in the indicator's own unit, for its kind; None for a rate (0–100 %)."""
    plausible = PLAUSIBLE.get(indicator.kind)
    if plausible is None:
        return None
    unit, warn_above, refuse_above = plausible
    if not converts(unit, indicator.unit):
        return None
    return convert(warn_above, unit, indicator.unit), convert(refuse_above, unit, indicator.unit)


class _Ceilings(dict[str, float]):
    """100 % in each rate indicator's own unit, computed on first use."""

    def __init__(self, checker: Checker) -> None:
        super().__init__()
        self.checker = checker

    def __missing__(self, indicator_id: str) -> float:
        ceiling = self[indicator_id] = self.checker.rate_ceiling(indicator_id)
        return ceiling


Place = tuple[str | None, int, int]  # sheet, 0-based row and column


class Places(Sequence[Place]):
    """Where each observation's value was written (sheet, 0-based row and column), kept compactly: a row number per
    value, and a sheet and column per run of values from one column — a return of 100 000 rows has as many."""

    def __init__(self) -> None:
        self._rows = array("q")
        self._starts: list[int] = []  # where each run begins
        self._runs: list[tuple[str | None, int]] = []  # each run's sheet and column

    def extend(self, sheet: str | None, column: int, rows: Iterable[int]) -> None:
        """Values of ``column`` of ``sheet``, written in ``rows``."""
        start = len(self._rows)
        self._rows.extend(rows)
        if len(self._rows) > start and (not self._runs or self._runs[-1] != (sheet, column)):
            self._starts.append(start)
            self._runs.append((sheet, column))

    def append(self, place: Place) -> None:
        sheet, row, column = place
        self.extend(sheet, column, (row,))

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> Place: ...

    @overload
    def __getitem__(self, index: slice) -> list[Place]: ...

    def __getitem__(self, index: int | slice) -> Place | list[Place]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        row = self._rows[index]  # IndexError beyond the end
        if index < 0:
            index += len(self._rows)
        sheet, column = self._runs[bisect_right(self._starts, index) - 1]
        return sheet, row, column

    def __iter__(self) -> Iterator[Place]:
        ends = [*self._starts[1:], len(self._rows)] if self._starts else []
        for (sheet, column), start, end in zip(self._runs, self._starts, ends, strict=True):
            for row in self._rows[start:end]:
                yield sheet, row, column


@dataclass(frozen=True)
class _Coordinates:
    """A column's coordinates, resolved for each of its values by one lookup per distinct spelling."""

    indicators: list[Indicator | None]
    regions: list[str | None]
    periods: list[Period | None]
    units: list[str]
    flags: list[frozenset[str] | None]  # None: words not understood, warned about at the cell
    sources: list[str | None]


@dataclass(frozen=True)
class _Numbers:
    """The values of a column read as numbers, as parallel lists: the value's index in the column, the number as
    the official sees it, how it was written (None: as the number shows it), and a unit shown in the cell (97.8% or
    a percent format: "%")."""

    indices: Sequence[int]
    numbers: list[float]
    written: list[str | None]
    cell_units: list[str | None]


@dataclass(frozen=True)
class _Located:
    """The numbers of a column whose indicator, region and period are known, as parallel lists, one item per
    value: its index in the column, the number as the official sees it, its text (None: as the number shows it),
    the unit shown in its cell, and its coordinates."""

    indices: list[int]
    numbers: list[float]
    written: list[str | None]
    cell_units: list[str | None]
    indicators: list[Indicator]
    regions: list[str]
    periods: list[Period]
    units: list[str]  # written in a unit column, header or context; "" where none is
    flags: list[frozenset[str] | None]
    sources: list[str | None]

    def kept(self, mask: list[bool]) -> _Located:
        """The values where ``mask`` is true."""
        return _Located(*(list(compress(values, mask)) for values in _fields(self)))


class _Plan(NamedTuple):
    """How values of one indicator written in one unit are converted (``factor``; None: they cannot be), and the
    range inside which a converted value is plain: ``low``–``high``, and a whole number where ``whole``."""

    factor: float | None
    unit: str
    low: float
    high: float
    whole: bool


class _Keys:
    """Which indicator, region and period have a value already, and at which observation. Each key is kept as one
    integer — numbering the distinct indicator ids, region codes and period texts, a few thousand at most (only
    those of the registry reach here) — in a set, rather than as a tuple of three texts in a dict: where a key was
    first seen is looked for only when a key comes again, which in most returns it never does."""

    _BITS = 21  # per part of a key: room for two million distinct ids, codes and periods

    def __init__(self) -> None:
        self._numbers: dict[str, int] = {}
        self._seen: set[int] = set()
        self._codes = array("q")  # of every observation so far, in order

    def firsts(
        self, indicators: list[Indicator], regions: list[str], periods: list[Period]
    ) -> list[int | None] | None:
        """For each value, the observation that first had its indicator, region and period; None for a value that
        is the first (and becomes the next observation). None altogether when every value is the first, as in any
        return without repeats."""
        codes = self._codes_of(indicators, regions, periods)
        before = len(self._seen)
        self._seen.update(codes)
        if len(self._seen) - before == len(codes):  # all new, none twice
            self._codes.extend(codes)
            return None
        where: dict[int, int] = {}  # as it was before this column: each key's first observation
        for index, code in enumerate(self._codes):
            where.setdefault(code, index)
        earlier: list[int | None] = []
        for code in codes:
            found = where.get(code)
            if found is None:
                where[code] = len(self._codes)
                self._codes.append(code)
            earlier.append(found)
        self._seen = set(where)
        return earlier

    def _codes_of(self, indicators: list[Indicator], regions: list[str], periods: list[Period]) -> list[int]:
        numbers = self._numbers
        ids, texts = list(map(_ID, indicators)), list(map(_TEXT, periods))
        for text in {*ids, *regions, *texts}:
            numbers.setdefault(text, len(numbers))
        if len(numbers) >= 1 << self._BITS:
            raise ValueError("more distinct indicators, regions and periods than a key can number")
        number, bits = numbers.__getitem__, self._BITS
        high = map(operator.lshift, map(number, ids), repeat(2 * bits))
        middle = map(operator.lshift, map(number, regions), repeat(bits))
        return list(map(operator.or_, map(operator.or_, high, middle), map(number, texts)))


class _Percentages:
    """The percentage a percent-formatted cell shows, and its text (0.978 under "0.0%": 97.8 and "97.8%"), worked
    out once per distinct value and format — for the first few thousand: returns repeat their rates."""

    _KEPT = 4096

    def __init__(self) -> None:
        self._shown: dict[tuple[float, str], tuple[float, str]] = {}

    @staticmethod
    def one(value: float, number_format: str) -> tuple[float, str]:
        number = round(value * 100, 12)
        return number, format_percent(number, number_format)

    def shown(
        self, values: list[float], percent: dict[int, str]
    ) -> tuple[list[float], list[str | None], list[str | None]]:
        """``values`` as the official sees them — the ``percent`` cells (index → format) as the percentages they
        show —, their texts (None: as the number shows it) and the units shown in their cells."""
        numbers = list(values)
        written: list[str | None] = [None] * len(values)
        cell_units: list[str | None] = [None] * len(values)
        shown, one, kept = self._shown, self.one, self._KEPT
        for index, number_format in percent.items():
            value = numbers[index]
            found = shown.get((value, number_format)) if value else None  # 0.0 and -0.0 show apart: "-0.0%"
            if found is None:
                found = one(value, number_format)
                if value and len(shown) < kept:
                    shown[(value, number_format)] = found
            numbers[index], written[index] = found
            cell_units[index] = "%"
        return numbers, written, cell_units


_NUMBER_TYPES = frozenset({float, int})


def _finite_numbers(values: list[object]) -> bool:
    """Whether every value is a finite float or int (no bool, text or blank), told in two passes made in C: an
    infinity or NaN anywhere makes the sum infinite or NaN (an overflowing sum only sends the column the slow way)."""
    if not values or not set(map(type, values)) <= _NUMBER_TYPES:
        return False
    try:
        return math.isfinite(sum(values))  # type: ignore[arg-type]
    except OverflowError:
        return False


def _finite(number: float) -> bool:
    return number - number == 0  # False for an infinity and NaN


_ID = attrgetter("id")
_PERIOD = itemgetter(2)  # of an observation
_FIRST_FOUR = itemgetter(0, 1, 2, 3)  # of an observation: indicator, region, period, value
_TEXT = attrgetter("text")
#: An observation made from the tuple of its fields, in C (a NamedTuple's own constructor is Python code).
_observation: Callable[[tuple[object, ...]], Observation] = functools.partial(tuple.__new__, Observation)


def _fields(instance: object) -> list[Any]:
    """The fields of a dataclass instance, as they are (``dataclasses.astuple`` would copy them)."""
    return [getattr(instance, f.name) for f in dataclasses.fields(instance)]  # type: ignore[arg-type]


def _taken(values: list[T], indices: list[int]) -> list[T]:
    """``values`` at ``indices`` (increasing): all of them, as they are, when ``indices`` is every index."""
    if len(indices) == len(values):
        return values
    return list(map(values.__getitem__, indices))


def _number_text(number: float) -> str:
    """A number read from a cell as a person sees it: 12, not 12.0."""
    return str(int(number)) if float(number).is_integer() else repr(float(number))


def _unit_text(value: object) -> str:
    return _display(value) if value is not None else ""


def _source_text(value: object) -> str | None:
    return _display(value) or None


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def check_columns(
    columns: Iterable[ValueColumn],
    registry: Registry,
    report: Report,
    today: dt.date,
    previous: set[int] | None = None,
) -> tuple[list[Observation], Places]:
    """Observations in their indicators' units, and where each came from; problems go into ``report``.
    ``previous`` receives the indices of the observations read from a 上年实际 column. Each column is let go of
    once checked: ``columns`` may hand them out one by one (see :func:`loaders.ingest.read_return`)."""
    checker = Checker(registry, report, today)
    observations: list[Observation] = []
    for column in columns:
        found = checker.check_column(column)
        if column.previous and previous is not None:
            previous.update(range(len(observations), len(observations) + len(found)))
        observations.extend(found)
        del column, found
    checker.finish()
    return observations, checker.places


def jump_points() -> float:
    return settings().jump_points


def plausibility_warnings(
    observations: list[Observation],
    places: Sequence[Place],
    stored: Iterable[Observation],
    registry: Registry,
    report: Report,
) -> None:
    """Warnings that need the whole series: a jump of more than ``QTM_JUMP_POINTS`` points in a rate or index
    between consecutive periods, and a running total that falls."""
    limit = jump_points()
    watched = {
        i.id: (i.kind in ("rate", "index"), i.cumulative)
        for i in registry.indicators.values()
        if i.kind in ("rate", "index") or i.cumulative
    }
    for (indicator_id, _region, _frequency), points in _series(observations, stored, watched).items():
        if len(points) < 2:
            continue
        jumps, cumulative = watched[indicator_id]
        indicator = registry.indicators[indicator_id]
        points.sort(key=itemgetter(0))
        for (_k0, p0, v0, i0), (_k1, p1, v1, i1) in itertools.pairwise(points):
            jumped, fell = jumps and abs(v1 - v0) > limit, cumulative and v1 < v0
            blamed = i1 if i1 is not None else i0
            if not (jumped or fell) or blamed is None:
                continue
            sheet, row, column = places[blamed]
            if jumped:
                report.warning(
                    "implausible_jump",
                    f"{indicator.name.zh}从 {p0} 的 {v0:g} 变为 {p1} 的 {v1:g}，变动超过 {limit:g} 个点，请核实",
                    f"{indicator.name.en} moves from {v0:g} ({p0}) to {v1:g} ({p1}), more than {limit:g} points; "
                    "please check",
                    sheet,
                    ref(row, column),
                )
            if fell:
                report.warning(
                    "cumulative_fell",
                    f"累计数{indicator.name.zh}从 {p0} 的 {v0:g} 降为 {p1} 的 {v1:g}，请核实",
                    f"the running total {indicator.name.en} falls from {v0:g} ({p0}) to {v1:g} ({p1}); please check",
                    sheet,
                    ref(row, column),
                )


_Point = tuple[
    tuple[dt.date, dt.date], Period, float, int | None
]  # when, period, value, observation (or stored)


def _series(
    observations: list[Observation], stored: Iterable[Observation], watched: dict[str, tuple[bool, bool]]
) -> dict[tuple[str, str, str], list[_Point]]:
    """The watched observations by indicator, region and frequency, with the stored values of the same series
    for the periods the file does not hold. Each period's place in time is worked out once (by identity: the
    observations share their periods, which hash slowly)."""
    series: dict[tuple[str, str, str], list[_Point]] = defaultdict(list)
    periods = dict(zip(map(id, map(_PERIOD, observations)), map(_PERIOD, observations), strict=True))
    when = {key: (period.sort_key(), period.frequency) for key, period in periods.items()}
    for index, (indicator, region, period, value) in enumerate(map(_FIRST_FOUR, observations)):
        if indicator in watched:
            key, frequency = when[id(period)]
            series[(indicator, region, frequency)].append((key, period, value, index))
    stored = [o for o in stored if o.indicator in watched]
    incoming = (
        {(o.indicator, o.region, o.period.text) for o in observations if o.indicator in watched}
        if stored
        else set()
    )
    for o in stored:
        if (o.indicator, o.region, o.period.text) not in incoming:
            key = (o.indicator, o.region, o.period.frequency)
            if key in series:
                series[key].append((o.period.sort_key(), o.period, o.value, None))
    return series
