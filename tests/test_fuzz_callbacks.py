"""Malformed requests against a real server: every callback the dashboard registers (read from its own
/_dash-dependencies) sent the wrong shapes and the wrong types for each input and state, as an admin and as an
anonymous visitor; the malformed requests the issue names; /api/audit with a limit that is not one. The server
answers 4xx — 400 in its one error shape where the request is malformed — never 5xx, stores nothing, and keeps
serving. The malformed values are a fixed list: the same requests every run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.conftest import serving, web_client

UPDATE = "/_dash-update-component"
#: A value nested deeper than any parser reads (the issue's 100,000), and one just deep enough to be read.
TOO_DEEP, DEEP = 100_000, 400
#: The wrong values sent for every input and state: each of JSON's types, deeply nested, huge. "@DEEP@" and
#: "@TOO_DEEP@" stand for nested lists spliced into the body's text (a Python list that deep cannot be dumped).
BAD_VALUES: dict[str, Any] = {
    "none": None,
    "int": 7,
    "negative float": -1.5,
    "bool": True,
    "string": "x",
    "list": [1, "x", None],
    "dict": {"x": 1},
    "deep list": "@DEEP@",
    "too deep list": "@TOO_DEEP@",
    "huge string": "x" * 1_000_000,
    "huge number": 10**30,
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Anonymous visitors may view (so that their callbacks run too)."""
    with serving(tmp_path_factory.mktemp("fuzz"), {"QTM_ANONYMOUS_VIEW": "1"}) as url:
        yield url


def text_of(body: object) -> str:
    text = json.dumps(body)
    return text.replace('"@DEEP@"', "[" * DEEP + "]" * DEEP).replace(
        '"@TOO_DEEP@"', "[" * TOO_DEEP + "]" * TOO_DEEP
    )


def send(client: requests.Session, server: str, body: object, *, poll: bool = False) -> requests.Response:
    """POST a callback request; ``poll``: as the page's poll for a background job's result (see below)."""
    query = "?cacheKey=forged&job=forged" if poll else ""
    return client.post(
        server + UPDATE + query,
        data=text_of(body).encode(),
        headers={"Content-Type": "application/json"},
        timeout=60,
    )


def pattern_id(text: str) -> Any:
    return json.loads(text) if text.startswith("{") else text


def many(id_: Any) -> bool:
    return isinstance(id_, dict) and any(v in (["ALL"], ["ALLSMALLER"]) for v in id_.values())


def concrete(id_: dict[str, Any]) -> dict[str, Any]:
    """A component id that fits a pattern (its wildcards filled)."""
    return {k: (1 if isinstance(v, list) else v) for k, v in id_.items()}


def item(dependency: dict[str, str], value: Any) -> Any:
    """The input or state as the page sends it, holding ``value`` (a list of one component for a pattern)."""
    id_ = pattern_id(dependency["id"])
    if many(id_):
        return [{"id": concrete(id_), "property": dependency["property"], "value": value}]
    return {"id": id_, "property": dependency["property"], "value": value}


def outputs_of(output: str) -> Any:
    """The outputs as the page sends them for a callback id (dash._utils.split_callback_id)."""
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    sent = []
    for part in parts:
        id_text, prop = part.rsplit(".", 1)
        id_ = pattern_id(id_text)
        sent.append([] if many(id_) else {"id": id_, "property": prop})
    return sent if output.startswith("..") else sent[0]


#: Values a page sends, so that the other inputs of a request are well formed while one of them is not (by
#: property, or by "id.property"; None for the rest). Nothing a request holding them does is a write.
PLAUSIBLE: dict[str, Any] = {
    "pathname": "/",
    "search": "",
    "n_clicks": 1,
    "n_intervals": 1,
    "data-version.data": 1,
    "page-id.data": "fuzz",
}


def plausible(dependency: dict[str, str]) -> Any:
    if many(pattern_id(dependency["id"])):
        return []  # no component of the pattern on the page
    key = f"{dependency['id']}.{dependency['property']}"
    return item(dependency, PLAUSIBLE.get(key, PLAUSIBLE.get(dependency["property"])))


def base_body(callback: dict[str, Any]) -> dict[str, Any]:
    """A request in the shape the page sends, with plausible values."""
    body = {
        "output": callback["output"],
        "outputs": outputs_of(callback["output"]),
        "inputs": [plausible(d) for d in callback["inputs"]],
        "changedPropIds": [],
    }
    if callback["state"]:
        body["state"] = [plausible(d) for d in callback["state"]]
    return body


def malformed_bodies(callback: dict[str, Any]) -> Iterator[tuple[str, object]]:
    """(what, body): each input and state with each wrong value, and replaced by it; each part of the body."""
    base = base_body(callback)
    positions = [("inputs", n, d) for n, d in enumerate(callback["inputs"])]
    positions += [("state", n, d) for n, d in enumerate(callback["state"])]
    for key, number, dependency in positions:
        label = f"{key}[{number}] {dependency['id']}.{dependency['property']}"
        for name, value in BAD_VALUES.items():
            body = json.loads(json.dumps(base))
            body[key][number] = item(dependency, value)
            yield f"{label} = {name}", body
            body = json.loads(json.dumps(base))
            body[key][number] = value
            yield f"{label} replaced by {name}", body
    for part in ("inputs", "state", "outputs", "changedPropIds", "output"):
        for name, value in BAD_VALUES.items():
            yield f"{part} = {name}", {**base, part: value}
        yield f"no {part}", {k: v for k, v in base.items() if k != part}
    yield "changedPropIds naming no input", {**base, "changedPropIds": ["nope.value"]}
    for name, value in BAD_VALUES.items():
        yield f"the body = {name}", value


@pytest.mark.parametrize("who", ["admin", None], ids=["admin", "anonymous"])
def test_every_callback_answers_malformed_requests_without_a_server_error(server, who):
    client = web_client(server, who)
    admin = web_client(server, "admin")
    audit_before = admin.get(server + "/api/audit?limit=10000", timeout=30).json()
    callbacks = client.get(server + "/_dash-dependencies", timeout=30).json()
    assert len(callbacks) >= 10  # the dashboard's callbacks, and Dash's own for its pages
    failures, sent = [], 0
    for callback in callbacks:
        # A background callback's first request starts a job (a process of its own) when its values are of the
        # right types: sent as the page's poll for a job's result instead, it is checked the same way, but a
        # request that passes reads a forged job handle, which Dash ignores — no job is started. (That a
        # malformed first request is refused before any job starts is test_a_non_list_staged_... below.)
        poll = callback.get("background") is not None
        for what, body in malformed_bodies(callback):
            answer = send(client, server, body, poll=poll)
            sent += 1
            if answer.status_code >= 500:
                failures.append(f"{callback['output'][:60]} · {what}: {answer.status_code}")
    assert failures == [], f"{len(failures)} of {sent} malformed requests got a server error:\n" + "\n".join(
        failures[:40]
    )
    assert client.get(server + "/", timeout=30).status_code == 200  # still serving
    assert admin.get(server + "/api/audit?limit=10000", timeout=30).json() == audit_before  # nothing stored


def live_check() -> dict[str, Any]:
    """The shell's live check for new data, exactly as the page sends it."""
    return {
        "output": "data-version.data",
        "outputs": {"id": "data-version", "property": "data"},
        "inputs": [{"id": "live-tick", "property": "n_intervals", "value": 1}],
        "state": [{"id": "data-version", "property": "data", "value": 0}],
        "changedPropIds": ["live-tick.n_intervals"],
    }


def commit_callback(client: requests.Session, server: str) -> dict[str, Any]:
    callbacks = client.get(server + "/_dash-dependencies", timeout=30).json()
    return next(c for c in callbacks if c["output"].startswith("..commit-result.children"))


def test_a_well_formed_callback_request_is_answered(server):
    client = web_client(server, "admin")
    answer = send(client, server, live_check())
    assert answer.status_code == 200 and answer.json()["response"]["data-version"]["data"] > 0


def test_a_non_list_staged_is_refused_before_any_job_starts(server):
    """The commit is a background callback: a request of the right shape would start a job (200 and a job's
    handle); a ``staged`` that is not a list is refused first."""
    client = web_client(server, "admin")
    body = base_body(commit_callback(client, server))
    body["inputs"][0]["value"] = 1
    body["state"][0]["value"] = "not a list"
    body["changedPropIds"] = ["commit.n_clicks"]
    answer = send(client, server, body)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert (
        error["code"] == "bad_request"
        and "staged.data" in error["message_en"]
        and "请求有误" in error["message"]
    )


def malformed_requests() -> Iterator[tuple[str, str]]:
    good = live_check()
    yield "deep", '{"output": "data-version.data", "inputs": ' + "[" * TOO_DEEP + "]" * TOO_DEEP + "}"
    yield "no inputs", json.dumps({k: v for k, v in good.items() if k != "inputs"})
    tick = json.loads(json.dumps(good))
    tick["inputs"][0]["value"] = "1"
    yield "a string tick", json.dumps(tick)
    strings = {**good, "inputs": ["live-tick.n_intervals"], "state": ["data-version.data"]}
    yield "strings where dicts are expected", json.dumps(strings)
    yield "a string for the outputs", json.dumps({**good, "outputs": "data-version.data"})
    pages = {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [
            {"id": "_pages_content", "property": "children"},
            {"id": "_pages_store", "property": "data"},
        ],
        "inputs": [
            {"id": "_pages_location", "property": "pathname", "value": 5},
            {"id": "_pages_location", "property": "search", "value": ""},
        ],
        "changedPropIds": ["_pages_location.pathname"],
    }
    yield "a number for the pathname", json.dumps(pages)


@pytest.mark.parametrize(
    "what",
    [
        "deep",
        "no inputs",
        "a string tick",
        "strings where dicts are expected",
        "a string for the outputs",
        "a number for the pathname",
    ],
)
def test_the_malformed_requests_of_the_issue_answer_400_in_the_one_error_shape(server, what):
    client = web_client(server, "viewer")
    text = dict(malformed_requests())[what]
    answer = client.post(
        server + UPDATE, data=text.encode(), headers={"Content-Type": "application/json"}, timeout=60
    )
    assert answer.status_code == 400
    assert set(answer.json()) == {"error"} and answer.json()["error"]["code"] == "bad_request"
    assert set(answer.json()["error"]) == {"code", "message", "message_en", "status", "place"}


def test_a_json_body_nested_too_deeply_is_refused_on_every_route(server):
    client = web_client(server, "admin")
    deep = "[" * TOO_DEEP + "]" * TOO_DEEP
    for path in ("/api/users", "/api/batches/1/withdraw"):
        answer = client.post(
            server + path, data=deep, headers={"Content-Type": "application/json"}, timeout=60
        )
        assert answer.status_code == 400 and answer.json()["error"]["code"] == "bad_request", path


@pytest.mark.parametrize("limit", ["abc", "-1", "0", "1.5", "10001", "9" * 5000, "١٢"])
def test_an_audit_limit_that_is_not_one_answers_400(server, limit):
    client = web_client(server, "admin")
    answer = client.get(server + "/api/audit", params={"limit": limit}, timeout=30)
    assert answer.status_code == 400
    assert answer.json() == {
        "error": {
            "code": "bad_limit",
            "message": "limit 须为 1 至 10000 的整数",
            "message_en": "limit must be a whole number from 1 to 10000",
            "status": 400,
            "place": None,
        }
    }


def test_an_audit_limit_is_kept(server):
    client = web_client(server, "admin")
    everything = client.get(server + "/api/audit", timeout=30).json()
    assert len(everything) > 2  # the accounts the fixture added
    assert client.get(server + "/api/audit?limit=2", timeout=30).json() == everything[:2]


def test_a_callback_or_api_request_without_a_login_answers_401_in_the_one_error_shape(
    registry, sqlite_url, tmp_path, monkeypatch
):
    """Where visitors must log in (as beyond loopback), a callback or API request without a session is refused in
    the same JSON shape as every other refusal, not with an HTML error page."""
    from dashboard.app import create_app
    from qtm.store import Store

    monkeypatch.setenv("QTM_ANONYMOUS_VIEW", "0")
    monkeypatch.setenv("QTM_SECRET_KEY", "k" * 32)
    monkeypatch.setenv("QTM_JOBS_DIR", str(tmp_path / "jobs"))
    client = create_app(registry, Store.open(sqlite_url)).server.test_client()
    client.get("/login")  # the CSRF cookie, which the pages send back as a header
    token = client.get_cookie("_csrf_token")
    assert token is not None
    for method, path in (("post", UPDATE), ("get", "/api/audit"), ("post", "/api/users")):
        answer = getattr(client, method)(path, json=live_check(), headers={"X-CSRFToken": token.value})
        assert answer.status_code == 401, path
        assert answer.json == {
            "error": {
                "code": "login_required",
                "message": "请先登录",
                "message_en": "log in first",
                "status": 401,
                "place": None,
            }
        }, path
