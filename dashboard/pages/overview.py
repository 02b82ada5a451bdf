"""总览 Overview (``/``): every target's gauge and status, filtered by what the URL says."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import dash
from dash import Input, Output, State, callback, html

from dashboard import context, i18n
from dashboard.views.overview import card_grid, overview_page
from qtm.progress import STATUS_ORDER
from qtm.registry import Registry
from qtm.standings import Filters, overview

dash.register_page(__name__, path="/", name="总览 Overview", title="总览 Overview · 质量目标监测")

FILTER_KEYS = ("plan", "jurisdiction", "category", "status", "as_of", "order")


def filters_from(query: dict[str, str], registry: Registry) -> Filters:
    """The URL's filters, each kept only when it names something that exists."""
    categories = {i.category for i in registry.indicators.values()}
    jurisdictions = {t.jurisdiction for t in registry.targets.values()}
    try:
        as_of = dt.date.fromisoformat(query["as_of"]) if query.get("as_of") else None
    except ValueError:
        as_of = None
    return Filters(
        plan=query.get("plan") if query.get("plan") in registry.plans else None,
        jurisdiction=query.get("jurisdiction") if query.get("jurisdiction") in jurisdictions else None,
        category=query.get("category") if query.get("category") in categories else None,
        status=query.get("status") if query.get("status") in STATUS_ORDER else None,
        as_of=as_of,
        order="plan" if query.get("order") == "plan" else "worst",
    )


def layout(**query: str) -> html.Div:
    registry, lang = context.registry(), i18n.current()
    filters = filters_from(query, registry)
    every = overview(registry, context.store(), Filters(as_of=filters.as_of, order=filters.order))
    cards = [s for s in every if filters.keeps(registry, s)]
    return overview_page(registry, cards, every, filters, lang)


@callback(
    Output("url", "search"),
    [Input(f"filter-{name.replace('_', '-')}", "value") for name in FILTER_KEYS],
    prevent_initial_call=True,
)
def filters_to_url(*values: str | None) -> str:
    """A changed filter goes into the URL (so that the view can be shared); the page follows the URL."""
    chosen = {
        k: v for k, v in zip(FILTER_KEYS, values, strict=True) if v and not (k == "order" and v == "worst")
    }
    return "?" + urlencode(chosen) if chosen else ""


@callback(
    Output("overview-body", "children"),
    Input("data-version", "data"),
    State("url", "search"),
    prevent_initial_call=True,
)
def refresh_cards(_version: int, search: str | None) -> object:
    """Live: a commit made anywhere redraws the cards (figures whose data did not change are left as they are)."""
    from urllib.parse import parse_qsl

    registry, lang = context.registry(), i18n.current()
    filters = filters_from(dict(parse_qsl((search or "").lstrip("?"))), registry)
    every = overview(registry, context.store(), Filters(as_of=filters.as_of, order=filters.order))
    return card_grid(registry, [s for s in every if filters.keeps(registry, s)], lang)
