"""目标 Target (``/target/<id>``): one target, its status with every component, its regions and its data."""

from __future__ import annotations

import datetime as dt

import dash
from dash import Input, Output, State, callback, html

from dashboard import context, i18n
from dashboard.views.target import target_page, unknown_target_page
from qtm.standings import standing_of, sub_regions

dash.register_page(
    __name__, path_template="/target/<target_id>", name="目标 Target", title="目标 Target · 质量目标监测"
)


def layout(target_id: str | None = None, **_query: str) -> html.Div:
    return html.Div(_body(target_id), id="target-body")


def _body(target_id: str | None) -> html.Div:
    registry, store, lang = context.registry(), context.store(), i18n.current()
    target = registry.targets.get(target_id or "")
    if target is None:
        return unknown_target_page(lang)
    today = dt.date.today()
    own = standing_of(registry, store, target, target.jurisdiction, today)
    regions = sub_regions(registry, store, target, target.jurisdiction, today)
    history = [
        row
        for row in store.history_for(target.indicator, target.jurisdiction)
        if row.observation.period.end <= today
    ]
    withdrawals = frozenset(b.id for b in store.batches() if b.kind == "withdrawal")
    return target_page(registry, own, regions, history, lang, withdrawals)


@callback(
    Output("target-body", "children"),
    Input("data-version", "data"),
    State("url", "pathname"),
    prevent_initial_call=True,
)
def refresh(_version: int, pathname: str | None) -> html.Div:
    """Live: a commit made anywhere redraws the page."""
    return _body((pathname or "").rstrip("/").rsplit("/", 1)[-1])
