"""Figure builders: pure functions from data to Plotly figures (no store, no request), so that pages and the PNG
export draw the same charts."""

from __future__ import annotations

import datetime as dt

import plotly.graph_objects as go

from qtm.formatting import unit_symbol
from qtm.observations import Observation
from qtm.periods import Period
from qtm.progress import Result
from qtm.registry import Indicator, Registry, Target

AXIS_TITLES = {"percent": "%", "hour": "小时 Hours", "count": "数量 Count", "dimensionless": "指数 Index"}
FONT = "Noto Sans CJK SC, WenQuanYi Micro Hei, Microsoft YaHei, sans-serif"
SERIES_COLOUR, TARGET_COLOUR, PROJECTION_COLOUR = "#1f5fa8", "#b42318", "#8a5300"


def trend_figure(
    target: Target,
    indicator: Indicator,
    observations: list[Observation],
    result: Result | None,
    region_name: str,
    subtitle: str | None = None,
) -> go.Figure:
    """The region's values over time (sub-annual values as lighter points), the target line with its deadline, the
    base, and the projection to the deadline with its band when the method made one. Each value is drawn in the
    middle of its period, under its year's label; the deadline line stands at the end of the deadline's day."""
    symbol = unit_symbol(indicator)
    figure = go.Figure()
    annual = sorted(
        (o for o in observations if o.period.frequency == "year"), key=lambda o: o.period.sort_key()
    )
    sub_annual = sorted(
        (o for o in observations if o.period.frequency != "year"), key=lambda o: o.period.sort_key()
    )
    for points, name, mode, opacity in (
        (annual, "年度值 Annual", "lines+markers", 1.0),
        (sub_annual, "季度/月度值 Quarterly/monthly", "markers", 0.45),
    ):
        if points:
            figure.add_trace(
                go.Scatter(
                    x=[middle(o.period) for o in points],
                    y=[o.value for o in points],
                    mode=mode,
                    name=name,
                    opacity=opacity,
                    marker={"color": SERIES_COLOUR, "size": 8},
                    line={"color": SERIES_COLOUR, "width": 2.5},
                    text=[
                        o.period.text + (" ◆ 合成 synthetic" if "synthetic" in o.flags else "")
                        for o in points
                    ],
                    hovertemplate="%{text}: %{y}" + f" {symbol}<extra></extra>",
                )
            )
    deadline = target.deadline
    goal = result.target_value if result is not None else target.value
    if goal is not None:
        figure.add_hline(
            y=goal,
            line={"color": TARGET_COLOUR, "dash": "dash", "width": 2},
            annotation_text=f"目标 Target {goal:g} {symbol}",
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
    figure.add_shape(
        type="line",
        x0=deadline,
        x1=deadline,
        y0=0,
        y1=1,
        yref="paper",
        line={"color": "#616e7c", "dash": "dot", "width": 1.5},
    )
    figure.add_annotation(
        x=deadline,
        y=1,
        yref="paper",
        text=f"期限 Deadline {target.deadline:%Y-%m-%d}",
        showarrow=False,
        xanchor="right",
        yanchor="bottom",
        font={"color": "#616e7c", "size": 11},
    )
    if result is not None:
        detail = result.components.get(result.method)
        projection = detail.get("projection") if isinstance(detail, dict) else None
        if isinstance(projection, dict) and result.latest is not None:
            band = projection.get("band")
            x = [middle(Period.parse(result.latest.period)), deadline]
            if isinstance(band, list):
                figure.add_trace(
                    go.Scatter(
                        x=[*x, *x[::-1]],
                        y=[result.latest.value, band[1], band[0], result.latest.value],
                        fill="toself",
                        mode="lines",
                        fillcolor="rgba(138, 83, 0, 0.12)",
                        line={"width": 0},
                        hoverinfo="skip",
                        name="预测区间 Projection band",
                    )
                )
            figure.add_trace(
                go.Scatter(
                    x=x,
                    y=[result.latest.value, float(projection["value"])],
                    mode="lines+markers",
                    line={"color": PROJECTION_COLOUR, "dash": "dash", "width": 2},
                    marker={"symbol": "diamond-open", "size": 9},
                    name="预测 Projection",
                    hovertemplate="%{y:.2f}" + f" {symbol}<extra>预测 Projection</extra>",
                )
            )
        base = result.components.get("base")
        if isinstance(base, dict):
            figure.add_annotation(
                x=middle(Period.parse(str(base["period"]))),
                y=base["value"],
                text="基期 Base",
                showarrow=True,
                arrowhead=0,
                ay=30,
                font={"size": 11, "color": "#616e7c"},
            )
    # Invented demonstration data says so on every chart, on a line of the title where nothing can hide it.
    synthetic = any("synthetic" in o.flags for o in observations)
    note = (
        '<br><span style="font-size:11px;color:#8a5300">◆ 含合成演示数据，并非官方统计 · includes synthetic '
        "demonstration data, not official statistics</span>"
        if synthetic
        else ""
    )
    figure.update_layout(
        title={
            "text": f"{indicator.name.zh} · {region_name}<br><sup>{subtitle or indicator.name.en}</sup>{note}",
            "x": 0.01,
        },
        font={"family": FONT, "size": 13},
        paper_bgcolor="white",
        plot_bgcolor="white",
        margin={"l": 60, "r": 24, "t": 110 if synthetic else 70, "b": 90},
        legend={"orientation": "h", "y": -0.18},
        xaxis={
            "title": "统计期 Period",
            "type": "date",
            "dtick": "M12",
            "tickformat": "%Y",
            "ticklabelmode": "period",
            "gridcolor": "#eef2f6",
        },
        yaxis={
            "title": AXIS_TITLES.get(indicator.unit, indicator.unit),
            "gridcolor": "#eef2f6",
            "zeroline": False,
        },
        height=420,
    )
    return figure


def middle(period: Period) -> dt.date:
    """The middle of a period: where its value is drawn, under the label of its year."""
    return period.start + (period.end - period.start) / 2


def target_chart(
    registry: Registry, target: Target, observations: list[Observation], result: Result | None
) -> go.Figure:
    """The trend chart of a target in its own jurisdiction, as the target page and the PNG export draw it: the
    subtitle states the promise and the status."""
    from qtm.formatting import STATUS_LABELS, target_text

    indicator = registry.indicators[target.indicator]
    region = registry.regions.get(target.jurisdiction)
    subtitle = f"{indicator.name.en} · 目标 Target {target_text(registry, target)}"
    if result is not None:
        zh, en = STATUS_LABELS[result.status]
        subtitle += f" · 状态 {zh} {en} ({result.components.get('as_of', '')})"
    return trend_figure(
        target, indicator, observations, result, f"{region.name_zh} {region.name_en}", subtitle
    )
