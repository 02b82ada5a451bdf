"""Problems found in an input, as data: each names its file, sheet and cell, in Chinese and English."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Issue:
    severity: Severity
    code: str
    message_zh: str
    message_en: str
    sheet: str | None = None
    cell: str | None = None

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
        return f"{where}: {self.severity} {self.code}: {self.message}"


@dataclass
class Report:
    """Every issue found in one file, in the order found."""

    issues: list[Issue] = field(default_factory=list)

    def error(self, code: str, zh: str, en: str, sheet: str | None = None, cell: str | None = None) -> None:
        self.issues.append(Issue("error", code, zh, en, sheet, cell))

    def warning(self, code: str, zh: str, en: str, sheet: str | None = None, cell: str | None = None) -> None:
        self.issues.append(Issue("warning", code, zh, en, sheet, cell))

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_json(self) -> list[dict[str, object]]:
        return [i.as_json() for i in self.issues]
