"""The dashboard's two languages: Chinese by default, English by a toggle kept in a cookie (across pages and
visits). Views take the language as an argument and stay pure; only :func:`current` reads the request."""

from __future__ import annotations

from typing import Literal

Lang = Literal["zh", "en"]
#: Figures for reports (the PNG export) carry both languages, Chinese first.
FigureLang = Literal["zh", "en", "both"]

COOKIE = "qtm_lang"
DEFAULT: Lang = "zh"


def current() -> Lang:
    """The language of the request being served (the cookie), else Chinese; Chinese outside a request."""
    from flask import has_request_context, request

    if not has_request_context():
        return DEFAULT
    return "en" if request.cookies.get(COOKIE) == "en" else "zh"


def t(lang: FigureLang, zh: str, en: str) -> str:
    """The text in ``lang``; both, Chinese first, for ``"both"``."""
    if lang == "zh":
        return zh
    if lang == "en":
        return en
    return f"{zh} {en}"


def pair(lang: FigureLang, texts: tuple[str, str]) -> str:
    """:func:`t` for a (zh, en) pair such as an entry of ``STATUS_LABELS``."""
    return t(lang, *texts)


def plotly_locale(lang: FigureLang) -> str:
    """The plotly.js locale of the chart toolbar and number formats (zh-CN ships in assets/)."""
    return "en" if lang == "en" else "zh-CN"
