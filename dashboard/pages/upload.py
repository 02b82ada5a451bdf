"""数据上报 Upload (``/upload``): drop returns, preview what they would store, commit; the batches stored.

Uploading needs a reporter (for their regions and the regions under them) or an admin; withdrawing a batch needs an
admin. Every callback asks :mod:`dashboard.api` — the server decides, whatever the page shows.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import dash
from dash import ALL, Input, Output, State, callback, ctx, html, no_update
from dash.exceptions import PreventUpdate

from dashboard import api, auth, context, i18n, jobs
from dashboard.views.upload import (
    batch_table,
    commit_view,
    forbidden_view,
    preview_view,
    refused_view,
    upload_page,
    withdraw_summary,
)
from loaders.staging import Staging, StagingRefused, label
from qtm.accounts import may
from qtm.config import current as settings
from qtm.errors import StoreError
from qtm.observations import Observation

dash.register_page(__name__, path="/upload", name="数据上报 Upload", title="数据上报 Upload · 质量目标监测")


def _max_mb() -> float:
    return settings().max_upload_mb


def layout(**_query: str) -> html.Div:
    user = auth.current()
    return upload_page(
        context.registry(),
        context.store().batches(),
        i18n.current(),
        max_mb=_max_mb(),
        user=user,
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
    jobs.OWN_PAGE,
    prevent_initial_call=True,
    background=True,
    running=[(Output("upload-busy", "hidden"), False, True)],
)
@jobs.in_request
def preview(
    contents: list[str] | None, names: list[str] | None, page: str | None
) -> tuple[Any, Any, Any, None]:
    """Stage each dropped file and check it as a dry run, as the logged-in reporter: nothing is stored yet. Each
    file is staged for this user and this page load; the page keeps only its token."""
    if not contents:
        return no_update, no_update, no_update, None
    lang = i18n.current()
    try:
        user = api.reporter()
    except api.Forbidden as refused:
        return forbidden_view(refused.zh, refused.en, lang), [], True, None
    registry, staging = context.registry(), Staging()
    views, staged = [], []
    for content, name in zip(contents, names or [], strict=False):
        try:
            file = staging.put_data_url(name, content, owner=user.name, page=page or "")
        except StagingRefused as refused:
            views.append(refused_view(label(name), refused.zh, refused.en, lang))
            continue
        result = api.ingest_for(user, file.path, file.label, dry_run=True)
        views.append(preview_view(registry, result, lang, _stored_now(result.observations)))
        if result.status == "would-commit":
            staged.append({"token": file.token})
        else:
            staging.discard(file.token)
    return views, staged, not staged, None


@callback(
    Output("commit-result", "children"),
    Output("staged", "data", allow_duplicate=True),
    Output("committed", "data"),
    Output("preview", "children", allow_duplicate=True),
    Input("commit", "n_clicks"),
    State("staged", "data"),
    jobs.OWN_PAGE,
    prevent_initial_call=True,
    background=True,
    running=[(Output("commit-busy", "hidden"), False, True), (Output("commit", "disabled"), True, True)],
)
@jobs.in_request
def commit(
    clicks: int | None, staged: list[dict[str, str]] | None, page: str | None
) -> tuple[Any, list, Any, Any]:
    """Store every previewed file that passed, each as one batch (checked again, as the user, on the database as it
    is now), in a background job. Every output is on this page, so that drawing the page starts no job.

    Only the tokens of ``staged`` are read: the file and its name are what this user staged on this page load
    (anything else the page sends is ignored); a token of another user or page, or one already committed, stores
    nothing and is counted as gone."""
    if not clicks:
        raise PreventUpdate
    lang = i18n.current()
    try:
        user = api.reporter()
    except api.Forbidden as refused:
        return forbidden_view(refused.zh, refused.en, lang), [], no_update, no_update
    staging, results, gone = Staging(), [], 0
    for entry in staged or []:
        token = entry.get("token") if isinstance(entry, dict) else None
        file = staging.get(token, owner=user.name, page=page or "")
        if file is None:
            gone += 1
            continue
        results.append(api.ingest_for(user, file.path, file.label, dry_run=False))
        staging.discard(file.token)
    return commit_view(results, lang, gone=gone), [], context.store().data_version(), None


@callback(
    Output("data-version", "data", allow_duplicate=True),
    Input("committed", "data"),
    prevent_initial_call=True,
)
def announce(version: int | None) -> int:
    """Tell the page's shell (and so every part that follows the data) that a commit changed the data."""
    if version is None:
        raise PreventUpdate  # the page was drawn: nothing was committed
    return version


@callback(Output("batches", "children"), Input("data-version", "data"), prevent_initial_call=True)
def refresh_batches(_version: int) -> object:
    return batch_table(context.store().batches(), i18n.current(), user=auth.current())


def _stored_now(observations: list[Observation]) -> dict[tuple[str, str, str], Observation]:
    """The stored current value of each key of ``observations``, to show what the preview would change."""
    pairs = {(o.indicator, o.region) for o in observations}
    stored = context.store().current_of(pairs)
    return {(o.indicator, o.region, o.period.text): o for o in stored}


@callback(
    Output("withdraw-dialog", "hidden"),
    Output("withdraw-summary", "children"),
    Output("withdraw-batch", "data"),
    Output("withdraw-reason", "value"),
    Output("withdraw-message", "children"),
    Input({"type": "withdraw", "batch": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
def ask_to_withdraw(clicks: list[int | None]) -> tuple[Any, ...]:
    """A batch's 撤回 opens the confirmation: what falls back, and a reason to give. Nothing is withdrawn yet."""
    user = auth.current()
    batch_id = ctx.triggered_id.get("batch") if isinstance(ctx.triggered_id, dict) else None
    if not may(user, "withdraw") or not isinstance(batch_id, int) or not any(clicks):
        raise PreventUpdate
    if isinstance(batch_id, bool) or not 0 < batch_id < 2**63:
        raise PreventUpdate
    store = context.store()
    batch = store.batch(batch_id)
    if batch is None or batch.kind != "upload" or batch.withdrawn_by is not None:
        raise PreventUpdate  # withdrawn meanwhile: the table shows the truth
    summary = withdraw_summary(context.registry(), batch, store.withdrawal_fallback(batch_id), i18n.current())
    return False, summary, batch_id, "", ""


@callback(
    Output("data-version", "data", allow_duplicate=True),
    Output("withdraw-dialog", "hidden", allow_duplicate=True),
    Output("withdraw-message", "children", allow_duplicate=True),
    Input("withdraw-confirm", "n_clicks"),
    Input("withdraw-cancel", "n_clicks"),
    State("withdraw-batch", "data"),
    State("withdraw-reason", "value"),
    prevent_initial_call=True,
)
def withdraw(_confirm: int | None, _cancel: int | None, batch: object, reason: object) -> tuple[Any, ...]:
    """Withdraw the batch asked about, with the reason given (required); 取消 closes the dialog."""
    if ctx.triggered_id == "withdraw-cancel":
        return no_update, True, ""
    lang = i18n.current()
    user = auth.current()
    if user is None or not isinstance(batch, int) or isinstance(batch, bool):
        raise PreventUpdate
    written = reason.strip() if isinstance(reason, str) else ""
    if not written:
        return no_update, False, i18n.t(lang, "请填写撤回原因。", "Give a reason for the withdrawal.")
    try:
        api.withdraw(user, batch, written)
    except api.Forbidden as refused:
        return no_update, False, i18n.t(lang, refused.zh, refused.en)
    except StoreError as refused:  # withdrawn meanwhile
        return context.store().data_version(), False, str(refused)
    return context.store().data_version(), True, ""
