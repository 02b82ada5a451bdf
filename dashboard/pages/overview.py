"""Overview: every target with its latest value, unit, target and deadline, grouped by plan."""

from __future__ import annotations

import dash
from dash import html

from dashboard import context
from dashboard.views.overview import overview_page
from qtm.overview import overview_rows

dash.register_page(__name__, path="/", name="总览 Overview", title="总览 Overview · 质量目标监测")


def layout(**_query: str) -> html.Div:
    registry = context.registry()
    return overview_page(registry, overview_rows(registry, context.store()))
