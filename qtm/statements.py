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

from qtm.formatting import STATUS_LABELS, number_text, outlook_words, unit_symbol
from qtm.i18n import Lang
from qtm.periods import Period
from qtm.progress import Components, Result, meets
from qtm.registry import Indicator, Registry, Target

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
    provisional: bool = False

    def say(self, zh: str, en: str) -> str:
        return zh if self.lang == "zh" else en

    @property
    def parts(self) -> Components:
        return self.result.components

    @property
    def comparator(self) -> str:
        return self.parts.comparator

    @property
    def higher(self) -> bool:
        return self.parts.direction == "higher"

    @property
    def year(self) -> str:
        return str(self.result.deadline.year)


def statement(
    registry: Registry,
    result: Result,
    lang: Literal["zh", "en"],
    *,
    synthetic: bool = False,
    provisional: bool = False,
) -> str:
    """The 进展情况 paragraph for ``result`` in Chinese (``"zh"``) or English (``"en"``); ``synthetic`` when the
    series it rests on holds invented demonstration values (``Standing.synthetic``), which the paragraph then says;
    ``provisional`` when the latest value is a provisional one (``"provisional" in Standing.latest_flags``), which
    the paragraph calls 初步数 (2024年初步数为…)."""
    indicator, target = registry.indicators[result.indicator], registry.targets[result.target]
    ctx = _Ctx(registry, result, indicator, target, lang, provisional)
    if result.status == "reference":
        sentences = _compared_region(ctx)
    elif result.latest is None:
        sentences = _no_data(ctx)
    elif ctx.comparator == "improve":
        sentences = _direction_only(ctx)
    else:
        sentences = _BY_STATUS[result.status](ctx)
    text = ctx.say("；", "; ").join(s for s in sentences if s) + ctx.say("。", ".")
    return text[0].upper() + text[1:] + (_synthetic_note(ctx) if synthetic else "")


def _synthetic_note(ctx: _Ctx) -> str:
    """Said after a statement on invented values, as the PNGs say it under the chart."""
    return ctx.say(
        "（注：本说明依据的是演示用合成数据，非官方统计。）",
        " (Note: this rests on synthetic demonstration data, not official statistics.)",
    )


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
    early = ctx.parts.final is not None and ctx.parts.final.early
    done = ctx.say("目标已提前实现", "the target has been met ahead of the year-end figure")
    verdict = done if early else ctx.say("目标已实现", "the target has been met")
    reached = _reached(ctx, _final_value(ctx))
    clause = _join(ctx, _final_head(ctx), reached, _exceeded(ctx))
    return [ctx.say(f"{clause}，{verdict}", f"{clause}: {verdict}"), _relative_note(ctx)]


def _missed(ctx: _Ctx) -> list[str | None]:
    clause = _join(ctx, _final_head(ctx), _short_of(ctx, _final_value(ctx)))
    verdict = ctx.say("目标未实现", "the target was missed")
    return [ctx.say(f"{clause}，{verdict}", f"{clause}: {verdict}"), _relative_note(ctx)]


def _awaiting(ctx: _Ctx) -> list[str | None]:
    """After the deadline without the deadline period's value: where things stand, then the outlook; with the
    value but no target value (a relative target's baseline not entered), why there is no verdict."""
    if ctx.parts.final is not None:
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
    """'Further improve': the value against the base, then the status; without a base-year value, what to upload;
    a change within the series' own noise is 基本持平."""
    status = ctx.result.status
    final = status in ("met", "missed")
    value = _final_value(ctx) if final else _latest_value(ctx)
    head = _final_head(ctx) if final else _head(ctx)
    if ctx.parts.base is None and ctx.parts.base_missing:
        return [head, _missing_base(ctx)]
    clause = _join(ctx, head, _against_base(ctx, value), _stand_in(ctx))
    if status == "awaiting_data":  # with the deadline period's value, only the base is missing
        no_base = ctx.say("尚无基期数据可供比较", "there is no base value to compare with")
        return [clause, no_base if ctx.parts.final is not None else _outlook(ctx)]
    if ctx.parts.trend is not None and ctx.parts.trend.verdict == "stable":
        zh, en = (
            ("目标未实现", "the target was missed")
            if final
            else ("尚未体现进一步改善", "no improvement shows yet")
        )
        if value != _number(ctx.parts.base.value if ctx.parts.base else None):  # 与2021年持平 says it already
            zh, en = (
                f"变化未超出数据自身的波动，基本持平，{zh}",
                f"a change within the series' own noise, {en}",
            )
    else:
        zh, en = _DIRECTION_CONCLUSIONS.get(status) or STATUS_LABELS[status]
    return [ctx.say(f"{clause}，{zh}", f"{clause}: {en}")]


def _missing_base(ctx: _Ctx) -> str:
    """A direction-only target without its base-year value: why there is no judgement, and what to upload."""
    year = _period(ctx, str(ctx.parts.base_missing))
    return ctx.say(
        f"缺少基期（{year}）数值，暂无法判断是否较基期改善；请上报{year}数值",
        f"there is no value for the base year ({year}), so whether it improved cannot be judged: "
        f"upload the {year} value",
    )


def _stand_in(ctx: _Ctx) -> str | None:
    """基期缺2022年数值，以2021年代替 · the base year 2022 has no value: 2021 stands in for it."""
    base = ctx.parts.base
    if base is None or base.stands_in_for is None or ctx.comparator != "improve":
        return None
    year, used = _period(ctx, base.stands_in_for), _period(ctx, base.period)
    return ctx.say(
        f"基期缺{year}数值，以{used}代替", f"the base year {year} has no value: {used} stands in for it"
    )


def _compared_region(ctx: _Ctx) -> list[str | None]:
    """A region below the target's jurisdiction, compared with the target, never judged by it: 2025年，兰州市…为
    94.26%，高于全国目标水平（94%以上）."""
    reference = ctx.parts.reference
    compared = reference.compared if reference is not None else None
    value = _number(compared.value) if compared else None
    level_zh, level_en = _scope(ctx, reference.jurisdiction if reference else ctx.target.jurisdiction)
    promise_zh = f"{level_zh}目标水平（{_promise(ctx)}）"
    promise_en = f"{level_en} target level ({_promise(ctx)})"
    if compared is None or value is None:
        return [
            ctx.say(f"{_subject(ctx)}尚未报送数据", f"no value of {_subject(ctx)} has been reported yet"),
            ctx.say(f"对照{promise_zh}", f"compared with the {promise_en}"),
        ]
    period, amount = _period(ctx, compared.period), _amount(ctx, value)
    at_deadline = compared.period == ctx.year
    is_zh, note_en = _is(ctx), _provisional_en(ctx)
    head = ctx.say(
        f"{period}，{_subject(ctx)}{is_zh}{amount}"
        if at_deadline
        else f"截至{period}，{_subject(ctx)}{is_zh}{amount}",
        f"in {period}, {_subject(ctx)} {_was(ctx)} {amount}{note_en}"
        if at_deadline
        else f"as of {period}, {_subject(ctx)} {_was(ctx)} {amount}{note_en}",
    )
    if ctx.comparator == "improve":
        if ctx.parts.base is None and ctx.parts.base_missing:
            return [head, ctx.say(f"对照{promise_zh}", f"compared with the {promise_en}"), _missing_base(ctx)]
        clause = _join(ctx, head, _against_base(ctx, value), _stand_in(ctx))
        return [clause, ctx.say(f"对照{promise_zh}", f"compared with the {promise_en}")]
    target_value = ctx.result.target_value
    if target_value is None:
        return [head, ctx.say(f"对照{promise_zh}", f"compared with the {promise_en}"), _relative_note(ctx)]
    return [_join(ctx, head, _compared_with(ctx, value, target_value, promise_zh, promise_en))]


def _compared_with(ctx: _Ctx, value: float, target_value: float, zh: str, en: str) -> str:
    """高于全国目标水平（94%以上） · 低于全省目标水平（…）0.44个百分点."""
    if value == target_value:
        return ctx.say(f"与{zh}持平", f"level with the {en}")
    gap = _gap(ctx, value, target_value)
    above = value > target_value
    by_zh, by_en = (f"{gap}", f" by {gap}") if gap is not None else ("", "")
    if above == ctx.higher:  # better than the target's level: the amount beyond it is not the point
        by_zh, by_en = "", ""
    return ctx.say(
        f"{'高于' if above else '低于'}{zh}{by_zh}", f"{'above' if above else 'below'} the {en}{by_en}"
    )


def _scope(ctx: _Ctx, code: str) -> tuple[str, str]:
    """Whose target a reference row is compared with: 全国 · 全省 · 全市 · 全区 (the national, provincial …)."""
    if code == "100000":
        return "全国", "national"
    name = ctx.registry.regions.get(code).name_zh if code in ctx.registry.regions else code
    for suffix, zh, en in (
        ("省", "全省", "provincial"),
        ("自治区", "全区", "regional"),
        ("市", "全市", "municipal"),
    ):
        if name.endswith(suffix):
            return zh, en
    return name, name


# --- clauses -----------------------------------------------------------------------------------------------------


def _head(ctx: _Ctx) -> str:
    """截至2024年，甘肃省制造业产品质量合格率为93.56% · as of 2024, Gansu's … was 93.56%."""
    latest = ctx.result.latest
    assert latest is not None
    period, amount = _period(ctx, latest.period), _amount(ctx, latest.value)
    return ctx.say(
        f"截至{period}，{_subject(ctx)}{_is(ctx)}{amount}",
        f"as of {period}, {_subject(ctx)} {_was(ctx)} {amount}{_provisional_en(ctx)}",
    )


def _final_head(ctx: _Ctx) -> str:
    """The deadline period's value (or, for a running total met early, the value that met it)."""
    final = ctx.parts.final
    value = _number(final.value) if final else None
    if final is None or value is None:
        return _head(ctx)
    period, amount = _period(ctx, final.period), _amount(ctx, value)
    if final.early:
        return ctx.say(
            f"截至{period}，{_subject(ctx)}已达{amount}",
            f"as of {period}, {_subject(ctx)} had reached {amount}",
        )
    latest = ctx.result.latest
    if ctx.provisional and latest is not None and final.period == latest.period:
        return ctx.say(
            f"{period}，{_subject(ctx)}{_is(ctx)}{amount}",
            f"in {period}, {_subject(ctx)} {_was(ctx)} {amount}{_provisional_en(ctx)}",
        )
    return ctx.say(
        f"{period}，{_subject(ctx)}为{amount}", f"in {period}, {_subject(ctx)} {_was(ctx)} {amount}"
    )


def _is(ctx: _Ctx) -> str:
    """为, or for a provisional latest value 初步数为 (甘肃省制造业产品质量合格率初步数为93.6%)."""
    return "初步数为" if ctx.provisional else "为"


def _provisional_en(ctx: _Ctx) -> str:
    return " (provisional)" if ctx.provisional else ""


def _standing(ctx: _Ctx, value: float) -> str | None:
    """Whether ``value`` already satisfies the target, else how far it is from it."""
    if meets(ctx.target, ctx.indicator, value, ctx.result.target_value, None):
        if _beyond(ctx) is not None:
            return _reached(ctx, value)
        return ctx.say(f"已达到{_target(ctx)}", f"already meeting {_target(ctx)}") + _band_note(ctx, value)
    return _short_of(ctx, value)


def _reached(ctx: _Ctx, value: float) -> str:
    """达到2025年目标（94%以上） · for "about N" passed in the good direction, as a report says it:
    超过2025年预期目标（10,000家左右）26% · within the band short of N, with qtm's reading of 左右 beside it."""
    beyond = _beyond(ctx)
    if beyond is None:
        return ctx.say(f"达到{_target(ctx)}", f"meeting {_target(ctx)}") + _band_note(ctx, value)
    share = _share(beyond * 100)
    return ctx.say(
        f"超过{ctx.year}年预期目标（{_promise(ctx)}）{share}",
        f"{share} above the {ctx.year} target ({_promise(ctx)})",
    )


def _beyond(ctx: _Ctx) -> float | None:
    """How far an "about N" target's latest value has passed N in the good direction (a share of N), else None."""
    return _number(ctx.parts.about.exceeded_by if ctx.parts.about else None)


def _band_note(ctx: _Ctx, value: float) -> str:
    """Where a verdict rests on qtm's reading of 左右 (a value inside the band, short of N), the reading in words."""
    centre, tolerance = ctx.result.target_value, _number(ctx.parts.tolerance)
    if ctx.comparator != "about" or centre is None or tolerance is None or centre == 0:
        return ""
    if (value >= centre) if ctx.higher else (value <= centre):
        return ""
    edge = _amount(ctx, centre - tolerance if ctx.higher else centre + tolerance)
    pct = _share(tolerance / abs(centre) * 100)
    zh_way, en_way = ("不低于", "or more") if ctx.higher else ("不高于", "or less")
    return ctx.say(
        f"，按“左右”±{pct}理解（{zh_way}{edge}即视为达到，系本系统的解读）",
        f", as qtm reads “about” (within ±{pct}: {edge} {en_way} counts as reaching it)",
    )


def _short_of(ctx: _Ctx, value: float) -> str | None:
    """距2025年目标（94%以上）差0.44个百分点 · 0.44 percentage points short of the 2025 target (at least 94%)."""
    reference = _reference(ctx)
    gap = _gap(ctx, value, reference) if reference is not None else None
    if reference is None or gap is None:
        return None
    what_zh = what_en = _target(ctx)
    centre, tolerance = ctx.result.target_value, _number(ctx.parts.tolerance)
    if ctx.comparator == "about" and reference != centre and centre and tolerance is not None:
        edge_zh, edge_en = ("下限", "lower") if ctx.higher else ("上限", "upper")
        pct = _share(tolerance / abs(centre) * 100)
        what_zh = f"{_target(ctx)}按“左右”±{pct}理解的{edge_zh}{_amount(ctx, reference)}"
        what_en = (
            f"{_amount(ctx, reference)}, the {edge_en} edge of {_target(ctx)} as qtm reads “about” (±{pct})"
        )
    if ctx.higher:
        return ctx.say(f"距{what_zh}差{gap}", f"{gap} short of {what_en}")
    return ctx.say(f"比{what_zh}高{gap}", f"{gap} above {what_en}")


def _against_base(ctx: _Ctx, value: float) -> str | None:
    """较2021年（97%）提高0.3个百分点 · up 0.3 percentage points on 2021 (97%)."""
    base = ctx.parts.base
    base_value = _number(base.value) if base else None
    if base is None or base_value is None or ctx.result.status == "insufficient_data":
        return None
    since, amount = _period(ctx, base.period), _amount(ctx, base_value)
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
    detail = ctx.result.detail
    projection = detail.projection if detail is not None else None
    value = _number(projection.value if projection is not None else None)
    if value is None:
        return None
    base = ctx.parts.base
    since = _period(ctx, base.period) if base else None
    reach = _amount(ctx, value, 0 if ctx.indicator.kind == "count" else 2)
    ratio = ctx.parts.growth_ratio
    rate = _number(ratio.actual_rate if ratio is not None else None)
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
    """An 'about N' target passed in the good direction (how far is said by :func:`_reached`): 超额完成 ·
    exceeding it."""
    if _beyond(ctx) is None:
        return None
    return ctx.say("超额完成", "exceeding it")


def _milestone(ctx: _Ctx) -> str | None:
    """A missed interim milestone that keeps the target off track."""
    missed = ctx.parts.milestone_missed
    check = next((c for c in ctx.parts.milestones if c.date == missed), None)
    value = _number(check.value) if check else None
    if check is None or value is None:
        return None
    when, amount = _date(ctx, check.date), _amount(ctx, value)
    actual = _number(check.actual)
    was_zh = f"（实际为{_amount(ctx, actual)}）" if actual is not None else ""
    was_en = f" (the value was {_amount(ctx, actual)})" if actual is not None else ""
    return ctx.say(
        f"{when}阶段目标{amount}未实现{was_zh}", f"the milestone of {amount} by {when} was not met{was_en}"
    )


def _relative_note(ctx: _Ctx) -> str | None:
    """For a relative target: the baseline value and period used, or that the baseline is not yet entered."""
    relative = ctx.parts.relative
    spec = ctx.target.relative
    if relative is None or spec is None:
        return None
    value = _number(relative.baseline_value)
    if value is not None and relative.baseline_period is not None:
        period, amount = _period(ctx, relative.baseline_period), _amount(ctx, value)
        return ctx.say(
            f"目标值按{period}{spec.label.zh}{amount}计算",
            f"the target value is reckoned on the {spec.label.en} of {period}, {amount}",
        )
    by = _period(ctx, relative.baseline_no_later_than)
    return ctx.say(
        f"{spec.label.zh}（{by}及以前）尚未录入，目标值待定",
        f"the {spec.label.en} in force by {by} has not been entered yet, so the target value is not known",
    )


def _why_not_judged(ctx: _Ctx) -> str:
    """insufficient_data with a value: why progress cannot be judged yet."""
    if ctx.result.target_value is None:
        return ctx.say("暂无法判断进展", "progress cannot be judged yet")
    ratio = ctx.parts.growth_ratio if ctx.result.method == "growth_ratio" else None
    if ratio is not None and ratio.reason is not None:
        return ctx.say(
            "这些数值无法计算增长率，暂无法判断进展",
            "no growth rate can be computed from these values, so progress cannot be judged yet",
        )
    base = ctx.parts.base
    since = _period(ctx, base.period) if base else None
    return ctx.say(
        f"{since or '基期'}以来的数据不足两期，暂无法测算进展",
        f"there are fewer than two values since {since or 'the base'}, too few to project progress",
    )


def _outlook(ctx: _Ctx) -> str | None:
    """待2025年数据；按2024年数据，进展顺利，有望完成目标 · awaiting 2025 data; on 2024 data, on track to meet the
    target (the words of qtm.formatting.outlook_words, with the period written as in the rest of the statement).
    Resting on part of the deadline year: 按2025年前三季度数据（平均96.1%），…; a partial sum is shown, not compared."""
    outlook = ctx.parts.outlook
    latest = outlook.latest if outlook else None
    if outlook is None or latest is None:
        return None
    zh, en = outlook_words(outlook.status, "higher" if ctx.higher else "lower")
    period = _period(ctx, latest.period)
    on_zh, on_en = f"按{period}数据", f"on {period} data"
    basis = outlook.basis
    value = _number(basis.value) if basis is not None else None
    partial_zh = partial_en = ""
    if basis is not None and value is not None and basis.compared:
        on_zh = f"按{basis.zh}数据（平均{_amount(ctx, value)}）"
        on_en = f"on the data of {basis.en} (mean {_amount(ctx, value)})"
    elif basis is not None and value is not None:
        partial_zh = f"；{basis.zh}合计{_amount(ctx, value)}，尚非全年数据，未与全年目标比较"
        partial_en = f"; {basis.en} add up to {_amount(ctx, value)}, not a year's total: not compared"
    return ctx.say(
        f"待{ctx.year}年数据{partial_zh}；{on_zh}，{zh}",
        f"awaiting {ctx.year} data{partial_en}; {on_en}, {en}",
    )


# --- words and numbers -------------------------------------------------------------------------------------------


def _target(ctx: _Ctx) -> str:
    """2025年目标（94%以上） · the 2025 target (at least 94%)."""
    return ctx.say(f"{ctx.year}年目标（{_promise(ctx)}）", f"the {ctx.year} target ({_promise(ctx)})")


def _promise(ctx: _Ctx) -> str:
    """What the target asks, in the plan's words, from the result: 94%以上 · 不高于5% · 10,000家左右 (the ±band is
    qtm's reading, said only where a verdict rests on it) · 较2021年进一步提高."""
    if ctx.comparator == "improve":
        base = ctx.parts.base
        since = _period(ctx, base.period) if base else ctx.say("基期", "the base period")
        zh_way, en_way = ("提高", "higher") if ctx.higher else ("降低", "lower")
        return ctx.say(f"较{since}进一步{zh_way}", f"{en_way} than in {since}")
    amount = _target_amount(ctx)
    if ctx.comparator == "about":
        return ctx.say(f"{amount}左右", f"about {amount}")
    if ctx.comparator == "at_least":
        return ctx.say(f"{amount}以上", f"at least {amount}")
    return ctx.say(f"不高于{amount}", f"at most {amount}")


def _target_amount(ctx: _Ctx) -> str:
    """The target value, or for a relative target the factor of its baseline (and the value, once known)."""
    value = ctx.result.target_value
    relative, spec = ctx.parts.relative, ctx.target.relative
    if relative is None or spec is None:
        return _amount(ctx, value) if value is not None else ""
    factor = _number(relative.factor)
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
    """A value with its unit or the indicator's own counter, for prose: 93.56% · 250小时 (250 h) · 12,600家
    (12,600 enterprises) · 1,000个 (1,000 scenarios) · 82分 (82 points)."""
    number = number_text(round(value, decimals) if decimals is not None else value)
    counter = ctx.indicator.counter
    unit = (
        (counter.zh if ctx.lang == "zh" else counter.en) if counter else unit_symbol(ctx.indicator, ctx.lang)
    )
    return f"{number} {unit}" if ctx.lang == "en" and unit not in ("", "%") else f"{number}{unit}"


def _gap(ctx: _Ctx, value: float, reference: float) -> str | None:
    """The distance from ``reference``, to the precision of the two values: percentage points for a percent
    indicator; units of its counter for a count (1,000家); points for an index or score (0.4个点, 2分); else (a
    duration) a share of the reference, None when the reference is zero."""
    decimals = max(_decimals(value), _decimals(reference))
    difference = round(abs(value - reference), decimals)
    if ctx.indicator.unit == "percent":
        points = number_text(difference)
        return ctx.say(f"{points}个百分点", f"{points} percentage point{'' if points == '1' else 's'}")
    if ctx.indicator.kind == "count":
        return _amount(ctx, difference)
    if ctx.indicator.kind == "index":
        points = number_text(difference)
        plural = "" if points == "1" else "s"
        if ctx.indicator.counter is not None:
            return _amount(ctx, difference)
        return ctx.say(f"{points}个点", f"{points} point{plural}")
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
    for goal in (ctx.parts.goal, ctx.parts.about.goal if ctx.parts.about else None):
        if _number(goal) is not None:
            return _number(goal)
    return ctx.result.target_value


def _latest_value(ctx: _Ctx) -> float:
    assert ctx.result.latest is not None
    return ctx.result.latest.value


def _final_value(ctx: _Ctx) -> float:
    final = _number(ctx.parts.final.value if ctx.parts.final else None)
    return final if final is not None else _latest_value(ctx)


def _join(ctx: _Ctx, *clauses: str | None) -> str:
    return ctx.say("，", ", ").join(c for c in clauses if c)


def _number(value: float | None) -> float | None:
    """A finite number of the components, else None."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)
