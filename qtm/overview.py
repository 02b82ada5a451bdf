"""The overview of every target: its latest value straight from the store, beside what was promised."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from qtm.assessment import assess
from qtm.observations import Observation
from qtm.progress import Result
from qtm.registry import Registry, Target
from qtm.store import Store


@dataclass(frozen=True)
class TargetRow:
    target: Target
    latest: Observation | None
    #: The value the target resolves to: its own value, or factor × the baseline in force when the plan was issued
    #: (None while that baseline is not entered).
    target_value: float | None
    baseline: Observation | None = None  # the baseline observation a relative target stands on, when entered
    status: Result | None = None  # the judgement for the target's own jurisdiction


def latest(observations: list[Observation]) -> Observation | None:
    """The observation of the most recent period (by period end; a year wins over its last quarter)."""
    if not observations:
        return None
    return max(observations, key=lambda o: (o.period.end, -o.period.start.toordinal()))


def overview_rows(registry: Registry, store: Store, as_of: dt.date | None = None) -> list[TargetRow]:
    """One row per target, in registry order, with its status in its own jurisdiction on ``as_of`` (today)."""
    current = store.current()
    series: dict[tuple[str, str], list[Observation]] = defaultdict(list)
    for observation in current:
        series[(observation.indicator, observation.region)].append(observation)
    statuses = {
        r.target: r
        for r in assess(registry, current, as_of or dt.date.today())
        if r.region == registry.targets[r.target].jurisdiction
    }
    rows = []
    for target in registry.targets.values():
        found = latest(series.get((target.indicator, target.jurisdiction), []))
        status = statuses.get(target.id)
        value = status.target_value if status is not None else target.value
        rows.append(TargetRow(target, found, value, _baseline_used(target, series, status), status))
    return rows


def _baseline_used(
    target: Target, series: dict[tuple[str, str], list[Observation]], status: Result | None
) -> Observation | None:
    """The baseline observation the judgement of a relative target used (the period it names in its components)."""
    if target.relative is None or status is None:
        return None
    relative = status.components.get("relative")
    period = relative.get("baseline_period") if isinstance(relative, dict) else None
    candidates = series.get((target.relative.baseline_indicator, target.jurisdiction), [])
    return next((o for o in candidates if o.period.text == period), None)
