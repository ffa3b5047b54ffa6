"""Request guards: a small body limit for callbacks, the upload limit only for an upload, and a
400 (not a 500) for a callback request that does not match a registered callback."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import dash
import flask
import pytest
from dash import ALL, Input, Output

from confusionflow.app.config import Settings
from confusionflow.app.factory import create_app
from confusionflow.app.request_guards import (
    MAX_REQUEST_BYTES,
    UPLOAD_OUTPUT,
    callback_body_error,
    install_request_limits,
)
from confusionflow.components import ids
from tests.factories import callback_request

MIB = 1024 * 1024
EPOCH_OUTPUT = f"..{ids.EPOCH_STORE}.data...{ids.EPOCH_LABEL}.children.."
UPLOAD_BODY_HEAD = '{"output":"..' + UPLOAD_OUTPUT + '...import-result.data..","outputs":[],"inputs":['


def _app(tmp_path: Path, **settings: Any):
    return create_app(
        tmp_path / "logs", settings=Settings(cache_dir=tmp_path / "cache", poll_seconds=0, **settings)
    )


@pytest.fixture
def client(tmp_path: Path):
    (tmp_path / "logs").mkdir()
    return _app(tmp_path).server.test_client()


def test_a_two_mebibyte_callback_body_is_refused_with_413(client) -> None:
    body = json.dumps({"output": "..matrix-graph.figure..", "inputs": [{"value": "x" * (2 * MIB)}]})
    response = client.post("/_dash-update-component", data=body, content_type="application/json")
    assert response.status_code == 413
    assert len(response.data) < 2000


def test_even_an_upload_shaped_body_is_refused_when_uploads_are_off(client) -> None:
    body = UPLOAD_BODY_HEAD + '"' + "A" * (2 * MIB) + '"]}'
    response = client.post("/_dash-update-component", data=body, content_type="application/json")
    assert response.status_code == 413


def test_the_callback_limit_is_a_setting(tmp_path: Path) -> None:
    (tmp_path / "logs").mkdir()
    client = _app(tmp_path, max_request_bytes=10_000).server.test_client()
    body = json.dumps({"output": "..matrix-graph.figure..", "inputs": ["x" * 20_000]})
    assert (
        client.post("/_dash-update-component", data=body, content_type="application/json").status_code == 413
    )


def _echo_server(settings: Settings) -> flask.Flask:
    server = flask.Flask("echo")
    install_request_limits(server, settings, "/")

    @server.post("/_dash-update-component")
    def echo():
        return {"length": len(flask.request.get_data()), "head": flask.request.get_data()[:40].decode()}

    return server


def test_an_upload_within_its_limit_is_read_whole_when_uploads_are_on() -> None:
    client = _echo_server(Settings(allow_upload=True)).test_client()
    body = (UPLOAD_BODY_HEAD + '"' + "A" * (3 * MIB) + '"]}').encode()
    response = client.post("/_dash-update-component", data=body, content_type="application/json")
    assert response.status_code == 200
    # the bytes peeked at to recognise the upload were put back: Dash reads the whole body
    assert response.get_json() == {"length": len(body), "head": body[:40].decode()}
    other = json.dumps({"output": "..matrix-graph.figure..", "inputs": ["x" * (3 * MIB)]})
    assert client.post("/_dash-update-component", data=other).status_code == 413


def test_no_body_may_exceed_the_largest_upload() -> None:
    client = _echo_server(Settings(allow_upload=True)).test_client()
    body = UPLOAD_BODY_HEAD + "A" * (MAX_REQUEST_BYTES + 1)
    assert client.post("/_dash-update-component", data=body).status_code == 413


@pytest.mark.parametrize(
    "body",
    [
        "[1, 2",
        "[" * 200_000 + "]" * 200_000,
        json.dumps([1, 2, 3]),
        json.dumps({"output": "..nope.data.."}),
        json.dumps({"output": 5}),
        json.dumps({"output": EPOCH_OUTPUT, "inputs": "zzz"}),
        json.dumps({"output": EPOCH_OUTPUT, "inputs": [{"id": "x"}] * 6}),
        json.dumps({"output": EPOCH_OUTPUT, "inputs": [1] * 250_000}),
    ],
    ids=["truncated", "nested", "list", "unknown", "not-a-string", "inputs-string", "wrong-ids", "long"],
)
def test_malformed_callback_requests_get_a_short_400(client, body: str) -> None:
    response = client.post("/_dash-update-component", data=body, content_type="application/json")
    assert response.status_code == 400, response.data[:300]
    assert len(response.data) < 2000


def test_a_well_formed_body_passes_the_shape_check(tmp_path: Path) -> None:
    (tmp_path / "logs").mkdir()
    app = _app(tmp_path)
    output = EPOCH_OUTPUT
    cb = app.callback_map[output]
    body = {
        "output": output,
        "outputs": [{"id": o.component_id, "property": o.component_property} for o in cb["output"]],
        "inputs": [{**d, "value": None} for d in cb["inputs"]],
        "state": [{**d, "value": None} for d in cb["state"]],
        "changedPropIds": [],
    }
    assert callback_body_error(body, app.callback_map) is None
    # the epoch callback answers its controls; the selection, range and epoch are its state (a new
    # selection or range moves the epoch in its own answer, app/callbacks/follow.py)
    assert [d["id"] for d in cb["state"]] == [ids.SELECTION, ids.RANGE_STORE, ids.EPOCH_STORE]
    assert ids.RANGE_STORE not in [d["id"] for d in cb["inputs"]]
    # one entry short of what the callback declares is refused, by name and count
    assert callback_body_error({**body, "state": []}, app.callback_map) == "state: expected 3 entries"
    n_inputs = len(cb["inputs"])
    assert (
        callback_body_error({**body, "inputs": body["inputs"][:-1]}, app.callback_map)
        == f"inputs: expected {n_inputs} entries"
    )


def _request_for(app, output: str) -> dict[str, Any]:
    """The body the page sends for ``output``'s callback, built from the app's callback map."""
    return callback_request(app, output)


def test_outputs_other_than_the_declared_ones_are_refused_by_name(tmp_path: Path) -> None:
    (tmp_path / "logs").mkdir()
    app = _app(tmp_path)
    body = _request_for(app, EPOCH_OUTPUT)
    assert [o["id"] for o in body["outputs"]] == [ids.EPOCH_STORE, ids.EPOCH_LABEL]
    swapped = {**body, "outputs": body["outputs"][::-1]}
    assert (
        callback_body_error(swapped, app.callback_map)
        == f"outputs[0]: not the declared {ids.EPOCH_STORE}.data"
    )
    assert callback_body_error({**body, "outputs": body["outputs"][:1]}, app.callback_map) == (
        "outputs: expected 2 entries"
    )
    other_property = [body["outputs"][0], {"id": ids.EPOCH_LABEL, "property": "style"}]
    assert callback_body_error({**body, "outputs": other_property}, app.callback_map) == (
        f"outputs[1]: not the declared {ids.EPOCH_LABEL}.children"
    )
    # a callback with one Output is sent one object, not a list of one
    single = next(
        k for k, cb in app.callback_map.items() if "callback" in cb and not isinstance(cb["output"], list)
    )
    one = _request_for(app, single)
    assert callback_body_error(one, app.callback_map) is None
    assert callback_body_error({**one, "outputs": [one["outputs"]]}, app.callback_map) == (
        "outputs: expected an object with an id and a property"
    )
    client = app.server.test_client()
    response = client.post("/_dash-update-component", json=swapped)
    assert response.status_code == 400 and b"outputs[0]: not the declared" in response.data


def test_the_shape_check_works_without_dashs_private_validator(tmp_path: Path, monkeypatch) -> None:
    """A Dash release that drops or renames ``dash._validate.validate_output_spec`` changes nothing."""
    import dash._validate

    monkeypatch.delattr(dash._validate, "validate_output_spec")
    (tmp_path / "logs").mkdir()
    app = _app(tmp_path)
    body = _request_for(app, EPOCH_OUTPUT)
    assert callback_body_error(body, app.callback_map) is None
    assert callback_body_error({**body, "outputs": body["outputs"][::-1]}, app.callback_map) is not None


def test_the_callback_map_the_guard_reads_is_what_the_page_is_served(tmp_path: Path) -> None:
    """The guard reads ``app.callback_map``; the page is told the callbacks by ``_dash-dependencies``.
    If a Dash upgrade made them differ, this fails instead of the guard refusing (or passing)
    real requests."""
    (tmp_path / "logs").mkdir()
    app = _app(tmp_path)
    client = app.server.test_client()
    served = client.get("/_dash-dependencies").get_json()
    server_side = [d for d in served if not d.get("clientside_function")]
    assert len(server_side) >= 20
    for dep in server_side:
        cb = app.callback_map[dep["output"]]
        for key in ("inputs", "state"):
            assert [(d["id"], d["property"]) for d in dep[key]] == [(d["id"], d["property"]) for d in cb[key]]
        if cb.get("no_output"):
            continue
        body = _request_for(app, dep["output"])
        assert callback_body_error(body, app.callback_map) is None, dep["output"]
        # the output key the page sends spells exactly the declared outputs, in order
        sent = body["outputs"] if isinstance(body["outputs"], list) else [body["outputs"]]
        spelled = [f"{o['id']}.{o['property']}" for o in sent]
        key = ".." + "...".join(spelled) + ".." if isinstance(cb["output"], list) else spelled[0]
        assert re.sub(r"@[0-9a-f]{64}", "", dep["output"]) == key


def test_pattern_matching_outputs_match_their_concrete_components() -> None:
    app = dash.Dash(__name__)
    app.layout = dash.html.Div([dash.html.Button(id="go")])

    @app.callback(Output({"type": "cell", "index": ALL}, "children"), Input("go", "n_clicks"))
    def fill(_n):
        return []

    key = next(iter(app.callback_map))
    body = {
        "output": key,
        "outputs": [{"id": {"type": "cell", "index": i}, "property": "children"} for i in range(3)],
        "inputs": [{"id": "go", "property": "n_clicks", "value": 1}],
        "changedPropIds": ["go.n_clicks"],
    }
    assert callback_body_error(body, app.callback_map) is None
    wrong_type = [{"id": {"type": "other", "index": 0}, "property": "children"}]
    assert callback_body_error({**body, "outputs": wrong_type}, app.callback_map) == (
        "outputs: not the declared pattern.children"
    )
    extra_key = [{"id": {"type": "cell", "index": 0, "x": 1}, "property": "children"}]
    assert callback_body_error({**body, "outputs": extra_key}, app.callback_map) is not None
    nested = [{"id": {"type": "cell", "index": {"deep": 1}}, "property": "children"}]
    assert callback_body_error({**body, "outputs": nested}, app.callback_map) is not None
