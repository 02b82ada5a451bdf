"""The Dash application factory: the shell every page sits in (navigation, language toggle, live updates), an
honest 404, compressed assets."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import dash
from dash import ClientsideFunction, Dash, Input, Output, State, callback, dcc, html, no_update
from dash.development.base_component import Component
from flask import Flask, Response, current_app, g, has_request_context, request
from flask_wtf.csrf import generate_csrf
from sqlalchemy import event

from dashboard import api, auth, callback_requests, context, downloads, errors, i18n, jobs, plotly_bundle
from dashboard.i18n import t
from dashboard.views.common import data
from qtm.accounts import may
from qtm.config import current as settings
from qtm.registry import Registry
from qtm.signals import LiveVersion
from qtm.store import Store

_HERE = Path(__file__).parent
_NAV = (("/", "总览", "Overview"), ("/upload", "数据上报", "Upload"))


def live_seconds() -> float:
    return settings().live_seconds


class _NoncedDash(Dash):
    """Dash whose every script tag carries the answer's CSP nonce (``request.csp_nonce``, made by dashboard.auth for
    each answer): the pages' policy runs no inline script without it. Only the tags Dash renders itself get it —
    the script files, the start-up script and the inline functions of Dash's pages — never text of the page."""

    def interpolate_index(
        self,
        metas: Any = "",
        title: Any = "",
        css: Any = "",
        config: Any = "",
        scripts: Any = "",
        app_entry: Any = "",
        favicon: Any = "",
        renderer: Any = "",
    ) -> Any:
        nonce = getattr(request, "csp_nonce", None) if has_request_context() else None
        if nonce:
            config, scripts, renderer = (
                _SCRIPT_TAG.sub(f'<script nonce="{nonce}"', str(tags)) for tags in (config, scripts, renderer)
            )
        return super().interpolate_index(
            metas=metas,
            title=title,
            css=css,
            config=config,
            scripts=scripts,
            app_entry=app_entry,
            favicon=favicon,
            renderer=renderer,
        )


_SCRIPT_TAG = re.compile(r"<script(?=[\s>])")


def create_app(registry: Registry, store: Store, *, host: str = "127.0.0.1") -> Dash:
    """A Dash app serving ``registry`` and ``store``; pages read them through :mod:`dashboard.context`. Anonymous
    visitors may view while ``host`` is loopback, unless QTM_ANONYMOUS_VIEW says otherwise (dashboard.auth)."""
    app = _NoncedDash(
        __name__,
        use_pages=True,
        pages_folder=str(_HERE / "pages"),
        assets_folder=str(_HERE / "assets"),
        title="质量目标监测 · Quality Target Monitor",
        update_title="",
        suppress_callback_exceptions=True,
        compress=True,
        external_scripts=[{"src": plotly_bundle.url()}],  # before dcc's scripts: dcc.Graph uses this Plotly
        background_callback_manager=jobs.manager(),
    )
    plotly_bundle.install(app.server)
    jobs.attach(app.server)
    app.server.config["QTM_REGISTRY"] = registry
    app.server.config["QTM_STORE"] = store
    app.server.config["MAX_CONTENT_LENGTH"] = _request_limit()
    _live_signal(app.server, store)
    app.layout = shell
    auth.install(app.server, store, anonymous_view=auth.anonymous_view_default(host))
    api.install(app.server)
    errors.install(app.server)
    downloads.install(app.server)
    app.server.before_request(lambda: callback_requests.refuse_malformed(app))
    app.server.after_request(_honest_status)
    app.server.add_url_rule("/audit.csv", "audit_csv", _audit_csv)
    app.clientside_callback(
        ClientsideFunction(namespace="qtm", function_name="toggleLanguage"),
        Output("language-toggle", "title"),
        Input("language-toggle", "n_clicks"),
        prevent_initial_call=True,
    )
    return app


def _account(lang: i18n.Lang) -> html.Div:
    """Who is logged in, with a way out; or a way in."""
    user = auth.current()
    if user is None:
        return html.Div(
            html.A(t(lang, "登录", "Log in"), href="/login", id="login-link"), className="account"
        )
    links: list[Component] = [html.Span(auth.describe(user, lang), id="account-name")]
    if may(user, "read_audit"):
        links.append(dcc.Link(t(lang, "审计", "Audit"), href="/audit", className="nav-link", id="nav-audit"))
    links.append(
        html.Form(
            [
                dcc.Input(type="hidden", name="csrf_token", value=generate_csrf()),
                html.Button(t(lang, "退出", "Log out"), type="submit", className="link-button", id="logout"),
            ],
            method="post",
            action="/logout",
        )
    )
    return html.Div(links, className="account")


#: The audit export: what a person reads first (Beijing time, the action and its details in words), then the
#: stored record as it is (UTC, the action's code, the details as JSON) for anyone who processes it further.
AUDIT_CSV_COLUMNS = (
    "时间（北京时间）", "操作", "说明", "用户 user", "批次 batch", "地址 address", "at (UTC)", "action", "detail (JSON)",
)  # fmt: skip


def _audit_csv() -> Response:
    """Every audited write as CSV, for an admin; cells that a spreadsheet would run as formulas are neutralised."""
    import csv
    import io

    from qtm.escaping import spreadsheet_safe
    from qtm.formatting import audit_action, audit_detail, beijing_time

    api.admin("read_audit")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(AUDIT_CSV_COLUMNS)
    for e in context.store().audit():
        said = (
            beijing_time(e.at, seconds=True, labelled=False),
            audit_action(e.action),
            audit_detail(e.action, e.detail),
        )
        row = [
            *said,
            e.user,
            e.batch or "",
            e.address or "",
            e.at.isoformat(),
            e.action,
            auth.json_safe(e.detail),
        ]
        writer.writerow([spreadsheet_safe(str(v)) for v in row])
    return Response(
        "\ufeff" + out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=qtm-audit.csv"},
    )


def _request_limit() -> int:
    """The largest request the server reads (413 beyond it): three returns at the upload limit, base64-encoded
    (4/3), plus room — about 81 MB with the default 20 MB limit."""
    return int(settings().max_upload_bytes * 4 / 3 * 3) + 1024 * 1024


def shell() -> html.Div:
    """The frame around every page, in the visitor's language (a function: the cookie decides per visit)."""
    lang = i18n.current()
    nav = [
        dcc.Link(t(lang, zh, en), href=href, className="nav-link", id=f"nav-{href.strip('/') or 'overview'}")
        for href, zh, en in _NAV
    ]
    return html.Div(
        [
            html.Header(
                [
                    dcc.Link(
                        [
                            html.Span("质量目标监测", className="brand-zh"),
                            html.Span("Quality Target Monitor", className="brand-en"),
                        ],
                        href="/",
                        className="brand",
                    ),
                    html.Nav(nav, className="nav"),
                    html.Span(
                        t(
                            lang,
                            "产品、工程和服务质量提升目标",
                            "Product, engineering and service quality targets",
                        ),
                        className="tagline",
                    ),
                    _account(lang),
                    html.Button(
                        "English" if lang == "zh" else "中文",
                        id="language-toggle",
                        className="language-toggle",
                        title=t(lang, "切换到英文", "Switch to Chinese"),
                        **data(action="language", lang=lang),
                    ),
                ],
                className="topbar",
                lang="zh-CN" if lang == "zh" else "en",
            ),
            html.Main(dash.page_container, className="content", lang="zh-CN" if lang == "zh" else "en"),
            dcc.Location(id="url", refresh="callback-nav"),
            dcc.Interval(id="live-tick", interval=int(live_seconds() * 1000)),
            dcc.Store(id="data-version", data=context.store().data_version()),
            jobs.page_id(),
        ],
        className=f"lang-{lang}",
    )


@callback(
    Output("data-version", "data"),
    Input("live-tick", "n_intervals"),
    State("data-version", "data"),
    prevent_initial_call=True,
)
def watch_data(_tick: int, known: int | None) -> object:
    """Live: the newest batch id, checked every few seconds; pages redraw only when it changed. Through Redis when
    QTM_REDIS_URL is set (shared by every worker), else — or when Redis is down — from the database (qtm.signals)."""
    version = _live().latest()
    return no_update if version == known else version


def _live_signal(server: Flask, store: Store) -> None:
    """The live data version (qtm.signals). With Redis, a request that committed anything to the database publishes
    the version when it is done, so that every worker's next poll sees an upload or a withdrawal at once."""
    live = LiveVersion.from_env(store)
    server.config["QTM_LIVE"] = live
    if live.shared:
        event.listen(store.engine, "commit", _committed)
        server.after_request(_publish)


def _live() -> LiveVersion:
    live = current_app.config.get("QTM_LIVE")
    return live if isinstance(live, LiveVersion) else LiveVersion(context.store())


def _committed(_connection: object) -> None:
    if has_request_context():
        g.qtm_committed = True


def _publish(response: Response) -> Response:
    if g.pop("qtm_committed", False):
        _live().publish()
    return response


def _honest_status(response: Response) -> Response:
    """Dash answers every path with the same page; a path that names no page, target or region gets 404."""
    html_page = request.method == "GET" and response.status_code == 200 and response.mimetype == "text/html"
    if html_page and not _known_path(request.path):
        response.status_code = 404
    return response


def _known_path(path: str) -> bool:
    registry = context.registry()
    parts = [p for p in path.split("/") if p]
    if not parts or parts in (["upload"], ["audit"], ["login"]):
        return True
    if len(parts) == 2 and parts[0] == "target":
        return parts[1] in registry.targets
    if len(parts) == 2 and parts[0] == "region":
        return parts[1] in registry.regions
    return False
