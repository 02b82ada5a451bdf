"""How targets and values read to a person: "≥ 94 %", "10000家左右", "≥ 1.6 × 现行国家标准值"."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from qtm.registry import Indicator, Registry, Target

if TYPE_CHECKING:  # the judgement engine is not needed to format a value (a one-line ingest stays quick)
    from qtm.progress import Result

_UNIT_SYMBOLS = {"percent": "%", "hour": "h", "count": "", "dimensionless": ""}
_UNIT_WORDS_ZH = {"percent": "%", "hour": "小时", "count": "个", "dimensionless": ""}


def unit_symbol(indicator: Indicator, lang: str = "en") -> str:
    """The short unit a table shows after a value: "%", "h" (小时 in Chinese), "" for counts (个) and indices."""
    if lang == "zh" and indicator.counter is not None:
        return indicator.counter.zh  # what it counts: 家 for enterprises, 个 for scenarios
    table = _UNIT_WORDS_ZH if lang == "zh" else _UNIT_SYMBOLS
    return table.get(indicator.unit, indicator.unit)


def number_text(value: float, *, min_decimals: int = 0) -> str:
    """A number the Chinese way: thousands separated by commas, as few decimals as it needs (at least
    ``min_decimals``): 1,000 · 93.93 · 98.0."""
    if float(value).is_integer() and min_decimals == 0:
        return f"{value:,.0f}"
    text = f"{value:,.4f}".rstrip("0")
    decimals = len(text.split(".")[1]) if "." in text else 0
    return f"{value:,.{max(decimals, min_decimals)}f}"


def value_text(value: float | None, indicator: Indicator, lang: str = "en") -> str:
    """A value with its unit, as few decimals as it needs (a rate at least one): 93.65 %, 98.0 %, 250 h (250 小时),
    12,600 (12,600 个)."""
    if value is None:
        return "—"
    number = number_text(float(value), min_decimals=1 if indicator.unit == "percent" else 0)
    symbol = unit_symbol(indicator, lang)
    return (
        f"{number}{symbol}"
        if indicator.counter is not None and lang == "zh"
        else f"{number} {symbol}".strip()
    )


def target_text(registry: Registry, target: Target, lang: str = "both") -> str:
    """The promise in one short phrase: in Chinese, in English, or (``"both"``) Chinese first with English where
    words are needed: "≥ 94.0 %", "10,000家左右", "≥ 1.6 × 现行国家标准值"."""
    indicator = registry.indicators[target.indicator]
    unit_lang = "zh" if lang == "zh" else "en"

    def say(zh: str, en: str) -> str:
        return zh if lang == "zh" else en if lang == "en" else f"{zh} / {en}"

    if target.comparator == "improve":
        period = target.baseline.period if target.baseline else "?"
        return say(f"高于基期 {period}", f"above base {period}")
    if target.relative is not None:
        label = target.relative.label
        words = label.zh if lang == "zh" else label.en if lang == "en" else f"{label.zh} ({label.en})"
        amount = f"{target.relative.factor:g} × {words}"
    else:
        amount = value_text(target.value, indicator, unit_lang)
    if (
        target.comparator == "about"
    ):  # the plan's words; the ±band is qtm's reading, said only where it decides
        return say(f"{amount}左右", f"about {amount}")
    sign = "≥" if target.comparator == "at_least" else "≤"
    return f"{sign} {amount}"


#: Each status in Chinese and English, for tables and badges.
STATUS_LABELS: dict[str, tuple[str, str]] = {
    "achieved": ("已实现", "Achieved"),
    "on_track": ("进展顺利", "On track"),
    "needs_acceleration": ("需加快", "Needs acceleration"),
    "limited_progress": ("进展有限", "Limited progress"),
    "deteriorating": ("倒退", "Deteriorating"),
    "insufficient_data": ("数据不足", "Insufficient data"),
    "met": ("已达成", "Met"),
    "missed": ("未达成", "Missed"),
    "awaiting_data": ("待数据", "Awaiting data"),
    "reference": ("对照参考", "Reference"),
}

METHOD_LABELS: dict[str, tuple[str, str]] = {
    "growth_ratio": ("增长率比值法", "Growth ratio (Eurostat / Open SDG)"),
    "expected_path": ("预期路径法", "Expected path, time-weighted projection"),
    "comparison": ("直接比较", "Comparison with the target"),
}

CATEGORY_LABELS: dict[str, tuple[str, str]] = {
    "consumer": ("民生消费", "Consumer goods, farm products and food"),
    "industrial": ("产业基础", "Industrial foundations and equipment"),
    "emerging": ("新技术新产业", "New technology and smart manufacturing"),
    "service": ("服务", "Services"),
    "engineering": ("工程", "Construction and roads"),
}


#: What the data so far say of the deadline, as an official writes it after "按2024年数据，" (deteriorating is worded by
#: :func:`outlook_words`, which knows the good direction).
OUTLOOK_WORDS: dict[str, tuple[str, str]] = {
    "achieved": ("已达到目标要求", "already meeting the target"),
    "on_track": ("进展顺利，有望完成目标", "on track to meet the target"),
    "needs_acceleration": ("需加快进度方能完成目标", "progress needs to accelerate to meet the target"),
    "limited_progress": (
        "进展有限，完成目标有一定难度",
        "progress is limited: the target will be hard to meet",
    ),
    "insufficient_data": ("数据不足，暂无法预判", "too few values to judge"),
}


def outlook_words(status: str, direction: object = "higher") -> tuple[str, str]:
    """The outlook of ``status`` in an official's words: 进展顺利，有望完成目标 · 呈下降态势，完成目标难度较大 (for a
    lower-is-better indicator 呈上升态势); a status without words of its own is its label."""
    if status == "deteriorating":
        way_zh, way_en = ("下降", "falling") if direction != "lower" else ("上升", "rising")
        return f"呈{way_zh}态势，完成目标难度较大", f"{way_en}, away from the target: it will be hard to meet"
    zh, en = OUTLOOK_WORDS.get(status) or STATUS_LABELS[status]
    return zh, en if status in OUTLOOK_WORDS else en.lower()


def outlook_text(result: Result | None) -> tuple[str, str] | None:
    """After the deadline, while its value is awaited: where the data so far were heading, in Chinese and English
    ("待2025年数据；按2024年数据，需加快进度方能完成目标" / "awaiting 2025 data; on 2024 data, progress needs to
    accelerate to meet the target")."""
    if result is None or result.status != "awaiting_data":
        return None
    outlook = result.components.outlook
    if outlook is None:
        return None
    year = result.deadline.year
    latest = outlook.latest
    zh, en = outlook_words(outlook.status, result.components.direction)
    if latest is None:
        return f"待{year}年数据；尚无数据可作预判", f"awaiting {year} data; no data yet to judge the outlook"
    basis = outlook.basis
    if basis is not None and basis.compared:
        return (
            f"待{year}年数据；按{basis.zh}数据，{zh}",
            f"awaiting {year} data; on the data of {basis.en}, {en}",
        )
    period = latest.period
    period_zh = f"{period}年" if str(period).isdigit() else str(period)
    return f"待{year}年数据；按{period_zh}数据，{zh}", f"awaiting {year} data; on {period} data, {en}"


# --- times, flags, clauses and the characters of a quote, as a person reads them ----------------------------------

#: Beijing time, the time officials read: every stored time is UTC and is shown in it, labelled.
BEIJING = dt.timezone(dt.timedelta(hours=8))


def beijing_time(at: dt.datetime, lang: str = "zh", *, seconds: bool = False, labelled: bool = True) -> str:
    """``at`` (UTC; a naive time is taken as UTC) in Beijing time, labelled: "2026-12-07 10:05（北京时间）" ·
    "2026-12-07 10:05 (Beijing time)"; unlabelled under a heading that says it."""
    aware = at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)
    text = f"{aware.astimezone(BEIJING):%Y-%m-%d %H:%M{':%S' if seconds else ''}}"
    if not labelled:
        return text
    return f"{text}（北京时间）" if lang == "zh" else f"{text} (Beijing time)"


#: The flags of a value in Chinese and English.
FLAG_WORDS: dict[str, tuple[str, str]] = {
    "provisional": ("初步", "provisional"),
    "estimated": ("估计", "estimated"),
    "revised": ("修订", "revised"),
    "synthetic": ("合成", "synthetic"),
}


def flags_text(flags: frozenset[str] | set[str], lang: str = "zh") -> str:
    """A value's flags in words, "、"-joined in Chinese: 初步、修订 · provisional, revised."""
    words = [FLAG_WORDS.get(f, (f, f)) for f in sorted(flags)]
    return "、".join(zh for zh, _ in words) if lang == "zh" else ", ".join(en for _, en in words)


#: A clause that the plan does not number and qtm read from a part of the plan is written "qtm：<part>".
INFERRED_CLAUSE = "qtm："


def clause_text(clause: str, lang: str = "zh") -> str:
    """Where in the plan, in words: a numbered clause as it is ("(七)"); one qtm inferred says so:
    方案未列条款号；据“主要目标”部分 · The plan numbers no clause; from its part “主要目标”."""
    if not clause.startswith(INFERRED_CLAUSE):
        return simplified(clause) if lang == "zh" else clause
    part = clause.removeprefix(INFERRED_CLAUSE)
    if lang == "zh":
        return f"方案未列条款号；据“{simplified(part)}”部分"
    return f"No clause number in the plan; from its part “{part}”"


def clause_line(clause: str, lang: str = "zh") -> str:
    """A clause after the plan's title: "条款 (七)" · "clause (七)" (both, Chinese first, for ``"both"``), or what
    :func:`clause_text` says of a clause qtm inferred."""
    if clause.startswith(INFERRED_CLAUSE):
        return clause_text(clause, "en" if lang == "en" else "zh")
    if lang == "both":
        return f"条款 clause {simplified(clause)}"
    return f"条款 {simplified(clause)}" if lang == "zh" else f"clause {clause}"


@functools.cache
def _to_simplified() -> Callable[[str], str]:
    import opencc

    return opencc.OpenCC("t2s").convert


def simplified(text: str) -> str:
    """``text`` in simplified characters (OpenCC t2s); simplified text comes back as it is."""
    return _to_simplified()(text)


def is_traditional(text: str) -> bool:
    """Whether ``text`` holds traditional characters (it reads otherwise in simplified ones)."""
    return simplified(text) != text


# --- the audit trail, read ---------------------------------------------------------------------------------------

#: Each action of the audit trail in Chinese and English.
AUDIT_ACTIONS: dict[str, tuple[str, str]] = {
    "upload": ("上传数据", "upload"),
    "withdraw": ("撤回批次", "withdrawal"),
    "user_add": ("新增账户", "account added"),
    "user_enable": ("启用账户", "account enabled"),
    "user_disable": ("停用账户", "account disabled"),
    "user_set_role": ("更改角色", "role changed"),
    "user_set_password": ("更改密码", "password changed"),
    "login_failed": ("登录失败", "failed login"),
    "login_throttled": ("登录次数超限", "login refused by the limit"),
}
ROLE_WORDS: dict[str, tuple[str, str]] = {
    "viewer": ("查看", "viewer"),
    "reporter": ("上报", "reporter"),
    "admin": ("管理员", "admin"),
}
_LOGIN_FAILURES: dict[str, tuple[str, str]] = {
    "unknown user": ("无此用户", "unknown user"),
    "wrong password": ("密码错误", "wrong password"),
    "account disabled": ("账户已停用", "account disabled"),
}
_PER = {"second": ("每秒", "a second"), "minute": ("每分钟", "a minute"), "hour": ("每小时", "an hour"),
        "day": ("每天", "a day")}  # fmt: skip


def audit_action(action: str, lang: str = "zh") -> str:
    """An action of the audit trail in words: 撤回批次 · withdrawal (an unknown one as stored)."""
    zh, en = AUDIT_ACTIONS.get(action, (action, action))
    return zh if lang == "zh" else en


def audit_detail(action: str, detail: Mapping[str, object], lang: str = "zh") -> str:
    """What an audit entry's details say, in a sentence: 文件 a.csv：存储 3 个数值，取代 1 个，1 个不变 ·
    file a.csv: 3 values stored, 1 superseded, 1 unchanged. Stored text (a file name, a reason) is as typed."""
    zh = lang == "zh"
    say = (lambda z, e: z) if zh else (lambda z, e: e)
    d = detail
    if action == "upload":
        return say(
            f"文件 {d.get('file')}：存储 {d.get('stored')} 个数值，取代 {d.get('superseded')} 个，"
            f"{d.get('unchanged')} 个不变",
            f"file {d.get('file')}: {d.get('stored')} values stored, {d.get('superseded')} superseded, "
            f"{d.get('unchanged')} unchanged",
        ) + _sha(d, lang)
    if action == "withdraw":
        reason = d.get("reason")
        return say(
            f"文件 {d.get('file')}：撤回 {d.get('withdrawn')} 个数值，恢复 {d.get('restored')} 个"
            f"（撤回记录为批次 {d.get('withdrawal_batch')}）" + (f"；理由：{reason}" if reason else ""),
            f"file {d.get('file')}: {d.get('withdrawn')} values withdrawn, {d.get('restored')} restored "
            f"(recorded as batch {d.get('withdrawal_batch')})" + (f"; reason: {reason}" if reason else ""),
        )
    if action.startswith("user_"):
        return _account_detail(d, lang)
    if action == "login_failed":
        why = str(d.get("reason", ""))
        return say("原因：", "reason: ") + _pick(_LOGIN_FAILURES.get(why, (why, why)), lang)
    if action == "login_throttled":
        return say("限额：", "limit: ") + _limit_text(str(d.get("limit", "")), lang)
    return "；".join(f"{key}：{value}" for key, value in d.items())


def _pick(texts: tuple[str, str], lang: str) -> str:
    return texts[0] if lang == "zh" else texts[1]


def _sha(detail: Mapping[str, object], lang: str) -> str:
    """The file's fingerprint, shown in English views only (a Chinese view keeps it in the CSV export)."""
    sha = detail.get("sha256")
    return f" (SHA-256 {str(sha)[:12]}…)" if sha and lang != "zh" else ""


def _account_detail(detail: Mapping[str, object], lang: str) -> str:
    """账户 lanzhou · 上报 · 地区 620100 (and what it was, for a change of role)."""
    parts = [_pick(("账户 ", "account "), lang) + str(detail.get("name", ""))]
    if "role" in detail:
        role = str(detail["role"])
        parts.append(_pick(ROLE_WORDS.get(role, (role, role)), lang))
    regions = detail.get("regions")
    if isinstance(regions, list) and regions:
        parts.append(_pick(("地区 ", "regions "), lang) + "、".join(str(r) for r in regions))
    was = detail.get("was")
    if isinstance(was, dict) and "role" in was:
        role = str(was["role"])
        parts.append(_pick(("原为 ", "was "), lang) + _pick(ROLE_WORDS.get(role, (role, role)), lang))
    return " · ".join(parts)


def _limit_text(limit: str, lang: str) -> str:
    """ "10 per minute" in words: 每分钟 10 次 · 10 a minute (another wording as stored)."""
    words = limit.split()
    if len(words) == 3 and words[0].isdigit() and words[1] == "per" and words[2].rstrip("s") in _PER:
        zh, en = _PER[words[2].rstrip("s")]
        return f"{zh} {words[0]} 次" if lang == "zh" else f"{words[0]} {en}"
    return limit


# --- the source of a value, as a citation ------------------------------------------------------------------------

#: English notes inside stored source citations (data/demo) and their Chinese words.
_SOURCE_NOTES_ZH: tuple[tuple[str, str], ...] = (
    (" (the reprint's date)", "（转载日期）"),
    (" (its officials as reported)", "（据其官员介绍）"),
    (": a count given to the hundred and not a bound", "：公布数精确到百位，并非上下限"),
)
_DERIVED = (
    (re.compile(r"^100 minus the non-conformity rate ([\d.]+)$"), "按公布的不合格率{0}%推算（100−{0}）"),
    (
        re.compile(r"^([\d.]+) \((\d{4})\) minus the stated rise of ([\d.]+) points$"),
        "按{1}年数值{0}%减去公布的提高{2}个百分点推算",
    ),
)
SYNTHETIC_SOURCE = ("演示用合成数据，非官方统计", "synthetic demonstration data, not an official figure")


def source_text(source: str | None, lang: str = "zh") -> str:
    """A stored source note ("R · publisher，《title》，date · read in <reprint>", "D · <how> · …", "SYNTHETIC · …")
    as a citation an official can use: publisher，《title》，date, with how a derived figure was derived, in the
    page's language; the reprint it was read in stays in the data (``qtm history --json``), not in the citation."""
    if not source:
        return ""
    parts = [part.strip() for part in source.split(" · ")]
    if parts[0] == "SYNTHETIC":
        return _pick(SYNTHETIC_SOURCE, lang)
    if parts[0] not in {"R", "D"} or len(parts) < 2:
        return source
    parts = [part for part in parts[1:] if not part.startswith("read in ")]
    derivation = parts.pop(0) if source.startswith("D") and len(parts) > 1 else None
    citation = " · ".join(parts)
    if lang == "zh":
        for english, chinese in _SOURCE_NOTES_ZH:
            citation = citation.replace(english, chinese)
        citation = _chinese_punctuation(citation)
    if derivation is None:
        return citation
    return f"{citation}；{_derivation(derivation)}" if lang == "zh" else f"{citation}; derived: {derivation}"


def _chinese_punctuation(text: str) -> str:
    """Commas, colons and brackets of a Chinese citation in their full-width forms (a return's text is stored with
    the half-width ones); a number's comma or colon (1,000 · 10:05) stays."""
    text = re.sub(r"\s?\(([^()]*)\)", r"（\1）", text)
    text = re.sub(r"(?<!\d),|,(?!\d)", "，", text)
    return re.sub(r"(?<!\d):(?!\d)", "：", text)


def _derivation(how: str) -> str:
    """How a derived figure was derived, in Chinese (an unknown wording as stored)."""
    for pattern, chinese in _DERIVED:
        found = pattern.match(how)
        if found:
            return chinese.format(*found.groups())
    return how
