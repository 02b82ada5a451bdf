"""`qtm template`: a fill-in return that round-trips exactly through ingest."""

from __future__ import annotations

import json

from openpyxl import load_workbook

from tests.conftest import run_qtm


def test_a_filled_template_round_trips_exactly(tmp_path, sqlite_url):
    env = {"QTM_DATABASE_URL": sqlite_url}
    path = tmp_path / "gansu.xlsx"
    made = run_qtm(
        "template",
        "--plan",
        "gansu_2023_2025",
        "--region",
        "甘肃",
        "--region",
        "临夏州",
        "-o",
        str(path),
        env=env,
    )
    assert made.returncode == 0, made.stderr
    workbook = load_workbook(path)
    assert workbook.sheetnames[0] == "填表说明" and "填报" in workbook.sheetnames
    sheet = workbook["填报"]
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert len(rows) == 5 * 2 * 4  # five indicators × two regions × 2022–2025
    assert {r[1] for r in rows} == {"甘肃省", "临夏回族自治州"}
    assert {r[2] for r in rows} == {"2022", "2023", "2024", "2025"}
    assert len(sheet.data_validations.dataValidation) >= 4  # indicator, region, unit and flag dropdowns
    expected = {}
    for number, row in enumerate(sheet.iter_rows(min_row=3), start=1):
        value = round(90 + number * 0.125, 3)
        row[3].value = value
        if number % 5 == 0:
            row[5].value = "初步"
        expected[(row[0].value, row[1].value, row[2].value)] = (
            value,
            ["provisional"] if number % 5 == 0 else [],
        )
    workbook.save(path)

    ingested = run_qtm("ingest", str(path), "--json", env=env)
    assert ingested.returncode == 0, ingested.stdout + ingested.stderr
    (entry,) = json.loads(ingested.stdout)["files"]
    assert entry["status"] == "committed" and entry["issues"] == []
    names = {
        "manufacturing_pass_rate": "制造业产品质量合格率",
        "farm_product_monitoring_pass_rate": "主要农产品例行监测合格率",
        "expressway_spot_check_pass_rate": "高速（含一级）公路抽检指标总体合格率",
        "trunk_road_spot_check_pass_rate": "干线公路抽检指标总体合格率",
        "public_service_quality_satisfaction": "公共服务质量满意度",
    }
    places = {"620000": "甘肃省", "622900": "临夏回族自治州"}
    got = {
        (names[o["indicator"]], places[o["region"]], o["period"]): (o["value"], o["flags"])
        for o in entry["observations"]
    }
    assert got == expected


def test_template_for_relative_targets_asks_for_the_baseline_too(tmp_path):
    path = tmp_path / "national.xlsx"
    assert (
        run_qtm("template", "--plan", "national_2022_2025", "--period", "2024", "-o", str(path)).returncode
        == 0
    )
    indicators = {row[0] for row in load_workbook(path)["填报"].iter_rows(min_row=3, values_only=True)}
    assert "挖掘机平均失效间隔时间" in indicators and "挖掘机平均失效间隔时间现行国家标准值" in indicators


def test_template_refuses_an_unknown_plan_or_region(tmp_path):
    result = run_qtm("template", "--plan", "nowhere", "-o", str(tmp_path / "x.xlsx"))
    assert result.returncode == 2 and "unknown plan" in result.stderr
    result = run_qtm("template", "--region", "火星", "-o", str(tmp_path / "x.xlsx"))
    assert result.returncode == 2 and "unknown region" in result.stderr
