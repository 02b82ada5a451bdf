"""Figure builders: pure functions from data to Plotly figures (no store, no request), so that pages and the PNG
export draw the same charts. Every text comes in the language asked for (``"both"`` for reports)."""

from __future__ import annotations

import datetime as dt
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote

import plotly.graph_objects as go

from qtm import forking
from qtm.formatting import STATUS_LABELS, number_text, target_text, unit_symbol
from qtm.i18n import FigureLang, pair, plotly_locale, t
from qtm.observations import Observation
from qtm.periods import Period
from qtm.progress import Result
from qtm.registry import Indicator, Registry, Target

FONT = "Noto Sans CJK SC, WenQuanYi Micro Hei, Microsoft YaHei, sans-serif"
SERIES_COLOUR, TARGET_COLOUR, PROJECTION_COLOUR, MUTED = "#1f5fa8", "#b42318", "#8a5300", "#616e7c"
#: One colour per status, from a colour-blind-safe palette (Okabe–Ito); every use also prints the label.
STATUS_COLOURS = {
    "met": "#009e73",
    "achieved": "#009e73",
    "on_track": "#0072b2",
    "needs_acceleration": "#e69f00",
    "limited_progress": "#d55e00",
    "deteriorating": "#a3341c",
    "missed": "#a3341c",
    "insufficient_data": "#8a96a3",
    "awaiting_data": "#8a96a3",
    "reference": "#56b4e9",
}
AXIS_TITLES = {
    "percent": ("%", "%"),
    "hour": ("小时", "Hours"),
    "count": ("数量", "Count"),
    "dimensionless": ("指数", "Index"),
}

#: Value axes in plain digits with thousands separators (15,000), never SI prefixes (15k): official statistics write
#: 1.5万 or 15,000, and "k" is no word in a Chinese view.
VALUE_TICKS = ",~r"


def graph_config(lang: FigureLang, filename: str, *, static: bool = False) -> Any:
    """The chart toolbar: in the page's language, with nothing that sends data off the server."""
    if static:
        return {"staticPlot": True, "displayModeBar": False, "locale": plotly_locale(lang)}
    return {
        "displaylogo": False,
        "showSendToCloud": False,
        "showEditInChartStudio": False,
        "modeBarButtonsToRemove": ["sendDataToCloud", "select2d", "lasso2d"],
        "locale": plotly_locale(lang),
        "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2},
    }


# ---- gauges ---------------------------------------------------------------------------------------------------


class _Made:
    """Figures as the JSON a page sends, made once for each set of arguments (a judgement, a ranking): a page shows
    dozens of them, and plotly takes some 10 ms to build each."""

    def __init__(self, kept: int = 1024) -> None:
        self._made: OrderedDict[tuple[object, ...], dict[str, Any]] = OrderedDict()
        self._kept = kept
        self._lock = threading.Lock()
        forking.renew_in_child(self, _Made._renew)

    def _renew(self) -> None:
        self._lock = threading.Lock()

    def get(self, key: tuple[object, ...], make: Callable[[], go.Figure]) -> dict[str, Any]:
        with self._lock:
            found = self._made.get(key)
            if found is not None:
                self._made.move_to_end(key)
                return found
        made = make().to_plotly_json()
        with self._lock:
            self._made[key] = made
            while len(self._made) > self._kept:
                self._made.popitem(last=False)
        return made


_MADE = _Made()


def gauge_json(
    target: Target, indicator: Indicator, result: Result, lang: FigureLang, *, height: int = 150
) -> dict[str, Any]:
    """:func:`gauge_figure`, made once for each judgement."""
    key = ("gauge", target.id, str(lang), height, repr(result))
    return _MADE.get(key, lambda: gauge_figure(target, indicator, result, lang, height=height))


def ranked_regions_json(
    indicator: Indicator, goal: float | None, rows: Sequence[tuple[str, float, str, str]], lang: FigureLang
) -> dict[str, Any]:
    """:func:`ranked_regions_figure`, made once for each ranking."""
    key = ("ranked", indicator.id, goal, tuple(rows), str(lang))
    return _MADE.get(key, lambda: ranked_regions_figure(indicator, goal, rows, lang, labels_outside=True))


def gauge_figure(
    target: Target, indicator: Indicator, result: Result, lang: FigureLang, *, height: int = 150
) -> go.Figure:
    """A plotly Indicator for one target: an angular gauge for a target with a value, a bullet for direction-only
    targets and relative ones; the bar in the status colour, the target as a threshold line."""
    latest = result.latest.value if result.latest is not None else None
    bullet = target.comparator == "improve" or target.relative is not None
    symbol = unit_symbol(indicator, "zh" if lang == "zh" else "en")
    figure = go.Figure(
        go.Indicator(
            mode="gauge+number" if latest is not None else "gauge",
            value=latest,
            number={
                "suffix": f" {symbol}" if symbol else "",
                "font": {"size": 22 if height < 250 else 40},
                "valueformat": ",.4~f",
            },
            gauge=_gauge(target, indicator, result, bullet),
            domain={"x": [0, 1], "y": [0.25, 0.75] if bullet else [0, 1]},
        )
    )
    if latest is None:
        figure.add_annotation(
            text=t(lang, "无数据", "no data"),
            x=0.5,
            y=0.95 if bullet else 0.12,
            showarrow=False,
            font={"color": MUTED, "size": 14},
        )
    figure.update_layout(
        height=height,
        margin={
            "l": 24 if not bullet else 12,
            "r": 24 if not bullet else 12,
            "t": 8 if not bullet else 30,
            "b": 8,
        },
        paper_bgcolor="rgba(0,0,0,0)",
        font={"family": FONT, "size": 12},
        separators=".,",
    )
    return figure


def _gauge(target: Target, indicator: Indicator, result: Result, bullet: bool) -> dict[str, object]:
    """The gauge's scale and marks: the axis over the latest value, the target and the base; the bar in the status
    colour (an awaited verdict's outlook, where there are data); the threshold line (the base for a
    direction-only target, else the target); an 'about N' target's band."""
    latest = result.latest.value if result.latest is not None else None
    goal = result.target_value
    base = result.components.base
    base_value = float(base.value) if base is not None else None
    threshold = base_value if target.comparator == "improve" else goal
    known = [v for v in (latest, goal, base_value) if v is not None]
    low, high = _gauge_range(indicator, known) if latest is not None else _empty_range(indicator, goal)
    outlook = result.components.outlook
    shown = outlook.status if outlook is not None and outlook.latest is not None else result.status
    gauge: dict[str, object] = {
        "shape": "bullet" if bullet else "angular",
        "axis": {"range": [low, high], "tickfont": {"size": 10}, "nticks": 5, "tickformat": VALUE_TICKS},
        "bar": {"color": STATUS_COLOURS.get(shown, MUTED), "thickness": 0.6 if bullet else 0.75},
        "bgcolor": "#eef2f6",
        "borderwidth": 0,
    }
    if latest is None and not known:  # nothing to place on a scale: no invented 0–1 axis
        gauge["axis"] = {"range": [low, high], "visible": False}
    if threshold is not None:
        gauge["threshold"] = {
            "line": {"color": TARGET_COLOUR, "width": 3},
            "thickness": 0.9,
            "value": threshold,
        }
    if target.comparator == "about" and goal is not None and target.tolerance:
        gauge["steps"] = [{"range": [goal - target.tolerance, goal + target.tolerance], "color": "#f6d8d4"}]
    return gauge


def _gauge_range(indicator: Indicator, values: list[float]) -> tuple[float, float]:
    """An axis that shows the values and the target apart: their span, padded by half on each side, within what
    the indicator allows (0–100 % for a rate, nothing below zero for a count or duration)."""
    if not values:
        return (0.0, 100.0) if indicator.unit == "percent" else (0.0, 1.0)
    low, high = min(values), max(values)
    span = high - low or abs(high) * 0.05 or 1.0
    low, high = low - span * 0.5, high + span * 0.5
    if indicator.kind in ("count", "duration", "rate"):
        low = max(low, 0.0)
    if indicator.kind == "rate" and indicator.unit == "percent":
        high = min(high, 100.0)
    return _nice(low, math.floor), _nice(high, math.ceil)


def _empty_range(indicator: Indicator, goal: float | None) -> tuple[float, float]:
    """With no value yet: the whole scale up to past the target (0–100 % for a rate)."""
    if indicator.kind == "rate" and indicator.unit == "percent":
        return 0.0, 100.0
    return 0.0, _nice(goal * 1.25, math.ceil) if goal else 1.0


def _nice(value: float, rounding: Callable[[float], int]) -> float:
    """Round an axis end to two significant digits, outward."""
    if value == 0:
        return 0.0
    step = 10 ** (math.floor(math.log10(abs(value))) - 1)
    return float(rounding(value / step) * step)


def sparkline(observations: Sequence[Observation], status: str, label: str) -> str:
    """A tiny SVG line of the values over time, as a data URI (no chart library on the card)."""
    points = sorted(observations, key=lambda o: o.period.end)
    width, height = 120, 30
    if len(points) < 2:
        body = f'<line x1="0" y1="{height / 2}" x2="{width}" y2="{height / 2}" stroke="#cfd6dd" stroke-dasharray="3 3"/>'
    else:
        values = [o.value for o in points]
        low, high = min(values), max(values)
        span = high - low or 1.0
        first, last = points[0].period.end.toordinal(), points[-1].period.end.toordinal()
        xy = [
            (
                (o.period.end.toordinal() - first) / (last - first or 1) * (width - 6) + 3,
                height - 3 - (o.value - low) / span * (height - 6),
            )
            for o in points
        ]
        line = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
        colour = STATUS_COLOURS.get(status, MUTED)
        body = (
            f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="2" stroke-linejoin="round"/>'
            f'<circle cx="{xy[-1][0]:.1f}" cy="{xy[-1][1]:.1f}" r="2.6" fill="{colour}"/>'
        )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
        f"<title>{label}</title>{body}</svg>"
    )
    return "data:image/svg+xml;charset=utf-8," + quote(svg)


# ---- trend ----------------------------------------------------------------------------------------------------


def trend_figure(
    target: Target,
    indicator: Indicator,
    observations: list[Observation],
    result: Result | None,
    region_name: str,
    subtitle: str | None = None,
    *,
    lang: FigureLang = "both",
    revised: frozenset[str] = frozenset(),
) -> go.Figure:
    """The region's values over time (sub-annual values as lighter points; provisional values hollow, revised ones
    with a ring; both say so in their hover text), the target line with its deadline, milestones, the base, and
    the projection to the deadline with its band when the method made one. ``revised``: the periods whose value
    has an earlier revision. Each value is drawn in the middle of its period, under its year's label."""
    symbol = unit_symbol(indicator, "zh" if lang == "zh" else "en")
    figure = go.Figure()
    _add_series(figure, observations, symbol, lang, revised)
    goal = result.target_value if result is not None else target.value
    if goal is not None:
        _add_target_line(figure, target, goal, symbol, lang)
    _add_deadline(figure, target, lang)
    _add_milestones(figure, target, symbol, lang)
    if result is not None:
        _add_projection(figure, result, symbol, lang)
        _add_base(figure, result, lang)
    synthetic = any("synthetic" in o.flags for o in observations)
    note = _synthetic_note(lang) if synthetic else ""
    name = t(lang, indicator.name.zh, indicator.name.en) if lang != "both" else indicator.name.zh
    figure.update_layout(
        title={
            "text": f"{name} · {region_name}<br><sup>{subtitle or indicator.name.en}</sup>{note}",
            "x": 0.01,
        },
        font={"family": FONT, "size": 13},
        paper_bgcolor="white",
        plot_bgcolor="white",
        margin={"l": 60, "r": 24, "t": 110 if synthetic else 70, "b": 90},
        legend={"orientation": "h", "y": -0.18},
        xaxis=_period_axis(target, observations, lang),
        yaxis={
            "title": pair(lang, AXIS_TITLES.get(indicator.unit, (indicator.unit, indicator.unit))),
            "gridcolor": "#eef2f6",
            "zeroline": False,
            "tickformat": VALUE_TICKS,
        },
        height=420,
        separators=".,",
    )
    if not observations:
        _frame_empty(figure, indicator, goal, lang)
    return figure


def _synthetic_note(lang: FigureLang) -> str:
    """The title's warning line for a series with synthetic demonstration values."""
    warning = t(
        lang,
        "含合成演示数据，并非官方统计",
        "includes synthetic demonstration data, not official statistics",
    )
    return '<br><span style="font-size:11px;color:#8a5300">◆ ' + warning + "</span>"


def _period_axis(target: Target, observations: list[Observation], lang: FigureLang) -> dict[str, object]:
    """The time axis: a tick a year, labelled under the middle of the year, over the data and the deadline."""
    return {
        "title": t(lang, "统计期", "Period"),
        "type": "date",
        "dtick": "M12",
        "tickformat": "%Y",
        "ticklabelmode": "period",
        "gridcolor": "#eef2f6",
        "range": _time_range(target, observations),
    }


def _frame_empty(figure: go.Figure, indicator: Indicator, goal: float | None, lang: FigureLang) -> None:
    """No values yet: a scale that shows the target line (not plotly's empty −1…4), as the exported PNG draws it;
    no made-up scale where there is no number to scale to."""
    figure.update_yaxes(range=list(_empty_range(indicator, goal)), autorange=False)
    if goal is None:
        figure.update_yaxes(showticklabels=False, showgrid=False)
    figure.add_annotation(
        text=t(lang, "暂无数据", "no data yet"),
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
        showarrow=False,
        font={"color": MUTED, "size": 16},
    )


def _time_range(target: Target, observations: list[Observation]) -> list[str]:
    """From the earliest value (or the base period) to just past the deadline: never an empty axis."""
    starts = [o.period.start for o in observations]
    if target.baseline is not None:
        starts.append(Period.parse(target.baseline.period).start)
    start = min(starts) if starts else dt.date(target.deadline.year - 3, 1, 1)
    end = max([target.deadline, *(o.period.end for o in observations)])
    return [dt.date(start.year, 1, 1).isoformat(), dt.date(end.year + 1, 3, 1).isoformat()]


def _marks(observation: Observation, revised: frozenset[str], lang: FigureLang) -> str:
    marks = []
    if "provisional" in observation.flags:
        marks.append(t(lang, "初步数", "provisional"))
    if "estimated" in observation.flags:
        marks.append(t(lang, "估计数", "estimated"))
    if observation.period.text in revised or "revised" in observation.flags:
        marks.append(t(lang, "已修订", "revised"))
    if "synthetic" in observation.flags:
        marks.append("◆ " + t(lang, "合成", "synthetic"))
    return "".join(f" · {m}" for m in marks)


def _add_series(
    figure: go.Figure, observations: list[Observation], symbol: str, lang: FigureLang, revised: frozenset[str]
) -> None:
    annual = sorted(
        (o for o in observations if o.period.frequency == "year"), key=lambda o: o.period.sort_key()
    )
    sub_annual = sorted(
        (o for o in observations if o.period.frequency != "year"), key=lambda o: o.period.sort_key()
    )
    for points, name, mode, opacity in (
        (annual, t(lang, "年度值", "Annual"), "lines+markers", 1.0),
        (sub_annual, t(lang, "季度/月度值", "Quarterly/monthly"), "markers", 0.45),
    ):
        if not points:
            continue
        figure.add_trace(
            go.Scatter(
                x=[middle(o.period) for o in points],
                y=[o.value for o in points],
                mode=mode,
                name=name,
                opacity=opacity,
                marker={
                    "color": SERIES_COLOUR,
                    "size": [11 if o.period.text in revised else 8 for o in points],
                    "symbol": ["circle-open" if "provisional" in o.flags else "circle" for o in points],
                    "line": {
                        "width": [2.5 if o.period.text in revised else 0 for o in points],
                        "color": PROJECTION_COLOUR,
                    },
                },
                line={"color": SERIES_COLOUR, "width": 2.5},
                text=[o.period.text + _marks(o, revised, lang) for o in points],
                hovertemplate="%{text}: %{y}" + f" {symbol}<extra></extra>",
            )
        )


def _add_target_line(figure: go.Figure, target: Target, goal: float, symbol: str, lang: FigureLang) -> None:
    figure.add_hline(
        y=goal,
        line={"color": TARGET_COLOUR, "dash": "dash", "width": 2},
        annotation_text=f"{t(lang, '目标', 'Target')} {number_text(goal)} {symbol}".strip(),
        annotation_position="top left",
        annotation_font_color=TARGET_COLOUR,
    )
    if target.comparator == "about" and target.tolerance:
        figure.add_hrect(
            y0=goal - target.tolerance,
            y1=goal + target.tolerance,
            fillcolor=TARGET_COLOUR,
            opacity=0.08,
            line_width=0,
        )


def _add_deadline(figure: go.Figure, target: Target, lang: FigureLang) -> None:
    deadline = target.deadline
    figure.add_shape(
        type="line",
        x0=deadline,
        x1=deadline,
        y0=0,
        y1=1,
        yref="paper",
        line={"color": MUTED, "dash": "dot", "width": 1.5},
    )
    figure.add_annotation(
        x=deadline,
        y=1,
        yref="paper",
        text=f"{t(lang, '期限', 'Deadline')} {deadline:%Y-%m-%d}",
        showarrow=False,
        xanchor="right",
        yanchor="bottom",
        font={"color": MUTED, "size": 11},
    )


def _add_milestones(figure: go.Figure, target: Target, symbol: str, lang: FigureLang) -> None:
    if not target.milestones:
        return
    figure.add_trace(
        go.Scatter(
            x=[m.date for m in target.milestones],
            y=[m.value for m in target.milestones],
            mode="markers",
            name=t(lang, "阶段目标", "Milestones"),
            marker={"symbol": "star", "size": 12, "color": TARGET_COLOUR},
            hovertemplate="%{x|%Y-%m-%d}: %{y}" + f" {symbol}<extra></extra>",
        )
    )


def _add_projection(figure: go.Figure, result: Result, symbol: str, lang: FigureLang) -> None:
    detail = result.detail
    projection = detail.projection if detail is not None else None
    if projection is None or result.latest is None:
        return
    band = projection.band
    x = [middle(Period.parse(result.latest.period)), result.deadline]
    if band is not None:
        figure.add_trace(
            go.Scatter(
                x=[*x, *x[::-1]],
                y=[result.latest.value, band[1], band[0], result.latest.value],
                fill="toself",
                mode="lines",
                fillcolor="rgba(138, 83, 0, 0.12)",
                line={"width": 0},
                hoverinfo="skip",
                name=t(lang, "预测区间", "Projection band"),
            )
        )
    figure.add_trace(
        go.Scatter(
            x=x,
            y=[result.latest.value, float(projection.value)],
            mode="lines+markers",
            line={"color": PROJECTION_COLOUR, "dash": "dash", "width": 2},
            marker={"symbol": "diamond-open", "size": 9},
            name=t(lang, "预测", "Projection"),
            hovertemplate="%{y:.2f}" + f" {symbol}<extra>{t(lang, '预测', 'Projection')}</extra>",
        )
    )


def _add_base(figure: go.Figure, result: Result, lang: FigureLang) -> None:
    """The base, labelled 基期 only when it is the base year's own value: a stand-in says which year it stands in
    for, a later start is 起点; a direction-only target without its base-year value marks the year missing."""
    base = result.components.base
    missing = result.components.base_missing
    if base is not None:
        instead = base.stands_in_for
        label = t(lang, "基期", "Base")
        if instead is not None and base.period < instead:
            label = t(
                lang, f"基期（以{base.period}年代替{instead}年）", f"Base ({base.period} for {instead})"
            )
        elif instead is not None:
            label = t(lang, f"起点（缺{instead}年基期值）", f"Start (no {instead} base value)")
        figure.add_annotation(
            x=middle(Period.parse(base.period)),
            y=base.value,
            text=label,
            showarrow=True,
            arrowhead=0,
            ay=30,
            font={"size": 11, "color": MUTED},
        )
    elif missing is not None:
        figure.add_annotation(
            x=middle(Period.parse(missing)),
            y=0,
            yref="paper",
            yanchor="bottom",
            text=t(lang, f"缺基期（{missing}年）数值", f"No base-year ({missing}) value"),
            showarrow=False,
            font={"size": 11, "color": TARGET_COLOUR},
            name="base-missing",
        )


def middle(period: Period) -> dt.date:
    """The middle of a period: where its value is drawn, under the label of its year."""
    return period.start + (period.end - period.start) / 2


def target_chart(
    registry: Registry,
    target: Target,
    observations: list[Observation],
    result: Result | None,
    *,
    lang: FigureLang = "both",
    revised: frozenset[str] = frozenset(),
) -> go.Figure:
    """The trend chart of a target in its own jurisdiction, as the target page and the PNG export draw it: the
    subtitle states the promise and the status."""
    indicator = registry.indicators[target.indicator]
    region = registry.regions.get(target.jurisdiction)
    promise = target_text(registry, target, lang)
    subtitle = (
        indicator.name.en + " · " if lang == "both" else ""
    ) + f"{t(lang, '目标', 'Target')} {promise}"
    if result is not None:
        subtitle += f" · {t(lang, '状态', 'Status')} {pair(lang, STATUS_LABELS[result.status])}"
        subtitle += f" ({result.components.as_of.isoformat()})"
    place = t(lang, region.name_zh, region.name_en)
    return trend_figure(target, indicator, observations, result, place, subtitle, lang=lang, revised=revised)


# ---- regions compared -----------------------------------------------------------------------------------------


#: Room right of the longest bar, as a share of the axis, for its label "97.5 % (2025) · 对照参考" printed outside.
_LABEL_ROOM = 0.7


def ranked_regions_figure(
    indicator: Indicator,
    goal: float | None,
    rows: Sequence[tuple[str, float, str, str]],
    lang: FigureLang,
    *,
    labels_outside: bool = False,
) -> go.Figure:
    """Regions side by side, best at the top: (name, latest value, period, status) as horizontal bars in the
    status colour, the status label printed on each bar, and the target as a line. ``labels_outside`` (the page's
    card, narrower than a report's page): each label right of its bar, with room left for it, and the target's
    label above the bars."""
    symbol = unit_symbol(indicator, "zh" if lang == "zh" else "en")
    ordered = list(reversed(rows))  # plotly draws the first bar at the bottom
    figure = go.Figure(
        go.Bar(
            orientation="h",
            y=[name for name, *_ in ordered],
            x=[value for _, value, *_ in ordered],
            marker={"color": [STATUS_COLOURS.get(status, MUTED) for *_, status in ordered]},
            text=[
                f"{number_text(value)} {symbol} ({period}) · {pair(lang, STATUS_LABELS[status])}".replace(
                    "  ", " "
                )
                for _, value, period, status in ordered
            ],
            textposition="auto",
            hovertemplate="%{y}: %{x}" + f" {symbol}<extra></extra>",
        )
    )
    values = [value for _, value, *_ in rows] + ([goal] if goal is not None else [])
    low, high = _gauge_range(indicator, values) if values else (0.0, 1.0)
    if goal is not None:  # what add_vline draws, written out: add_vline costs 10 ms a figure
        line = {"type": "line", "x0": goal, "x1": goal, "xref": "x", "y0": 0, "y1": 1, "yref": "y domain"}
        label = f"{t(lang, '目标', 'Target')} {number_text(goal)} {symbol}".strip()
        figure.update_layout(
            shapes=[{**line, "line": {"color": TARGET_COLOUR, "dash": "dash", "width": 2}}],
            annotations=[
                {"text": label, "font": {"color": TARGET_COLOUR}, "showarrow": False, "x": goal, "xref": "x",
                 "xanchor": "left", "y": 1, "yref": "y domain", "yanchor": "top"}
            ],
        )  # fmt: skip
    figure.update_layout(
        height=max(220, 34 * len(rows) + 90),
        margin={"l": 130, "r": 24, "t": 36, "b": 40},
        xaxis={
            "range": [low, high],
            "gridcolor": "#eef2f6",
            "tickformat": VALUE_TICKS,
            "title": pair(lang, AXIS_TITLES.get(indicator.unit, (indicator.unit, indicator.unit))),
        },
        font={"family": FONT, "size": 12},
        paper_bgcolor="white",
        plot_bgcolor="white",
        separators=".,",
    )
    if labels_outside:
        _labels_outside(figure, low, high)
    return figure


def _labels_outside(figure: go.Figure, low: float, high: float) -> None:
    """Value labels right of the bars, never cut at the plot's edge, with no tick in their room (a "102 %" on a
    rate's axis); the target's label above the top bar, not over it."""
    figure.update_traces(textposition="outside", cliponaxis=False)
    figure.update_xaxes(
        range=[low, high + (high - low) * _LABEL_ROOM],
        tickvals=[low + (high - low) * step / 4 for step in range(5)],
    )
    figure.update_annotations(xanchor="center", yanchor="bottom")
