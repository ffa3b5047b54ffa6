"""Request guards: a small body limit for callbacks, the upload limit only for an upload, and a
400 (not a 500) for a callback request that does not match a registered callback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import flask
import pytest

from confusionflow.app.config import Settings
from confusionflow.app.factory import create_app
from confusionflow.app.request_guards import (
    MAX_REQUEST_BYTES,
    UPLOAD_OUTPUT,
    callback_body_error,
    install_request_limits,
)
from confusionflow.components import ids

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
    # the epoch callback reads the range store as an input and the epoch store as its one state
    assert [d["id"] for d in cb["state"]] == [ids.EPOCH_STORE]
    assert ids.RANGE_STORE in [d["id"] for d in cb["inputs"]]
    # one entry short of what the callback declares is refused, by name and count
    assert callback_body_error({**body, "state": []}, app.callback_map) == "state: expected 1 entries"
    n_inputs = len(cb["inputs"])
    assert (
        callback_body_error({**body, "inputs": body["inputs"][:-1]}, app.callback_map)
        == f"inputs: expected {n_inputs} entries"
    )
