"""The overview page as a pure function: status counts per plan, the filters, and one card per target with its
gauge. No database, no request: the page module queries and passes the standings in."""

from __future__ import annotations

from collections import Counter
from urllib.parse import urlencode

from dash import dcc, html
from dash.development.base_component import Component

from dashboard.i18n import Lang, pair, t
from dashboard.views.common import (
    SYNTHETIC_MARK,
    chart_href,
    data,
    legend,
    outlook_line,
    pack_href,
    pack_link,
    png_link,
    region_link,
    status_badge,
    synthetic_banner,
)
from qtm.formatting import CATEGORY_LABELS, STATUS_LABELS, target_text, value_text
from qtm.progress import STATUS_ORDER
from qtm.registry import Registry
from qtm.standings import Filters, Standing
from reports.figures import gauge_json, graph_config, sparkline


def overview_page(
    registry: Registry, cards: list[Standing], every: list[Standing], filters: Filters, lang: Lang
) -> html.Div:
    """``cards``: the standings the filters keep, in display order; ``every``: all targets in their own
    jurisdiction (for the per-plan counts, which ignore the status filter)."""
    return html.Div(
        [
            html.H1(t(lang, "目标总览", "Overview of targets")),
            html.P(
                t(
                    lang,
                    f"共 {len(every)} 项目标，显示 {len(cards)} 项 · 评估日期 {_as_of(cards, every)}",
                    f"{len(every)} targets, {len(cards)} shown · as of {_as_of(cards, every)}",
                ),
                className="summary",
                id="overview-summary",
            ),
            *([synthetic_banner(lang)] if any(s.synthetic for s in every) else []),
            plan_summaries(registry, every, filters, lang),
            filter_bar(registry, filters, lang),
            pack_link(pack_href(filters_query(filters)), lang),
            legend(lang),
            html.Div(id="overview-body", children=card_grid(registry, cards, lang)),
            dcc.Store(id="card-keys", data=card_keys(cards)),
        ],
        className="overview",
    )


def filters_query(filters: Filters) -> str:
    """The URL query that shows ``filters`` ("" for none)."""
    chosen = {
        "plan": filters.plan,
        "jurisdiction": filters.jurisdiction,
        "category": filters.category,
        "status": filters.status,
        "as_of": filters.as_of.isoformat() if filters.as_of else None,
    }
    kept = {k: v for k, v in chosen.items() if v}
    return "?" + urlencode(kept) if kept else ""


def _as_of(*groups: list[Standing]) -> str:
    for group in groups:
        if group:
            return group[0].result.components.as_of.isoformat()
    return ""


def card_keys(cards: list[Standing]) -> list[list[str]]:
    """What each card shows, in order, as [card id, fingerprint]: a live refresh redraws only the cards whose
    fingerprint changed, and leaves the others' gauges alone."""
    return [[card_key(s), _fingerprint(s)] for s in cards]


def _fingerprint(standing: Standing) -> str:
    result = standing.result
    latest = result.latest
    return "|".join(
        str(part)
        for part in (
            result.status,
            latest and (latest.period, latest.value),
            result.target_value,
            None if result.components.outlook is None else result.components.outlook.as_json(),
            sorted(standing.latest_flags),
            sorted((o.period.text, o.value) for o in standing.series),
        )
    )


def card_grid(registry: Registry, cards: list[Standing], lang: Lang) -> html.Div:
    return html.Div(cards_in_grid(registry, cards, lang), className="card-grid", id="cards")


def cards_in_grid(registry: Registry, cards: list[Standing], lang: Lang) -> list[html.Div] | html.P:
    if not cards:
        return html.P(
            t(lang, "没有符合筛选条件的目标。", "No target matches these filters."),
            className="empty",
            id="no-cards",
        )
    return [target_card(registry, s, lang) for s in cards]


def plan_summaries(registry: Registry, every: list[Standing], filters: Filters, lang: Lang) -> html.Div:
    """One summary card per plan: its status counts, each a link that filters the overview to them."""
    by_plan: dict[str, Counter[str]] = {}
    for standing in every:
        by_plan.setdefault(standing.target.plan, Counter())[standing.status] += 1
    boxes = []
    for plan_id, tally in by_plan.items():
        plan = registry.plans[plan_id]
        chips = [
            html.Span(
                dcc.Link(
                    [html.Span(str(tally[s]), className="count"), pair(lang, STATUS_LABELS[s])],
                    href="/?" + urlencode({"plan": plan_id, "status": s}),
                ),
                className=f"chip status-{s}",
                **data(status=s),
            )
            for s in STATUS_ORDER
            if tally[s]
        ]
        boxes.append(
            html.Div(
                [
                    dcc.Link(t(lang, plan.title.zh, plan.title.en), href="/?" + urlencode({"plan": plan_id})),
                    html.Div(
                        t(lang, f"{sum(tally.values())} 项目标", f"{sum(tally.values())} targets"),
                        className="plan-meta",
                    ),
                    html.Div(chips, className="chips"),
                ],
                className="plan-summary" + (" selected" if filters.plan == plan_id else ""),
                **data(plan=plan_id),
            )
        )
    return html.Div(boxes, className="plan-summaries", id="plan-summaries")


def filter_bar(registry: Registry, filters: Filters, lang: Lang) -> html.Div:
    """Plan, jurisdiction, category, status, as-of date and order; their values live in the URL."""
    options = _filter_options(registry, lang)
    return html.Div(
        [
            _dropdown("plan", filters.plan, options["plan"], t(lang, "规划", "Plan"), lang),
            _dropdown(
                "jurisdiction",
                filters.jurisdiction,
                options["jurisdiction"],
                t(lang, "地区", "Jurisdiction"),
                lang,
            ),
            _dropdown("category", filters.category, options["category"], t(lang, "领域", "Category"), lang),
            _dropdown("status", filters.status, options["status"], t(lang, "状态", "Status"), lang),
            _as_of_filter(filters, lang),
            _order_filter(filters, lang),
        ],
        className="filter-bar",
        id="filters",
    )


def _filter_options(registry: Registry, lang: Lang) -> dict[str, list[dict[str, str]]]:
    """The choices of each dropdown of the filter bar, in ``lang``."""
    regions = registry.regions
    jurisdictions = sorted({t_.jurisdiction for t_ in registry.targets.values()})
    return {
        "plan": [{"label": t(lang, p.title.zh, p.title.en), "value": p.id} for p in registry.plans.values()],
        "jurisdiction": [
            {"label": t(lang, regions.get(c).name_zh, regions.get(c).name_en), "value": c}
            for c in jurisdictions
        ],
        "category": [{"label": pair(lang, v), "value": k} for k, v in CATEGORY_LABELS.items()],
        "status": [
            {"label": pair(lang, STATUS_LABELS[s]), "value": s} for s in STATUS_ORDER if s != "reference"
        ],
    }


def _dropdown(
    name: str, value: str | None, options: list[dict[str, str]], title: str, lang: Lang
) -> html.Label:
    """One filter of the bar: a titled dropdown (empty: all)."""
    return html.Label(
        [
            html.Span(title),
            dcc.Dropdown(
                id=f"filter-{name}",
                options=options,
                value=value,
                placeholder=t(lang, "全部", "All"),
                clearable=True,
                searchable=False,
            ),
        ],
        className="filter",
    )


def _as_of_filter(filters: Filters, lang: Lang) -> html.Label:
    """The as-of date (YYYY-MM-DD; empty: today)."""
    return html.Label(
        [
            html.Span(t(lang, "评估日期", "As of")),
            dcc.Input(
                id="filter-as-of",
                type="text",
                value=filters.as_of.isoformat() if filters.as_of else None,
                placeholder=t(lang, "今天 (YYYY-MM-DD)", "today (YYYY-MM-DD)"),
                pattern=r"\d{4}-\d{2}-\d{2}",
                debounce=True,
                size="12",
            ),
        ],
        className="filter",
    )


def _order_filter(filters: Filters, lang: Lang) -> html.Label:
    """The order of the cards: the worst first, or the plan's."""
    return html.Label(
        [
            html.Span(t(lang, "排序", "Order")),
            dcc.RadioItems(
                id="filter-order",
                options=[
                    {"label": t(lang, "最需关注在前", "Worst first"), "value": "worst"},
                    {"label": t(lang, "按规划顺序", "Plan order"), "value": "plan"},
                ],
                value=filters.order,
                inline=True,
            ),
        ],
        className="filter",
    )


def card_key(standing: Standing) -> str:
    return f"{standing.target.id}-{standing.region}"


def card_class(standing: Standing) -> str:
    return f"target-card status-border-{standing.status}"


def target_card(registry: Registry, standing: Standing, lang: Lang, *, body: str = "card-body") -> html.Div:
    """A card: gauge, status (colour and label), outlook, latest value, target, deadline, sparkline. Its body is
    addressed by ``{"type": body, "card": key}``, so that the overview's live refresh can redraw one card alone
    (another page passes its own ``body``, out of that refresh's reach)."""
    return html.Div(
        html.Div(
            card_content(registry, standing, lang),
            className=card_class(standing),
            id={"type": body, "card": card_key(standing)},
        ),
        className="card-slot",
        **data(target_id=standing.target.id, region=standing.region),
    )


def card_content(registry: Registry, standing: Standing, lang: Lang) -> list[Component]:
    """What a card shows."""
    target, result = standing.target, standing.result
    indicator = registry.indicators[target.indicator]
    latest = result.latest
    mark = f" {SYNTHETIC_MARK}" if "synthetic" in standing.latest_flags else ""
    provisional = t(lang, "（初步）", " (provisional)") if "provisional" in standing.latest_flags else ""
    latest_text = (
        f"{value_text(latest.value, indicator, lang)} ({latest.period}){provisional}{mark}"
        if latest is not None
        else t(lang, "无数据", "no data")
    )
    promise = target_text(registry, target, lang)
    if target.relative is not None and result.target_value is not None:
        promise += f" = {value_text(result.target_value, indicator, lang)}"
    name = t(lang, indicator.name.zh, indicator.name.en)
    plan = registry.plans[target.plan]
    return [
        html.Div(
            [
                dcc.Link(name, href=f"/target/{target.id}", className="card-title stretched"),
                region_link(registry, standing.region, lang),
            ],
            className="card-head",
        ),
        html.Div(
            t(lang, plan.title.zh, plan.title.en),
            className="card-plan",
            title=t(lang, plan.title.zh, plan.title.en),
        ),
        dcc.Graph(
            figure=gauge_json(target, indicator, result, lang),
            config=graph_config(lang, target.id, static=True),
            className="gauge",
            id={"type": "gauge", "target": target.id, "region": standing.region},
        ),
        html.Div(
            [status_badge(result.status, lang), outlook_line(result, lang)],
            className="card-status",
        ),
        png_link(chart_href(target.id, standing.region, "gauge"), "gauge", lang),
        html.Dl(
            [
                html.Dt(t(lang, "最新值", "Latest")),
                html.Dd(latest_text, className="latest", title=standing.latest_source or ""),
                html.Dt(t(lang, "目标", "Target")),
                html.Dd(promise),
                html.Dt(t(lang, "期限", "Deadline")),
                html.Dd(f"{target.deadline:%Y-%m-%d}"),
            ],
            className="facts",
        ),
        html.Img(
            src=sparkline(standing.series, result.status, t(lang, "历年数值", "values over time")),
            alt=t(lang, f"{name}历年数值走势", f"{name}: values over time"),
            className="sparkline",
        ),
    ]
