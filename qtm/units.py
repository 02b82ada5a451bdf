"""Units as Chinese returns write them: pint's registry, taught those words, built only when a conversion needs it.

Every quantity in qtm comes from :func:`registry`; two registries in one process cannot be mixed (pint raises).
Building it costs a quarter of a second (half a second with pint's import), so the words returns write most — %,
家, 个, 小时 … (:data:`PLAIN_UNITS`) — are answered from one small table that also teaches pint those words: a
one-line return is checked without pint, and a test holds the table to pint's own answers.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pint


@dataclass(frozen=True)
class PlainUnit:
    """A unit word's pint name, its dimension ('' for none) and its size in the dimension's base unit."""

    pint_name: str
    dimension: str
    size: float


#: Unit words that mean "a percentage" in returns, after NFKC normalisation.
PERCENT_WORDS = ("%", "％", "百分比", "百分率", "percent", "pct", "(%)", "（%）")
#: Counting words are all ``count``: 家 (enterprises, factories), 个 (items, scenarios), 项, 户, 座, 批, 台, 处, 人.
#: They are the same dimension on purpose: a return that writes 家 for a count indicator declared in 个 is fine.
COUNT_WORDS = ("家", "个", "項", "项", "户", "戶", "座", "批", "批次", "台", "处", "處", "件", "人")
#: Chinese names of pint's units of time.
TIME_WORDS = {
    "hour": ("小时", "小時", "时"),
    "minute": ("分钟", "分鐘"),
    "day": ("天", "日"),
    "year": ("年",),
}
#: Scale words before a unit (0.9 万家 is 9 000 家, 3.2 亿元, 12 千人): prefixes; alone (单位：万) a scaled count.
SCALE_WORDS = {"十万": 1e5, "百万": 1e6, "千万": 1e7, "千": 1e3, "万": 1e4, "亿": 1e8}
_TIME_SIZES = {"hour": 3600.0, "minute": 60.0, "day": 86400.0, "year": 31557600.0}  # pint's year: 365.25 days

#: The words answered without building pint's registry, each as pint reads it (tests compare the two).
PLAIN_UNITS: dict[str, PlainUnit] = {
    **dict.fromkeys(("", "无", "—", "-", "dimensionless"), PlainUnit("dimensionless", "", 1.0)),
    **dict.fromkeys(PERCENT_WORDS, PlainUnit("percent", "", 0.01)),
    **dict.fromkeys((*COUNT_WORDS, "count"), PlainUnit("count", "", 1.0)),
    **{
        word: PlainUnit(name, "[time]", _TIME_SIZES[name])
        for name, words in TIME_WORDS.items()
        for word in (*words, name)
    },
    **dict.fromkeys(("点", "分", "index_point"), PlainUnit("index_point", "", 1.0)),
    **dict.fromkeys(("元", "yuan"), PlainUnit("yuan", "[currency]", 1.0)),
}
#: Every character of a Chinese unit word pint is taught: text with any other ideograph is no unit.
_UNIT_CHARACTERS = frozenset("".join(w for w in (*PLAIN_UNITS, *SCALE_WORDS) if not w.isascii()))


@lru_cache(maxsize=1)
def registry() -> pint.UnitRegistry:
    """The process's pint registry with the Chinese words of :data:`PLAIN_UNITS` and :data:`SCALE_WORDS`."""
    import pint

    ureg: pint.UnitRegistry = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
    pint.set_application_registry(ureg)
    for word in COUNT_WORDS:
        ureg.define(f"@alias count = {word}")
    for name, words in TIME_WORDS.items():
        ureg.define(f"@alias {name} = {' = '.join(words)}")
    ureg.define("index_point = [] = 点 = 分")  # index points (质量竞争力指数) are dimensionless numbers
    ureg.define("yuan = [currency] = 元")
    for word, factor in SCALE_WORDS.items():
        ureg.define(f"{word}- = {factor:g}")
    return ureg


def __getattr__(name: str) -> Any:
    """``ureg`` and ``Quantity``, as before the registry was built lazily."""
    if name == "ureg":
        return registry()
    if name == "Quantity":
        return registry().Quantity
    raise AttributeError(name)


def normalise_text(text: str) -> str:
    """NFKC-normalise (full-width ％ → %, full-width digits → ASCII) and trim, as every parser must first."""
    return unicodedata.normalize("NFKC", text).strip()


def plain_unit(text: str) -> PlainUnit | None:
    """The table's entry for ``text`` ("%", "家", "小时" …), or None when only pint can tell."""
    cleaned = normalise_text(text)
    if cleaned.lower() in PERCENT_WORDS:  # pint's names are case-sensitive; these words are not
        return PLAIN_UNITS["%"]
    return PLAIN_UNITS.get(cleaned)


@lru_cache(maxsize=1024)
def parse_unit(text: str) -> pint.Unit:
    """Parse a unit as officials write it ("%", "％", "小时", "家", "h") into a pint unit.

    Raises ``pint.errors.UndefinedUnitError`` (or ``ValueError``) for anything pint does not know.
    """
    ureg = registry()
    plain = plain_unit(text)
    if plain is not None:
        return ureg.Unit(plain.pint_name)
    cleaned = normalise_text(text).strip("()（）")
    if cleaned in SCALE_WORDS:
        cleaned += "count"
    return ureg.parse_units(cleaned)


def _no_unit(text: str) -> bool:
    """True when ``text`` holds an ideograph that no unit word pint is taught contains (合格率, 兰州市)."""
    return any(unicodedata.category(c) == "Lo" and c not in _UNIT_CHARACTERS for c in text)


def is_known_unit(text: str) -> bool:
    """True when :func:`parse_unit` accepts ``text``."""
    if plain_unit(text) is not None:
        return True
    if _no_unit(normalise_text(text)):
        return False
    try:
        parse_unit(text)
    except Exception:  # pint's parser raises many kinds (TokenError, SyntaxError …) on text that is no unit
        return False
    return True


def is_dimensionless(text: str) -> bool:
    """True for a unit of no dimension (%, 家, 点); raises as :func:`parse_unit` for text that is no unit."""
    plain = plain_unit(text)
    return plain.dimension == "" if plain is not None else bool(parse_unit(text).dimensionless)


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """Convert ``value`` written in ``from_unit`` into ``to_unit``; raises ``pint.DimensionalityError``."""
    src, dst = plain_unit(from_unit), plain_unit(to_unit)
    if src is not None and dst is not None and src.dimension == dst.dimension:
        return value if src == dst else value * src.size / dst.size
    source, target = parse_unit(from_unit), parse_unit(to_unit)
    if source == target:
        return value
    return float(registry().Quantity(value, source).to(target).magnitude)


def converts(from_unit: str, to_unit: str) -> bool:
    """True when a value in ``from_unit`` can be expressed in ``to_unit``."""
    src, dst = plain_unit(from_unit), plain_unit(to_unit)
    if src is not None and dst is not None:
        return src.dimension == dst.dimension
    try:
        return bool(parse_unit(from_unit).is_compatible_with(parse_unit(to_unit)))
    except Exception:  # pint's parser raises many kinds (TokenError, SyntaxError …) on text that is no unit
        return False
