"""Checking raw values against the registry: every value named, placed, dated and converted to its indicator's
unit. All problems are found in one pass and reported by sheet and cell, in Chinese and English.
"""

from __future__ import annotations

import datetime as dt
import difflib
import itertools
import math
import os
from collections import defaultdict
from collections.abc import Iterable

from loaders.layout import RawValue, text_key, where
from loaders.values import read_flags, read_number, read_period
from qtm.observations import Observation
from qtm.periods import Period
from qtm.problems import Report
from qtm.registry import Indicator, Registry
from qtm.units import convert, converts, normalise_text

_MISSING = object()
DEFAULT_JUMP_POINTS = 10.0


def _display(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return normalise_text(str(value))


class Checker:
    """Turns raw values into observations; caches every lookup, since a return repeats its names."""

    def __init__(self, registry: Registry, report: Report, today: dt.date) -> None:
        self.registry = registry
        self.report = report
        self.today = today
        self._indicators: dict[object, Indicator | None] = {}
        self._regions: dict[object, str | None] = {}
        self._periods: dict[object, Period | None] = {}
        self._factors: dict[tuple[str, str], float | None] = {}
        self._unknown_indicators: dict[str, tuple[str | None, str]] = {}
        self._known_seen = False
        self._seen: dict[tuple[str, str, str], tuple[float, str]] = {}
        self._scales: dict[str, float] = {}

    # ---- lookups --------------------------------------------------------------------------------------------

    def indicator(self, written: object) -> Indicator | None:
        found = self._indicators.get(written, _MISSING)
        if found is _MISSING:
            found = self.registry.resolve_indicator(_display(written)) if written is not None else None
            self._indicators[written] = found
        return found  # type: ignore[return-value]

    def region(self, written: object) -> str | None:
        found = self._regions.get(written, _MISSING)
        if found is _MISSING:
            text = _display(written)
            region = self.registry.regions.resolve(text) if text else None
            if region is None and len(text) > 6 and text[:6].isdigit():  # '310118青浦区'
                region = self.registry.regions.resolve(text[:6]) or self.registry.regions.resolve(text[6:])
            found = region.code if region is not None else None
            self._regions[written] = found
        return found  # type: ignore[return-value]

    def period(self, written: object) -> Period | None:
        found = self._periods.get(written, _MISSING)
        if found is _MISSING:
            found = read_period(written)
            self._periods[written] = found
        return found  # type: ignore[return-value]

    def factor(self, unit: str, indicator: Indicator) -> float | None:
        """Multiplier from ``unit`` to the indicator's unit, or None when it does not convert."""
        key = (unit, indicator.unit)
        found = self._factors.get(key, _MISSING)
        if found is _MISSING:
            if converts(unit, indicator.unit):
                offset = convert(0.0, unit, indicator.unit)
                found = convert(1.0, unit, indicator.unit) if offset == 0 else None
            else:
                found = None
            self._factors[key] = found
        return found  # type: ignore[return-value]

    # ---- the pass -------------------------------------------------------------------------------------------

    def check(self, raw: RawValue) -> Observation | None:
        report, sheet = self.report, raw.sheet
        value = raw.value
        if raw.uncached_formula and (value is None or value == ""):
            report.error(
                "formula_without_value",
                "公式单元格没有计算结果（请在 Excel 中重新计算并保存）",
                "a formula with no cached value (recalculate and save the workbook in Excel)",
                sheet,
                where(raw, None),
            )
            return None
        if (
            (type(value) is float or type(value) is int)
            and raw.percent_format is None
            and math.isfinite(value)
        ):
            number, as_written, unit_in_cell = float(value), None, None
        else:
            reading = read_number(value, raw.percent_format)
            if reading.missing:
                indicator = self.indicator(raw.indicator)
                if indicator is not None:
                    report.warning(
                        "missing_value",
                        f"无数据（“{reading.as_written or '空白'}”），该值未导入",
                        f"no value ({reading.as_written or 'blank'!r}); not imported",
                        sheet,
                        where(raw, None),
                    )
                return None
            if reading.not_a_number:
                report.error(
                    "not_a_number",
                    f"“{reading.as_written}”不是数值",
                    f"{reading.as_written!r} is not a number",
                    sheet,
                    where(raw, None),
                )
                return None
            assert reading.value is not None
            number, as_written, unit_in_cell = reading.value, reading.as_written, reading.unit_in_cell
        indicator = self._indicator_or_report(raw)
        region = self._region_or_report(raw)
        period = self._period_or_report(raw)
        flags: frozenset[str] = frozenset()
        if raw.flags is not None and raw.flags != "":
            flags, unknown = read_flags(raw.flags)
            if unknown:
                report.warning(
                    "unknown_flag",
                    f"无法识别的标记：{'、'.join(unknown)}（可用：初步、估计、修订、合成）",
                    f"unknown flag(s) {', '.join(unknown)} (known: provisional, estimated, revised, synthetic)",
                    sheet,
                    where(raw, raw.flags_at),
                )
        if indicator is None or region is None or period is None:
            return None
        unit_text = _display(raw.unit) if raw.unit is not None else ""
        if unit_in_cell and unit_text and unit_text != unit_in_cell and not converts(unit_text, unit_in_cell):
            report.error(
                "unit_conflict",
                f"单元格显示“{unit_in_cell}”，但计量单位为“{unit_text}”",
                f"the cell shows {unit_in_cell!r} but the unit is given as {unit_text!r}",
                sheet,
                where(raw, None),
            )
            return None
        unit = unit_in_cell or unit_text or indicator.unit  # no unit written: the indicator's own
        factor = self.factor(unit, indicator)
        if factor is None:
            report.error(
                "unit_mismatch",
                f"单位“{unit}”无法换算为指标“{indicator.name.zh}”的单位“{indicator.unit}”",
                f"unit {unit!r} does not convert to {indicator.unit!r}, the unit of {indicator.name.en}",
                sheet,
                where(raw, raw.unit_at if unit_text and not unit_in_cell else None),
            )
            return None
        converted = number * factor if factor != 1.0 else number
        if not self._plausible(raw, converted, indicator):
            return None
        if as_written is None:
            as_written = repr(number) if not number.is_integer() else str(int(number))
        record = Observation(
            indicator.id,
            region,
            period,
            converted,
            as_written,
            unit_text or (unit_in_cell or ""),
            flags,
            _display(raw.source) or None if raw.source is not None else None,
        )
        key = (indicator.id, region, str(period))
        earlier = self._seen.get(key)
        if earlier is not None:
            cell = where(raw, None)
            if earlier[0] != converted:
                report.error(
                    "conflicting_duplicate",
                    f"与 {earlier[1]} 为同一指标、地区、统计期，但数值不同（{earlier[0]:g} 与 {converted:g}）",
                    f"same indicator, region and period as {earlier[1]} with a different value "
                    f"({earlier[0]:g} vs {converted:g})",
                    sheet,
                    cell,
                )
            else:
                report.warning(
                    "duplicate_row",
                    f"与 {earlier[1]} 重复，已忽略",
                    f"repeats {earlier[1]}; ignored",
                    sheet,
                    cell,
                )
            return None
        self._seen[key] = (converted, _qualified(raw))
        return record

    def _indicator_or_report(self, raw: RawValue) -> Indicator | None:
        if raw.indicator is None:
            self.report.error(
                "no_indicator",
                "无法确定该数值属于哪个指标（表中没有指标列、表头或标题说明）",
                "cannot tell which indicator this value is for (no indicator column, header or title)",
                raw.sheet,
                where(raw, None),
            )
            return None
        indicator = self.indicator(raw.indicator)
        if indicator is None:
            text = _display(raw.indicator)
            self._unknown_indicators.setdefault(text, (raw.sheet, where(raw, raw.indicator_at)))
        else:
            self._known_seen = True
        return indicator

    def _region_or_report(self, raw: RawValue) -> str | None:
        if raw.region is None:
            self.report.error(
                "no_region",
                "无法确定该数值属于哪个地区（表中没有地区列，也没有“地区：…”说明）",
                "cannot tell which region this value is for (no region column, header or 地区： line)",
                raw.sheet,
                where(raw, None),
            )
            return None
        code = self.region(raw.region)
        if code is None:
            text = _display(raw.region)
            if text_key(text) in {
                "合计",
                "总计",
                "全省",
                "全市",
                "全区",
                "全州",
                "全省合计",
                "全市合计",
                "总体",
            }:
                zh = f"“{text}”指本表所属地区，但表中未说明是哪个地区（请在表头上方注明“地区：…”）"
                en = f"{text!r} means the return's own area, which the return does not name (add 地区：… above the table)"
            else:
                hint = "、".join(
                    difflib.get_close_matches(text, self.registry.regions.all_names(), n=3, cutoff=0.5)
                )
                zh = f"未知地区“{text}”" + (f"，是否为：{hint}" if hint else "")
                en = f"unknown region {text!r}" + (f"; did you mean: {hint}" if hint else "")
            self.report.error("unknown_region", zh, en, raw.sheet, where(raw, raw.region_at))
        return code

    def _period_or_report(self, raw: RawValue) -> Period | None:
        if raw.period is None:
            self.report.error(
                "no_period",
                "无法确定该数值的统计期（表中没有统计期列、表头或标题说明）",
                "cannot tell which period this value is for (no period column, header or title)",
                raw.sheet,
                where(raw, None),
            )
            return None
        period = self.period(raw.period)
        if period is None:
            text = _display(raw.period)
            self.report.error(
                "bad_period",
                f"无法识别的统计期“{text}”（应如 2024、2024年第一季度、2024年5月）",
                f"cannot read the period {text!r} (expected e.g. 2024, 2024Q1, 2024-05)",
                raw.sheet,
                where(raw, raw.period_at),
            )
        elif period.start > self.today:
            self.report.error(
                "future_period",
                f"统计期 {period} 尚未开始",
                f"period {period} has not started yet",
                raw.sheet,
                where(raw, raw.period_at),
            )
            return None
        return period

    def _plausible(self, raw: RawValue, value: float, indicator: Indicator) -> bool:
        if indicator.kind == "rate" and not 0 <= value * self._rate_scale(indicator) <= 1:
            self.report.error(
                "rate_out_of_range",
                f"比率 {value:g} {indicator.unit} 超出 0–100% 范围",
                f"rate {value:g} {indicator.unit} is outside 0–100 %",
                raw.sheet,
                where(raw, None),
            )
            return False
        if indicator.kind in ("count", "duration", "index") and value < 0:
            self.report.error(
                "negative_value",
                f"{indicator.name.zh}不能为负数（{value:g}）",
                f"{indicator.name.en} cannot be negative ({value:g})",
                raw.sheet,
                where(raw, None),
            )
            return False
        return True

    def _rate_scale(self, indicator: Indicator) -> float:
        scale = self._scales.get(indicator.id)
        if scale is None:
            scale = self._scales[indicator.id] = convert(1.0, indicator.unit, "dimensionless")
        return scale

    def finish(self) -> None:
        """Report unknown indicators: an error when close to a known name or when nothing in the file is known;
        otherwise a warning (a 综合表 carries many rows the registry does not track)."""
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


def _qualified(raw: RawValue) -> str:
    cell = where(raw, None)
    return f"{raw.sheet}!{cell}" if raw.sheet else cell


def check_values(
    values: Iterable[RawValue], registry: Registry, report: Report, today: dt.date
) -> tuple[list[Observation], list[tuple[str | None, int, int]]]:
    """Observations in their indicators' units, and where each came from; problems go into ``report``."""
    checker = Checker(registry, report, today)
    observations: list[Observation] = []
    places: list[tuple[str | None, int, int]] = []
    for raw in values:
        record = checker.check(raw)
        if record is not None:
            observations.append(record)
            places.append((raw.sheet, raw.row, raw.column))
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
    from loaders.grid import ref

    limit = jump_points()
    series: dict[tuple[str, str, str], list[tuple[Period, float, int | None]]] = defaultdict(list)
    incoming = {o.key for o in observations}
    for o in stored:
        if o.key not in incoming:
            series[(o.indicator, o.region, o.period.frequency)].append((o.period, o.value, None))
    for index, o in enumerate(observations):
        series[(o.indicator, o.region, o.period.frequency)].append((o.period, o.value, index))
    for (indicator_id, _region, _frequency), points in series.items():
        indicator = registry.indicators[indicator_id]
        if len(points) < 2 or not (indicator.kind in ("rate", "index") or indicator.cumulative):
            continue
        points.sort(key=lambda p: p[0].sort_key())
        for (p0, v0, i0), (p1, v1, i1) in itertools.pairwise(points):
            blamed = i1 if i1 is not None else i0
            if blamed is None:
                continue
            sheet, row, column = places[blamed]
            if indicator.kind in ("rate", "index") and abs(v1 - v0) > limit:
                report.warning(
                    "implausible_jump",
                    f"{indicator.name.zh}从 {p0} 的 {v0:g} 变为 {p1} 的 {v1:g}，变动超过 {limit:g} 个点，请核实",
                    f"{indicator.name.en} moves from {v0:g} ({p0}) to {v1:g} ({p1}), more than {limit:g} points; "
                    "please check",
                    sheet,
                    ref(row, column),
                )
            if indicator.cumulative and v1 < v0:
                report.warning(
                    "cumulative_fell",
                    f"累计数{indicator.name.zh}从 {p0} 的 {v0:g} 降为 {p1} 的 {v1:g}，请核实",
                    f"the running total {indicator.name.en} falls from {v0:g} ({p0}) to {v1:g} ({p1}); please check",
                    sheet,
                    ref(row, column),
                )
