"""Report packs: the charts of the targets and regions in view as report-ready PNGs, with a manifest of what each
image says, the words officials put beside them (进展情况) and a report.docx holding both.

A pack is planned from standings (the same the overview and the region page show), drawn in one go by the
process's PNG renderer, and written as a folder or a zip:

    manifest.csv      one row per image: file, target, region, kind, as_of, status, latest value and period,
                      target value, unit, source, and the statement in Chinese and English
    report.docx       A4 with the margins and fonts of an official document (GB/T 9704): a title page, then per
                      target and region a heading naming the plan, its images, its statement
    <target>__<region>__<kind>.png
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import plotly.graph_objects as go

from qtm.formatting import STATUS_LABELS, source_text
from qtm.i18n import Lang
from qtm.registry import Plan, Registry
from qtm.standings import Filters, Standing, in_region, overview, sub_regions
from qtm.statements import statement
from qtm.store import Store
from reports import paper

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument
    from docx.oxml.xmlchemy import BaseOxmlElement

Kind = Literal["trend", "gauge", "regions"]
KINDS: tuple[Kind, ...] = ("trend", "gauge", "regions")
#: Told how many images are drawn, of how many: ``progress(drawn, of)``.
Progress = Callable[[int, int], None]
#: Images drawn between two progress reports (a page shows them as the pack is drawn).
PROGRESS_EVERY = 8

MANIFEST_COLUMNS = (
    "file",
    "target",
    "region",
    "kind",
    "as_of",
    "status",
    "status_label",
    "latest_value",
    "latest_period",
    "target_value",
    "unit",
    "source",
    "statement_zh",
    "statement_en",
)


@dataclass(frozen=True)
class PackOptions:
    """How a pack is drawn: the date its data are judged on, which kinds of chart, their size and language."""

    as_of: dt.date
    kinds: tuple[Kind, ...] = KINDS
    preset: str = "slide"
    scale: float = 2.0
    lang: Lang = "zh"

    def __post_init__(self) -> None:
        if self.preset not in paper.PRESETS:
            raise ValueError(f"unknown preset {self.preset!r} (one of {', '.join(paper.PRESETS)})")
        if not 1 <= self.scale <= 3:
            raise ValueError(f"scale {self.scale:g} is outside 1–3")
        unknown = set(self.kinds) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown kind {sorted(unknown)[0]!r} (one of {', '.join(KINDS)})")


@dataclass(frozen=True)
class Image:
    """One image of a pack: which chart of which standing, and the figure that draws it."""

    file: str
    kind: Kind
    standing: Standing
    figure: go.Figure = field(compare=False, repr=False)


@dataclass
class Pack:
    """Images drawn, with the manifest's rows in the same order."""

    options: PackOptions
    images: list[Image]
    pngs: list[bytes]
    manifest: list[dict[str, str]]
    registry: Registry = field(repr=False)

    def files(self) -> dict[str, bytes]:
        """Every file of the pack by name: the images, manifest.csv and report.docx."""
        found = {image.file: png for image, png in zip(self.images, self.pngs, strict=True)}
        found["manifest.csv"] = manifest_csv(self.manifest)
        found["report.docx"] = report_docx(self)
        return found


# ---- which standings ------------------------------------------------------------------------------------------


def select(
    registry: Registry,
    store: Store,
    *,
    as_of: dt.date,
    targets: Sequence[str] = (),
    regions: Sequence[str] = (),
    plan: str | None = None,
) -> list[Standing]:
    """The standings a pack covers: each target in its own jurisdiction (the overview's cards), or, for each of
    ``regions``, every target as it stands there (the region page); narrowed to ``targets`` and ``plan``."""
    if regions:
        found = [s for code in regions for s in in_region(registry, store, code, as_of)]
    else:
        found = overview(registry, store, Filters(as_of=as_of, order="plan"))
    return [
        s
        for s in found
        if (not targets or s.target.id in targets) and (plan is None or s.target.plan == plan)
    ]


# ---- planning and drawing ------------------------------------------------------------------------------------


def plan_images(
    registry: Registry, store: Store, chosen: Iterable[Standing], options: PackOptions
) -> list[Image]:
    """The images for ``chosen``, in order: per standing its trend and gauge, and the comparison of the regions
    under it where more than one of them has data."""
    images: list[Image] = []
    for standing in chosen:
        revised = revised_periods(store, standing) if {"trend", "gauge"} & set(options.kinds) else frozenset()
        for kind in options.kinds:
            figure = _figure(registry, store, standing, kind, options, revised)
            if figure is not None:
                images.append(Image(image_name(standing, kind), kind, standing, figure))
    return images


def image_name(standing: Standing, kind: Kind) -> str:
    return f"{standing.target.id}__{standing.region}__{kind}.png"


def _figure(
    registry: Registry,
    store: Store,
    standing: Standing,
    kind: Kind,
    options: PackOptions,
    revised: frozenset[str],
) -> go.Figure | None:
    target, region, result = standing.target, standing.region, standing.result
    lang, preset, as_of = options.lang, options.preset, options.as_of
    if kind == "regions":
        below = sub_regions(registry, store, target, region, as_of)
        if not below:
            return None  # nothing under it (one region is drawn, as the region page draws it)
        revised_pairs = frozenset((s.region, p) for s in below for p in revised_periods(store, s))
        return paper.regions_for_paper(
            registry,
            target,
            below,
            region=region,
            as_of=as_of,
            lang=lang,
            preset=preset,
            revised=revised_pairs,
        )
    draw = paper.trend_for_paper if kind == "trend" else paper.gauge_for_paper
    return draw(
        registry,
        target,
        list(standing.series),
        result,
        region=region,
        as_of=as_of,
        lang=lang,
        preset=preset,
        revised=revised,
    )


def revised_periods(store: Store, standing: Standing) -> frozenset[str]:
    """The periods whose value replaced an earlier one (stored more than once), for the "revised" mark."""
    counts = Counter(
        s.observation.period.text for s in store.history_for(standing.target.indicator, standing.region)
    )
    return frozenset(period for period, n in counts.items() if n > 1)


def render(images: Sequence[Image], options: PackOptions, progress: Progress | None = None) -> list[bytes]:
    """Every image as PNG bytes, drawn by the process's renderer: in one go, or ``PROGRESS_EVERY`` at a time with
    ``progress(drawn, of)`` told after each."""
    from reports.export import exporter

    width, height = paper.PRESETS[options.preset]
    jobs = [(image.figure, width, height, options.scale) for image in images]
    if progress is None:
        return exporter.pngs(jobs)
    drawn: list[bytes] = []
    progress(0, len(jobs))
    for start in range(0, len(jobs), PROGRESS_EVERY):
        drawn += exporter.pngs(jobs[start : start + PROGRESS_EVERY])
        progress(len(drawn), len(jobs))
    return drawn


def build(registry: Registry, store: Store, chosen: Iterable[Standing], options: PackOptions) -> Pack:
    """The pack of ``chosen``: planned, drawn, described."""
    return finish(registry, store, plan_images(registry, store, chosen, options), options)


def finish(
    registry: Registry,
    store: Store,
    images: list[Image],
    options: PackOptions,
    progress: Progress | None = None,
) -> Pack:
    """Planned ``images`` drawn (telling ``progress`` as they are, when given) and described."""
    batches = {b.id: b.file_name for b in store.batches()}
    rows = [manifest_row(registry, store, image, options, batches) for image in images]
    return Pack(options, images, render(images, options, progress), rows, registry)


# ---- what each image says ------------------------------------------------------------------------------------


def manifest_row(
    registry: Registry, store: Store, image: Image, options: PackOptions, batches: dict[int, str]
) -> dict[str, str]:
    """One row of manifest.csv; every figure is the one ``qtm status --json`` gives for the standing."""
    standing, result = image.standing, image.standing.result
    latest = result.latest
    synthetic, provisional = standing.synthetic, "provisional" in standing.latest_flags
    return {
        "file": image.file,
        "target": standing.target.id,
        "region": standing.region,
        "kind": image.kind,
        "as_of": options.as_of.isoformat(),
        "status": result.status,
        "status_label": " ".join(STATUS_LABELS.get(result.status, (result.status, result.status))),
        "latest_value": "" if latest is None else repr(latest.value),
        "latest_period": "" if latest is None else latest.period,
        "target_value": "" if result.target_value is None else repr(result.target_value),
        "unit": registry.indicators[standing.target.indicator].unit,
        "source": data_source(store, standing, batches),
        "statement_zh": statement(registry, result, "zh", synthetic=synthetic, provisional=provisional),
        "statement_en": statement(registry, result, "en", synthetic=synthetic, provisional=provisional),
    }


def data_source(store: Store, standing: Standing, batches: dict[int, str]) -> str:
    """Where the latest value comes from: the source its return names, else the file of the batch that stored
    it; empty without a value."""
    latest = standing.result.latest
    if latest is None:
        return ""
    if standing.latest_source:
        return source_text(standing.latest_source)
    current = [
        s for s in store.history_for(standing.target.indicator, standing.region) if s.superseded_by is None
    ]
    stored = [s for s in current if s.observation.period.text == latest.period] or [
        s
        for s in current
        if str(s.observation.period.year) == latest.period  # a year combined from its parts
    ]
    files = sorted({batches.get(s.batch_id, "") for s in stored} - {""})
    return "；".join(files)


def manifest_csv(rows: Sequence[dict[str, str]]) -> bytes:
    """The manifest as UTF-8 CSV with a byte-order mark (Excel opens it as UTF-8); text a spreadsheet would run as
    a formula is neutralised, numbers are left as numbers."""
    from qtm.escaping import spreadsheet_safe

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=MANIFEST_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: spreadsheet_safe(v) for k, v in row.items()})
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def read_manifest(data: bytes) -> list[dict[str, str]]:
    """manifest.csv back into rows (for tests and for people checking a pack)."""
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


# ---- writing -------------------------------------------------------------------------------------------------


#: A4, with the margins of a Chinese official document (GB/T 9704-2012: 天头 37 mm, 订口 28 mm; bottom and right
#: as the standard's 156 × 225 mm text block leaves them).
PAGE_MM = {"width": 210, "height": 297, "top": 37, "bottom": 35, "left": 28, "right": 26}
#: The East-Asian fonts of an official document (仿宋 body, 黑体 headings), each with the font that stands in for it
#: where it is not installed (the Noto CJK fonts of most Linux machines), written to the document's font table.
BODY_FONT, HEADING_FONT = "仿宋", "黑体"
FONT_FALLBACKS = {BODY_FONT: "Noto Serif CJK SC", HEADING_FONT: "Noto Sans CJK SC"}
#: The Latin names of the same fonts, for the letters and digits of a run.
LATIN_FONTS = {BODY_FONT: "FangSong", HEADING_FONT: "SimHei"}


def report_docx(pack: Pack) -> bytes:
    """A Word document to paste from, laid out as an official document: a title page naming the plans, regions,
    as-of date and source; then per target and region a heading that names the plan, its images and statement."""
    from docx import Document
    from docx.enum.text import WD_BREAK
    from docx.shared import Mm

    lang = pack.options.lang
    document = Document()
    _official_layout(document)
    _title_page(document, pack)
    document.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)
    text_width = Mm(PAGE_MM["width"] - PAGE_MM["left"] - PAGE_MM["right"])
    for standing, images in _by_standing(pack):
        document.add_heading(_heading(pack.registry, standing, lang), level=1)
        for png in images:
            document.add_picture(io.BytesIO(png), width=text_width)
        provisional = "provisional" in standing.latest_flags
        words = statement(
            pack.registry, standing.result, lang, synthetic=standing.synthetic, provisional=provisional
        )
        document.add_paragraph(words)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _official_layout(document: DocxDocument) -> None:
    """A4 and GB/T 9704 margins on every section; 仿宋 for the body, 黑体 for the title and headings."""
    from docx.shared import Mm, Pt, RGBColor

    for section in document.sections:
        section.page_width, section.page_height = Mm(PAGE_MM["width"]), Mm(PAGE_MM["height"])
        section.top_margin, section.bottom_margin = Mm(PAGE_MM["top"]), Mm(PAGE_MM["bottom"])
        section.left_margin, section.right_margin = Mm(PAGE_MM["left"]), Mm(PAGE_MM["right"])
    styles = document.styles
    _set_font(styles["Normal"].element, BODY_FONT)
    styles["Normal"].font.size = Pt(16)  # 三号
    for name, size in (("Title", 22), ("Heading 1", 16), ("Heading 2", 16)):
        style = styles[name]
        _set_font(style.element, HEADING_FONT)
        style.font.size, style.font.bold = Pt(size), False
        style.font.color.rgb = RGBColor(0, 0, 0)
    _add_fallback_fonts(document)


def _set_font(style: BaseOxmlElement, font: str) -> None:
    """The style's fonts: ``font`` for East-Asian text (w:eastAsia), its Latin name for the rest; the theme fonts
    the default template sets (which would win over named ones) removed."""
    from docx.oxml.ns import qn

    rpr = style.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for attribute in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        fonts.attrib.pop(qn(f"w:{attribute}"), None)
    fonts.set(qn("w:eastAsia"), font)
    for attribute in ("ascii", "hAnsi", "cs"):
        fonts.set(qn(f"w:{attribute}"), LATIN_FONTS[font])


def _add_fallback_fonts(document: DocxDocument) -> None:
    """Name 仿宋 and 黑体 in the font table with their Latin names and the font to use where they are missing
    (w:altName), so that a machine without them shows a CJK serif or sans, not a box."""
    from docx.oxml.ns import qn
    from lxml import etree

    part = next(p for p in document.part.package.iter_parts() if str(p.partname) == "/word/fontTable.xml")
    table = etree.fromstring(part.blob)
    for font, fallback in FONT_FALLBACKS.items():
        entry = etree.SubElement(table, qn("w:font"), {qn("w:name"): font})
        etree.SubElement(entry, qn("w:altName"), {qn("w:val"): f"{LATIN_FONTS[font]},{fallback}"})
        etree.SubElement(entry, qn("w:charset"), {qn("w:val"): "86"})  # GB2312
        family = "roman" if font == BODY_FONT else "modern"
        etree.SubElement(entry, qn("w:family"), {qn("w:val"): family})
    part._blob = etree.tostring(table, xml_declaration=True, encoding="UTF-8", standalone=True)


def _title_page(document: DocxDocument, pack: Pack) -> None:
    """The title, then one line each for the plans, the regions, the as-of date and the source of the data."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    zh = pack.options.lang == "zh"
    title = document.add_heading(
        "质量目标进展情况报告" if zh else "Progress towards quality targets", level=0
    )
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for label, value in title_lines(pack):
        document.add_paragraph(f"{label}：{value}" if zh else f"{label}: {value}")


def title_lines(pack: Pack) -> list[tuple[str, str]]:
    """What the title page says, label and text: the plans (title, issuer, number), the regions, the date the data
    are judged on and where the data come from."""
    zh = pack.options.lang == "zh"
    standings = [standing for standing, _ in _by_standing(pack)]
    plans = [pack.registry.plans[p] for p in dict.fromkeys(s.target.plan for s in standings)]
    regions = [pack.registry.regions.get(r) for r in dict.fromkeys(s.region for s in standings)]
    sources = sorted({row["source"] for row in pack.manifest} - {""})
    as_of = pack.options.as_of
    if zh:
        return [
            ("规划", "；".join(_plan_citation(plan, "zh") for plan in plans)),
            ("地区", "、".join(region.name_zh for region in regions)),
            ("数据截至", f"{as_of.year}年{as_of.month}月{as_of.day}日"),
            ("数据来源", "；".join(sources) if sources else "暂无报送数据"),
        ]
    return [
        ("Plans", "; ".join(_plan_citation(plan, "en") for plan in plans)),
        ("Regions", ", ".join(region.name_en for region in regions)),
        ("Data as of", as_of.isoformat()),
        ("Source of the data", "; ".join(sources) if sources else "no data reported yet"),
    ]


def _plan_citation(plan: Plan, lang: Lang) -> str:
    """《title》（issuer，number） · title (issuer, number), leaving out what the registry does not know."""
    if lang == "zh":
        by = "，".join(part for part in (plan.issuer, plan.number) if part)
        return f"《{plan.title.zh}》" + (f"（{by}）" if by else "")
    by = ", ".join(part for part in (plan.issuer, plan.number) if part)
    return plan.title.en + (f" ({by})" if by else "")


def _by_standing(pack: Pack) -> list[tuple[Standing, list[bytes]]]:
    grouped: dict[tuple[str, str], tuple[Standing, list[bytes]]] = {}
    for image, png in zip(pack.images, pack.pngs, strict=True):
        key = (image.standing.target.id, image.standing.region)
        grouped.setdefault(key, (image.standing, []))[1].append(png)
    return list(grouped.values())


def _heading(registry: Registry, standing: Standing, lang: Lang) -> str:
    """Region, indicator and the plan that sets the target, so that two plans' targets for the same indicator
    never read the same: 甘肃省 · 制造业产品质量合格率（《…实施方案》2025年目标）."""
    region = registry.regions.get(standing.region)
    name = registry.indicators[standing.target.indicator].name
    plan = registry.plans[standing.target.plan].title
    year = standing.target.deadline.year
    if lang == "zh":
        return f"{region.name_zh} · {name.zh}（《{plan.zh}》{year}年目标）"
    return f"{region.name_en} · {name.en} ({plan.en}: target for {year})"


def write(pack: Pack, destination: Path) -> list[Path]:
    """Write the pack into the folder ``destination``, or as a zip where it ends in .zip; the paths written."""
    if destination.suffix.lower() == ".zip":
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(zip_bytes(pack))
        return [destination]
    destination.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in pack.files().items():
        path = destination / name
        path.write_bytes(data)
        written.append(path)
    return written


def zip_bytes(pack: Pack) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in pack.files().items():
            # PNGs are compressed already: stored as they are, they cost no time to zip.
            method = zipfile.ZIP_STORED if name.endswith(".png") else zipfile.ZIP_DEFLATED
            archive.writestr(name, data, compress_type=method)
    return out.getvalue()
