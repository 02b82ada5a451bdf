"""Reading one cell's text the way an official wrote it: numbers, percentages, periods, flags."""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from loaders.grid import CellError
from qtm.periods import Period
from qtm.problems import Report
from qtm.units import normalise_text

#: Markers that mean "no data" (a warning, not an error).
MISSING_MARKERS = frozenset(
    {"", "—", "——", "-", "--", "－", "/", "一", "…", "...", "无", "n/a", "na", "x", "×"}
)

#: A number as written, on the raw text (before any NFKC): ASCII or full-width digits, a sign, a decimal point,
#: thousands commas, an exponent; then a unit written in the cell; then whatever follows, which must be a note.
_DIGIT = "0-9０-９"
_WRITTEN_NUMBER = re.compile(
    rf"(?P<number>[+\-＋－﹢﹣]?\s*(?:[{_DIGIT}][{_DIGIT},，\s]*(?:[.．][{_DIGIT}]*)?|[.．][{_DIGIT}]+)"
    rf"(?:[eEｅＥ][+\-＋－﹢﹣]?[{_DIGIT}]+)?)"
    r"\s*(?P<unit>[%％﹪]|(?:十万|百万|千万|千|万|亿)?(?:家|个|项|户|座|台|处|件|人|元)|小时|天|分钟|h"
    r"|十万|百万|千万|千|万|亿)?"  # a scale word before a count (0.9万家) or alone (3.2万): multiplied out
    r"(?P<rest>.*)$",
    re.DOTALL,
)
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
#: Footnote marks written beside a number: symbols, enclosed or superscript numbers and letters (by their Unicode
#: names, below), a bracketed note ((注), （注1）, [1]), and at most one lower-case letter of the usual footnote
#: and status letters.
_MARK_SYMBOLS = frozenset("*＊※△▲▽▼☆★#＃†‡§◆◇●◎")
_ENCLOSED_PREFIXES = ("CIRCLED ", "NEGATIVE CIRCLED ", "DOUBLE CIRCLED ", "DINGBAT ", "PARENTHESIZED ")
_ENCLOSED_WHAT = (" DIGIT ", " NUMBER ", " LETTER ", " IDEOGRAPH ")
_NUMBER_FULL_STOP = re.compile(r"^(?:DIGIT|NUMBER) [A-Z ]+ FULL STOP$")  # ⒈ … ⒛
_BRACKETED_NOTE = re.compile(
    r"[(（\[［【〔]\s*(?:注\s*(?:[0-9０-９]{1,2}|[①-⑳])?|[0-9０-９]{1,2}|[①-⑳])\s*[)）\]］】〕]"
)
_NOTE_WORD = re.compile(r"注\s*(?:[0-9０-９]{1,2}|[①-⑳])?")
_NOTE_LETTERS = frozenset("abcepr")
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
    #: A footnote mark beside the number ('①' of '97.8①'): the number is read without it.
    note: str | None = None


def read_number(raw: object, number_format: str | None = None) -> NumberReading:
    """Read a cell as a number.

    A percent-formatted cell holding 0.978 shows 97.8%: it reads as 97.8 with unit "%" (store what the official
    sees). Text such as "97.8%", "97.8％", "1,234" and full-width digits are read too; a footnote mark beside the
    number ('97.8①', '1,234※', '95⑴') is kept as the reading's ``note`` and never changes the digits.
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
    return _read_text(str(raw))


def _read_text(raw: str) -> NumberReading:
    """A number written as text. Marks are found on the raw text, before NFKC, and only the number and its unit
    are normalised: NFKC would turn '97.8①' into '97.81' (and '95⑴' into '95(1)'), changing the digits."""
    text = raw.strip()
    normal = normalise_text(text)
    if normal.lower() in MISSING_MARKERS:
        return NumberReading(None, normal, missing=True)
    match = _WRITTEN_NUMBER.match(text)
    if match is None:
        return NumberReading(None, text, not_a_number=True)
    note = match["rest"].strip()
    if note and not is_note(note):
        return NumberReading(None, text, not_a_number=True)  # '97.8x', '约93': not a number with a note
    written = normalise_text(text[: match.start("rest")])
    body = normalise_text(match["number"]).replace(",", "").replace(" ", "")
    unit = normalise_text(match["unit"]) if match["unit"] else None
    if not _NUMBER.match(body):
        return NumberReading(None, text, not_a_number=True)
    value = float(body)
    if not math.isfinite(value):  # '1e999'
        return NumberReading(None, written + note, not_a_number=True, not_finite=True)
    return NumberReading(value, written + note, unit, note=note or None)


def is_note(text: str) -> bool:
    """Whether ``text``, written after a number, is a note on it: marks (①, ⑴, ⒈, ¹, ᵃ, *, ※, △, ▲, #),
    bracketed notes ((注), （注1）, [1]) and at most one footnote letter (a, b, c, e, p, r), spaces between."""
    position, letters = 0, 0
    while position < len(text):
        char = text[position]
        found = _BRACKETED_NOTE.match(text, position) or _NOTE_WORD.match(text, position)
        if found is not None:
            position = found.end()
        elif char.isspace() or is_mark(char):
            position += 1
        elif char in _NOTE_LETTERS and letters == 0:
            letters, position = 1, position + 1
        else:
            return False
    return True


@lru_cache(maxsize=4096)
def is_mark(char: str) -> bool:
    """A footnote mark: a symbol such as * ※ △, or an enclosed or superscript number or letter (①, ❶, ⑴, ⒈, ¹,
    ᵃ, ⓐ) — told by its Unicode name, so that every such character is a mark, never a digit."""
    if char in _MARK_SYMBOLS:
        return True
    if unicodedata.decomposition(char).startswith("<super>"):
        return True
    name = unicodedata.name(char, "")
    if name.startswith(_ENCLOSED_PREFIXES):
        return any(what in name for what in _ENCLOSED_WHAT)
    return _NUMBER_FULL_STOP.match(name) is not None


def note_of(as_written: str) -> str | None:
    """The note on a value as it was written and stored ('97.8①' → '①'), or None."""
    return _read_text(as_written).note if as_written else None


def report_note(report: Report, reading: NumberReading, sheet: str | None, cell: str) -> None:
    """A warning that a value carries a note, naming the cell, the mark and the number read."""
    if reading.note is None:
        return
    number = reading.as_written[: -len(reading.note)]
    report.warning(
        "value_note",
        f"单元格 {cell} 的“{reading.as_written}”带有注记“{reading.note}”，按 {number} 读取",
        f"cell {cell}: {reading.as_written!r} carries the note {reading.note!r}; read as {number}",
        sheet,
        cell,
    )


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
