"""地区 Region (``/region/<code>``): every target as it stands in one region; a province's prefectures compared."""

from __future__ import annotations

import datetime as dt

import dash
from dash import Input, Output, State, callback, html

from dashboard import context, i18n
from dashboard.views.region import region_page, unknown_region_page
from qtm.standings import in_region, sub_regions

dash.register_page(
    __name__, path_template="/region/<code>", name="地区 Region", title="地区 Region · 质量目标监测"
)


def layout(code: str | None = None, **_query: str) -> html.Div:
    return html.Div(_body(code), id="region-body")


def _body(code: str | None) -> html.Div:
    registry, store, lang = context.registry(), context.store(), i18n.current()
    if code not in registry.regions:
        return unknown_region_page(lang)
    assert code is not None
    today = dt.date.today()
    standings = in_region(registry, store, code, today)
    nearest_first = sorted(standings, key=lambda s: s.target.jurisdiction != code)
    comparisons, shown = [], set()
    for (
        own
    ) in nearest_first:  # one comparison per indicator: the region's own target's, else the nearest above
        rows = sub_regions(registry, store, own.target, code, today)
        if rows and own.target.indicator not in shown:
            shown.add(own.target.indicator)
            comparisons.append((own, rows))
    return region_page(registry, code, standings, comparisons, lang)


@callback(
    Output("region-body", "children"),
    Input("data-version", "data"),
    State("url", "pathname"),
    prevent_initial_call=True,
)
def refresh(_version: int, pathname: str | None) -> html.Div:
    """Live: a commit made anywhere redraws the page."""
    return _body((pathname or "").rstrip("/").rsplit("/", 1)[-1])
