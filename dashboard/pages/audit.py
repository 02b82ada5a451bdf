"""审计 Audit (``/audit``, admins): every write — who, when, which batch, from where — newest first."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard import auth, context, i18n
from dashboard.i18n import t
from dashboard.views.common import data
from qtm.accounts import may
from qtm.formatting import audit_action, audit_detail, beijing_time

dash.register_page(__name__, path="/audit", name="审计 Audit", title="审计 Audit · 质量目标监测")


def layout(**_query: str) -> html.Div:
    lang, user = i18n.current(), auth.current()
    if not may(user, "read_audit"):
        return html.Div(
            [
                html.H1(t(lang, "审计", "Audit")),
                html.P(t(lang, "需要管理员权限。", "This needs an admin account."), id="forbidden"),
            ]
        )
    head = [
        ("时间（北京时间）", "When (Beijing time)"),
        ("用户", "User"),
        ("操作", "Action"),
        ("批次", "Batch"),
        ("地址", "Address"),
        ("详情", "Detail"),
    ]
    rows = [
        html.Tr(
            [
                html.Td(beijing_time(e.at, lang, seconds=True, labelled=False)),
                html.Td(e.user),
                html.Td(audit_action(e.action, lang), **data(action=e.action)),
                html.Td(str(e.batch or "")),
                html.Td(e.address or ""),
                html.Td(audit_detail(e.action, e.detail, lang), className="source"),
            ],
            className="audit-row",
        )
        for e in context.store().audit(limit=500)
    ]
    return html.Div(
        [
            html.H1(t(lang, "审计", "Audit")),
            html.A(
                t(lang, "导出 CSV", "Export CSV"), href="/audit.csv", className="button", id="audit-export"
            ),
            html.Table(
                [html.Thead(html.Tr([html.Th(t(lang, *h)) for h in head])), html.Tbody(rows)],
                className="targets",
                id="audit",
            ),
            dcc.Link(t(lang, "← 总览", "← Overview"), href="/", className="back"),
        ]
    )
