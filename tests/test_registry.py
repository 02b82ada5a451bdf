"""The registry covers every measurable target in the seeds, quotes them, and rejects a broken file in one line."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
import yaml

from qtm import PROJECT_ROOT
from qtm.errors import ConfigError
from qtm.registry import Registry, load_registry
from tests.conftest import SHARED, run_qtm

# (indicator name as the issue writes it, jurisdiction, comparator, value) — every row of issue #2's table.
REQUIRED_TARGETS = [
    ("主要农产品例行监测合格率", "620000", "at_least", 98),
    ("制造业产品质量合格率", "620000", "at_least", 94),
    ("高速（含一级）公路抽检指标总体合格率", "620000", "at_least", 98.0),
    ("干线公路抽检指标总体合格率", "620000", "at_least", 97.5),
    ("主粮作物收获机械平均故障间隔时间", "100000", "at_least", 80),
    ("拖拉机平均故障间隔时间", "100000", "at_least", 250),
    ("市级智能工厂数量", "310000", "at_least", 200),
    ("标杆性智能工厂数量", "310000", "at_least", 20),
    ("智能制造优秀场景数量", "310000", "at_least", 1000),
    ("专精特新企业数量", "310000", "about", 10000),
    ("知识产权信息服务网点数量", "310000", "at_least", 35),
    ("数字化转型超级场景数量", "310000", "at_least", 50),
    # 质量强国建设纲要, 2025
    ("制造业产品质量合格率", "100000", "at_least", 94),
    ("农产品质量安全例行监测合格率", "100000", "at_least", 98),
    ("食品抽检合格率", "100000", "at_least", 98),
    ("制造业质量竞争力指数", "100000", "at_least", 86),
]
# Issue #7: direction-only targets the first reading left out.
IMPROVE_TARGETS = [
    ("公共服务质量满意度", "100000"),
    ("公共服务质量满意度", "620000"),
    ("公共服务质量满意度", "310000"),
    ("农产品食品合格率", "310000"),
]
RELATIVE = [
    "挖掘机平均失效间隔时间",
    "装载机平均失效间隔时间",
    "推土机平均失效间隔时间",
    "非公路自卸车平均失效间隔时间",
]


def _find(registry: Registry, name: str, jurisdiction: str) -> list:
    indicator = registry.resolve_indicator(name)
    assert indicator is not None, f"no indicator named {name}"
    return [t for t in registry.targets_for(indicator.id) if t.jurisdiction == jurisdiction]


@pytest.mark.parametrize(("name", "jurisdiction", "comparator", "value"), REQUIRED_TARGETS)
def test_every_target_of_the_plans_is_in_the_registry(registry, name, jurisdiction, comparator, value):
    found = _find(registry, name, jurisdiction)
    assert [(t.comparator, t.value) for t in found] == [(comparator, value)]
    assert found[0].deadline.isoformat() == "2025-12-31"


@pytest.mark.parametrize(("name", "jurisdiction"), IMPROVE_TARGETS)
def test_direction_only_targets_of_every_plan_are_in_the_registry(registry, name, jurisdiction):
    (target,) = _find(registry, name, jurisdiction)
    assert target.comparator == "improve" and target.baseline is not None
    assert target.deadline.isoformat() == "2025-12-31"


@pytest.mark.parametrize("name", RELATIVE)
def test_machinery_targets_are_relative_to_a_baseline_that_is_data(registry, name):
    (target,) = _find(registry, name, "100000")
    assert target.value is None
    assert target.relative is not None and target.relative.factor == 1.6
    baseline = registry.indicators[target.relative.baseline_indicator]
    assert baseline.unit == registry.indicators[target.indicator].unit == "hour"


def test_farm_and_food_pass_rate_is_direction_only(registry):
    (target,) = _find(registry, "农产品食品合格率", "100000")
    assert target.comparator == "improve" and target.value is None and target.baseline is not None


def test_indicator_names_use_the_issue_wording(registry):
    names = {i.name.zh for i in registry.indicators.values()}
    for name, *_ in REQUIRED_TARGETS[:12]:
        assert name in names
    assert set(RELATIVE) <= names


def _without_whitespace(text: str) -> str:
    """The quoting rule of docs/registry.md: a quote is the seed's own characters with every whitespace character
    (spaces, line breaks) removed, on both sides; nothing else is changed, garbled characters included."""
    return "".join(text.split())


@pytest.mark.skipif(not (SHARED / "seeds").is_dir(), reason="shared/seeds is not beside the repository")
def test_every_quote_stands_in_its_seed_or_names_its_source(registry):
    for target in registry.targets.values():
        plan = registry.plans[target.plan]
        seed = _without_whitespace((SHARED / "seeds" / str(plan.seed)).read_text(encoding="utf-8"))
        assert target.quote == _without_whitespace(target.quote), f"{target.id}: a quote holds no whitespace"
        if target.quote_source is None:
            assert target.quote in seed, f"{target.id}: quote not found in {plan.seed}"
        else:
            assert target.quote not in seed, f"{target.id}: quoted from the seed, yet names another source"
            assert target.quote_note and "seed" in target.quote_note


QTM_HEADING = "qtm："


@pytest.mark.skipif(not (SHARED / "seeds").is_dir(), reason="shared/seeds is not beside the repository")
def test_every_clause_is_the_seeds_own_heading_or_marked_as_qtms(registry):
    for target in registry.targets.values():
        plan = registry.plans[target.plan]
        seed = _without_whitespace((SHARED / "seeds" / str(plan.seed)).read_text(encoding="utf-8"))
        if not target.clause.startswith(QTM_HEADING):
            assert _without_whitespace(target.clause) in seed, f"{target.id}: clause not in {plan.seed}"


def test_every_base_year_and_inferred_deadline_says_it_is_qtms_reading(registry):
    for plan in registry.plans.values():
        assert plan.base_year is None or "qtm's reading" in str(plan.base_year_note)
    for target in registry.targets.values():
        if target.baseline is not None and target.baseline.source is None:
            assert "qtm's reading" in str(target.baseline.note), target.id


def test_a_quote_broken_across_lines_in_the_seed_is_found_by_the_rule():
    # Seed 001 breaks 主要目标 inside its first sentence; the rule joins it, and a changed character is not found.
    assert "分别提高到98.0%、97.5%以上" in _without_whitespace("分别提高到\n98.0%、97.5%以上")
    assert "分别提高到98.0%、97.5%以上" not in _without_whitespace("分别提高至\n98.0%、97.5%以上")


def test_one_indicator_serves_several_targets(registry):
    manufacturing = registry.resolve_indicator("制造业产品质量合格率")
    assert manufacturing is not None
    assert {t.jurisdiction for t in registry.targets_for(manufacturing.id)} == {"100000", "620000"}


def test_aliases_resolve_full_width_and_half_width_alike(registry):
    a = registry.resolve_indicator("高速(含一级)公路抽检指标总体合格率")
    b = registry.resolve_indicator("高速（含一级）公路抽检指标总体合格率")
    assert a is not None and a is b


# ---- broken registries: one line naming file, entry and key -------------------------------------------------


def _broken(tmp_path: Path, change) -> Path:
    document = yaml.safe_load((PROJECT_ROOT / "targets.yaml").read_text(encoding="utf-8"))
    change(document)
    path = tmp_path / "targets.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


def _target(document: dict, target_id: str) -> dict:
    return next(t for t in document["targets"] if t["id"] == target_id)


BROKEN = {
    "unknown key": (
        lambda d: _target(d, "gansu_manufacturing_pass_rate_2025").update(valeu=94),
        ["targets[", "(gansu_manufacturing_pass_rate_2025)", "key 'valeu'", "unknown key"],
    ),
    "wrong type": (
        lambda d: _target(d, "gansu_manufacturing_pass_rate_2025").update(value="ninety-four"),
        ["(gansu_manufacturing_pass_rate_2025)", "key 'value'"],
    ),
    "unknown unit": (
        lambda d: d["indicators"][0].update(unit="furlongs_per_fortnight_zh"),
        ["indicators[0]", "key 'unit'", "unknown unit"],
    ),
    "rate above 100 %": (
        lambda d: _target(d, "gansu_manufacturing_pass_rate_2025").update(value=104),
        ["(gansu_manufacturing_pass_rate_2025)", "key 'value'", "impossible for a rate"],
    ),
    "deadline before baseline": (
        lambda d: _target(d, "gansu_manufacturing_pass_rate_2025").update(deadline="2021-12-31"),
        ["(gansu_manufacturing_pass_rate_2025)", "before the end of baseline 2022"],
    ),
    "missing indicator": (
        lambda d: _target(d, "gansu_manufacturing_pass_rate_2025").update(indicator="no_such_indicator"),
        ["(gansu_manufacturing_pass_rate_2025)", "key 'indicator'", "no indicator 'no_such_indicator'"],
    ),
    "unknown region": (
        lambda d: _target(d, "gansu_manufacturing_pass_rate_2025").update(jurisdiction="999999"),
        ["key 'jurisdiction'", "unknown region code '999999'"],
    ),
    "about without tolerance": (
        lambda d: _target(d, "shanghai_specialised_sme_count_2025").pop("tolerance"),
        ["(shanghai_specialised_sme_count_2025)", "needs a tolerance"],
    ),
    "inferred deadline without a note": (
        lambda d: _target(d, "national_tractor_mtbf_2025").pop("deadline_note"),
        ["(national_tractor_mtbf_2025)", "does not state 2025", "deadline_note"],
    ),
    "base period without a note": (
        lambda d: _target(d, "gansu_manufacturing_pass_rate_2025").update(baseline={"period": "2022"}),
        ["(gansu_manufacturing_pass_rate_2025)", "key 'baseline'", "qtm's reading"],
    ),
    "base year without a note": (
        lambda d: d["plans"][0].pop("base_year_note"),
        ["plans[0]", "(national_2022_2025)", "base_year_note"],
    ),
    "relative target with no base year to stand on": (
        lambda d: [
            d["plans"][0].update(date=None),
            d["plans"][0].pop("base_year"),
            d["plans"][0].pop("base_year_note"),
        ],
        [
            "(national_excavator_mtbf_2025)",
            "key 'relative.baseline_period'",
            "neither a date nor a base_year",
        ],
    ),
    "missing required key": (
        lambda d: _target(d, "national_tractor_mtbf_2025").pop("quote"),
        ["(national_tractor_mtbf_2025)", "key 'quote'", "required key is missing"],
    ),
}


@pytest.mark.parametrize("case", BROKEN)
def test_a_broken_registry_fails_with_one_line_naming_file_entry_and_key(tmp_path, case):
    change, expected = BROKEN[case]
    path = _broken(tmp_path, change)
    with pytest.raises(ConfigError) as caught:
        load_registry(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    for part in expected:
        assert part in message


def test_targets_check_exits_1_with_the_message(tmp_path):
    path = _broken(tmp_path, BROKEN["rate above 100 %"][0])
    result = run_qtm("targets", "check", str(path))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "impossible for a rate" in lines[0] and "Traceback" not in result.stderr


def test_targets_check_passes_the_real_registry():
    result = run_qtm("targets", "check")
    assert result.returncode == 0, result.stderr
    assert "ok" in result.stdout


def test_serve_refuses_an_invalid_registry_in_one_line(tmp_path):
    path = _broken(tmp_path, BROKEN["missing indicator"][0])
    result = run_qtm("serve", "--port", "1", env={"QTM_REGISTRY": str(path)}, timeout=60)
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "no indicator 'no_such_indicator'" in result.stderr


def test_not_yaml_at_all_is_reported_with_its_line(tmp_path):
    path = tmp_path / "targets.yaml"
    path.write_text("plans: [\n  - id: x\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_registry(path)


# ---- the JSON contract ----------------------------------------------------------------------------------------


def test_targets_json_has_the_documented_shape():
    result = run_qtm("targets", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"plans", "indicators", "targets"}
    assert set(data["plans"][0]) == {
        "id",
        "title",
        "issuer",
        "number",
        "date",
        "date_source",
        "jurisdiction",
        "seed",
        "base_year",
        "base_year_note",
        "note",
        "left_out",
    }
    assert set(data["plans"][0]["left_out"][0]) == {"clause", "quote", "quote_source", "reason"}
    assert set(data["indicators"][0]) == {
        "id",
        "name",
        "aliases",
        "unit",
        "kind",
        "category",
        "direction",
        "aggregation",
        "cumulative",
        "counter",
        "note",
    }
    assert set(data["targets"][0]) == {
        "id",
        "indicator",
        "jurisdiction",
        "plan",
        "clause",
        "quote",
        "quote_source",
        "quote_note",
        "comparator",
        "value",
        "tolerance",
        "relative",
        "baseline",
        "deadline",
        "deadline_note",
        "milestones",
        "method",
        "departments",
        "note",
    }
    sme = next(t for t in data["targets"] if t["id"] == "shanghai_specialised_sme_count_2025")
    assert (sme["comparator"], sme["value"], sme["tolerance"], sme["deadline"]) == (
        "about",
        10000,
        1000,
        "2025-12-31",
    )
    excavator = next(t for t in data["targets"] if t["id"] == "national_excavator_mtbf_2025")
    assert excavator["relative"]["factor"] == 1.6 and excavator["value"] is None
    # the month of the national plan's date of issue (2022-11-01), filled in on load (issue #17)
    assert excavator["relative"]["baseline_period"] == "2022-11"


def test_serve_on_a_taken_port_says_so_in_one_line():
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_qtm("serve", "--port", str(port), timeout=60)
    assert result.returncode == 1
    assert f"Port {port} is in use" in result.stderr.strip().splitlines()[-1]
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(not (SHARED / "seeds").is_dir(), reason="shared/seeds is not beside the repository")
def test_every_sentence_left_out_is_quoted_from_its_seed(registry):
    # Each plan's left_out (targets.yaml) lists the checkable sentences the registry does not track, with the reason;
    # each fragment stands in the plan's seed (or, quoted from the published text, names that source and is not in
    # the seed), so that the list names real sentences and cannot drift from the plans.
    left = [(plan, item) for plan in registry.plans.values() for item in plan.left_out]
    assert len(left) > 50
    assert {"上海品牌100+", "全国企业抽查全覆盖"} <= {
        w for _, i in left for w in ("上海品牌100+", "全国企业抽查全覆盖") if w in i.quote
    }
    for plan, item in left:
        seed = _without_whitespace((SHARED / "seeds" / str(plan.seed)).read_text(encoding="utf-8"))
        assert item.reason.strip(), item
        for fragment in re.split(r"[；…]", item.quote):
            fragment = fragment.strip(",")
            if not fragment:
                continue
            if item.quote_source is None:
                assert fragment in seed, f"{plan.seed}: {fragment!r} is not in it"
            else:
                assert fragment not in seed, (
                    f"{plan.seed}: {fragment!r} is in the seed, yet names another source"
                )


# --- issue #17: readings said in the registry, dates, sources, what is left out (helper on "readings and sources") --

#: Direction promises and checkable goals of the seeds and of the 纲要's published 主要目标 the first readings missed:
#: each is a target's quote or a left_out entry of its plan.
PROMISES = [
    ("national_2022_2025", "生活性服務可及性、便利性"),
    ("national_2022_2025", "生產性服務加快向專業化和價值鏈高端延伸"),
    ("shanghai_2023_2025", "生产性服务加快向专业化和价值链高端延伸"),
    ("shanghai_2023_2025", "生活性服务可及性、便利性"),
    ("gansu_2023_2025", "服务可及性、便利性"),
    ("gansu_2023_2025", "生产性服务业和生活性服务业提质增效"),
    ("quality_power_outline_2023", "加大对中小微企业质量创新的金融支持力度"),
    ("quality_power_outline_2023", "对重点产品实施全国企业抽查全覆盖"),
    ("quality_power_outline_2023", "加强工业品和消费品质量监督抽查"),
    ("quality_power_outline_2023", "工程质量抽查符合率不断提高"),
    ("quality_power_outline_2023", "农业标准化生产普及率稳步提升"),
    ("quality_power_outline_2023", "单位GDP资源能源消耗不断下降"),
    ("quality_power_outline_2023", "服务质量满意度全面提升"),
]


@pytest.mark.parametrize(("plan", "words"), PROMISES)
def test_every_promise_is_tracked_or_left_out_with_a_reason(registry, plan, words):
    quotes = [t.quote for t in registry.targets.values() if t.plan == plan]
    left = [item for item in registry.plans[plan].left_out if words in item.quote]
    assert left or any(words in q for q in quotes), f"{plan}: {words} is neither tracked nor left out"
    assert all(len(item.reason) > 10 for item in left)


def _write(tmp_path: Path, document: dict) -> Path:
    path = tmp_path / "targets.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


def _document() -> dict:
    return yaml.safe_load((PROJECT_ROOT / "targets.yaml").read_text(encoding="utf-8"))


def test_a_sentence_both_tracked_and_left_out_is_refused(tmp_path):
    document = _document()
    quote = next(t["quote"] for t in document["targets"] if t["plan"] == "shanghai_2023_2025")
    plan = next(p for p in document["plans"] if p["id"] == "shanghai_2023_2025")
    plan["left_out"].append({"clause": "x", "quote": quote, "reason": "no reason"})
    with pytest.raises(
        ConfigError, match=r"plans\[4\] \(shanghai_2023_2025\): key 'left_out': .*target's quote"
    ):
        load_registry(_write(tmp_path, document))


def test_a_left_out_quote_keeps_the_quoting_rule(tmp_path):
    document = _document()
    document["plans"][0]["left_out"][0]["quote"] = "生產性服務 加快"
    with pytest.raises(
        ConfigError, match=r"plans\[0\] \(national_2022_2025\): key 'left_out.0.quote': .*whitespace"
    ):
        load_registry(_write(tmp_path, document))


def test_the_national_plan_has_its_date_and_number(registry):
    plan = registry.plans["national_2022_2025"]
    assert plan.date is not None and plan.date.isoformat() == "2022-11-01"
    assert (
        plan.number == "国市监质发〔2022〕95号" and plan.date_source and "2022年11月1日" in plan.date_source
    )
    assert registry.plans["quality_outline_2014"].number == "国办发〔2014〕18号"


def test_a_relative_baseline_is_the_standard_in_force_on_the_date_of_issue(registry):
    from qtm.observations import Observation
    from qtm.periods import Period
    from qtm.progress import judge

    target = registry.targets["national_excavator_mtbf_2025"]
    assert target.relative is not None and target.relative.baseline_period == "2022-11"
    standards = [
        Observation("excavator_mtbf_standard", "100000", Period.parse(p), v)
        for p, v in {"2021": 500, "2022": 600, "2022-12": 650, "2023": 700}.items()
    ]
    machines = [Observation("excavator_mtbf", "100000", Period.parse("2025"), 900)]
    result = judge(
        target, registry.indicators["excavator_mtbf"], "100000", machines, dt.date(2026, 6, 30), standards
    )
    # The 2022 standard was in force on 2022-11-01 (the year-end reading took 2021's 500 h); December's revision
    # and 2023's came after the plan and do not move the goal.
    assert result.target_value == pytest.approx(1.6 * 600)
    assert result.status == "missed"


def test_a_plan_without_date_takes_its_base_year(registry, tmp_path):
    target = registry.targets["national_excavator_mtbf_2025"]
    document = _document()
    plan = next(p for p in document["plans"] if p["id"] == target.plan)
    plan["date"] = None
    relative = load_registry(_write(tmp_path, document)).targets[target.id].relative
    assert relative is not None and relative.baseline_period == "2021"


def test_at_least_readings_are_said_in_the_note(registry):
    # "建设200家", "达到94%": the plan writes no 以上; qtm reads them as at least and says so.
    for target in registry.targets.values():
        if target.comparator == "at_least" and "以上" not in target.quote:
            assert target.note and "at least" in target.note and "qtm's reading" in target.note, target.id
    assert "左右" in (registry.targets["shanghai_specialised_sme_count_2025"].note or "")


def test_the_mtbf_note_says_what_is_tracked_and_why(registry):
    for target_id in ("national_harvester_mtbf_2025", "national_tractor_mtbf_2025"):
        note = registry.targets[target_id].note or ""
        assert "What qtm tracks" in note and "standard" in note and "加快标准升级" in note


def test_the_food_target_is_judged_on_the_statistic_samr_reports(registry):
    target = registry.targets["national_food_sampling_pass_rate_2025"]
    indicator = registry.indicators[target.indicator]
    assert indicator.name.zh == "食品安全评价性抽检合格率"
    assert registry.resolve_indicator("食品抽检合格率") is indicator
    supervision = registry.resolve_indicator("食品安全监督抽检合格率")
    assert (
        supervision is not None and supervision is not indicator and not registry.targets_for(supervision.id)
    )


def test_the_outline_targets_cite_the_published_text(registry):
    for target in registry.targets.values():
        if target.plan == "quality_power_outline_2023":
            assert (
                target.quote_source
                and "新华社" in target.quote_source
                and "2023-02-06" in target.quote_source
            )
            assert "shared/" not in target.quote_source and "published-figures" not in target.quote_source


def test_every_count_has_its_counter(registry, tmp_path):
    counters = {i.id: i.counter.zh for i in registry.indicators.values() if i.counter and i.kind == "count"}
    assert counters["specialised_sme_count"] == "家" and counters["smart_manufacturing_scenarios"] == "个"
    assert {i.id for i in registry.indicators.values() if i.kind == "count"} == set(counters)
    document = _document()
    count = next(i for i in document["indicators"] if i["kind"] == "count")
    del count["counter"]
    with pytest.raises(ConfigError, match="a count needs a counter"):
        load_registry(_write(tmp_path, document))
