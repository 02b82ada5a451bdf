"""Statistical periods: a year (``2024``), a quarter (``2024Q1``) or a month (``2024-05``)."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Literal

Frequency = Literal["year", "quarter", "month"]

_CANONICAL = re.compile(r"^(?P<year>\d{4})(?:Q(?P<quarter>[1-4])|-(?P<month>0[1-9]|1[0-2]))?$")


@dataclass(frozen=True)
class Period:
    """One statistical period. Orders by its start, then by length (a year before its first quarter)."""

    year: int
    quarter: int | None = None
    month: int | None = None

    def __post_init__(self) -> None:
        if not 1900 <= self.year <= 2200:
            raise ValueError(f"year {self.year} is out of range")
        if self.quarter is not None and self.month is not None:
            raise ValueError("a period is a quarter or a month, not both")
        if self.quarter is not None and not 1 <= self.quarter <= 4:
            raise ValueError(f"quarter {self.quarter} is out of range")
        if self.month is not None and not 1 <= self.month <= 12:
            raise ValueError(f"month {self.month} is out of range")

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse the canonical forms ``2024``, ``2024Q1``, ``2024-05``; ``ValueError`` otherwise."""
        match = _CANONICAL.match(str(text).strip())
        if not match:
            raise ValueError(f"not a period: {text!r} (expected 2024, 2024Q1 or 2024-05)")
        quarter, month = match["quarter"], match["month"]
        return cls(int(match["year"]), int(quarter) if quarter else None, int(month) if month else None)

    @cached_property
    def _sort_key(self) -> tuple[date, date]:
        return (self.start, date.max - (self.end - date.min))

    def sort_key(self) -> tuple[date, date]:
        """Chronological order: by start, the longer period first."""
        return self._sort_key

    def __lt__(self, other: Period) -> bool:
        return self.sort_key() < other.sort_key()

    @property
    def frequency(self) -> Frequency:
        if self.quarter is not None:
            return "quarter"
        if self.month is not None:
            return "month"
        return "year"

    @cached_property
    def start(self) -> date:
        if self.quarter is not None:
            return date(self.year, 3 * self.quarter - 2, 1)
        return date(self.year, self.month or 1, 1)

    @cached_property
    def end(self) -> date:
        if self.quarter is not None:
            last_month = 3 * self.quarter
        elif self.month is not None:
            last_month = self.month
        else:
            last_month = 12
        return date(self.year, last_month, calendar.monthrange(self.year, last_month)[1])

    def __str__(self) -> str:
        return self.text

    @cached_property
    def text(self) -> str:
        """The canonical form: 2024, 2024Q1 or 2024-05."""
        if self.quarter is not None:
            return f"{self.year}Q{self.quarter}"
        if self.month is not None:
            return f"{self.year}-{self.month:02d}"
        return str(self.year)
