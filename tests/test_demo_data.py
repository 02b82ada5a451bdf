"""Demonstration data: every figure carries its source; invented figures say so in the file and in each row."""

from __future__ import annotations

import csv
import io
import re

import pytest

from loaders.ingest import read_return
from qtm import PROJECT_ROOT
from tests.conftest import SHARED, run_qtm

DEMO = PROJECT_ROOT / "data" / "demo"
FILES = sorted(DEMO.glob("*.csv"))


def _rows(path):
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    return list(csv.DictReader(io.StringIO("\n".join(lines))))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_row_names_its_source(path):
    for row in _rows(path):
        assert row["source"].strip(), f"{path.name}: a row without a source: {row}"
        synthetic = "synthetic" in row["flags"]
        assert synthetic == row["source"].startswith("SYNTHETIC"), row
        if not synthetic:
            assert row["source"][:1] in {"R", "D"}, f"only R and D figures may ship: {row}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_a_file_with_invented_figures_says_so_at_its_top(path):
    synthetic = any("synthetic" in row["flags"] for row in _rows(path))
    assert synthetic == path.read_text(encoding="utf-8").startswith("# SYNTHETIC")


@pytest.mark.skipif(
    not (SHARED / "reference").is_dir(), reason="shared/reference is not beside the repository"
)
def test_published_figures_are_the_ones_in_the_reference():
    reference = (SHARED / "reference" / "published-figures.md").read_text(encoding="utf-8")
    numbers = set(re.findall(r"\d[\d,]*(?:\.\d+)?", reference))
    for path in FILES:
        for row in _rows(path):
            if "synthetic" in row["flags"]:
                continue
            value = row["value"]
            if row["source"].startswith("D · 100 minus"):
                value = f"{100 - float(value):.2f}"  # the reference gives the non-conformity rate
            elif row["source"].startswith("D"):
                continue  # derived from a stated change; its inputs are checked by the rows they come from
            assert value in numbers or f"{int(float(value)):,}" in numbers, f"{path.name}: {row}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_demo_files_pass_the_ordinary_checks(path, registry):
    reading = read_return(path, registry)
    assert reading.report.issues == [] and len(reading.observations) == len(_rows(path))


def test_qtm_demo_loads_through_ingest_and_is_idempotent(sqlite_url):
    env = {"QTM_DATABASE_URL": sqlite_url}
    first = run_qtm("demo", env=env)
    assert first.returncode == 0, first.stderr
    assert "committed" in first.stdout and "duplicate" not in first.stdout
    second = run_qtm("demo", env=env)
    assert second.returncode == 0 and "committed" not in second.stdout


# --- issue #17: sources an official can cite; a bound is not a value ---------------------------------------------

PUBLISHED = sorted(DEMO.glob("*_published.csv"))
#: letter · [how it was derived ·] publisher，《title》，YYYY-MM-DD … · read in <where the reprint was read>
FULL_SOURCE = re.compile(
    r"^[RD] · (?:[^·]+ · )?[^·《]+，《[^》]+》[^，·]*，\d{4}-\d{2}-\d{2}[^·]* · read in \S+$"
)


@pytest.mark.parametrize("path", PUBLISHED, ids=lambda p: p.name)
def test_every_published_figure_has_a_source_an_official_can_cite(path):
    rows = _rows(path)
    assert rows
    for row in rows:
        assert FULL_SOURCE.match(row["source"]), (
            f"{path.name}: not publisher, 《title》, date and where read: {row}"
        )


def test_the_full_source_check_can_fail():
    assert not FULL_SOURCE.match("R · SAMR")
    assert not FULL_SOURCE.match("D · 100 minus the non-conformity rate 2.31 (all levels)")
    assert not FULL_SOURCE.match("R · 3005 enterprises in September 2021")
    assert FULL_SOURCE.match("R · 国家统计局，《2017年统计公报》，2018-02-28 · read in example.org/a")


def test_no_published_bound_is_stored_as_a_value():
    # "more than 10,000" (超1万家) was stored as 10000 and SAMR's "保持在99%以上" is a bound too: neither ships.
    rows = [row for path in PUBLISHED for row in _rows(path)]
    assert not any(r["indicator"] == "专精特新企业数量" and r["period"] == "2024-02" for r in rows)
    assert not any(r["indicator"] == "食品安全评价性抽检合格率" for r in rows)
    for row in rows:
        for words in re.findall(r'"([^"]+)"', row["source"]):
            assert not re.search(r"超|以上|左右|约|余|more than|about", words), row
        assert not re.search(r"lower bound|more than|\(a bound\)", row["source"]), row
