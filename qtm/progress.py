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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal, get_args

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
    components: dict[str, object] = field(default_factory=dict)
    binds: bool = True  # False: the region lies below the target's jurisdiction and is only compared with it

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
            "components": self.components,
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
    them. ``components`` collects everything the result will show."""

    target: Target
    indicator: Indicator
    region: str
    points: list[Point]
    target_value: float | None
    base: Point | None
    components: dict[str, object]

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
        result = _verdict(case)
        if result.status == "awaiting_data" and binds:
            case.components["outlook"] = _outlook(
                target, indicator, region, observations, baseline_observations
            )
    return result if binds else _as_reference(case, result)


def _as_reference(case: _Case, judged: Result) -> Result:
    """A region below the target's jurisdiction, compared with the target (对照全国/全省目标) and never judged by
    it: status ``reference``, not counted; ``components.reference`` holds the jurisdiction, the value compared (the
    deadline period's, else the latest) and whether it is at the target's level (for a direction-only target:
    whether the region improved on its base), or None where that cannot be said."""
    components = {k: v for k, v in case.components.items() if k not in ("milestones", "milestone_missed")}
    final = components.get("final")
    compared = final if isinstance(final, dict) and not final.get("early") else components.get("latest")
    at_level: bool | None = None
    trend = components.get("trend")
    if case.target.comparator == "improve":
        at_level = trend["verdict"] == "improved" if isinstance(trend, dict) else None
    elif isinstance(compared, dict) and case.target_value is not None:
        value = float(compared["value"])
        at_level = meets(case.target, case.indicator, value, case.target_value, None)
    components["reference"] = {
        "jurisdiction": case.target.jurisdiction,
        "compared": compared,
        "at_target_level": at_level,
    }
    return dataclasses.replace(
        judged, status=REFERENCE, method="comparison", components=components, binds=False
    )


def _case(
    target: Target,
    indicator: Indicator,
    region: str,
    points: list[Point],
    as_of: dt.date,
    baseline_observations: Sequence[Observation],
) -> _Case:
    """What one judgement works on, with the components every result shows."""
    components: dict[str, object] = {"comparator": target.comparator, "direction": indicator.direction}
    target_value = (
        target.value
        if target.relative is None
        else _relative_target_value(target, baseline_observations, as_of, components)
    )
    if target.comparator == "about" and target_value is not None:
        components["tolerance"] = target.tolerance
        components["about"] = _about_reading(target, indicator, target_value, points)
    base = _base(target, points)
    if base is not None:
        shown: dict[str, object] = {"period": base.period, "value": base.value}
        if target.baseline is not None and base.period != target.baseline.period:
            shown["stands_in_for"] = target.baseline.period
        components["base"] = shown
    elif target.comparator == "improve" and target.baseline is not None:
        components["base_missing"] = target.baseline.period
    if points:
        components["latest"] = {"period": points[-1].period, "value": points[-1].value}
    components["deadline"] = target.deadline.isoformat()
    components["as_of"] = as_of.isoformat()
    return _Case(target, indicator, region, points, target_value, base, components)


def _outlook(
    target: Target,
    indicator: Indicator,
    region: str,
    observations: Sequence[Observation],
    baseline_observations: Sequence[Observation],
) -> dict[str, object]:
    """After the deadline, while its value is awaited: the before-deadline status as judged on the deadline day.
    A level (mean) with values for part of the deadline year rests on them, combined by its rule ("按2025年前三季度
    数据"); a partial sum is only shown (``"compared": false``): it is not a year's total."""
    points = annual_points(observations, indicator, target.deadline)
    so_far = deadline_year_so_far(observations, indicator, target.deadline)
    if so_far is not None and so_far[1]["compared"]:
        points = [p for p in points if p.t < so_far[0].t] + [so_far[0]]
    case = _case(target, indicator, region, points, target.deadline, baseline_observations)
    ahead = _progress(case, target.deadline)
    outlook: dict[str, object] = {
        "status": ahead.status,
        "method": ahead.method,
        "latest": ahead.components.get("latest"),
    }
    if so_far is not None:
        outlook["basis"] = so_far[1]
    return outlook


def deadline_year_so_far(
    observations: Iterable[Observation], indicator: Indicator, deadline: dt.date
) -> tuple[Point, dict[str, object]] | None:
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
    basis: dict[str, object] = {
        "period": str(year),
        "parts": [o.period.text for o in parts],
        "aggregation": indicator.aggregation,
        "value": value,
        "complete": False,
        "compared": indicator.aggregation == "mean",
        "zh": zh,
        "en": en,
    }
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
    components: dict[str, object],
) -> float | None:
    """factor × the baseline in force when the plan was issued: the latest value of the baseline indicator whose
    period began by the end of ``relative.baseline_period`` (a revised standard does not move the goal)."""
    relative = target.relative
    assert relative is not None and relative.baseline_period is not None
    until = Period.parse(relative.baseline_period).end
    known = sorted(
        (o for o in baseline_observations if o.period.start <= until and o.period.end <= as_of),
        key=lambda o: o.period.sort_key(),
    )
    detail: dict[str, object] = {
        "factor": relative.factor,
        "baseline_indicator": relative.baseline_indicator,
        "baseline_no_later_than": relative.baseline_period,
    }
    components["relative"] = detail
    if not known:
        later = sorted({o.period.text for o in baseline_observations if o.period.start > until})
        components["reason"] = (
            f"no baseline value for a period no later than {relative.baseline_period} (基准值待录入)"
            + (f"; later values ({', '.join(later)}) do not move the target" if later else "")
        )
        return None
    standard = known[-1]
    detail.update(baseline_period=standard.period.text, baseline_value=standard.value)
    return relative.factor * standard.value


def _about_reading(
    target: Target, indicator: Indicator, centre: float, points: list[Point]
) -> dict[str, object]:
    """How an 'about N' target is read: its band, the edge that counts, and by how much the latest value has
    passed N in the good direction."""
    assert target.tolerance is not None
    reading: dict[str, object] = {
        "band": [centre - target.tolerance, centre + target.tolerance],
        "goal": _goal(target, indicator, centre),
        "reading": "direction decides: beyond the band in the good direction is exceeded (超额完成), not missed",
    }
    if points and centre != 0:
        beyond = (points[-1].value - centre) / abs(centre)
        if (beyond > 0) == (indicator.direction == "higher") and beyond != 0:
            reading["exceeded_by"] = abs(beyond)
    return reading


def _verdict(case: _Case) -> Result:
    """After the deadline: met or missed on the deadline period's value, else awaiting_data with the reason. A
    relative or direction-only target without its base has no verdict: insufficient_data with the reason."""
    target, components = case.target, case.components
    if _without_its_base(case):
        return case.result("insufficient_data", "comparison")
    final = _final_point(case.points, target.deadline)
    if final is None:
        early = _running_total_already_met(case)
        if early is not None:
            components["final"] = {"period": early.period, "value": early.value, "early": True}
            return case.result("met", "comparison")
        components["reason"] = (
            components.get("reason") or f"no value yet for the deadline period ({target.deadline.year})"
        )
        return case.result("awaiting_data", "comparison")
    components["final"] = {"period": final.period, "value": final.value}
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
    missing = case.components.get("base_missing")
    case.components["reason"] = f"no value for the base year ({missing})"
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
    target, indicator, components, base, latest = (
        case.target,
        case.indicator,
        case.components,
        case.base,
        case.latest,
    )
    if latest is None:
        components["reason"] = components.get("reason") or "no data"
        return case.result("insufficient_data")
    if target.comparator == "improve":
        return _direction_only(case, latest)
    if case.target_value is None:
        return case.result("insufficient_data")
    components["target_value"] = case.target_value
    if meets(target, indicator, latest.value, case.target_value, None):
        return _with_milestones(case.result("achieved"), target, indicator, case.points, as_of)
    goal = _goal(target, indicator, case.target_value)
    components["goal"] = goal
    series = [p for p in case.points if base is not None and p.t >= base.t]
    if base is None or len(series) < 2:
        components["reason"] = "needs at least two values from the base period on"
        return case.result("insufficient_data")
    deadline_t = decimal_year(target.deadline)
    if case.method == "growth_ratio":
        status, detail = growth_ratio(base, latest, goal, deadline_t, indicator.direction)
    else:
        ceiling = 100.0 if indicator.kind == "rate" and indicator.unit == "percent" else None
        status, detail = expected_path(series, base, goal, deadline_t, ceiling)
    components[case.method] = detail
    return _with_milestones(case.result(status), target, indicator, case.points, as_of)


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
        case.components["reason"] = "needs a base-year value and a later one"
        return case.result("insufficient_data")
    trend = direction_trend([base, *series], case.indicator.direction, _natural_limit(case.indicator))
    case.components["trend"] = trend
    verdict = trend["verdict"]
    if verdict == "stable":
        case.components["reason"] = "change within the series' own noise (基本持平)"
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


def direction_trend(series: Sequence[Point], direction: str, limit: float | None) -> dict[str, object]:
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

    verdict = "improved" if beyond(1) else "worse" if beyond(-1) else "stable"
    return {
        "verdict": verdict,
        "points": len(series),
        "change": latest.value - base.value,
        "slope_per_year": slope,
        "standard_error": error,
        "fitted_change": fitted,
        "noise": noise,
        "annual_growth": rate,
        "floor": floor,
        "limit": limit,
        "limit_coefficient": coefficient,
        "thresholds": {"noise_se": NOISE_SE, "annual_growth": DIRECTION_FLOOR},
    }


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
) -> tuple[Status, dict[str, object]]:
    """Eurostat / Open SDG: the ratio of the actual compound annual growth since the base to the growth required to
    reach the goal by the deadline. R ≥ 0.95 on track, ≥ 0.6 needs acceleration, ≥ 0 limited progress, < 0
    deteriorating. A growth rate that does not exist — base and latest (or goal) of opposite signs, or numbers so
    far apart that the rate leaves the floating-point range — gives ``insufficient_data`` with the reason."""
    x0 = base.value if base.value != 0 else ZERO
    xt = latest.value
    target = goal if goal != 0 else ZERO
    detail: dict[str, object] = {"thresholds": [ON_TRACK, ACCELERATION, LIMITED]}
    if _sign(xt) not in (0, _sign(x0)) or _sign(target) != _sign(x0):
        detail["reason"] = "base and latest (or target) have opposite signs: growth rates do not exist"
        return "insufficient_data", detail
    actual = _annual_rate(x0, xt, latest.t - base.t)
    required = _annual_rate(x0, target, deadline_t - base.t)
    projected = _grow(xt, actual, deadline_t - latest.t) if actual is not None else None
    if actual is None or required is None or projected is None:
        detail["reason"] = "the values are too far apart for a growth rate in floating point"
        return "insufficient_data", detail
    sign = 1 if direction == "higher" else -1
    if required == 0:
        ratio = math.inf if sign * actual >= 0 else -math.inf
    else:
        ratio = sign * math.copysign(1, x0) * actual / abs(required)
    detail.update(
        actual_rate=actual,
        required_rate=required,
        ratio=ratio,
        projection={"value": projected, "at": deadline_t},
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
) -> tuple[Status, dict[str, object]]:
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
    detail: dict[str, object] = {
        "thresholds": [ON_TRACK, ACCELERATION, LIMITED],
        "slope_per_year": slope,
        "projection": {
            "value": projected,
            "at": deadline_t,
            "band": [
                projected - 2 * spread,
                min(projected + 2 * spread, ceiling) if ceiling else projected + 2 * spread,
            ],
        },
        "expected_now": expected_now,
        "gap_closure": gap_closure,
        "score": score,
        "half_life_years": HALF_LIFE_YEARS,
        "points": len(series),
    }
    return _category(score), detail


def _with_milestones(
    result: Result, target: Target, indicator: Indicator, points: list[Point], as_of: dt.date
) -> Result:
    """Interim milestones passed by ``as_of``: each met or not; a missed latest milestone keeps a target off track."""
    passed = [m for m in target.milestones if m.date <= as_of]
    if not passed:
        return result
    checks = []
    for milestone in passed:
        t = decimal_year(milestone.date)
        known = [p for p in points if p.t <= t + 1e-9]
        value = known[-1].value if known else None
        met = value is not None and meets(target, indicator, value, milestone.value, None)
        checks.append(
            {"date": milestone.date.isoformat(), "value": milestone.value, "actual": value, "met": met}
        )
    result.components["milestones"] = checks
    if result.status == "on_track" and not checks[-1]["met"]:
        return Result(
            result.target,
            result.indicator,
            result.region,
            "needs_acceleration",
            result.latest,
            result.target_value,
            result.deadline,
            result.method,
            {**result.components, "milestone_missed": checks[-1]["date"]},
        )
    return result


def rank(results: Iterable[Result]) -> list[Result]:
    """Results best first: by status, then by how far the latest value is beyond (or short of) the target."""

    def distance(result: Result) -> float:
        if result.latest is None or result.target_value is None:
            return math.inf
        direction = -1 if result.components.get("direction") == "higher" else 1
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
    base = result.components.get("base")
    if not isinstance(base, dict) or result.latest is None or result.target_value is None:
        return None
    required = result.target_value - float(base["value"])
    if required == 0:
        return None
    return (result.latest.value - float(base["value"])) / required
