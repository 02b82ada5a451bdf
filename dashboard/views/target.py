"""A target's page as a pure function: its promise, a large gauge, the trend, every status component, the regions
ranked and the data with their revision history."""

from __future__ import annotations

import re
from collections import defaultdict
from urllib.parse import urlencode

from dash import dcc, html
from dash.development.base_component import Component

from dashboard.i18n import Lang, pair, t
from dashboard.views.common import (
    SYNTHETIC_MARK,
    chart_href,
    data,
    outlook_line,
    png_link,
    region_link,
    status_badge,
    synthetic_banner,
)
from qtm.formatting import (
    METHOD_LABELS,
    clause_text,
    flags_text,
    is_traditional,
    outlook_text,
    simplified,
    source_text,
    target_text,
    value_text,
)
from qtm.observations import Observation
from qtm.progress import AboutReading, Relative, Result, Trend
from qtm.registry import Indicator, Registry, Target
from qtm.standings import Standing
from qtm.store import StoredObservation
from reports.figures import gauge_json, graph_config, target_chart

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


def target_page(
    registry: Registry,
    own: Standing,
    regions: list[Standing],
    history: list[StoredObservation],
    lang: Lang,
    withdrawals: frozenset[int] = frozenset(),
) -> html.Div:
    """``own``: the target in its jurisdiction; ``regions``: the regions under it with data, ranked;
    ``history``: every stored row of the jurisdiction's values (current and superseded); ``withdrawals``: the ids
    of the batches that are withdrawals (a value one of them ended was withdrawn, not superseded)."""
    target = own.target
    indicator = registry.indicators[target.indicator]
    revised = frozenset(p for p, rows in _by_period(history).items() if len(rows) > 1)
    children: list[Component] = [
        dcc.Link(t(lang, "← 总览", "← Overview"), href="/", className="back"),
        _head(registry, own, lang),
    ]
    if own.synthetic or any(r.synthetic for r in regions):
        children.append(synthetic_banner(lang))
    children.append(_trend(registry, own, revised, lang))
    children.append(
        html.Div(
            [_components_card(own, indicator, lang), _regions_card(registry, target, regions, lang)],
            className="cards",
        )
    )
    children.append(_data_card(history, indicator, lang, withdrawals))
    return html.Div(children, **data(target_id=target.id))


def _head(registry: Registry, own: Standing, lang: Lang) -> html.Div:
    target, result = own.target, own.result
    indicator = registry.indicators[target.indicator]
    plan = registry.plans[target.plan]
    return html.Div(
        [
            html.Div(
                [
                    html.H1(t(lang, indicator.name.zh, indicator.name.en)),
                    html.P(
                        [
                            region_link(registry, target.jurisdiction, lang),
                            f" · {t(lang, '目标', 'Target')} {target_text(registry, target, lang)}",
                            f" · {t(lang, '期限', 'Deadline')} {target.deadline:%Y-%m-%d}",
                        ],
                        className="summary",
                    ),
                    html.Div(
                        [status_badge(result.status, lang), outlook_line(result, lang)], id="target-status"
                    ),
                    _quote(target, t(lang, plan.title.zh, plan.title.en), lang),
                ],
                className="head-text",
            ),
            html.Div(
                [
                    dcc.Graph(
                        figure=gauge_json(target, indicator, result, lang, height=260),
                        config=graph_config(lang, target.id, static=True),
                        className="gauge large",
                        id="target-gauge",
                    ),
                    png_link(chart_href(target.id, own.region, "gauge"), "gauge", lang),
                ],
                className="head-gauge",
            ),
        ],
        className="target-head",
    )


def _quote(target: Target, plan_title: str, lang: Lang) -> html.Blockquote:
    """The plan's wording, attributed: to the plan's seed, or to the published text it was taken from instead. A
    quote stored in traditional characters (as its source has it) reads in simplified ones in Chinese, and says
    so."""
    quote = simplified(target.quote) if lang == "zh" else target.quote
    attribution = [
        html.Div(f"—— {plan_title} {clause_text(target.clause, lang)}", className="attribution", id="clause")
    ]
    if is_traditional(target.quote):
        attribution.append(
            html.Div(
                t(
                    lang,
                    "（原文为繁体字，此处以简体字显示。）",
                    "(The source is in traditional characters.)",
                ),
                className="attribution traditional",
                id="traditional-note",
            )
        )
    if target.quote_source:
        attribution.append(
            html.Div(
                f"{t(lang, '引自：', 'Quoted from: ')}{target.quote_source}", className="attribution source"
            )
        )
    return html.Blockquote([html.Div(f"“{quote}”"), *attribution], className="quote", id="quote")


def _trend(registry: Registry, own: Standing, revised: frozenset[str], lang: Lang) -> html.Div:
    target = own.target
    series = list(own.series)
    parts: list[Component] = []
    if not series:
        parts.append(_no_data(target, lang))
    if series or own.result.target_value is not None:
        figure = target_chart(registry, target, series, own.result, lang=lang, revised=revised)
        parts.append(dcc.Graph(figure=figure, id="trend", config=graph_config(lang, target.id)))
    parts.append(png_link(chart_href(target.id, own.region, "trend"), "trend", lang))
    return html.Div(parts, className="card")


def _no_data(target: Target, lang: Lang) -> html.Div:
    """What to do when nothing is in yet: which return to upload, with the template and the upload page."""
    template = "/template.xlsx?" + urlencode({"plan": target.plan})
    return html.Div(
        [
            html.P(
                t(
                    lang,
                    "本目标尚无数据。请上报含本指标数值的报表（Excel 或 CSV），可先下载本规划的填报模板。",
                    "No data for this target yet. Upload a return (Excel or CSV) holding this indicator's values; "
                    "the plan's fill-in template is a good start.",
                )
            ),
            html.A(t(lang, "下载填报模板", "Download the template"), href=template, className="button"),
            dcc.Link(t(lang, "前往数据上报", "Go to upload"), href="/upload", className="button"),
        ],
        className="empty-state",
        id="no-data",
    )


def _components_card(own: Standing, indicator: Indicator, lang: Lang) -> html.Div:
    result = own.result
    zh, en = _EXPLAIN[result.method]
    return html.Div(
        [
            html.H2(t(lang, "判断依据", "How the status is judged")),
            html.Table(
                html.Tbody(
                    [
                        html.Tr([html.Th(label), html.Td(value)])
                        for label, value in component_rows(result, indicator, lang)
                    ]
                ),
                className="components",
                id="components",
            ),
            html.P(t(lang, zh, en), className="explain"),
        ],
        className="card",
    )


def _regions_card(registry: Registry, target: Target, regions: list[Standing], lang: Lang) -> html.Div:
    indicator = registry.indicators[target.indicator]
    if not regions:
        body: Component = html.P(
            t(lang, "下辖地区尚无数据。", "No region under this jurisdiction has data yet."),
            className="empty",
        )
    else:
        body = html.Table(
            [
                html.Thead(
                    html.Tr(
                        [
                            html.Th(t(lang, "地区", "Region")),
                            html.Th(t(lang, "最新值", "Latest"), className="num"),
                            html.Th(t(lang, "状态", "Status")),
                        ]
                    )
                ),
                html.Tbody(
                    [
                        html.Tr(
                            [
                                html.Td(
                                    region_link(
                                        registry,
                                        s.region,
                                        lang,
                                        mark=f" {SYNTHETIC_MARK}" if s.synthetic else "",
                                    )
                                ),
                                html.Td(
                                    f"{value_text(s.result.latest.value, indicator, lang)} ({s.result.latest.period})"
                                    if s.result.latest
                                    else "—",
                                    className="num",
                                ),
                                html.Td(status_badge(s.status, lang)),
                            ],
                            className="region-row",
                            **data(region=s.region),
                        )
                        for s in regions
                    ]
                ),
            ],
            className="targets",
            id="regions",
        )
    export = (
        [png_link(chart_href(target.id, target.jurisdiction, "regions"), "regions", lang)]
        if len(regions) > 1
        else []
    )
    return html.Div(
        [html.H2(t(lang, "各地区（最好在前）", "Regions, best first")), body, *export], className="card"
    )


def _by_period(history: list[StoredObservation]) -> dict[str, list[StoredObservation]]:
    grouped: dict[str, list[StoredObservation]] = defaultdict(list)
    for row in history:
        grouped[row.observation.period.text].append(row)
    return grouped


#: Periods the data table shows, the latest; the command line prints every one (qtm history).
DATA_TABLE_PERIODS = 24


def _data_card(
    history: list[StoredObservation], indicator: Indicator, lang: Lang, withdrawals: frozenset[int]
) -> html.Div:
    """The latest periods' values with their revisions: the current one first, each with its flags and source
    batch. A long monthly history shows its latest periods and says where the rest is."""
    if not history:
        return html.Div()
    periods = sorted(_by_period(history).items(), key=lambda kv: kv[1][0].observation.period.sort_key())
    shown = periods[-DATA_TABLE_PERIODS:]
    rows = [
        _data_row(period if number == 0 else "", row, indicator, lang, withdrawals)
        for period, versions in shown
        for number, row in enumerate(sorted(versions, key=lambda r: r.batch_id, reverse=True))
    ]
    head = [
        ("统计期", "Period"),
        ("数值", "Value"),
        ("标记", "Flags"),
        ("状态", "State"),
        ("批次", "Batch"),
        ("来源", "Source"),
    ]
    return html.Div(
        [
            html.H2(t(lang, "数据及修订记录", "Data and revisions")),
            *_more_periods(len(periods), len(shown), history[0].observation, lang),
            html.Table(
                [html.Thead(html.Tr([html.Th(t(lang, *h)) for h in head])), html.Tbody(rows)],
                className="targets data",
                id="data-table",
            ),
        ],
        className="card",
    )


def _more_periods(total: int, shown: int, any_row: Observation, lang: Lang) -> list[html.P]:
    if total <= shown:
        return []
    command = f"qtm history --indicator {any_row.indicator} --region {any_row.region}"
    return [
        html.P(
            t(
                lang,
                f"显示最近 {shown} 个统计期（共 {total} 个）；全部数值及修订记录：{command}",
                f"The latest {shown} of {total} periods; every value and revision: {command}",
            ),
            className="summary",
            id="data-table-more",
        )
    ]


def _data_row(
    period: str, row: StoredObservation, indicator: Indicator, lang: Lang, withdrawals: frozenset[int]
) -> html.Tr:
    o = row.observation
    flags = flags_text(o.flags, lang)
    if row.superseded_by is None:
        state = t(lang, "现行", "current")
    elif row.superseded_by in withdrawals:
        state = t(lang, f"已被批次 {row.superseded_by} 撤回", f"withdrawn by batch {row.superseded_by}")
    else:
        state = t(lang, f"已被批次 {row.superseded_by} 取代", f"superseded by batch {row.superseded_by}")
    return html.Tr(
        [
            html.Td(period),
            html.Td(value_text(o.value, indicator, lang), className="num"),
            html.Td(flags),
            html.Td(state),
            html.Td(str(row.batch_id)),
            html.Td(source_text(o.source, lang), className="source"),
        ],
        className="data-row" + (" superseded" if row.superseded_by is not None else ""),
    )


def _number(value: object, indicator: Indicator, lang: Lang) -> str:
    return value_text(float(value), indicator, lang) if isinstance(value, int | float) else "—"


def _rate(value: object) -> str:
    return f"{float(value) * 100:.2f} %" if isinstance(value, int | float) else "—"


def component_rows(result: Result, indicator: Indicator, lang: Lang) -> list[tuple[str, str]]:
    """(label, value) for every component of a result, for a person to check by hand."""
    c = result.components
    rows: list[tuple[str, str]] = [(t(lang, "方法", "Method"), pair(lang, METHOD_LABELS[result.method]))]
    for point, zh, en in (
        (c.base, "基期", "Base"),
        (c.latest, "最新值", "Latest"),
        (c.final, "期限期数值", "Deadline-period value"),
    ):
        if point is not None:
            rows.append((t(lang, zh, en), f"{_number(point.value, indicator, lang)} ({point.period})"))
    rows.extend(_relative_rows(c.relative, indicator, lang))
    rows.append((t(lang, "目标值", "Target value"), _number(result.target_value, indicator, lang)))
    rows.extend(_about_rows(c.about, indicator, lang))
    rows.append((t(lang, "期限", "Deadline"), result.deadline.isoformat()))
    rows.append((t(lang, "评估日期", "As of"), c.as_of.isoformat()))
    rows.extend(_method_rows(result, indicator, lang))
    rows.extend(_trend_rows(c.trend, lang))
    for milestone in c.milestones:
        met = t(lang, "达成", "met") if milestone.met else t(lang, "未达成", "missed")
        rows.append(
            (
                t(lang, "阶段目标", "Milestone"),
                f"{milestone.date}: {milestone.value} → {milestone.actual} ({met})",
            )
        )
    outlook = outlook_text(result)
    if outlook is not None:
        rows.append((t(lang, "展望", "Outlook"), t(lang, *outlook)))
    if c.reason:
        rows.append((t(lang, "说明", "Note"), reason_text(c.reason, lang)))
    return rows


_REASONS_ZH = (
    (r"^no data$", "无数据"),
    (r"^needs at least two values from the base period on$", "需要基期及以后至少两个数值"),
    (r"^needs a base-year value and a later one$", "需要基期数值和之后的一个数值"),
    (r"^no base-year value to compare with$", "没有可比较的基期数值"),
    (r"^no value for the base year \((\d{4})\)$", r"缺少基期（\1年）数值，请上报"),
    (r"^change within the series' own noise \(基本持平\)$", "变化未超出数据自身的波动（基本持平）"),
    (r"^no value yet for the deadline period \((\d{4})\)$", r"期限期（\1年）尚无数值"),
    (
        r"^no baseline value for a period no later than (\S+) \(基准值待录入\)$",
        r"基准值待录入：需要不晚于 \1 的数值",
    ),
    (
        r"^no baseline value for a period no later than (\S+) \(基准值待录入\); later values \((.*)\) do not move the target$",
        r"基准值待录入：需要不晚于 \1 的数值（之后的 \2 数值不改变目标）",
    ),
    (
        r"^base and latest \(or target\) have opposite signs: growth rates do not exist$",
        "基期值与最新值（或目标值）符号相反，增长率不存在",
    ),
    (r"^the values are too far apart for a growth rate in floating point$", "数值相差过大，无法计算增长率"),
)


def reason_text(reason: str, lang: Lang) -> str:
    """A status's reason in the page's language (``qtm status --json`` keeps the English the contract fixes)."""
    if lang == "en":
        return reason.replace(" (基准值待录入)", "").replace(" (基本持平)", "")
    for pattern, chinese in _REASONS_ZH:
        match = re.match(pattern, reason)
        if match:
            return match.expand(chinese)
    return reason


_TREND_VERDICTS = {
    "improved": ("超出波动的改善", "improved beyond the noise"),
    "stable": ("基本持平", "stable (within the noise)"),
    "worse": ("超出波动的恶化", "worse beyond the noise"),
}


def _trend_rows(trend: Trend | None, lang: Lang) -> list[tuple[str, str]]:
    """A direction-only target's trend (qtm.progress.direction_trend): the numbers its verdict rests on."""
    if trend is None:
        return []
    error = trend.standard_error
    return [
        (t(lang, "趋势斜率（每年）", "Trend slope (a year)"), f"{float(trend.slope_per_year):.4g}"),
        (t(lang, "斜率标准误", "Its standard error"), "—" if error is None else f"{float(error):.4g}"),
        (
            t(lang, "拟合变化 / 波动阈值", "Fitted change / noise"),
            f"{float(trend.fitted_change):.4g} / {float(trend.noise):.4g}",
        ),
        (
            t(lang, "年均增长 / 下限", "Annual growth / floor"),
            f"{_rate(trend.annual_growth)} / {_rate(trend.floor)}",
        ),
        (t(lang, "趋势判断", "Trend"), t(lang, *_TREND_VERDICTS[trend.verdict])),
    ]


def _method_rows(result: Result, indicator: Indicator, lang: Lang) -> list[tuple[str, str]]:
    """The workings of the result's method (none for a comparison)."""
    detail = result.detail
    if detail is None:
        return []
    rows: list[tuple[str, str]] = []
    growth = result.components.growth_ratio if result.method == "growth_ratio" else None
    path = result.components.expected_path if result.method == "expected_path" else None
    if growth is not None and growth.reason is None:
        rows.append((t(lang, "实际年均增长率", "Actual annual growth"), _rate(growth.actual_rate)))
        rows.append((t(lang, "所需年均增长率", "Required annual growth"), _rate(growth.required_rate)))
        rows.append((t(lang, "比值 R", "Ratio R"), f"{float(growth.ratio or 0):.3f}"))
    projection = detail.projection
    if projection is not None:
        band = projection.band
        band_text = (
            f" [{_number(band[0], indicator, lang)} – {_number(band[1], indicator, lang)}]"
            if band is not None
            else ""
        )
        rows.append(
            (
                t(lang, "期限预测值", "Projection at the deadline"),
                _number(projection.value, indicator, lang) + band_text,
            )
        )
    if detail.score is not None:
        rows.append((t(lang, "得分", "Score"), f"{float(detail.score):.3f}"))
    gap_closure = path.gap_closure if path is not None else None
    if gap_closure is not None:
        rows.append((t(lang, "差距缩小比例", "Gap closure so far"), f"{float(gap_closure):.3f}"))
    rows.append((t(lang, "阈值", "Thresholds"), " / ".join(str(x) for x in detail.thresholds)))
    if growth is not None and growth.reason:
        rows.append((t(lang, "说明", "Note"), reason_text(growth.reason, lang)))
    return rows


def _relative_rows(relative: Relative | None, indicator: Indicator, lang: Lang) -> list[tuple[str, str]]:
    """The baseline a relative target stands on: the value in force when the plan was issued."""
    if relative is None:
        return []
    until = relative.baseline_no_later_than
    rule = t(lang, f"不晚于 {until} 的最新值", f"latest up to {until}")
    label = t(lang, "基准值", "Baseline (data)")
    if relative.baseline_period is None:
        return [(label, t(lang, f"待录入（{rule}）", f"not entered ({rule})"))]
    value = _number(relative.baseline_value, indicator, lang)
    return [(label, f"{value} ({relative.baseline_period}) × {relative.factor} — {rule}")]


def _about_rows(about: AboutReading | None, indicator: Indicator, lang: Lang) -> list[tuple[str, str]]:
    """How an 'about N' target is read: its band, and by how much it is exceeded."""
    if about is None:
        return []
    low, high = about.band
    goal = _number(about.goal, indicator, lang)
    rows = [
        (
            t(lang, "约数目标", "About N"),
            f"{_number(low, indicator, lang)} – {_number(high, indicator, lang)}；"
            + t(
                lang,
                f"达到 {goal} 即达成，超出为超额完成",
                f"reaching {goal} meets it; beyond the band is exceeded, not missed",
            ),
        )
    ]
    if about.exceeded_by is not None:
        rows.append((t(lang, "超额完成", "Exceeded by"), f"{float(about.exceeded_by) * 100:.0f} %"))
    return rows


def unknown_target_page(lang: Lang) -> html.Div:
    return html.Div(
        [
            html.H1(t(lang, "未找到该目标", "No such target")),
            dcc.Link(t(lang, "← 返回总览", "← Back to the overview"), href="/"),
        ]
    )
