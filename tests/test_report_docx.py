"""report.docx of a report pack (issue #19): A4 with the margins and fonts of a Chinese official document (GB/T 9704),
a title page naming the plans, region, as-of date and source, headings that name the plan; and `qtm export` refusing a
target and a region that do not match instead of writing an empty pack."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Mm

from reports.export import CHROMIUM_NAMES, CHROMIUM_PATHS
from tests.conftest import run_qtm

HAS_CHROMIUM = any(shutil.which(n) for n in CHROMIUM_NAMES) or any(Path(p).exists() for p in CHROMIUM_PATHS)
needs_chromium = pytest.mark.skipif(not HAS_CHROMIUM, reason="PNG export needs the system Chromium")
AS_OF = "2026-06-30"
#: A provisional 2025 value for Gansu, as a province's statistics office first reports it.
PROVISIONAL_RETURN = (
    "indicator,region,period,value,unit,flags,source\n"
    "制造业产品质量合格率,甘肃省,2025,93.7,%,provisional,甘肃省市场监督管理局《2025年质量统计快报》\n"
)


@pytest.fixture(scope="module")
def demo_env(tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("docx")
    env = {"QTM_DATABASE_URL": f"sqlite:///{folder / 'qtm.sqlite'}"}
    assert run_qtm("demo", env=env).returncode == 0
    (folder / "provisional.csv").write_text(PROVISIONAL_RETURN, encoding="utf-8")
    result = run_qtm("ingest", str(folder / "provisional.csv"), env=env)
    assert result.returncode == 0, result.stderr + result.stdout
    return env


@pytest.fixture(scope="module")
def report(tmp_path_factory, demo_env):
    """The report.docx of Gansu's and the national plan's manufacturing pass-rate targets as they stand in Gansu:
    two plans setting the same indicator for one region."""
    path = tmp_path_factory.mktemp("pack") / "gansu.zip"
    result = run_qtm(
        "export", "--target", "gansu_manufacturing_pass_rate_2025",
        "--target", "national_manufacturing_pass_rate_2025", "--region", "620000",
        "--kind", "gauge", "--as-of", AS_OF, "--scale", "1", "-o", str(path), env=demo_env, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(path) as archive:
        return Document(io.BytesIO(archive.read("report.docx")))


@needs_chromium
def test_pages_are_a4_with_the_margins_of_an_official_document(report):
    for section in report.sections:
        # Word stores lengths in twips (1/1440 inch): to the tenth of a millimetre
        assert (round(section.page_width.mm, 1), round(section.page_height.mm, 1)) == (210, 297)
        margins = (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)
        assert [round(m.mm, 1) for m in margins] == [37, 35, 28, 26]
    widths = [shape.width for shape in report.inline_shapes]
    assert widths and all(w <= Mm(210 - 28 - 26) for w in widths)  # images stay inside the text block


def _east_asian_font(style) -> str | None:
    fonts = style.element.rPr.find(qn("w:rFonts"))
    return None if fonts is None else fonts.get(qn("w:eastAsia"))


@needs_chromium
def test_body_is_fangsong_and_headings_heiti_with_fallbacks(report):
    assert _east_asian_font(report.styles["Normal"]) == "仿宋"
    for name in ("Title", "Heading 1"):
        fonts = report.styles[name].element.rPr.find(qn("w:rFonts"))
        assert fonts.get(qn("w:eastAsia")) == "黑体"
        assert fonts.get(qn("w:eastAsiaTheme")) is None  # a theme font would win over the named one
    font_table = next(p for p in report.part.package.iter_parts() if str(p.partname) == "/word/fontTable.xml")
    text = font_table.blob.decode("utf-8")
    assert 'w:name="仿宋"' in text and "Noto Serif CJK SC" in text
    assert 'w:name="黑体"' in text and "Noto Sans CJK SC" in text


@needs_chromium
def test_the_title_page_names_plans_region_date_and_source(report):
    first_page: list[str] = []
    for paragraph in report.paragraphs:
        first_page.append(paragraph.text)
        if 'w:br w:type="page"' in paragraph._p.xml:
            break
    text = "\n".join(first_page)
    assert "《质量强国建设纲要》" in text
    assert "《甘肃省深入开展产品、工程和服务质量提升行动实施方案（2023-2025年）》" in text
    assert "地区：甘肃省" in text
    assert "数据截至：2026年6月30日" in text
    assert "数据来源：" in text and "《2025年质量统计快报》" in text


@needs_chromium
def test_headings_name_the_plan_and_no_two_paragraphs_read_the_same(report):
    headings = [p.text for p in report.paragraphs if p.style.name == "Heading 1"]
    assert len(headings) == 2
    assert any("《质量强国建设纲要》" in h for h in headings)
    assert any("甘肃省深入开展" in h for h in headings)
    texts = [p.text for p in report.paragraphs if p.text.strip()]
    assert len(texts) == len(set(texts))


@needs_chromium
def test_a_provisional_value_is_called_provisional_in_the_report(report):
    statements = [
        p.text for p in report.paragraphs if "制造业产品质量合格率" in p.text and p.style.name == "Normal"
    ]
    assert statements and all("初步数为93.7%" in s for s in statements)


def test_export_of_a_target_for_a_region_it_does_not_apply_to_says_so(tmp_path, demo_env):
    # Shanghai's target in Gansu, and Gansu's target at the national level (a region above its jurisdiction).
    for target, region in (
        ("shanghai_municipal_smart_factories_2025", "620000"),
        ("gansu_manufacturing_pass_rate_2025", "100000"),
    ):
        path = tmp_path / f"{region}.zip"
        result = run_qtm("export", "--target", target, "--region", region, "-o", str(path), env=demo_env)
        assert result.returncode == 1, result.stdout
        lines = result.stderr.strip().splitlines()
        assert (
            len(lines) == 1
            and target in lines[0]
            and "不适用于" in lines[0]
            and "nothing exported" in lines[0]
        )
        assert not path.exists()


def test_export_of_a_plan_with_no_target_in_the_region_writes_nothing(tmp_path, demo_env):
    path = tmp_path / "empty.zip"
    result = run_qtm(
        "export", "--plan", "shanghai_2023_2025", "--region", "620100", "-o", str(path), env=demo_env
    )
    assert result.returncode == 1 and "nothing exported" in result.stderr
    assert not path.exists()
