"""Observations: one value of one indicator, in one region, for one period, in the indicator's own unit."""

from __future__ import annotations

from typing import NamedTuple

from qtm.periods import Period

#: Flags an observation may carry. ``synthetic`` marks invented demonstration data, shown as such on screen.
FLAGS = frozenset({"provisional", "estimated", "revised", "synthetic"})
NO_FLAGS: frozenset[str] = frozenset()


class Observation(NamedTuple):
    """Immutable and cheap to make: a return of 100 000 values makes 100 000 of them."""

    indicator: str
    region: str
    period: Period
    value: float
    value_as_written: str = ""
    unit_as_written: str = ""
    flags: frozenset[str] = NO_FLAGS
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
