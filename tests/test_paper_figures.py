"""Charts that stand alone on paper (reports.paper): every text a report needs is in the figure, footnotes only
where they apply, "no data yet" is a labelled figure and never an empty axis; and the PNGs look as they did.

The reference images in tests/reference_images/ are drawn from FIXED observations made here (not the demo data,
which may change) and the real registry. After an intended change, rewrite them with
``QTM_UPDATE_REFERENCE_IMAGES=1 .venv/bin/pytest tests/test_paper_figures.py`` and look at every one.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import pytest

from qtm import PROJECT_ROOT
from qtm.formatting import STATUS_LABELS, target_text
from qtm.observations import Observation
from qtm.periods import Period
from qtm.progress import STATUS_ORDER, judge
from qtm.registry import Registry
from qtm.standings import Standing
from reports.paper import PAD, PRESETS, gauge_for_paper, regions_for_paper, text_width, trend_for_paper

REFERENCES = Path(__file__).parent / "reference_images"
UPDATE = os.environ.get("QTM_UPDATE_REFERENCE_IMAGES") == "1"

GANSU_TARGET, NATIONAL_TARGET = "gansu_manufacturing_pass_rate_2025", "national_manufacturing_pass_rate_2025"
PASS_RATE = "manufacturing_pass_rate"


def observation(
    region: str, period: str, value: float, *flags: str, source: str | None = None, indicator: str = PASS_RATE
) -> Observation:
    return Observation(indicator, region, Period.parse(period), value, flags=frozenset(flags), source=source)


def texts(figure: go.Figure, name: str | None = None) -> str:
    """The title and the annotations' texts (only the annotations called ``name`` when given), one string."""
    notes = [a.text for a in figure.layout.annotations if name is None or a.name == name]
    title = [figure.layout.title.text] if name is None else []
    return "\n".join(str(x) for x in [*title, *notes])


# ---- fixed data ---------------------------------------------------------------------------------------------------

GANSU_SOURCE = "甘肃省市场监管局《{}年甘肃省质量状况公报》"


def gansu_series() -> list[Observation]:
    """Gansu, province level: four annual values (2023 revised, 2024 provisional) and two quarters of 2025."""
    return [
        observation("620000", "2021", 92.10, source=GANSU_SOURCE.format(2021)),
        observation("620000", "2022", 92.45, source=GANSU_SOURCE.format(2022)),
        observation("620000", "2023", 92.90, "revised", source=GANSU_SOURCE.format(2023) + "（修订）"),
        observation("620000", "2024", 93.30, "provisional", source="甘肃省统计局 2024年初步统计"),
        observation("620000", "2025Q1", 93.42, "provisional", source="甘肃省统计局 2025年季度快报"),
        observation("620000", "2025Q2", 93.55, "provisional", source="甘肃省统计局 2025年季度快报"),
    ]


def national_series() -> list[Observation]:
    """National values with no source named, up to 2024: after the 2025 deadline the verdict awaits 2025."""
    return [
        observation("100000", year, value)
        for year, value in (("2021", 93.05), ("2022", 93.29), ("2023", 93.65), ("2024", 93.93))
    ]


#: Five prefectures of Gansu: (code, 2022, 2023, 2024, flags of the 2024 value).
PREFECTURES = (
    ("620100", 93.10, 93.55, 94.02, ()),
    ("620200", 92.80, 93.00, 93.30, ("provisional",)),
    ("620300", 93.20, 93.10, 92.95, ()),
    ("620400", 92.00, 92.40, 92.70, ()),
    ("620500", 91.80, 92.60, 93.45, ("synthetic",)),
)


def prefecture_standings(registry: Registry, as_of: dt.date) -> list[Standing]:
    target = registry.targets[GANSU_TARGET]
    indicator = registry.indicators[target.indicator]
    found = []
    for code, v22, v23, v24, flags in PREFECTURES:
        marks = ("synthetic",) if "synthetic" in flags else ()
        series = [
            observation(code, "2022", v22, *marks, source="各市州市场监管局报送"),
            observation(code, "2023", v23, *marks, source="各市州市场监管局报送"),
            observation(code, "2024", v24, *flags, source="各市州市场监管局报送"),
        ]
        found.append(Standing(target, code, judge(target, indicator, code, series, as_of), tuple(series)))
    return sorted(
        found,
        key=lambda s: (STATUS_ORDER.index(s.status), -(s.result.latest.value if s.result.latest else 0)),
    )


GANSU_AS_OF, NATIONAL_AS_OF = dt.date(2025, 9, 30), dt.date(2026, 3, 31)


def trend(registry: Registry, lang: str, **changes: Any) -> go.Figure:
    target = registry.targets[GANSU_TARGET]
    series = changes.pop("series", gansu_series())
    revised = changes.pop("revised", frozenset({"2023"}))
    result = judge(target, registry.indicators[target.indicator], "620000", series, GANSU_AS_OF)
    return trend_for_paper(
        registry,
        target,
        series,
        result,
        region="620000",
        as_of=GANSU_AS_OF,
        lang=lang,  # type: ignore[arg-type]
        revised=revised,
        **changes,
    )


def gauge(registry: Registry, lang: str, **changes: Any) -> go.Figure:
    target = registry.targets[NATIONAL_TARGET]
    series = changes.pop("series", national_series())
    result = judge(target, registry.indicators[target.indicator], "100000", series, NATIONAL_AS_OF)
    return gauge_for_paper(
        registry,
        target,
        series,
        result,
        region="100000",
        as_of=NATIONAL_AS_OF,
        lang=lang,  # type: ignore[arg-type]
        **changes,
    )


def regions(registry: Registry, lang: str, **changes: Any) -> go.Figure:
    as_of = dt.date(2025, 6, 30)
    return regions_for_paper(
        registry,
        registry.targets[GANSU_TARGET],
        changes.pop("standings", prefecture_standings(registry, as_of)),
        region="620000",
        as_of=as_of,
        lang=lang,  # type: ignore[arg-type]
        **changes,
    )


BUILDERS = {"trend": trend, "gauge": gauge, "regions": regions}


# ---- what the figures say (no browser) ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(registry: Registry, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The demo's synthetic Gansu returns, loaded through the ordinary ingest path, judged on 2025-06-30."""
    from loaders.ingest import ingest_file
    from qtm.standings import standing_of, sub_regions
    from qtm.store import Store

    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('paper') / 'qtm.sqlite'}")
    ingest_file(PROJECT_ROOT / "data" / "demo" / "gansu_synthetic.csv", registry, store, uploaded_by="test")
    as_of = dt.date(2025, 6, 30)
    target = registry.targets[GANSU_TARGET]
    own = standing_of(registry, store, target, "620000", as_of)
    yield {"own": own, "as_of": as_of, "regions": sub_regions(registry, store, target, "620000", as_of)}
    store.engine.dispose()


def demo_figures(registry: Registry, demo: dict[str, Any], lang: str) -> dict[str, go.Figure]:
    own, as_of = demo["own"], demo["as_of"]
    target = own.target
    common: dict[str, Any] = {"region": "620000", "as_of": as_of, "lang": lang}
    return {
        "trend": trend_for_paper(registry, target, own.series, own.result, **common),
        "gauge": gauge_for_paper(registry, target, own.series, own.result, **common),
        "regions": regions_for_paper(registry, target, demo["regions"], **common),
    }


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_demo_target_says_what_where_which_clause_when_how_and_that_it_is_invented(registry, demo, lang):
    own = demo["own"]
    target = own.target
    plan = registry.plans[target.plan]
    zh = lang == "zh"
    for kind, figure in demo_figures(registry, demo, lang).items():
        title = figure.layout.title.text
        assert (
            registry.indicators[PASS_RATE].name.zh if zh else "Manufacturing product quality pass rate"
        ) in title
        assert ("甘肃省" if zh else "Gansu") in title
        subtitle = texts(figure, "paper:subtitle")
        assert target.clause in subtitle and (plan.title.zh if zh else plan.title.en)[:20] in subtitle, kind
        footer = texts(figure, "paper:footer")
        assert ("数据截至 2025-06-30" if zh else "Data as of 2025-06-30") in footer, kind
        assert ("演示用合成数据" if zh else "synthetic demonstration data") in footer, kind  # their source
        status = texts(figure, "paper:status")
        assert STATUS_LABELS[own.status][0 if zh else 1] in status or kind == "regions", kind
        assert target_text(registry, target, lang).replace(">", "&gt;") in status, kind
        notes = texts(figure, "paper:footnotes")
        assert ("演示数据，非官方统计" if zh else "demonstration data, not official statistics") in notes, (
            kind
        )
        assert ("初步数" if zh else "provisional") not in notes, kind  # the demo has no provisional value
        assert ("修订" if zh else "revised") not in notes, kind


def test_every_region_compared_carries_its_status_in_words(registry, demo):
    figure = demo_figures(registry, demo, "zh")["regions"]
    bars = figure.data[0]
    assert len(bars.y) == len(demo["regions"]) > 0
    for standing, label in zip(reversed(demo["regions"]), bars.text, strict=True):
        assert STATUS_LABELS[standing.status][0] in label
    counts = texts(figure, "paper:status")
    for status in {s.status for s in demo["regions"]}:
        assert STATUS_LABELS[status][0] in counts


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_provisional_and_revised_footnotes_only_where_such_a_value_is_shown(registry, lang):
    provisional, revised = ("初步数", "修订") if lang == "zh" else ("provisional", "revised")
    flagged = texts(trend(registry, lang), "paper:footnotes")
    assert provisional in flagged and revised in flagged
    assert "演示数据" not in flagged and "demonstration" not in flagged  # nothing here is synthetic

    plain = [o._replace(flags=frozenset()) for o in gansu_series()]
    clean = texts(trend(registry, lang, series=plain, revised=frozenset()), "paper:footnotes")
    assert provisional not in clean and revised not in clean

    # The gauge shows only the latest value: its footnote follows that value's flags, not the older ones'.
    latest_final = [*plain[:3], gansu_series()[3]._replace(flags=frozenset())]
    latest_provisional = [*plain[:3], gansu_series()[3]]
    target = registry.targets[GANSU_TARGET]
    indicator = registry.indicators[target.indicator]
    for series, shown in ((latest_final, False), (latest_provisional, True)):
        result = judge(target, indicator, "620000", series, GANSU_AS_OF)
        figure = gauge_for_paper(
            registry, target, series, result, region="620000", as_of=GANSU_AS_OF, lang=lang
        )
        assert (provisional in texts(figure, "paper:footnotes")) is shown
        assert (provisional in texts(figure, "paper:status")) is shown


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_reading_of_about_is_a_footnote_only_where_the_verdict_rests_on_it(registry, lang):
    """上海：到2025年培育10000家左右“专精特新”企业. 9,500 counts as reached only by qtm's ±10 % reading: the paper says
    so beneath the chart; 12,600 passes 10,000 itself and needs no such word; the target is printed as the plan's."""
    target = registry.targets["shanghai_specialised_sme_count_2025"]
    indicator = registry.indicators[target.indicator]
    as_of = dt.date(2026, 6, 30)
    reading = "本系统的解读" if lang == "zh" else "qtm reads"
    for value, rests_on_it in ((9500.0, True), (12600.0, False)):
        series = [
            observation("310000", "2022", 8000.0, indicator=target.indicator),
            observation("310000", "2025", value, indicator=target.indicator),
        ]
        result = judge(target, indicator, "310000", series, as_of)
        for draw in (trend_for_paper, gauge_for_paper):
            figure = draw(registry, target, series, result, region="310000", as_of=as_of, lang=lang)
            assert (reading in texts(figure, "paper:band")) is rests_on_it, (draw.__name__, value)
            status = texts(figure, "paper:status")
            assert ("10,000家左右" if lang == "zh" else "about 10,000") in status
            assert "±" not in status


def test_sources_are_the_values_own_latest_first_else_the_plan(registry):
    footer = texts(trend(registry, "zh"), "paper:footer")
    assert footer.index("2025年季度快报") < footer.index("2024年初步统计")
    assert footer.count("2025年季度快报") == 1  # two values, one source: named once
    national = texts(gauge(registry, "zh"), "paper:footer")
    assert "数值未注明来源" in national and registry.plans["quality_power_outline_2023"].title.zh in national


def test_a_latest_value_that_names_no_source_is_not_credited_to_the_others(registry):
    series = [
        *gansu_series()[:4],
        observation("620000", "2025Q1", 93.6),
    ]  # an official's upload, no source named
    footer = texts(trend(registry, "zh", series=series), "paper:footer")
    assert footer.index("部分数值未注明来源") < footer.index("2024年初步统计")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_after_the_deadline_the_status_carries_the_outlook(registry, lang):
    status = texts(gauge(registry, lang), "paper:status")
    assert ("待数据" if lang == "zh" else "Awaiting data") in status
    assert (
        "展望：待2025年数据；按2024年数据" if lang == "zh" else "Outlook: awaiting 2025 data; on 2024 data"
    ) in status


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("kind", ["trend", "gauge", "regions"])
def test_no_data_is_a_labelled_figure_with_its_target_never_an_empty_axis(registry, kind, lang):
    figure = (
        BUILDERS[kind](registry, lang, series=[])
        if kind != "regions"
        else regions(registry, lang, standings=[])
    )
    label = texts(figure, "paper:no-data")
    assert ("暂无数据" if lang == "zh" else "No data yet") in label
    assert (
        target_text(
            registry, registry.targets[GANSU_TARGET if kind != "gauge" else NATIONAL_TARGET], lang
        ).replace(">", "&gt;")
        in label
    )
    assert ("上报" if lang == "zh" else "Upload") in label
    if kind == "gauge":
        (indicator,) = figure.data
        low, high = indicator.gauge.axis.range
        assert low < high and indicator.gauge.threshold.value is not None  # the target line on a real scale
    else:
        for axis in (figure.layout.xaxis, figure.layout.yaxis):
            if axis.visible is False:
                continue
            assert axis.range is not None and axis.range[0] != axis.range[1], f"{kind}: an axis with no range"
        assert figure.layout.shapes, "the target line (or deadline) is drawn"


def test_each_preset_sets_the_size_and_margins_that_keep_every_text_inside(registry):
    for preset, (width, height) in PRESETS.items():
        for kind, build in BUILDERS.items():
            figure = build(registry, "zh", preset=preset)
            layout = figure.layout
            assert (layout.width, layout.height) == (width, height)
            margin = layout.margin
            assert margin.t + margin.b < height * 0.5 and margin.l + margin.r < width * 0.5, (preset, kind)
            for note in layout.annotations:
                if str(note.name).startswith("paper:") and note.name != "paper:no-data":
                    for line in str(note.text).split("<br>"):
                        plain = line.replace("<b>", "").replace("</b>", "")
                        plain = plain.split("</span> ")[-1]  # the status colour's square
                        assert text_width(plain, note.font.size) <= width - 2 * PAD + 1, (preset, kind, line)


def test_an_unknown_preset_is_refused(registry):
    with pytest.raises(ValueError, match="unknown preset"):
        trend(registry, "zh", preset="poster")


# ---- reference images (kaleido and the system Chromium) -----------------------------------------------------------

#: Two checks, both in 0–255 levels of difference per channel. The same figure rendered twice by the same kaleido and
#: Chromium is identical (0.000 both ways), so these tolerances only absorb anti-aliasing and hinting differences of
#: another Chromium or FreeType build, which move glyph edges by a fraction of a pixel. Measured on these images
#: (trend / gauge / regions, Chinese), real changes cost:
#:   CJK font missing (every glyph a box)     mean 2.8 / 2.8 / 2.9    worst 16-px tile 191 / 191 / 191
#:   plot moved by 2 px                       mean 2.1 / 1.1 / 1.4    tile  57 /  63 /  61
#:   footer line (as-of, source) dropped      mean 0.76 / 0.37 / 0.20 tile  54 /  54 /  64
#:   footnotes dropped                        mean 0.22 / — / 0.26    tile  54 /  — /  42
#:   one status word changed                  mean 0.65 / 0.07 / 0.23 tile 116 /  82 /  76
#: The whole-image mean catches what moves or changes everywhere (0.5 is under every global change above); a local
#: change (a word, a cut line) hardly moves the mean over a million pixels, so the worst 16 × 16 tile must stay
#: under 24, about half the smallest local change measured.
MEAN_TOLERANCE = 0.5
TILE, TILE_TOLERANCE = 16, 24.0


def compare(actual: bytes, reference: Path) -> tuple[tuple[int, int], tuple[int, int], float, float]:
    from PIL import Image, ImageChops, ImageStat

    got = Image.open(io.BytesIO(actual)).convert("RGB")
    want = Image.open(reference).convert("RGB")
    if got.size != want.size:
        return got.size, want.size, float("inf"), float("inf")
    diff = ImageChops.difference(got, want)
    mean = sum(ImageStat.Stat(diff).mean) / 3
    tiles = diff.convert("L").reduce(TILE)
    _, worst = tiles.getextrema()  # one band: (min, max)
    assert isinstance(worst, int | float)
    return got.size, want.size, mean, float(worst)


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("kind", ["trend", "gauge", "regions"])
def test_the_png_looks_as_it_did(registry, kind, lang, tmp_path):
    from reports.export import exporter

    preset = {"trend": "slide", "gauge": "half-a4", "regions": "square"}[kind]
    width, height = PRESETS[preset]
    png = exporter.png(BUILDERS[kind](registry, lang, preset=preset), width=width, height=height, scale=1)
    reference = REFERENCES / f"paper-{kind}-{lang}-{preset}.png"
    if UPDATE or not reference.exists():
        REFERENCES.mkdir(exist_ok=True)
        reference.write_bytes(png)
        if not UPDATE:
            pytest.fail(f"no reference image: wrote {reference}; look at it, then run again")
        return
    got, want, mean, worst = compare(png, reference)
    actual = tmp_path / reference.name
    actual.write_bytes(png)
    assert got == want, f"size {got}, reference {want} (this run's image: {actual})"
    assert mean < MEAN_TOLERANCE and worst < TILE_TOLERANCE, (
        f"{reference.name}: mean difference {mean:.3f} (tolerance {MEAN_TOLERANCE}), worst {TILE}-px tile "
        f"{worst:.1f} (tolerance {TILE_TOLERANCE}); this run's image: {actual}; if the change is intended, "
        "rerun with QTM_UPDATE_REFERENCE_IMAGES=1 and look at the new images"
    )
