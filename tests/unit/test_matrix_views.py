"""The many-class matrix panel's two views (components/overview_panel.py, app/callbacks/matrix_views.py):
the wrapper's class, the switch in the layout, and the first view's answer on a small and a
many-class log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.gen_many_classes import generate
from confusionflow.app.config import Settings
from confusionflow.app.factory import create_app
from confusionflow.components import ids
from confusionflow.components.overview_panel import view_switch, views_class
from confusionflow.data_access.writer import LogWriter
from tests.clientside import in_page
from tests.factories import improving_counts, layout_ids


def test_views_class_is_plain_without_the_overview_and_names_the_view_with_it():
    assert views_class(False, "overview") == "cf-matrix-views"
    assert views_class(False, "classes") == "cf-matrix-views"  # a small page never hides its matrix
    assert views_class(True, "overview") == "cf-matrix-views cf-many cf-show-overview"
    assert views_class(True, "classes") == "cf-matrix-views cf-many cf-show-classes"
    for junk in (None, "", "matrix", 1, ["classes"]):
        assert views_class(True, junk) == "cf-matrix-views cf-many cf-show-overview"


def test_the_switch_is_two_toggle_buttons_in_a_labelled_group():
    switch = view_switch().to_plotly_json()["props"]
    assert switch["id"] == ids.VIEW_SWITCH and switch["role"] == "group"
    assert switch["aria-label"] == "Matrix view"
    buttons = [b.to_plotly_json()["props"] for b in switch["children"]]
    assert [b["id"] for b in buttons] == [ids.VIEW_OVERVIEW, ids.VIEW_CLASSES]
    assert [b["aria-pressed"] for b in buttons] == ["true", "false"]
    assert [b["aria-controls"] for b in buttons] == [ids.OVERVIEW_PANEL, ids.MATRIX_GRAPH]
    assert all(b["type"] == "button" for b in buttons)


def _first_layout(logdir: Path, cache: Path, query: str) -> dict[str, dict]:
    app = create_app(logdir, settings=Settings(cache_dir=cache, poll_seconds=0))
    answer = app.server.test_client().get(
        "/_dash-layout", headers={"Referer": "http://127.0.0.1:8050/" + query}
    )
    assert answer.status_code == 200
    return layout_ids(json.loads(answer.data))


def test_a_small_page_keeps_its_matrix_and_a_many_class_page_opens_on_the_overview(tmp_path: Path):
    small = tmp_path / "small"
    with LogWriter(small, "alpha", ["cat", "dog", "fox"]) as w:
        for step in (1, 2, 3):
            w.add_counts(step, "test", improving_counts(step))
    props = _first_layout(small, tmp_path / "c1", "?s=alpha/test")
    assert props[ids.MATRIX_VIEWS]["className"] == "cf-matrix-views"
    assert props[ids.OVERVIEW_PANEL]["style"] == {"display": "none"}
    assert props[ids.MATRIX_VIEW]["data"] == "overview"

    many = tmp_path / "many"
    keys = generate(many, 60, 3, seed=0)
    props = _first_layout(many, tmp_path / "c2", f"?s={keys[0]}")
    assert props[ids.MATRIX_VIEWS]["className"] == "cf-matrix-views cf-many cf-show-overview"
    assert props[ids.OVERVIEW_PANEL]["style"]["display"] == "flex"
    assert props[ids.MATRIX_VIEW]["data"] == "overview"
    # the steps the overview was drawn for: the browser asks again only when they move
    assert props[ids.OVERVIEW_STEPS]["data"] == [
        props[ids.RANGE_STORE].get("data"),
        props[ids.EPOCH_STORE].get("data"),
        props[ids.NORMALIZATION]["value"],
    ]


@pytest.mark.parametrize("name", ["chooseView", "matrixViews", "overviewSteps"])
def test_the_clientside_functions_exist(name: str):
    js = (Path(__file__).parents[2] / "assets" / "confusionflow.js").read_text()
    assert f"{name}: function" in js


def test_a_link_that_names_classes_opens_on_their_sub_matrix(tmp_path: Path):
    many = tmp_path / "many"
    keys = generate(many, 60, 3, seed=0)
    names = [f"c{i:04d}" for i in (3, 7, 11)]
    query = f"?s={keys[0]}" + "".join(f"&c={n}" for n in names)
    props = _first_layout(many, tmp_path / "c", query)
    assert props[ids.MATRIX_VIEW]["data"] == "classes"
    assert props[ids.MATRIX_VIEWS]["className"] == "cf-matrix-views cf-many cf-show-classes"
    # the overview is still drawn (one click away) and its steps recorded
    assert props[ids.OVERVIEW_PANEL]["style"]["display"] == "flex"
    assert props[ids.OVERVIEW_STEPS]["data"][2] == props[ids.NORMALIZATION]["value"]
    assert props[ids.SELECTION]["data"]["classes"] == names


def test_the_sub_matrix_button_says_what_the_sub_matrix_draws():
    shown = {"display": "flex"}
    calls = [
        ["classes", shown, {"classes": ["cat", "dog", "<b>x</b>"], "level": 0, "group": None}],
        ["classes", shown, {"classes": [], "level": 0, "group": None}],
        ["overview", shown, {"classes": [], "level": 1, "group": None}],
        ["classes", shown, {"classes": [], "level": 1, "group": "vehicles 1"}],
        ["classes", {"display": "none"}, None],
    ]
    assert in_page(calls, "matrixViews") == [
        ["cf-matrix-views cf-many cf-show-classes", "false", "true", " (3)"],
        ["cf-matrix-views cf-many cf-show-classes", "false", "true", " (lowest F1)"],
        ["cf-matrix-views cf-many cf-show-overview", "true", "false", " (level 1 groups)"],
        ["cf-matrix-views cf-many cf-show-classes", "false", "true", " (vehicles 1 expanded)"],
        ["cf-matrix-views", "false", "true", " (lowest F1)"],
    ]
