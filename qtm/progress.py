"""Judging progress towards a target: pure functions of a target, its indicator, a series and an as-of date.

Nothing here touches a database or Dash. Every result names its method and carries the components it was computed
from, so that an official can check it by hand (docs/methodology.md explains each method with a worked example).

Before the deadline a result is one of ``achieved``, ``on_track``, ``needs_acceleration``, ``limited_progress``,
``deteriorating``, ``insufficient_data``; after it, a final verdict: ``met``, ``missed`` or ``awaiting_data`` (the
deadline period has no value yet). A target binds its own jurisdiction only: in a region below it the result is a
``reference`` (对照参考), the region compared with the target, never judged by it (:func:`as_reference`).
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, get_args

from qtm.observations import Observation
from qtm.periods import Period
from qtm.registry import Indicator, Target

Status = Literal[
    "achieved",
    "on_track",
    "needs_acceleration",
    "limited_progress",
    "deteriorating",
    "insufficient_data",
    "met",
    "missed",
    "awaiting_data",
    "reference",
]
BEFORE_DEADLINE: tuple[Status, ...] = get_args(Status)[:6]
AFTER_DEADLINE: tuple[Status, ...] = get_args(Status)[6:9]
#: A region below a target's jurisdiction: compared with the target (对照全国/全省目标), not judged by it.
REFERENCE: Status = "reference"
#: Better first: the order used to rank and to say that one status is "better" than another.
STATUS_ORDER: tuple[Status, ...] = (
    "met",
    "achieved",
    "on_track",
    "needs_acceleration",
    "limited_progress",
    "deteriorating",
    "missed",
    "awaiting_data",
    "insufficient_data",
    "reference",
)
Method = Literal["growth_ratio", "expected_path", "comparison"]

#: Eurostat / Open SDG thresholds on the ratio of actual to required growth (and on the expected-path score).
ON_TRACK, ACCELERATION, LIMITED = 0.95, 0.6, 0.0
#: Half-life, in years, of an observation's weight in the expected-path regression: recent years count more.
HALF_LIFE_YEARS = 3.0
#: Open SDG replaces a zero base or target by this, so that growth rates exist.
ZERO = 0.001
#: Direction-only targets (进一步提高): Open SDG's "moderate progress" growth for a series without a numeric target,
#: 0.5 % a year, scaled near a natural limit by C = 1 − (x0 / limit)^4.44; and how many standard errors the fitted
#: change must exceed to stand out of the series' own noise.
DIRECTION_FLOOR, LIMIT_EXPONENT, NOISE_SE = 0.005, 4.44, 2.0


@dataclass(frozen=True)
class Point:
    period: str
    t: float  # time in years at the end of the period (2024 → 2025.0)
    value: float


Verdict = Literal["improved", "stable", "worse"]


@dataclass(frozen=True)
class Reading:
    """A period and its value, as a result shows it (the latest value, the deadline period's, an outlook's)."""

    period: str
    value: float

    def as_json(self) -> dict[str, object]:
        return {"period": self.period, "value": self.value}


@dataclass(frozen=True)
class Base(Reading):
    """The value progress is measured from; ``stands_in_for`` the registry's base period when it is not its own."""

    stands_in_for: str | None = None

    def as_json(self) -> dict[str, object]:
        shown = super().as_json()
        if self.stands_in_for is not None:
            shown["stands_in_for"] = self.stands_in_for
        return shown


@dataclass(frozen=True)
class Final(Reading):
    """The deadline period's value; ``early`` for a running total met within the deadline year before its figure."""

    early: bool = False

    def as_json(self) -> dict[str, object]:
        shown = super().as_json()
        if self.early:
            shown["early"] = True
        return shown


@dataclass(frozen=True)
class Relative:
    """A relative target (factor × a baseline indicator): the baseline in force, once there is one."""

    factor: float
    baseline_indicator: str
    baseline_no_later_than: str
    baseline_period: str | None = None
    baseline_value: float | None = None

    def as_json(self) -> dict[str, object]:
        shown: dict[str, object] = {
            "factor": self.factor,
            "baseline_indicator": self.baseline_indicator,
            "baseline_no_later_than": self.baseline_no_later_than,
        }
        if self.baseline_period is not None:
            shown.update(baseline_period=self.baseline_period, baseline_value=self.baseline_value)
        return shown


@dataclass(frozen=True)
class AboutReading:
    """How an 'about N' target is read: its band, the edge that counts, and how far the latest value passed N."""

    band: tuple[float, float]
    goal: float
    reading: str
    exceeded_by: float | None = None

    def as_json(self) -> dict[str, object]:
        shown: dict[str, object] = {"band": list(self.band), "goal": self.goal, "reading": self.reading}
        if self.exceeded_by is not None:
            shown["exceeded_by"] = self.exceeded_by
        return shown


@dataclass(frozen=True)
class Projection:
    """Where a method projects the series at the deadline (``at``, in decimal years); the expected path adds a band."""

    value: float
    at: float
    band: tuple[float, float] | None = None

    def as_json(self) -> dict[str, object]:
        shown: dict[str, object] = {"value": self.value, "at": self.at}
        if self.band is not None:
            shown["band"] = list(self.band)
        return shown


@dataclass(frozen=True)
class GrowthRatioDetail:
    """The growth-ratio method's workings (:func:`growth_ratio`); only ``reason`` when no growth rate exists."""

    reason: str | None = None
    actual_rate: float | None = None
    required_rate: float | None = None
    ratio: float | None = None
    projection: Projection | None = None
    score: float | None = None

    @property
    def thresholds(self) -> tuple[float, float, float]:
        """The score's thresholds: on track, needs acceleration, limited progress."""
        return (ON_TRACK, ACCELERATION, LIMITED)

    def as_json(self) -> dict[str, object]:
        shown: dict[str, object] = {"thresholds": list(self.thresholds)}
        if self.reason is not None:
            shown["reason"] = self.reason
            return shown
        assert self.projection is not None
        shown.update(
            actual_rate=self.actual_rate,
            required_rate=self.required_rate,
            ratio=self.ratio,
            projection=self.projection.as_json(),
            score=self.score,
        )
        return shown


@dataclass(frozen=True)
class ExpectedPathDetail:
    """The expected-path method's workings (:func:`expected_path`)."""

    slope_per_year: float
    projection: Projection
    expected_now: float
    gap_closure: float | None
    score: float
    points: int

    @property
    def thresholds(self) -> tuple[float, float, float]:
        """The score's thresholds: on track, needs acceleration, limited progress."""
        return (ON_TRACK, ACCELERATION, LIMITED)

    def as_json(self) -> dict[str, object]:
        return {
            "thresholds": list(self.thresholds),
            "slope_per_year": self.slope_per_year,
            "projection": self.projection.as_json(),
            "expected_now": self.expected_now,
            "gap_closure": self.gap_closure,
            "score": self.score,
            "half_life_years": HALF_LIFE_YEARS,
            "points": self.points,
        }


@dataclass(frozen=True)
class Trend:
    """A direction-only promise's trend from its base (:func:`direction_trend`): the verdict and its numbers."""

    verdict: Verdict
    points: int
    change: float
    slope_per_year: float
    standard_error: float | None
    fitted_change: float
    noise: float
    annual_growth: float | None
    floor: float
    limit: float | None
    limit_coefficient: float

    def as_json(self) -> dict[str, object]:
        return {
            "verdict": self.verdict,
            "points": self.points,
            "change": self.change,
            "slope_per_year": self.slope_per_year,
            "standard_error": self.standard_error,
            "fitted_change": self.fitted_change,
            "noise": self.noise,
            "annual_growth": self.annual_growth,
            "floor": self.floor,
            "limit": self.limit,
            "limit_coefficient": self.limit_coefficient,
            "thresholds": {"noise_se": NOISE_SE, "annual_growth": DIRECTION_FLOOR},
        }


@dataclass(frozen=True)
class MilestoneCheck:
    """An interim milestone passed: its date and value, the value known then (None: none yet), and whether met."""

    date: str
    value: float
    actual: float | None
    met: bool

    def as_json(self) -> dict[str, object]:
        return {"date": self.date, "value": self.value, "actual": self.actual, "met": self.met}


@dataclass(frozen=True)
class SoFar:
    """The deadline year's quarters (or months) so far, combined by the indicator's rule
    (:func:`deadline_year_so_far`); ``compared`` False for a partial sum, which is never a year's total."""

    period: str
    parts: tuple[str, ...]
    aggregation: str
    value: float
    compared: bool
    zh: str
    en: str

    def as_json(self) -> dict[str, object]:
        return {
            "period": self.period,
            "parts": list(self.parts),
            "aggregation": self.aggregation,
            "value": self.value,
            "complete": False,
            "compared": self.compared,
            "zh": self.zh,
            "en": self.en,
        }


@dataclass(frozen=True)
class Outlook:
    """After the deadline, while its value is awaited: the before-deadline status on the deadline day."""

    status: Status
    method: Method
    latest: Reading | None
    basis: SoFar | None = None

    def as_json(self) -> dict[str, object]:
        shown: dict[str, object] = {
            "status": self.status,
            "method": self.method,
            "latest": None if self.latest is None else self.latest.as_json(),
        }
        if self.basis is not None:
            shown["basis"] = self.basis.as_json()
        return shown


@dataclass(frozen=True)
class Comparison:
    """A region below the target's jurisdiction compared with it (对照参考): the value compared and whether it is at
    the target's level (for a direction-only target: whether it improved on its base); None where not said."""

    jurisdiction: str
    compared: Reading | None
    at_target_level: bool | None

    def as_json(self) -> dict[str, object]:
        return {
            "jurisdiction": self.jurisdiction,
            "compared": None if self.compared is None else self.compared.as_json(),
            "at_target_level": self.at_target_level,
        }


@dataclass(frozen=True)
class Components:
    """What a result was computed from, for an official to check by hand; ``as_json`` is the documented shape of
    ``qtm status --json`` (a part that does not apply is left out)."""

    comparator: str
    direction: str
    deadline: dt.date
    as_of: dt.date
    relative: Relative | None = None
    tolerance: float | None = None
    about: AboutReading | None = None
    base: Base | None = None
    base_missing: str | None = None
    latest: Reading | None = None
    target_value: float | None = None
    goal: float | None = None
    growth_ratio: GrowthRatioDetail | None = None
    expected_path: ExpectedPathDetail | None = None
    milestones: tuple[MilestoneCheck, ...] = ()
    milestone_missed: str | None = None
    final: Final | None = None
    trend: Trend | None = None
    reason: str | None = None
    outlook: Outlook | None = None
    reference: Comparison | None = None

    def as_json(self) -> dict[str, object]:
        # a relative target's missing baseline is said where it is found, before the rest
        baseline_missing = self.relative is not None and self.relative.baseline_value is None
        shown: dict[str, object] = {"comparator": self.comparator, "direction": self.direction}
        _put(shown, "relative", self.relative)
        if baseline_missing:
            _put(shown, "reason", self.reason)
        _put(shown, "tolerance", self.tolerance)
        _put(shown, "about", self.about)
        _put(shown, "base", self.base)
        _put(shown, "base_missing", self.base_missing)
        _put(shown, "latest", self.latest)
        shown.update(deadline=self.deadline.isoformat(), as_of=self.as_of.isoformat())
        _put(shown, "target_value", self.target_value)
        _put(shown, "goal", self.goal)
        _put(shown, "growth_ratio", self.growth_ratio)
        _put(shown, "expected_path", self.expected_path)
        if self.milestones:
            shown["milestones"] = [m.as_json() for m in self.milestones]
        _put(shown, "milestone_missed", self.milestone_missed)
        _put(shown, "final", self.final)
        _put(shown, "trend", self.trend)
        if not baseline_missing:
            _put(shown, "reason", self.reason)
        _put(shown, "outlook", self.outlook)
        _put(shown, "reference", self.reference)
        return shown


class _Shown(Protocol):
    def as_json(self) -> dict[str, object]: ...


def _put(shown: dict[str, object], key: str, part: _Shown | str | float | None) -> None:
    """Adds ``part`` under ``key`` unless it is absent (None)."""
    if part is None:
        return
    shown[key] = part if isinstance(part, str | int | float) else part.as_json()


@dataclass(frozen=True)
class Result:
    target: str
    indicator: str
    region: str
    status: Status
    latest: Point | None
    target_value: float | None
    deadline: dt.date
    method: Method
    components: Components
    binds: bool = True  # False: the region lies below the target's jurisdiction and is only compared with it

    @property
    def detail(self) -> GrowthRatioDetail | ExpectedPathDetail | None:
        """The workings of the result's method (none for a comparison)."""
        if self.method == "growth_ratio":
            return self.components.growth_ratio
        return self.components.expected_path if self.method == "expected_path" else None

    def as_json(self) -> dict[str, object]:
        """The documented shape of ``qtm status --json``."""
        return {
            "target": self.target,
            "indicator": self.indicator,
            "region": self.region,
            "status": self.status,
            "latest": None
            if self.latest is None
            else {"period": self.latest.period, "value": self.latest.value},
            "target_value": self.target_value,
            "deadline": self.deadline.isoformat(),
            "method": self.method,
            "components": self.components.as_json(),
            "binds": self.binds,
        }


def decimal_year(day: dt.date) -> float:
    """The instant at the end of ``day``, in years: 2024-12-31 → 2025.0."""
    after = day + dt.timedelta(days=1)
    start = dt.date(after.year, 1, 1)
    length = (dt.date(after.year + 1, 1, 1) - start).days
    return after.year + (after - start).days / length


def annual_points(observations: Iterable[Observation], indicator: Indicator, as_of: dt.date) -> list[Point]:
    """The series the methods work on, as known on ``as_of``: annual values; a year with only sub-annual values
    counts when complete (4 quarters or 12 months, combined by the indicator's rule: mean, sum or last), and for a
    running total or a "last" indicator its latest sub-annual value stands for the year so far."""
    known = [o for o in observations if o.period.end <= as_of]
    annual = {o.period.year: o for o in known if o.period.frequency == "year"}
    by_year: dict[int, dict[str, list[Observation]]] = {}
    for o in known:
        if o.period.frequency != "year" and o.period.year not in annual:
            by_year.setdefault(o.period.year, {}).setdefault(o.period.frequency, []).append(o)
    points = [Point(o.period.text, decimal_year(o.period.end), o.value) for o in annual.values()]
    for year, frequencies in by_year.items():
        for frequency, needed in (("quarter", 4), ("month", 12)):
            values = sorted(frequencies.get(frequency, []), key=lambda o: o.period.sort_key())
            if not values:
                continue
            if len({o.period for o in values}) == needed:
                numbers = [o.value for o in values]
                combined = (
                    sum(numbers) / len(numbers)
                    if indicator.aggregation == "mean"
                    else sum(numbers)
                    if indicator.aggregation == "sum"
                    else numbers[-1]
                )
                points.append(Point(str(year), decimal_year(dt.date(year, 12, 31)), combined))
                break
            if indicator.aggregation == "last" or indicator.cumulative:
                last = values[-1]
                points.append(Point(last.period.text, decimal_year(last.period.end), last.value))
                break
    return sorted(points, key=lambda p: p.t)


def meets(
    target: Target, indicator: Indicator, value: float, target_value: float | None, base: float | None
) -> bool:
    """Whether ``value`` satisfies the target's comparator. An 'about N' target is a growth target stated loosely:
    direction decides, so on a higher-is-better indicator anything from N − tolerance up meets it (overshooting is
    超额完成, not a failure), and on a lower-is-better one anything up to N + tolerance."""
    if target.comparator == "improve":
        if base is None:
            return False
        return value > base if indicator.direction == "higher" else value < base
    if target_value is None:
        return False
    if target.comparator == "about":
        goal = _goal(target, indicator, target_value)
        return value >= goal - 1e-12 if indicator.direction == "higher" else value <= goal + 1e-12
    if target.comparator == "at_least":
        return value >= target_value
    return value <= target_value


def default_method(target: Target, indicator: Indicator) -> Literal["growth_ratio", "expected_path"]:
    """The method when the registry says ``auto``: the linear expected path for rates (their ceiling makes growth
    ratios unstable: 97.8 % → 98 % needs a tiny growth rate) and for running totals (they grow by additions, not
    by compounding); the growth ratio for levels (indices, durations, counts that are not running totals)."""
    if target.method != "auto":
        return target.method
    return "expected_path" if indicator.kind == "rate" or indicator.cumulative else "growth_ratio"


@dataclass
class _Case:
    """What one judgement works on: a target, its indicator, one region's annual points and what follows from
    them. ``components`` is the draft of everything the result will show: each step adds its part, and the result
    is made once it is complete."""

    target: Target
    indicator: Indicator
    region: str
    points: list[Point]
    target_value: float | None
    base: Point | None
    components: Components

    @property
    def latest(self) -> Point | None:
        return self.points[-1] if self.points else None

    @property
    def method(self) -> Method:
        return (
            "comparison"
            if self.target.comparator == "improve"
            else default_method(self.target, self.indicator)
        )

    def note(self, **parts: Any) -> None:
        """Adds ``parts`` to the draft components."""
        self.components = dataclasses.replace(self.components, **parts)

    def result(self, status: Status, method: Method | None = None) -> Result:
        return Result(
            self.target.id,
            self.indicator.id,
            self.region,
            status,
            self.latest,
            self.target_value,
            self.target.deadline,
            method or self.method,
            self.components,
        )


def judge(
    target: Target,
    indicator: Indicator,
    region: str,
    observations: Sequence[Observation],
    as_of: dt.date,
    baseline_observations: Sequence[Observation] = (),
    *,
    binds: bool = True,
) -> Result:
    """The status of ``target`` for ``region`` on ``as_of``, from the region's observations of the indicator (and,
    for a relative target, the observations of its baseline indicator). ``binds`` False: the region lies below
    the target's jurisdiction and is compared with it, not judged by it (:func:`_as_reference`)."""
    points = annual_points(observations, indicator, as_of)
    case = _case(target, indicator, region, points, as_of, baseline_observations)
    if as_of <= target.deadline:
        result = _progress(case, as_of)
    else:

        def outlook() -> Outlook | None:
            return _outlook(target, indicator, region, observations, baseline_observations) if binds else None

        result = _verdict(case, outlook)
    return result if binds else _as_reference(case, result)


def _as_reference(case: _Case, judged: Result) -> Result:
    """A region below the target's jurisdiction, compared with the target (对照全国/全省目标) and never judged by
    it: status ``reference``, not counted; ``components.reference`` holds the jurisdiction, the value compared (the
    deadline period's, else the latest) and whether it is at the target's level (for a direction-only target:
    whether the region improved on its base), or None where that cannot be said."""
    components = judged.components
    final = components.final
    compared: Reading | None = (
        Reading(final.period, final.value) if final is not None and not final.early else components.latest
    )
    at_level: bool | None = None
    if case.target.comparator == "improve":
        at_level = components.trend.verdict == "improved" if components.trend is not None else None
    elif compared is not None and case.target_value is not None:
        at_level = meets(case.target, case.indicator, float(compared.value), case.target_value, None)
    reference = Comparison(case.target.jurisdiction, compared, at_level)
    shown = dataclasses.replace(components, milestones=(), milestone_missed=None, reference=reference)
    return dataclasses.replace(judged, status=REFERENCE, method="comparison", components=shown, binds=False)


def _case(
    target: Target,
    indicator: Indicator,
    region: str,
    points: list[Point],
    as_of: dt.date,
    baseline_observations: Sequence[Observation],
) -> _Case:
    """What one judgement works on, with the components every result shows."""
    relative, reason, target_value = None, None, target.value
    if target.relative is not None:
        relative, reason, target_value = _relative_target_value(target, baseline_observations, as_of)
    about = (
        _about_reading(target, indicator, target_value, points)
        if target.comparator == "about" and target_value is not None
        else None
    )
    base = _base(target, points)
    base_missing = (
        target.baseline.period
        if base is None and target.comparator == "improve" and target.baseline is not None
        else None
    )
    components = Components(
        comparator=target.comparator,
        direction=indicator.direction,
        deadline=target.deadline,
        as_of=as_of,
        relative=relative,
        reason=reason,
        tolerance=target.tolerance if about is not None else None,
        about=about,
        base=None if base is None else _shown_base(target, base),
        base_missing=base_missing,
        latest=Reading(points[-1].period, points[-1].value) if points else None,
    )
    return _Case(target, indicator, region, points, target_value, base, components)


def _shown_base(target: Target, base: Point) -> Base:
    """The base as a result shows it: flagged when it stands in for the registry's base period."""
    stands_in_for = (
        target.baseline.period
        if target.baseline is not None and base.period != target.baseline.period
        else None
    )
    return Base(base.period, base.value, stands_in_for)


def _outlook(
    target: Target,
    indicator: Indicator,
    region: str,
    observations: Sequence[Observation],
    baseline_observations: Sequence[Observation],
) -> Outlook:
    """After the deadline, while its value is awaited: the before-deadline status as judged on the deadline day.
    A level (mean) with values for part of the deadline year rests on them, combined by its rule ("按2025年前三季度
    数据"); a partial sum is only shown (``"compared": false``): it is not a year's total."""
    points = annual_points(observations, indicator, target.deadline)
    so_far = deadline_year_so_far(observations, indicator, target.deadline)
    if so_far is not None and so_far[1].compared:
        points = [p for p in points if p.t < so_far[0].t] + [so_far[0]]
    case = _case(target, indicator, region, points, target.deadline, baseline_observations)
    ahead = _progress(case, target.deadline)
    return Outlook(ahead.status, ahead.method, ahead.components.latest, None if so_far is None else so_far[1])


def deadline_year_so_far(
    observations: Iterable[Observation], indicator: Indicator, deadline: dt.date
) -> tuple[Point, SoFar] | None:
    """The deadline year's quarters (else months) so far, combined by the indicator's rule, when they do not make
    the year yet: a point for a mean (the year so far) and the words that say what it rests on; a sum of part of
    a year is never a year's total (``compared`` False). None for a running total or a ``last`` indicator, whose
    latest sub-annual value already stands for the year (:func:`annual_points`)."""
    if indicator.aggregation == "last" or indicator.cumulative:
        return None
    year = deadline.year
    for frequency in ("quarter", "month"):
        parts = sorted(
            (o for o in observations if o.period.year == year and o.period.frequency == frequency),
            key=lambda o: o.period.sort_key(),
        )
        if parts:
            break
    else:
        return None
    numbers = [o.value for o in parts]
    value = sum(numbers) / len(numbers) if indicator.aggregation == "mean" else sum(numbers)
    zh, en = _parts_words(year, [o.period for o in parts])
    basis = SoFar(
        period=str(year),
        parts=tuple(o.period.text for o in parts),
        aggregation=indicator.aggregation,
        value=value,
        compared=indicator.aggregation == "mean",
        zh=zh,
        en=en,
    )
    last = parts[-1]
    return Point(last.period.text, decimal_year(last.period.end), value), basis


def _parts_words(year: int, periods: list[Period]) -> tuple[str, str]:
    """2025年前三季度 · the first three quarters of 2025; 2025年1—8月 · January–August 2025."""
    numbers = [p.quarter if p.quarter is not None else p.month for p in periods]
    running = numbers == list(range(1, len(numbers) + 1))
    if periods[0].quarter is not None:
        if running:
            zh = {1: "一季度", 2: "上半年", 3: "前三季度"}.get(len(numbers), "")
            en = {1: f"Q1 {year}", 2: f"the first half of {year}", 3: f"the first three quarters of {year}"}
            return f"{year}年{zh}", en.get(len(numbers), str(year))
        listed = "、".join(str(n) for n in numbers)
        return f"{year}年第{listed}季度", ", ".join(f"Q{n}" for n in numbers) + f" {year}"
    months = [calendar.month_name[n or 1] for n in numbers]
    if running:
        zh = f"{year}年1月" if len(numbers) == 1 else f"{year}年1—{numbers[-1]}月"
        return zh, f"{months[0]}–{months[-1]} {year}" if len(months) > 1 else f"{months[0]} {year}"
    return f"{year}年{'、'.join(str(n) for n in numbers)}月", ", ".join(months) + f" {year}"


def _relative_target_value(
    target: Target,
    baseline_observations: Sequence[Observation],
    as_of: dt.date,
) -> tuple[Relative, str | None, float | None]:
    """factor × the baseline in force when the plan was issued: the latest value of the baseline indicator whose
    period began by the end of ``relative.baseline_period`` (a revised standard does not move the goal); with the
    part a result shows, and the reason when there is no such value yet."""
    relative = target.relative
    assert relative is not None and relative.baseline_period is not None
    until = Period.parse(relative.baseline_period).end
    known = sorted(
        (o for o in baseline_observations if o.period.start <= until and o.period.end <= as_of),
        key=lambda o: o.period.sort_key(),
    )
    shown = Relative(relative.factor, relative.baseline_indicator, relative.baseline_period)
    if not known:
        later = sorted({o.period.text for o in baseline_observations if o.period.start > until})
        reason = f"no baseline value for a period no later than {relative.baseline_period} (基准值待录入)" + (
            f"; later values ({', '.join(later)}) do not move the target" if later else ""
        )
        return shown, reason, None
    standard = known[-1]
    shown = dataclasses.replace(shown, baseline_period=standard.period.text, baseline_value=standard.value)
    return shown, None, relative.factor * standard.value


def _about_reading(target: Target, indicator: Indicator, centre: float, points: list[Point]) -> AboutReading:
    """How an 'about N' target is read: its band, the edge that counts, and by how much the latest value has
    passed N in the good direction."""
    assert target.tolerance is not None
    exceeded_by = None
    if points and centre != 0:
        beyond = (points[-1].value - centre) / abs(centre)
        if (beyond > 0) == (indicator.direction == "higher") and beyond != 0:
            exceeded_by = abs(beyond)
    return AboutReading(
        band=(centre - target.tolerance, centre + target.tolerance),
        goal=_goal(target, indicator, centre),
        reading="direction decides: beyond the band in the good direction is exceeded (超额完成), not missed",
        exceeded_by=exceeded_by,
    )


def _verdict(case: _Case, outlook: Callable[[], Outlook | None]) -> Result:
    """After the deadline: met or missed on the deadline period's value, else awaiting_data with the reason (and
    the ``outlook``). A relative or direction-only target without its base has no verdict: insufficient_data with
    the reason."""
    target = case.target
    if _without_its_base(case):
        return case.result("insufficient_data", "comparison")
    final = _final_point(case.points, target.deadline)
    if final is None:
        early = _running_total_already_met(case)
        if early is not None:
            case.note(final=Final(early.period, early.value, early=True))
            return case.result("met", "comparison")
        awaited = f"no value yet for the deadline period ({target.deadline.year})"
        case.note(reason=case.components.reason or awaited, outlook=outlook())
        return case.result("awaiting_data", "comparison")
    case.note(final=Final(final.period, final.value))
    if target.comparator == "improve":
        return _direction_only(case, final, final=True)
    met = meets(target, case.indicator, final.value, case.target_value, None)
    return case.result("met" if met else "missed", "comparison")


def _without_its_base(case: _Case) -> bool:
    """A relative target without its baseline, or a direction-only one without its base-year value (a value from
    before the base year may stand in; one from inside the plan period never does): the reason is set."""
    if case.target.relative is not None:
        return case.target_value is None
    if case.target.comparator != "improve" or case.base is not None:
        return False
    case.note(reason=f"no value for the base year ({case.components.base_missing})")
    return True


def _running_total_already_met(case: _Case) -> Point | None:
    """A running total that only grows (higher is better) and already meets the target within the deadline year
    is met, before the year's own figure is in: the year-end count cannot be lower."""
    if not (case.indicator.cumulative and case.indicator.direction == "higher") or case.target_value is None:
        return None
    t = decimal_year(case.target.deadline)
    within = [p for p in case.points if t - 1 < p.t <= t + 1e-9]
    if within and meets(case.target, case.indicator, within[-1].value, case.target_value, None):
        return within[-1]
    return None


def _progress(case: _Case, as_of: dt.date) -> Result:
    """Before the deadline: achieved, or how the trend since the base compares with the path to the goal."""
    target, indicator, base, latest = case.target, case.indicator, case.base, case.latest
    if latest is None:
        case.note(reason=case.components.reason or "no data")
        return case.result("insufficient_data")
    if target.comparator == "improve":
        return _direction_only(case, latest)
    if case.target_value is None:
        return case.result("insufficient_data")
    case.note(target_value=case.target_value)
    if meets(target, indicator, latest.value, case.target_value, None):
        return _with_milestones(case, "achieved", as_of)
    goal = _goal(target, indicator, case.target_value)
    case.note(goal=goal)
    series = [p for p in case.points if base is not None and p.t >= base.t]
    if base is None or len(series) < 2:
        case.note(reason="needs at least two values from the base period on")
        return case.result("insufficient_data")
    deadline_t = decimal_year(target.deadline)
    if case.method == "growth_ratio":
        status, ratio = growth_ratio(base, latest, goal, deadline_t, indicator.direction)
        case.note(growth_ratio=ratio)
    else:
        ceiling = 100.0 if indicator.kind == "rate" and indicator.unit == "percent" else None
        status, path = expected_path(series, base, goal, deadline_t, ceiling)
        case.note(expected_path=path)
    return _with_milestones(case, status, as_of)


def _direction_only(case: _Case, latest: Point, *, final: bool = False) -> Result:
    """'Further improve' (进一步提高, 逐步下降): the trend from the base to ``latest`` (:func:`direction_trend`).
    Improved beyond the noise: achieved (met after the deadline); within it, 基本持平: limited progress (missed
    after the deadline); worse beyond it: deteriorating (missed)."""
    if _without_its_base(case):
        return case.result("insufficient_data")
    base = case.base
    assert base is not None
    series = [p for p in case.points if base.t < p.t <= latest.t]
    if not series:
        case.note(reason="needs a base-year value and a later one")
        return case.result("insufficient_data")
    trend = direction_trend([base, *series], case.indicator.direction, _natural_limit(case.indicator))
    case.note(trend=trend)
    verdict = trend.verdict
    if verdict == "stable":
        case.note(reason="change within the series' own noise (基本持平)")
    if final:
        return case.result("met" if verdict == "improved" else "missed")
    if verdict == "improved":
        return case.result("achieved")
    return case.result("limited_progress" if verdict == "stable" else "deteriorating")


def _natural_limit(indicator: Indicator) -> float | None:
    """The limit a percentage cannot pass in its good direction (100 when higher is better, else 0); None for
    other indicators."""
    if indicator.unit != "percent":
        return None
    return 100.0 if indicator.direction == "higher" else 0.0


def direction_trend(series: Sequence[Point], direction: str, limit: float | None) -> Trend:
    """A direction-only promise judged on the series from its base (``series[0]``) to the value judged
    (``series[-1]``). With d = +1 when higher is better, −1 when lower, it has **improved** when all three hold:

    - the value judged is better than the base: d·(x_t − x_0) > 0;
    - the fitted change is beyond the series' own noise: d·b·(t − t_0) > 2·se(b)·(t − t_0), b the least-squares
      slope and se(b) its standard error (three values or more; with two there is no noise estimate);
    - the annual growth reaches Open SDG's "moderate progress" without a target: d·CAGR ≥ 0.5 %·C, C = 1 −
      (x_0/limit)^4.44 near a natural limit (Open SDG's coefficient; 1 without a limit).

    It has got **worse** when the mirror image holds, and is **stable** (基本持平) otherwise."""
    base, latest = series[0], series[-1]
    sign = 1 if direction == "higher" else -1
    years = latest.t - base.t
    slope, error = _least_squares(series)
    fitted, noise = slope * years, NOISE_SE * (error or 0.0) * years
    coefficient = _limit_coefficient(base.value, limit)
    floor = DIRECTION_FLOOR * coefficient
    x0 = base.value if base.value != 0 else ZERO
    rate = _annual_rate(x0, latest.value, years) if _sign(latest.value) in (0, _sign(x0)) else None
    growth = sign * _sign(x0) * rate if rate is not None else None
    change = sign * (latest.value - base.value)

    def beyond(way: int) -> bool:
        return way * change > 0 and way * sign * fitted > noise and (growth is None or way * growth >= floor)

    verdict: Verdict = "improved" if beyond(1) else "worse" if beyond(-1) else "stable"
    return Trend(
        verdict=verdict,
        points=len(series),
        change=latest.value - base.value,
        slope_per_year=slope,
        standard_error=error,
        fitted_change=fitted,
        noise=noise,
        annual_growth=rate,
        floor=floor,
        limit=limit,
        limit_coefficient=coefficient,
    )


def _least_squares(series: Sequence[Point]) -> tuple[float, float | None]:
    """The ordinary least-squares slope (per year) of ``series`` and its standard error (None with two values)."""
    n = len(series)
    mean_t = sum(p.t for p in series) / n
    mean_v = sum(p.value for p in series) / n
    sxx = sum((p.t - mean_t) ** 2 for p in series)
    slope = sum((p.t - mean_t) * (p.value - mean_v) for p in series) / sxx
    if n < 3:
        return slope, None
    residuals = [p.value - mean_v - slope * (p.t - mean_t) for p in series]
    return slope, math.sqrt(sum(r * r for r in residuals) / (n - 2) / sxx)


def _limit_coefficient(base: float, limit: float | None) -> float:
    """Open SDG's reduction of its growth thresholds near a natural limit: 1 − (x0/limit)^4.44 below it."""
    if limit is None:
        return 1.0
    x0, edge = abs(base), abs(limit)
    if x0 >= 2 * edge:
        return 1.0
    if x0 <= edge:
        return 1.0 - (x0 / edge) ** LIMIT_EXPONENT
    return 1.0 - ((2 * edge - x0) / edge) ** LIMIT_EXPONENT


def _base(target: Target, points: list[Point]) -> Point | None:
    """The base: the value of the registry's base period (from the data, else the registry's own value), else the
    nearest value before it (flagged ``stands_in_for``), else — for a target with a value to reach, never for a
    direction-only one — the first after it; with no base period, the earliest value."""
    if target.baseline is None:
        return points[0] if points else None
    period = Period.parse(target.baseline.period)
    t = decimal_year(period.end)
    for p in points:
        if abs(p.t - t) < 1e-9:
            return p
    if target.baseline.value is not None:
        return Point(period.text, t, target.baseline.value)
    before = [p for p in points if p.t < t]
    if before:
        return before[-1]
    if target.comparator == "improve":  # a value from inside the plan period is no base for "improve"
        return None
    later = [p for p in points if p.t > t]
    return later[0] if later else None


def _final_point(points: list[Point], deadline: dt.date) -> Point | None:
    """The value of the deadline period: the year (or the sub-annual period) that ends on the deadline."""
    t = decimal_year(deadline)
    exact = [p for p in points if abs(p.t - t) < 1e-9]
    return exact[-1] if exact else None


def _goal(target: Target, indicator: Indicator, target_value: float) -> float:
    """The value progress is measured towards: the target, or for 'about N' the band's edge on the near side of
    the good direction (N − tolerance when higher is better)."""
    if target.comparator != "about":
        return target_value
    assert target.tolerance is not None
    return (
        target_value - target.tolerance
        if indicator.direction == "higher"
        else target_value + target.tolerance
    )


def _category(score: float) -> Status:
    """The status for a score or ratio. Scores are rounded to 9 decimals first, so that floating-point noise (a flat
    series stored in minutes rather than hours) cannot tip a value across a threshold."""
    if math.isfinite(score):
        score = round(score, 9)
    if score >= ON_TRACK:
        return "on_track"
    if score >= ACCELERATION:
        return "needs_acceleration"
    if score >= LIMITED:
        return "limited_progress"
    return "deteriorating"


def growth_ratio(
    base: Point, latest: Point, goal: float, deadline_t: float, direction: str
) -> tuple[Status, GrowthRatioDetail]:
    """Eurostat / Open SDG: the ratio of the actual compound annual growth since the base to the growth required to
    reach the goal by the deadline. R ≥ 0.95 on track, ≥ 0.6 needs acceleration, ≥ 0 limited progress, < 0
    deteriorating. A growth rate that does not exist — base and latest (or goal) of opposite signs, or numbers so
    far apart that the rate leaves the floating-point range — gives ``insufficient_data`` with the reason."""
    x0 = base.value if base.value != 0 else ZERO
    xt = latest.value
    target = goal if goal != 0 else ZERO
    if _sign(xt) not in (0, _sign(x0)) or _sign(target) != _sign(x0):
        opposite = "base and latest (or target) have opposite signs: growth rates do not exist"
        return "insufficient_data", GrowthRatioDetail(reason=opposite)
    actual = _annual_rate(x0, xt, latest.t - base.t)
    required = _annual_rate(x0, target, deadline_t - base.t)
    projected = _grow(xt, actual, deadline_t - latest.t) if actual is not None else None
    if actual is None or required is None or projected is None:
        too_far = "the values are too far apart for a growth rate in floating point"
        return "insufficient_data", GrowthRatioDetail(reason=too_far)
    sign = 1 if direction == "higher" else -1
    if required == 0:
        ratio = math.inf if sign * actual >= 0 else -math.inf
    else:
        ratio = sign * math.copysign(1, x0) * actual / abs(required)
    detail = GrowthRatioDetail(
        actual_rate=actual,
        required_rate=required,
        ratio=ratio,
        projection=Projection(projected, deadline_t),
        score=_open_sdg_score(ratio),
    )
    return _category(ratio), detail


def _sign(x: float) -> int:
    """−1, 0 or 1: compared as signs, never as a product (a product of tiny values underflows to −0.0)."""
    return (x > 0) - (x < 0)


def _annual_rate(start: float, end: float, years: float) -> float | None:
    """The compound annual growth rate from ``start`` to ``end`` (same sign, or ``end`` zero) over ``years``,
    computed in logarithms; None when it is not a finite number."""
    if end == 0:
        return -1.0
    try:
        rate = math.expm1((math.log(abs(end)) - math.log(abs(start))) / years)
    except OverflowError:
        return None
    return rate if math.isfinite(rate) else None


def _grow(value: float, rate: float, years: float) -> float | None:
    """``value`` grown at ``rate`` a year for ``years``; None out of the floating-point range."""
    if rate == -1.0:
        return 0.0
    try:
        grown = value * math.exp(math.log1p(rate) * years)
    except OverflowError:
        return None
    return grown if math.isfinite(grown) else None


def _open_sdg_score(ratio: float) -> float:
    """Open SDG's −5…5 score of a growth ratio (shown beside the ratio, not used for the status)."""
    if math.isinf(ratio):
        return 5.0 if ratio > 0 else -5.0
    score = 7.1429 * ratio - 4.2857 if ratio >= 0.6 else 4.1667 * ratio - 2.5
    return max(-5.0, min(5.0, score))


def expected_path(
    series: Sequence[Point], base: Point, goal: float, deadline_t: float, ceiling: float | None
) -> tuple[Status, ExpectedPathDetail]:
    """Linear expected path (gap closure) with a projection by time-weighted least squares.

    The projection to the deadline is the weighted linear fit of the values since the base (weights halve every
    ``HALF_LIFE_YEARS`` back from the latest), clamped at a rate's 100 % ceiling. Its score is the share of the
    required change (goal − base) that the projection reaches: ≥ 0.95 on track, ≥ 0.6 needs acceleration, ≥ 0
    limited progress, < 0 deteriorating. The gap closure (change so far ÷ change expected by now on the straight
    line from base to goal) is shown beside it."""
    latest = series[-1]
    weights = [0.5 ** ((latest.t - p.t) / HALF_LIFE_YEARS) for p in series]
    total = sum(weights)
    mean_t = sum(w * p.t for w, p in zip(weights, series, strict=True)) / total
    mean_v = sum(w * p.value for w, p in zip(weights, series, strict=True)) / total
    sxx = sum(w * (p.t - mean_t) ** 2 for w, p in zip(weights, series, strict=True))
    slope = sum(w * (p.t - mean_t) * (p.value - mean_v) for w, p in zip(weights, series, strict=True)) / sxx
    projected = mean_v + slope * (deadline_t - mean_t)
    residuals = [p.value - (mean_v + slope * (p.t - mean_t)) for p in series]
    spread = (
        math.sqrt(sum(w * r * r for w, r in zip(weights, residuals, strict=True)) / total)
        if len(series) > 2
        else 0.0
    )
    if ceiling is not None:
        projected = min(projected, ceiling)
    required = goal - base.value
    score = (
        (projected - base.value) / required
        if required != 0
        else (math.inf if projected == goal else -math.inf)
    )
    expected_now = base.value + required * (latest.t - base.t) / (deadline_t - base.t)
    progress_expected = expected_now - base.value
    gap_closure = (latest.value - base.value) / progress_expected if progress_expected != 0 else None
    band = (
        projected - 2 * spread,
        min(projected + 2 * spread, ceiling) if ceiling else projected + 2 * spread,
    )
    detail = ExpectedPathDetail(
        slope_per_year=slope,
        projection=Projection(projected, deadline_t, band),
        expected_now=expected_now,
        gap_closure=gap_closure,
        score=score,
        points=len(series),
    )
    return _category(score), detail


def _with_milestones(case: _Case, status: Status, as_of: dt.date) -> Result:
    """The result with the interim milestones passed by ``as_of``: each met or not; a missed latest milestone keeps
    a target off track."""
    target = case.target
    passed = [m for m in target.milestones if m.date <= as_of]
    if not passed:
        return case.result(status)
    checks = []
    for milestone in passed:
        t = decimal_year(milestone.date)
        known = [p for p in case.points if p.t <= t + 1e-9]
        value = known[-1].value if known else None
        met = value is not None and meets(target, case.indicator, value, milestone.value, None)
        checks.append(MilestoneCheck(milestone.date.isoformat(), milestone.value, value, met))
    case.note(milestones=tuple(checks))
    if status == "on_track" and not checks[-1].met:
        case.note(milestone_missed=checks[-1].date)
        return case.result("needs_acceleration")
    return case.result(status)


def rank(results: Iterable[Result]) -> list[Result]:
    """Results best first: by status, then by how far the latest value is beyond (or short of) the target."""

    def distance(result: Result) -> float:
        if result.latest is None or result.target_value is None:
            return math.inf
        direction = -1 if result.components.direction == "higher" else 1
        return direction * (result.latest.value - result.target_value)

    return sorted(results, key=lambda r: (STATUS_ORDER.index(r.status), distance(r)))


def counts(results: Iterable[Result], key: str, labels: dict[str, str]) -> dict[str, dict[str, int]]:
    """Status counts grouped by ``labels[result.<key>]``: per plan, indicator kind or jurisdiction. A region only
    compared with a target (a reference, ``binds`` False) is not counted: the target is not its own."""
    table: dict[str, dict[str, int]] = {}
    for result in results:
        if not result.binds:
            continue
        group = labels.get(getattr(result, key), getattr(result, key))
        row = table.setdefault(group, {})
        row[result.status] = row.get(result.status, 0) + 1
    return table


def share_of_the_way(result: Result) -> float | None:
    """How far the latest value has come from the base towards the target: 0 at the base, 1 at the target
    (beyond 1 past it, below 0 moving away). None without a base, a latest value or a target value."""
    base = result.components.base
    if base is None or result.latest is None or result.target_value is None:
        return None
    required = result.target_value - float(base.value)
    if required == 0:
        return None
    return (result.latest.value - float(base.value)) / required
