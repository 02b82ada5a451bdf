"""The one pint unit registry of the process, taught the units Chinese returns are written in.

Every quantity in qtm comes from :data:`ureg`; two registries in one process cannot be mixed (pint raises).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import pint

ureg: pint.UnitRegistry = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
pint.set_application_registry(ureg)

# Counting words are all ``count``: 家 (enterprises, factories), 个 (items, scenarios), 项, 户, 座, 批, 台, 处.
# They are the same dimension on purpose: a return that writes 家 for a count indicator declared in 个 is fine.
for _word in ("家", "个", "項", "项", "户", "戶", "座", "批", "批次", "台", "处", "處", "件"):
    ureg.define(f"@alias count = {_word}")
ureg.define("@alias hour = 小时 = 小時 = 时")
ureg.define("@alias minute = 分钟 = 分鐘")
ureg.define("@alias day = 天 = 日")
ureg.define("@alias year = 年")
# Index points (质量竞争力指数) are dimensionless numbers.
ureg.define("index_point = [] = 点 = 分")
ureg.define("@alias count = 人")
ureg.define("yuan = [currency] = 元")
# Scale words before a unit (0.9 万家 is 9 000 家, 3.2 亿元, 12 千人): prefixes; alone (单位：万) a scaled count.
SCALE_WORDS = {"十万": 1e5, "百万": 1e6, "千万": 1e7, "千": 1e3, "万": 1e4, "亿": 1e8}
for _word, _factor in SCALE_WORDS.items():
    ureg.define(f"{_word}- = {_factor:g}")

Quantity = ureg.Quantity

#: Unit words that mean "a percentage" in returns, after NFKC normalisation.
_PERCENT_WORDS = {"%", "％", "百分比", "百分率", "percent", "pct"}


def normalise_text(text: str) -> str:
    """NFKC-normalise (full-width ％ → %, full-width digits → ASCII) and trim, as every parser must first."""
    return unicodedata.normalize("NFKC", text).strip()


@lru_cache(maxsize=1024)
def parse_unit(text: str) -> pint.Unit:
    """Parse a unit as officials write it ("%", "％", "小时", "家", "h") into a pint unit.

    Raises ``pint.errors.UndefinedUnitError`` (or ``ValueError``) for anything pint does not know.
    """
    cleaned = normalise_text(text)
    if cleaned.lower() in _PERCENT_WORDS or cleaned in {"(%)", "（%）"}:
        return ureg.percent
    if cleaned in {"", "无", "—", "-"}:
        return ureg.dimensionless
    cleaned = cleaned.strip("()（）")
    if cleaned in SCALE_WORDS:
        cleaned += "count"
    unit = ureg.parse_units(cleaned)
    return unit


def is_known_unit(text: str) -> bool:
    """True when :func:`parse_unit` accepts ``text``."""
    try:
        parse_unit(text)
    except Exception:  # pint's parser raises many kinds (TokenError, SyntaxError …) on text that is no unit
        return False
    return True


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """Convert ``value`` written in ``from_unit`` into ``to_unit``; raises ``pint.DimensionalityError``."""
    src, dst = parse_unit(from_unit), parse_unit(to_unit)
    if src == dst:
        return value
    return float(Quantity(value, src).to(dst).magnitude)


def converts(from_unit: str, to_unit: str) -> bool:
    """True when a value in ``from_unit`` can be expressed in ``to_unit``."""
    try:
        return parse_unit(from_unit).is_compatible_with(parse_unit(to_unit))
    except Exception:  # pint's parser raises many kinds (TokenError, SyntaxError …) on text that is no unit
        return False
