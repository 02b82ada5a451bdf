"""Problems found in an input, as data: each names its file, sheet and cell, in Chinese and English.

Messages quote what a file says, and a file can say anything: every control character (C0 but tab and newline, DEL,
C1) and every bidirectional override or mark is shown escaped (``\\x1b``, ``\\u202e``), so that a cell holding
``ESC ] 0 ; … BEL`` or a right-to-left override never reaches a terminal or a page raw.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]

_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_UNSAFE_ON_ONE_LINE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    """``text`` with control characters (but tab and newline) and bidirectional controls shown as ``\\x1b`` or
    ``\\u202e``."""
    return _UNSAFE.sub(_escaped, text)


def one_line(text: str) -> str:
    """``text`` for one line of a terminal: :func:`escape_controls`, and newlines escaped too."""
    return _UNSAFE_ON_ONE_LINE.sub(_escaped, text)


@dataclass(frozen=True)
class Issue:
    """One problem. Its messages, sheet and cell are escaped when made (:func:`escape_controls`): whatever reads
    them — a terminal, a page, the JSON stored with a batch — gets no raw control character from a file."""

    severity: Severity
    code: str
    message_zh: str
    message_en: str
    sheet: str | None = None
    cell: str | None = None

    def __post_init__(self) -> None:
        for name in ("message_zh", "message_en", "sheet", "cell"):
            value = getattr(self, name)
            if value is not None:
                safe = escape_controls(str(value))
                if safe != value:
                    object.__setattr__(self, name, safe)

    @property
    def message(self) -> str:
        return f"{self.message_zh} / {self.message_en}"

    def as_json(self) -> dict[str, object]:
        return {
            "severity": self.severity,
            "code": self.code,
            "sheet": self.sheet,
            "cell": self.cell,
            "message": self.message,
        }

    def describe(self, file: str) -> str:
        """One line for a terminal: ``file[sheet]!C7: error code: message``."""
        where = file + (f"[{self.sheet}]" if self.sheet else "") + (f"!{self.cell}" if self.cell else "")
        return one_line(f"{where}: {self.severity} {self.code}: {self.message}")


#: Issues of one code listed in full; beyond this a report counts them and says how many more there are.
MAX_PER_CODE = 200


@dataclass
class Report:
    """Every issue found in one file, in the order found; the same issue at the same cell is listed once."""

    issues: list[Issue] = field(default_factory=list)
    _seen: set[tuple[str, str, str | None, str | None, str]] = field(default_factory=set, repr=False)
    _per_code: dict[str, int] = field(default_factory=dict, repr=False)
    _has_error: bool = field(default=False, repr=False)

    def add(self, issue: Issue) -> None:
        key = (issue.severity, issue.code, issue.sheet, issue.cell, issue.message_en)
        if key in self._seen:
            return
        self._seen.add(key)
        count = self._per_code.get(issue.code, 0) + 1
        self._per_code[issue.code] = count
        if issue.severity == "error":
            self._has_error = True
        if count <= MAX_PER_CODE:
            self.issues.append(issue)

    def error(self, code: str, zh: str, en: str, sheet: str | None = None, cell: str | None = None) -> None:
        self.add(Issue("error", code, zh, en, sheet, cell))

    def warning(self, code: str, zh: str, en: str, sheet: str | None = None, cell: str | None = None) -> None:
        self.add(Issue("warning", code, zh, en, sheet, cell))

    def close(self) -> None:
        """Put the issues in reading order (sheet by sheet, row by row) and say how many of each code were counted
        but not listed."""
        sheets: dict[str | None, int] = {}
        for issue in self.issues:
            sheets.setdefault(issue.sheet, len(sheets))
        self.issues.sort(key=lambda i: (sheets[i.sheet], *_cell_order(i.cell)))
        for code, count in self._per_code.items():
            if count > MAX_PER_CODE:
                severity = next(i.severity for i in self.issues if i.code == code)
                more = count - MAX_PER_CODE
                self.issues.append(
                    Issue(severity, code, f"另有 {more} 处同类问题未列出", f"{more} more of these not listed")
                )
                self._per_code[code] = MAX_PER_CODE

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self._has_error

    def as_json(self) -> list[dict[str, object]]:
        return [i.as_json() for i in self.issues]


def _cell_order(cell: str | None) -> tuple[int, int]:
    """(row, column) of an A1 reference; issues about the whole file come first."""
    if not cell:
        return (-1, -1)
    letters = cell.rstrip("0123456789")
    column = 0
    for letter in letters:
        column = column * 26 + ord(letter) - 64
    digits = cell[len(letters) :]
    return (int(digits) if digits.isdigit() else -1, column)
