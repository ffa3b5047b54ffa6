"""Guards on every request to the app: body limits per route, and the shape of a callback request.

Body limits: small for every callback, large only for an upload.

A Dash page sends every callback to one route, ``_dash-update-component``. Its bodies are a few
kilobytes (control values, a clicked point); only the import panel's upload carries a file, as a
base64 data URL. So every request under the app's prefix gets ``Settings.max_request_bytes``
(1 MiB by default) and only a request for the import callback, when imports are enabled, gets the
upload limit. Which callback a request is for is read from the first bytes of its body (the Dash
renderer writes the ``output`` field first) without reading the rest; the bytes read are put
back for Dash. A body over its limit is answered ``413`` before it is read into memory.

Shape: a callback request must name a registered callback and send exactly the outputs, inputs
and state it declares (ids and properties), else it is answered ``400`` with a short reason before
Dash dispatches it (Dash itself would fail with a 500 on a missing key). The check reads only the
app's public ``callback_map`` (the same dependencies the app serves to the page) and the public
attributes of Dash's ``Output``, never Dash's private validators, so a Dash upgrade that moves them
cannot turn it off. The *values* sent are the callbacks' business: each parses them, bounded, into
its view state (``confusionflow.app.callbacks.inputs``).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import dash
import flask

from confusionflow.app.config import Settings
from confusionflow.components import ids as ip
from confusionflow.components.import_panel import MAX_UPLOAD_BYTES

# the largest body any route accepts: the biggest upload, base64-encoded, plus the JSON around it
MAX_REQUEST_BYTES = MAX_UPLOAD_BYTES * 4 // 3 + 1024 * 1024
PEEK_BYTES = 4096
MAX_PATTERN_ITEMS = 1000  # components one pattern-matching input may list (chips: one per series)
MAX_CHANGED = 64
UPLOAD_OUTPUT = f"{ip.IMPORT_STATUS}.children"
WILDCARDS = (dash.ALL, dash.MATCH, dash.ALLSMALLER)
NOT_DECLARED = "outputs: not the declared outputs"


class _Prefixed(io.RawIOBase):
    """A stream that yields ``head`` and then the rest of ``rest`` (the bytes peeked, put back)."""

    def __init__(self, head: bytes, rest: io.RawIOBase) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def is_upload_request(head: bytes) -> bool:
    """True when a callback body's first bytes name the import callback's outputs."""
    return f'"output":"..{UPLOAD_OUTPUT}'.encode() in head.replace(b" ", b"")


def limit_for(path: str, head: bytes | None, settings: Settings, update_route: str) -> int:
    """The body limit of a request to ``path`` whose first bytes are ``head`` (None: not read)."""
    if settings.allow_upload and path == update_route and head is not None and is_upload_request(head):
        return MAX_REQUEST_BYTES
    return settings.max_request_bytes


def install_request_limits(server: flask.Flask, settings: Settings, routes_prefix: str) -> None:
    """Set each request's body limit under ``routes_prefix`` before Dash reads the body.

    Only requests larger than the small limit are peeked at; any other route of a host portal
    keeps the portal's own limit.
    """
    update_route = routes_prefix.rstrip("/") + "/_dash-update-component"

    @server.before_request
    def _limit_body() -> None:
        request = flask.request
        if not request.path.startswith(routes_prefix):
            return
        length = request.content_length
        head = None
        if (
            settings.allow_upload
            and request.path == update_route
            and (length or 0) > settings.max_request_bytes
        ):
            stream = request.environ["wsgi.input"]
            head = stream.read(min(PEEK_BYTES, length or 0))
            request.environ["wsgi.input"] = _Prefixed(head, stream)
        limit = limit_for(request.path, head, settings, update_route)
        if length is not None and length > limit:
            flask.abort(413, f"request body larger than {limit} bytes")
        request.max_content_length = limit


def _dependency_error(sent: object, declared: Mapping[str, str], where: str) -> str | None:
    if declared["id"].startswith("{"):  # pattern-matching (ALL): a list of matching components
        if not isinstance(sent, list) or len(sent) > MAX_PATTERN_ITEMS:
            return f"{where}: expected a list of at most {MAX_PATTERN_ITEMS} components"
        for item in sent:
            if not (isinstance(item, dict) and isinstance(item.get("id"), dict)):
                return f"{where}: malformed component"
            if item.get("property") != declared["property"]:
                return f"{where}: wrong property"
        return None
    if not isinstance(sent, dict):
        return f"{where}: expected an object"
    if sent.get("id") != declared["id"] or sent.get("property") != declared["property"]:
        return f"{where}: not the declared {declared['id']}.{declared['property']}"
    return None


def _id_matches(sent: object, declared: object) -> bool:
    """Whether a sent component id is the declared one: equal, or a pattern id's concrete match
    (same keys, wildcard values any scalar, the other values equal)."""
    if not isinstance(declared, dict):
        return isinstance(sent, str) and sent == declared
    if not isinstance(sent, dict) or set(sent) != set(declared):
        return False
    for key, want in declared.items():
        got = sent[key]
        if any(want is w for w in WILDCARDS):
            if not isinstance(got, (str, int, float)):
                return False
        elif got != want:
            return False
    return True


def _declared_outputs(output: object) -> list[tuple[object, str]] | None:
    """``(component id, property)`` of each declared output, from ``Output``'s public attributes;
    None for a definition this check does not understand (refused, never waved through)."""
    items = output if isinstance(output, (list, tuple)) else [output]
    declared: list[tuple[object, str]] = []
    for item in items:
        component_id = getattr(item, "component_id", None)
        prop = getattr(item, "component_property", None)
        if not isinstance(component_id, (str, dict)) or not isinstance(prop, str):
            return None
        declared.append((component_id, prop))
    return declared


def _output_error(sent: object, declared: tuple[object, str], where: str) -> str | None:
    component_id, prop = declared
    # a pattern id (ALL) may stand for a list of components; a plain id is one object
    items = sent if isinstance(sent, list) and isinstance(component_id, dict) else [sent]
    if len(items) > MAX_PATTERN_ITEMS:
        return f"{where}: expected at most {MAX_PATTERN_ITEMS} components"
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("property"), str):
            return f"{where}: expected an object with an id and a property"
        # the renderer may send a duplicate output's property with its "@<hash>" suffix
        if item["property"].split("@", 1)[0] != prop or not _id_matches(item.get("id"), component_id):
            shown = component_id if isinstance(component_id, str) else "pattern"
            return f"{where}: not the declared {shown}.{prop}"
    return None


def outputs_error(sent: object, output: object) -> str | None:
    """Why the ``outputs`` a callback request sends are not the callback's declared ``output``
    (one ``dash.Output`` or a list of them, as ``app.callback_map`` holds it), or None."""
    declared = _declared_outputs(output)
    if declared is None:
        return NOT_DECLARED
    if not isinstance(output, (list, tuple)):  # one output: sent as one object, not a list of one
        return _output_error(sent, declared[0], "outputs")
    if not isinstance(sent, list) or len(sent) != len(declared):
        return f"outputs: expected {len(declared)} entries"
    for i, (s_item, d_item) in enumerate(zip(sent, declared, strict=True)):
        error = _output_error(s_item, d_item, f"outputs[{i}]")
        if error:
            return error
    return None


def callback_body_error(body: object, callback_map: Mapping[str, Mapping[str, Any]]) -> str | None:
    """Why ``body`` is not a well-formed request for one of ``callback_map``'s callbacks, or None."""
    if not isinstance(body, dict):
        return "expected a JSON object"
    output = body.get("output")
    if not isinstance(output, str) or output not in callback_map:
        return "unknown callback"
    cb = callback_map[output]
    if "callback" not in cb:  # a clientside callback: the browser runs it, the server has none
        return "unknown callback"
    for key in ("inputs", "state"):
        sent, declared = body.get(key, []), cb.get(key, [])
        if not isinstance(sent, list) or len(sent) != len(declared):
            return f"{key}: expected {len(declared)} entries"
        for i, (s_item, d_item) in enumerate(zip(sent, declared, strict=True)):
            error = _dependency_error(s_item, d_item, f"{key}[{i}]")
            if error:
                return error
    changed = body.get("changedPropIds", [])
    if (
        not isinstance(changed, list)
        or len(changed) > MAX_CHANGED
        or not all(isinstance(c, str) for c in changed)
    ):
        return "changedPropIds: expected a short list of strings"
    outputs = body.get("outputs", [])
    if not isinstance(outputs, (list, dict)) or len(outputs) > MAX_PATTERN_ITEMS:
        return "outputs: malformed"
    if cb.get("no_output"):
        return None
    return outputs_error(outputs, cb["output"])


def install_callback_shape_check(
    server: flask.Flask, callback_map: Mapping[str, Any], routes_prefix: str
) -> None:
    """Answer ``400`` to a callback request that does not match a registered callback."""
    update_route = routes_prefix.rstrip("/") + "/_dash-update-component"

    @server.before_request
    def _check_callback_shape() -> None:
        request = flask.request
        if request.path != update_route or request.method != "POST":
            return
        try:
            body = request.get_json(silent=True)
        except RecursionError:  # JSON nested deeper than the parser goes
            body = None
        error = callback_body_error(body, callback_map)
        if error:
            flask.abort(400, f"malformed callback request: {error}")
