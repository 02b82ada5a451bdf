"""数据上报 Upload (``/upload``): drop returns, preview what they would store, commit; the batches stored.

Withdrawing a batch in the browser is the server operator's choice until accounts exist (``QTM_WEB_WITHDRAW=1``);
otherwise ``qtm batches withdraw ID`` does it from the command line.
"""

from __future__ import annotations

import getpass
import os
from urllib.parse import urlencode

import dash
from dash import ALL, Input, Output, State, callback, ctx, html, no_update

from dashboard import context, i18n
from dashboard.views.upload import batch_table, commit_view, preview_view, refused_view, upload_page
from loaders.ingest import ingest_file
from loaders.staging import Staging, StagingRefused
from qtm.errors import StoreError

dash.register_page(__name__, path="/upload", name="数据上报 Upload", title="数据上报 Upload · 质量目标监测")


def _max_mb() -> float:
    return float(os.environ.get("QTM_MAX_UPLOAD_MB", "20") or 20)


def can_withdraw() -> bool:
    return os.environ.get("QTM_WEB_WITHDRAW") == "1"


def layout(**_query: str) -> html.Div:
    return upload_page(
        context.registry(),
        context.store().batches(),
        i18n.current(),
        max_mb=_max_mb(),
        can_withdraw=can_withdraw(),
    )


@callback(Output("template-link", "href"), Input("template-plan", "value"))
def template_link(plan: str | None) -> str:
    return "/template.xlsx" + ("?" + urlencode({"plan": plan}) if plan else "")


@callback(
    Output("preview", "children"),
    Output("staged", "data"),
    Output("commit", "disabled"),
    Output("upload", "contents"),
    Input("upload", "contents"),
    State("upload", "filename"),
    prevent_initial_call=True,
)
def preview(contents: list[str] | None, names: list[str] | None) -> tuple[object, object, object, None]:
    """Stage each dropped file and check it as a dry run: nothing is stored yet."""
    if not contents:
        return no_update, no_update, no_update, None
    registry, store, lang = context.registry(), context.store(), i18n.current()
    staging = Staging()
    views, staged = [], []
    for content, name in zip(contents, names or [], strict=False):
        try:
            file = staging.put_data_url(name, content)
        except StagingRefused as refused:
            views.append(refused_view(name, refused.zh, refused.en, lang))
            continue
        result = ingest_file(file.path, registry, store, uploaded_by="preview", dry_run=True, file_name=name)
        views.append(preview_view(registry, result, lang))
        if result.status == "would-commit":
            staged.append({"token": file.token, "name": file.name, "file": name})
        else:
            staging.discard(file.token)
    return views, staged, not staged, None


@callback(
    Output("commit-result", "children"),
    Output("staged", "data", allow_duplicate=True),
    Output("commit", "disabled", allow_duplicate=True),
    Output("data-version", "data", allow_duplicate=True),
    Output("preview", "children", allow_duplicate=True),
    Input("commit", "n_clicks"),
    State("staged", "data"),
    State("uploader", "value"),
    prevent_initial_call=True,
)
def commit(
    _clicks: int, staged: list[dict[str, str]] | None, uploader: str | None
) -> tuple[object, list, bool, int, None]:
    """Store every previewed file that passed, each as one batch (checked again on the database as it is now)."""
    registry, store, lang = context.registry(), context.store(), i18n.current()
    staging = Staging()
    results = []
    who = (uploader or "").strip() or f"web ({getpass.getuser()})"
    for entry in staged or []:
        file = staging.get(entry["token"], entry["name"])
        if file is None:
            continue
        results.append(ingest_file(file.path, registry, store, uploaded_by=who, file_name=entry["file"]))
        staging.discard(file.token)
    return commit_view(results, lang), [], True, store.data_version(), None


@callback(Output("batches", "children"), Input("data-version", "data"), prevent_initial_call=True)
def refresh_batches(_version: int) -> object:
    return batch_table(context.store().batches(), i18n.current(), can_withdraw=can_withdraw())


@callback(
    Output("data-version", "data", allow_duplicate=True),
    Input({"type": "withdraw", "batch": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
def withdraw(clicks: list[int | None]) -> object:
    if not can_withdraw() or not ctx.triggered_id or not any(clicks):
        return no_update
    store = context.store()
    try:
        store.withdraw_batch(
            int(ctx.triggered_id["batch"]), withdrawn_by=f"web operator ({getpass.getuser()})"
        )
    except StoreError:  # withdrawn meanwhile (a double click, another operator): the table shows it
        return store.data_version()
    return store.data_version()
