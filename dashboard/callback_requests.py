"""What a request must be before the server acts on it: JSON that a parser can read (no nesting deeper than the
interpreter's recursion limit), and for a Dash callback (POST /_dash-update-component) the shape Dash's renderer
sends for that callback — its declared outputs, inputs and states, in order — with values of the types the
callback declares: its parameters' annotations, and for the few component properties whose type the browser fixes
(a location's pathname, a click count) that type. Anything else is the client's error: 400 in the app's one error
shape (dashboard.auth), before any callback runs, never a 500 from deep inside Dash or a callback.

An exception that a well-formed request raises inside a callback is left alone: it stays a server error (500, in
the log), a bug to fix rather than a request to refuse."""

from __future__ import annotations

import inspect
import json
import typing
from dataclasses import dataclass
from typing import Annotated, Any

from dash import Dash
from flask import abort, current_app, request
from pydantic import StringConstraints, TypeAdapter, ValidationError

UPDATE_PATH = "/_dash-update-component"

#: What a browser's location.pathname always is: a path.
UrlPath = Annotated[str, StringConstraints(pattern="^/")]
#: Component properties whose type the browser fixes, whatever the component and whatever the callback declares.
PROPERTY_TYPES: dict[str, Any] = {
    "n_clicks": int | None,
    "n_intervals": int | None,
    "pathname": UrlPath | None,
    "search": str | None,
    "hash": str | None,
    "href": str | None,
    "contents": str | list[str] | None,
    "filename": str | list[str] | None,
}
#: ... and of one component: the location Dash's pages follow, whose router takes no pathname but a path.
COMPONENT_TYPES: dict[tuple[str, str], Any] = {("_pages_location", "pathname"): UrlPath}


@dataclass(frozen=True)
class Argument:
    """One argument a callback receives: the dependency it comes from and the types its value must have."""

    dependency: dict[str, Any]  # {"id": str or a pattern dict, "property": str}, as the app declares it
    types: tuple[TypeAdapter[Any], ...]


def refuse_malformed(app: Dash) -> None:
    """Every request (before_request): 400 for a JSON body nested too deeply to read, and for a callback request
    that is not one of ``app``'s callbacks in the shape its page sends, with values of the types it takes."""
    if not request.is_json and not request.path.endswith(UPDATE_PATH):
        return
    try:
        body = request.get_json(silent=True)  # cached: the view reads the same parse
    except RecursionError:
        abort(400, "the JSON body is nested too deeply")
    if request.method != "POST" or not request.path.endswith(UPDATE_PATH):
        return
    problem = callback_problem(app, body)
    if problem is not None:
        current_app.logger.info("refused a malformed callback request: %s", problem)
        abort(400, problem)


def callback_problem(app: Dash, body: object) -> str | None:
    """Why ``body`` is not a request for one of ``app``'s server-side callbacks as its page sends it, or None."""
    if not isinstance(body, dict) or not isinstance(body.get("output"), str):
        return "not a callback of this app"
    declared = app.callback_map.get(body["output"])
    if declared is None or "callback" not in declared:  # unknown, or run in the browser (clientside)
        return "not a callback of this app"
    inputs, state = body.get("inputs"), body.get("state", [])  # no "state" when the callback has none
    if not isinstance(inputs, list) or not isinstance(state, list):
        return "inputs and state must be lists"
    problem = None if declared.get("no_output") else _outputs_problem(body["output"], body.get("outputs"))
    arguments = _arguments(app, body["output"])
    if problem is None and len(inputs) + len(state) != len(arguments):
        problem = f"the callback takes {len(arguments)} inputs and states, not {len(inputs) + len(state)}"
    for argument, item in zip(arguments, [*inputs, *state], strict=False):
        problem = problem or _argument_problem(argument, item)
    return problem or _changed_problem(body.get("changedPropIds", []), inputs)


def _changed_problem(changed: object, inputs: list[Any]) -> str | None:
    """The inputs that changed (what ``dash.ctx.triggered_id`` tells a callback) must be inputs the request sends,
    named as Dash's renderer names them: "id.property", a pattern-matching id as its JSON."""
    if not isinstance(changed, list) or not all(isinstance(c, str) and "." in c for c in changed):
        return "changedPropIds must be a list of component properties"
    sent = [(i["id"], i["property"]) for item in inputs for i in (item if isinstance(item, list) else [item])]
    for prop_id in changed:
        text, prop = prop_id.rsplit(".", 1)
        try:
            id_ = json.loads(text) if text.startswith("{") else text
        except (ValueError, RecursionError):
            id_ = None
        if (id_, prop) not in sent:
            return "changedPropIds must name inputs of the request"
    return None


def _outputs_problem(output: str, sent: object) -> str | None:
    """Dash's renderer sends the outputs as the callback id names them: one {"id", "property"} for a single
    output, a list of them for several; a pattern-matching output as a list of the matching components."""
    declared = _split(output)
    if isinstance(declared, list):
        if not isinstance(sent, list) or len(sent) != len(declared):
            return f"outputs must be a list of {len(declared)}"
        pairs = list(zip(declared, sent, strict=True))
    else:
        pairs = [(declared, sent)]
    for dependency, item in pairs:
        if not _matches(dependency, item):
            return f"outputs do not name {dependency['id']}.{dependency['property']}"
    return None


def _split(output: str) -> dict[str, Any] | list[dict[str, Any]]:
    """The outputs a callback id names (dash._utils.split_callback_id), a pattern-matching id read as its dict."""
    if output.startswith(".."):
        return [_dependency(part) for part in output[2:-2].split("...")]
    return _dependency(output)


def _dependency(text: str) -> dict[str, Any]:
    id_, prop = text.rsplit(".", 1)
    return {"id": json.loads(id_) if id_.startswith("{") else id_, "property": prop}


def _matches(dependency: dict[str, Any], sent: object) -> bool:
    """Whether ``sent`` names the component property ``dependency`` declares: the same id and property; for a
    pattern-matching id, a component whose id fits the pattern — a list of them for ALL and ALLSMALLER."""
    pattern, prop = dependency["id"], dependency["property"]
    if not isinstance(pattern, dict):
        return isinstance(sent, dict) and sent.get("id") == pattern and sent.get("property") == prop
    if _many(pattern):
        return isinstance(sent, list) and all(_fits(pattern, prop, item) for item in sent)
    return _fits(pattern, prop, sent)


def _many(pattern: dict[str, Any]) -> bool:
    return any(isinstance(v, list) and v[:1] in (["ALL"], ["ALLSMALLER"]) for v in pattern.values())


def _fits(pattern: dict[str, Any], prop: str, sent: object) -> bool:
    if not isinstance(sent, dict) or sent.get("property") != prop or not isinstance(sent.get("id"), dict):
        return False
    id_ = sent["id"]
    return set(id_) == set(pattern) and all(
        _browser_scalar(id_[k]) if isinstance(v, list) else id_[k] == v for k, v in pattern.items()
    )


def _browser_scalar(value: object) -> bool:
    """A value a page's component id can hold: a string, a boolean, or a number a browser holds exactly (within
    JavaScript's safe integers) — never a number no page could have sent."""
    if isinstance(value, bool | str):
        return True
    return isinstance(value, int | float) and abs(value) <= JS_SAFE_INTEGER


#: The largest integer a browser's JSON holds exactly (Number.MAX_SAFE_INTEGER).
JS_SAFE_INTEGER = 2**53 - 1


def _label(dependency: dict[str, Any]) -> str:
    id_ = dependency["id"]
    return f"{json.dumps(id_, sort_keys=True) if isinstance(id_, dict) else id_}.{dependency['property']}"


def _argument_problem(argument: Argument, sent: Any) -> str | None:
    """Why ``sent`` (one item of the body's inputs or state) is not the argument ``argument`` declares, or None."""
    dependency, name = argument.dependency, _label(argument.dependency)
    if not _matches(dependency, sent):
        return f"inputs and state must name {name}, in the order the callback declares"
    value = [s.get("value") for s in sent] if isinstance(sent, list) else sent.get("value")
    for types in argument.types:
        try:
            types.validate_python(value, strict=True)
        except ValidationError as wrong:
            error = wrong.errors()[0]
            where = "".join(f"[{part}]" for part in error["loc"])
            return f"{name}{where}: {error['msg']}"
        except RecursionError:
            return f"{name}: nested too deeply"
    return None


def _arguments(app: Dash, output: str) -> list[Argument]:
    """The arguments of the callback named ``output``, in order (made once per callback and kept)."""
    made: dict[str, list[Argument]] = app.server.extensions.setdefault("qtm_callback_arguments", {})
    if output not in made:
        made[output] = _declared_arguments(app.callback_map[output])
    return made[output]


def _declared_arguments(declared: dict[str, Any]) -> list[Argument]:
    """Each input and state of a callback with its types: its property's (PROPERTY_TYPES) and, when the callback
    takes its values in order (as qtm's do, rather than grouped in dicts), its parameter's annotation."""
    dependencies = [*declared["inputs"], *declared["state"]]
    annotations: list[Any] = [None] * len(dependencies)
    order = declared.get("inputs_state_indices")
    if (order if isinstance(order, list) else [order]) == list(range(len(dependencies))):  # values in order
        annotations = _parameter_annotations(declared["callback"], len(dependencies))
    arguments = []
    for declared_dependency, annotation in zip(dependencies, annotations, strict=True):
        id_ = declared_dependency["id"]
        dependency = {
            "id": json.loads(id_) if isinstance(id_, str) and id_.startswith("{") else id_,
            "property": declared_dependency["property"],
        }
        by_property = PROPERTY_TYPES.get(dependency["property"])
        if isinstance(dependency["id"], str):
            by_property = COMPONENT_TYPES.get((dependency["id"], dependency["property"]), by_property)
        if by_property is not None and isinstance(dependency["id"], dict) and _many(dependency["id"]):
            by_property = list[by_property]  # type: ignore[valid-type]
        types = [_adapter(t, _label(dependency)) for t in (by_property, annotation) if t is not None]
        arguments.append(Argument(dependency, tuple(t for t in types if t is not None)))
    return arguments


def _adapter(annotation: Any, name: str) -> TypeAdapter[Any] | None:
    """A strict check of ``annotation``; None (with a warning in the log) for a type no JSON value could have."""
    try:
        return TypeAdapter(annotation)
    except Exception as unusable:  # pydantic cannot check every type a callback may name
        current_app.logger.warning("the values of %s are not checked: %s", name, unusable)
        return None


def _parameter_annotations(callback: object, count: int) -> list[Any]:
    """The annotations of the last ``count`` values the callback function takes (None where it has none): its
    positional parameters, then its ``*args`` for as many as remain. (A background callback with progress takes
    its progress setter first, which the page never sends.)"""
    function = inspect.unwrap(callback)  # type: ignore[arg-type]
    try:
        hints = typing.get_type_hints(function)
    except Exception as unreadable:  # e.g. a name the module imports only for type checking
        current_app.logger.warning("the values of %s are not checked: %s", function.__qualname__, unreadable)
        hints = {}
    annotations: list[Any] = []
    for parameter in inspect.signature(function).parameters.values():
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
            annotations.append(hints.get(parameter.name))
        elif parameter.kind is parameter.VAR_POSITIONAL:
            annotations += [hints.get(parameter.name)] * max(0, count - len(annotations))
    annotations = [None] * max(0, count - len(annotations)) + annotations
    return annotations[len(annotations) - count :]
