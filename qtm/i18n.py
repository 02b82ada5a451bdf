"""qtm's two languages: Chinese first, English beside it. Every text a person reads is chosen by a language here;
the dashboard picks the language of a request (``dashboard.i18n.current``), reports and the command line pass it."""

from __future__ import annotations

from typing import Literal

Lang = Literal["zh", "en"]
#: Figures for reports (the PNG export) carry both languages, Chinese first.
FigureLang = Literal["zh", "en", "both"]

DEFAULT: Lang = "zh"


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
    """The plotly.js locale of the chart toolbar and number formats (zh-CN ships in the dashboard's assets)."""
    return "en" if lang == "en" else "zh-CN"
