"""Assessing every target and region from the store: the query side of :mod:`qtm.progress`."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from qtm.observations import Observation
from qtm.progress import Result, judge
from qtm.registry import Registry, Target
from qtm.store import Store


def descendants(registry: Registry, code: str) -> set[str]:
    """Every region below ``code`` in data/regions.csv."""
    below: set[str] = set()
    frontier = [code]
    while frontier:
        for child in registry.regions.children(frontier.pop()):
            if child.code not in below:
                below.add(child.code)
                frontier.append(child.code)
    return below


def assess(registry: Registry, observations: list[Observation], as_of: dt.date) -> list[Result]:
    """One result per target and region that has data or should have: the target's jurisdiction, and each region
    under it with data for the indicator (compared with the target there: a ``reference``, not a verdict)."""
    series: dict[tuple[str, str], list[Observation]] = defaultdict(list)
    for observation in observations:
        series[(observation.indicator, observation.region)].append(observation)
    results: list[Result] = []
    for target in registry.targets.values():
        below = descendants(registry, target.jurisdiction)
        regions = [
            target.jurisdiction,
            *sorted(
                region for indicator, region in series if indicator == target.indicator and region in below
            ),
        ]
        for region in regions:
            results.append(judge_in_region(target, region, registry, series, as_of))
    return results


def judge_in_region(
    target: Target,
    region: str,
    registry: Registry,
    series: dict[tuple[str, str], list[Observation]],
    as_of: dt.date,
) -> Result:
    """``target`` judged in ``region`` from the series by (indicator, region); a relative target's baseline is
    the region's own, else its jurisdiction's. A target binds its own jurisdiction only: a region below it is
    compared with it (status ``reference``, ``binds`` False)."""
    indicator = registry.indicators[target.indicator]
    baseline: list[Observation] = []
    if target.relative is not None:  # the standard's value is set for the target's whole jurisdiction
        baseline = series.get((target.relative.baseline_indicator, region)) or series.get(
            (target.relative.baseline_indicator, target.jurisdiction), []
        )
    observations = series.get((target.indicator, region), [])
    binds = region == target.jurisdiction
    return judge(target, indicator, region, observations, as_of, baseline, binds=binds)


def assess_store(registry: Registry, store: Store, as_of: dt.date) -> list[Result]:
    """:func:`assess` over the store's current observations."""
    return assess(registry, store.current(), as_of)
