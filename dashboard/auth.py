"""Who is asking: logins (Flask-Login sessions over qtm.accounts), what each role may do, and the server's guards —
CSRF on every state-changing request, login throttling, security headers, request size limits, and an honest 4xx
for a malformed callback. Permissions are enforced here, on the server, never by hiding buttons."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import math
import os
import secrets
import unicodedata
from collections.abc import Callable
from typing import Any, cast
from urllib.parse import quote, urlsplit, urlunsplit

from flask import Flask, Response, redirect, render_template_string, request, url_for
from flask_login import AnonymousUserMixin, LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf

from dashboard import errors
from qtm.accounts import User, Users
from qtm.config import current as settings
from qtm.errors import ConfigError
from qtm.formatting import ROLE_WORDS
from qtm.store import Store

#: Paths anyone may open without logging in, matched exactly: the login page and the icons.
PUBLIC_PATHS = frozenset({"/login", "/_favicon.ico", "/favicon.ico"})
#: Folders anyone may read files of (static files, no data): the login page's style and script, Dash's bundles
#: and plotly.js. Named one by one, with their closing "/".
PUBLIC_FOLDERS = ("/assets/", "/vendor/", "/_dash-component-suites/")
CSRF_COOKIE = "_csrf_token"  # Dash sends this cookie back as the X-CSRFToken header on every callback


class SessionUser(UserMixin):
    """A logged-in qtm user, as Flask-Login wants it. Its id, the one thing the signed session cookie holds, is the
    random token of a session the database keeps (qtm.accounts): never the user's name, so that a logout, a new
    password, another role, disabling or enabling ends the session on the server, for every copy of the cookie."""

    def __init__(self, user: User, token: str) -> None:
        self.user = user
        self.token = token

    def get_id(self) -> str:
        return self.token


class Anonymous(AnonymousUserMixin):
    user: User | None = None


def anonymous_view_default(host: str) -> bool:
    """Anonymous viewing: on while the server listens on loopback only, off beyond it; QTM_ANONYMOUS_VIEW decides."""
    setting = settings().anonymous_view
    if setting is not None:
        return setting
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def secret_key() -> bytes:
    """QTM_SECRET_KEY, else the file QTM_SECRET_KEY_FILE (default ~/.local/share/qtm/secret_key, outside the
    repository), made on first use with a random key readable by its owner only; every worker shares it."""
    if settings().secret_key:
        return str(settings().secret_key).encode()
    path = settings().secret_key_file
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_hex(32))
    key = path.read_text().strip()
    if len(key) < 32:
        raise ConfigError(
            f"the secret key in {path} is empty or too short (at least 32 characters): write a random one, e.g. "
            "python3 -c 'import secrets; print(secrets.token_hex(32))'"
        )
    return key.encode()


def is_public(path: str) -> bool:
    """Whether anyone may open ``path`` without logging in: one of :data:`PUBLIC_PATHS` exactly, or a file in one of
    :data:`PUBLIC_FOLDERS` — never a path that merely begins with a public one's text (/login-x, /loginx), nor one
    that climbs out of its folder (/assets/../api/audit)."""
    if path in PUBLIC_PATHS:
        return True
    if not path.startswith(PUBLIC_FOLDERS):
        return False
    segments = path.split("/")[2:]
    return all(s not in ("", ".", "..") for s in segments) and "\\" not in path


def current() -> User | None:
    """The logged-in user of the request, or None."""
    return getattr(current_user, "user", None) if current_user.is_authenticated else None


def install(server: Flask, store: Store, *, anonymous_view: bool) -> None:
    """Sessions, logins, guards and headers on the Flask server under the Dash app."""
    secure = settings().secure_cookies
    server.config.update(
        SECRET_KEY=secret_key(),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_HTTPONLY=True,  # never set (no "remember me"); were it, it would name a session too
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=secure,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        QTM_ANONYMOUS_VIEW=anonymous_view,
    )
    users = Users(store, server.config["QTM_REGISTRY"].regions)
    manager = LoginManager(server)
    manager.anonymous_user = Anonymous

    @manager.user_loader
    def load(token: str) -> SessionUser | None:
        user = users.session(token)  # None once logged out, changed, disabled or too old
        return SessionUser(user, token) if user is not None else None

    CSRFProtect(server)
    _headers(server)
    server.before_request(_guard)
    server.after_request(_csrf_cookie)
    server.register_error_handler(CSRFError, _csrf_refused)

    def login() -> Any:
        return _login(users)

    def logout() -> Any:
        return _logout(users)

    server.add_url_rule("/login", "login", _throttled(server, login, users), methods=["GET", "POST"])
    server.add_url_rule("/logout", "logout", logout, methods=["POST"])


def _throttled(server: Flask, view: Callable[[], Any], users: Users) -> Callable[[], Any]:
    """Failed logins are limited per address (QTM_LOGIN_LIMIT, default 10 a minute). With QTM_REDIS_URL they are
    counted in Redis (flask-limiter; in this process while Redis does not answer); without it, in the database: the
    audit trail's failed logins from the address in the last window, which every worker and server of the database
    writes, so the limit holds across workers. A login refused by the limit (429) is in the audit trail too."""
    from limits import parse

    limit = settings().login_limit
    try:
        allowed = parse(limit)
    except ValueError:
        raise ConfigError(f"QTM_LOGIN_LIMIT must read like '10 per minute', not {limit!r}") from None
    if settings().redis_url:
        return _throttled_in_redis(server, view, users, limit)

    def counted() -> Any:
        if request.method == "POST":
            failures, earliest = users.failed_logins(request.remote_addr, allowed.get_expiry())
            if failures >= allowed.amount and earliest is not None:
                waited = (dt.datetime.now(dt.UTC) - earliest).total_seconds()
                return _too_many(users, limit, max(1, math.ceil(allowed.get_expiry() - waited)))
        return view()

    return counted


def _throttled_in_redis(
    server: Flask, view: Callable[[], Any], users: Users, limit: str
) -> Callable[[], Any]:
    """The login limit counted in Redis by flask-limiter, shared by every worker and server that uses it."""
    from flask_limiter import Limiter, RateLimitExceeded
    from flask_limiter.util import get_remote_address
    from limits import parse

    # Redis down: count in this process until it is back, never fail the login page
    server.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    server.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    server.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"socket_connect_timeout": 1, "socket_timeout": 1})
    limiter = Limiter(
        get_remote_address, app=server, storage_uri=str(settings().redis_url), default_limits=[]
    )
    only_failures = limiter.limit(
        limit, methods=["POST"], deduct_when=lambda response: response.status_code == 401
    )
    window = parse(limit).get_expiry()
    # Registered for this exception (429) itself, so that no broader error handler answers in its place.
    server.register_error_handler(RateLimitExceeded, lambda error: _too_many(users, limit, window))
    return cast(Callable[[], Any], only_failures(view))


def _too_many(users: Users, limit: str, retry_after: int) -> Any:
    """The answer to a login refused by the limit: recorded in the audit trail, the login page again, 429."""
    users.record_throttled(request.form.get("username", ""), address=request.remote_addr, limit=limit)
    message = ("登录失败次数过多，请稍后再试。", "Too many failed logins from this address; try again later.")
    return _login_page(safe_next(request.args.get("next")), message, 429, {"Retry-After": str(retry_after)})


def _headers(server: Flask) -> None:
    """Security headers. Scripts run only from this server's files, or inline when they carry the nonce made afresh
    for each answer (``request.csp_nonce``; Dash's start-up script and the inline functions of Dash's pages get it in
    dashboard.app): never 'unsafe-inline', never 'unsafe-eval' (nothing qtm serves evaluates strings as code)."""
    from flask_talisman import Talisman

    Talisman(
        server,
        force_https=False,
        session_cookie_secure=server.config["SESSION_COOKIE_SECURE"],
        content_security_policy={
            "default-src": "'self'",
            "script-src": "'self'",
            # plotly.js styles its charts with style attributes and a <style> element it adds as it draws, which no
            # nonce can cover: styles, unlike scripts, keep 'unsafe-inline'.
            "style-src": ["'self'", "'unsafe-inline'"],
            "img-src": ["'self'", "data:"],
            "font-src": ["'self'", "data:"],
            "object-src": "'none'",
            "base-uri": "'self'",
            "form-action": "'self'",
            "frame-ancestors": "'none'",
        },
        content_security_policy_nonce_in=["script-src"],
        frame_options="DENY",
        referrer_policy="same-origin",
    )


def _guard() -> Response | tuple[Response, int] | None:
    """Every request: anonymous visitors pass only where the setting lets them; everything else needs a login (a
    page: the login form; a callback or the API: 401 in the app's one error shape, dashboard.errors)."""
    from flask import current_app

    path = request.path
    if is_public(path) or current_user.is_authenticated:
        return None
    if current_app.config["QTM_ANONYMOUS_VIEW"]:
        return None
    if request.method == "GET" and not path.startswith(("/_dash", "/api/")):
        return redirect(url_for("login", next=path))  # type: ignore[return-value]
    return errors.http_error(401)


def _csrf_cookie(response: Response) -> Response:
    """The CSRF token as a cookie the pages' script reads (so not HttpOnly); Secure like the session cookie."""
    from flask import current_app

    if request.cookies.get(CSRF_COOKIE) is None or (response.status_code == 200 and request.path == "/login"):
        secure = bool(current_app.config["SESSION_COOKIE_SECURE"])
        response.set_cookie(CSRF_COOKIE, generate_csrf(), samesite="Lax", httponly=False, secure=secure)
    return response


def _csrf_refused(_error: CSRFError) -> Response:
    return errors.answer(
        "csrf", "CSRF 令牌缺失或无效，请刷新页面", "CSRF token missing or invalid; reload the page", 400
    )


_LOGIN_PAGE = """<!doctype html>
<html lang="{{ 'en' if lang == 'en' else 'zh-CN' }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ t("登录", "Log in") }} · 质量目标监测</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/assets/qtm.css">
<script src="/assets/qtm.js" defer></script></head>
<body><header class="topbar"><a class="brand" href="/"><span class="brand-zh">质量目标监测</span>
<span class="brand-en">Quality Target Monitor</span></a><span class="tagline"></span>
<a href="#" class="language-toggle" data-action="language" data-lang="{{ lang }}">{{ '中文' if lang == 'en' else 'English' }}</a></header>
<main class="content login"><h1>{{ t('登录', 'Log in') }}</h1>
{% if message %}<p class="banner synthetic" id="login-message">{{ message }}</p>{% endif %}
<form method="post" action="/login{{ '?next=' + next if next else '' }}" class="card login-form">
<input type="hidden" name="csrf_token" value="{{ csrf }}">
<label>{{ t('用户名', 'User name') }}<input name="username" autocomplete="username" required maxlength="80"></label>
<label>{{ t('密码', 'Password') }}<input name="password" type="password" autocomplete="current-password" required maxlength="200"></label>
<button type="submit" class="button primary">{{ t('登录', 'Log in') }}</button>
</form></main></body></html>"""


def _login(users: Users) -> Any:
    """The login form, and a login: a new session (a session this client had before ends), then ``next``."""
    target = safe_next(request.args.get("next"))
    if request.method != "POST":
        return _login_page(target, None, 200)
    login = users.log_in(
        request.form.get("username", "")[:80],
        request.form.get("password", "")[:200],
        address=request.remote_addr,
    )
    if login is None:
        message = (
            "用户名或密码不正确，或账户已停用。",
            "Wrong user name or password, or the account is disabled.",
        )
        return _login_page(target, message, 401)
    if current_user.is_authenticated:
        users.end_session(current_user.get_id())
    login_user(SessionUser(login.user, login.token))
    return redirect(target)


def _login_page(
    target: str, message: tuple[str, str] | None, status: int, headers: dict[str, str] | None = None
) -> Any:
    """The login page in the visitor's language, with ``message`` (Chinese, English) if any."""
    from dashboard import i18n

    lang = i18n.current()

    def t(zh: str, en: str) -> str:
        return i18n.t(lang, zh, en)

    text = t(*message) if message else None
    # ``next`` goes into the form's address percent-encoded, so that its own "?", "&" and "#" stay in it.
    page = render_template_string(
        _LOGIN_PAGE, lang=lang, t=t, message=text, next=quote(target, safe="/"), csrf=generate_csrf()
    )
    return page, status, headers or {}


def safe_next(raw: str | None) -> str:
    """Where a login may lead: only a path of this server, parsed and rebuilt — no scheme, no host, a path that
    begins with exactly one "/" and holds no "//" — else "/". Backslashes (browsers read them as "/"), whitespace and control or
    format characters (a tab, CR or LF, which browsers drop or which split a header) are refused outright."""
    if not raw or not raw.startswith("/") or raw.startswith("//"):
        return "/"
    if any(ch == "\\" or unicodedata.category(ch)[0] in "CZ" for ch in raw):
        return "/"
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or "//" in parts.path:
        return "/"
    return urlunsplit(("", "", parts.path, parts.query, parts.fragment))


def _logout(users: Users) -> Any:
    """End the session on the server (every copy of its cookie stops working), then in this browser."""
    if current_user.is_authenticated:
        users.end_session(current_user.get_id())
    logout_user()
    return redirect("/login")


def describe(user: User | None, lang: str) -> str:
    from dashboard.i18n import t

    if user is None:
        return t(lang, "访客（只读）", "guest (read only)")  # type: ignore[arg-type]
    return f"{user.name} · {t(lang, *ROLE_WORDS[user.role])}"  # type: ignore[arg-type]


def json_safe(value: object) -> str:
    """JSON that is always valid: a value that is not a finite number is refused, never written as Infinity."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False)
