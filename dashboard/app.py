"""The Dash application factory."""

from __future__ import annotations

from pathlib import Path

import dash
from dash import Dash, dcc, html

from qtm.registry import Registry
from qtm.store import Store

_HERE = Path(__file__).parent


def create_app(registry: Registry, store: Store) -> Dash:
    """A Dash app serving ``registry`` and ``store``; pages read them through :mod:`dashboard.context`."""
    app = Dash(
        __name__,
        use_pages=True,
        pages_folder=str(_HERE / "pages"),
        assets_folder=str(_HERE / "assets"),
        title="质量目标监测 · Quality Target Monitor",
        update_title="",
        suppress_callback_exceptions=True,
    )
    app.server.config["QTM_REGISTRY"] = registry
    app.server.config["QTM_STORE"] = store
    app.layout = html.Div(
        [
            html.Header(
                [
                    html.A(
                        [
                            html.Span("质量目标监测", className="brand-zh"),
                            html.Span("Quality Target Monitor", className="brand-en"),
                        ],
                        href="/",
                        className="brand",
                    ),
                    html.Span(
                        "产品、工程和服务质量提升目标 · Product, engineering and service quality targets",
                        className="tagline",
                    ),
                ],
                className="topbar",
            ),
            html.Main(dash.page_container, className="content"),
            dcc.Location(id="url"),
        ]
    )
    return app
