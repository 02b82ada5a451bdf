"""A region's page as a pure function: the region's own targets, the targets set above it that it is only compared
with (对照参考, never judged as met or missed), and, for a province, its prefectures compared target by target."""

from __future__ import annotations

from dash import dcc, html
from dash.development.base_component import Component

from dashboard.i18n import Lang, t
from dashboard.views.common import (
    SYNTHETIC_MARK,
    chart_href,
    data,
    legend,
    pack_href,
    pack_link,
    png_link,
    region_link,
    synthetic_banner,
)
from dashboard.views.overview import target_card
from qtm.formatting import target_text
from qtm.registry import Registry
from qtm.standings import Standing
from reports.figures import graph_config, ranked_regions_json

#: The region page's cards are redrawn with the whole page; "card-body" would draw the overview's live refresh,
#: which then finds no "cards" grid here and fails in the browser.
_CARD_BODY = "region-card-body"


def region_page(
    registry: Registry,
    code: str,
    standings: list[Standing],
    comparisons: list[tuple[Standing, list[Standing]]],
    lang: Lang,
) -> html.Div:
    """``standings``: every target that applies to the region, as it stands there; ``comparisons``: for each
    target with data below the region, the regions directly under it, best first."""
    region = registry.regions.get(code)
    parent = (
        [
            html.Span(t(lang, "上级：", "Part of: ")),
            region_link(registry, region.parent, lang),
        ]
        if region.parent
        else []
    )
    children_links = [region_link(registry, c.code, lang) for c in registry.regions.children(code)]
    with_data = sum(1 for s in standings if s.result.latest is not None)
    parts: list[Component] = [
        dcc.Link(t(lang, "← 总览", "← Overview"), href="/", className="back"),
        html.H1(t(lang, region.name_zh, region.name_en), id="region-name", **data(region=code)),
        html.P(
            [
                *parent,
                t(
                    lang,
                    f" · 适用目标 {len(standings)} 项，其中 {with_data} 项有本地区数据",
                    f" · {len(standings)} targets apply, {with_data} with data for this region",
                ),
            ],
            className="summary",
        ),
    ]
    if standings:
        parts.append(pack_link(pack_href(f"?region={code}"), lang))
    if any(s.synthetic for s in standings) or any(r.synthetic for _, rows in comparisons for r in rows):
        parts.append(synthetic_banner(lang))
    parts.append(legend(lang))
    parts.extend(_own_and_references(registry, standings, lang))
    if comparisons:
        parts.append(html.H2(t(lang, "下辖地区比较", "Regions under it compared"), className="section"))
        parts.append(
            html.Div([_comparison(registry, own, rows, lang) for own, rows in comparisons], className="cards")
        )
    if children_links:
        parts.append(
            html.Div(
                [
                    html.H2(t(lang, "下辖地区", "Regions under it")),
                    html.Div(children_links, className="region-list"),
                ],
                className="card",
            )
        )
    return html.Div(parts, className="region-page")


def _own_and_references(registry: Registry, standings: list[Standing], lang: Lang) -> list[Component]:
    """A section for the targets the region's own plans set, and one for those set above it (national,
    provincial), with which it is only compared."""
    if not standings:
        return [
            html.P(
                t(lang, "没有适用于本地区的目标。", "No target applies to this region."), className="empty"
            )
        ]
    own = [s for s in standings if s.result.binds]
    references = [s for s in standings if not s.result.binds]
    sections: list[Component] = [
        html.H2(t(lang, "本地区目标", "This region's own targets"), className="section", id="own-targets"),
        html.Div(
            _shared_cards(registry, own, lang),
            className="card-grid",
            id="own-cards",
        )
        if own
        else html.P(
            t(lang, "本地区没有自己的目标。", "No plan sets a target for this region itself."),
            className="empty",
        ),
    ]
    if references:
        sections += [
            html.H2(
                t(lang, "对照上级目标（仅作参考）", "Targets set above it, compared with (reference only)"),
                className="section",
                id="reference-targets",
            ),
            html.P(
                t(
                    lang,
                    "以下目标由全国或上级地区的规划设定，不约束本地区：本地区数值仅与之对照，不判断是否实现，也不计入状态统计。",
                    "These targets are set by national or higher-level plans and do not bind this region: its "
                    "values are compared with them, never judged as met or missed, nor counted.",
                ),
                className="note",
            ),
            html.Div(
                _shared_cards(registry, [s for s in references if s.result.latest is not None], lang),
                className="card-grid",
                id="reference-cards",
            ),
        ]
        without_data = [s for s in references if s.result.latest is None]
        if without_data:
            sections.append(_references_without_data(registry, without_data, lang))
    return sections


def _shared_cards(registry: Registry, standings: list[Standing], lang: Lang) -> list[Component]:
    """One card per indicator: where two plans set the same indicator for the region, the first plan's card also
    names the others and what they promise."""
    by_indicator: dict[str, list[Standing]] = {}
    for standing in standings:
        by_indicator.setdefault(standing.target.indicator, []).append(standing)
    cards: list[Component] = []
    for first, *others in by_indicator.values():
        card = target_card(registry, first, lang, body=_CARD_BODY)
        if others:
            also = [
                html.Div(
                    t(lang, "同一指标亦由", "Also set by ")
                    + t(lang, f"《{p.title.zh}》设定：", f"{p.title.en}: ")
                    + target_text(registry, s.target, lang),
                    className="also-set",
                    **data(target_id=s.target.id),
                )
                for s in others
                for p in [registry.plans[s.target.plan]]
            ]
            body = card.children  # the card's framed body: the lines go under its facts
            body.children = [*body.children, *also]
        cards.append(card)
    return cards


def _references_without_data(registry: Registry, standings: list[Standing], lang: Lang) -> html.Ul:
    """A higher target the region has no value for: one line (name, plan, target), never an empty gauge."""
    lines = []
    for standing in standings:
        target = standing.target
        indicator, plan = registry.indicators[target.indicator], registry.plans[target.plan]
        lines.append(
            html.Li(
                [
                    dcc.Link(t(lang, indicator.name.zh, indicator.name.en), href=f"/target/{target.id}"),
                    html.Span(f" · {t(lang, plan.title.zh, plan.title.en)} · "),
                    html.Span(target_text(registry, target, lang)),
                    html.Span(
                        t(lang, " · 本地区暂无数据", " · no data for this region yet"), className="muted"
                    ),
                ],
                **data(target_id=target.id),
            )
        )
    return html.Ul(lines, className="reference-lines", id="reference-without-data")


def _comparison(registry: Registry, own: Standing, rows: list[Standing], lang: Lang) -> html.Div:
    target = own.target
    indicator = registry.indicators[target.indicator]
    bars = [
        (
            t(lang, registry.regions.get(s.region).name_zh, registry.regions.get(s.region).name_en)
            + (f" {SYNTHETIC_MARK}" if "synthetic" in s.latest_flags else ""),
            s.result.latest.value,
            s.result.latest.period,
            s.status,
        )
        for s in rows
        if s.result.latest is not None
    ]
    figure = ranked_regions_json(indicator, own.result.target_value, bars, lang)
    return html.Div(
        [
            dcc.Link(
                t(lang, indicator.name.zh, indicator.name.en),
                href=f"/target/{target.id}",
                className="card-title",
            ),
            dcc.Graph(figure=figure, config=graph_config(lang, f"{target.id}-regions"), className="ranked"),
            png_link(chart_href(target.id, own.region, "regions"), "regions", lang),
        ],
        className="card comparison",
        **data(target_id=target.id),
    )


def unknown_region_page(lang: Lang) -> html.Div:
    return html.Div(
        [
            html.H1(t(lang, "未找到该地区", "No such region")),
            dcc.Link(t(lang, "← 返回总览", "← Back to the overview"), href="/"),
        ]
    )
