"""Callback inputs: parsed once, typed and bounded; crafted payloads never cost more than a view.

The unit tests feed each callback's function the kind of payload an attacker would send (a huge
``n_steps``, 250,000-element lists, NaN and infinities, nested objects, wrong types) and check it
finishes with a bounded, sensible result. The last test sends such payloads to every callback of a
real app through Flask's test client: each answers 200/204 or a short 4xx, never a 500.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import dash
import pytest

from confusionflow.app import counts_export
from confusionflow.app.callbacks import (
    class_charts,
    detail,
    instances,
    matrix,
    selection,
    series,
    timeline,
    url,
)
from confusionflow.app.callbacks.common import Selection
from confusionflow.app.callbacks.inputs import (
    MAX_TEXT,
    VIEW_INPUTS,
    Bounds,
    PageInputs,
    epoch_only,
    outputs_of,
    parse_inputs,
)
from confusionflow.app.config import Settings
from confusionflow.app.factory import create_app
from confusionflow.app.importing import import_from_page
from confusionflow.app.state import DetailTarget
from confusionflow.components import ids
from confusionflow.data_access.store import LogStore
from tests.factories import improving_counts, write_run

CLASSES = ["cat", "dog", "fox"]
HUGE = 10**15
LONG_LIST = list(range(250_000))
NESTED: dict = {}
_level = NESTED
for _ in range(200):
    _level["x"] = {}
    _level = _level["x"]
GARBAGE = [
    HUGE,
    float("nan"),
    float("inf"),
    -float("inf"),
    LONG_LIST,
    NESTED,
    "x" * 100_000,
    True,
    None,
    [[1, 2]],
]
CRAFTED_META = {
    "classes": ["a"] * 1000,
    "n_steps": 1e15,
    "n_series": 1e15,
    "encoding": "heatmap",
    "rotate": False,
}
GOOD_SELECTION = Selection(series=("alpha/test", "alpha/train"), steps=(1.0, 2.0, 3.0)).to_store()


@pytest.fixture(scope="module")
def logdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("logs")
    steps = (1, 2, 3)
    write_run(
        root,
        "alpha",
        CLASSES,
        counts={fold: {s: improving_counts(s) for s in steps} for fold in ("test", "train")},
    )
    return root


@pytest.fixture(scope="module")
def store(logdir: Path) -> LogStore:
    return LogStore(logdir)


def finishes(fn, *args, seconds: float = 60):
    """``fn(*args)``'s result, failing if it has not returned within ``seconds`` (a hang guard,
    generous by orders of magnitude: the crafted requests used to loop for good)."""
    out: dict = {}

    def run() -> None:
        try:
            out["value"] = fn(*args)
        except dash.exceptions.PreventUpdate:
            out["value"] = "prevented"

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"{getattr(fn, '__name__', fn)} did not return"
    return out.get("value")


# ----------------------------------------------------------------------------- the parser
@pytest.mark.parametrize("value", GARBAGE, ids=lambda v: type(v).__name__)
def test_garbage_in_any_input_reads_as_the_default(value) -> None:
    raw = dict.fromkeys(
        [
            "selection",
            "slots",
            "step_range",
            "epoch",
            "encoding",
            "rotate",
            "normalization",
            "scale",
            "gamma",
            "detail",
            "series_keys",
            "class_value",
            "class_options",
            "clicks",
        ],
        value,
    )
    page = parse_inputs({**raw, "unknown": value})
    assert page == PageInputs() or page.selection == Selection()
    assert page.step_range is None
    assert page.epoch is None or page.epoch == HUGE  # a finite number is a (not logged) step
    assert page.encoding == "heatmap" and page.scale == "linear" and page.gamma in (1.0, 2.0)
    assert page.detail == DetailTarget() and page.clicks in (0, HUGE)
    assert page.slots == {} and page.series_keys == () and page.class_options == frozenset()


def test_lists_are_capped_to_the_known_series_and_classes() -> None:
    bounds = Bounds(series=3, classes=5)
    keys = [f"run{i}/test" for i in range(250_000)]
    page = parse_inputs(
        {
            "selection": {"series": keys, "classes": keys, "steps": LONG_LIST, "other": "yes"},
            "series_keys": keys,
            "class_value": keys,
            "slots": {k: 1 for k in keys[:50_000]},
        },
        bounds,
    )
    assert page.selection.series == tuple(keys[:3]) and len(page.selection.classes) == 5
    assert page.selection.other is False  # only a real true counts
    assert len(page.series_keys) == 3 + 16 and len(page.class_value) == 5
    assert len(page.slots) <= 3 * 2 + 16
    assert parse_inputs({"selection": {"series": ["x" * (MAX_TEXT + 1), "ok/test"]}}).selection.series == (
        "ok/test",
    )


def test_numbers_are_finite_and_ranges_ordered() -> None:
    assert parse_inputs({"step_range": [5, 2]}).step_range == (2.0, 5.0)
    assert parse_inputs({"step_range": [float("nan"), 2]}).step_range is None
    assert parse_inputs({"step_range": ["1", "2"]}).step_range is None
    assert parse_inputs({"epoch": float("inf")}).epoch is None
    assert parse_inputs({"gamma": 50}).gamma == 2.0
    assert parse_inputs({"clicks": -1}).clicks == 0


def test_bounds_come_from_the_store(store: LogStore) -> None:
    assert Bounds.of(store.list_series()) == Bounds(series=2, classes=3)


def test_results_must_name_exactly_the_declared_outputs() -> None:
    declared = {
        "figure": dash.Output("g", "figure"),
        "title": dash.Output("t", "children"),
        "meta": dash.Output("m", "data"),
    }
    assert outputs_of(detail.DetailUpdate(1, 2, 3), declared) == {"figure": 1, "title": 2, "meta": 3}
    with pytest.raises(TypeError, match="differ from the declared outputs"):
        outputs_of({"figure": 1}, declared)
    with pytest.raises(TypeError):
        outputs_of((1, 2), declared)


def test_the_view_inputs_are_declared_once() -> None:
    assert set(VIEW_INPUTS) == {"selection", "slots", "step_range", "epoch"}
    for declared in (matrix.MATRIX_INPUTS,):
        assert {k: v for k, v in declared.items() if k in VIEW_INPUTS} == VIEW_INPUTS


# ----------------------------------------------------------------------------- epoch-only and Patch
def _view_raw() -> dict:
    return {"selection": GOOD_SELECTION, "slots": {}, "step_range": None, "epoch": 2}


@pytest.mark.parametrize(
    "redraw",
    [
        lambda store, raw, trig: timeline.timeline_figure(store, raw, trig),
        lambda store, raw, trig: class_charts.class_performance_update(store, raw, trig)["figure"],
        lambda store, raw, trig: detail.detail_update(store, parse_inputs(raw), trig).figure,
    ],
    ids=["timeline", "class-performance", "detail"],
)
def test_only_the_epoch_moved_leaves_the_figure_to_the_browser(store, redraw) -> None:
    epoch = [f"{ids.EPOCH_STORE}.data"]
    assert epoch_only(epoch) and not epoch_only([*epoch, f"{ids.SELECTION}.data"]) and not epoch_only([])
    assert redraw(store, _view_raw(), epoch) is dash.no_update
    assert redraw(store, _view_raw(), [f"{ids.SELECTION}.data"]) is not dash.no_update


def test_matrix_response_skips_patches_or_rebuilds() -> None:
    assert matrix.matrix_response(None, None) == "rebuild"
    assert matrix.matrix_response("epoch", None) == "rebuild"  # no recipe for this figure
    assert matrix.matrix_response("epoch", {"data": {}, "layout": {}}) == "skip"  # heatmaps
    assert matrix.matrix_response("epoch", {"data": {5: {"z": []}}}) == "patch"  # lines background
    assert matrix.matrix_response("colorscale", {"data": {1: {}}}) == "patch"


def test_matrix_update_patches_a_colour_change_and_skips_a_heatmap_epoch_move(store) -> None:
    page = parse_inputs({**_view_raw(), "epoch": None})
    first = matrix.matrix_update(store, page, None)
    assert isinstance(first.figure, dict) or hasattr(first.figure, "to_dict")
    moved = matrix.matrix_update(store, parse_inputs(_view_raw()), first.meta)
    assert moved.figure is dash.no_update and moved.meta["epoch"] == 2.0
    recoloured = matrix.matrix_update(store, parse_inputs({**_view_raw(), "gamma": 0.5}), moved.meta)
    assert isinstance(recoloured.figure, dash.Patch) and recoloured.caption is dash.no_update


def test_a_view_over_the_budget_is_refused_with_a_message(store) -> None:
    out = matrix.matrix_update(store, parse_inputs(_view_raw()), None, max_cells=10)
    assert out.meta is None
    text = json.dumps(out.figure.to_plotly_json(), default=str)
    assert "limit of 10." in text and "Select fewer classes" in text
    assert "limit of 10." in counts_export.export_tensor(store, "?s=alpha/test", 10)
    exported = counts_export.export_tensor(store, "?s=alpha/test", 10_000)
    assert not isinstance(exported, str)
    tensor, _ = exported
    assert tensor.n_steps == 3


# ----------------------------------------------------------------------------- crafted payloads, per callback
@pytest.mark.parametrize("value", GARBAGE, ids=lambda v: type(v).__name__)
def test_every_callback_function_survives_garbage(store, value) -> None:
    good = {"selection": GOOD_SELECTION}
    for sel in (value, GOOD_SELECTION):
        raw_view = {"selection": sel, "slots": value, "step_range": value, "epoch": value}
        page = parse_inputs(
            {**raw_view, "encoding": value, "rotate": value, "detail": value}, Bounds.of(store.list_series())
        )
        finishes(timeline.range_update, ids.RANGE_SLIDER, [1.0, 2.0, 3.0], value, value, value, value, value)
        finishes(
            timeline.range_update,
            f"{ids.TIMELINE_GRAPH}.relayoutData",
            [1.0, 2.0],
            value,
            value,
            value,
            value,
            value,
        )
        finishes(
            timeline.epoch_update,
            ids.TIMELINE_GRAPH,
            [1.0, 2.0],
            value,
            {"points": [{"x": value}]},
            value,
            value,
        )
        finishes(timeline.timeline_figure, store, raw_view, [f"{ids.SELECTION}.data"])
        finishes(class_charts.class_performance_update, store, raw_view, None)
        finishes(class_charts.class_sizes_update, store, raw_view)
        out = finishes(matrix.matrix_update, store, page, CRAFTED_META)
        assert out.meta is None or out.meta["n_steps"] <= 3
        click = {
            "points": [{"curveNumber": value, "pointNumber": [value, value], "col": value, "row": value}]
        }
        finishes(detail.detail_target_update, store, ids.MATRIX_CLICK, page, click, None)
        finishes(detail.detail_target_update, store, ids.CLASS_PERF_CLICK, page, None, click)
        finishes(detail.detail_update, store, page, None)
        finishes(instances.instances_update, store, sel, value, value, value, value)
        finishes(instances.instance_series_update, store, sel, value)
        finishes(counts_export.export_tensor, store, str(value)[:20_000], 10**7)
        finishes(series.series_update, store, ids.SERIES_DROPDOWN, True, value, value, value, value)
        finishes(
            series.series_update,
            store,
            ids.IMPORT_RESULT,
            True,
            value,
            value,
            {"ok": True, "series": value},
            value,
        )
        finishes(
            selection.selection_update, store, ids.CLASS_DROPDOWN, value, value, value, value, sel, value
        )
        finishes(url.state_from_controls, sel, value, value, value, value, value, value, value, value)
        finishes(url.controls_from_query, value)
    settings = Settings(allow_upload=True)
    outcome = finishes(
        import_from_page,
        settings,
        ids.IMPORT_UPLOAD,
        value,
        value,
        value,
        value,
        value,
        value,
        lambda *_: None,
    )
    assert outcome.ok is False and len(outcome.message) < 600
    assert good  # the good selection above was exercised alongside the garbage


def test_a_crafted_click_costs_what_the_servers_matrix_costs(store) -> None:
    """The detail target used to size its hit-testing from ``n_steps`` sent by the browser."""
    page = parse_inputs({"selection": GOOD_SELECTION, "encoding": "heatmap"}, Bounds.of(store.list_series()))
    point = {"curveNumber": 0, "col": 1.5, "row": 1.5}
    target = finishes(detail.detail_target_update, store, ids.MATRIX_CLICK, page, {"points": [point]}, None)
    assert target is None or isinstance(target, DetailTarget)


# ----------------------------------------------------------------------------- over HTTP
def _bodies(callback_map: dict) -> list[tuple[str, str]]:
    """``(callback, JSON body)`` pairs: each callback with crafted values in every input and state."""
    small = [HUGE, float("nan"), float("inf"), NESTED, "x" * 10_000, [[1, 2]], CRAFTED_META, True]
    bodies = []
    for output, cb in callback_map.items():
        if cb.get("background"):
            continue  # the import job runs in a worker; import_from_page is tested above
        deps = cb["inputs"] + cb["state"]
        declared = cb["output"]
        spec = lambda o: {"id": o.component_id, "property": o.component_property}  # noqa: E731
        outputs = [spec(o) for o in declared] if isinstance(declared, (list, tuple)) else spec(declared)
        changed = [f"{deps[0]['id']}.{deps[0]['property']}"] if deps else []
        for value in [*small, LONG_LIST]:
            for selection_value in (None, GOOD_SELECTION):

                def item(d: dict, i: int, value=value, selection_value=selection_value) -> object:
                    if d["id"].startswith("{"):
                        return []
                    v = value if (value is not LONG_LIST or i == 0) else 1
                    if selection_value is not None and d["id"] == ids.SELECTION:
                        v = selection_value
                    return {"id": d["id"], "property": d["property"], "value": v}

                body = {
                    "output": output,
                    "outputs": [] if cb.get("no_output") else outputs,
                    "inputs": [item(d, i) for i, d in enumerate(cb["inputs"])],
                    "state": [item(d, i + 1) for i, d in enumerate(cb["state"])],
                    "changedPropIds": changed,
                }
                bodies.append((output, json.dumps(body)))
    return bodies


def test_crafted_requests_to_every_callback_never_get_a_500(logdir: Path, tmp_path: Path) -> None:
    app = create_app(logdir, settings=Settings(cache_dir=tmp_path, poll_seconds=0))
    client = app.server.test_client()
    statuses: dict[int, int] = {}
    for output, body in _bodies(app.callback_map):
        response = finishes(
            lambda b=body: client.post("/_dash-update-component", data=b, content_type="application/json")
        )
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        assert response.status_code in (200, 204) or 400 <= response.status_code < 500, (
            output,
            response.status_code,
            response.data[:300],
        )
        if response.status_code >= 400:
            assert len(response.data) < 2000
    assert statuses.get(200, 0) > 0  # real answers, not only refusals
    assert client.get("/").status_code == 200  # and the page still opens


def test_the_counts_csv_is_streamed_complete_and_bounded(logdir: Path, tmp_path: Path) -> None:
    import csv
    import io

    app = create_app(logdir, settings=Settings(cache_dir=tmp_path, poll_seconds=0))
    client = app.server.test_client()
    response = client.get("/_export/counts.csv?s=alpha/test&s=alpha/train&from=2&to=3")
    assert response.status_code == 200 and response.is_streamed
    assert response.headers["Content-Disposition"] == 'attachment; filename="confusionflow-alpha.csv"'
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert list(rows[0]) == ["run", "fold", "step", "y_true", "y_pred", "true_index", "pred_index", "count"]
    assert len(rows) == 2 * 2 * 9  # two series x steps 2 and 3 x 3x3 cells
    cat_dog = [
        r
        for r in rows
        if r["fold"] == "test" and r["step"] == "3" and r["y_true"] == "cat" and r["y_pred"] == "dog"
    ]
    assert [int(r["count"]) for r in cat_dog] == [int(improving_counts(3)[0, 1])]
    assert client.get("/_export/counts.csv").status_code == 404
    small = create_app(logdir, settings=Settings(cache_dir=tmp_path, poll_seconds=0, max_view_cells=10))
    refused = small.server.test_client().get("/_export/counts.csv?s=alpha/test")
    assert refused.status_code == 400 and b"limit of 10" in refused.data


def test_csv_cells_are_data_never_formulas() -> None:
    assert counts_export.csv_cell("=cmd|' /C calc'!A0") == "'=cmd|' /C calc'!A0"
    assert counts_export.csv_cell("+SUM(A1)") == "'+SUM(A1)" and counts_export.csv_cell("@x") == "'@x"
    assert counts_export.csv_cell('a,"b"') == '"a,""b"""'
    assert counts_export.csv_cell("cat") == "cat"
