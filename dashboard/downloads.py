"""Report-ready downloads from the pages, drawn on the server (never a browser screenshot):

    /export/chart.png?target=ID&region=CODE&kind=trend|gauge|regions[&as_of=…&preset=…&scale=…]
    /export/pack.zip?<the overview's filters>            the overview's targets in view
    /export/pack.zip?region=CODE[&as_of=…]              every target as it stands in one region

In the language of the page (its cookie). Whoever may view the pages may download them (dashboard.auth guards
every route alike).
"""

from __future__ import annotations

import datetime as dt

from flask import Flask, Response, abort, request

from dashboard import context, i18n, report_pack
from qtm.standings import Filters, Standing, in_region, overview, region_targets, standing_of

_MAX_PACK_IMAGES = 300  # a whole country's pack is for the command line, not one web request


def install(server: Flask) -> None:
    server.add_url_rule("/export/chart.png", "export_chart", _chart)
    server.add_url_rule("/export/pack.zip", "export_pack", _pack)


def _options(kinds: tuple[report_pack.Kind, ...] = report_pack.KINDS) -> report_pack.PackOptions:
    args = request.args
    try:
        as_of = dt.date.fromisoformat(args["as_of"]) if args.get("as_of") else dt.date.today()
        return report_pack.PackOptions(
            as_of=as_of,
            kinds=kinds,
            preset=args.get("preset", "slide"),
            scale=float(args.get("scale", "2")),
            lang=i18n.current(),
        )
    except ValueError as exc:
        abort(400, str(exc))


def _chart() -> Response:
    registry, store, args = context.registry(), context.store(), request.args
    kind = args.get("kind", "trend")
    if kind not in report_pack.KINDS or args.get("target") not in registry.targets:
        abort(404)
    options = _options((kind,))
    target = registry.targets[args["target"]]
    region = args.get("region") or target.jurisdiction
    if region not in registry.regions or target.id not in {t.id for t in region_targets(registry, region)}:
        abort(404)  # no such region, or the target does not apply there
    chosen = [standing_of(registry, store, target, region, options.as_of)]
    images = report_pack.plan_images(registry, store, chosen, options)
    if not images:
        abort(404)  # no regions under it to compare
    png = report_pack.render(images, options)[0]
    return Response(png, mimetype="image/png", headers=_attachment(images[0].file))


def _pack() -> Response:
    registry, store = context.registry(), context.store()
    options = _options()
    chosen = _standings_in_view(options.as_of)
    if not chosen:
        abort(404)
    images = report_pack.plan_images(registry, store, chosen, options)
    if len(images) > _MAX_PACK_IMAGES:
        abort(413)
    pack = report_pack.finish(registry, store, images, options)
    name = f"qtm-report-pack-{options.as_of.isoformat()}.zip"
    return Response(report_pack.zip_bytes(pack), mimetype="application/zip", headers=_attachment(name))


def _standings_in_view(as_of: dt.date) -> list[Standing]:
    """What the page the link was on shows: one region's targets, or the overview's filtered cards."""
    registry, store, args = context.registry(), context.store(), request.args
    region = args.get("region")
    if region:
        if region not in registry.regions:
            abort(404)
        return in_region(registry, store, region, as_of)
    filters = Filters.from_query(dict(args), registry)
    every = overview(registry, store, Filters(as_of=as_of, order=filters.order))
    return [s for s in every if filters.keeps(registry, s)]


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}
