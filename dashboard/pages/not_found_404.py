"""The page for a path that names nothing (the server answers it with HTTP 404: see dashboard.app)."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard import i18n
from dashboard.i18n import t

dash.register_page(__name__, path="/404", name="404", title="404 · 质量目标监测")


def layout(**_query: str) -> html.Div:
    lang = i18n.current()
    return html.Div(
        [
            html.H1(t(lang, "页面不存在 (404)", "Page not found (404)")),
            html.P(
                t(
                    lang,
                    "该地址没有对应的页面、目标或地区。",
                    "This address names no page, target or region.",
                ),
                className="summary",
            ),
            dcc.Link(t(lang, "← 返回总览", "← Back to the overview"), href="/", className="button"),
        ],
        className="not-found",
        id="not-found",
    )
