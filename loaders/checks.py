"""Checking raw values against the registry: every value named, placed, dated and converted to its indicator's
unit. All problems are found in one pass and reported by sheet and cell, in Chinese and English.
"""

from __future__ import annotations

import datetime as dt
import difflib
import itertools
import math
import os
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import TypeVar

from loaders.columns import Coordinate, ValueColumn
from loaders.grid import ref
from loaders.labels import TOTAL_WORDS, text_key
from loaders.values import format_percent, read_flags, read_number, read_period
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
DEFAULT_JUMP_POINTS = 10.0
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
        self._factors_by_id: dict[tuple[str, str], object] = {}
        self._ceilings = _Ceilings(self)
        self._unknown_indicators: dict[str, tuple[str | None, str | None]] = {}
        self._known_seen = False
        self._seen: dict[tuple[str, str, str], tuple[float, str | None, int, int]] = {}
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
            text = "".join(_display(written).split())
            region = self.registry.regions.resolve(text) if text else None
            if region is None and len(text) > 6 and text[:6].isdigit():  # '310118青浦区'
                region = self.registry.regions.resolve(text[:6]) or self.registry.regions.resolve(text[6:])
            if region is None and ("(" in text or "（" in text):  # '兰州市（含兰州新区）'
                region = self.registry.regions.resolve(re.sub(r"[（(][^）)]*[）)]", "", text))
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

    # ---- one column of values -------------------------------------------------------------------------------

    def check_column(
        self, column: ValueColumn, out: list[Observation], places: list[tuple[str | None, int, int]]
    ) -> None:
        report, sheet, rows = self.report, column.sheet, column.rows
        indicators = self._resolve(column.indicator, self.indicator)
        regions = self._resolve(column.region, self.region)
        periods = self._resolve(column.period, self._period_begun)
        units = column.unit
        unit_texts = self._resolve(units, _unit_text)
        flag_sets = self._resolve(column.flags, self._flag_set)
        sources = self._resolve(column.source, _source_text)
        percent, uncached = column.percent, column.uncached
        seen = self._seen
        factors: dict[tuple[str, str], object] = self._factors_by_id
        ceilings = self._ceilings
        known_seen = False
        for index, value in enumerate(column.values):
            number: float
            kind = type(value)
            if (kind is float or kind is int) and value == value and value not in (_INF, -_INF):
                assert isinstance(value, float | int)
                if index in percent:  # a cell that shows 97.8% holds 0.978: keep what the official sees
                    number = round(value * 100, 12)
                    as_written: str | None = format_percent(number, percent[index])
                    unit_in_cell: str | None = "%"
                else:
                    number, as_written, unit_in_cell = value, None, None
            else:
                if index in uncached and _blank(value):
                    report.error(
                        "formula_without_value",
                        "公式单元格没有计算结果（请在 Excel 中重新计算并保存）",
                        "a formula with no cached value (recalculate and save the workbook in Excel)",
                        sheet,
                        column.cell(index),
                    )
                    continue
                reading = read_number(value, percent.get(index))
                if reading.missing:
                    if indicators is not None and indicators[index] is not None:
                        if _blank(value):  # a row left blank: counted, summed up in one line if many
                            self._blank_cells.append((sheet, column.cell(index), rows[index]))
                            continue
                        report.warning(
                            "missing_value",
                            f"无数据（“{reading.as_written or '空白'}”），该值未导入",
                            f"no value ({reading.as_written or 'blank'!r}); not imported",
                            sheet,
                            column.cell(index),
                        )
                    continue
                if reading.error_value:
                    report.error(
                        "cell_error",
                        f"单元格为错误值 {reading.as_written}（公式出错或结果不是有限数值），不是数值",
                        f"the cell holds the error value {reading.as_written} (a formula that failed or whose "
                        "result is not a finite number), not a number",
                        sheet,
                        column.cell(index),
                    )
                    continue
                if reading.not_finite:
                    report.error(
                        "value_not_finite",
                        f"“{reading.as_written}”不是有限数值",
                        f"{reading.as_written!r} is not a finite number",
                        sheet,
                        column.cell(index),
                    )
                    continue
                if reading.not_a_number or reading.value is None:
                    report.error(
                        "not_a_number",
                        f"“{reading.as_written}”不是数值",
                        f"{reading.as_written!r} is not a number",
                        sheet,
                        column.cell(index),
                    )
                    continue
                number, as_written, unit_in_cell = reading.value, reading.as_written, reading.unit_in_cell
            indicator = indicators[index] if indicators is not None else None
            region = regions[index] if regions is not None else None
            period = periods[index] if periods is not None else None
            if indicator is None or region is None or period is None:
                self._coordinate_problems(column, index, indicator, region, period)
                continue
            known_seen = True
            unit_text = unit_texts[index] if unit_texts is not None else ""
            if (
                unit_in_cell
                and unit_text
                and unit_text != unit_in_cell
                and not converts(unit_text, unit_in_cell)
            ):
                report.error(
                    "unit_conflict",
                    f"单元格显示“{unit_in_cell}”，但计量单位为“{unit_text}”",
                    f"the cell shows {unit_in_cell!r} but the unit is given as {unit_text!r}",
                    sheet,
                    column.cell(index),
                )
                continue
            unit = unit_in_cell or unit_text or indicator.unit  # no unit written: the indicator's own
            factor = factors.get((unit, indicator.id), _MISSING)
            if factor is _MISSING:
                factor = factors[(unit, indicator.id)] = self.factor(unit, indicator)
            if factor is None:
                blamed = units.where(index, rows[index]) if unit_text and not unit_in_cell else None
                report.error(
                    "unit_mismatch",
                    f"单位“{unit}”无法换算为指标“{indicator.name.zh}”的单位“{indicator.unit}”",
                    f"unit {unit!r} does not convert to {indicator.unit!r}, the unit of {indicator.name.en}",
                    sheet,
                    blamed or column.cell(index),
                )
                continue
            converted = number * factor if factor != 1.0 else float(number)  # type: ignore[operator]
            if not math.isfinite(converted):  # 1e308 天 in hours
                written = as_written if as_written is not None else f"{number:g}"
                report.error(
                    "value_not_finite",
                    f"{indicator.name.zh}“{written}”（{unit}）换算为{unit_symbol(indicator, 'zh') or indicator.unit}"
                    "后超出可表示的范围",
                    f"{indicator.name.en} {written!r} ({unit}) is too large to represent in "
                    f"{unit_symbol(indicator) or indicator.unit}",
                    sheet,
                    column.cell(index),
                )
                continue
            if indicator.kind == "rate":
                if not 0 <= converted <= ceilings[indicator.id]:
                    report.error(
                        "rate_out_of_range",
                        f"{indicator.name.zh} {_shown(converted, indicator)} 超出 0–100% 范围",
                        f"{indicator.name.en} {_shown(converted, indicator)} is outside 0–100 %",
                        sheet,
                        column.cell(index),
                    )
                    continue
                if 0 < converted <= ceilings[indicator.id] / 100 and unit_in_cell != "%":
                    report.warning(  # 0.978 under a % unit: a fraction typed where a percentage belongs?
                        "rate_looks_like_fraction",
                        f"{indicator.name.zh}为 {value_text(converted, indicator)}，是否应为 "
                        f"{value_text(converted * 100, indicator)}？",
                        f"{indicator.name.en} is {value_text(converted, indicator)}; did you mean "
                        f"{value_text(converted * 100, indicator)}?",
                        sheet,
                        column.cell(index),
                    )
            elif converted < 0:
                report.error(
                    "negative_value",
                    f"{indicator.name.zh}不能为负数（{_shown(converted, indicator)}）",
                    f"{indicator.name.en} cannot be negative ({_shown(converted, indicator)})",
                    sheet,
                    column.cell(index),
                )
                continue
            elif not self._plausible(indicator, converted, sheet, column.cell(index)):
                continue
            key = (indicator.id, region, period.text)
            earlier = seen.get(key)
            if earlier is not None:
                cell = column.cell(index)
                first = ref(earlier[2], earlier[3])
                first = f"{earlier[1]}!{first}" if earlier[1] else first
                if earlier[0] != converted:
                    report.error(
                        "conflicting_duplicate",
                        f"与 {first} 为同一指标、地区、统计期，但数值不同（{earlier[0]:g} 与 {converted:g}）",
                        f"same indicator, region and period as {first} with a different value "
                        f"({earlier[0]:g} vs {converted:g})",
                        sheet,
                        cell,
                    )
                else:
                    report.warning(
                        "duplicate_row", f"与 {first} 重复，已忽略", f"repeats {first}; ignored", sheet, cell
                    )
                continue
            seen[key] = (converted, sheet, rows[index], column.column)
            flags = flag_sets[index] if flag_sets is not None else NO_FLAGS
            if flags is None:  # words not understood: warn once per cell, keep the value
                flags = self._flags(column.flags, index, sheet, rows[index])
            if as_written is None:
                as_written = str(int(number)) if float(number).is_integer() else repr(float(number))
            out.append(
                Observation(
                    indicator.id,
                    region,
                    period,
                    converted,
                    as_written,
                    unit_text or (unit_in_cell or ""),
                    flags,
                    sources[index] if sources is not None else None,
                )
            )
            places.append((sheet, rows[index], column.column))
        if known_seen:
            self._known_seen = True

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

    def _resolve(self, coordinate: Coordinate, lookup: Callable[[object], T | None]) -> list[T | None] | None:
        """The coordinate resolved for every value, by one lookup per distinct spelling; None when unknown."""
        if coordinate.values is not None:
            resolved = {v: lookup(v) for v in set(coordinate.values)}
            return [resolved[v] for v in coordinate.values]
        if coordinate.constant is not None:
            return _Repeat(lookup(coordinate.constant))  # type: ignore[return-value]
        return None

    def _coordinate_problems(
        self,
        column: ValueColumn,
        index: int,
        indicator: Indicator | None,
        region: str | None,
        period: Period | None,
    ) -> None:
        """Report why a value has no indicator, region or period, at the cell to blame."""
        report, sheet, row = self.report, column.sheet, column.rows[index]
        if indicator is None:
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
            return  # region and period are not judged for a value that belongs to no known indicator
        if region is None:
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
                self._unknown_region(_display(written), sheet, column.region.where(index, row))
        if period is None:
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


class _Repeat:
    """The same resolved value for every index (a coordinate stated once)."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __getitem__(self, _index: int) -> object:
        return self.value


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
) -> tuple[list[Observation], list[tuple[str | None, int, int]]]:
    """Observations in their indicators' units, and where each came from; problems go into ``report``.
    ``previous`` receives the indices of the observations read from a 上年实际 column."""
    checker = Checker(registry, report, today)
    observations: list[Observation] = []
    places: list[tuple[str | None, int, int]] = []
    for column in columns:
        before = len(observations)
        checker.check_column(column, observations, places)
        if column.previous and previous is not None:
            previous.update(range(before, len(observations)))
    checker.finish()
    return observations, places


def jump_points() -> float:
    return float(os.environ.get("QTM_JUMP_POINTS") or DEFAULT_JUMP_POINTS)


def plausibility_warnings(
    observations: list[Observation],
    places: list[tuple[str | None, int, int]],
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
    series: dict[tuple[str, str, str], list[tuple[tuple[dt.date, dt.date], Period, float, int | None]]] = (
        defaultdict(list)
    )
    for index, o in enumerate(observations):
        if o.indicator in watched:
            period = o.period
            series[(o.indicator, o.region, period.frequency)].append(
                (period.sort_key(), period, o.value, index)
            )
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
    for (indicator_id, _region, _frequency), points in series.items():
        if len(points) < 2:
            continue
        jumps, cumulative = watched[indicator_id]
        indicator = registry.indicators[indicator_id]
        points.sort(key=lambda p: p[0])
        for (_k0, p0, v0, i0), (_k1, p1, v1, i1) in itertools.pairwise(points):
            blamed = i1 if i1 is not None else i0
            if blamed is None:
                continue
            if jumps and abs(v1 - v0) > limit:
                sheet, row, column = places[blamed]
                report.warning(
                    "implausible_jump",
                    f"{indicator.name.zh}从 {p0} 的 {v0:g} 变为 {p1} 的 {v1:g}，变动超过 {limit:g} 个点，请核实",
                    f"{indicator.name.en} moves from {v0:g} ({p0}) to {v1:g} ({p1}), more than {limit:g} points; "
                    "please check",
                    sheet,
                    ref(row, column),
                )
            if cumulative and v1 < v0:
                sheet, row, column = places[blamed]
                report.warning(
                    "cumulative_fell",
                    f"累计数{indicator.name.zh}从 {p0} 的 {v0:g} 降为 {p1} 的 {v1:g}，请核实",
                    f"the running total {indicator.name.en} falls from {v0:g} ({p0}) to {v1:g} ({p1}); please check",
                    sheet,
                    ref(row, column),
                )
