"""`qtm export` with several `--region` options (issue #17): every region named is known, not only the first."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from reports.export import CHROMIUM_NAMES, CHROMIUM_PATHS
from reports.report_pack import read_manifest
from tests.conftest import run_qtm

HAS_CHROMIUM = any(shutil.which(n) for n in CHROMIUM_NAMES) or any(Path(p).exists() for p in CHROMIUM_PATHS)


@pytest.fixture
def demo_env(sqlite_url: str) -> dict[str, str]:
    env = {"QTM_DATABASE_URL": sqlite_url}
    assert run_qtm("demo", env=env).returncode == 0
    return env


def test_two_regions_pass_the_check_of_names(tmp_path, demo_env):
    # Before the fix the known codes were a generator, spent on the first --region: the second, a real prefecture,
    # was refused as "unknown region '620100'". The unknown plan after them is the first problem now.
    result = run_qtm(
        "export", "--region", "620000", "--region", "620100", "--plan", "no_such_plan",
        "-o", str(tmp_path / "x.zip"), env=demo_env,
    )  # fmt: skip
    assert result.returncode == 2
    assert "unknown region" not in result.stderr and "unknown plan 'no_such_plan'" in result.stderr
    assert not (tmp_path / "x.zip").exists()


@pytest.mark.skipif(not HAS_CHROMIUM, reason="PNG export needs the system Chromium")
def test_export_for_two_regions_draws_both(tmp_path, demo_env):
    path = tmp_path / "two.zip"
    result = run_qtm(
        "export", "--target", "gansu_manufacturing_pass_rate_2025", "--region", "620000", "--region", "620100",
        "--kind", "gauge", "--as-of", "2025-06-30", "--scale", "1", "-o", str(path), env=demo_env, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(path) as archive:
        rows = read_manifest(archive.read("manifest.csv"))
    assert {row["region"] for row in rows} == {"620000", "620100"}
