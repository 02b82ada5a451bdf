"""One target: its promise, its status with the components it was computed from, and its regions ranked."""

from __future__ import annotations

import datetime as dt

import dash
from dash import html

from dashboard import context
from dashboard.views.target import target_page
from qtm.assessment import assess_store

dash.register_page(
    __name__, path_template="/target/<target_id>", name="目标 Target", title="目标 Target · 质量目标监测"
)


def layout(target_id: str | None = None, **_query: str) -> html.Div:
    registry = context.registry()
    target = registry.targets.get(target_id or "")
    if target is None:
        return html.Div([html.H1("未找到该目标 · No such target"), html.A("← 总览 Overview", href="/")])
    today = dt.date.today()
    store = context.store()
    results = [r for r in assess_store(registry, store, today) if r.target == target.id]
    observations = store.current(indicator=target.indicator)
    synthetic = frozenset(o.region for o in observations if "synthetic" in o.flags)
    series = [o for o in observations if o.region == target.jurisdiction and o.period.end <= today]
    return target_page(registry, target, results, today, synthetic, series)
