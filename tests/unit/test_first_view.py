"""The first view built into the layout (app/first_view.py), on small real logs from ``LogWriter``."""

from __future__ import annotations

import json
from pathlib import Path

import flask
import pytest
from dash import dcc, html

from confusionflow.app import first_view
from confusionflow.app.factory import create_app
from confusionflow.components import ids
from confusionflow.data_access.store import LogStore
from confusionflow.data_access.writer import LogWriter
from tests.factories import improving_counts, layout_ids

CLASSES = ["cat", "dog", "fox"]
STEPS = (1, 2, 3, 5, 8)
BOXES = [{"label": "other", "value": "other"}, {"label": "superclasses", "value": "super", "disabled": True}]


@pytest.fixture(scope="module")
def logdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("logs")
    for run in ("alpha", "beta"):
        with LogWriter(root, run, CLASSES) as w:
            for step in STEPS:
                w.add_counts(step, "train", improving_counts(step, 2))
                w.add_counts(step, "test", improving_counts(step))
    return root


@pytest.fixture(scope="module")
def store(logdir: Path) -> LogStore:
    return LogStore(logdir)


def test_a_shared_link_resolves_to_its_series_range_epoch_and_target(store):
    props = first_view.first_view_props(
        store, "s=beta/test&from=2&to=5&epoch=3&enc=lines&detail=cell&dt=dog&dp=cat", BOXES
    )
    assert (
        props[(ids.URL_STATE, "data")]
        == "?s=beta/test&from=2&to=5&epoch=3&enc=lines&detail=cell&dt=dog&dp=cat"
    )
    assert props[(ids.ENCODING, "value")] == "lines"
    assert props[(ids.SERIES_KEYS, "data")] == ["beta/test"]
    assert props[(ids.SERIES_DROPDOWN, "value")] == ["beta/test"]
    assert props[(ids.SLOTS, "data")] == {"beta/test": 0}
    assert props[(ids.SELECTION, "data")]["series"] == ["beta/test"]
    assert props[(ids.SELECTION, "data")]["steps"] == [float(s) for s in STEPS]
    assert props[(ids.CLASS_DROPDOWN, "options")] == [{"label": c, "value": c} for c in CLASSES]
    assert props[(ids.RANGE_STORE, "data")] == [2.0, 5.0]
    assert props[(ids.RANGE_SLIDER, "value")] == [1, 3]  # positions of steps 2 and 5
    assert props[(ids.RANGE_SLIDER, "max")] == len(STEPS) - 1
    assert props[(ids.RANGE_LABEL, "children")] == "Steps 2–5 (3 of 5)"
    assert props[(ids.EPOCH_STORE, "data")] == 3.0
    assert props[(ids.EPOCH_LABEL, "children")] == "step 3"
    assert props[(ids.DETAIL_TARGET, "data")] == {"kind": "cell", "true": "dog", "pred": "cat"}
    assert props[(ids.FIRST_VIEW_QUERY, "data")] == props[(ids.URL_STATE, "data")]


def test_no_query_opens_the_first_runs_folds_and_garbage_reads_as_defaults(store):
    props = first_view.first_view_props(store, "", BOXES)
    assert props[(ids.SERIES_KEYS, "data")] == ["alpha/test", "alpha/train"] or props[
        (ids.SERIES_KEYS, "data")
    ] == ["alpha/train", "alpha/test"]
    assert props[(ids.RANGE_STORE, "data")] is None and props[(ids.EPOCH_STORE, "data")] is None
    assert props[(ids.RANGE_LABEL, "children")] == "All 5 steps (1–8)"
    assert props[(ids.FIRST_VIEW_QUERY, "data")] == ""
    odd = first_view.first_view_props(store, "s=gone/test&epoch=abc&from=x", BOXES)
    assert odd[(ids.SERIES_KEYS, "data")] == props[(ids.SERIES_KEYS, "data")]
    assert "gone/test" in odd[(ids.SERIES_MESSAGE, "children")]
    assert odd[(ids.EPOCH_STORE, "data")] is None


def test_page_address_reads_only_the_referrer(monkeypatch):
    app = flask.Flask("t")
    with app.test_request_context("/_dash-layout", headers={"Referer": "http://h:1/cf/?s=a/b&epoch=2"}):
        assert first_view.page_address() == ("http://h:1/cf/?s=a/b&epoch=2", "/cf/", "s=a/b&epoch=2")
    with app.test_request_context("/_dash-layout"):
        assert first_view.page_address() is None
    with app.test_request_context("/_dash-layout", headers={"Referer": "http://h/?" + "s=x&" * 10_000}):
        assert first_view.page_address() is None  # longer than any query the page accepts
    assert first_view.page_address() is None  # no request at all


def test_apply_props_sets_values_skips_unset_nones_and_refuses_unknown_ids():
    layout = html.Div([dcc.Store(id=ids.RANGE_STORE), dcc.Store(id=ids.SLOTS, data={})])
    first_view.apply_props(layout, {(ids.RANGE_STORE, "data"): None, (ids.SLOTS, "data"): {"a": 1}})
    stores = {c.id: c for c in first_view.components_of(layout) if getattr(c, "id", None)}
    assert "data" not in stores[ids.RANGE_STORE].to_plotly_json()["props"]
    assert stores[ids.SLOTS].data == {"a": 1}
    assert ids.FIRST_VIEW_QUERY in stores and ids.FIRST_VIEW_RETRY in stores
    with pytest.raises(KeyError, match="no-such-id"):
        first_view.apply_props(layout, {("no-such-id", "data"): 1})


def test_the_layout_route_carries_the_first_view_and_the_page_keeps_its_referrer(logdir, tmp_path):
    app = create_app(logdir, cache=None)
    client = app.server.test_client()
    page = client.get("/?s=alpha/test&epoch=5")
    assert page.headers["Referrer-Policy"] == "same-origin"
    answer = client.get("/_dash-layout", headers={"Referer": "http://127.0.0.1:8050/?s=alpha/test&epoch=5"})
    props = layout_ids(json.loads(answer.data))
    assert props[ids.SERIES_KEYS]["data"] == ["alpha/test"]
    assert props[ids.EPOCH_STORE]["data"] == 5.0
    assert props[ids.URL]["search"] == "?s=alpha/test&epoch=5" and props[ids.URL]["pathname"] == "/"
    assert props[ids.FIRST_VIEW_QUERY]["data"] == "?s=alpha/test&epoch=5"
