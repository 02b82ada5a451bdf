"""Report-ready downloads, drawn on the server (never a browser screenshot):

    /export/chart.png?target=ID&region=CODE&kind=trend|gauge|regions[&as_of=…&preset=…&scale=…]
    /export/pack.zip?<the overview's filters>            the overview's targets in view
    /export/pack.zip?region=CODE[&as_of=…]              every target as it stands in one region

The pages' "export report pack" button draws the same pack as a background job (dashboard.jobs), so that a pack
of hundreds of charts holds no web worker; the URL serves scripts. In the language of the page (its cookie).
Whoever may view the pages may download them (dashboard.auth guards every route alike).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import NoReturn, TypeVar
from urllib.parse import parse_qsl, urlsplit

from dash import Input, Output, State, callback, dcc, html, no_update
from dash.exceptions import PreventUpdate
from flask import Flask, Response, abort, request

from dashboard import context, i18n, jobs
from dashboard.i18n import t
from qtm.errors import QtmError
from qtm.standings import Filters, Standing, in_region, overview, region_targets, standing_of
from reports import report_pack

T = TypeVar("T")

_MAX_PACK_IMAGES = 300  # a whole country's pack is for the command line, not one web request


class Refused(QtmError):
    """Nothing to draw for what was asked; ``status`` is the HTTP answer, ``zh``/``en`` say why."""

    code = "export_refused"

    def __init__(self, status: int, zh: str, en: str) -> None:
        super().__init__(en, zh, status=status)


def install(server: Flask) -> None:
    server.add_url_rule("/export/chart.png", "export_chart", _chart)
    server.add_url_rule("/export/pack.zip", "export_pack", _pack)


def pack_of(
    args: Mapping[str, str], lang: i18n.Lang, progress: report_pack.Progress | None = None
) -> tuple[str, bytes]:
    """The report pack a page's query asks for, as (file name, zip); :class:`Refused` when there is none.
    ``progress(drawn, of)`` is told as the images are drawn."""
    registry, store = context.registry(), context.store()
    options = _options(args, lang)
    chosen = _standings_in_view(args, options.as_of)
    if not chosen:
        raise Refused(404, "本页没有可导出的目标", "nothing on this page to export")
    images = report_pack.plan_images(registry, store, chosen, options)
    if len(images) > _MAX_PACK_IMAGES:
        raise Refused(
            413,
            f"图包有 {len(images)} 张图，网页上最多 {_MAX_PACK_IMAGES} 张：请缩小筛选范围，或用 qtm export 导出",
            f"the pack would hold {len(images)} images, more than {_MAX_PACK_IMAGES} on the web: narrow the "
            "filters, or use qtm export",
        )
    pack = report_pack.finish(registry, store, images, options, progress)
    return pack_name(args, options.as_of), report_pack.zip_bytes(pack)


def pack_name(args: Mapping[str, str], as_of: dt.date) -> str:
    """A pack's file name says which page it came from, in ASCII (any browser, any unzip):
    qtm-report-pack-620100-Lanzhou-2026-12-03.zip for a region, qtm-report-pack-overview-….zip for the overview."""
    region = args.get("region")
    if region and region in context.registry().regions:
        english = context.registry().regions.get(region).name_en
        slug = "-".join(re.findall(r"[A-Za-z0-9]+", english))
        page = f"{region}-{slug}" if slug else region
    else:
        chosen = [args[k] for k in ("plan", "jurisdiction", "category", "status") if args.get(k)]
        page = "-".join(["overview", *(re.sub(r"[^A-Za-z0-9_]+", "_", c) for c in chosen)])
    return f"qtm-report-pack-{page}-{as_of.isoformat()}.zip"


@callback(
    Output("pack-download", "data"),
    Output("pack-result", "children"),
    Input("pack-link", "n_clicks"),
    State("pack-link", "value"),
    jobs.OWN_PAGE,
    prevent_initial_call=True,
    background=True,
    running=[
        (Output("pack-busy", "hidden"), False, True),
        (Output("pack-cancel", "hidden"), False, True),
        (Output("pack-link", "disabled"), True, False),
    ],
    cancel=[Input("pack-cancel", "n_clicks")],
    progress=[Output("pack-busy", "children")],
)
@jobs.in_request
def pack_download(
    set_progress: Callable[[str], None], clicks: int | None, href: str | None, _page: str | None
) -> tuple[object, object]:
    """The button's pack, drawn in a background job (the page counts the images drawn) and handed to the browser
    as a download."""
    if not clicks or not href:
        raise PreventUpdate
    lang = i18n.current()

    def drawn(done: int, of: int) -> None:
        set_progress(t(lang, f" 正在绘制图包：{done}/{of} 张…", f" Drawing the pack: {done} of {of} images…"))

    try:
        name, data = pack_of(dict(parse_qsl(urlsplit(href).query)), lang, drawn)
    except Refused as refused:
        return no_update, html.Span(t(lang, refused.zh, refused.en), className="banner forbidden")
    return dcc.send_bytes(data, name), ""


def _options(
    args: Mapping[str, str], lang: i18n.Lang, kinds: tuple[report_pack.Kind, ...] = report_pack.KINDS
) -> report_pack.PackOptions:
    try:
        as_of = dt.date.fromisoformat(args["as_of"]) if args.get("as_of") else dt.date.today()
        return report_pack.PackOptions(
            as_of=as_of,
            kinds=kinds,
            preset=args.get("preset", "slide"),
            scale=float(args.get("scale", "2")),
            lang=lang,
        )
    except ValueError as exc:
        raise Refused(400, f"导出参数有误：{exc}", f"wrong export option: {exc}") from None


def _chart() -> Response:
    registry, store, args = context.registry(), context.store(), request.args
    kind = args.get("kind", "trend")
    if kind not in report_pack.KINDS or args.get("target") not in registry.targets:
        _refuse(404, "没有这张图：图的种类或目标有误", "no such chart: wrong kind or target")
    options = _answer(lambda: _options(args, i18n.current(), (kind,)))
    target = registry.targets[args["target"]]
    region = args.get("region") or target.jurisdiction
    if region not in registry.regions or target.id not in {t.id for t in region_targets(registry, region)}:
        _refuse(
            404,
            "没有这张图：该地区不存在，或该目标不适用于该地区",
            "no such chart: no such region, or the target does not apply there",
        )
    chosen = [standing_of(registry, store, target, region, options.as_of)]
    images = report_pack.plan_images(registry, store, chosen, options)
    if not images:
        _refuse(
            404,
            "没有这张图：下辖地区均无数据，无可比较",
            "no such chart: no region under it has data to compare",
        )
    png = report_pack.render(images, options)[0]
    return Response(png, mimetype="image/png", headers=_attachment(images[0].file))


def _pack() -> Response:
    name, data = _answer(lambda: pack_of(request.args, i18n.current()))
    return Response(data, mimetype="application/zip", headers=_attachment(name))


def _answer(make: Callable[[], T]) -> T:
    """What ``make`` makes, or the HTTP error it was refused with."""
    try:
        return make()
    except Refused as refused:
        _refuse(refused.status, refused.zh, refused.en)


def _refuse(status: int, zh: str, en: str) -> NoReturn:
    """An error a person reads in the browser tab the link opened: Chinese first, then English (never a bare
    "Not Found")."""
    abort(
        Response(
            f"{zh}\n{en}\n", status=status, mimetype="text/plain", content_type="text/plain; charset=utf-8"
        )
    )


def _standings_in_view(args: Mapping[str, str], as_of: dt.date) -> list[Standing]:
    """What the page the button was on shows: one region's targets, or the overview's filtered cards."""
    registry, store = context.registry(), context.store()
    region = args.get("region")
    if region:
        if region not in registry.regions:
            raise Refused(404, "没有这个地区", "no such region")
        return in_region(registry, store, region, as_of)
    filters = Filters.from_query(dict(args), registry)
    every = overview(registry, store, Filters(as_of=as_of, order=filters.order))
    return [s for s in every if filters.keeps(registry, s)]


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}
