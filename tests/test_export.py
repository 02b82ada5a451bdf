"""`qtm export`: report packs — trends, gauges and region comparisons as report-ready PNGs drawn by kaleido in the
system Chromium, with manifest.csv (what each image says, as `qtm status --json` says it) and report.docx."""

from __future__ import annotations

import io
import json
import struct
import subprocess
import zipfile
from pathlib import Path

import pytest

from reports.report_pack import MANIFEST_COLUMNS, read_manifest
from tests.conftest import run_qtm

AS_OF = "2025-06-30"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory) -> dict[str, str]:
    env = {"QTM_DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('export') / 'qtm.sqlite'}"}
    assert run_qtm("demo", env=env).returncode == 0
    return env


@pytest.fixture(scope="module")
def gansu_pack(tmp_path_factory, demo_database) -> Path:
    """Gansu's plan as a folder pack, every kind, judged on AS_OF."""
    folder = tmp_path_factory.mktemp("pack") / "gansu"
    result = run_qtm(
        "export", "--plan", "gansu_2023_2025", "--as-of", AS_OF, "--scale", "1", "-o", str(folder),
        env=demo_database, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return folder


def _status(env: dict[str, str]) -> dict[tuple[str, str], dict]:
    result = run_qtm("status", "--json", "--as-of", AS_OF, env=env)
    assert result.returncode == 0, result.stderr
    return {(r["target"], r["region"]): r for r in json.loads(result.stdout)}


def test_a_cjk_font_is_installed_for_chinese_text():
    fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=False).stdout
    assert fonts.strip(), "no CJK font: Chinese would render as boxes (install fonts-wqy-microhei)"


def test_the_manifest_says_what_qtm_status_says(gansu_pack, demo_database, registry):
    rows = read_manifest((gansu_pack / "manifest.csv").read_bytes())
    assert rows and list(rows[0]) == list(MANIFEST_COLUMNS)
    status = _status(demo_database)
    for row in rows:
        expected = status[(row["target"], row["region"])]
        assert row["status"] == expected["status"], row["file"]
        assert row["as_of"] == AS_OF
        latest = expected["latest"]
        assert (float(row["latest_value"]) if row["latest_value"] else None) == (latest and latest["value"])
        assert (row["latest_period"] or None) == (latest and latest["period"])
        assert (float(row["target_value"]) if row["target_value"] else None) == expected["target_value"]
        assert row["unit"] == registry.indicators[expected["indicator"]].unit
        assert row["statement_zh"] and row["statement_en"]
        assert bool(row["source"]) == (latest is not None), row["file"]
    gansu_targets = {t.id for t in registry.targets.values() if t.plan == "gansu_2023_2025"}
    assert {row["target"] for row in rows} == gansu_targets


def test_the_manifest_cites_sources_as_an_official_would_not_as_stored_notes(gansu_pack):
    sources = {row["source"] for row in read_manifest((gansu_pack / "manifest.csv").read_bytes())} - {""}
    assert sources
    for source in sources:
        assert " · " not in source and "read in" not in source and not source.startswith(("R ", "D ")), source


def test_every_image_in_the_manifest_is_there_at_its_size(gansu_pack):
    rows = read_manifest((gansu_pack / "manifest.csv").read_bytes())
    on_disk = {p.name for p in gansu_pack.glob("*.png")}
    assert on_disk == {row["file"] for row in rows}
    kinds = {row["kind"] for row in rows}
    assert kinds == {"trend", "gauge", "regions"}, "the demo data hold Gansu's prefectures: a comparison each"
    for row in rows:
        assert png_size((gansu_pack / row["file"]).read_bytes()) == (1600, 900), row[
            "file"
        ]  # slide at scale 1


def test_report_docx_holds_each_chart_with_its_statement(gansu_pack):
    from docx import Document

    document = Document(str(gansu_pack / "report.docx"))
    rows = read_manifest((gansu_pack / "manifest.csv").read_bytes())
    text = "\n".join(p.text for p in document.paragraphs)
    for statement in {row["statement_zh"] for row in rows}:
        assert statement in text
    assert len(document.inline_shapes) == len(rows)


def test_a_zip_pack_for_a_region_and_one_kind(tmp_path, demo_database):
    path = tmp_path / "lanzhou.zip"
    result = run_qtm(
        "export", "--region", "620100", "--kind", "gauge", "--as-of", AS_OF, "--preset", "square",
        "--scale", "1", "--lang", "en", "-o", str(path), env=demo_database, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        rows = read_manifest(archive.read("manifest.csv"))
        assert names == {row["file"] for row in rows} | {"manifest.csv", "report.docx"}
        assert {row["region"] for row in rows} == {"620100"} and {row["kind"] for row in rows} == {"gauge"}
        assert all(png_size(archive.read(row["file"])) == (1080, 1080) for row in rows)


def test_one_chart_to_one_png(tmp_path, demo_database):
    path = tmp_path / "gansu.png"
    result = run_qtm(
        "export", "--target", "gansu_manufacturing_pass_rate_2025", "--as-of", AS_OF,
        "--preset", "half-a4", "--scale", "2", "-o", str(path), env=demo_database, timeout=180,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert png_size(path.read_bytes()) == (2480, 1754)


def test_a_png_output_for_several_charts_is_a_usage_error(tmp_path, demo_database):
    result = run_qtm("export", "--plan", "gansu_2023_2025", "-o", str(tmp_path / "x.png"), env=demo_database)
    assert result.returncode == 2 and "takes one chart" in result.stderr
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--target", "nope", "unknown target"),
        ("--region", "999999", "unknown region"),
        ("--plan", "x", "unknown plan"),
    ],
)
def test_unknown_names_are_usage_errors(tmp_path, demo_database, option, value, message):
    result = run_qtm("export", option, value, "-o", str(tmp_path / "x.zip"), env=demo_database)
    assert result.returncode == 2 and message in result.stderr


def test_the_zip_from_the_page_holds_what_its_manifest_says(tmp_path):
    from urllib.request import urlopen

    from tests.conftest import serving

    with serving(tmp_path) as url:
        with urlopen(f"{url}/export/pack.zip?plan=gansu_2023_2025&as_of={AS_OF}", timeout=300) as response:
            assert response.headers["Content-Type"] == "application/zip"
            data = response.read()
        with urlopen(
            f"{url}/export/chart.png?target=gansu_manufacturing_pass_rate_2025&region=620000&kind=trend",
            timeout=120,
        ) as response:
            assert png_size(response.read()) == (3200, 1800)  # slide at the default scale 2
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        rows = read_manifest(archive.read("manifest.csv"))
        assert set(archive.namelist()) == {row["file"] for row in rows} | {"manifest.csv", "report.docx"}
        assert {row["target"].split("_")[0] for row in rows} == {"gansu"}
        assert all(png_size(archive.read(row["file"]))[0] == 3200 for row in rows)


def test_the_manifest_neutralises_formulas_and_keeps_numbers():
    from reports.report_pack import manifest_csv

    row = dict.fromkeys(MANIFEST_COLUMNS, "")
    row.update(file="a.png", source='=HYPERLINK("http://x")', latest_value="-0.44", statement_zh="@SUM(A1)")
    (back,) = read_manifest(manifest_csv([row]))
    assert back["source"] == '\'=HYPERLINK("http://x")' and back["statement_zh"] == "'@SUM(A1)"
    assert back["latest_value"] == "-0.44"
