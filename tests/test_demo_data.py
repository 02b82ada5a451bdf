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
