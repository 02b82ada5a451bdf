"""The dashboard's language: Chinese by default, English by a toggle kept in a cookie (across pages and visits).
Views take the language as an argument and stay pure; only :func:`current` reads the request. The languages and
the choosing of texts are the core's (:mod:`qtm.i18n`)."""

from __future__ import annotations

from qtm.i18n import DEFAULT, FigureLang, Lang, pair, plotly_locale, t

__all__ = ["COOKIE", "DEFAULT", "FigureLang", "Lang", "current", "pair", "plotly_locale", "t"]

COOKIE = "qtm_lang"


def current() -> Lang:
    """The language of the request being served (the cookie), else Chinese; Chinese outside a request."""
    from flask import has_request_context, request

    if not has_request_context():
        return DEFAULT
    return "en" if request.cookies.get(COOKIE) == "en" else "zh"
