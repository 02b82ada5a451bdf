"""Where every target stands, per region: the query side the dashboard, the export and the CLI share.

One rule picks a target's latest value everywhere: the latest point its status is judged on (an annual value, a
complete year of quarters or months combined, or a running total's latest sub-annual value). A quarterly value of
an unfinished year shows in the chart, never as "the latest" beside an older annual value somewhere else.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TypeVar

from qtm import results_cache
from qtm.assessment import descendants, judge_in_region
from qtm.observations import Observation
from qtm.progress import STATUS_ORDER, Result, Status
from qtm.registry import Registry, Target
from qtm.store import Store

T = TypeVar("T")

#: Worst first: what needs an official's attention leads. Awaiting a final value ranks by its outlook; a target
#: only compared with (a reference: not the region's own) comes last.
WORST_FIRST: tuple[Status, ...] = (
    "missed",
    "deteriorating",
    "limited_progress",
    "needs_acceleration",
    "insufficient_data",
    "awaiting_data",
    "on_track",
    "achieved",
    "met",
    "reference",
)


@dataclass(frozen=True)
class Standing:
    """One target in one region on one date: its judgement and the observations it was judged on."""

    target: Target
    region: str
    result: Result
    series: tuple[Observation, ...] = ()

    @property
    def status(self) -> Status:
        return self.result.status

    @property
    def latest_flags(self) -> frozenset[str]:
        """The flags of the observations behind the latest value (a combined year takes its parts' flags)."""
        latest = self.result.latest
        if latest is None:
            return frozenset()
        exact = [o for o in self.series if o.period.text == latest.period]
        parts = exact or [o for o in self.series if str(o.period.year) == latest.period]
        return frozenset().union(*(o.flags for o in parts)) if parts else frozenset()

    @property
    def latest_source(self) -> str | None:
        latest = self.result.latest
        found = [o for o in self.series if latest is not None and o.period.text == latest.period]
        return found[0].source if found else None

    @property
    def synthetic(self) -> bool:
        return any("synthetic" in o.flags for o in self.series)

    def severity(self) -> tuple[int, int]:
        """Sort key, worst first; an awaited verdict ranks by its outlook among the awaited."""
        outlook = self.result.components.outlook
        ahead = outlook.status if outlook is not None else None
        return WORST_FIRST.index(self.status), WORST_FIRST.index(ahead) if ahead in WORST_FIRST else 0


@dataclass(frozen=True)
class Filters:
    """What the overview shows: each field narrows it; ``None`` keeps everything. Kept in the page's URL."""

    plan: str | None = None
    jurisdiction: str | None = None
    category: str | None = None
    status: str | None = None
    as_of: dt.date | None = None
    order: str = "worst"  # "worst" first, or "plan" (registry order)

    @classmethod
    def from_query(cls, query: dict[str, str], registry: Registry) -> Filters:
        """The filters a URL's query names, each kept only when it names something that exists."""
        categories = {i.category for i in registry.indicators.values()}
        jurisdictions = {t.jurisdiction for t in registry.targets.values()}
        try:
            as_of = dt.date.fromisoformat(query["as_of"]) if query.get("as_of") else None
        except ValueError:
            as_of = None
        return cls(
            plan=query.get("plan") if query.get("plan") in registry.plans else None,
            jurisdiction=query.get("jurisdiction") if query.get("jurisdiction") in jurisdictions else None,
            category=query.get("category") if query.get("category") in categories else None,
            status=query.get("status") if query.get("status") in STATUS_ORDER else None,
            as_of=as_of,
            order="plan" if query.get("order") == "plan" else "worst",
        )

    def keeps(self, registry: Registry, standing: Standing) -> bool:
        return self.keeps_target(registry, standing.target) and (
            self.status is None or standing.status == self.status
        )

    def keeps_target(self, registry: Registry, target: Target) -> bool:
        """Whether the filters other than the status keep ``target``."""
        category = registry.indicators[target.indicator].category
        return (
            (self.plan is None or target.plan == self.plan)
            and (self.jurisdiction is None or target.jurisdiction == self.jurisdiction)
            and (self.category is None or category == self.category)
        )


def _series(observations: list[Observation]) -> dict[tuple[str, str], list[Observation]]:
    by_key: dict[tuple[str, str], list[Observation]] = defaultdict(list)
    for observation in observations:
        by_key[(observation.indicator, observation.region)].append(observation)
    return by_key


def _once_per_data_version(
    name: str, registry: Registry, store: Store, args: tuple[Hashable, ...], compute: Callable[[], T]
) -> T:
    """``compute()``, or what it gave for the same arguments on the same data: in this process, or in another
    worker through Redis (qtm.results_cache)."""
    return results_cache.shared().get_or_compute(
        (name, registry.fingerprint, store.version(), *args), compute
    )


def overview(registry: Registry, store: Store, filters: Filters) -> list[Standing]:
    """The overview's cards: each target in its own jurisdiction, filtered, worst first or in plan order. Only
    the series the cards show are read: the cost follows the registry, not the history stored. Computed once
    per data version."""
    filters = dataclasses.replace(filters, as_of=filters.as_of or dt.date.today())
    return _once_per_data_version(
        "overview", registry, store, (filters,), lambda: _overview(registry, store, filters)
    )


def _overview(registry: Registry, store: Store, filters: Filters) -> list[Standing]:
    as_of = filters.as_of or dt.date.today()
    targets = [t for t in registry.targets.values() if filters.keeps_target(registry, t)]
    series = _series_of(store, [(t, t.jurisdiction) for t in targets], as_of)
    own = [_standing(registry, t, t.jurisdiction, series, as_of) for t in targets]
    own = [s for s in own if filters.status is None or s.status == filters.status]
    if filters.order == "plan":
        return own
    return sorted(own, key=Standing.severity)


def standing_of(registry: Registry, store: Store, target: Target, region: str, as_of: dt.date) -> Standing:
    """One target as it stands in one region. Computed once per data version."""
    return _once_per_data_version(
        "standing_of",
        registry,
        store,
        (target.id, region, as_of),
        lambda: _standing(registry, target, region, _series_of(store, [(target, region)], as_of), as_of),
    )


def region_targets(registry: Registry, region: str) -> list[Target]:
    """The targets that apply to ``region``: those of its own jurisdiction and of every area above it."""
    above = {region}
    code: str | None = region
    while code is not None:
        above.add(code)
        code = registry.regions.get(code).parent
    return [t for t in registry.targets.values() if t.jurisdiction in above]


def in_region(registry: Registry, store: Store, region: str, as_of: dt.date) -> list[Standing]:
    """Every target that applies to ``region``, as it stands there (judged even without data: that is a status
    too), worst first. Computed once per data version."""
    return _once_per_data_version(
        "in_region", registry, store, (region, as_of), lambda: _in_region(registry, store, region, as_of)
    )


def _in_region(registry: Registry, store: Store, region: str, as_of: dt.date) -> list[Standing]:
    targets = region_targets(registry, region)
    series = _series_of(store, [(t, region) for t in targets], as_of)
    found = [_standing(registry, target, region, series, as_of) for target in targets]
    return sorted(found, key=Standing.severity)


def _series_of(
    store: Store, wanted: list[tuple[Target, str]], as_of: dt.date
) -> dict[tuple[str, str], list[Observation]]:
    """The series that judging each (target, region) of ``wanted`` needs, as known on ``as_of``: the indicator
    in the region and, for a relative target, its baseline in the region and in the target's jurisdiction."""
    pairs: set[tuple[str, str]] = set()
    for target, region in wanted:
        pairs.add((target.indicator, region))
        if target.relative is not None:
            pairs.add((target.relative.baseline_indicator, region))
            pairs.add((target.relative.baseline_indicator, target.jurisdiction))
    return _series([o for o in store.current_of(pairs) if o.period.end <= as_of])


def _standing(
    registry: Registry,
    target: Target,
    region: str,
    series: dict[tuple[str, str], list[Observation]],
    as_of: dt.date,
) -> Standing:
    """``target`` judged in ``region`` from the series by (indicator, region)."""
    return Standing(
        target,
        region,
        judge_in_region(target, region, registry, series, as_of),
        tuple(series.get((target.indicator, region), ())),
    )


def sub_regions(
    registry: Registry, store: Store, target: Target, parent: str, as_of: dt.date
) -> list[Standing]:
    """The target judged in each region directly under ``parent`` that has data, best first. Computed once per
    data version."""
    return _once_per_data_version(
        "sub_regions",
        registry,
        store,
        (target.id, parent, as_of),
        lambda: _sub_regions(registry, store, target, parent, as_of),
    )


def _sub_regions(
    registry: Registry, store: Store, target: Target, parent: str, as_of: dt.date
) -> list[Standing]:
    children = {r.code for r in registry.regions.children(parent)} & (
        descendants(registry, target.jurisdiction) | {target.jurisdiction}
    )
    series = _series_of(store, [(target, code) for code in children], as_of)
    found = [
        _standing(registry, target, code, series, as_of)
        for code in sorted(children)
        if (target.indicator, code) in series
    ]
    return sorted(found, key=lambda s: (-WORST_FIRST.index(s.status), -_beyond(s)))


def _beyond(standing: Standing) -> float:
    """How far the latest value is past the target, in the good direction (for ranking)."""
    result = standing.result
    if result.latest is None or result.target_value is None:
        return float("-inf")
    sign = 1 if result.components.direction == "higher" else -1
    return sign * (result.latest.value - result.target_value)
