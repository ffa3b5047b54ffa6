"""The step range and the epoch stay consistent: drags keep the steps they end on, the epoch never
sits outside the range, and a double-click on the timeline asks for every step."""

from __future__ import annotations

from confusionflow.app.callbacks import timeline as timeline_cb
from confusionflow.components import ids

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
