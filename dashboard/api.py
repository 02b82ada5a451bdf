"""The dashboard's writes, for people (the Dash callbacks call these) and for scripts (the same over HTTP, JSON).

Every write asks :mod:`dashboard.auth` who is asking and refuses what that user's role does not allow: uploads
need a reporter (for the regions assigned to them, and their subdivisions) or an admin; withdrawing batches and
managing users need an admin. The routes take the session cookie and the CSRF header like the pages do.

    POST /api/upload               multipart files=…   → {"files": [qtm ingest --json per file]}
    POST /api/batches/<id>/withdraw                     → {"withdrawal_batch", "withdrawn", "restored"}
    POST /api/users                JSON {"name", "role", "regions", "password"}
    GET  /api/audit                                      → [{"at", "user", "action", "batch", "address", "detail"}]
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, jsonify, request

from dashboard import auth, context
from loaders.ingest import FileResult, ingest_file
from loaders.staging import safe_name
from qtm.accounts import User, Users
from qtm.errors import ConfigError, QtmError, StoreError


class Forbidden(Exception):
    """The user may not do this; ``zh``/``en`` say why."""

    def __init__(self, zh: str, en: str, status: int = 403) -> None:
        super().__init__(en)
        self.zh, self.en, self.status = zh, en, status


def reporter() -> User:
    """The logged-in user, when they may upload at all."""
    user = auth.current()
    if user is None:
        raise Forbidden(
            "请先登录（上报需要上报员或管理员账户）",
            "log in first (uploading needs a reporter or admin account)",
            401,
        )
    if user.role not in ("reporter", "admin") or not user.active:
        raise Forbidden("该账户无上报权限", "this account may not upload returns")
    return user


def admin() -> User:
    user = auth.current()
    if user is None:
        raise Forbidden("请先以管理员身份登录", "log in as an admin first", 401)
    if not user.may_manage_users():
        raise Forbidden("需要管理员权限", "this needs an admin account")
    return user


def scope_of(user: User) -> Callable[[str], bool]:
    """The regions a user may report for: theirs and every region under them (everything for an admin)."""
    regions = context.registry().regions
    return lambda code: user.may_report(code, regions)


def address() -> str | None:
    return request.remote_addr


def ingest_for(user: User, path: Path, name: str, *, dry_run: bool) -> FileResult:
    """Check (and unless ``dry_run`` store) one return as ``user``: values outside their regions refuse the file.
    A store that cannot keep the original stores nothing and says so, as the file's problem."""
    try:
        return ingest_file(
            path,
            context.registry(),
            context.store(),
            uploaded_by=user.name,
            dry_run=dry_run,
            file_name=name,
            scope=scope_of(user),
            address=address(),
        )
    except (QtmError, StoreError) as failed:
        result = FileResult(name, "", "rejected")
        result.report.error("not_stored", f"未能存储：{failed}", f"not stored: {failed}")
        return result


def withdraw(user: User, batch_id: int, reason: str | None = None) -> dict[str, int]:
    if not user.may_withdraw():
        raise Forbidden("需要管理员权限才能撤回批次", "withdrawing a batch needs an admin account")
    done = context.store().withdraw_batch(batch_id, withdrawn_by=user.name, reason=reason, address=address())
    return {
        "withdrawal_batch": done.withdrawal_batch_id,
        "withdrawn": done.n_withdrawn,
        "restored": done.n_restored,
    }


def install(server: Flask) -> None:
    server.register_error_handler(Forbidden, _forbidden)
    server.add_url_rule("/api/upload", "api_upload", _upload, methods=["POST"])
    server.add_url_rule("/api/batches/<int:batch_id>/withdraw", "api_withdraw", _withdraw, methods=["POST"])
    server.add_url_rule("/api/users", "api_users", _users, methods=["POST"])
    server.add_url_rule("/api/audit", "api_audit", _audit, methods=["GET"])


def _forbidden(error: Forbidden) -> tuple[Response, int]:
    return jsonify({"error": "forbidden", "message": f"{error.zh} / {error.en}"}), error.status


def _upload() -> Response:
    user = reporter()
    files = request.files.getlist("files")
    if not files:
        abort(400, "no files (multipart field 'files')")
    registry = context.registry()
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as folder:
        for number, upload in enumerate(files):
            name = safe_name(upload.filename or f"return-{number}")
            path = Path(folder) / f"{number}-{name}"
            upload.save(path)
            result = ingest_for(user, path, name, dry_run=request.args.get("dry_run") == "1")
            results.append({**result.as_json(registry), "batch": result.batch_id})
    rejected = any(r["status"] == "rejected" for r in results)
    return Response(
        auth.json_safe({"files": results}), status=422 if rejected else 200, mimetype="application/json"
    )


def _withdraw(batch_id: int) -> Response:
    user = auth.current()
    if user is None:
        raise Forbidden("请先以管理员身份登录", "log in as an admin first", 401)
    body = request.get_json(silent=True) or {}
    try:
        return jsonify(withdraw(user, batch_id, body.get("reason") if isinstance(body, dict) else None))
    except StoreError as refused:
        return jsonify({"error": "refused", "message": str(refused)}), 409  # type: ignore[return-value]


def _users() -> Response:
    user = admin()
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, "expected a JSON object")
    try:
        added = Users(context.store()).add(
            str(body.get("name", "")),
            str(body.get("role", "")),  # type: ignore[arg-type]
            [str(r) for r in body.get("regions", [])],
            str(body.get("password", "")),
            actor=user.name,
            address=address(),
            regions_known=context.registry().regions,
        )
    except (ConfigError, ValueError) as refused:
        return jsonify({"error": "refused", "message": str(refused)}), 422  # type: ignore[return-value]
    return jsonify({"name": added.name, "role": added.role, "regions": sorted(added.regions)})


def _audit() -> Response:
    admin()
    entries = context.store().audit(limit=int(request.args.get("limit", "1000")))
    return Response(auth.json_safe([e.as_json() for e in entries]), mimetype="application/json")
