"""The step range and the epoch stay consistent: drags keep the steps they end on, the epoch never
sits outside the range, and a double-click on the timeline asks for every step."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from confusionflow.app.callbacks import timeline as timeline_cb
from confusionflow.app.config import Settings
from confusionflow.app.factory import create_app
from confusionflow.components import ids
from tests.factories import callback_request, write_run

STEPS = [float(s) for s in range(1, 21)]
BRUSH = f"{ids.TIMELINE_GRAPH}.selectedData"


def brush(lo: float, hi: float):
    return timeline_cb.range_update(BRUSH, STEPS, "", None, None, {"range": {"x": [lo, hi]}}, None)


def test_a_drag_ending_exactly_on_a_step_keeps_that_step():
    # the pixel a user lets go on lands a hair left or right of the step it is drawn at
    for lo, hi in [(3.98, 10.02), (4.01, 9.99), (4.0, 10.0)]:
        out = brush(lo, hi)
        assert out.range == [4.0, 10.0], (lo, hi)
        assert out.label == "Steps 4–10 (7 of 20)"


def test_a_double_click_on_the_timeline_resets_the_range():
    # Plotly answers a double-click in select mode with plotly_deselect: selectedData becomes None
    out = timeline_cb.range_update(BRUSH, STEPS, "", None, None, None, [4.0, 10.0])
    assert out is not None and out.range is None and out.label == "All 20 steps (1–20)"


def test_a_click_outside_the_range_keeps_the_epoch_inside_it():
    click = {"points": [{"x": 12.0}]}
    assert timeline_cb.epoch_update(ids.TIMELINE_GRAPH, STEPS, "", click, None, [4.0, 9.0]) == 9.0
    click = {"points": [{"x": 1.0}]}
    assert timeline_cb.epoch_update(ids.TIMELINE_GRAPH, STEPS, "", click, None, [4.0, 9.0]) == 4.0
    click = {"points": [{"x": 6.2}]}
    assert timeline_cb.epoch_update(ids.TIMELINE_GRAPH, STEPS, "", click, None, [4.0, 9.0]) == 6.0


def test_narrowing_the_range_moves_the_epoch_into_it():
    assert timeline_cb.epoch_update(ids.RANGE_STORE, STEPS, "", None, 12.0, [4.0, 9.0]) == 9.0
    assert timeline_cb.epoch_update(ids.RANGE_STORE, STEPS, "", None, 6.0, [4.0, 9.0]) is False  # unchanged
    assert timeline_cb.epoch_update(ids.URL_STATE, STEPS, "?from=4&to=9&epoch=12", None, None, None) == 9.0


def test_an_unchanged_range_is_not_stored_again():
    assert timeline_cb.same_range(None, None)
    assert timeline_cb.same_range([4.0, 9.0], [4, 9])
    assert not timeline_cb.same_range([4.0, 9.0], None)
    assert not timeline_cb.same_range(None, [4.0, 9.0])
    assert not timeline_cb.same_range([4.0, 9.0], [4.0, 10.0])
    assert not timeline_cb.same_range([4.0, 9.0], "4,9")
    assert not timeline_cb.same_range([4.0, 9.0], [4.0, "x"])


def test_a_selection_change_keeps_an_epoch_that_is_still_logged_without_sending_it_again():
    assert timeline_cb.epoch_update(ids.SELECTION, STEPS, "", None, 6.0, [4.0, 9.0]) is False
    assert timeline_cb.epoch_update(ids.SELECTION, STEPS, "", None, None, None) is False
    # the new series did not log it: cleared (a change, so it is sent)
    assert timeline_cb.epoch_update(ids.SELECTION, [1.0, 2.0], "", None, 6.0, None) is None


def _answer(client, app, output: str, values: dict, changed: list[str]) -> dict:
    body = callback_request(app, output, values, changed)
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code in (200, 204), response.data[:300]
    return response.get_json()["response"] if response.status_code == 200 else {}


def test_picking_classes_sends_neither_range_nor_epoch_again(tmp_path: Path) -> None:
    """A class selection changes neither the steps nor the epoch: the range and epoch callbacks
    answer without their stores, so the overview and the views (inputs of both stores) are not
    rebuilt a second time — at 1000 classes the overview alone is 5 MB."""
    rng = np.random.default_rng(0)
    counts = {"test": {s: rng.integers(0, 9, (3, 3)) for s in (1, 2, 3, 4)}}
    write_run(tmp_path / "logs", "run", ["a", "b", "c"], counts=counts)
    app = create_app(tmp_path / "logs", settings=Settings(cache_dir=tmp_path / "cache", poll_seconds=0))
    client = app.server.test_client()
    selection = {
        "series": ["run/test"],
        "classes": ["a", "b"],
        "other": False,
        "super": False,
        "steps": [1, 2, 3, 4],
    }
    values = {
        ids.SELECTION: selection,
        ids.SERIES_KEYS: ["run/test"],
        ids.CLASS_DROPDOWN: ["a", "b", "c"],
        ids.RANGE_STORE: [2.0, 3.0],
        ids.EPOCH_STORE: 3.0,
        ids.URL_STATE: "",
    }
    changed = [f"{ids.CLASS_DROPDOWN}.value"]
    # the class-selection callback answers with the selection and every store that follows it
    # (app/callbacks/follow.py): the slider may be re-sent, the range and epoch stores are not
    answer = _answer(client, app, f"..{ids.CLASS_DROPDOWN}.options..", values, changed)
    assert answer[ids.SELECTION]["data"]["classes"] == []  # every class: stored as all
    sent = {f"{cid}.{prop.split('@')[0]}" for cid, props in answer.items() for prop in props}
    assert f"{ids.RANGE_STORE}.data" not in sent and f"{ids.EPOCH_STORE}.data" not in sent
    assert f"{ids.RANGE_SLIDER}.value" in sent
    # steps that do not hold the range: the range is clamped, and that change is sent
    values[ids.RANGE_STORE] = [2.0, 7.0]
    answer = _answer(client, app, f"..{ids.CLASS_DROPDOWN}.options..", values, changed)
    stored = {prop.split("@")[0]: v for prop, v in answer[ids.RANGE_STORE].items()}
    assert stored == {"data": [2.0, 4.0]}
