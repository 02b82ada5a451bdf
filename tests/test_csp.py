"""The content security policy: scripts only from the server's own files or carrying the answer's nonce — no
'unsafe-inline', no 'unsafe-eval' — and every page still works under it in a real Chromium: each page, in Chinese
and in English, as the visitor who may see it, loads with no console error and no policy violation, and draws its
charts."""

from __future__ import annotations

import re

import pytest
import requests

from tests.conftest import PASSWORD

TARGET = "/target/gansu_manufacturing_pass_rate_2025"
#: (who, path, a selector the page shows once drawn, whether it draws a chart); None: anonymous.
PAGES = [
    (None, "/login", "form.login-form", False),
    (None, "/", "[data-target-id] .gauge .js-plotly-plot .main-svg", True),
    (None, "/region/620000", ".comparison .js-plotly-plot .main-svg", True),
    (None, TARGET, "#trend .js-plotly-plot .main-svg", True),
    (None, "/nope", "#not-found", False),
    ("lanzhou", "/upload", "#upload", False),
    ("admin", "/audit", "#audit", False),
]
#: Records every violation of the policy the page reports, from before its first script runs.
WATCH_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample}`));
"""


def script_sources(policy: str) -> list[str]:
    directive = next(d.strip() for d in policy.split(";") if d.strip().startswith("script-src "))
    return directive.split()[1:]


@pytest.mark.parametrize("path", ["/", "/login", TARGET, "/nope"])
def test_scripts_run_only_from_the_server_or_with_the_answers_nonce(demo_server, path):
    answers = [requests.get(demo_server + path, timeout=30) for _ in range(2)]
    nonces = []
    for answer in answers:
        sources = script_sources(answer.headers["Content-Security-Policy"])
        assert "'unsafe-inline'" not in sources and "'unsafe-eval'" not in sources
        nonce = next(s for s in sources if s.startswith("'nonce-"))[len("'nonce-") : -1]
        nonces.append(nonce)
        html = re.sub(
            r"<!--.*?-->", "", answer.text, flags=re.S
        )  # Dash's note for Internet Explorer: no script
        inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
        # every inline script the page runs carries this answer's nonce (Dash's JSON config runs nothing)
        assert all(
            f'nonce="{nonce}"' in attributes for attributes in inline if "application/json" not in attributes
        )
        assert re.search(r"<[^>]*\son[a-z]+\s*=", html) is None  # no inline event handler either
    assert nonces[0] != nonces[1]  # a nonce for each answer, never one to learn and reuse


def log_in(context, server: str, name: str) -> None:
    page = context.new_page()
    page.goto(server + "/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#account-name")
    page.close()


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_works_under_the_policy(browser, demo_server, lang):
    problems: list[str] = []
    for who in (None, "lanzhou", "admin"):
        context = browser.new_context(viewport={"width": 1366, "height": 768})
        context.add_cookies([{"name": "qtm_lang", "value": lang, "url": demo_server}])
        context.add_init_script(WATCH_VIOLATIONS)
        if who is not None:
            log_in(context, demo_server, who)
        for page_who, path, drawn, chart in PAGES:
            if page_who == who:
                problems += visit(context, demo_server + path, drawn, chart, lang)
        context.close()
    assert problems == []


def visit(context, url: str, drawn: str, chart: bool, lang: str) -> list[str]:
    """Open ``url`` and wait until ``drawn`` shows (and a chart's SVG, if ``chart``); what went wrong there."""
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    answer = page.goto(url)
    page.wait_for_selector(drawn)
    page.wait_for_load_state("networkidle")
    if (
        answer is not None and answer.status == 404
    ):  # the honest 404 page: its own status is no error of the page
        errors = [e for e in errors if "status of 404" not in e]
    violations = page.evaluate("window.__violations")
    charts = page.locator(".js-plotly-plot svg.main-svg").count()
    language = page.evaluate("document.documentElement.getAttribute('lang') || ''")
    page.close()
    where = f"{lang} {url}"
    problems = [f"{where}: console error {e}" for e in errors]
    problems += [f"{where}: policy violation {v}" for v in violations]
    if chart and charts == 0:
        problems.append(f"{where}: no chart drawn")
    if "/login" in url and not language.startswith("en" if lang == "en" else "zh"):
        problems.append(f"{where}: the login page is in {language!r}")
    return problems


@pytest.mark.browser
def test_the_login_pages_language_link_works_without_inline_script(page, demo_server):
    page.goto(demo_server + "/login")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.click("[data-action=language]")
    page.wait_for_selector("html[lang=en]")
    assert page.locator("h1").inner_text() == "Log in"
    page.click("[data-action=language]")
    page.wait_for_selector("html[lang=zh-CN]")
    assert page.locator("h1").inner_text() == "登录"
