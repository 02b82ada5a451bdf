"""Checking raw rows against the registry: every value named, placed, dated and converted to its indicator's unit.

All problems are found in one pass and reported by sheet and cell, in Chinese and English.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable

from loaders.grid import Cell
from loaders.long_table import RawRow
from loaders.values import read_flags, read_number, read_period
from qtm.observations import Observation
from qtm.problems import Report
from qtm.registry import Indicator, Registry
from qtm.units import convert, converts, normalise_text


def _text(cell: Cell | None) -> str:
    if cell is None or cell.value is None:
        return ""
    value = cell.value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return normalise_text(str(value))


def _suggest(word: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(word, candidates, n=3, cutoff=0.5)
    return "、".join(close)


def check_rows(
    rows: Iterable[RawRow], registry: Registry, report: Report, today: dt.date
) -> list[Observation]:
    """Turn raw rows into observations in their indicators' units; every problem goes into ``report``.

    Missing values are warnings; unknown names, impossible values, unconvertible units, future periods and
    conflicting duplicates are errors.
    """
    observations: list[Observation] = []
    seen: dict[tuple[str, str, str], tuple[float, str]] = {}
    indicator_names = registry.indicator_names()
    region_names = registry.regions.all_names()
    for raw in rows:
        sheet = raw.sheet
        indicator = _indicator(raw, registry, report, indicator_names)
        region = _region(raw, registry, report, region_names)
        period = read_period(raw.period.value)
        if period is None:
            report.error(
                "bad_period",
                f"无法识别的统计期“{_text(raw.period)}”（应如 2024、2024年第一季度、2024年5月）",
                f"cannot read the period {_text(raw.period)!r} (expected e.g. 2024, 2024Q1, 2024-05)",
                sheet,
                raw.period.ref,
            )
        elif period.start > today:
            report.error(
                "future_period",
                f"统计期 {period} 尚未开始",
                f"period {period} has not started yet",
                sheet,
                raw.period.ref,
            )
        number = read_number(raw.value.value, raw.value.number_format)
        if number.missing:
            report.warning(
                "missing_value",
                f"无数据（“{number.as_written or '空白'}”），该行未导入",
                f"no value ({number.as_written or 'blank'!r}); row skipped",
                sheet,
                raw.value.ref,
            )
            continue
        if number.not_a_number:
            report.error(
                "not_a_number",
                f"“{number.as_written}”不是数值",
                f"{number.as_written!r} is not a number",
                sheet,
                raw.value.ref,
            )
            continue
        flags, unknown_flags = read_flags(raw.flags.value if raw.flags else None)
        if unknown_flags and raw.flags is not None:
            report.warning(
                "unknown_flag",
                f"无法识别的标记：{'、'.join(unknown_flags)}（可用：初步、估计、修订、合成）",
                f"unknown flag(s) {', '.join(unknown_flags)} (known: provisional, estimated, revised, synthetic)",
                sheet,
                raw.flags.ref,
            )
        if indicator is None or region is None or period is None or number.value is None:
            continue
        value = _in_indicator_unit(raw, number.value, number.unit_in_cell, indicator, report)
        if value is None:
            continue
        if not _plausible(raw, value, indicator, report):
            continue
        record = Observation(
            indicator=indicator.id,
            region=region,
            period=period,
            value=value,
            value_as_written=number.as_written,
            unit_as_written=_text(raw.unit) or (number.unit_in_cell or ""),
            flags=flags,
            source=_text(raw.source) or None,
        )
        earlier = seen.get(record.key)
        if earlier is not None:
            if earlier[0] != value:
                report.error(
                    "conflicting_duplicate",
                    f"与 {earlier[1]} 同一指标、地区、统计期，但数值不同（{earlier[0]} 与 {value}）",
                    f"same indicator, region and period as {earlier[1]} with a different value "
                    f"({earlier[0]} vs {value})",
                    sheet,
                    raw.value.ref,
                )
            else:
                report.warning(
                    "duplicate_row",
                    f"与 {earlier[1]} 重复，已忽略",
                    f"repeats {earlier[1]}; ignored",
                    sheet,
                    raw.value.ref,
                )
            continue
        seen[record.key] = (value, raw.value.ref)
        observations.append(record)
    return observations


def _indicator(raw: RawRow, registry: Registry, report: Report, names: list[str]) -> Indicator | None:
    text = _text(raw.indicator)
    indicator = registry.resolve_indicator(text) if text else None
    if indicator is None:
        hint = _suggest(text, names)
        report.error(
            "unknown_indicator",
            f"未知指标“{text}”" + (f"，是否为：{hint}" if hint else ""),
            f"unknown indicator {text!r}" + (f"; did you mean: {hint}" if hint else ""),
            raw.sheet,
            raw.indicator.ref,
        )
    return indicator


def _region(raw: RawRow, registry: Registry, report: Report, names: list[str]) -> str | None:
    text = _text(raw.region)
    region = registry.regions.resolve(text) if text else None
    if region is None:
        hint = _suggest(text, names)
        report.error(
            "unknown_region",
            f"未知地区“{text}”" + (f"，是否为：{hint}" if hint else ""),
            f"unknown region {text!r}" + (f"; did you mean: {hint}" if hint else ""),
            raw.sheet,
            raw.region.ref,
        )
        return None
    return region.code


def _in_indicator_unit(
    raw: RawRow, value: float, unit_in_cell: str | None, indicator: Indicator, report: Report
) -> float | None:
    unit_text = _text(raw.unit)
    if unit_in_cell and unit_text and not converts(unit_text, unit_in_cell):
        report.error(
            "unit_conflict",
            f"单元格显示“{unit_in_cell}”，但计量单位写作“{unit_text}”",
            f"the cell shows {unit_in_cell!r} but the unit column says {unit_text!r}",
            raw.sheet,
            raw.value.ref,
        )
        return None
    unit = unit_in_cell or unit_text or indicator.unit  # no unit written: the indicator's own
    if not converts(unit, indicator.unit):
        where = raw.unit.ref if raw.unit is not None and unit_text else raw.value.ref
        report.error(
            "unit_mismatch",
            f"单位“{unit}”无法换算为指标“{indicator.name.zh}”的单位“{indicator.unit}”",
            f"unit {unit!r} does not convert to {indicator.unit!r}, the unit of {indicator.name.en}",
            raw.sheet,
            where,
        )
        return None
    return convert(value, unit, indicator.unit)


def _plausible(raw: RawRow, value: float, indicator: Indicator, report: Report) -> bool:
    if indicator.kind == "rate" and not 0 <= convert(value, indicator.unit, "dimensionless") <= 1:
        report.error(
            "rate_out_of_range",
            f"比率 {value} {indicator.unit} 超出 0–100% 范围",
            f"rate {value} {indicator.unit} is outside 0–100 %",
            raw.sheet,
            raw.value.ref,
        )
        return False
    if indicator.kind in ("count", "duration", "index") and value < 0:
        report.error(
            "negative_value",
            f"{indicator.name.zh}不能为负数（{value}）",
            f"{indicator.name.en} cannot be negative ({value})",
            raw.sheet,
            raw.value.ref,
        )
        return False
    return True
