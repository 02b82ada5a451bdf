"""Pieces every page shares: status badges (colour and label, never colour alone), region links, the outlook line,
the status legend and the synthetic-data banner. Pure functions of their arguments."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from dash import dcc, html

from dashboard.i18n import Lang, pair, t
from qtm.formatting import STATUS_LABELS, outlook_text
from qtm.progress import STATUS_ORDER, Result
from qtm.registry import Registry

SYNTHETIC_MARK = "◆"


def data(**values: object) -> dict[str, Any]:
    """HTML data attributes for a component (the contract automated checks rely on): data(target_id="x") →
    {"data-target-id": "x"}."""
    return {"data-" + key.replace("_", "-"): value for key, value in values.items()}


#: What each status means, for the legend.
STATUS_MEANINGS: dict[str, tuple[str, str]] = {
    "met": ("期限已过，期限期数值达到目标", "deadline passed; the deadline period's value meets the target"),
    "achieved": ("最新值已达到目标", "the latest value already meets the target"),
    "on_track": ("按现有趋势可按期实现", "on the present trend the target is reached in time"),
    "needs_acceleration": ("有进展，但需加快才能按期实现", "progressing, but too slowly to reach it in time"),
    "limited_progress": ("进展很小", "little progress towards the target"),
    "deteriorating": ("与目标方向相反", "moving away from the target"),
    "missed": ("期限已过，期限期数值未达到目标", "deadline passed; the deadline period's value falls short"),
    "awaiting_data": (
        "期限已过，期限期数据尚未上报（附按现有数据的展望）",
        "deadline passed, its value not yet reported (with the outlook on the data so far)",
    ),
    "insufficient_data": ("数据不足，无法判断", "too little data to judge"),
    "reference": (
        "上级（全国、全省）目标，本地区仅作对照，不判断是否实现",
        "a target set above this region (national, provincial): compared with, never judged as met or missed",
    ),
}


def status_badge(status: str | None, lang: Lang, href: str | None = None) -> html.Span:
    """A coloured badge carrying ``data-status``; a link to the target's page when given."""
    label = pair(lang, STATUS_LABELS[status]) if status in STATUS_LABELS else t(lang, "未评估", "not judged")
    name = f"badge status-{status or 'none'}"
    content: str | dcc.Link = dcc.Link(label, href=href) if href else label
    return html.Span(content, className=name, **data(status=status or "none"))


def region_link(registry: Registry, code: str, lang: Lang, *, mark: str = "") -> dcc.Link:
    region = registry.regions.get(code)
    return dcc.Link(
        t(lang, region.name_zh, region.name_en) + mark, href=f"/region/{code}", className="region-link"
    )


def outlook_line(result: Result | None, lang: Lang) -> html.Div | None:
    """Under an awaiting-data badge: where the data so far were heading (nothing where there are no data)."""
    text = outlook_text(result)
    outlook = result.components.outlook if result is not None else None
    if text is None or outlook is None or outlook.latest is None:
        return None
    return html.Div(
        t(lang, *text),
        className=f"outlook status-text-{outlook.status}",
        **data(outlook=outlook.status),
    )


def legend(lang: Lang) -> html.Details:
    return html.Details(
        [
            html.Summary(t(lang, "状态说明", "What the statuses mean")),
            html.Ul(
                [
                    html.Li(
                        [
                            html.Span(pair(lang, STATUS_LABELS[s]), className=f"badge status-{s}"),
                            html.Span(t(lang, *STATUS_MEANINGS[s]), className="meaning"),
                        ]
                    )
                    for s in STATUS_ORDER
                ]
            ),
            html.P(
                t(
                    lang,
                    "期限前按增长率比值法（有基期时）或预期路径法判断进展，期限后将期限期数值与目标直接比较；"
                    "每个目标页列出判断所用的全部计算要素，可逐项核对。",
                    "Before the deadline progress is judged by the growth ratio (with a base) or the expected "
                    "path; after it, the deadline period's value is compared with the target. Each target's page "
                    "lists every component of its status, to check by hand.",
                ),
                className="explain",
            ),
        ],
        className="legend",
        id="legend",
    )


def synthetic_banner(lang: Lang) -> html.Div:
    return html.Div(
        t(
            lang,
            f"{SYNTHETIC_MARK} 标注的数值为合成演示数据，并非官方统计。",
            f"Values marked {SYNTHETIC_MARK} are synthetic demonstration data, not official statistics.",
        ),
        className="banner synthetic",
        id="synthetic-banner",
    )


def pack_href(search: str | None) -> str:
    """The report pack of a page whose URL query is ``search`` (the overview's filters, or ``?region=CODE``)."""
    return "/export/pack.zip" + (search or "")


def chart_href(target: str, region: str, kind: str) -> str:
    """One chart as a PNG drawn on the server (dashboard.downloads)."""
    return "/export/chart.png?" + urlencode({"target": target, "region": region, "kind": kind})


def png_link(href: str, kind: str, lang: Lang) -> html.A:
    """A download of one chart as a report-ready PNG, drawn on the server."""
    return html.A(
        t(lang, "⤓ 导出PNG", "⤓ PNG"),
        href=href,
        className="export-link",
        title=t(lang, "导出报告用图片（服务器绘制）", "Download a report-ready image (drawn on the server)"),
        **data(export=kind),
    )


def pack_link(href: str, lang: Lang, *, link_id: str = "pack-link") -> html.Div:
    """The report pack of what the page shows — a zip of PNGs with manifest.csv and report.docx — drawn in the
    background when the button is pressed (dashboard.downloads), then downloaded; ``href`` is the same pack's URL."""
    return html.Div(
        [
            html.Button(
                t(lang, "⤓ 导出报告图包", "⤓ Export report pack"),
                id=link_id,
                value=href,
                className="button export-pack",
                title=t(
                    lang,
                    "本页所列目标的全部图表（PNG）、说明清单 manifest.csv 和 report.docx",
                    "Every chart of the targets on this page (PNG), with manifest.csv and report.docx",
                ),
                **data(export="pack"),
            ),
            html.Span(
                t(
                    lang,
                    " 正在绘制图包…（在后台进行，页面可继续使用）",
                    " Drawing the pack… (in the background)",
                ),
                id="pack-busy",
                hidden=True,
                className="busy",
                role="status",
            ),
            html.Button(t(lang, "取消", "Cancel"), id="pack-cancel", hidden=True, className="button small"),
            html.Span(id="pack-result"),
            dcc.Download(id="pack-download"),
        ],
        className="pack-export",
    )
