"""Regions: GB/T 2260 codes, names and short forms, from a data file; `qtm regions --json`."""

from __future__ import annotations

import json

import pytest

from qtm.errors import ConfigError
from qtm.regions import DEFAULT_REGIONS_FILE, load_regions
from tests.conftest import run_qtm


def test_gansu_has_its_fourteen_prefectures_and_shanghai_its_sixteen_districts():
    regions = load_regions()
    assert len(regions.children("620000")) == 14
    assert len(regions.children("310000")) == 16
    assert len(regions.children("100000")) == 34  # every provincial-level division
    assert {"620000", "310000", "110000", "650000"} <= {r.code for r in regions.children("100000")}


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("临夏州", "622900"),
        ("临夏回族自治州", "622900"),
        ("甘南州", "623000"),
        ("兰州", "620100"),
        ("620100", "620100"),
        ("崇明区", "310151"),
        ("黄浦区", "310101"),
        ("上海", "310000"),
        ("全国", "100000"),
        ("浦 东", "310115"),
        ("Lanzhou", "620100"),
    ],
)
def test_regions_resolve_from_names_short_forms_and_codes(written, code):
    region = load_regions().resolve(written)
    assert region is not None and region.code == code


def test_an_unknown_region_resolves_to_none():
    assert load_regions().resolve("火星市") is None


def test_a_region_is_added_by_data_alone(tmp_path):
    path = tmp_path / "regions.csv"
    path.write_text(
        DEFAULT_REGIONS_FILE.read_text(encoding="utf-8") + "620102,城关区,Chengguan,城关,620100,district\n",
        encoding="utf-8",
    )
    regions = load_regions(path)
    assert regions.resolve("城关区").parent == "620100"


def test_a_region_with_a_missing_parent_is_refused(tmp_path):
    path = tmp_path / "regions.csv"
    path.write_text("code,name_zh,name_en,short,parent,level\n620100,兰州市,Lanzhou,,620000,prefecture\n")
    with pytest.raises(ConfigError, match="620000, which is not listed"):
        load_regions(path)


def test_regions_json_lists_every_region_with_its_parent():
    result = run_qtm("regions", "--json")
    assert result.returncode == 0, result.stderr
    rows = {r["code"]: r for r in json.loads(result.stdout)}
    assert rows["622900"]["parent"] == "620000" and "临夏州" in rows["622900"]["short"]
    assert rows["100000"]["parent"] is None
    assert len(rows) == 65
