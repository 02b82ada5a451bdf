"""The overview page as a pure function of the registry and the overview rows: no database, no request."""

from __future__ import annotations

from collections import defaultdict

from dash import html

from qtm.formatting import STATUS_LABELS, outlook_text, target_text, value_text
from qtm.overview import TargetRow
from qtm.progress import Result, share_of_the_way
from qtm.registry import Registry

SYNTHETIC_MARK = "◆"


def overview_page(registry: Registry, rows: list[TargetRow]) -> html.Div:
    """The whole page, from the rows alone (a pure function: no database, no request)."""
    by_plan: dict[str, list[TargetRow]] = defaultdict(list)
    for row in rows:
        by_plan[row.target.plan].append(row)
    with_data = sum(1 for r in rows if r.latest is not None)
    synthetic = any(r.latest is not None and "synthetic" in r.latest.flags for r in rows)
    children: list[html.Div | html.H1 | html.P] = [
        html.H1(["目标总览", html.Span(" Overview of targets", className="en")]),
        html.P(
            f"{len(rows)} 项目标，其中 {with_data} 项已有数据 · {len(rows)} targets, {with_data} with data",
            className="summary",
            id="overview-summary",
        ),
    ]
    if synthetic:
        children.append(
            html.Div(
                f"{SYNTHETIC_MARK} 标注的数值为合成演示数据，并非官方统计 · Values marked {SYNTHETIC_MARK} are synthetic "
                "demonstration data, not official statistics.",
                className="banner synthetic",
                id="synthetic-banner",
            )
        )
    for plan_id, plan_rows in by_plan.items():
        children.append(_plan_section(registry, plan_id, plan_rows))
    return html.Div(children, className="overview")


def _plan_section(registry: Registry, plan_id: str, rows: list[TargetRow]) -> html.Div:
    plan = registry.plans[plan_id]
    meta = plan.issuer + (f" · {plan.date:%Y-%m-%d}" if plan.date else "")
    tally: dict[str, int] = {}
    for row in rows:
        if row.status is not None:
            tally[row.status.status] = tally.get(row.status.status, 0) + 1
    summary = " · ".join(
        f"{STATUS_LABELS[s][0]} {STATUS_LABELS[s][1]} {n}"
        for s, n in sorted(tally.items(), key=lambda kv: -kv[1])
    )
    return html.Div(
        [
            html.H2([plan.title.zh, html.Span(plan.title.en, className="en block")]),
            html.P(meta, className="plan-meta"),
            html.P(summary, className="plan-meta status-summary"),
            html.Table(
                [
                    html.Thead(
                        html.Tr(
                            [
                                html.Th(["指标", html.Span("Indicator", className="en block")]),
                                html.Th(["地区", html.Span("Region", className="en block")]),
                                html.Th(
                                    ["最新值", html.Span("Latest", className="en block")], className="num"
                                ),
                                html.Th(["统计期", html.Span("Period", className="en block")]),
                                html.Th(["目标", html.Span("Target", className="en block")]),
                                html.Th(["期限", html.Span("Deadline", className="en block")]),
                                html.Th(["条款", html.Span("Clause", className="en block")]),
                                html.Th(["状态", html.Span("Status", className="en block")]),
                            ]
                        )
                    ),
                    html.Tbody([_row(registry, row) for row in rows]),
                ],
                className="targets",
            ),
        ],
        className="plan",
        id=f"plan-{plan_id}",
    )


def _row(registry: Registry, row: TargetRow) -> html.Tr:
    target = row.target
    indicator = registry.indicators[target.indicator]
    region = registry.regions.get(target.jurisdiction)
    latest = row.latest
    if latest is None:
        latest_cell = html.Td("无数据 · no data", className="num missing")
        period = html.Td("—")
    else:
        mark = f" {SYNTHETIC_MARK}" if "synthetic" in latest.flags else ""
        latest_cell = html.Td(
            value_text(latest.value, indicator) + mark, className="num", title=latest.source or ""
        )
        period = html.Td(str(latest.period))
    promise = target_text(registry, target)
    if target.relative is not None:
        promise += (
            f" = {value_text(row.target_value, indicator)}"
            if row.target_value is not None
            else " (基准值待录入 · baseline not yet entered)"
        )
    return html.Tr(
        [
            html.Td(
                [indicator.name.zh, html.Span(indicator.name.en, className="en block")], title=target.quote
            ),
            html.Td([region.name_zh, html.Span(region.name_en, className="en block")]),
            latest_cell,
            period,
            html.Td(promise),
            html.Td(f"{target.deadline:%Y-%m-%d}"),
            html.Td(target.clause, title=target.quote),
            html.Td(
                [
                    status_badge(row.status.status if row.status else None, href=f"/target/{target.id}"),
                    outlook_line(row.status),
                    progress_bar(row.status),
                ]
            ),
        ],
        id=f"target-{target.id}",
        className="target-row",
    )


def status_badge(status: str | None, href: str | None = None) -> html.A | html.Span:
    """A coloured badge: the status in Chinese, with English below; a link to the target's page when given."""
    zh, en = STATUS_LABELS.get(status or "", ("—", "not judged"))
    children = [html.Span(zh, className="zh"), html.Span(en, className="en block")]
    name = f"badge status-{status or 'none'}"
    if href:
        return html.A(children, href=href, className=name)
    return html.Span(children, className=name)


def outlook_line(result: Result | None) -> html.Div | None:
    """Under an awaiting_data badge: the before-deadline status on the data so far."""
    text = outlook_text(result)
    if text is None or result is None:
        return None
    outlook = result.components["outlook"]
    assert isinstance(outlook, dict)
    if outlook.get("latest") is None:  # no data at all: the latest-value column already says so
        return None
    return html.Div(
        [html.Span(text[0], className="zh"), html.Span(text[1], className="en block")],
        className=f"outlook status-text-{outlook['status']}",
    )


def progress_bar(result: Result | None) -> html.Div | None:
    """A thin bar under the badge: the share of the way from the base to the target the latest value covers."""
    share = share_of_the_way(result) if result is not None else None
    if share is None or result is None:
        return None
    width = max(0.0, min(share, 1.0)) * 100
    return html.Div(
        [
            html.Div(
                html.Div(className=f"fill status-{result.status}", style={"width": f"{width:.0f}%"}),
                className="track",
            ),
            html.Span(f"{share * 100:.0f}%", className="share"),
        ],
        className="progress",
        title="基期至目标已完成的比例 · share of the way from the base to the target",
    )
