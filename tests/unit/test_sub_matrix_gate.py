"""The sub-matrix hidden behind the many-class overview costs nothing: the server answers its
callback with nothing, the browser copies the range to it only while it is shown and asks once
when it is shown again after something moved, and draws its epoch markers only while shown."""

from __future__ import annotations

from pathlib import Path

import dash

from confusionflow.app.callbacks import matrix as matrix_module
from confusionflow.app.callbacks.matrix import MATRIX_OUTPUTS, matrix_answer, sub_matrix_hidden
from confusionflow.data_access.store import LogStore
from confusionflow.data_access.writer import LogWriter
from tests.clientside import in_page
from tests.factories import improving_counts

SHOWN = {"display": "flex", "gap": "12px", "alignItems": "flex-start"}
NONE = {"display": "none"}


def _store(tmp_path: Path) -> LogStore:
    with LogWriter(tmp_path / "logs", "alpha", ["cat", "dog", "fox"]) as w:
        for step in (1, 2, 3, 4):
            w.add_counts(step, "test", improving_counts(step))
    return LogStore(tmp_path / "logs")


def _raw(step_range: list[float] | None) -> dict[str, object]:
    selection = {"series": ["alpha/test"], "classes": [], "steps": [1, 2, 3, 4]}
    return {"selection": selection, "slots": {"alpha/test": 0}, "step_range": step_range}


def test_hidden_means_the_overview_shown_and_another_view_chosen():
    assert sub_matrix_hidden("overview", SHOWN) is True
    assert sub_matrix_hidden("junk", SHOWN) is True
    assert sub_matrix_hidden("classes", SHOWN) is False
    assert sub_matrix_hidden("overview", NONE) is False  # a small page never hides its matrix
    assert sub_matrix_hidden("overview", None) is False


def test_a_hidden_sub_matrix_is_not_built_and_a_shown_one_is_built_once_for_the_new_range(
    tmp_path: Path, monkeypatch
):
    store = _store(tmp_path)
    built: list[int] = []
    real = matrix_module.build_matrix_figure

    def counted_build(*a, **k):
        built.append(1)
        return real(*a, **k)

    monkeypatch.setattr(matrix_module, "build_matrix_figure", counted_build)
    loads: list[int] = []
    real_tensor = matrix_module.view_tensor

    def counted_load(*a):
        loads.append(1)
        return real_tensor(*a)

    monkeypatch.setattr(matrix_module, "view_tensor", counted_load)

    first = matrix_answer(store, _raw(None), None, "classes", SHOWN)
    assert first["meta"]["steps"] == [1.0, 2.0, 3.0, 4.0] and len(built) == 1

    # the overview shown: a range change (or any input) builds, loads and sends nothing
    loads.clear()
    hidden = matrix_answer(store, _raw([2, 3]), first["meta"], "overview", SHOWN)
    assert hidden == dict.fromkeys(MATRIX_OUTPUTS, dash.no_update)
    assert loads == [] and len(built) == 1

    # shown again: the one ask draws the new range against the figure on screen
    again = matrix_answer(store, _raw([2, 3]), first["meta"], "classes", SHOWN)
    assert again["meta"]["steps"] == [2.0, 3.0] and len(built) == 2
    assert "steps 2–3" in again["caption"]

    # a page without the overview is always shown, whatever the view store says
    small = matrix_answer(store, _raw([1, 2]), again["meta"], "overview", NONE)
    assert small["meta"]["steps"] == [1.0, 2.0] and len(built) == 3


RANGE, VIEW, STYLE, SEL = "step-range.data", "matrix-view.data", "overview-panel.style", "selection.data"


def _steps_args(range_, view, style, last):
    # matrixSteps(range, view, style, ...watched inputs, last): the watched ones are not read
    return [range_, view, style, None, None, "heatmap", [], None, "linear", 1, None, None, last]


def test_the_browser_copies_the_range_only_while_shown_and_asks_once_on_reshow():
    calls = [
        _steps_args([1, 4], "classes", NONE, [1, 5]),  # small page: the range is copied
        _steps_args([1, 4], "overview", SHOWN, [1, 4]),  # switched to the overview: nothing
        _steps_args([2, 3], "overview", SHOWN, [1, 4]),  # range moved while hidden: nothing
        _steps_args([2, 3], "classes", SHOWN, [1, 4]),  # shown again: the range, once
        _steps_args([2, 3], "classes", SHOWN, [2, 3]),  # an overview answer's style: nothing
        _steps_args([2, 3], "overview", SHOWN, [2, 3]),
        _steps_args([2, 3], "overview", SHOWN, [2, 3]),  # the selection moved while hidden
        _steps_args([2, 3], "classes", SHOWN, [2, 3]),  # shown again: asked, the same range
        _steps_args([2, 3], "overview", SHOWN, [2, 3]),
        _steps_args([2, 3], "classes", SHOWN, [2, 3]),  # nothing moved meanwhile: nothing
        _steps_args([2, 3], "classes", SHOWN, [2, 3]),  # the selection, shown: the server hears it
    ]
    fired = [[RANGE], [VIEW], [RANGE], [VIEW], [STYLE], [VIEW], [SEL], [VIEW], [VIEW], [VIEW], [SEL]]
    assert in_page(calls, "matrixSteps", fired) == [
        [1, 4], "NO", "NO", [2, 3], "NO", "NO", "NO", [2, 3], "NO", "NO", "NO",
    ]  # fmt: skip


def test_the_epoch_markers_are_drawn_only_into_a_shown_sub_matrix():
    prelude = (
        "global.drawn = []; window.dash_clientside.confusionflow.moveEpochMarkers = "
        "(e, g) => { drawn.push([e, g]); };"
        "global.markersTest = (...a) => { drawn = []; "
        "window.dash_clientside.confusionflow.matrixMarkers(...a); return drawn; };"
    )
    calls = [
        [3, "classes", NONE, "matrix-graph"],  # small page: drawn
        [4, "overview", SHOWN, "matrix-graph"],  # hidden: not drawn
        [4, "classes", SHOWN, "matrix-graph"],  # shown again: drawn at the current epoch
        [4, "classes", SHOWN, "matrix-graph"],  # the panel's style again: nothing new
    ]
    fired = [["epoch.data"], ["epoch.data"], [VIEW], [STYLE]]
    assert in_page(calls, "markersTest", fired, prelude) == [
        [[3, "matrix-graph"]], [], [[4, "matrix-graph"]], [],
    ]  # fmt: skip
