"""`qtm export`: report-ready PNGs drawn by kaleido in the system Chromium, with Chinese text in a CJK font."""

from __future__ import annotations

import struct
import subprocess

import pytest

from tests.conftest import run_qtm


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory) -> dict[str, str]:
    env = {"QTM_DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('export') / 'qtm.sqlite'}"}
    assert run_qtm("demo", env=env).returncode == 0
    return env


def test_a_cjk_font_is_installed_for_chinese_text():
    fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=False).stdout
    assert fonts.strip(), "no CJK font: Chinese would render as boxes (install fonts-wqy-microhei)"


def test_one_target_to_one_png(tmp_path, demo_database):
    path = tmp_path / "gansu.png"
    result = run_qtm(
        "export",
        "--target",
        "gansu_manufacturing_pass_rate_2025",
        "--as-of",
        "2025-06-30",
        "--width",
        "800",
        "--height",
        "450",
        "--scale",
        "2",
        "-o",
        str(path),
        env=demo_database,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    assert png_size(path.read_bytes()) == (1600, 900)


def test_every_target_to_a_folder(tmp_path, demo_database, registry):
    folder = tmp_path / "charts"
    result = run_qtm("export", "-o", str(folder), env=demo_database, timeout=300)
    assert result.returncode == 0, result.stderr
    files = sorted(folder.glob("*.png"))
    assert [f.stem for f in files] == sorted(registry.targets)
    assert all(png_size(f.read_bytes()) == (2000, 1120) for f in files)


def test_an_unknown_target_is_a_usage_error(tmp_path, demo_database):
    result = run_qtm("export", "--target", "nope", "-o", str(tmp_path / "x.png"), env=demo_database)
    assert result.returncode == 2 and "unknown target" in result.stderr
