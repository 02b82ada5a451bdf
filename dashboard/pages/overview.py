"""总览 Overview (``/``): every target's gauge and status, filtered by what the URL says."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qsl, urlencode

import dash
from dash import ALL, Input, Output, State, callback, html, no_update

from dashboard import context, i18n
from dashboard.views.overview import (
    card_class,
    card_content,
    card_key,
    card_keys,
    cards_in_grid,
    overview_page,
)
from qtm.registry import Registry
from qtm.standings import Filters, overview
from qtm.store import Store

dash.register_page(__name__, path="/", name="总览 Overview", title="总览 Overview · 质量目标监测")

_PAGES = context.Built()
FILTER_KEYS = ("plan", "jurisdiction", "category", "status", "as_of", "order")


def layout(**query: str) -> html.Div:
    """The page for the URL's filters, built once per data version and language: every open overview asks for it
    again after each commit."""
    registry, store, lang = context.registry(), context.store(), i18n.current()
    filters = Filters.from_query(query, registry)
    today = dt.date.today()  # in the key: a page kept open past midnight moves on
    key = ("overview", registry.fingerprint, store.version(), lang, filters, today)
    return _PAGES.get(key, lambda: _page(registry, store, filters, lang))


def _page(registry: Registry, store: Store, filters: Filters, lang: i18n.Lang) -> html.Div:
    every = overview(registry, store, Filters(as_of=filters.as_of, order=filters.order))
    cards = [s for s in every if filters.keeps(registry, s)]
    return overview_page(registry, cards, every, filters, lang)


@callback(
    Output("url", "search"),
    [Input(f"filter-{name.replace('_', '-')}", "value") for name in FILTER_KEYS],
    State("url", "search"),
    prevent_initial_call=True,
)
def filters_to_url(*values: str | None) -> object:
    """A changed filter goes into the URL (so that the view can be shared); the page follows the URL. Filters
    drawn with the page report their values too: the same URL again is no change."""
    *chosen_values, current = values
    chosen = {
        k: v
        for k, v in zip(FILTER_KEYS, chosen_values, strict=True)
        if v and not (k == "order" and v == "worst")
    }
    search = "?" + urlencode(chosen) if chosen else ""
    return no_update if search == (current or "") else search


@callback(
    Output("cards", "children"),
    Output({"type": "card-body", "card": ALL}, "children"),
    Output({"type": "card-body", "card": ALL}, "className"),
    Output("card-keys", "data"),
    Input("data-version", "data"),
    State("url", "search"),
    State("card-keys", "data"),
    State({"type": "card-body", "card": ALL}, "id"),
    prevent_initial_call=True,
)
def refresh_cards(
    _version: int, search: str | None, shown: list[list[str]] | None, bodies: list[dict[str, str]]
) -> tuple[Any, list[Any], list[Any], Any]:
    """Live: after a commit made anywhere, only the cards whose content changed are redrawn; the others, and their
    gauges, are left alone. When the cards themselves change (another order, another set), the grid is redrawn."""
    registry, lang = context.registry(), i18n.current()
    filters = Filters.from_query(dict(parse_qsl((search or "").lstrip("?"))), registry)
    every = overview(registry, context.store(), Filters(as_of=filters.as_of, order=filters.order))
    cards = [s for s in every if filters.keeps(registry, s)]
    keys = card_keys(cards)
    untouched = [no_update] * len(bodies)
    if keys == shown:
        return no_update, untouched, untouched, no_update
    if not shown or [k for k, _ in keys] != [k for k, _ in shown] or len(bodies) != len(keys):
        return cards_in_grid(registry, cards, lang), untouched, untouched, keys
    old = {key: print_ for key, print_ in shown}
    new = {key: print_ for key, print_ in keys}
    by_key = {card_key(s): s for s in cards}
    changed = [new[b["card"]] != old.get(b["card"]) for b in bodies]
    contents = [
        card_content(registry, by_key[b["card"]], lang) if c else no_update
        for b, c in zip(bodies, changed, strict=True)
    ]
    classes = [
        card_class(by_key[b["card"]]) if c else no_update for b, c in zip(bodies, changed, strict=True)
    ]
    return no_update, contents, classes, keys
