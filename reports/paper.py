"""Charts that stand alone on paper: the dashboard's figures (built by :mod:`reports.figures`, not redrawn here)
dressed for a printed report at a fixed pixel size.

Each figure carries everything a reader of the report needs without the dashboard: the title (indicator and
region), the plan and its clause, the status in words (never colour alone) with the outlook once the deadline has
passed, the target, the date the data run to, their sources and footnotes for provisional, revised and synthetic
(invented demonstration) values — only those that apply. A target without data gives a labelled "no data yet"
figure with its target and what to upload, never an empty axis.

Pure functions: no store, no request, no I/O. Render with ``exporter.png(figure, width=w, height=h, scale=...)``
where ``(w, h) = PRESETS[preset]``: margins and text positions are computed in pixels for that size (the figure's
layout carries it too), so another size may crop or crowd the text.
"""

from __future__ import annotations

import datetime as dt
import html
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import plotly.graph_objects as go

from qtm.formatting import (
    STATUS_LABELS,
    clause_line,
    outlook_text,
    source_text,
    target_text,
    value_text,
)
from qtm.i18n import Lang, pair, t
from qtm.observations import Observation
from qtm.progress import STATUS_ORDER, Components, Result
from qtm.registry import Indicator, Registry, Target
from qtm.standings import Standing
from reports.figures import (
    MUTED,
    STATUS_COLOURS,
    TARGET_COLOUR,
    _empty_range,
    gauge_figure,
    ranked_regions_figure,
    trend_figure,
)

Preset = Literal["slide", "half-a4", "square"]
#: Pixels at scale 1: a 16:9 slide; half an A4 page in landscape (√2:1, 1240 px is A4's short side at 150 dpi);
#: a square for a two-column report. Export at scale 2 for print.
PRESETS: dict[str, tuple[int, int]] = {"slide": (1600, 900), "half-a4": (1240, 877), "square": (1080, 1080)}

SYNTHETIC_MARK = "◆"
TEXT, SOFT = "#1f2933", "#3e4c59"
PAD = 32  # pixels between the image's edge and any text

# Font sizes, pixels at scale 1, and the line height they take.
TITLE, SUBTITLE, STATUS, BODY, FOOTER, NO_DATA = 28, 17, 18, 15, 14, 34
LINE = 1.4

#: Where the annotations of a paper figure are found (their ``name``): tests and later tooling rely on it.
NAMES = (
    "paper:subtitle",
    "paper:status",
    "paper:footer",
    "paper:footnotes",
    "paper:band",
    "paper:no-data",
    "paper:threshold",
)


# ---- text measure ---------------------------------------------------------------------------------------------


def _char_width(char: str, size: float) -> float:
    """A generous estimate of a glyph's advance: a CJK or full-width glyph is one em, the rest about 0.6 em."""
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return size
    return size * (0.3 if char == " " else 0.62)


def text_width(text: str, size: float) -> float:
    return sum(_char_width(c, size) for c in text)


def wrap(text: str, width: float, size: float) -> list[str]:
    """Lines of ``text`` no wider than ``width`` pixels: broken at spaces, anywhere in CJK text, and inside a
    word only when it is longer than a line (a long address)."""
    lines: list[str] = []
    line = ""
    for token in _tokens(text):
        if text_width(line + token, size) <= width or not line.strip() or token in _NO_LINE_START:
            line += token
        else:
            lines.append(line.rstrip())
            line = token.lstrip()
        while text_width(line, size) > width and len(line) > 1:  # one token longer than the line
            cut = len(line)
            while cut > 1 and text_width(line[:cut], size) > width:
                cut -= 1
            lines.append(line[:cut])
            line = line[cut:]
    if line.strip():
        lines.append(line.rstrip())
    return lines or [""]


#: Punctuation a Chinese line never starts with: it stays on the line before, a little past the measure if need be.
_NO_LINE_START = frozenset("，。；：、）》」』”’！？,.;:)")


_NO_LINE_END = frozenset("（《「『“‘(")


def _tokens(text: str) -> Iterable[str]:
    """Words with their following space, and every CJK glyph on its own (a line may break before any of them);
    an opening bracket or quotation mark goes with what follows it."""
    word = ""
    opening = ""
    for char in text:
        if char in _NO_LINE_END:
            if word:
                yield word
                word = ""
            opening += char
        elif unicodedata.east_asian_width(char) in ("W", "F"):
            if word:
                yield word
                word = ""
            yield opening + char
            opening = ""
        elif opening:
            word, opening = opening + char, ""
        elif char == " ":
            yield word + char
            word = ""
        else:
            word += char
    if word or opening:
        yield word + opening


def _esc(text: str) -> str:
    """Plain text for plotly's pseudo-HTML (a source may hold < > &)."""
    return html.escape(text, quote=False)


# ---- the frame every paper figure shares ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Block:
    """Lines of text of one size, and the annotation's name."""

    name: str
    lines: list[str]
    size: int
    colour: str = SOFT

    @property
    def height(self) -> float:
        return len(self.lines) * self.size * LINE


@dataclass
class _Frame:
    """The pixel plan of one figure: header blocks above the plot, footer blocks below it."""

    width: int
    height: int
    title: str
    header: list[_Block]
    footer: list[_Block]
    left: int  # the plot's margins that axes need (tick labels, axis titles, a legend)
    right: int
    above: int  # room between the header and the plot (an annotation over the plot)
    below: int  # room between the plot and the footer

    @property
    def top(self) -> int:
        return int(PAD + TITLE * LINE + sum(b.height for b in self.header) + self.above)

    @property
    def bottom(self) -> int:
        return int(PAD + sum(b.height for b in self.footer) + self.below)

    def x(self, pixels_from_left: float) -> float:
        return (pixels_from_left - self.left) / (self.width - self.left - self.right)

    def y(self, pixels_from_top: float) -> float:
        plot = self.height - self.top - self.bottom
        return (self.height - self.bottom - pixels_from_top) / plot

    def apply(self, figure: go.Figure) -> go.Figure:
        for (
            note
        ) in figure.layout.annotations:  # the builders' small labels (deadline, base) are read on paper
            if note.font.size is not None and note.font.size < FOOTER:
                note.font.size = FOOTER
        figure.update_layout(
            width=self.width,
            height=self.height,
            autosize=False,
            title={
                "text": f"<b>{_esc(self.title)}</b>",
                "x": PAD / self.width,
                "xanchor": "left",
                "xref": "container",
                "y": 1 - PAD / self.height,
                "yanchor": "top",
                "yref": "container",
                "font": {"size": TITLE, "color": TEXT},
            },
            margin={
                "l": self.left,
                "r": self.right,
                "t": self.top,
                "b": self.bottom,
                "pad": 0,
                "autoexpand": False,
            },
            paper_bgcolor="white",
            font={"size": BODY},
        )
        position = PAD + TITLE * LINE
        for block in self.header:
            _text(figure, self, block, position)
            position += block.height
        position = self.height - self.bottom + self.below
        for block in self.footer:
            _text(figure, self, block, position)
            position += block.height
        return figure


def _text(figure: go.Figure, frame: _Frame, block: _Block, pixels_from_top: float) -> None:
    figure.add_annotation(
        name=block.name,
        text="<br>".join(block.lines),
        xref="paper",
        yref="paper",
        x=frame.x(PAD),
        y=frame.y(pixels_from_top),
        xanchor="left",
        yanchor="top",
        align="left",
        showarrow=False,
        font={"size": block.size, "color": block.colour},
    )


def _wrapped(name: str, texts: Sequence[str], width: float, size: int, colour: str = SOFT) -> _Block:
    """A block of escaped text, each of ``texts`` wrapped to ``width`` pixels; markup is added after wrapping."""
    lines = [_esc(line) for text in texts for line in wrap(text, width, size)]
    return _Block(name, lines, size, colour)


def _subtitle(registry: Registry, target: Target, lang: Lang, width: float) -> _Block:
    plan = registry.plans[target.plan]
    text = f"{t(lang, plan.title.zh, plan.title.en)} · {clause_line(target.clause, lang)}"
    return _wrapped("paper:subtitle", [text], width, SUBTITLE)


def _status_block(lines: Sequence[tuple[str | None, str]], width: float) -> _Block:
    """Status lines: (status whose colour marks the line with a square, text). The words say the status; the
    square only repeats it in colour."""
    rendered: list[str] = []
    for status, text in lines:
        wrapped = [_esc(line) for line in wrap(text, width - STATUS * 1.2, STATUS)]
        if status is not None:
            square = f'<span style="color:{STATUS_COLOURS.get(status, MUTED)}">■</span> '
            wrapped[0] = square + f"<b>{wrapped[0]}</b>"
        rendered.extend(wrapped)
    return _Block("paper:status", rendered, STATUS, TEXT)


def _status_label(status: str | None, lang: Lang) -> str:
    return pair(lang, STATUS_LABELS[status]) if status in STATUS_LABELS else t(lang, "未评估", "not judged")


def _period_words(period: str, lang: Lang) -> str:
    return f"{period}年" if lang == "zh" and period.isdigit() else period


def _deadline(target: Target, lang: Lang) -> str:
    return t(lang, f"期限 {target.deadline:%Y-%m-%d}", f"deadline {target.deadline:%Y-%m-%d}")


def _sources(
    observations: Sequence[Observation], registry: Registry, target: Target, lang: Lang
) -> tuple[list[str], bool]:
    """The sources the shown values name, latest first, without repeats — values that name none said so in their
    place, so that one source is never read as every value's; else the plan (and False)."""
    named: list[str] = []
    unnamed = t(lang, "部分数值未注明来源", "some values name no source")
    for o in sorted(observations, key=lambda o: o.period.sort_key(), reverse=True):
        source = source_text(o.source.strip(), lang) if o.source and o.source.strip() else unnamed
        if source not in named:
            named.append(source)
    if named != [unnamed] and named:
        return named, True
    plan = registry.plans[target.plan]
    return [
        t(lang, plan.title.zh, plan.title.en) + f"（{plan.issuer}）" if lang == "zh" else plan.title.en
    ], False


def _footer_line(
    as_of: dt.date, sources: list[str], named: bool, lang: Lang, width: float, max_lines: int = 3
) -> _Block:
    """ "数据截至 … · 来源 …": as many sources as fit in ``max_lines`` lines, then how many more there are."""
    head = t(lang, f"数据截至 {as_of:%Y-%m-%d} · 来源：", f"Data as of {as_of:%Y-%m-%d} · Source: ")
    if not named:
        head += t(lang, "数值未注明来源；目标见", "values name no source; target from ")
    separator = t(lang, "；", "; ")
    for shown in range(len(sources), 0, -1):
        more = len(sources) - shown
        tail = (
            t(lang, f"等（另 {more} 项来源略）", f"; and {more} more source{'s' if more > 1 else ''}")
            if more
            else ""
        )
        text = head + separator.join(sources[:shown]) + tail
        if len(wrap(text, width, FOOTER)) <= max_lines or shown == 1:
            lines = wrap(text, width, FOOTER)[:max_lines]
            return _Block("paper:footer", [_esc(line) for line in lines], FOOTER, SOFT)
    raise AssertionError("unreachable")  # pragma: no cover


#: Footnotes, each only where it applies: (mark as drawn, zh, en).
FOOTNOTES: dict[str, tuple[str, str]] = {
    "synthetic": (
        f"{SYNTHETIC_MARK} 演示数据，非官方统计：数值为虚构，仅用于演示",
        f"{SYNTHETIC_MARK} demonstration data, not official statistics: the values are invented",
    ),
    "provisional": ("初步数：可能修订", "provisional: the value may still be revised"),
    "revised": ("修订：数值已被修订，与最初公布的不同", "revised: the value replaces an earlier one"),
    "estimated": ("估计数：非实测", "estimated: not a measured value"),
}
#: How each kind of figure marks a flagged value, put before the footnote's words.
_TREND_MARKS = {
    "provisional": ("○ 空心点为", "○ hollow points: "),
    "revised": ("◎ 带环点为", "◎ ringed points: "),
}
_REGION_MARKS = {
    "provisional": ("(初) ", "(p) "),
    "revised": ("(修) ", "(r) "),
    "estimated": ("(估) ", "(e) "),
}


def _footnotes(flags: Iterable[str], lang: Lang, width: float, marks: dict[str, tuple[str, str]]) -> _Block:
    present = set(flags)
    texts = []
    for flag in ("synthetic", "provisional", "revised", "estimated"):
        if flag in present:
            prefix = t(lang, *marks[flag]) if flag in marks else ""
            texts.append(prefix + t(lang, *FOOTNOTES[flag]))
    return _wrapped("paper:footnotes", texts, width, FOOTER, "#8a5300")


def _band_footnote(
    registry: Registry, target: Target, result: Result | None, lang: Lang, width: float
) -> list[_Block]:
    """Where the verdict rests on qtm's reading of 左右 (the latest value inside the ±band, short of the plan's
    number), a footnote saying so; the target itself is printed in the plan's words."""
    if result is None or result.latest is None or target.comparator != "about" or not target.tolerance:
        return []
    centre, value = result.target_value, result.latest.value
    indicator = registry.indicators[target.indicator]
    if centre is None or centre == 0 or abs(value - centre) > target.tolerance:
        return []
    higher = result.components.direction == "higher"
    if (value >= centre) if higher else (value <= centre):
        return []
    edge = value_text(centre - target.tolerance if higher else centre + target.tolerance, indicator, lang)
    pct = f"{target.tolerance / abs(centre) * 100:.3g}%"
    text = t(
        lang,
        f"注：“左右”按±{pct}理解，{edge}{'及以上' if higher else '及以下'}视为达到，系本系统的解读，非方案原文。",
        f"Note: qtm reads “about” as ±{pct}, so {edge} {'or more' if higher else 'or less'} counts as reaching "
        "it; the plan does not say so.",
    )
    return [_wrapped("paper:band", [text], width, FOOTER, "#8a5300")]


def _no_data(
    figure: go.Figure,
    frame: _Frame,
    registry: Registry,
    target: Target,
    where: str,
    lang: Lang,
    y: float = 0.5,
) -> None:
    """The "no data yet" label, over the middle of the plot: in words, with the target and what to upload for
    ``where`` (a region's name, or "the regions under it")."""
    indicator = registry.indicators[target.indicator]
    name = t(lang, indicator.name.zh, indicator.name.en)
    width = min(frame.width - 2 * PAD, 900)
    explain = t(
        lang,
        f"目标 {target_text(registry, target, lang)}，{_deadline(target, lang)}。请上报{where}“{name}”的年度数值"
        "（Excel 或 CSV 报表；仪表板“数据上报”页可下载本规划的填报模板）。",
        f"Target {target_text(registry, target, lang)}, {_deadline(target, lang)}. Upload a return (Excel or CSV) "
        f'with the annual values of "{name}" for {where}; '
        "the plan's fill-in template is on the dashboard's Upload page.",
    )
    lines = [_esc(line) for line in wrap(explain, width, BODY + 2)]
    figure.add_annotation(
        name="paper:no-data",
        text=f'<b><span style="font-size:{NO_DATA}px">{t(lang, "暂无数据", "No data yet")}</span></b><br>'
        + "<br>".join(lines),
        xref="paper",
        yref="paper",
        x=0.5,
        y=y,
        xanchor="center",
        yanchor="middle",
        align="center",
        showarrow=False,
        font={"size": BODY + 2, "color": TEXT},
        bgcolor="rgba(255,255,255,0.92)",
        bordercolor=MUTED,
        borderwidth=1.5,
        borderpad=14,
    )


def _known(series: Sequence[Observation], as_of: dt.date) -> list[Observation]:
    return [o for o in series if o.period.end <= as_of]


def _latest_parts(series: Sequence[Observation], result: Result | None) -> list[Observation]:
    """The observations behind the latest value (a year combined from quarters takes its parts)."""
    latest = result.latest if result is not None else None
    if latest is None:
        return []
    exact = [o for o in series if o.period.text == latest.period]
    return exact or [o for o in series if str(o.period.year) == latest.period]


def _status_lines(
    registry: Registry, target: Target, result: Result | None, lang: Lang, latest_flags: frozenset[str]
) -> list[tuple[str | None, str]]:
    """ "■ 状态：进展顺利 · 最新值 93.9 %（2024年，初步数） · 目标 ≥ 94.0 %，期限 2025-12-31" and, after the
    deadline while its value is awaited, the outlook on the data so far."""
    indicator = registry.indicators[target.indicator]
    status = result.status if result is not None else None
    parts = [t(lang, "状态：", "Status: ") + _status_label(status, lang)]
    if result is not None and result.latest is not None:
        notes = [_period_words(result.latest.period, lang)]
        notes += [
            t(lang, *_FLAG_WORDS[f]) for f in ("provisional", "revised", "estimated") if f in latest_flags
        ]
        if "synthetic" in latest_flags:
            notes.append(SYNTHETIC_MARK + t(lang, "演示数据", "demonstration data"))
        joined = t(lang, "，", ", ").join(notes)
        parts.append(
            t(lang, "最新值 ", "latest ")
            + value_text(result.latest.value, indicator, lang)
            + t(lang, f"（{joined}）", f" ({joined})")
        )
    else:
        parts.append(t(lang, "暂无数据", "no data yet"))
    parts.append(
        t(lang, "目标 ", "target ")
        + target_text(registry, target, lang)
        + t(lang, "，", ", ")
        + _deadline(target, lang)
    )
    lines: list[tuple[str | None, str]] = [(status or "insufficient_data", " · ".join(parts))]
    outlook = outlook_text(result)
    if outlook is not None:
        lines.append((None, t(lang, "展望：", "Outlook: ") + t(lang, *outlook)))
    return lines


_FLAG_WORDS = {
    "provisional": ("初步数", "provisional"),
    "revised": ("修订数", "revised"),
    "estimated": ("估计数", "estimated"),
}


def _title(
    registry: Registry, target: Target, region: str, lang: Lang, suffix: tuple[str, str] = ("", "")
) -> str:
    indicator = registry.indicators[target.indicator]
    place = registry.regions.get(region)
    return f"{t(lang, indicator.name.zh, indicator.name.en)} · {t(lang, place.name_zh, place.name_en)}{t(lang, *suffix)}"


def _size(preset: str) -> tuple[int, int]:
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}: one of {', '.join(PRESETS)}")
    return PRESETS[preset]


# ---- trend ----------------------------------------------------------------------------------------------------


def trend_for_paper(
    registry: Registry,
    target: Target,
    series: Sequence[Observation],
    result: Result | None,
    *,
    region: str,
    as_of: dt.date,
    lang: Lang,
    preset: str = "slide",
    revised: frozenset[str] = frozenset(),
) -> go.Figure:
    """The trend of ``target`` in ``region`` (values known on ``as_of``, the target line, the deadline, the
    projection) as :func:`reports.figures.trend_figure` draws it, framed for a report. ``revised``: the periods
    whose value replaced an earlier one."""
    width, height = _size(preset)
    indicator = registry.indicators[target.indicator]
    shown = _known(series, as_of)
    place = registry.regions.get(region)
    figure = trend_figure(
        target, indicator, shown, result, t(lang, place.name_zh, place.name_en), lang=lang, revised=revised
    )
    measure = width - 2 * PAD
    flags = _flags_of(shown, revised)
    latest_flags = _flags_of(_latest_parts(shown, result), revised)
    sources, named = _sources(shown, registry, target, lang)
    footer = [_footer_line(as_of, sources, named, lang, measure)]
    if flags & set(FOOTNOTES):
        footer.append(_footnotes(flags, lang, measure, _TREND_MARKS))
    footer += _band_footnote(registry, target, result, lang, measure)
    legend = 0 if not figure.data else 34
    frame = _Frame(
        width=width,
        height=height,
        title=_title(registry, target, region, lang),
        header=[
            _subtitle(registry, target, lang, measure),
            _status_block(_status_lines(registry, target, result, lang, latest_flags), measure),
        ],
        footer=footer,
        left=PAD + 64,
        right=PAD + 16,
        above=34,  # the deadline's label stands on the plot's top edge
        below=72 + legend,  # tick labels, the axis title, the legend
    )
    frame.apply(figure)
    _trend_type(figure, frame)
    if not shown:
        goal = result.target_value if result is not None else target.value
        figure.update_yaxes(range=list(_empty_range(indicator, goal)), autorange=False)
        if goal is None:  # a relative or direction-only target: no number to scale to, so no made-up scale
            figure.update_yaxes(showticklabels=False, showgrid=False, title_text="")
        _no_data(figure, frame, registry, target, t(lang, place.name_zh, place.name_en), lang)
    return figure


def _flags_of(observations: Sequence[Observation], revised: frozenset[str]) -> frozenset[str]:
    """The flags of ``observations``, and ``revised`` when one of them replaced an earlier value."""
    flags = frozenset(f for o in observations for f in o.flags)
    return flags | {"revised"} if any(o.period.text in revised for o in observations) else flags


def _trend_type(figure: go.Figure, frame: _Frame) -> None:
    """The trend's legend in one row under the plot, its axes in the report's body size."""
    figure.update_layout(
        legend={
            "orientation": "h",
            "x": frame.x(PAD),
            "xanchor": "left",
            "y": frame.y(frame.height - frame.bottom + 66),
            "yanchor": "top",
            "font": {"size": BODY},
        },
        xaxis={"title": {"font": {"size": BODY}, "standoff": 8}, "tickfont": {"size": BODY}},
        yaxis={"title": {"font": {"size": BODY}}, "tickfont": {"size": BODY}},
    )


# ---- gauge ----------------------------------------------------------------------------------------------------


def gauge_for_paper(
    registry: Registry,
    target: Target,
    series: Sequence[Observation],
    result: Result | None,
    *,
    region: str,
    as_of: dt.date,
    lang: Lang,
    preset: str = "slide",
    revised: frozenset[str] = frozenset(),
) -> go.Figure:
    """The gauge of ``target`` in ``region`` (the latest value against the target), as
    :func:`reports.figures.gauge_figure` draws it, framed for a report. ``series`` gives the latest value's flags
    and sources; without a result the target is shown as not judged."""
    width, height = _size(preset)
    indicator = registry.indicators[target.indicator]
    shown = _known(series, as_of)
    judged = result if result is not None else _unjudged(target, indicator, region, as_of)
    figure = gauge_figure(target, indicator, judged, lang, height=height)
    figure.layout.annotations = ()  # its small "无数据": the paper's own label replaces it
    has_value = judged.latest is not None
    measure = width - 2 * PAD
    parts = _latest_parts(shown, judged)
    latest_flags = _flags_of(parts, revised)
    sources, named = _sources(parts, registry, target, lang)
    footer = [_footer_line(as_of, sources, named, lang, measure)]
    if latest_flags & set(FOOTNOTES):
        footer.append(_footnotes(latest_flags, lang, measure, {}))
    footer += _band_footnote(registry, target, result, lang, measure)
    frame = _Frame(
        width=width,
        height=height,
        title=_title(registry, target, region, lang),
        header=[
            _subtitle(registry, target, lang, measure),
            _status_block(_status_lines(registry, target, result, lang, latest_flags), measure),
        ],
        footer=footer,
        left=PAD + 40,
        right=PAD + 40,
        above=44,  # the tick labels over the arc
        below=64,  # the tick labels at its ends and the line saying what the red line is
    )
    frame.apply(figure)
    figure.update_traces(
        number={"font": {"size": 56, "color": TEXT}},
        gauge={"axis": {"tickfont": {"size": BODY + 1}}, "threshold": {"line": {"width": 5}}},
    )
    below, middle = _under_the_gauge(
        frame, bullet=target.comparator == "improve" or target.relative is not None
    )
    _say_the_threshold(figure, _threshold_words(registry, target, judged, lang), below)
    if not has_value:
        place = registry.regions.get(region)
        _no_data(figure, frame, registry, target, t(lang, place.name_zh, place.name_en), lang, middle)
    return figure


def _threshold_words(registry: Registry, target: Target, judged: Result, lang: Lang) -> str:
    """What the gauge's red line is, in words: the base-year value of a direction-only target, else the target;
    empty when there is no line."""
    base = judged.components.base
    if target.comparator == "improve" and base is not None:
        return t(lang, f"红线为基期值（{base.period}）", f"red line: the base-year value ({base.period})")
    if judged.target_value is not None and target.comparator != "improve":
        return t(lang, "红线为目标 ", "red line: target ") + target_text(registry, target, lang)
    return ""


def _say_the_threshold(figure: go.Figure, line: str, below: float) -> None:
    """The words for the red line, centred under the gauge at ``below`` (paper coordinates)."""
    if line:
        figure.add_annotation(
            name="paper:threshold",
            text=f"<b>{_esc(line)}</b>",
            xref="paper",
            yref="paper",
            x=0.5,
            y=below,
            xanchor="center",
            yanchor="top",
            showarrow=False,
            font={"size": BODY + 1, "color": TARGET_COLOUR},
        )


def _under_the_gauge(frame: _Frame, *, bullet: bool) -> tuple[float, float]:
    """Where, in paper coordinates, the line under the gauge goes and the middle of the gauge is. plotly.js fits a
    half-disc of radius min(width / 2, height) in the plot and centres it vertically: its centre (the flat edge)
    is radius / 2 below the plot's middle. A bullet takes the middle half of the plot's height."""
    if bullet:
        return 0.2, 0.5
    width, height = frame.width - frame.left - frame.right, frame.height - frame.top - frame.bottom
    radius = min(width / 2, height)
    centre = 0.5 - radius / 2 / height
    return centre - 30 / height, centre + radius * 0.3 / height


def _unjudged(target: Target, indicator: Indicator, region: str, as_of: dt.date) -> Result:
    """A stand-in result for a target nobody judged: no value, the target's own number."""
    return Result(
        target=target.id,
        indicator=target.indicator,
        region=region,
        status="insufficient_data",
        latest=None,
        target_value=target.value,
        deadline=target.deadline,
        method="comparison",
        components=Components(
            comparator=target.comparator, direction=indicator.direction, deadline=target.deadline, as_of=as_of
        ),
    )


# ---- regions compared -----------------------------------------------------------------------------------------


def regions_for_paper(
    registry: Registry,
    target: Target,
    standings: Sequence[Standing],
    *,
    region: str,
    as_of: dt.date,
    lang: Lang,
    preset: str = "slide",
    revised: frozenset[tuple[str, str]] = frozenset(),
) -> go.Figure:
    """The regions under ``region`` (the parent) side by side on ``target``, best at the top, as
    :func:`reports.figures.ranked_regions_figure` draws them, framed for a report. ``standings``: the target
    judged in each region under the parent (``qtm.standings.sub_regions``), in the order to draw; ``revised``:
    (region, period) pairs whose value replaced an earlier one."""
    width, height = _size(preset)
    indicator = registry.indicators[target.indicator]
    rows, shown, flags = _region_bars(registry, standings, as_of=as_of, lang=lang, revised=revised)
    goals = {s.result.target_value for s in standings}
    goal = goals.pop() if len(goals) == 1 else target.value if target.relative is None else None
    figure = ranked_regions_figure(indicator, goal, rows, lang)
    measure = width - 2 * PAD
    status_lines = _regions_header_lines(registry, target, standings, lang)
    sources, named = _sources(shown, registry, target, lang)
    footer = [_footer_line(as_of, sources, named, lang, measure)]
    if flags & set(FOOTNOTES):
        footer.append(_footnotes(flags, lang, measure, _REGION_MARKS))
    names_width = max((text_width(name, BODY) for name, *_ in rows), default=0.0)
    frame = _Frame(
        width=width,
        height=height,
        title=_title(registry, target, region, lang, ("下辖地区比较", ": regions under it compared")),
        header=[
            _subtitle(registry, target, lang, measure),
            _status_block(status_lines, measure),
        ],
        footer=footer,
        left=int(PAD + max(names_width, 40) + 20),
        right=PAD + 24,
        above=30,  # the target line's label stands on the plot's top edge
        below=64,  # tick labels and the axis title
    )
    frame.apply(figure)
    _fit_bars(figure, frame, rows)
    if not rows:
        figure.update_yaxes(visible=False)
        figure.update_xaxes(range=list(_empty_range(indicator, goal)), autorange=False)
        parent = registry.regions.get(region)
        where = t(lang, f"{parent.name_zh}下辖各地区", f"the regions under {parent.name_en}")
        _no_data(figure, frame, registry, target, where, lang)
    return figure


def _regions_header_lines(
    registry: Registry, target: Target, standings: Sequence[Standing], lang: Lang
) -> list[tuple[str | None, str]]:
    """The lines over the bars: how many regions stand where, the target and its deadline, the outlooks."""
    target_line = (
        t(lang, "目标 ", "Target ")
        + target_text(registry, target, lang)
        + t(lang, "，", ", ")
        + _deadline(target, lang)
    )
    lines = _region_status_lines(standings, lang)
    lines.append((None, target_line))
    return lines + _outlooks_line(registry, target, standings, lang)


_Bar = tuple[str, float, str, str]  # the region's name with its marks, the value, its period, the status


def _region_bars(
    registry: Registry,
    standings: Sequence[Standing],
    *,
    as_of: dt.date,
    lang: Lang,
    revised: frozenset[tuple[str, str]],
) -> tuple[list[_Bar], list[Observation], set[str]]:
    """A bar for each region with a value, named with the marks of its latest value (provisional, revised,
    estimated, synthetic); with the observations behind the values and all their flags."""
    rows: list[_Bar] = []
    shown: list[Observation] = []
    flags: set[str] = set()
    for s in standings:
        if s.result.latest is None:
            continue
        parts = _latest_parts(_known(s.series, as_of), s.result)
        shown.extend(parts)
        own = {f for o in parts for f in o.flags}
        if any((s.region, o.period.text) in revised for o in parts):
            own.add("revised")
        flags |= own
        place = registry.regions.get(s.region)
        marks = "".join(
            t(lang, *_REGION_MARKS[f]).strip() for f in ("provisional", "revised", "estimated") if f in own
        )
        name = (
            t(lang, place.name_zh, place.name_en)
            + (f" {marks}" if marks else "")
            + (f" {SYNTHETIC_MARK}" if "synthetic" in own else "")
        )
        rows.append((name, s.result.latest.value, s.result.latest.period, s.status))
    return rows, shown, flags


def _outlooks_line(
    registry: Registry, target: Target, standings: Sequence[Standing], lang: Lang
) -> list[tuple[str | None, str]]:
    """The regions awaiting the deadline period's value, grouped by where their data so far were heading (none
    when no region awaits with data)."""
    outlooks: dict[str, list[str]] = {}
    for s in standings:
        outlook = s.result.components.outlook
        if s.status == "awaiting_data" and outlook is not None and outlook.latest is not None:
            place = registry.regions.get(s.region)
            outlooks.setdefault(outlook.status, []).append(t(lang, place.name_zh, place.name_en))
    if not outlooks:
        return []
    year = target.deadline.year
    groups = t(lang, "；", "; ").join(
        f"{_status_label(status, lang)}：{'、'.join(names)}"
        if lang == "zh"
        else f"{_status_label(status, lang).lower()}: {', '.join(names)}"
        for status, names in sorted(outlooks.items(), key=lambda kv: STATUS_ORDER.index(kv[0]))
    )
    heading = t(
        lang, f"展望（待{year}年数据，按已有数据）：", f"Outlook (awaiting {year} data, on the data so far): "
    )
    return [(None, heading + groups)]


def _fit_bars(figure: go.Figure, frame: _Frame, rows: Sequence[_Bar]) -> None:
    """The bars fitted to the framed plot: the target line's label over it, the value labels sized to the bars,
    the bars from the axis' left end, a gap between the names and the bars."""
    for note in figure.layout.annotations:  # the target line's label: over the plot, clear of the top bar
        if note.name is None:
            note.update(yref="paper", y=1, yanchor="bottom", font={"size": BODY})
    bars = max(len(rows), 1)
    plot_height = frame.height - frame.top - frame.bottom
    figure.update_traces(textfont={"size": min(BODY, max(10, int(plot_height / bars * 0.45)))})
    if rows:
        # Bars start at the axis' left end, not at zero off the plot: plotly then fits each label to the part of
        # the bar that shows (inside it, or after its end), instead of running it over the region names.
        low = float(figure.layout.xaxis.range[0])
        values = [value for _, value, *_ in reversed(rows)]
        figure.update_traces(
            base=low, x=[value - low for value in values], customdata=values, hovertemplate=_hover(figure)
        )
    figure.update_layout(
        xaxis={"title": {"font": {"size": BODY}}, "tickfont": {"size": BODY}},
        yaxis={  # a gap between the names and the bars: invisible ticks
            "tickfont": {"size": BODY},
            "automargin": False,
            "ticks": "outside",
            "ticklen": 8,
            "tickcolor": "rgba(0,0,0,0)",
        },
    )


def _region_status_lines(standings: Sequence[Standing], lang: Lang) -> list[tuple[str | None, str]]:
    """How many regions stand where: statuses for the regions the target binds, and for those only compared with
    it (对照参考) whether they are at the target's level — never counted as met or missed."""
    bound = [s for s in standings if s.result.binds]
    counts = {status: sum(1 for s in bound if s.status == status) for status in STATUS_ORDER}
    summary = " · ".join(f"{_status_label(status, lang)} {n}" for status, n in counts.items() if n)
    lines: list[tuple[str | None, str]] = []
    if summary or len(bound) == len(standings):
        lines.append(
            (
                None,
                t(lang, "状态（地区数）：", "Status (number of regions): ")
                + (summary if summary else t(lang, "下辖地区尚无数据", "no region under it has data yet")),
            )
        )
    compared = [s.result.components.reference for s in standings if not s.result.binds]
    levels = [c.at_target_level if c is not None else None for c in compared]
    if compared:
        words = (
            (t(lang, "达到目标水平", "at the target's level"), levels.count(True)),
            (t(lang, "未达到目标水平", "short of it"), levels.count(False)),
            (t(lang, "无法比较", "not comparable"), levels.count(None)),
        )
        lines.append(
            (
                None,
                t(
                    lang,
                    "对照参考，不判断是否实现（地区数）：",
                    "Compared with, not judged (number of regions): ",
                )
                + " · ".join(f"{label} {n}" for label, n in words if n),
            )
        )
    return lines


def _hover(figure: go.Figure) -> str:
    """The bars' hover text, with the value (customdata) for the length drawn (x)."""
    return str(figure.data[0].hovertemplate).replace("%{x}", "%{customdata}")
