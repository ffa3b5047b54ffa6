"""A new selection is answered with every store it changes, so the views fire after one level.

Adding a series used to run series → selection → range (and detail target) → epoch before any view;
now the series callback answers with the selection, range, epoch and detail target
(``app/callbacks/follow.py``), the class-selection callback likewise, and the range callback moves
the epoch in its own answer. These tests drive the callbacks over HTTP as the page does."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from confusionflow.app.callbacks.follow import follow_selection
from confusionflow.app.config import Settings
from confusionflow.app.factory import create_app
from confusionflow.components import ids
from confusionflow.data_access.store import LogStore
from tests.factories import callback_request, write_run

SERIES = f"..{ids.SERIES_DROPDOWN}.value.."
SELECTION = f"..{ids.CLASS_DROPDOWN}.options.."
RANGE = f"..{ids.RANGE_STORE}.data.."


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    """Run "a" logs steps 1-4 on train and test, run "b" (same classes) steps 1-2 only."""
    rng = np.random.default_rng(0)
    write_run(
        tmp_path / "logs",
        "a",
        ["cat", "dog", "eel"],
        counts={f: {s: rng.integers(0, 9, (3, 3)) for s in (1, 2, 3, 4)} for f in ("train", "test")},
    )
    write_run(
        tmp_path / "logs",
        "b",
        ["cat", "dog", "eel"],
        counts={"test": {s: rng.integers(0, 9, (3, 3)) for s in (1, 2)}},
    )
    return tmp_path / "logs"


@pytest.fixture
def client_app(logs: Path, tmp_path: Path):
    app = create_app(logs, settings=Settings(cache_dir=tmp_path / "cache", poll_seconds=0))
    return app.server.test_client(), app


def answer(client, app, output: str, values: dict, changed: list[str]) -> dict[str, dict]:
    """The callback's answer as ``{id: {property: value}}`` (an ``@hash`` of a duplicate output
    dropped); {} for a 204."""
    response = client.post("/_dash-update-component", json=callback_request(app, output, values, changed))
    assert response.status_code in (200, 204), response.data[:300]
    if response.status_code == 204:
        return {}
    return {
        cid: {prop.split("@")[0]: v for prop, v in props.items()}
        for cid, props in response.get_json()["response"].items()
    }


def shown(keys: list[str], classes: list[str] | None = None) -> dict:
    steps = [1, 2, 3, 4] if keys == ["a/test"] or "a/train" in keys else [1, 2]
    return {
        "series": keys,
        "classes": classes or [],
        "other": False,
        "level": 0,
        "group": None,
        "steps": steps,
    }


def test_adding_a_series_answers_the_selection_and_nothing_unchanged(client_app) -> None:
    client, app = client_app
    values = {
        ids.SERIES_DROPDOWN: ["a/test", "a/train"],
        ids.SLOTS: {"a/test": 0},
        ids.SELECTION: shown(["a/test"]),
        ids.CLASS_DROPDOWN: [],
        ids.RANGE_STORE: [2.0, 3.0],
        ids.EPOCH_STORE: 3.0,
        ids.RANGE_SLIDER: [1, 2],
        ids.DETAIL_TARGET: {"kind": "fn", "true": "dog", "pred": None},
    }
    out = answer(client, app, SERIES, values, [f"{ids.SERIES_DROPDOWN}.value"])
    assert out[ids.SERIES_KEYS]["data"] == ["a/test", "a/train"]
    assert out[ids.SELECTION]["data"]["series"] == ["a/test", "a/train"]
    assert out[ids.SELECTION]["data"]["steps"] == [1.0, 2.0, 3.0, 4.0]
    # same steps, range, epoch, target and picker: none is sent (each would fire views again)
    for cid, prop in (
        (ids.RANGE_STORE, "data"),
        (ids.EPOCH_STORE, "data"),
        (ids.DETAIL_TARGET, "data"),
        (ids.CLASS_DROPDOWN, "value"),
        (ids.RANGE_SLIDER, "value"),
    ):
        assert prop not in out.get(cid, {}), (cid, prop)
    assert out[ids.RANGE_LABEL]["children"] == "Steps 2–3 (2 of 4)"


def test_a_series_of_fewer_steps_clamps_the_range_and_clears_an_epoch_it_did_not_log(client_app) -> None:
    client, app = client_app
    values = {
        ids.SERIES_DROPDOWN: ["b/test"],
        ids.SELECTION: shown(["a/test"]),
        ids.RANGE_STORE: [2.0, 3.0],
        ids.EPOCH_STORE: 3.0,
        ids.RANGE_SLIDER: [1, 2],
        ids.DETAIL_TARGET: {"kind": "cell", "true": "cat", "pred": "dog"},
    }
    out = answer(client, app, SERIES, values, [f"{ids.SERIES_DROPDOWN}.value"])
    assert out[ids.SELECTION]["data"]["steps"] == [1.0, 2.0]
    assert out[ids.RANGE_STORE]["data"] == [2.0, 2.0]  # [2, 3] clamped to the logged steps 1, 2
    assert out[ids.EPOCH_STORE]["data"] is None and out[ids.EPOCH_LABEL]["children"] == "none"
    assert out[ids.RANGE_SLIDER]["value"] == [1, 1]
    assert ids.DETAIL_TARGET not in out  # its classes are still shown


def test_a_class_pick_answers_the_target_it_drops(client_app) -> None:
    client, app = client_app
    values = {
        ids.SERIES_KEYS: ["a/test"],
        ids.CLASS_DROPDOWN: ["cat", "eel"],
        ids.SELECTION: shown(["a/test"]),
        ids.DETAIL_TARGET: {"kind": "fn", "true": "dog", "pred": None},
        ids.RANGE_SLIDER: [0, 3],
    }
    out = answer(client, app, SELECTION, values, [f"{ids.CLASS_DROPDOWN}.value"])
    assert out[ids.SELECTION]["data"]["classes"] == ["cat", "eel"]
    assert out[ids.DETAIL_TARGET]["data"]["kind"] == "accuracy"  # dog is no longer shown
    assert ids.RANGE_STORE not in out and ids.EPOCH_STORE not in out
    # the picker value the series callback just wrote, with its selection: nothing to answer
    values[ids.SELECTION] = out[ids.SELECTION]["data"]
    values[ids.CLASS_MESSAGE] = ""
    assert answer(client, app, SELECTION, values, [f"{ids.CLASS_DROPDOWN}.value"]) == {}


def test_a_narrowed_range_moves_the_epoch_in_the_same_answer(client_app) -> None:
    client, app = client_app
    values = {ids.SELECTION: shown(["a/test"]), ids.SLIDER_ASKED: [0, 1], ids.EPOCH_STORE: 4.0}
    out = answer(client, app, RANGE, values, [f"{ids.SLIDER_ASKED}.data"])
    assert out[ids.RANGE_STORE]["data"] == [1.0, 2.0]
    assert out[ids.EPOCH_STORE]["data"] == 2.0 and out[ids.EPOCH_LABEL]["children"] == "step 2"
    # an epoch inside the new range stays, and is not sent
    values[ids.EPOCH_STORE] = 1.0
    out = answer(client, app, RANGE, values, [f"{ids.SLIDER_ASKED}.data"])
    assert ids.EPOCH_STORE not in out


def test_a_restored_link_sets_range_epoch_and_target_from_the_link(logs: Path, tmp_path: Path) -> None:
    store = LogStore(logs)
    out = follow_selection(
        store,
        True,
        "?s=a/test&from=2&to=3&epoch=3&detail=fn&dt=dog",
        shown(["a/test"]),
        None,
        None,
        None,
    )
    assert out["range_range"] == [2.0, 3.0]
    assert out["epoch_epoch"] == 3.0 and out["epoch_label"] == "step 3"
    assert out["detail_target"] == {"kind": "fn", "true": "dog", "pred": None}


def test_no_server_view_takes_the_epoch_as_an_input(client_app) -> None:
    """Every view moves with the epoch in the browser: the markers (moveEpochMarkers), the class
    sizes (from their figure's recipe); the matrix hears it through MATRIX_EPOCH (lines only), the
    instance list through INSTANCES_STEPS (a listable tile only)."""
    _, app = client_app
    by_output = {key: cb for key, cb in app.callback_map.items()}

    def inputs_of(fragment: str) -> set[str]:
        cb = next(cb for key, cb in by_output.items() if fragment in key and "@" not in key.split("..")[1])
        return {f"{d['id']}.{d['property']}" for d in cb["inputs"]}

    epoch = f"{ids.EPOCH_STORE}.data"
    for graph in (ids.DETAIL_GRAPH, ids.TIMELINE_GRAPH, ids.CLASS_PERF_GRAPH, ids.DISTRIBUTION_GRAPH):
        assert epoch not in inputs_of(f"{graph}.figure"), graph
    assert f"{ids.SIZES_EPOCH}.data" in inputs_of(f"{ids.DISTRIBUTION_GRAPH}.figure")
    assert epoch not in inputs_of(f"{ids.MATRIX_GRAPH}.figure")
    assert f"{ids.MATRIX_EPOCH}.data" in inputs_of(f"{ids.MATRIX_GRAPH}.figure")
    assert epoch not in inputs_of(f"{ids.INSTANCES_BODY}.children")
    assert f"{ids.INSTANCES_STEPS}.data" in inputs_of(f"{ids.INSTANCES_BODY}.children")
    # the stores that follow a selection are not fired by it: they come in its answer
    for store_output in (
        f"..{ids.RANGE_STORE}.data..",
        f"..{ids.EPOCH_STORE}.data..",
        f"..{ids.DETAIL_TARGET}.data..",
    ):
        assert f"{ids.SELECTION}.data" not in inputs_of(store_output)
        assert f"{ids.URL_STATE}.data" not in inputs_of(store_output)


def test_the_overview_takes_the_range_and_epoch_only_through_its_browser_gate(client_app) -> None:
    """A hidden overview (40 classes or fewer, or the sub-matrix chosen) must cost no request when
    the timeline or the normalisation moves: the server callback is fired by OVERVIEW_STEPS, which
    a clientside callback fills only while the overview is shown (and when it is shown again), and
    reads the range, epoch and normalisation as state."""
    _, app = client_app
    cbs = app.callback_map
    figure_cb = next(cb for key, cb in cbs.items() if f"{ids.OVERVIEW_GRAPH}.figure" in key)
    inputs = {f"{d['id']}.{d['property']}" for d in figure_cb["inputs"]}
    state = {f"{d['id']}.{d['property']}" for d in figure_cb["state"]}
    assert f"{ids.OVERVIEW_STEPS}.data" in inputs
    moved = {f"{ids.RANGE_STORE}.data", f"{ids.EPOCH_STORE}.data", f"{ids.NORMALIZATION}.value"}
    assert moved <= state
    assert not moved & inputs
    gate = next(c for c in app._callback_list if c["output"] == f"{ids.OVERVIEW_STEPS}.data")
    assert gate.get("clientside_function", {}).get("function_name") == "overviewSteps"
    assert gate["prevent_initial_call"] is True
    assert {f"{d['id']}.{d['property']}" for d in gate["inputs"]} == moved | {f"{ids.MATRIX_VIEW}.data"}
    assert {f"{d['id']}.{d['property']}" for d in gate["state"]} == {
        f"{ids.OVERVIEW_PANEL}.style",
        f"{ids.OVERVIEW_STEPS}.data",
    }


def _key(dep: dict) -> str:
    return f"{dep['id']}.{dep['property']}"


def test_a_range_change_asks_the_server_once_for_the_range_and_never_for_the_epoch(client_app) -> None:
    """A range change used to cost three extra requests that answered nothing: the slider's echo
    of the value the range callback set on it, the timeline's empty selection after its Patch
    dropped the brush, and (many classes) the overview's. Each control now reaches its server
    callback through a browser gate (assets/timeline_zoom.js, assets/confusionflow.js), and the
    epoch callback hears the timeline's clicks alone (the range callback moves the epoch)."""
    _, app = client_app
    cbs = app.callback_map
    range_cb = next(
        cb for key, cb in cbs.items() if key.startswith(f"..{ids.RANGE_STORE}.data...{ids.RANGE_SLIDER}.max")
    )
    inputs = {_key(d) for d in range_cb["inputs"]}
    assert {f"{ids.SLIDER_ASKED}.data", f"{ids.TIMELINE_BRUSH}.data"} <= inputs
    assert not {f"{ids.RANGE_SLIDER}.value", f"{ids.TIMELINE_GRAPH}.selectedData"} & inputs
    epoch_cb = cbs[f"..{ids.EPOCH_STORE}.data...{ids.EPOCH_LABEL}.children.."]
    assert [_key(d) for d in epoch_cb["inputs"]] == [f"{ids.TIMELINE_GRAPH}.clickData"]
    overview_select = next(cb for key, cb in cbs.items() if f"{ids.STRATEGY_MESSAGE}.children" in key)
    assert f"{ids.OVERVIEW_BOX}.data" in {_key(d) for d in overview_select["inputs"]}
    # the graphs' raw events and the slider's value reach only their gates, in the browser
    gates = {
        f"{ids.RANGE_SLIDER}.value": (f"{ids.SLIDER_ASKED}.data", "sliderOnly"),
        f"{ids.TIMELINE_GRAPH}.selectedData": (f"{ids.TIMELINE_BRUSH}.data", "brushOnly"),
        f"{ids.OVERVIEW_GRAPH}.selectedData": (f"{ids.OVERVIEW_BOX}.data", "overviewBox"),
    }
    for raw, (output, function) in gates.items():
        hearing = [c for c in app._callback_list if raw in {_key(d) for d in c["inputs"]}]
        assert [c["output"] for c in hearing] == [output], raw
        assert hearing[0]["clientside_function"]["function_name"] == function
        assert hearing[0]["prevent_initial_call"] is True


def test_a_box_reaching_the_overview_selection_through_its_store_selects_its_classes(tmp_path: Path) -> None:
    """The box the browser passes on (OVERVIEW_BOX) is read as the overview's box drag: a box over
    the first two rows and columns of a 45-class overview (logged order) picks those two classes."""
    from confusionflow.app.callbacks.common import OVERVIEW_MIN_CLASSES
    from confusionflow.data_access.writer import LogWriter

    n = OVERVIEW_MIN_CLASSES + 5
    classes = [f"c{i:02d}" for i in range(n)]
    rng = np.random.default_rng(3)
    with LogWriter(tmp_path / "logs", "a", classes, store_instances=False) as log:
        for step in (1, 2, 3):
            log.add_counts(step, "test", rng.integers(0, 4, (n, n)) + np.eye(n, dtype=int) * 20)
    app = create_app(tmp_path / "logs", settings=Settings(cache_dir=tmp_path / "cache", poll_seconds=0))
    client = app.server.test_client()
    values = {
        ids.SELECTION: {"series": ["a/test"], "classes": [], "other": False, "level": 0, "group": None},
        ids.OVERVIEW_BOX: {"range": {"x": [-0.4, 1.4], "y": [-0.4, 1.4]}},
        ids.OVERVIEW_ORDER: "logged",
    }
    output = f"..{ids.STRATEGY_MESSAGE}.children.."
    out = answer(client, app, output, values, [f"{ids.OVERVIEW_BOX}.data"])
    assert out[ids.CLASS_DROPDOWN]["value"] == ["c00", "c01"]
    assert out[ids.STRATEGY_MESSAGE]["children"] == "2 classes selected."
