"""The dashboard's writes, for people (the Dash callbacks call these) and for scripts (the same over HTTP, JSON).

Every write asks :mod:`dashboard.auth` who is asking and refuses what that user's role does not allow: uploads
need a reporter (for the regions assigned to them, and their subdivisions) or an admin; withdrawing batches and
managing users need an admin. The routes take the session cookie and the CSRF header like the pages do.

    POST /api/upload               multipart files=…   → {"files": [qtm ingest --json per file]}
    POST /api/batches/<id>/withdraw                     → {"withdrawal_batch", "withdrawn", "restored"}
    POST /api/users                JSON {"name", "role", "regions", "password"}
    GET  /api/audit                                      → [{"at", "user", "action", "batch", "address", "detail"}]
    GET  /template.xlsx?plan=ID&region=CODE              → the fill-in return (a reporter: their regions' rows)

What each role may do is one table (qtm.accounts.PERMISSIONS, asked through ``may``); every refusal is an error of
the family (qtm.errors) that dashboard/errors.py answers in the one JSON shape (docs/deploy.md "Errors").
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from flask import Flask, Response, abort, current_app, g, jsonify, request, send_file

from dashboard import auth, context, jobs
from loaders.ingest import FileResult, ingest_file
from loaders.staging import disk_name, label
from loaders.template import region_codes, template_rows, template_title, write_template
from qtm.accounts import Action, User, Users, may, scoped
from qtm.errors import Forbidden, QtmError, StoreError


def reporter() -> User:
    """The logged-in user, when they may upload at all."""
    user = auth.current()
    if user is None:
        raise Forbidden(
            "请先登录（上报需要上报员或管理员账户）",
            "log in first (uploading needs a reporter or admin account)",
            401,
        )
    if not may(user, "upload"):
        raise Forbidden("该账户无上报权限", "this account may not upload returns")
    return user


def admin(action: Action = "manage_users") -> User:
    """The logged-in user, when they may do ``action`` (which only an admin may)."""
    user = auth.current()
    if user is None:
        raise Forbidden("请先以管理员身份登录", "log in as an admin first", 401)
    if not may(user, action):
        raise Forbidden("需要管理员权限", "this needs an admin account")
    return user


def scope_of(user: User) -> Callable[[str], bool]:
    """The regions a user may report for: theirs and every region under them (everything for an admin)."""
    regions = context.registry().regions
    return lambda code: may(user, "upload", code, regions)


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
    if not may(user, "withdraw"):
        raise Forbidden("需要管理员权限才能撤回批次", "withdrawing a batch needs an admin account")
    if not 0 < batch_id < 2**63:
        raise StoreError(
            f"there is no batch {batch_id} (qtm batches lists them)", f"没有批次 {batch_id}", status=409
        )
    try:
        done = context.store().withdraw_batch(
            batch_id, withdrawn_by=user.name, reason=reason, address=address()
        )
    except StoreError as refused:  # the store refuses this batch's withdrawal: a conflict with its state
        zh = refused.zh if refused.zh != refused.en else f"无法撤回批次 {batch_id}：{refused.en}"
        raise StoreError(refused.en, zh, code=refused.code, status=409) from refused
    return {
        "withdrawal_batch": done.withdrawal_batch_id,
        "withdrawn": done.n_withdrawn,
        "restored": done.n_restored,
    }


def install(server: Flask) -> None:
    server.add_url_rule("/api/upload", "api_upload", _upload, methods=["POST"])
    server.add_url_rule("/api/batches/<int:batch_id>/withdraw", "api_withdraw", _withdraw, methods=["POST"])
    server.add_url_rule("/api/users", "api_users", _users, methods=["POST"])
    server.add_url_rule("/api/audit", "api_audit", _audit, methods=["GET"])
    server.add_url_rule("/template.xlsx", "template", _template, methods=["GET"])


def template_regions(user: User | None, written: list[str]) -> list[str]:
    """The regions of the template ``user`` asks for: those written (``?region=``, each checked against the user's
    regions), else a reporter's own regions, else each target's jurisdiction (an empty list)."""
    registry = context.registry()
    try:
        codes = region_codes(registry, written)
    except ValueError:
        raise QtmError(
            f"unknown region: {', '.join(written)} (give a region code or name)",
            f"未知地区：{'、'.join(written)}（请填写地区代码或名称）",
            code="unknown_region",
            status=400,
        ) from None
    if user is not None and scoped(user, "upload"):
        outside = [c for c in codes if not may(user, "upload", c, registry.regions)]
        if outside:
            names = "、".join(registry.regions.get(c).name_zh for c in outside)
            raise Forbidden(f"无权上报该地区：{names}", f"you may not report for: {', '.join(outside)}")
        return codes or sorted(user.regions)
    return codes


def _template() -> Response:
    """The fill-in return for one plan (``?plan=ID``) or every plan, made fresh: the registry decides its rows, in
    the regions asked for or the reporter's own."""
    registry = context.registry()
    plan = request.args.get("plan") or None
    if plan is not None and plan not in registry.plans:
        abort(404)
    codes = template_regions(auth.current(), [r for r in request.args.getlist("region") if r])
    rows = template_rows(registry, plan=plan, regions=codes)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "template.xlsx"
        write_template(registry, rows, path, template_title(registry, plan))
        content = path.read_bytes()
    name = f"qtm-template-{plan or 'all'}" + "".join(f"-{c}" for c in codes) + ".xlsx"
    return send_file(io.BytesIO(content), download_name=name, as_attachment=True, mimetype=_XLSX)


_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _upload() -> Response:
    user = reporter()
    files = request.files.getlist("files")
    if not files:
        abort(400, "no files (multipart field 'files')")
    answers: list[BinaryIO] = []  # each file's part of the answer, written by its check
    rejected = False
    with tempfile.TemporaryDirectory() as folder, jobs.slot(jobs.slot_wait()):  # Busy: 503 (dashboard.errors)
        for number, upload in enumerate(files):
            name = label(upload.filename or f"return-{number}")  # the name people see; the disk's is ours
            path = Path(folder) / disk_name(f"return-{number}", upload.filename or "")
            upload.save(path)
            answer = Path(folder) / f"{number}.json"
            rejected |= _check(user, path, name, answer, dry_run=request.args.get("dry_run") == "1")
            answers.append(answer.open("rb"))  # still readable once the folder is gone
    return Response(_joined(answers), status=422 if rejected else 200, mimetype="application/json")


def _check(user: User, path: Path, name: str, answer: Path, *, dry_run: bool) -> bool:
    """Check (and unless ``dry_run`` store) one file in a process of its own whose memory is bounded (QTM_CHECK_MB),
    so that this worker never holds a check's memory; its part of the answer is written to ``answer``. Whether it
    was rejected. A check that needs more memory than it may use refuses the file, and nothing is stored."""
    registry = context.registry()

    def work() -> tuple[bool, bool]:
        result = ingest_for(user, path, name, dry_run=dry_run)
        _write_answer(answer, result, registry)
        return result.status in ("rejected", "unreadable"), bool(g.get("qtm_committed"))

    try:
        rejected, committed = jobs.bounded(work, jobs.check_memory())
    except jobs.OutOfMemory as stopped:
        current_app.logger.warning("upload %r: the check %s", name, stopped)
        megabytes = f"{stopped.limit / 1048576:.0f} MB"
        result = FileResult(name, "", "rejected")
        result.report.error(
            "needs_too_much_memory",
            f"检查此文件所需内存超过单次检查的上限（{megabytes}），未存储；请拆分为较小的文件",
            f"the return needs more memory than a check may use ({megabytes}): nothing stored; split it into smaller files",
        )
        _write_answer(answer, result, registry)
        return True
    if committed:  # what the check's process committed, this request did: app.py publishes the live version
        g.qtm_committed = True
    return rejected


def _write_answer(answer: Path, result: FileResult, registry: Any) -> None:
    """``{**result.as_json(registry), "batch": …}`` written as it is made, the observations one at a time: a large
    return's would otherwise be built whole in memory first (as :meth:`FileResult.as_json` writes each of them)."""
    observations, result.observations = result.observations, []
    units = {i.id: i.unit for i in registry.indicators.values()}
    with answer.open("w", encoding="utf-8") as out:
        out.write("{")
        for number, (key, value) in enumerate({**result.as_json(registry), "batch": result.batch_id}.items()):
            out.write((", " if number else "") + auth.json_safe(key) + ": ")
            if key != "observations":
                out.write(auth.json_safe(value))
                continue
            out.write("[")
            for index, observation in enumerate(observations):
                out.write(
                    (", " if index else "")
                    + auth.json_safe(observation.as_json(units[observation.indicator]))
                )
            out.write("]")
        out.write("}")


def _joined(answers: list[BinaryIO]) -> Iterator[bytes]:
    """``{"files": [answer, …]}``, read from the files' answers in pieces; each is closed once sent."""
    try:
        yield b'{"files": ['
        for number, answer in enumerate(answers):
            yield b", " if number else b""
            while piece := answer.read(1 << 20):
                yield piece
        yield b"]}"
    finally:
        for answer in answers:
            answer.close()


def _withdraw(batch_id: int) -> Response:
    user = auth.current()
    if user is None:
        raise Forbidden("请先以管理员身份登录", "log in as an admin first", 401)
    body = request.get_json(silent=True) or {}
    return jsonify(withdraw(user, batch_id, body.get("reason") if isinstance(body, dict) else None))


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
    except (QtmError, ValueError) as refused:  # the account cannot be added as asked: the client's to fix
        code = refused.code if isinstance(refused, QtmError) else "account"
        raise QtmError(str(refused), f"无法添加账户：{refused}", code=code, status=422) from None
    return jsonify({"name": added.name, "role": added.role, "regions": sorted(added.regions)})


#: The most audit entries one GET /api/audit answers (the newest first); /audit.csv has them all.
AUDIT_LIMIT = 10_000


def _audit() -> Response:
    admin("read_audit")
    text = request.args.get("limit", "1000")
    limit = int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else 0
    if not 1 <= limit <= AUDIT_LIMIT:
        raise QtmError(
            f"limit must be a whole number from 1 to {AUDIT_LIMIT}",
            f"limit 须为 1 至 {AUDIT_LIMIT} 的整数",
            code="bad_limit",
            status=400,
        )
    entries = context.store().audit(limit=limit)
    return Response(auth.json_safe([e.as_json() for e in entries]), mimetype="application/json")
