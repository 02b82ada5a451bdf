"""Judging progress: hand-computed cases for each method and target shape, and properties that must always hold."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from qtm.assessment import assess
from qtm.observations import Observation
from qtm.periods import Period
from qtm.progress import (
    BEFORE_DEADLINE,
    STATUS_ORDER,
    Point,
    annual_points,
    decimal_year,
    growth_ratio,
    judge,
    rank,
)
from qtm.registry import Indicator, Milestone, Target, load_registry

BEFORE = dt.date(2025, 6, 30)
AFTER = dt.date(2026, 11, 22)


def series(indicator: str, values: dict[str, float], region: str = "100000") -> list[Observation]:
    return [Observation(indicator, region, Period.parse(p), v) for p, v in values.items()]


def target_of(registry, target_id: str, **changes) -> Target:
    return registry.targets[target_id].model_copy(update=changes)


def test_time_is_counted_at_the_end_of_a_period():
    assert decimal_year(dt.date(2024, 12, 31)) == 2025.0
    assert decimal_year(dt.date(2025, 6, 30)) == pytest.approx(2025.5, abs=0.01)


def test_growth_ratio_by_hand(registry):
    # Tractor MTBF: 100 h in 2020, 121 h in 2023, target 250 h by the end of 2025.
    target = target_of(registry, "national_tractor_mtbf_2025", baseline=None)
    data = series("tractor_mtbf", {"2020": 100, "2023": 121})
    result = judge(target, registry.indicators["tractor_mtbf"], "100000", data, BEFORE)
    detail = result.components.as_json()["growth_ratio"]
    actual = 1.21 ** (1 / 3) - 1  # 3 years from the end of 2020 to the end of 2023
    required = 2.5 ** (1 / 5) - 1  # 5 years from the end of 2020 to the end of 2025
    assert detail["actual_rate"] == pytest.approx(actual)
    assert detail["required_rate"] == pytest.approx(required)
    assert detail["ratio"] == pytest.approx(actual / required)  # 0.326
    assert result.status == "limited_progress" and result.method == "growth_ratio"
    assert detail["projection"]["value"] == pytest.approx(121 * (1 + actual) ** 2)


@pytest.mark.parametrize(
    ("latest", "status"),
    [(140, "limited_progress"), (185, "needs_acceleration"), (215, "on_track"), (90, "deteriorating")],
)
def test_growth_ratio_thresholds(registry, latest, status):
    target = target_of(registry, "national_tractor_mtbf_2025", baseline=None)
    result = judge(
        target,
        registry.indicators["tractor_mtbf"],
        "100000",
        series("tractor_mtbf", {"2020": 100, "2024": latest}),
        BEFORE,
    )
    ratio = result.components.as_json()["growth_ratio"]["ratio"]
    expected = (
        "on_track"
        if ratio >= 0.95
        else "needs_acceleration"
        if ratio >= 0.6
        else "limited_progress"
        if ratio >= 0
        else "deteriorating"
    )
    assert result.status == status == expected


def test_achieved_whatever_the_trend(registry):
    target = target_of(registry, "national_tractor_mtbf_2025", baseline=None)
    result = judge(
        target,
        registry.indicators["tractor_mtbf"],
        "100000",
        series("tractor_mtbf", {"2020": 300, "2024": 251}),
        BEFORE,
    )
    assert result.status == "achieved"


def test_expected_path_near_a_ceiling_by_hand(registry):
    # Gansu farm-product pass rate: 97.8 (2022), 97.9 (2023), 97.95 (2024); target 98 % by the end of 2025.
    target = registry.targets["gansu_farm_product_monitoring_pass_rate_2025"]
    indicator = registry.indicators[target.indicator]
    values = {"2022": 97.8, "2023": 97.9, "2024": 97.95}
    result = judge(target, indicator, "620000", series(indicator.id, values, "620000"), BEFORE)
    detail = result.components.as_json()["expected_path"]
    t = np.array([2023.0, 2024.0, 2025.0])
    weights = 0.5 ** ((2025.0 - t) / 3)
    slope, intercept = np.polyfit(t, list(values.values()), 1, w=np.sqrt(weights))
    projected = slope * 2026.0 + intercept
    assert detail["projection"]["value"] == pytest.approx(projected)
    assert detail["score"] == pytest.approx((projected - 97.8) / (98 - 97.8))
    assert detail["gap_closure"] == pytest.approx((97.95 - 97.8) / ((98 - 97.8) * 2 / 3))
    assert result.status == "on_track" and result.method == "expected_path"


def test_a_projection_never_passes_100_percent(registry):
    target = registry.targets["gansu_farm_product_monitoring_pass_rate_2025"]
    indicator = registry.indicators[target.indicator]
    result = judge(
        target, indicator, "620000", series(indicator.id, {"2022": 90, "2024": 97.9}, "620000"), BEFORE
    )
    assert result.components.as_json()["expected_path"]["projection"]["value"] <= 100


def test_about_n_is_a_growth_target_stated_loosely(registry):
    target = registry.targets["shanghai_specialised_sme_count_2025"]  # about 10 000 ± 1 000, higher is better
    indicator = registry.indicators[target.indicator]

    def status(values: dict[str, float], as_of: dt.date = BEFORE):
        return judge(target, indicator, "310000", series(indicator.id, values, "310000"), as_of)

    assert status({"2022": 6000, "2024": 9200}).status == "achieved"  # inside the band
    assert (
        status({"2022": 6000, "2023": 7000, "2024": 8000}).status == "on_track"
    )  # heads for 9 000, the edge
    assert status({"2022": 6000, "2024": 8500}).status != "achieved"  # below N − tolerance
    # Overshooting is 超额完成, not a failure: 12 600 against about 10 000 is met, exceeded by 26 %.
    final = status({"2022": 6000, "2025": 12600}, AFTER)
    assert final.status == "met"
    assert final.components.as_json()["about"]["exceeded_by"] == pytest.approx(0.26)
    assert final.components.as_json()["about"]["band"] == [9000, 11000]
    assert status({"2022": 6000, "2025": 8900}, AFTER).status == "missed"


def test_a_running_total_that_already_meets_its_target_is_met_before_the_year_ends(registry):
    # Demo data: about 12 600 专精特新 enterprises on 2025-04-11; the year-end count of a running total is no lower.
    target = registry.targets["shanghai_specialised_sme_count_2025"]
    indicator = registry.indicators[target.indicator]
    reached = judge(
        target, indicator, "310000", series(indicator.id, {"2022": 6000, "2025-04": 12600}), AFTER
    )
    assert reached.status == "met"
    assert reached.components.as_json()["final"] == {"period": "2025-04", "value": 12600, "early": True}
    short = judge(target, indicator, "310000", series(indicator.id, {"2022": 6000, "2025-04": 8000}), AFTER)
    assert short.status == "awaiting_data" and "outlook" in short.components.as_json()


def test_about_n_on_a_lower_is_better_indicator_is_met_up_to_n_plus_tolerance(registry):
    indicator = registry.indicators["tractor_mtbf"].model_copy(update={"direction": "lower"})
    target = target_of(registry, "national_tractor_mtbf_2025", comparator="about", value=100, tolerance=10)
    data = {"2021": 150.0}

    def final(value: float) -> str:
        return judge(
            target, indicator, "100000", series("tractor_mtbf", {**data, "2025": value}), AFTER
        ).status

    assert (final(60), final(109), final(111)) == ("met", "met", "missed")


def test_relative_target_needs_its_baseline_as_data(registry):
    target = registry.targets["national_excavator_mtbf_2025"]
    indicator = registry.indicators[target.indicator]
    data = series(indicator.id, {"2022": 700, "2024": 820})
    none = judge(target, indicator, "100000", data, BEFORE)
    assert none.status == "insufficient_data" and none.target_value is None
    assert "no baseline value" in none.components.as_json()["reason"]
    standard = series("excavator_mtbf_standard", {"2018": 500})
    judged = judge(target, indicator, "100000", data, BEFORE, standard)
    assert judged.target_value == pytest.approx(800) and judged.status == "achieved"
    assert judged.components.as_json()["relative"]["baseline_value"] == 500


def test_a_revised_standard_does_not_move_a_relative_target(registry):
    # The issue's example: standard 500 h (2021) and 800 h (2024), observed 850 h for 2025 → target 800 h, met.
    target = registry.targets[
        "national_excavator_mtbf_2025"
    ]  # in force on the plan's date of issue, 2022-11-01
    indicator = registry.indicators[target.indicator]
    standard = series("excavator_mtbf_standard", {"2021": 500, "2024": 800})
    result = judge(target, indicator, "100000", series(indicator.id, {"2025": 850}), AFTER, standard)
    assert result.target_value == pytest.approx(800) and result.status == "met"
    relative = result.components.as_json()["relative"]
    assert (relative["baseline_period"], relative["baseline_value"]) == ("2021", 500)
    assert relative["baseline_no_later_than"] == "2022-11"


def test_a_standard_entered_only_for_later_years_gives_no_target(registry):
    target = registry.targets["national_excavator_mtbf_2025"]
    indicator = registry.indicators[target.indicator]
    standard = series("excavator_mtbf_standard", {"2024": 800})
    result = judge(target, indicator, "100000", series(indicator.id, {"2024": 850}), BEFORE, standard)
    assert result.target_value is None and result.status == "insufficient_data"
    assert (
        "no later than 2022-11" in result.components.as_json()["reason"]
        and "2024" in result.components.as_json()["reason"]
    )


def test_after_the_deadline_the_outlook_says_where_things_are_heading(registry):
    # 93.93 % in 2024 against 94 % by 2025, no 2025 value yet: the verdict waits, the outlook is the trend's.
    target = registry.targets["national_manufacturing_pass_rate_2025"]
    indicator = registry.indicators[target.indicator]
    data = series(indicator.id, {"2022": 93.29, "2023": 93.65, "2024": 93.93})
    result = judge(target, indicator, "100000", data, AFTER)
    assert result.status == "awaiting_data"
    before = judge(target, indicator, "100000", data, target.deadline)
    assert result.components.as_json()["outlook"] == {
        "status": before.status,
        "method": "expected_path",
        "latest": {"period": "2024", "value": 93.93},
    }
    assert before.status == "on_track"
    with_final = judge(target, indicator, "100000", [*data, *series(indicator.id, {"2025": 94.1})], AFTER)
    assert with_final.status == "met" and "outlook" not in with_final.components.as_json()


def test_an_outlook_with_too_little_data_says_so(registry):
    target = registry.targets["national_manufacturing_pass_rate_2025"]
    indicator = registry.indicators[target.indicator]
    result = judge(target, indicator, "100000", [], AFTER)
    assert result.components.as_json()["outlook"]["status"] == "insufficient_data"
    assert result.components.as_json()["outlook"]["latest"] is None


def test_direction_only_compares_with_the_base_year(registry):
    target = registry.targets["national_farm_food_pass_rate_2025"]  # base year 2021
    indicator = registry.indicators[target.indicator]
    better = judge(target, indicator, "100000", series(indicator.id, {"2021": 97.0, "2024": 97.3}), BEFORE)
    worse = judge(target, indicator, "100000", series(indicator.id, {"2021": 97.0, "2024": 96.8}), BEFORE)
    assert (better.status, worse.status) == ("achieved", "deteriorating")
    assert better.method == "comparison" and better.components.as_json()["base"] == {
        "period": "2021",
        "value": 97.0,
    }
    final = judge(target, indicator, "100000", series(indicator.id, {"2021": 97.0, "2025": 97.5}), AFTER)
    assert final.status == "met"


def test_after_the_deadline_a_final_verdict(registry):
    target = registry.targets["gansu_manufacturing_pass_rate_2025"]
    indicator = registry.indicators[target.indicator]
    met = judge(
        target, indicator, "620000", series(indicator.id, {"2022": 93, "2025": 94.0}, "620000"), AFTER
    )
    missed = judge(
        target, indicator, "620000", series(indicator.id, {"2022": 93, "2025": 93.99}, "620000"), AFTER
    )
    waiting = judge(
        target, indicator, "620000", series(indicator.id, {"2022": 93, "2024": 95}, "620000"), AFTER
    )
    assert (met.status, missed.status, waiting.status) == ("met", "missed", "awaiting_data")
    # The same data judged as on a day before the deadline use the other vocabulary.
    assert (
        judge(
            target, indicator, "620000", series(indicator.id, {"2022": 93, "2024": 95}, "620000"), BEFORE
        ).status
        == "achieved"
    )


def test_quarters_make_a_year_by_the_indicator_rule(registry):
    indicator = registry.indicators["farm_product_monitoring_pass_rate"]  # mean
    points = annual_points(
        series(indicator.id, {"2024Q1": 97, "2024Q2": 98, "2024Q3": 98, "2024Q4": 99}), indicator, AFTER
    )
    assert [(p.period, p.value) for p in points] == [("2024", 98.0)]
    partial = annual_points(series(indicator.id, {"2025Q1": 97, "2025Q2": 98}), indicator, AFTER)
    assert partial == []  # an incomplete year of a level is not a year
    counts = registry.indicators["municipal_smart_factories"]  # running total: the latest month stands
    points = annual_points(series(counts.id, {"2025-03": 120, "2025-07": 150}, "310000"), counts, AFTER)
    assert [(p.period, p.value) for p in points] == [("2025-07", 150)]


def test_data_after_the_as_of_date_is_not_known_yet(registry):
    target = registry.targets["gansu_manufacturing_pass_rate_2025"]
    indicator = registry.indicators[target.indicator]
    data = series(indicator.id, {"2022": 93, "2023": 93.2, "2025": 95}, "620000")
    assert judge(target, indicator, "620000", data, dt.date(2024, 3, 1)).latest.period == "2023"


def test_milestones_are_checked_as_they_pass(registry):
    target = target_of(
        registry,
        "gansu_manufacturing_pass_rate_2025",
        milestones=[Milestone(date=dt.date(2023, 12, 31), value=93.6)],
    )
    indicator = registry.indicators[target.indicator]
    result = judge(
        target,
        indicator,
        "620000",
        series(indicator.id, {"2022": 93.0, "2023": 93.5, "2024": 93.9}, "620000"),
        BEFORE,
    )
    assert result.components.as_json()["milestones"] == [
        {"date": "2023-12-31", "value": 93.6, "actual": 93.5, "met": False}
    ]
    assert result.status != "on_track"


def test_roll_up_and_ranking_of_regions(registry):
    data = (
        series("manufacturing_pass_rate", {"2022": 92.0, "2024": 94.5}, "620100")
        + series("manufacturing_pass_rate", {"2022": 92.0, "2024": 92.1}, "620500")
        + series("manufacturing_pass_rate", {"2022": 93.0, "2024": 93.5}, "620000")
    )
    results = [r for r in assess(registry, data, BEFORE) if r.target == "gansu_manufacturing_pass_rate_2025"]
    assert [r.region for r in results] == ["620000", "620100", "620500"]
    # The province's own row first; its prefectures are compared with its target, best first (issue #17).
    assert [r.region for r in rank(results)] == ["620000", "620100", "620500"]
    assert [r.binds for r in rank(results)] == [True, False, False]


# ---- properties ---------------------------------------------------------------------------------------------------

values = st.floats(min_value=1.0, max_value=1000.0, allow_nan=False)
years = st.lists(values, min_size=1, max_size=6)


def _rate_series(data: list[float]) -> list[Observation]:
    return [Observation("tractor_mtbf", "100000", Period(2019 + i), v) for i, v in enumerate(data)]


@settings(max_examples=200, deadline=None)
@given(years, values, st.floats(min_value=0.01, max_value=500.0))
def test_a_worse_latest_value_never_improves_the_status(registry, data, goal, drop):
    target = target_of(registry, "national_tractor_mtbf_2025", value=goal, baseline=None)
    indicator = registry.indicators["tractor_mtbf"]
    before = judge(target, indicator, "100000", _rate_series(data), BEFORE)
    worse = [*data[:-1], max(data[-1] - drop, 0.5)]
    after = judge(target, indicator, "100000", _rate_series(worse), BEFORE)
    assert STATUS_ORDER.index(after.status) >= STATUS_ORDER.index(before.status)


@settings(max_examples=200, deadline=None)
@given(years, values, st.sampled_from(["growth_ratio", "expected_path"]))
def test_achieved_exactly_when_the_comparator_holds(registry, data, goal, method):
    target = target_of(registry, "national_tractor_mtbf_2025", value=goal, baseline=None, method=method)
    result = judge(target, registry.indicators["tractor_mtbf"], "100000", _rate_series(data), BEFORE)
    assert (result.status == "achieved") == (data[-1] >= goal)
    assert result.status in BEFORE_DEADLINE


@settings(max_examples=200, deadline=None)
@given(years, values)
def test_met_exactly_when_the_deadline_value_holds(registry, data, goal):
    target = target_of(registry, "national_tractor_mtbf_2025", value=goal, baseline=None)
    observations = [*_rate_series(data[:-1]), Observation("tractor_mtbf", "100000", Period(2025), data[-1])]
    result = judge(target, registry.indicators["tractor_mtbf"], "100000", observations, AFTER)
    assert result.status == ("met" if data[-1] >= goal else "missed")


@settings(max_examples=150, deadline=None)
@given(years, values, st.sampled_from(["growth_ratio", "expected_path"]))
def test_the_same_data_in_another_unit_give_the_same_status(registry, data, goal, method):
    # Hours stored as minutes: the ingest converts units, so a series and its target scale together.
    indicator = registry.indicators["tractor_mtbf"]
    in_hours = target_of(registry, "national_tractor_mtbf_2025", value=goal, baseline=None, method=method)
    in_minutes = in_hours.model_copy(update={"value": goal * 60})
    minutes = indicator.model_copy(update={"unit": "minute"})
    a = judge(in_hours, indicator, "100000", _rate_series(data), BEFORE)
    b = judge(in_minutes, minutes, "100000", _rate_series([v * 60 for v in data]), BEFORE)
    assert a.status == b.status


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.floats(allow_nan=False, allow_infinity=False, min_value=-1e9, max_value=1e9),
        min_size=0,
        max_size=8,
    ),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e9, max_value=1e9),
    st.sampled_from(
        [
            "national_tractor_mtbf_2025",
            "gansu_manufacturing_pass_rate_2025",
            "shanghai_specialised_sme_count_2025",
            "national_farm_food_pass_rate_2025",
        ]
    ),
    st.sampled_from([BEFORE, AFTER]),
)
# Found by --hypothesis-seed=2: a product of two tiny values underflowed to −0.0, so a sign change went unseen and a
# negative number was raised to a fractional power (TypeError: must be real number, not complex).
@example(
    data=[0.0, 0.0, 0.0, 1.3846021216275725e-278, -1.1353475789895572e-116],
    goal=0.0,
    target_id="national_tractor_mtbf_2025",
    as_of=BEFORE,
)
# Numbers so far apart that the growth rate leaves the floating-point range (OverflowError).
@example(
    data=[1e-300, 1e-300, 1e-300, 1e-300, 1e9], goal=1e9, target_id="national_tractor_mtbf_2025", as_of=BEFORE
)
def test_no_exception_on_any_finite_series(registry, data, goal, target_id, as_of):
    target = registry.targets[target_id]
    if target.value is not None:
        target = target.model_copy(update={"value": goal})
    indicator: Indicator = registry.indicators[target.indicator]
    observations = [
        Observation(indicator.id, target.jurisdiction, Period(2018 + i), v) for i, v in enumerate(data)
    ]
    result = judge(target, indicator, target.jurisdiction, observations, as_of)
    assert result.status in STATUS_ORDER
    for value in result.components.as_json().values():
        if isinstance(value, float):
            assert not math.isnan(value)


@pytest.mark.parametrize(
    ("base", "latest", "reason"),
    [
        (
            1.3846021216275725e-278,
            -1.1353475789895572e-116,
            "opposite signs",
        ),  # the product underflows to −0.0
        (-5.0, 3.0, "opposite signs"),
        (1e-300, 1e9, "too far apart"),
    ],
)
def test_a_growth_rate_that_does_not_exist_gives_insufficient_data_with_the_reason(base, latest, reason):
    status, detail = growth_ratio(
        Point("2021", 2022.0, base), Point("2022", 2023.0, latest), 250, 2026.0, "higher"
    )
    assert status == "insufficient_data" and reason in str(detail.reason)


def test_status_command_contract(sqlite_url, registry):
    import json

    from tests.conftest import run_qtm

    env = {"QTM_DATABASE_URL": sqlite_url}
    assert run_qtm("demo", env=env).returncode == 0
    result = run_qtm("status", "--as-of", "2025-06-30", "--json", env=env)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert {tuple(sorted(r)) for r in rows} == {
        (
            "binds",
            "components",
            "deadline",
            "indicator",
            "latest",
            "method",
            "region",
            "status",
            "target",
            "target_value",
        )
    }
    national = next(
        r for r in rows if r["target"] == "national_manufacturing_pass_rate_2025" and r["region"] == "100000"
    )
    assert national["latest"] == {"period": "2024", "value": 93.93}
    assert national["method"] == "expected_path" and national["status"] in BEFORE_DEADLINE
    assert national["components"]["base"] == {"period": "2022", "value": 93.29}
    after = json.loads(run_qtm("status", "--json", "--as-of", "2026-11-22", env=env).stdout)
    assert {r["status"] for r in after if r["binds"]} <= {
        "met",
        "missed",
        "awaiting_data",
        "insufficient_data",
    }
    # The components' keys, in the order they are printed, for one result of each method (and a region compared).
    for when, target, region in COMPONENT_LAYOUTS:
        row = next(
            r for r in (rows if when == "before" else after) if (r["target"], r["region"]) == (target, region)
        )
        assert (row["method"], row["status"], _layout(row["components"])) == COMPONENT_LAYOUTS[
            when, target, region
        ]

    # A region below a target's jurisdiction is only compared with it (issue #17).
    assert all(
        (r["status"] == "reference")
        == (not r["binds"])
        == (r["region"] != registry.targets[r["target"]].jurisdiction)
        for r in after
    )
    assert any(not r["binds"] for r in after)
    table = run_qtm("status", "--as-of", "2025-06-30", env=env)
    assert "national_manufacturing_pass_rate_2025" in table.stdout
    assert run_qtm("status", "--as-of", "yesterday", env=env).returncode == 2


def _layout(value: object) -> object:
    """The keys of a JSON object in order, nested: what a reader of ``qtm status --json`` relies on."""
    if isinstance(value, dict):
        return [(k, _layout(v)) if isinstance(v, dict) else k for k, v in value.items()]
    return value


_READING = ["period", "value"]
_HEAD = ["comparator", "direction", ("base", _READING), ("latest", _READING), "deadline", "as_of"]
_PATH = [
    "thresholds",
    "slope_per_year",
    ("projection", ["value", "at", "band"]),
    "expected_now",
    "gap_closure",
]
COMPONENT_LAYOUTS = {
    ("before", "national_manufacturing_quality_competitiveness_2025", "100000"): (
        "growth_ratio",
        "on_track",
        [
            "comparator",
            "direction",
            ("base", ["period", "value", "stands_in_for"]),
            ("latest", _READING),
            "deadline",
            "as_of",
            "target_value",
            "goal",
            (
                "growth_ratio",
                [
                    "thresholds",
                    "actual_rate",
                    "required_rate",
                    "ratio",
                    ("projection", ["value", "at"]),
                    "score",
                ],
            ),
        ],
    ),
    ("before", "national_manufacturing_pass_rate_2025", "100000"): (
        "expected_path",
        "on_track",
        [*_HEAD, "target_value", "goal", ("expected_path", [*_PATH, "score", "half_life_years", "points"])],
    ),
    ("before", "national_manufacturing_pass_rate_2025", "620000"): (
        "comparison",
        "reference",
        [
            *_HEAD,
            "target_value",
            "goal",
            ("expected_path", [*_PATH, "score", "half_life_years", "points"]),
            ("reference", ["jurisdiction", ("compared", _READING), "at_target_level"]),
        ],
    ),
    ("after", "gansu_manufacturing_pass_rate_2025", "620000"): (
        "comparison",
        "missed",
        [*_HEAD, ("final", _READING)],
    ),
    ("after", "national_manufacturing_pass_rate_2025", "100000"): (
        "comparison",
        "awaiting_data",
        [*_HEAD, "reason", ("outlook", ["status", "method", ("latest", _READING)])],
    ),
}


def test_status_counts_per_plan_kind_and_jurisdiction(sqlite_url, registry):
    import json

    from tests.conftest import run_qtm

    env = {"QTM_DATABASE_URL": sqlite_url}
    assert run_qtm("demo", env=env).returncode == 0
    by_plan = json.loads(run_qtm("status", "--by", "plan", "--json", "--as-of", "2026-11-22", env=env).stdout)
    gansu = by_plan["甘肃省深入开展产品、工程和服务质量提升行动实施方案（2023-2025年）"]
    gansu_targets = [t for t in registry.targets.values() if t.plan == "gansu_2023_2025"]
    assert sum(gansu.values()) == len(gansu_targets) == 5  # each judged once, in its own jurisdiction
    by_kind = json.loads(run_qtm("status", "--by", "kind", "--json", env=env).stdout)
    assert sum(sum(v.values()) for v in by_kind.values()) == len(registry.targets)
    by_category = json.loads(run_qtm("status", "--by", "category", "--json", env=env).stdout)
    assert set(by_category) == {"民生消费", "产业基础", "新技术新产业", "服务", "工程"}
    by_area = json.loads(run_qtm("status", "--by", "jurisdiction", "--json", env=env).stdout)
    assert set(by_area) == {"全国", "甘肃省", "上海市"}


def test_lower_is_better_targets_by_hand(registry):
    # A failure rate that must fall to at most 5 % by the end of 2025: 10 % in 2020, 8 % in 2023.
    indicator = registry.indicators["tractor_mtbf"].model_copy(update={"direction": "lower"})
    target = target_of(registry, "national_tractor_mtbf_2025", comparator="at_most", value=5.0, baseline=None)
    data = series("tractor_mtbf", {"2020": 10, "2023": 8})
    result = judge(target, indicator, "100000", data, BEFORE)
    actual, required = 0.8 ** (1 / 3) - 1, 0.5 ** (1 / 5) - 1
    assert result.components.as_json()["growth_ratio"]["ratio"] == pytest.approx(
        -actual / abs(required)
    )  # 0.554
    assert result.status == "limited_progress"
    assert (
        judge(target, indicator, "100000", series("tractor_mtbf", {"2020": 10, "2023": 4.9}), BEFORE).status
        == "achieved"
    )
    assert (
        judge(target, indicator, "100000", series("tractor_mtbf", {"2020": 10, "2023": 12}), BEFORE).status
        == "deteriorating"
    )
    path = judge(target.model_copy(update={"method": "expected_path"}), indicator, "100000", data, BEFORE)
    projection = path.components.as_json()["expected_path"]["projection"]["value"]
    assert path.components.as_json()["expected_path"]["score"] == pytest.approx((projection - 10) / (5 - 10))


def test_share_of_the_way_from_base_to_target(registry):
    from qtm.progress import share_of_the_way

    target = registry.targets["gansu_manufacturing_pass_rate_2025"]
    indicator = registry.indicators[target.indicator]
    result = judge(
        target, indicator, "620000", series(indicator.id, {"2022": 93.0, "2024": 93.75}, "620000"), BEFORE
    )
    assert share_of_the_way(result) == pytest.approx(0.75)
    empty = judge(target, indicator, "620000", [], BEFORE)
    assert share_of_the_way(empty) is None


# ---- issue #17: who a target binds, the base year, "improve", the deadline year's own data ----------------------


def test_a_target_binds_its_own_jurisdiction_only(registry):
    # The national 94 % is no target of Lanzhou's: Lanzhou is compared with it, never judged by it, nor counted.
    from qtm.progress import counts

    data = series("manufacturing_pass_rate", {"2022": 93.5, "2025": 94.26}, "620100") + series(
        "manufacturing_pass_rate", {"2022": 93.29, "2025": 94.1}
    )
    results = [
        r for r in assess(registry, data, AFTER) if r.target == "national_manufacturing_pass_rate_2025"
    ]
    by = {(r.target, r.region): r for r in results}
    national = by[("national_manufacturing_pass_rate_2025", "100000")]
    lanzhou = by[("national_manufacturing_pass_rate_2025", "620100")]
    assert (national.status, national.binds) == ("met", True)
    assert (lanzhou.status, lanzhou.binds, lanzhou.method) == ("reference", False, "comparison")
    assert lanzhou.components.as_json()["reference"] == {
        "jurisdiction": "100000",
        "compared": {"period": "2025", "value": 94.26},
        "at_target_level": True,
    }
    gansu = [r for r in assess(registry, data, AFTER) if r.target == "gansu_manufacturing_pass_rate_2025"]
    assert [(r.region, r.binds) for r in gansu] == [("620000", True), ("620100", False)]
    assert gansu[1].status == "reference"
    assert lanzhou.as_json()["binds"] is False and national.as_json()["binds"] is True
    table = counts(results, "target", {})
    assert sum(sum(row.values()) for row in table.values()) == 1  # the national row alone
    assert all("reference" not in row for row in table.values())


DIRECTION_ONLY = [t for t in load_registry().targets.values() if t.comparator == "improve"]
RELATIVE = [t for t in load_registry().targets.values() if t.relative is not None]


@pytest.mark.parametrize("target_id", [t.id for t in DIRECTION_ONLY])
def test_a_direction_only_target_needs_its_base_year_value(registry, target_id):
    # Values from inside the plan period only (the base year's and earlier missing): no judgement, with the reason.
    target = registry.targets[target_id]
    indicator = registry.indicators[target.indicator]
    assert target.baseline is not None
    base_year = int(target.baseline.period)
    plan = registry.plans[target.plan]
    assert plan.base_year is None or base_year == plan.base_year  # the base comes from the plan's base year
    inside = {str(base_year + 2): 80.0, str(base_year + 3): 81.6, "2025": 83.0}
    data = series(indicator.id, inside, target.jurisdiction)
    for as_of in (dt.date(2025, 6, 30), AFTER):
        result = judge(target, indicator, target.jurisdiction, data, as_of)
        assert result.status == "insufficient_data", as_of
        assert result.components.as_json()["reason"] == f"no value for the base year ({base_year})"
        assert "base" not in result.components.as_json() and result.components.as_json()[
            "base_missing"
        ] == str(base_year)
    # A value from before the plan period stands in, flagged; the judgement then follows the data.
    earlier = series(indicator.id, {str(base_year - 1): 78.0}, target.jurisdiction)
    stood_in = judge(target, indicator, target.jurisdiction, [*earlier, *data], AFTER)
    assert stood_in.components.as_json()["base"] == {
        "period": str(base_year - 1),
        "value": 78.0,
        "stands_in_for": str(base_year),
    }
    assert stood_in.status == ("met" if indicator.direction == "higher" else "missed")


@pytest.mark.parametrize("target_id", [t.id for t in RELATIVE])
def test_a_relative_target_needs_its_baseline_before_and_after_the_deadline(registry, target_id):
    target = registry.targets[target_id]
    indicator = registry.indicators[target.indicator]
    data = series(indicator.id, {"2023": 700, "2025": 900})
    for as_of in (BEFORE, AFTER):
        result = judge(target, indicator, "100000", data, as_of)
        assert (result.status, result.target_value) == ("insufficient_data", None), as_of
        assert "no baseline value" in str(result.components.as_json()["reason"])


def _improve(registry, direction: str = "higher"):
    target = registry.targets["gansu_public_service_satisfaction_2025"]  # base year 2022
    indicator = registry.indicators[target.indicator].model_copy(update={"direction": direction})
    return target, indicator


def _judged(registry, values: dict[str, float], direction: str = "higher", as_of: dt.date = AFTER):
    target, indicator = _improve(registry, direction)
    return judge(target, indicator, "620000", series(indicator.id, values, "620000"), as_of)


def test_improve_is_judged_by_the_trend_not_by_any_rise(registry):
    # 80 → 81.5 → 80.5 → 80.2: two falls after a rise; the fitted slope is −0.04 a year, inside 2·se = 0.73.
    zigzag = _judged(registry, {"2022": 80, "2023": 81.5, "2024": 80.5, "2025": 80.2})
    assert zigzag.status == "missed" and zigzag.components.as_json()["trend"]["verdict"] == "stable"
    assert zigzag.components.as_json()["trend"]["slope_per_year"] == pytest.approx(-0.04)
    assert zigzag.components.as_json()["reason"] == "change within the series' own noise (基本持平)"
    # A rise of 0.01 is no improvement: 0.004 % a year is below 0.5 % a year.
    tiny = _judged(registry, {"2022": 80, "2025": 80.01})
    assert (tiny.status, tiny.components.as_json()["trend"]["verdict"]) == ("missed", "stable")
    # A steady rise is met; the same before the deadline is achieved; a clear fall is missed.
    assert _judged(registry, {"2022": 80, "2023": 81, "2024": 82, "2025": 83}).status == "met"
    assert _judged(registry, {"2022": 80, "2023": 81, "2024": 82}, as_of=BEFORE).status == "achieved"
    assert (
        _judged(registry, {"2022": 80, "2023": 81.5, "2024": 80.5}, as_of=BEFORE).status == "limited_progress"
    )
    fall = _judged(registry, {"2022": 80, "2023": 79, "2024": 78.1, "2025": 77})
    assert (fall.status, fall.components.as_json()["trend"]["verdict"]) == ("missed", "worse")
    assert _judged(registry, {"2022": 80, "2023": 79, "2024": 78.1}, as_of=BEFORE).status == "deteriorating"


def test_improve_on_a_lower_is_better_indicator(registry):
    # 逐步下降: the mirror images of the series above.
    assert _judged(registry, {"2022": 80, "2023": 79, "2024": 78, "2025": 77}, "lower").status == "met"
    zigzag = _judged(registry, {"2022": 80, "2023": 78.5, "2024": 79.5, "2025": 79.8}, "lower")
    assert (zigzag.status, zigzag.components.as_json()["trend"]["verdict"]) == ("missed", "stable")
    assert (
        _judged(registry, {"2022": 80, "2025": 79.99}, "lower").components.as_json()["trend"]["verdict"]
        == "stable"
    )
    rise = _judged(registry, {"2022": 80, "2023": 81, "2024": 82, "2025": 83}, "lower")
    assert (rise.status, rise.components.as_json()["trend"]["verdict"]) == ("missed", "worse")


def test_improve_rule_by_hand(registry):
    from qtm.progress import direction_trend

    points = [
        Point(str(y), y + 1.0, v) for y, v in zip(range(2022, 2026), (80, 81.5, 80.5, 80.2), strict=True)
    ]
    trend = direction_trend(points, "higher", 100.0)
    # Least squares on t = 0…3: slope −0.2/5 = −0.04; residuals −0.61, 0.93, −0.03, −0.29 → s² = 1.322/2,
    # se = √(0.661/5) = 0.3636; noise = 2·se·3 = 2.18; C = 1 − 0.8^4.44 = 0.629, floor 0.5 %·C = 0.31 %.
    assert trend.standard_error == pytest.approx(math.sqrt(0.661 / 5), rel=1e-3)
    assert trend.noise == pytest.approx(2 * math.sqrt(0.661 / 5) * 3, rel=1e-3)
    assert trend.limit_coefficient == pytest.approx(1 - 0.8**4.44)
    assert trend.floor == pytest.approx(0.005 * (1 - 0.8**4.44))
    assert trend.annual_growth == pytest.approx((80.2 / 80) ** (1 / 3) - 1)
    assert trend.verdict == "stable"


def test_after_the_deadline_the_outlook_rests_on_the_deadline_years_own_data(registry):
    # 2024: 98.1 %; 2025 Q1–Q3: 96.0, 96.2, 96.1 against ≥ 98 %: the outlook is on the quarters, not on 2024.
    target = registry.targets["national_farm_product_monitoring_pass_rate_2025"]
    indicator = registry.indicators[target.indicator]
    assert indicator.aggregation == "mean"
    annual = {"2022": 97.5, "2023": 97.8, "2024": 98.1}
    quarters = {"2025Q1": 96.0, "2025Q2": 96.2, "2025Q3": 96.1}
    result = judge(target, indicator, "100000", series(indicator.id, {**annual, **quarters}), AFTER)
    assert result.status == "awaiting_data" and result.latest.period == "2024"
    outlook = result.components.as_json()["outlook"]
    assert outlook["latest"] == {"period": "2025Q3", "value": pytest.approx(96.1)}
    assert outlook["status"] not in ("achieved", "on_track")
    basis = outlook["basis"]
    assert (basis["zh"], basis["en"]) == ("2025年前三季度", "the first three quarters of 2025")
    assert basis["parts"] == ["2025Q1", "2025Q2", "2025Q3"] and basis["compared"] is True
    without = judge(target, indicator, "100000", series(indicator.id, annual), AFTER)
    assert (
        without.components.as_json()["outlook"]["status"] == "achieved"
        and "basis" not in without.components.as_json()["outlook"]
    )


def test_a_partial_sum_of_the_deadline_year_is_shown_not_compared(registry):
    indicator = registry.indicators["manufacturing_pass_rate"].model_copy(
        update={"aggregation": "sum", "unit": "count", "kind": "count"}
    )
    target = target_of(registry, "gansu_manufacturing_pass_rate_2025", value=100.0)
    data = series(indicator.id, {"2022": 80, "2023": 90, "2024": 95, "2025Q1": 30, "2025Q2": 40}, "620000")
    outlook = judge(target, indicator, "620000", data, AFTER).components.as_json()["outlook"]
    assert outlook["basis"]["value"] == 70 and outlook["basis"]["compared"] is False
    assert outlook["latest"] == {
        "period": "2024",
        "value": 95,
    }  # 70 is not a year's total to compare with 100


# ---- the oracle: Open SDG's own progress calculation (open-sdg/sdg-build, sdg/ProgressMeasure.py) --------------


def open_sdg_progress(
    values: dict[int, float], base_year: int, target: float | None, target_year: int, higher: bool, limit=None
) -> str:
    """Open SDG's status for one series, rewritten from its published algorithm: methodology 2 (a target) is the
    ratio of observed to required compound growth against 0.95 / 0.6 / 0; methodology 1 (no target) is the observed
    growth against 1.5 % / 0.5 % / 0, scaled by 1 − (x0/limit)^4.44 near a limit."""
    direction = 1 if higher else -1
    years = sorted(values)
    current_year = years[-1]
    if base_year not in values:
        base_year = min(y for y in years if y > base_year)
    x0, xt = values[base_year], values[current_year]
    sign = -1 if x0 < 0 else 1
    if target is not None and ((direction == -1 and xt <= target) or (direction == 1 and xt >= target)):
        return "target_achieved"
    observed = (xt / x0) ** (1 / (current_year - base_year)) - 1
    if target is None:
        value = sign * direction * observed
        high, med, low = 0.015, 0.005, 0.0
        if limit is not None:
            coeff = 1 - (abs(x0) / abs(limit)) ** 4.44 if abs(x0) <= abs(limit) else 1.0
            high, med = high * coeff, med * coeff
    else:
        required = (target / x0) ** (1 / (target_year - base_year)) - 1
        value = sign * direction * observed / abs(required)
        high, med, low = 0.95, 0.6, 0.0
    if value >= high:
        return "substantial_progress"
    if value >= med:
        return "moderate_progress"
    return "limited_progress" if value >= low else "deterioration"


OPEN_SDG_WITH_A_TARGET = {
    "target_achieved": "achieved",
    "substantial_progress": "on_track",
    "moderate_progress": "needs_acceleration",
    "limited_progress": "limited_progress",
    "deterioration": "deteriorating",
}


@pytest.mark.parametrize("higher", [True, False])
@settings(max_examples=120, deadline=None)
@given(
    base=st.floats(5, 500, allow_nan=False),
    growth=st.floats(-0.3, 0.3, allow_nan=False),
    years=st.integers(1, 3),
)
def test_the_growth_ratio_is_open_sdgs_with_a_target(registry, higher, base, growth, years):
    # A level (growth ratio): a target 30 % beyond the base in the good direction, by the end of 2025.
    indicator = registry.indicators["tractor_mtbf"].model_copy(
        update={"direction": "higher" if higher else "lower"}
    )
    goal = base * (1.3 if higher else 0.7)
    target = target_of(
        registry,
        "national_tractor_mtbf_2025",
        comparator="at_least" if higher else "at_most",
        value=goal,
        baseline=None,
        method="growth_ratio",
    )
    latest = base * (1 + growth) ** years
    values = {2021: base, 2021 + years: latest}
    data = series("tractor_mtbf", {str(y): v for y, v in values.items()})
    result = judge(target, indicator, "100000", data, BEFORE)
    oracle = open_sdg_progress(values, 2021, goal, 2025, higher)
    ratio = result.components.as_json().get("growth_ratio", {}).get("ratio")
    if (
        ratio is not None
        and abs(abs(ratio) - 0.95) > 1e-6
        and abs(abs(ratio) - 0.6) > 1e-6
        and abs(ratio) > 1e-9
    ):
        assert result.status == OPEN_SDG_WITH_A_TARGET[oracle], (values, goal, ratio)
    elif ratio is None:
        assert result.status == "achieved" == OPEN_SDG_WITH_A_TARGET[oracle]


@pytest.mark.parametrize("direction", ["higher", "lower"])
@settings(max_examples=150, deadline=None)
@given(data=st.lists(st.floats(60, 99, allow_nan=False).map(lambda v: round(v, 1)), min_size=2, max_size=4))
def test_direction_only_agrees_with_open_sdg_without_a_target(registry, direction, data):
    # Open SDG judges base against latest only; qtm adds the series' noise. They must agree where Open SDG is clear:
    # qtm's improvement is at least Open SDG's moderate progress, Open SDG's limited progress (0 ≤ growth < 0.5 %·C)
    # is qtm's 基本持平, and qtm's fall is Open SDG's deterioration.
    values = {2022 + i: v for i, v in enumerate(data)}
    as_of = AFTER if 2025 in values else BEFORE  # judged on the latest value: final, or before the deadline
    result = _judged(registry, {str(y): v for y, v in values.items()}, direction, as_of)
    verdict = result.components.as_json()["trend"]["verdict"]
    higher = direction == "higher"
    oracle = open_sdg_progress(values, 2022, None, 2025, higher, 100.0 if higher else 0.0)
    if verdict == "improved":
        assert oracle in ("substantial_progress", "moderate_progress"), values
        assert result.status in ("met", "achieved")
    else:
        assert result.status in ("missed", "limited_progress", "deteriorating"), values
    if oracle == "limited_progress" and values[2022] != data[-1]:
        assert verdict == "stable", values
    if verdict == "worse":
        assert oracle == "deterioration", values


def test_the_oracle_comparison_covers_the_issues_series(registry):
    # Where qtm and Open SDG part, on purpose: 80 → 81.5 → 80.5 → 80.2 is Open SDG's limited progress (it looks at
    # 2022 and 2025 only) and qtm's 基本持平; a steady rise is substantial progress for both.
    zigzag = {2022: 80, 2023: 81.5, 2024: 80.5, 2025: 80.2}
    assert open_sdg_progress(zigzag, 2022, None, 2025, True, 100.0) == "limited_progress"
    steady = {2022: 80, 2023: 81, 2024: 82, 2025: 83}
    assert open_sdg_progress(steady, 2022, None, 2025, True, 100.0) == "substantial_progress"
    falling = {2022: 80, 2023: 79, 2024: 78, 2025: 77}
    assert open_sdg_progress(falling, 2022, None, 2025, False, 0.0) == "moderate_progress"  # 1.27 % a year
    assert _judged(registry, {str(y): v for y, v in falling.items()}, "lower").status == "met"
