"""进展情况说明: the paragraph an official writes beside a chart, generated from one result of :mod:`qtm.progress`.

Pure domain code (no Dash, no Excel). A statement is built only from the result and its components: every number
in it is a number of ``result.as_json()`` formatted for people (a value and its period, the deadline year, the
target value, a projection, a growth rate, ``exceeded_by`` …) or the gap between a value of the result and the
target (or, for a direction-only target, the base): in percentage points for a percent indicator, as a share of
the reference otherwise. A component that is missing drops the sentence that would need it. docs/methodology.md
("进展情况说明 Generated statements") describes the sentences.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from qtm.formatting import STATUS_LABELS, number_text, unit_symbol
from qtm.periods import Period
from qtm.progress import Result, meets
from qtm.registry import Indicator, Registry, Target

Lang = Literal["zh", "en"]

#: What a before-deadline status says after the projection.
_CONCLUSIONS: dict[str, tuple[str, str]] = {
    "on_track": ("进展顺利", "progress is on track"),
    "needs_acceleration": ("需加快进度", "progress needs to accelerate"),
    "limited_progress": ("进展有限，需大幅加快进度", "progress is limited and needs to accelerate markedly"),
    "deteriorating": ("呈倒退态势，需扭转趋势", "the indicator is moving away from the target"),
}

#: What a direction-only ("further improve") target's status says after the comparison with the base.
_DIRECTION_CONCLUSIONS: dict[str, tuple[str, str]] = {
    "achieved": ("符合目标要求", "an improvement, as the target asks"),
    "limited_progress": ("进展有限", "progress is limited"),
    "deteriorating": ("呈倒退态势", "the indicator has moved away from the target"),
    "met": ("目标已实现", "the target has been met"),
    "missed": ("目标未实现", "the target was missed"),
    "insufficient_data": (
        "仅有一期数据，尚无法与基期比较",
        "a single value cannot yet be compared with a base",
    ),
}


@dataclass(frozen=True)
class _Ctx:
    """One statement in the making: the result, what the registry names it, and the language."""

    registry: Registry
    result: Result
    indicator: Indicator
    target: Target
    lang: Lang

    def say(self, zh: str, en: str) -> str:
        return zh if self.lang == "zh" else en

    def part(self, key: str) -> dict[str, object] | None:
        return _mapping(self.result.components.get(key))

    @property
    def comparator(self) -> str:
        return str(self.result.components.get("comparator", self.target.comparator))

    @property
    def higher(self) -> bool:
        return self.result.components.get("direction", self.indicator.direction) == "higher"

    @property
    def year(self) -> str:
        return str(self.result.deadline.year)


def statement(registry: Registry, result: Result, lang: Literal["zh", "en"]) -> str:
    """The 进展情况 paragraph for ``result`` in Chinese (``"zh"``) or English (``"en"``)."""
    ctx = _Ctx(registry, result, registry.indicators[result.indicator], registry.targets[result.target], lang)
    if result.latest is None:
        sentences = _no_data(ctx)
    elif ctx.comparator == "improve":
        sentences = _direction_only(ctx)
    else:
        sentences = _BY_STATUS[result.status](ctx)
    text = ctx.say("；", "; ").join(s for s in sentences if s) + ctx.say("。", ".")
    return text[0].upper() + text[1:]


# --- the sentences of each status ------------------------------------------------------------------------------


def _no_data(ctx: _Ctx) -> list[str | None]:
    """No value at all: say so, and what the target is."""
    return [
        ctx.say(f"{_subject(ctx)}尚未报送数据", f"no value of {_subject(ctx)} has been reported yet"),
        ctx.say(f"{ctx.year}年目标为{_promise(ctx)}", f"the {ctx.year} target is {_promise(ctx)}"),
        _relative_note(ctx),
    ]


def _achieved(ctx: _Ctx) -> list[str | None]:
    return [_join(ctx, _head(ctx), _standing(ctx, _latest_value(ctx)), _exceeded(ctx)), _relative_note(ctx)]


def _on_the_way(ctx: _Ctx) -> list[str | None]:
    """on_track, needs_acceleration, limited_progress, deteriorating: the gap, the projection and the verdict."""
    zh, en = _CONCLUSIONS[ctx.result.status]
    projection = _projection(ctx)
    verdict = ctx.say(f"{projection}，{zh}", f"{projection}: {en}") if projection else ctx.say(zh, en)
    return [
        _join(ctx, _head(ctx), _short_of(ctx, _latest_value(ctx))),
        verdict,
        _milestone(ctx),
        _relative_note(ctx),
    ]


def _insufficient(ctx: _Ctx) -> list[str | None]:
    standing = _standing(ctx, _latest_value(ctx)) if ctx.result.target_value is not None else None
    return [_join(ctx, _head(ctx), standing), _relative_note(ctx), _why_not_judged(ctx)]


def _met(ctx: _Ctx) -> list[str | None]:
    final = ctx.part("final") or {}
    early = final.get("early") is True
    done = ctx.say("目标已提前实现", "the target has been met ahead of the year-end figure")
    verdict = done if early else ctx.say("目标已实现", "the target has been met")
    reached = ctx.say(f"达到{_target(ctx)}", f"meeting {_target(ctx)}")
    clause = _join(ctx, _final_head(ctx), reached, _exceeded(ctx))
    return [ctx.say(f"{clause}，{verdict}", f"{clause}: {verdict}"), _relative_note(ctx)]


def _missed(ctx: _Ctx) -> list[str | None]:
    clause = _join(ctx, _final_head(ctx), _short_of(ctx, _final_value(ctx)))
    verdict = ctx.say("目标未实现", "the target was missed")
    return [ctx.say(f"{clause}，{verdict}", f"{clause}: {verdict}"), _relative_note(ctx)]


def _awaiting(ctx: _Ctx) -> list[str | None]:
    """After the deadline without the deadline period's value: where things stand, then the outlook; with the
    value but no target value (a relative target's baseline not entered), why there is no verdict."""
    if ctx.part("final"):
        undecided = ctx.say("暂无法判断目标是否实现", "whether the target was met cannot be judged yet")
        return [_final_head(ctx), _relative_note(ctx), undecided]
    standing = _standing(ctx, _latest_value(ctx)) if ctx.result.target_value is not None else None
    return [_join(ctx, _head(ctx), standing), _relative_note(ctx), _outlook(ctx)]


_BY_STATUS: dict[str, Callable[[_Ctx], list[str | None]]] = {
    "achieved": _achieved,
    "on_track": _on_the_way,
    "needs_acceleration": _on_the_way,
    "limited_progress": _on_the_way,
    "deteriorating": _on_the_way,
    "insufficient_data": _insufficient,
    "met": _met,
    "missed": _missed,
    "awaiting_data": _awaiting,
}


def _direction_only(ctx: _Ctx) -> list[str | None]:
    """'Further improve': the value against the base, then the status."""
    status = ctx.result.status
    final = status in ("met", "missed")
    value = _final_value(ctx) if final else _latest_value(ctx)
    head = _final_head(ctx) if final else _head(ctx)
    clause = _join(ctx, head, _against_base(ctx, value))
    if status == "awaiting_data":  # with the deadline period's value, only the base is missing
        no_base = ctx.say("尚无基期数据可供比较", "there is no base value to compare with")
        return [clause, no_base if ctx.part("final") else _outlook(ctx)]
    zh, en = _DIRECTION_CONCLUSIONS.get(status, STATUS_LABELS[status])
    return [ctx.say(f"{clause}，{zh}", f"{clause}: {en}")]


# --- clauses -----------------------------------------------------------------------------------------------------


def _head(ctx: _Ctx) -> str:
    """截至2024年，甘肃省制造业产品质量合格率为93.56% · as of 2024, Gansu's … was 93.56%."""
    latest = ctx.result.latest
    assert latest is not None
    period, amount = _period(ctx, latest.period), _amount(ctx, latest.value)
    return ctx.say(
        f"截至{period}，{_subject(ctx)}为{amount}", f"as of {period}, {_subject(ctx)} {_was(ctx)} {amount}"
    )


def _final_head(ctx: _Ctx) -> str:
    """The deadline period's value (or, for a running total met early, the value that met it)."""
    final = ctx.part("final")
    value = _number(final.get("value")) if final else None
    if final is None or value is None:
        return _head(ctx)
    period, amount = _period(ctx, str(final["period"])), _amount(ctx, value)
    if final.get("early") is True:
        return ctx.say(
            f"截至{period}，{_subject(ctx)}已达{amount}",
            f"as of {period}, {_subject(ctx)} had reached {amount}",
        )
    return ctx.say(
        f"{period}，{_subject(ctx)}为{amount}", f"in {period}, {_subject(ctx)} {_was(ctx)} {amount}"
    )


def _standing(ctx: _Ctx, value: float) -> str | None:
    """Whether ``value`` already satisfies the target, else how far it is from it."""
    if meets(ctx.target, ctx.indicator, value, ctx.result.target_value, None):
        return ctx.say(f"已达到{_target(ctx)}", f"already meeting {_target(ctx)}")
    return _short_of(ctx, value)


def _short_of(ctx: _Ctx, value: float) -> str | None:
    """距2025年目标（94%以上）差0.44个百分点 · 0.44 percentage points short of the 2025 target (at least 94%)."""
    reference = _reference(ctx)
    gap = _gap(ctx, value, reference) if reference is not None else None
    if reference is None or gap is None:
        return None
    what_zh = what_en = _target(ctx)
    if ctx.comparator == "about" and reference != ctx.result.target_value:
        edge_zh, edge_en = ("下限", "lower") if ctx.higher else ("上限", "upper")
        what_zh = f"{_target(ctx)}的{edge_zh}{_amount(ctx, reference)}"
        what_en = f"{_amount(ctx, reference)}, the {edge_en} edge of {_target(ctx)}"
    if ctx.higher:
        return ctx.say(f"距{what_zh}差{gap}", f"{gap} short of {what_en}")
    return ctx.say(f"比{what_zh}高{gap}", f"{gap} above {what_en}")


def _against_base(ctx: _Ctx, value: float) -> str | None:
    """较2021年（97%）提高0.3个百分点 · up 0.3 percentage points on 2021 (97%)."""
    base = ctx.part("base")
    base_value = _number(base.get("value")) if base else None
    if base is None or base_value is None or ctx.result.status == "insufficient_data":
        return None
    since, amount = _period(ctx, str(base["period"])), _amount(ctx, base_value)
    if value == base_value:
        return ctx.say(f"与{since}持平（{amount}）", f"unchanged from {since} ({amount})")
    gap = _gap(ctx, value, base_value)
    if gap is None:
        return None
    up = value > base_value
    return ctx.say(
        f"较{since}（{amount}）{'提高' if up else '降低'}{gap}",
        f"{'up' if up else 'down'} {gap} on {since} ({amount})",
    )


def _projection(ctx: _Ctx) -> str | None:
    """按2022年以来的变化趋势测算，预计2025年可达94.26% · on the trend since 2022 it is projected to reach …"""
    detail = ctx.part(ctx.result.method) or {}
    value = _number((_mapping(detail.get("projection")) or {}).get("value"))
    if value is None:
        return None
    base = ctx.part("base")
    since = _period(ctx, str(base["period"])) if base else None
    reach = _amount(ctx, value, 0 if ctx.indicator.kind == "count" else 2)
    rate = _number(detail.get("actual_rate"))
    if ctx.result.method == "growth_ratio" and rate is not None:
        zh_how, en_how = _rate_words(ctx, rate)
        basis_zh = f"按{since}以来{zh_how}测算" if since else f"按{zh_how}测算"
        basis_en = f"at {en_how}" + (f" since {since}" if since else "")
    else:
        basis_zh = f"按{since}以来的变化趋势测算" if since else "按现有趋势测算"
        basis_en = f"on the trend since {since}" if since else "on the present trend"
    return ctx.say(
        f"{basis_zh}，预计{ctx.year}年可达{reach}",
        f"{basis_en} it is projected to reach {reach} in {ctx.year}",
    )


def _rate_words(ctx: _Ctx, rate: float) -> tuple[str, str]:
    """年均增长0.46%的速度 · the average annual growth of 0.46%."""
    share = _share(abs(rate) * 100)
    if rate >= 0:
        return f"年均增长{share}的速度", f"the average annual growth of {share}"
    return f"年均下降{share}的速度", f"the average annual decline of {share}"


def _exceeded(ctx: _Ctx) -> str | None:
    """An 'about N' target passed in the good direction: 超出目标值26% · exceeding the target value by 26%."""
    share = _number((ctx.part("about") or {}).get("exceeded_by"))
    if share is None:
        return None
    return ctx.say(f"超出目标值{_share(share * 100)}", f"exceeding the target value by {_share(share * 100)}")


def _milestone(ctx: _Ctx) -> str | None:
    """A missed interim milestone that keeps the target off track."""
    missed = ctx.result.components.get("milestone_missed")
    checks = ctx.result.components.get("milestones")
    passed = [c for c in checks if isinstance(c, dict)] if isinstance(checks, list) else []
    check = next((c for c in passed if c.get("date") == missed), None)
    value = _number(check.get("value")) if check else None
    if check is None or value is None:
        return None
    when, amount = _date(ctx, str(check["date"])), _amount(ctx, value)
    actual = _number(check.get("actual"))
    was_zh = f"（实际为{_amount(ctx, actual)}）" if actual is not None else ""
    was_en = f" (the value was {_amount(ctx, actual)})" if actual is not None else ""
    return ctx.say(
        f"{when}阶段目标{amount}未实现{was_zh}", f"the milestone of {amount} by {when} was not met{was_en}"
    )


def _relative_note(ctx: _Ctx) -> str | None:
    """For a relative target: the baseline value and period used, or that the baseline is not yet entered."""
    relative = ctx.part("relative")
    spec = ctx.target.relative
    if relative is None or spec is None:
        return None
    value = _number(relative.get("baseline_value"))
    if value is not None and "baseline_period" in relative:
        period, amount = _period(ctx, str(relative["baseline_period"])), _amount(ctx, value)
        return ctx.say(
            f"目标值按{period}{spec.label.zh}{amount}计算",
            f"the target value is reckoned on the {spec.label.en} of {period}, {amount}",
        )
    until = relative.get("baseline_no_later_than")
    if until is None:
        return None
    by = _period(ctx, str(until))
    return ctx.say(
        f"{spec.label.zh}（{by}及以前）尚未录入，目标值待定",
        f"the {spec.label.en} in force by {by} has not been entered yet, so the target value is not known",
    )


def _why_not_judged(ctx: _Ctx) -> str:
    """insufficient_data with a value: why progress cannot be judged yet."""
    if ctx.result.target_value is None:
        return ctx.say("暂无法判断进展", "progress cannot be judged yet")
    detail = ctx.part(ctx.result.method) or {}
    if "reason" in detail:
        return ctx.say(
            "这些数值无法计算增长率，暂无法判断进展",
            "no growth rate can be computed from these values, so progress cannot be judged yet",
        )
    base = ctx.part("base")
    since = _period(ctx, str(base["period"])) if base else None
    return ctx.say(
        f"{since or '基期'}以来的数据不足两期，暂无法测算进展",
        f"there are fewer than two values since {since or 'the base'}, too few to project progress",
    )


def _outlook(ctx: _Ctx) -> str | None:
    """待2025年数据；按2024年数据：进展顺利 · awaiting 2025 data; on 2024 data: on track (the words of
    qtm.formatting.outlook_text, with the period written as in the rest of the statement)."""
    outlook = ctx.part("outlook")
    latest = _mapping(outlook.get("latest")) if outlook else None
    if outlook is None or latest is None:
        return None
    zh, en = STATUS_LABELS[str(outlook["status"])]
    period = _period(ctx, str(latest["period"]))
    return ctx.say(
        f"待{ctx.year}年数据；按{period}数据：{zh}",
        f"awaiting {ctx.year} data; on {period} data: {en.lower()}",
    )


# --- words and numbers -------------------------------------------------------------------------------------------


def _target(ctx: _Ctx) -> str:
    """2025年目标（94%以上） · the 2025 target (at least 94%)."""
    return ctx.say(f"{ctx.year}年目标（{_promise(ctx)}）", f"the {ctx.year} target ({_promise(ctx)})")


def _promise(ctx: _Ctx) -> str:
    """What the target asks, from the result: 94%以上 · 不高于5% · 10,000个左右，±1,000个 · 较2021年进一步提高."""
    if ctx.comparator == "improve":
        base = ctx.part("base")
        since = _period(ctx, str(base["period"])) if base else ctx.say("基期", "the base period")
        zh_way, en_way = ("提高", "higher") if ctx.higher else ("降低", "lower")
        return ctx.say(f"较{since}进一步{zh_way}", f"{en_way} than in {since}")
    amount = _target_amount(ctx)
    if ctx.comparator == "about":
        tolerance = _number(ctx.result.components.get("tolerance"))
        band = f"，±{_amount(ctx, tolerance)}" if tolerance is not None else ""
        return ctx.say(f"{amount}左右{band}", f"about {amount}{band.replace('，', ', ')}")
    if ctx.comparator == "at_least":
        return ctx.say(f"{amount}以上", f"at least {amount}")
    return ctx.say(f"不高于{amount}", f"at most {amount}")


def _target_amount(ctx: _Ctx) -> str:
    """The target value, or for a relative target the factor of its baseline (and the value, once known)."""
    value = ctx.result.target_value
    relative, spec = ctx.part("relative"), ctx.target.relative
    if relative is None or spec is None:
        return _amount(ctx, value) if value is not None else ""
    factor = _number(relative.get("factor"))
    times_zh = f"{spec.label.zh}的{number_text(factor)}倍" if factor is not None else spec.label.zh
    times_en = (
        f"{number_text(factor)} × the {spec.label.en}" if factor is not None else f"the {spec.label.en}"
    )
    if value is None:
        return ctx.say(times_zh, times_en)
    zh, en = f"{times_zh}，即{_amount(ctx, value)}", f"{times_en}, i.e. {_amount(ctx, value)}"
    return ctx.say(zh, en)


def _subject(ctx: _Ctx) -> str:
    """甘肃省制造业产品质量合格率 · Gansu's manufacturing product quality pass rate."""
    code = ctx.result.region
    region = ctx.registry.regions.get(code) if code in ctx.registry.regions else None
    if ctx.lang == "zh":
        return f"{region.name_zh if region else code}{ctx.indicator.name.zh}"
    name = ctx.indicator.name.en
    if len(name) > 1 and name[1].islower():
        name = name[0].lower() + name[1:]
    where = region.name_en if region else code
    return f"the {name} in {where}" if where.endswith(")") or where.isdigit() else f"{where}'s {name}"


def _was(ctx: _Ctx) -> str:
    """The English verb: a count of things numbered, a rate or a level was."""
    return "numbered" if ctx.indicator.kind == "count" else "was"


def _period(ctx: _Ctx, text: str) -> str:
    """2024年 · 2024年第1季度 · 2025年4月 (2024 · Q1 2024 · April 2025)."""
    period = Period.parse(text)
    if period.quarter is not None:
        return ctx.say(f"{period.year}年第{period.quarter}季度", f"Q{period.quarter} {period.year}")
    if period.month is not None:
        return ctx.say(
            f"{period.year}年{period.month}月", f"{calendar.month_name[period.month]} {period.year}"
        )
    return ctx.say(f"{period.year}年", str(period.year))


def _date(ctx: _Ctx, iso: str) -> str:
    """A milestone's date: a year end is its year (2023年 · the end of 2023)."""
    year, month, day = (int(part) for part in iso.split("-"))
    if (month, day) == (12, 31):
        return ctx.say(f"{year}年", f"the end of {year}")
    return ctx.say(f"{year}年{month}月{day}日", iso)


def _amount(ctx: _Ctx, value: float, decimals: int | None = None) -> str:
    """A value with its unit, for prose: 93.56% · 250小时 (250 h) · 12,600个 (12,600)."""
    number = number_text(round(value, decimals) if decimals is not None else value)
    unit = unit_symbol(ctx.indicator, ctx.lang)
    return f"{number} {unit}" if ctx.lang == "en" and unit not in ("", "%") else f"{number}{unit}"


def _gap(ctx: _Ctx, value: float, reference: float) -> str | None:
    """The distance from ``reference``: percentage points for a percent indicator (to the precision of the two
    values), else a share of the reference; None when the reference is zero."""
    if ctx.indicator.unit == "percent":
        decimals = max(_decimals(value), _decimals(reference))
        points = number_text(round(abs(value - reference), decimals))
        return ctx.say(f"{points}个百分点", f"{points} percentage point{'' if points == '1' else 's'}")
    if reference == 0:
        return None
    return _share(abs(value - reference) / abs(reference) * 100)


def _share(percent: float) -> str:
    """A share in per cent to two significant figures (at least one decimal, at most four): 26% · 0.47%."""
    if percent == 0 or not math.isfinite(percent):
        return f"{number_text(0)}%"
    decimals = min(4, max(1, 1 - math.floor(math.log10(percent))))
    return f"{number_text(round(percent, decimals))}%"


def _decimals(value: float) -> int:
    text = number_text(value)
    return len(text.split(".")[1]) if "." in text else 0


def _reference(ctx: _Ctx) -> float | None:
    """What the gap is measured to: the goal (an 'about' target's near edge), else the target value."""
    for goal in (ctx.result.components.get("goal"), (ctx.part("about") or {}).get("goal")):
        if _number(goal) is not None:
            return _number(goal)
    return ctx.result.target_value


def _latest_value(ctx: _Ctx) -> float:
    assert ctx.result.latest is not None
    return ctx.result.latest.value


def _final_value(ctx: _Ctx) -> float:
    final = _number((ctx.part("final") or {}).get("value"))
    return final if final is not None else _latest_value(ctx)


def _join(ctx: _Ctx, *clauses: str | None) -> str:
    return ctx.say("，", ", ").join(c for c in clauses if c)


def _mapping(value: object) -> dict[str, object] | None:
    return value if isinstance(value, dict) else None


def _number(value: object) -> float | None:
    """A finite number of the components, else None."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)
