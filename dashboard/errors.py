"""The web's one error answer. Any error of the family (:class:`qtm.errors.QtmError`: a refused permission, a busy
server, a store that refuses a change …) and every HTTP error of the API and of Dash's callbacks (400, 401, 403,
404, 405, 413, 429, 500, 503 …) is answered in one JSON shape (docs/deploy.md "Errors")::

    {"error": {"code": "not_found", "message": "未找到", "message_en": "not found", "status": 404, "place": null}}

Pages a person opens in the browser keep their own answers: Dash's Chinese 404 page, the login page, and the
Chinese-first plain text of a refused download (dashboard.downloads)."""

from __future__ import annotations

from flask import Flask, Response, current_app, json, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.sansio.response import Response as BaseResponse

from qtm.errors import Place, QtmError, error_json

#: Paths whose errors are always answered as JSON: the API and Dash's own requests (callbacks, layout).
JSON_PREFIXES = ("/api/", "/_dash-")

#: What each HTTP error says, Chinese and English, with its code (a word a script can test).
HTTP_ERRORS: dict[int, tuple[str, str, str]] = {
    400: ("bad_request", "请求有误", "bad request"),
    401: ("login_required", "请先登录", "log in first"),
    403: ("forbidden", "无权执行此操作", "forbidden"),
    404: ("not_found", "未找到", "not found"),
    405: ("method_not_allowed", "不支持该请求方法", "method not allowed"),
    409: ("conflict", "与当前数据冲突，未执行", "conflict with the current state: nothing done"),
    413: ("too_large", "请求过大", "the request is too large"),
    422: ("unprocessable", "无法处理", "cannot be processed"),
    429: ("too_many_requests", "请求过于频繁，请稍后再试", "too many requests: try again later"),
    500: ("server_error", "服务器内部错误", "internal server error"),
    503: ("unavailable", "服务器暂不可用，请稍后再试", "the server is unavailable: try again shortly"),
}

#: What a 503 for a busy server asks the client to wait before sending again: about as long as the largest
#: return's check takes.
RETRY_AFTER_SECONDS = 30


def install(server: Flask) -> None:
    """The handlers; and under /api/ only the API's routes (install after the login guard: a visitor without a
    session gets 401 first)."""
    server.register_error_handler(QtmError, _family)
    server.register_error_handler(HTTPException, _http)
    server.before_request(_api_routes_only)


def _api_routes_only() -> None:
    """Dash answers a GET of any path with its page; a path under /api/ that no API route takes is 404, and one
    that an API route takes by another method 405 (raised here, answered by :func:`_http`)."""
    rule = request.url_rule
    if not request.path.startswith("/api/") or (rule is not None and rule.rule.startswith("/api/")):
        return
    routes = [r for r in current_app.url_map.iter_rules() if r.rule.startswith("/api/")]
    api = Map([Rule(r.rule, methods=r.methods, endpoint=r.endpoint) for r in routes])
    api.bind("").match(request.path, method=request.method)  # raises NotFound or MethodNotAllowed


def answer(
    code: str,
    zh: str,
    en: str,
    status: int,
    place: Place | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The one JSON error answer."""
    response = Response(
        json.dumps(error_json(code, zh, en, status, place), ensure_ascii=False),
        status=status,
        mimetype="application/json",
    )
    response.headers.update(headers or {})
    return response


def http_error(status: int, detail: str | None = None) -> Response:
    """The answer for an HTTP error of ``status``; ``detail`` (English, as a handler wrote it) said after the
    words of the status."""
    code, zh, en = HTTP_ERRORS.get(status, (f"http_{status}", f"HTTP 错误 {status}", f"HTTP error {status}"))
    if detail:
        zh, en = f"{zh}：{detail}", detail
    return answer(code, zh, en, status)


def _family(error: QtmError) -> Response:
    if error.status >= 500 and error.code not in ("busy", "out_of_memory"):
        current_app.logger.error("%s: %s", error.code, error, exc_info=error)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if error.code == "busy" else None
    zh = error.zh
    if zh == error.en:  # no Chinese of its own: what its status says, then the English
        zh = f"{HTTP_ERRORS.get(error.status, HTTP_ERRORS[500])[1]}：{error.en}"
    return answer(error.code, zh, error.en, error.status, error.place, headers)


def _http(error: HTTPException) -> BaseResponse | HTTPException:
    """An HTTP error as JSON where a script or Dash asks (and every 400, as always); else as it was raised (a
    handler's own answer, or the default page)."""
    if error.response is not None or error.code is None:
        return error.response if error.response is not None else error
    if not (request.path.startswith(JSON_PREFIXES) or error.code == 400):
        return error
    detail = None if _stock(error) or not error.description else str(error.description)
    extra = {k: v for k, v in error.get_headers() if k.lower() not in ("content-type", "content-length")}
    response = http_error(error.code, detail[:200] if detail else None)
    response.headers.update(extra)
    return response


def _stock(error: HTTPException) -> bool:
    """Whether ``error`` carries werkzeug's own description (no handler wrote one)."""
    return error.description == type(error).description
