"""A page whose first view shows 40 classes or fewer holds no overview graph (components/
overview_panel.py ``overview_graph_stand_in``; app/first_figures.py); a many-class page holds it,
and the overview callback sends a new graph when the panel is shown on a page without one
(app/callbacks/overview.py ``overview_answer``)."""

from __future__ import annotations

import json
from pathlib import Path

import dash
import pytest

from benchmarks.gen_many_classes import generate
from confusionflow.app.callbacks.overview import OVERVIEW_OUTPUTS, overview_answer
from confusionflow.app.config import Settings
from confusionflow.app.factory import create_app
from confusionflow.components import ids
from confusionflow.components.overview_panel import PANEL_HIDDEN, PANEL_SHOWN
from confusionflow.data_access.store import LogStore
from confusionflow.data_access.writer import LogWriter
from tests.factories import improving_counts

SMALL = ["cat", "dog", "fox"]


def _layout(app: dash.Dash, query: str) -> dict:
    answer = app.server.test_client().get(
        "/_dash-layout", headers={"Referer": "http://127.0.0.1:8050/" + query}
    )
    assert answer.status_code == 200
    return json.loads(answer.data)


def _find(node: object, cid: str) -> dict | None:
    """The component with id ``cid`` in a ``_dash-layout`` JSON answer (type, namespace, props)."""
    if isinstance(node, list):
        for child in node:
            if (hit := _find(child, cid)) is not None:
                return hit
    elif isinstance(node, dict) and isinstance(node.get("props"), dict):
        if node["props"].get("id") == cid:
            return node
        return _find(node["props"].get("children"), cid)
    return None


def _types(node: object) -> list[str]:
    if isinstance(node, list):
        return [t for child in node for t in _types(child)]
    if isinstance(node, dict) and isinstance(node.get("props"), dict):
        return [node["type"], *_types(node["props"].get("children"))]
    return []


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A log folder with a 3-class run and a 60-class one."""
    root = tmp_path_factory.mktemp("mixed")
    with LogWriter(root, "alpha", SMALL) as w:
        for step in (1, 2, 3):
            w.add_counts(step, "test", improving_counts(step))
    keys = generate(root, 60, 3, seed=0)
    return root, keys


@pytest.fixture(scope="module")
def app(mixed, tmp_path_factory: pytest.TempPathFactory) -> dash.Dash:
    return create_app(mixed[0], settings=Settings(cache_dir=tmp_path_factory.mktemp("cache"), poll_seconds=0))


def test_a_small_first_view_holds_no_overview_graph_only_a_stand_in_with_its_id(app):
    layout = _layout(app, "?s=alpha/test")
    slot = _find(layout, ids.OVERVIEW_GRAPH_SLOT)
    assert slot is not None
    stand_in = _find(layout, ids.OVERVIEW_GRAPH)
    assert stand_in is not None
    assert (stand_in["type"], stand_in["namespace"]) == ("Div", "dash_html_components")
    assert stand_in["props"].get("hidden") is True and "figure" not in stand_in["props"]
    # the five views are the page's only graphs
    graphs = [t for t in _types(layout) if t == "Graph"]
    assert len(graphs) == 5, graphs
    assert _find(layout, ids.OVERVIEW_PANEL)["props"]["style"] == PANEL_HIDDEN


def test_a_many_class_first_view_holds_the_overview_graph_with_its_figure(app, mixed):
    _, keys = mixed
    layout = _layout(app, f"?s={keys[0]}")
    graph = _find(layout, ids.OVERVIEW_GRAPH)
    assert (graph["type"], graph["namespace"]) == ("Graph", "dash_core_components")
    assert graph["props"]["figure"]["data"], "the overview drawn in the first view"
    assert len([t for t in _types(layout) if t == "Graph"]) == 6


def test_the_validation_layout_names_the_overview_graph_as_a_graph_and_its_slot(app):
    skeleton = app.validation_layout.to_plotly_json()["props"]["children"]
    by_id = {c.id: type(c).__name__ for c in skeleton if isinstance(c.id, str)}
    assert by_id[ids.OVERVIEW_GRAPH] == "Graph"
    assert by_id[ids.OVERVIEW_GRAPH_SLOT] == "Div"


def test_the_overview_callback_sends_a_new_graph_only_when_the_panel_was_hidden(mixed, tmp_path):
    root, keys = mixed
    store = LogStore(root)
    opening = {
        "keys": [keys[0]],
        "step_range": None,
        "epoch": None,
        "kind": "step",
        "other": None,
        "order": "logged",
        "normalization": "none",
    }
    shown = overview_answer(store, **opening, panel_style=dict(PANEL_SHOWN))
    assert shown["graph"] is dash.no_update
    assert shown["figure"]["data"]

    hidden = overview_answer(store, **opening, panel_style=PANEL_HIDDEN)
    assert hidden["figure"] is dash.no_update
    graph = hidden["graph"].to_plotly_json()
    assert graph["type"] == "Graph" and graph["props"]["id"] == ids.OVERVIEW_GRAPH
    # the same figure the mounted graph would have received
    assert graph["props"]["figure"] == shown["figure"]
    assert hidden["style"] == PANEL_SHOWN

    for junk in (None, "flex", {"display": "flex"}, []):
        assert overview_answer(store, **opening, panel_style=junk)["graph"] is not dash.no_update

    # a small series: nothing drawn, nothing mounted, the panel hidden
    small = overview_answer(store, **{**opening, "keys": ["alpha/test"]}, panel_style=PANEL_HIDDEN)
    assert small["figure"] is dash.no_update and small["graph"] is dash.no_update
    assert small["style"] == PANEL_HIDDEN
    assert set(small) == set(OVERVIEW_OUTPUTS)
