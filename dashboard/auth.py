"""Who is asking: logins (Flask-Login sessions over qtm.accounts), what each role may do, and the server's guards —
CSRF on every state-changing request, login throttling, security headers, request size limits, and an honest 4xx
for a malformed callback. Permissions are enforced here, on the server, never by hiding buttons."""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from flask import Flask, Response, abort, jsonify, redirect, render_template_string, request, url_for
from flask_login import AnonymousUserMixin, LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf
from werkzeug.exceptions import BadRequest

from qtm.accounts import User, Users
from qtm.errors import ConfigError
from qtm.store import Store

#: Paths anyone may reach: the login page and what it needs, Dash's static bundles (they hold no data).
_OPEN_PREFIXES = ("/login", "/assets/", "/_dash-component-suites/", "/_favicon.ico", "/favicon.ico")
CSRF_COOKIE = "_csrf_token"  # Dash sends this cookie back as the X-CSRFToken header on every callback


class SessionUser(UserMixin):
    """A logged-in qtm user, as Flask-Login wants it."""

    def __init__(self, user: User) -> None:
        self.user = user

    def get_id(self) -> str:
        return self.user.name


class Anonymous(AnonymousUserMixin):
    user: User | None = None


def anonymous_view_default(host: str) -> bool:
    """Anonymous viewing: on while the server listens on loopback only, off beyond it; QTM_ANONYMOUS_VIEW decides."""
    setting = os.environ.get("QTM_ANONYMOUS_VIEW")
    if setting is not None:
        return setting.strip().lower() in ("1", "true", "yes", "on")
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def secret_key() -> bytes:
    """QTM_SECRET_KEY, else the file QTM_SECRET_KEY_FILE (default ~/.local/share/qtm/secret_key, outside the
    repository), made on first use with a random key readable by its owner only; every worker shares it."""
    if os.environ.get("QTM_SECRET_KEY"):
        return os.environ["QTM_SECRET_KEY"].encode()
    path = Path(
        os.environ.get("QTM_SECRET_KEY_FILE") or Path.home() / ".local" / "share" / "qtm" / "secret_key"
    )
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


def current() -> User | None:
    """The logged-in user of the request, or None."""
    return getattr(current_user, "user", None) if current_user.is_authenticated else None


def install(server: Flask, store: Store, *, anonymous_view: bool) -> None:
    """Sessions, logins, guards and headers on the Flask server under the Dash app."""
    server.config.update(
        SECRET_KEY=secret_key(),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("QTM_SECURE_COOKIES") == "1",
        REMEMBER_COOKIE_HTTPONLY=True,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        QTM_ANONYMOUS_VIEW=anonymous_view,
    )
    users = Users(store, server.config["QTM_REGISTRY"].regions)
    manager = LoginManager(server)
    manager.anonymous_user = Anonymous

    @manager.user_loader
    def load(name: str) -> SessionUser | None:
        user = users.get(name)
        return SessionUser(user) if user is not None and user.active else None

    CSRFProtect(server)
    _headers(server)
    server.before_request(_guard)
    server.after_request(_csrf_cookie)
    server.register_error_handler(CSRFError, _csrf_refused)
    server.register_error_handler(BadRequest, _bad_request)

    def login() -> Any:
        return _login(users)

    server.add_url_rule("/login", "login", _throttled(server, login), methods=["GET", "POST"])
    server.add_url_rule("/logout", "logout", _logout, methods=["POST"])


def _throttled(server: Flask, view: Callable[[], Any]) -> Callable[[], Any]:
    """Failed login attempts are limited per address (QTM_LOGIN_LIMIT, default 10 a minute), counted in Redis when
    QTM_REDIS_URL is set (several workers), else in this process."""
    from flask_limiter import Limiter
    from flask_limiter.util import get_remote_address

    storage = os.environ.get("QTM_REDIS_URL") or "memory://"
    if (
        storage != "memory://"
    ):  # Redis down: count in this process until it is back, never fail the login page
        server.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
        server.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
        server.config.setdefault(
            "RATELIMIT_STORAGE_OPTIONS", {"socket_connect_timeout": 1, "socket_timeout": 1}
        )
    limiter = Limiter(get_remote_address, app=server, storage_uri=storage, default_limits=[])
    limit = os.environ.get("QTM_LOGIN_LIMIT") or "10 per minute"
    only_failures = limiter.limit(
        limit, methods=["POST"], deduct_when=lambda response: response.status_code == 401
    )
    return cast(Callable[[], Any], only_failures(view))


def _headers(server: Flask) -> None:
    """Security headers; the policy allows what Dash needs (its inline config script, plotly's inline styles)."""
    from flask_talisman import Talisman

    Talisman(
        server,
        force_https=False,
        session_cookie_secure=server.config["SESSION_COOKIE_SECURE"],
        content_security_policy={
            "default-src": "'self'",
            "script-src": ["'self'", "'unsafe-inline'", "'unsafe-eval'"],
            "style-src": ["'self'", "'unsafe-inline'"],
            "img-src": ["'self'", "data:"],
            "font-src": ["'self'", "data:"],
        },
        frame_options="DENY",
        referrer_policy="same-origin",
    )


def _guard() -> Response | None:
    """Every request: anonymous visitors pass only where the setting lets them; everything else needs a login."""
    from flask import current_app

    path = request.path
    if path.startswith(_OPEN_PREFIXES) or current_user.is_authenticated:
        return None
    if current_app.config["QTM_ANONYMOUS_VIEW"]:
        return None
    if request.method == "GET" and not path.startswith(("/_dash", "/api/")):
        return redirect(url_for("login", next=path))  # type: ignore[return-value]
    abort(401)


def _csrf_cookie(response: Response) -> Response:
    if request.cookies.get(CSRF_COOKIE) is None or (response.status_code == 200 and request.path == "/login"):
        response.set_cookie(CSRF_COOKIE, generate_csrf(), samesite="Lax", httponly=False)
    return response


def _csrf_refused(error: CSRFError) -> tuple[Response, int]:
    return jsonify({"error": "csrf", "message": "CSRF token missing or invalid; reload the page"}), 400


def _bad_request(error: BadRequest) -> tuple[Response, int]:
    return jsonify({"error": "bad_request", "message": str(error.description)[:200]}), 400


_LOGIN_PAGE = """<!doctype html>
<html lang="{{ 'en' if lang == 'en' else 'zh-CN' }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ t("登录", "Log in") }} · 质量目标监测</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/assets/qtm.css"></head>
<body><header class="topbar"><a class="brand" href="/"><span class="brand-zh">质量目标监测</span>
<span class="brand-en">Quality Target Monitor</span></a><span class="tagline"></span>
<a href="#" class="language-toggle" data-action="language" data-lang="{{ lang }}"
 onclick="document.cookie='qtm_lang={{ 'zh' if lang == 'en' else 'en' }}; path=/; max-age=31536000; SameSite=Lax'; location.reload(); return false;">{{ '中文' if lang == 'en' else 'English' }}</a></header>
<main class="content login"><h1>{{ t('登录', 'Log in') }}</h1>
{% if message %}<p class="banner synthetic" id="login-message">{{ message }}</p>{% endif %}
<form method="post" action="/login{{ '?next=' + next if next else '' }}" class="card login-form">
<input type="hidden" name="csrf_token" value="{{ csrf }}">
<label>{{ t('用户名', 'User name') }}<input name="username" autocomplete="username" required maxlength="80"></label>
<label>{{ t('密码', 'Password') }}<input name="password" type="password" autocomplete="current-password" required maxlength="200"></label>
<button type="submit" class="button primary">{{ t('登录', 'Log in') }}</button>
</form></main></body></html>"""


def _login(users: Users) -> Any:
    from dashboard import i18n

    lang = i18n.current()

    def t(zh: str, en: str) -> str:
        return i18n.t(lang, zh, en)

    target = request.args.get("next") or "/"
    if not target.startswith("/") or target.startswith("//"):
        target = "/"  # never an open redirect
    message = None
    if request.method == "POST":
        user = users.authenticate(
            request.form.get("username", "")[:80],
            request.form.get("password", "")[:200],
            address=request.remote_addr,
        )
        if user is not None:
            login_user(SessionUser(user))
            return redirect(target)
        message = t(
            "用户名或密码不正确，或账户已停用。", "Wrong user name or password, or the account is disabled."
        )
    page = render_template_string(
        _LOGIN_PAGE, lang=lang, t=t, message=message, next=target, csrf=generate_csrf()
    )
    return (page, 401 if message else 200)


def _logout() -> Any:
    logout_user()
    return redirect("/login")


def describe(user: User | None, lang: str) -> str:
    from dashboard.i18n import t

    if user is None:
        return t(lang, "访客（只读）", "guest (read only)")  # type: ignore[arg-type]
    roles = {"viewer": ("查看", "viewer"), "reporter": ("上报", "reporter"), "admin": ("管理员", "admin")}
    return f"{user.name} · {t(lang, *roles[user.role])}"  # type: ignore[arg-type]


def json_safe(value: object) -> str:
    """JSON that is always valid: a value that is not a finite number is refused, never written as Infinity."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False)
