"""A target's page as a pure function: its promise, its status with every component, and its regions ranked."""

from __future__ import annotations

import datetime as dt

from dash import dcc, html
from dash.development.base_component import Component

from dashboard.figures import target_chart
from dashboard.views.overview import SYNTHETIC_MARK, outlook_line, status_badge
from qtm.formatting import METHOD_LABELS, outlook_text, target_text, value_text
from qtm.observations import Observation
from qtm.progress import Result, rank
from qtm.registry import Indicator, Registry, Target

_EXPLAIN = {
    "growth_ratio": (
        "实际年均增长率与实现目标所需年均增长率之比 R：R ≥ 0.95 进展顺利，0.6–0.95 需加快，0–0.6 进展有限，< 0 倒退。",
        "Ratio R of the actual compound annual growth since the base to the growth required to reach the target: "
        "R ≥ 0.95 on track, 0.6–0.95 needs acceleration, 0–0.6 limited progress, < 0 deteriorating.",
    ),
    "expected_path": (
        "按时间加权线性回归（近期权重大）预测期限值；得分 = (预测值 − 基期值) ÷ (目标值 − 基期值)，阈值同上。",
        "The value at the deadline is projected by a time-weighted linear fit (recent years weigh more); score = "
        "(projection − base) ÷ (target − base), with the same thresholds.",
    ),
    "comparison": (
        "期限已过或目标只要求“进一步提高”：直接将期限期（或最新）数值与目标（或基期值）比较。",
        "The deadline has passed, or the target asks only for improvement: the deadline (or latest) value is "
        "compared with the target (or the base-year value).",
    ),
}


def _number(value: object, indicator: Indicator) -> str:
    return value_text(float(value), indicator) if isinstance(value, int | float) else "—"


def _rate(value: object) -> str:
    return f"{float(value) * 100:.2f} %/年" if isinstance(value, int | float) else "—"


def component_rows(result: Result, indicator: Indicator) -> list[tuple[str, str, str]]:
    """(Chinese label, English label, value) for every component of a result, for a person to check by hand."""
    c = result.components
    rows: list[tuple[str, str, str]] = []
    zh, en = METHOD_LABELS[result.method]
    rows.append(("方法", "Method", f"{zh} · {en}"))
    base = c.get("base")
    if isinstance(base, dict):
        rows.append(("基期", "Base", f"{_number(base['value'], indicator)} ({base['period']})"))
    latest = c.get("latest")
    if isinstance(latest, dict):
        rows.append(("最新值", "Latest", f"{_number(latest['value'], indicator)} ({latest['period']})"))
    final = c.get("final")
    if isinstance(final, dict):
        rows.append(
            (
                "期限期数值",
                "Deadline-period value",
                f"{_number(final['value'], indicator)} ({final['period']})",
            )
        )
    rows.extend(_relative_rows(c.get("relative"), indicator))
    rows.append(("目标值", "Target value", _number(result.target_value, indicator)))
    rows.extend(_about_rows(c.get("about"), indicator))
    rows.append(("期限", "Deadline", result.deadline.isoformat()))
    rows.append(("评估日期", "As of", str(c.get("as_of", ""))))
    detail = c.get(result.method)
    if isinstance(detail, dict):
        if "actual_rate" in detail:
            rows.append(("实际年均增长率", "Actual annual growth", _rate(detail["actual_rate"])))
            rows.append(("所需年均增长率", "Required annual growth", _rate(detail["required_rate"])))
            rows.append(("比值 R", "Ratio R", f"{float(detail['ratio']):.3f}"))
        projection = detail.get("projection")
        if isinstance(projection, dict):
            band = projection.get("band")
            band_text = (
                f" [{_number(band[0], indicator)} – {_number(band[1], indicator)}]"
                if isinstance(band, list)
                else ""
            )
            rows.append(
                (
                    "期限预测值",
                    "Projection at the deadline",
                    _number(projection["value"], indicator) + band_text,
                )
            )
        if "score" in detail:
            rows.append(("得分", "Score", f"{float(detail['score']):.3f}"))
        if detail.get("gap_closure") is not None:
            rows.append(("差距缩小比例", "Gap closure so far", f"{float(detail['gap_closure']):.3f}"))
        if "thresholds" in detail:
            rows.append(("阈值", "Thresholds", " / ".join(str(t) for t in detail["thresholds"])))
    for milestone in c.get("milestones", []) or []:  # type: ignore[attr-defined]
        rows.append(
            (
                "阶段目标",
                "Milestone",
                f"{milestone['date']}: {milestone['value']} → {milestone['actual']} ({'达成 met' if milestone['met'] else '未达成 missed'})",
            )
        )
    outlook = outlook_text(result)
    if outlook is not None:
        rows.append(("展望", "Outlook", f"{outlook[0]} · {outlook[1]}"))
    if c.get("reason"):
        rows.append(("说明", "Note", str(c["reason"])))
    return rows


def _relative_rows(relative: object, indicator: Indicator) -> list[tuple[str, str, str]]:
    """The baseline a relative target stands on: the value in force when the plan was issued."""
    if not isinstance(relative, dict):
        return []
    until = f"不晚于 {relative['baseline_no_later_than']} 的最新值 · latest up to {relative['baseline_no_later_than']}"
    if "baseline_value" not in relative:
        return [("基准值", "Baseline (data)", f"待录入 · not entered ({until})")]
    value = _number(relative["baseline_value"], indicator)
    return [
        (
            "基准值",
            "Baseline (data)",
            f"{value} ({relative['baseline_period']}) × {relative['factor']} — {until}",
        )
    ]


def _about_rows(about: object, indicator: Indicator) -> list[tuple[str, str, str]]:
    """How an 'about N' target is read: its band, and by how much it is exceeded."""
    if not isinstance(about, dict):
        return []
    low, high = about["band"]
    rows = [
        (
            "约数目标",
            "About N",
            f"{_number(low, indicator)} – {_number(high, indicator)}；达到 {_number(about['goal'], indicator)} 即达成，"
            "超出为超额完成 · reaching the near edge meets it; beyond the band is exceeded, not missed",
        )
    ]
    if "exceeded_by" in about:
        share = float(about["exceeded_by"]) * 100
        rows.append(("超额完成", "Exceeded by", f"{share:.0f} %"))
    return rows


def _quote(target: Target, plan_title: str) -> html.Blockquote:
    """The plan's wording, attributed: to the plan's seed, or to the published text it was taken from instead."""
    attribution = [html.Div(f"—— {plan_title} {target.clause}", className="en")]
    if target.quote_source:
        attribution.append(
            html.Div(
                f"引自 Quoted from: {target.quote_source} · {target.quote_note or ''}", className="en source"
            )
        )
    return html.Blockquote([html.Div(f"“{target.quote}”"), *attribution], className="quote", id="quote")


def target_page(
    registry: Registry,
    target: Target,
    results: list[Result],
    as_of: dt.date,
    synthetic: frozenset[str] = frozenset(),
    series: list[Observation] | None = None,
) -> html.Div:
    """``synthetic``: the regions whose values for this indicator include invented demonstration data;
    ``series``: the jurisdiction's observations, drawn as a trend chart with the target line and projection."""
    indicator = registry.indicators[target.indicator]
    plan = registry.plans[target.plan]
    region = registry.regions.get(target.jurisdiction)
    own = next((r for r in results if r.region == target.jurisdiction), None)
    children: list[Component] = [
        html.A("← 总览 Overview", href="/", className="back"),
        html.Div(
            [
                html.H1([indicator.name.zh, html.Span(" " + indicator.name.en, className="en")]),
                html.P(
                    f"{region.name_zh} {region.name_en} · 目标 Target {target_text(registry, target)} · 期限 Deadline "
                    f"{target.deadline:%Y-%m-%d}",
                    className="summary",
                ),
                _quote(target, plan.title.zh),
            ],
            className="target-head",
        ),
    ]
    if synthetic:
        children.append(
            html.Div(
                f"{SYNTHETIC_MARK} 标注地区的数值含合成演示数据，并非官方统计 · Regions marked {SYNTHETIC_MARK} include "
                "synthetic demonstration data, not official statistics.",
                className="banner synthetic",
                id="synthetic-banner",
            )
        )
    cards: list[Component] = []
    if series is not None:
        figure = target_chart(registry, target, series, own)
        children.append(
            html.Div(
                dcc.Graph(
                    figure=figure,
                    id="trend",
                    config={
                        "displaylogo": False,
                        "toImageButtonOptions": {"format": "png", "filename": target.id, "scale": 2},
                    },
                ),
                className="card",
            )
        )
    if own is not None:
        zh, en = _EXPLAIN[own.method]
        cards.append(
            html.Div(
                [
                    html.H2(["判断依据", html.Span(" How the status is judged", className="en")]),
                    html.P(
                        registry.regions.get(own.region).name_zh
                        + (f" {SYNTHETIC_MARK}" if own.region in synthetic else ""),
                        className="plan-meta",
                    ),
                    html.Div([status_badge(own.status), outlook_line(own)], id="target-status"),
                    html.Table(
                        html.Tbody(
                            [
                                html.Tr(
                                    [
                                        html.Th([zh_label, html.Span(en_label, className="en block")]),
                                        html.Td(value),
                                    ]
                                )
                                for zh_label, en_label, value in component_rows(own, indicator)
                            ]
                        ),
                        className="components",
                        id="components",
                    ),
                    html.P([zh, html.Br(), en], className="explain"),
                ],
                className="card",
            )
        )
    ranked = rank(r for r in results if r.region != target.jurisdiction)
    if ranked:
        cards.append(
            html.Div(
                [
                    html.H2(["各地区", html.Span(" Regions, best first", className="en")]),
                    html.Table(
                        [
                            html.Thead(
                                html.Tr(
                                    [
                                        html.Th("地区 Region"),
                                        html.Th("最新值 Latest", className="num"),
                                        html.Th("状态 Status"),
                                    ]
                                )
                            ),
                            html.Tbody(
                                [
                                    html.Tr(
                                        [
                                            html.Td(
                                                registry.regions.get(r.region).name_zh
                                                + (f" {SYNTHETIC_MARK}" if r.region in synthetic else "")
                                            ),
                                            html.Td(
                                                f"{_number(r.latest.value, indicator)} ({r.latest.period})"
                                                if r.latest
                                                else "—",
                                                className="num",
                                            ),
                                            html.Td(status_badge(r.status)),
                                        ],
                                        className="region-row",
                                    )
                                    for r in ranked
                                ]
                            ),
                        ],
                        className="targets",
                        id="regions",
                    ),
                ],
                className="card",
            )
        )
    children.append(html.Div(cards, className="cards"))
    children.append(html.P(f"评估日期 As of {as_of:%Y-%m-%d}", className="explain"))
    return html.Div(children)
