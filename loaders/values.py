"""Reading one cell's text the way an official wrote it: numbers, percentages, periods, flags."""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

from loaders.grid import CellError
from qtm.periods import Period
from qtm.units import normalise_text

#: Markers that mean "no data" (a warning, not an error).
MISSING_MARKERS = frozenset(
    {"", "—", "——", "-", "--", "－", "/", "一", "…", "...", "无", "n/a", "na", "x", "×"}
)

_FOOTNOTE_MARKS = re.compile(r"(?<=\d)[*①②③④⑤⑥⑦⑧⑨⑩]+$|(?<=%)[*①②③④⑤⑥⑦⑧⑨⑩]+$")
_UNIT_SUFFIX = re.compile(r"^([+-]?[\d,.]+)\s*(家|个|项|户|座|台|处|件|小时|天|分钟|h)$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_CN_QUARTER = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}


@dataclass(frozen=True)
class NumberReading:
    """A cell read as a number: ``value`` as the official sees it, and a unit written inside the cell."""

    value: float | None
    as_written: str
    unit_in_cell: str | None = None  # "%" when the cell says 97.8% or is percent-formatted
    missing: bool = False  # blank or a no-data marker
    not_a_number: bool = False
    not_finite: bool = False  # a number too large for a float (1e999), infinity or NaN
    error_value: bool = False  # an Excel error value (#DIV/0!, #NUM! …)


def read_number(raw: object, number_format: str | None = None) -> NumberReading:
    """Read a cell as a number.

    A percent-formatted cell holding 0.978 shows 97.8%: it reads as 97.8 with unit "%" (store what the official
    sees). Text such as "97.8%", "97.8％", "1,234" and full-width digits are read too.
    """
    if raw is None:
        return NumberReading(None, "", missing=True)
    if isinstance(raw, CellError):
        return NumberReading(None, raw.text, not_a_number=True, error_value=True)
    if isinstance(raw, bool):
        return NumberReading(None, str(raw), not_a_number=True)
    if isinstance(raw, int | float):
        value = float(raw)
        if not math.isfinite(value):
            return NumberReading(None, str(raw), not_a_number=True, not_finite=True)
        if number_format and "%" in number_format:
            shown = value * 100
            return NumberReading(round(shown, 12), format_percent(shown, number_format), "%")
        return NumberReading(value, _plain(value))
    if isinstance(raw, dt.date | dt.datetime | dt.time):
        return NumberReading(None, str(raw), not_a_number=True)
    text = _FOOTNOTE_MARKS.sub("", normalise_text(str(raw)))  # '97.8*', '97.8①': a footnote applies
    if text.lower() in MISSING_MARKERS:
        return NumberReading(None, text, missing=True)
    body, unit = text, None
    if body.endswith("%"):
        body, unit = body[:-1].strip(), "%"
    else:
        match = _UNIT_SUFFIX.match(body)  # '1,234家', '250小时'
        if match:
            body, unit = match.group(1), match.group(2)
    body = body.replace(",", "").replace(" ", "")
    if not _NUMBER.match(body):
        return NumberReading(None, text, not_a_number=True)
    value = float(body)
    if not math.isfinite(value):  # '1e999'
        return NumberReading(None, text, not_a_number=True, not_finite=True)
    return NumberReading(value, text, unit)


def _plain(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


_PERCENT_TEMPLATES: dict[str, str] = {}


def format_percent(shown: float, number_format: str) -> str:
    """How Excel shows the value: 97.8% under "0.0%"."""
    template = _PERCENT_TEMPLATES.get(number_format)
    if template is None:
        match = re.search(r"0\.(0+)%", number_format)
        decimals = len(match.group(1)) if match else 0
        template = _PERCENT_TEMPLATES[number_format] = "{:." + str(decimals) + "f}%"
    return template.format(shown)


_PERIOD_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^(\d{4})$"), "year"),
    (re.compile(r"^(\d{4})\.0$"), "year"),
    (re.compile(r"^(\d{4})年(?:度|全年)?$"), "year"),
    (re.compile(r"^(\d{4})\s*[年-]?\s*[Qq]([1-4])$"), "quarter"),
    (re.compile(r"^(\d{4})年?第?([一二三四1-4])季度?$"), "quarter"),
    (re.compile(r"^(\d{4})年(\d{1,2})月(?:份)?$"), "month"),
    (re.compile(r"^(\d{4})[-/.](\d{1,2})$"), "month"),
    (re.compile(r"^(\d{4})(\d{2})$"), "month"),  # 202405, as system exports write it
    (re.compile(r"^(\d{4})年(\d{1,2})[-—~至到](\d{1,2})月(?:份)?$"), "months"),  # 2024年1-12月, 2024年4-6月
]


def read_period(raw: object) -> Period | None:
    """Read a period written as 2024, 2024年, 2024年1-12月, 2024年第一季度, 2024年一季度, 2024年1-3月, 2024Q1,
    2024年5月, 2024-05; else None."""
    if raw is None:
        return None
    if isinstance(raw, dt.datetime | dt.date):
        return Period(raw.year, month=raw.month)
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        if float(raw).is_integer() and 1900 <= raw <= 2200:
            return Period(int(raw))
        return None
    text = "".join(normalise_text(str(raw)).split())
    for pattern, kind in _PERIOD_PATTERNS:
        match = pattern.match(text)
        if not match:
            continue
        year = int(match.group(1))
        try:
            if kind == "year":
                return Period(year)
            if kind == "quarter":
                return Period(year, quarter=_CN_QUARTER[match.group(2)])
            if kind == "months":
                return _month_span(year, int(match.group(2)), int(match.group(3)))
            return Period(year, month=int(match.group(2)))
        except ValueError:
            return None
    return None


def _month_span(year: int, first: int, last: int) -> Period | None:
    """1-12月 is the year, 1-3月 … 10-12月 a quarter, 5-5月 a month; other spans (1-6月) are no single period."""
    if (first, last) == (1, 12):
        return Period(year)
    if first == last:
        return Period(year, month=first)
    if last - first == 2 and first % 3 == 1:
        return Period(year, quarter=(first + 2) // 3)
    return None


_FLAG_WORDS = {
    "provisional": "provisional",
    "初步": "provisional",
    "初值": "provisional",
    "快报": "provisional",
    "p": "provisional",
    "estimated": "estimated",
    "估计": "estimated",
    "估算": "estimated",
    "推算": "estimated",
    "e": "estimated",
    "revised": "revised",
    "修订": "revised",
    "r": "revised",
    "synthetic": "synthetic",
    "合成": "synthetic",
    "虚构": "synthetic",
    "演示": "synthetic",
}


def read_flags(raw: object) -> tuple[frozenset[str], list[str]]:
    """Flags written in a cell ("provisional; revised", "初步"): the flags, and the words not understood."""
    if raw is None:
        return frozenset(), []
    words = [w for w in re.split(r"[,;，；、\s|]+", normalise_text(str(raw))) if w]
    flags, unknown = set(), []
    for word in words:
        flag = _FLAG_WORDS.get(word.casefold())
        if flag is None:
            unknown.append(word)
        else:
            flags.add(flag)
    return frozenset(flags), unknown
