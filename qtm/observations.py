"""Observations: one value of one indicator, in one region, for one period, in the indicator's own unit."""

from __future__ import annotations

from dataclasses import dataclass, field

from qtm.periods import Period

#: Flags an observation may carry. ``synthetic`` marks invented demonstration data, shown as such on screen.
FLAGS = frozenset({"provisional", "estimated", "revised", "synthetic"})


@dataclass(frozen=True)
class Observation:
    indicator: str
    region: str
    period: Period
    value: float
    value_as_written: str = ""
    unit_as_written: str = ""
    flags: frozenset[str] = field(default_factory=frozenset)
    source: str | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        """What a later value supersedes: the same indicator, region and period."""
        return (self.indicator, self.region, str(self.period))

    def as_json(self, unit: str) -> dict[str, object]:
        """The observation shape of ``qtm ingest --json`` and ``qtm data --json``."""
        return {
            "indicator": self.indicator,
            "region": self.region,
            "period": str(self.period),
            "value": self.value,
            "unit": unit,
            "flags": sorted(self.flags),
        }
