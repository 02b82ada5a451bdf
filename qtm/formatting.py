"""How targets and values read to a person: "≥ 94 %", "10000家左右", "≥ 1.6 × 现行国家标准值"."""

from __future__ import annotations

from qtm.progress import Result
from qtm.registry import Indicator, Registry, Target

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
    outlook = result.components.get("outlook")
    if not isinstance(outlook, dict):
        return None
    year = result.deadline.year
    latest = outlook.get("latest")
    zh, en = outlook_words(str(outlook["status"]), result.components.get("direction"))
    if not isinstance(latest, dict):
        return f"待{year}年数据；尚无数据可作预判", f"awaiting {year} data; no data yet to judge the outlook"
    basis = outlook.get("basis")
    if isinstance(basis, dict) and basis.get("compared"):
        return (
            f"待{year}年数据；按{basis['zh']}数据，{zh}",
            f"awaiting {year} data; on the data of {basis['en']}, {en}",
        )
    period = latest["period"]
    period_zh = f"{period}年" if str(period).isdigit() else str(period)
    return f"待{year}年数据；按{period_zh}数据，{zh}", f"awaiting {year} data; on {period} data, {en}"
