"""Stored text made safe to print: what people typed is kept as typed, and shown escaped.

A name tried at the login page, a file name, a reason — anyone can put a newline in them (and forge a line of
``qtm audit``), an ESC sequence (and drive the terminal), or a right-to-left override (and make a line read
otherwise than it is). Every command that prints stored text passes each field through :func:`printable`, and
every ``--json`` output is written by :func:`json_text`:

- control characters (C0, DEL, C1: Unicode category Cc) print as ``\\n``, ``\\r``, ``\\t`` or ``\\x1b``;
- format characters (category Cf: the bidirectional marks, embeddings, overrides and isolates U+200E/F, U+061C,
  U+202A–U+202E, U+2066–U+2069, zero-width characters, the BOM …), the line and paragraph separators U+2028 and
  U+2029 (Zl, Zp) and lone surrogates (Cs, from undecodable bytes) print as ``\\u202e`` (``\\U000e0001`` beyond
  the Basic Multilingual Plane);
- everything else — Chinese text included — prints as it is.
"""

from __future__ import annotations

import json
import math
import re
import sys
import unicodedata
from functools import cache
from typing import Any

_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


#: The planes that hold control, format and separator characters: the Basic Multilingual Plane, the
#: Supplementary Multilingual Plane (e.g. U+1D173) and the Supplementary Special-purpose Plane (the tags U+E0001…);
#: the others hold ideographs, private use or nothing yet. Scanning only these keeps the import quick.
_PLANES = (range(0x00000, 0x20000), range(0xE0000, 0xF0000))


@cache
def _unsafe_pattern() -> re.Pattern[str]:
    """One character class of every code point in the unsafe categories (computed once, when first needed: a
    scan of 200 000 code points costs 45 ms, and text that ``str.isprintable`` passes never needs it)."""
    ranges: list[str] = []
    start = None
    for code in (*_PLANES[0], *_PLANES[1], sys.maxunicode + 1):
        unsafe = code <= sys.maxunicode and unicodedata.category(chr(code)) in _UNSAFE_CATEGORIES
        if unsafe and start is None:
            start = code
        elif not unsafe and start is not None:
            ranges.append(f"\\U{start:08x}-\\U{code - 1:08x}")
            start = None
    return re.compile("[" + "".join(ranges) + "]")


def __getattr__(name: str) -> Any:
    """``UNSAFE``: every character :func:`printable` escapes, as one compiled pattern."""
    if name == "UNSAFE":
        return _unsafe_pattern()
    raise AttributeError(name)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if char in _NAMED:
        return _NAMED[char]
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def printable(text: object) -> str:
    """``text`` (made a string) for one field of one line of a terminal: every control, format, separator and
    bidirectional character escaped (``\\n``, ``\\x1b``, ``\\u202e``), everything else as it is."""
    text = text if isinstance(text, str) else str(text)
    # every unsafe character is one str.isprintable refuses (it refuses more: U+3000, unassigned code points)
    return text if text.isprintable() else _unsafe_pattern().sub(_escape, text)


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000  # beyond the BMP: a UTF-16 surrogate pair, as JSON writes it
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def json_text(data: object, *, indent: int | None = 2) -> str:
    """``data`` as JSON that a terminal can show as it is and every parser reads back to the same text.

    Chinese stays readable (no ``\\uXXXX`` for it), but every character :func:`printable` escapes is written as a
    ``\\uXXXX`` escape: ``json.dumps`` already escapes C0 controls, not DEL, C1, U+2028 or a right-to-left
    override. A number that is not finite is written as null (strict JSON has no Infinity or NaN)."""
    raw = json.dumps(_finite(data), ensure_ascii=False, indent=indent, allow_nan=False)
    # json.dumps has escaped every C0 control inside strings: a newline left in ``raw`` is the indentation's
    lines = raw.split("\n")
    return "\n".join(
        line if line.isprintable() else _unsafe_pattern().sub(_json_escape, line) for line in lines
    )


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


#: What makes a spreadsheet read a cell as a formula (CSV and formula injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """``text`` for a CSV cell that a spreadsheet will not run as a formula: a leading = + - @ tab or return gets a
    quote before it; a number (-0.44) is left as it is."""
    if not text.startswith(FORMULA_STARTS):
        return text
    try:
        number = float(text)
    except ValueError:
        return "'" + text
    return text if math.isfinite(number) else "'" + text
