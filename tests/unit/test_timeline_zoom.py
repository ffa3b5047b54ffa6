"""The timeline's zoom events reach the range callback only when they change the x range.

Dash drops the answer of a callback still running when the same callback is requested again. The
timeline graph reports an autosize relayout on its first draw (and on every resize); wired straight
to the range callback, that no-op request cancelled the range the page had just asked for (an
opened link's range, a new selection's steps) and answered nothing itself, so the label stayed
empty, the slider at 0-1 and the views on the full range. The filter runs in the page
(assets/timeline_zoom.js): these tests run it in Node and check the wiring of the callbacks.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import dash
import pytest

from confusionflow.app.callbacks import timeline, url
from confusionflow.components import ids

ASSET = Path(__file__).resolve().parents[2] / "assets" / "timeline_zoom.js"
STEPS = [float(s) for s in range(1, 21)]


def in_node(function: str, calls: list[list[object]]) -> list[object]:
    """``function`` of assets/timeline_zoom.js applied to each argument list, run by Node."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    script = (
        "global.window = {};"
        f"const zoom = require({json.dumps(str(ASSET))});"
        f"process.stdout.write(JSON.stringify({json.dumps(calls)}.map(a => zoom.{function}(...a))));"
    )
    out = subprocess.run([node, "-e", script], capture_output=True, text=True, timeout=30, check=True)
    return json.loads(out.stdout)


def x_range_event(events: list[object]) -> list[bool]:
    """``xRangeEvent`` of assets/timeline_zoom.js for each event."""
    return [bool(v) for v in in_node("xRangeEvent", [[e] for e in events])]


def test_only_brushes_and_deselects_reach_the_range_callback():
    """A redraw that drops the brush reports ``{points: []}``: it selects no range, so the page
    sends nothing (range_from_selection would read it as no range). A deselect (None) is "every
    step" and passes."""
    events = [
        {"points": []},
        {"points": [], "range": {"x": [2.2, 7.9]}},
        None,
        {"range": {"x": [3]}},
        {"range": None},
        {"lassoPoints": {"x": [1, 2, 3]}},
    ]
    assert in_node("brushEvent", [[e] for e in events]) == [False, True, True, False, False, False]


def test_the_slider_echo_of_the_stored_range_is_not_asked_again():
    """The range callback sets the slider to the stored range's positions; the slider reports that
    value back, and it must not reach the server. A value the store does not show does."""
    steps = [1, 2, 3, 5, 8]
    calls = [
        [[1, 3], steps, [2, 5]],  # the echo of [2, 5]
        [[3, 1], steps, [5, 2]],  # in either order
        [[0, 4], steps, None],  # every step, stored as None
        [[1, 2], steps, [2, 5]],  # the user moved a handle
        [[0, 4], steps, [1, 5]],
        [[1, 3], None, [2, 5]],  # no steps known: the server decides
        [[1, 9], steps, [2, 5]],  # outside the steps
        [[0.5, 3], steps, [2, 5]],
        ["1,3", steps, [2, 5]],
    ]
    assert in_node("sliderShows", calls) == [True, True, True, False, False, False, False, False, False]


def test_only_x_range_relayouts_pass_the_filter():
    events = [
        {"autosize": True},
        {"xaxis.range[0]": 2.4, "xaxis.range[1]": 11.6},
        {"xaxis.range": [2, 12]},
        {"xaxis.autorange": True},
        {"yaxis.range[0]": 0, "yaxis.range[1]": 1},
        {"dragmode": "select"},
        None,
        {},
    ]
    assert x_range_event(events) == [False, True, True, True, False, False, False, False]


def registered_callbacks() -> dict[str, dict]:
    app = dash.Dash(__name__)
    timeline.register(app, store=None)  # type: ignore[arg-type]  # registering reads no data
    return app.callback_map


def test_the_range_callback_never_hears_the_timelines_relayouts_directly():
    relayout = {"id": ids.TIMELINE_GRAPH, "property": "relayoutData"}
    callbacks = registered_callbacks()
    range_cb = next(cb for key, cb in callbacks.items() if f"{ids.RANGE_STORE}.data" in key)
    assert relayout not in range_cb["inputs"]
    assert {"id": ids.TIMELINE_ZOOM, "property": "data"} in range_cb["inputs"]
    # the graph's relayouts go to the page's filter alone, which writes TIMELINE_ZOOM
    hearing = [key for key, cb in callbacks.items() if relayout in cb["inputs"]]
    assert hearing == [f"{ids.TIMELINE_ZOOM}.data"]


def test_a_filtered_drag_is_read_as_a_drag_and_the_first_open_as_every_step():
    trigger = timeline.range_trigger(ids.TIMELINE_ZOOM, f"{ids.TIMELINE_ZOOM}.data")
    drag = timeline.range_update(
        trigger, STEPS, "", None, {"xaxis.range[0]": 2.4, "xaxis.range[1]": 11.6}, None, None
    )
    assert drag is not None and drag.range == [2.0, 12.0] and drag.label == "Steps 2–12 (11 of 20)"
    assert timeline.range_trigger(ids.TIMELINE_GRAPH, f"{ids.TIMELINE_GRAPH}.selectedData") == (
        f"{ids.TIMELINE_GRAPH}.selectedData"
    )
    # the page opening (the URL state with no range): every logged step, label and slider set
    opened = timeline.range_update(
        timeline.range_trigger(ids.URL_STATE, ""), STEPS, "", None, None, None, None
    )
    assert opened is not None
    assert (opened.range, opened.label, opened.slider_max, opened.slider_value) == (
        None,
        "All 20 steps (1–20)",
        19,
        [0, 19],
    )


def test_an_epoch_move_rewrites_only_the_epoch_of_the_query_where_to_query_puts_it():
    """The browser moves the epoch's pair of the page's query itself (epochQuery): the result must
    be the query the server would write for the same view (app/state.py to_query)."""
    from confusionflow.app.state import ViewState, parse_query, to_query

    base = ViewState(series=("a/test", "b/test"), classes=("cat", "dog"), step_range=(2.0, 9.0))
    with_detail = parse_query("?s=a/test&from=2&to=9&detail=fn&dt=dog")
    cases = [
        (to_query(base), 5.0),
        (to_query(replace(base, epoch=3.0)), 5.0),
        (to_query(replace(base, epoch=3.0)), None),
        (to_query(replace(with_detail, epoch=4.0)), 7.5),
        (to_query(with_detail), 6.0),
        ("", 2.0),
        (to_query(ViewState(epoch=2.0)), None),
    ]
    got = in_node("epochInQuery", [[query, epoch] for query, epoch in cases])
    want = [to_query(replace(parse_query(query), epoch=epoch)) for query, epoch in cases]
    assert got == want
    assert got[3] == "?s=a/test&from=2&to=9&epoch=7.5&detail=fn&dt=dog"


def test_the_url_query_callback_leaves_the_epoch_to_the_browser():
    app = dash.Dash(__name__)
    url.register(app, store=None)  # registering reads no data
    query_cb = app.callback_map[f"..{ids.URL_QUERY}.data.."]
    assert {"id": ids.EPOCH_STORE, "property": "data"} not in query_cb["inputs"]
    assert {"id": ids.EPOCH_STORE, "property": "data"} in query_cb["state"]
    gate = next(c for c in app._callback_list if c["output"].startswith(f"{ids.URL_QUERY}.data@"))
    assert gate["clientside_function"]["function_name"] == "epochQuery"
    assert [f"{d['id']}.{d['property']}" for d in gate["inputs"]] == [f"{ids.EPOCH_STORE}.data"]
