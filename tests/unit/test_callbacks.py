"""The dashboard's callbacks as plain functions, on small real logs written with ``LogWriter``.

Each callback's logic is a module-level function taking the event that fired (``trigger``) and
the values Dash would pass; these tests call them directly, without a browser.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from confusionflow.app.callbacks import detail as detail_cb
from confusionflow.app.callbacks import export as export_cb
from confusionflow.app.callbacks import selection as selection_cb
from confusionflow.app.callbacks import series as series_cb
from confusionflow.app.callbacks import timeline as timeline_cb
from confusionflow.app.callbacks import url as url_cb
from confusionflow.app.callbacks.common import Selection, series_colors, shape_tensor, view_tensor
from confusionflow.app.state import DetailTarget, parse_query, to_query
from confusionflow.components import ids
from confusionflow.components.colors import PALETTE
from confusionflow.components.options import ABSOLUTE
from confusionflow.data_access.store import LogStore
from confusionflow.data_access.views import detail_values, long_counts, support_at
from confusionflow.data_access.writer import LogWriter
from tests.factories import improving_counts, write_broken_run

CLASSES = ["cat", "dog", "fox"]
SUPER = {"cat": "pet", "dog": "pet", "fox": "wild"}


@pytest.fixture(scope="module")
def logdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("logs")
    with LogWriter(root, "alpha", CLASSES, metadata={"lr": 0.01, "superclasses": SUPER}) as w:
        for step in (1, 2, 3, 5):
            w.add_counts(step, "train", improving_counts(step, 2))
            w.add_counts(step, "test", improving_counts(step))
    with LogWriter(root, "beta", CLASSES, metadata={"lr": 0.1}) as w:
        for step in (2, 3, 4):
            w.add_counts(step, "test", improving_counts(step))
    with LogWriter(root, "gamma", ["a", "b"]) as w:
        w.add_counts(0, "test", np.array([[3, 1], [0, 4]]))
    write_broken_run(root)
    return root


@pytest.fixture(scope="module")
def store(logdir: Path) -> LogStore:
    return LogStore(logdir)


# ----------------------------------------------------------------------------- series (E)
def test_default_series_are_the_first_runs_folds(store):
    assert series_cb.default_series(store.list_series()) == ["alpha/test", "alpha/train"]


def test_page_opens_with_default_series_and_stable_slots(store):
    out = series_cb.series_update(store, ids.URL_STATE, False, "", [], None, {})
    value, keys, slots, chips, message = out.value, out.keys, out.slots, out.chips, out.message
    assert value == keys == ["alpha/test", "alpha/train"]
    assert slots == {"alpha/test": 0, "alpha/train": 1}
    assert [c.children[1].children for c in chips] == ["alpha / test", "alpha / train"]
    assert message == ""


def test_link_series_are_used_and_unknown_ones_named(store):
    out = series_cb.series_update(store, ids.URL_STATE, False, "?s=beta/test&s=nope/test", [], None, {})
    keys, message = out.keys, out.message
    assert keys == ["beta/test"]
    assert "nope/test" in message


def test_series_with_other_classes_are_refused_by_name(store):
    out = series_cb.series_update(
        store, ids.SERIES_DROPDOWN, False, "", ["alpha/test", "gamma/test"], None, {}
    )
    value, keys, message = out.value, out.keys, out.message
    assert keys == value == ["alpha/test"]
    assert "gamma / test" in message and "different class list" in message


def test_removing_a_chip_keeps_the_other_colours(store):
    slots = {"alpha/test": 0, "alpha/train": 1, "beta/test": 2}
    trigger = {"type": ids.CHIP_REMOVE, "key": "alpha/train"}
    out = series_cb.series_update(store, trigger, True, "", list(slots), None, slots)
    keys, new_slots = out.keys, out.slots
    assert keys == ["alpha/test", "beta/test"]
    assert new_slots == {"alpha/test": 0, "beta/test": 2}
    assert series_colors(keys, new_slots) == [PALETTE[0], PALETTE[2]]


def test_a_chip_that_only_appeared_removes_nothing(store):
    trigger = {"type": ids.CHIP_REMOVE, "key": "alpha/test"}
    assert series_cb.series_update(store, trigger, False, "", ["alpha/test"], None, {}) is None


def test_imported_series_are_added(store):
    out = series_cb.series_update(
        store, ids.IMPORT_RESULT, False, "", ["alpha/test"], {"ok": True, "series": ["beta/test"]}, {}
    )
    assert out.keys == ["alpha/test", "beta/test"]
    assert series_cb.series_update(store, ids.IMPORT_RESULT, False, "", [], {"ok": False}, {}) is None


# ----------------------------------------------------------------------------- classes (A)
def _selection(
    store, trigger, *, url="", keys=("alpha/test",), value=(), opts=(), previous=None, level=0, group=None
):
    """``(options, value, message, class options, selection)`` of the selection callback."""
    out = _selection_update(store, trigger, url, keys, value, opts, previous, level, group)
    return out.options, out.value, out.message, out.class_options, out.selection


def _selection_update(
    store, trigger, url="", keys=("alpha/test",), value=(), opts=(), previous=None, level=0, group=None
):
    return selection_cb.selection_update(
        store,
        trigger,
        url,
        list(keys),
        list(value),
        list(opts),
        previous,
        [{"label": "other", "value": "other"}],
        level,
        group,
    )


def test_selection_lists_classes_and_union_of_steps(store):
    options, value, message, opts, sel = _selection(store, ids.SERIES_KEYS, keys=("alpha/test", "beta/test"))
    assert [o["value"] for o in options] == CLASSES
    assert value == [] and message == ""
    assert sel["steps"] == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert opts == [{"label": "other", "value": "other"}]
    # the run's metadata["superclasses"] is a one-level hierarchy: the level control offers it
    out = _selection_update(store, ids.SERIES_KEYS, keys=("alpha/test", "beta/test"))
    assert out.level_options == [
        {"label": "classes (3)", "value": 0},
        {"label": "superclasses (2 groups)", "value": 1},
    ]
    assert out.level == 0 and out.group_options == [] and out.group_disabled


def test_choosing_one_class_is_refused_with_a_message(store):
    previous = Selection(series=("alpha/test",), classes=("cat", "fox")).to_store()
    _, value, message, _, sel = _selection(store, ids.CLASS_DROPDOWN, value=["cat"], previous=previous)
    assert value == ["cat", "fox"]
    assert "at least two classes" in message
    assert sel["classes"] == ["cat", "fox"]


def test_first_class_picked_waits_for_a_second(store):
    _, value, message, _, sel = _selection(store, ids.CLASS_DROPDOWN, value=["dog"], previous=None)
    assert value == ["dog"] and sel["classes"] == []
    assert "at least one more class" in message
    _, value, message, _, sel = _selection(store, ids.CLASS_DROPDOWN, value=["dog", "cat"], previous=sel)
    assert value == sel["classes"] == ["dog", "cat"] and message == ""


def test_choosing_every_class_is_stored_as_all(store):
    _, value, _, _, sel = _selection(store, ids.CLASS_DROPDOWN, value=["fox", "cat", "dog"])
    assert value == sel["classes"] == []


def test_class_choice_survives_a_change_of_series(store):
    _, value, _, _, sel = _selection(store, ids.SERIES_KEYS, keys=("beta/test",), value=["dog", "fox"])
    assert value == ["dog", "fox"] and sel["series"] == ["beta/test"]


def test_superclasses_aggregate_and_other_bucket(store, logdir):
    _, _, _, _, sel = _selection(store, ids.LEVEL, level=1)
    assert sel["level"] == 1 and sel["group"] is None
    tensor = view_tensor(store, Selection.from_store(sel))
    assert tensor.classes == ("pet", "wild")
    # step 1: pet->pet = 11+3+2+9 = 25, fox row: pet 1+1, wild 6
    np.testing.assert_array_equal(tensor.counts[0, 0], [[25, 3], [2, 6]])
    other = shape_tensor(tensor, Selection(series=("alpha/test",)))
    assert other.classes == ("pet", "wild")
    raw = view_tensor(store, Selection(series=("alpha/test",), classes=("cat", "dog"), other=True))
    assert raw.classes == ("cat", "dog", "(other)")
    np.testing.assert_array_equal(raw.counts[0, 0], [[11, 3, 1], [2, 9, 2], [1, 1, 6]])


def test_link_with_unknown_classes_shows_all(store):
    _, value, message, _, _ = _selection(store, ids.URL_STATE, url="?c=zebra&c=cat")
    assert value == [] and "showing all classes" in message


# ----------------------------------------------------------------------------- range and epoch (D)
STEPS = [1.0, 2.0, 3.0, 4.0, 5.0]


def test_slider_positions_become_logged_steps():
    out = timeline_cb.range_update(ids.RANGE_SLIDER, STEPS, "", [1, 3], None, None, None)
    store_value, smax, value, marks, label, disabled = (
        out.range,
        out.slider_max,
        out.slider_value,
        out.marks,
        out.label,
        out.slider_disabled,
    )
    assert disabled is False
    assert store_value == [2.0, 4.0] and value == [1, 3] and smax == 4
    assert marks == {0: "1", 1: "2", 2: "3", 3: "4", 4: "5"}
    assert label == "Steps 2–4 (3 of 5)"


def test_timeline_drag_and_slider_end_in_the_same_state():
    drag = timeline_cb.range_update(
        f"{ids.TIMELINE_GRAPH}.relayoutData",
        STEPS,
        "",
        None,
        {"xaxis.range[0]": 1.6, "xaxis.range[1]": 4.2},
        None,
        None,
    )
    brush = timeline_cb.range_update(
        f"{ids.TIMELINE_GRAPH}.selectedData", STEPS, "", None, None, {"range": {"x": [4.2, 1.6]}}, None
    )
    slider = timeline_cb.range_update(ids.RANGE_SLIDER, STEPS, "", [1, 3], None, None, None)
    assert drag == brush == slider


def test_slider_is_disabled_without_steps():
    out = timeline_cb.range_update(ids.SELECTION, [], "", None, None, None, None)
    assert out.range is None and out.label == "No steps" and out.slider_disabled is True


def test_autosize_events_do_not_touch_the_range():
    assert (
        timeline_cb.range_update(
            f"{ids.TIMELINE_GRAPH}.relayoutData", STEPS, "", None, {"autosize": True}, None, None
        )
        is None
    )


def test_full_range_and_whole_window_are_stored_as_none():
    assert timeline_cb.range_update(ids.FULL_RANGE, STEPS, "", None, None, None, [2, 3]).range is None
    assert timeline_cb.range_update(ids.RANGE_SLIDER, STEPS, "", [0, 4], None, None, None).range is None
    assert (
        timeline_cb.range_update(ids.URL_STATE, STEPS, "?from=0&to=99", None, None, None, None).range is None
    )


def test_range_from_link_snaps_to_logged_steps():
    out = timeline_cb.range_update(ids.URL_STATE, STEPS, "?from=1.5&to=3.7", None, None, None, None)
    assert out.range == [2.0, 3.0] and out.slider_value == [1, 2]


def test_range_is_kept_and_clamped_when_series_change():
    out = timeline_cb.range_update(ids.SELECTION, [3.0, 4.0, 5.0, 6.0], "", None, None, None, [2.0, 4.0])
    assert out.range == [3.0, 4.0]


def test_epoch_click_snaps_to_nearest_logged_step():
    click = {"points": [{"x": 3.4, "y": 0.9}]}
    assert timeline_cb.epoch_update(ids.TIMELINE_GRAPH, STEPS, "", click, None, None) == 3.0


def test_epoch_buttons_move_within_the_range_and_clear():
    assert timeline_cb.epoch_update(ids.EPOCH_NEXT, STEPS, "", None, None, [2.0, 4.0]) == 2.0
    assert timeline_cb.epoch_update(ids.EPOCH_NEXT, STEPS, "", None, 4.0, [2.0, 4.0]) == 4.0
    assert timeline_cb.epoch_update(ids.EPOCH_PREV, STEPS, "", None, 4.0, None) == 3.0
    assert timeline_cb.epoch_update(ids.EPOCH_PREV, STEPS, "", None, None, None) == 5.0
    assert timeline_cb.epoch_update(ids.EPOCH_CLEAR, STEPS, "", None, 4.0, None) is None


def test_epoch_not_logged_by_shown_series_is_cleared():
    assert timeline_cb.epoch_update(ids.URL_STATE, STEPS, "?epoch=2.5", None, None, None) is None
    assert timeline_cb.epoch_update(ids.SELECTION, [1.0, 2.0], "", None, 4.0, None) is None
    assert timeline_cb.epoch_update(ids.URL_STATE, STEPS, "?epoch=4", None, None, None) == 4.0


def test_many_steps_get_few_marks_including_both_ends():
    steps = [float(s) for s in range(0, 200, 2)]
    marks = timeline_cb.slider_marks(steps)
    assert len(marks) == timeline_cb.MAX_MARKS
    assert marks[0] == "0" and marks[99] == "198"


# ----------------------------------------------------------------------------- detail (C)
def test_detail_titles_say_exactly_what_is_shown():
    assert detail_cb.detail_title(DetailTarget(), None).startswith("Overall accuracy")
    assert (
        detail_cb.detail_title(DetailTarget("cell", "cat", "dog"), "true")
        == "True class “cat” predicted as “dog”: share of the true class's instances (row total)"
    )
    # FN and FP name their own denominators, whatever the cells' mode (the FP of "pred" is not a
    # share of the true class, and the FN of "pred" not a share of the predictions)
    assert detail_cb.detail_title(DetailTarget("fn", "dog", None), "pred").endswith(
        "share of the true class's instances (row total)"
    )
    assert detail_cb.detail_title(DetailTarget("fp", None, "fox"), "true").endswith(
        "share of the class's predictions (column total)"
    )
    assert detail_cb.detail_title(DetailTarget("fp", None, "fox"), None).startswith(
        "False positives of class “fox”"
    )
    assert detail_cb.detail_title(DetailTarget("f1", "dog", None), None) == "F1 score of class “dog”"


def test_clicked_tiles_become_targets_by_class_name():
    class Cell:
        def __init__(self, kind, true, pred):
            self.kind, self.true, self.pred = kind, true, pred

    assert detail_cb.target_from_cell(Cell("cell", 0, 2), CLASSES) == DetailTarget("cell", "cat", "fox")
    assert detail_cb.target_from_cell(Cell("fn", 1, None), CLASSES) == DetailTarget("fn", "dog", None)
    assert detail_cb.target_from_cell(Cell("fp", None, 2), CLASSES) == DetailTarget("fp", None, "fox")
    assert detail_cb.target_from_cell(Cell("accuracy", None, None), CLASSES) == DetailTarget()
    assert detail_cb.target_from_cell(Cell("cell", 0, 9), CLASSES) is None
    assert detail_cb.target_from_cell(None, CLASSES) is None


def test_detail_values_match_the_logged_counts(store):
    tensor = view_tensor(store, Selection(series=("alpha/test", "beta/test")))
    cell = detail_values(tensor, "cell", 0, 1)
    # alpha logged 1,2,3,5; beta 2,3,4: cat->dog is 3 wherever logged, NaN elsewhere
    np.testing.assert_array_equal(cell.values[0], [3, 3, 3, np.nan, 3])
    np.testing.assert_array_equal(cell.values[1], [np.nan, 3, 3, 3, np.nan])
    assert not cell.percent and cell.unit == "instances"
    rel = detail_values(tensor, "fn", 0, None, "true")
    assert rel.values[0, 0] == pytest.approx(4 / 15)
    acc = detail_values(tensor, "accuracy")
    assert acc.percent and acc.values[0, 0] == pytest.approx((11 + 9 + 6) / 36)
    f1 = detail_values(tensor, "f1", 2)
    assert f1.values[0, 0] == pytest.approx(2 * 6 / (2 * 6 + 3 + 2))


def test_support_at_epoch_or_last_step(store):
    tensor = view_tensor(store, Selection(series=("alpha/test", "beta/test")))
    last, label = support_at(tensor)
    np.testing.assert_array_equal(last, [[19, 17, 12], [18, 16, 11]])
    assert label == "last step"
    at2, label2 = support_at(tensor, 2.0)
    np.testing.assert_array_equal(at2, [[16, 14, 9], [16, 14, 9]])
    assert label2 == "step 2"
    at5, _ = support_at(tensor, 5.0)
    assert np.isnan(at5[1]).all()


# ----------------------------------------------------------------------------- export and URL
def test_csv_is_a_complete_long_table(store):
    tensor = view_tensor(store, Selection(series=("alpha/test", "beta/test"))).step_window(2, 3)
    table = long_counts(tensor)
    assert list(table.columns) == ["run", "fold", "step", "true", "pred", "count"]
    assert len(table) == 2 * 2 * 9  # two series x two logged steps x 3x3 cells
    row = table[(table.run == "beta") & (table.step == 3) & (table.true == "fox") & (table.pred == "fox")]
    assert row["count"].tolist() == [8]
    assert table["count"].sum() == 2 * (improving_counts(2).sum() + improving_counts(3).sum())


def test_csv_filename_is_safe():
    assert (
        export_cb.csv_filename(Selection(series=("a b/test", "a b/train", "c/x")))
        == "confusionflow-a_b-c.csv"
    )


def test_controls_and_url_agree():
    query = (
        "?s=alpha/test&c=cat&c=dog&other=1&enc=lines&rot=1&norm=all&scale=log&gamma=0.5&from=2&to=3&epoch=3"
    )
    encoding, rotate, norm, scale, gamma, opts = url_cb.controls_from_query(query)
    assert (encoding, rotate, norm, scale, gamma, opts) == ("lines", ["rotate"], "all", "log", 0.5, ["other"])
    sel = Selection(series=("alpha/test",), classes=("cat", "dog"), other=True).to_store()
    state = url_cb.state_from_controls(sel, encoding, rotate, norm, scale, gamma, [2, 3], 3, None)
    assert to_query(state) == query
    assert parse_query(query) == state


def test_back_restores_the_view_and_the_query_the_page_compares_its_writes_with(store):
    """Back to an earlier address: its controls, and the address itself as the page's shown query
    (left at the last query written, a write made from it during the restore put the newer
    address back into the bar); the page's own write is not restored again."""
    back = "?s=alpha/test&s=alpha/train&norm=true"
    newer = "?s=alpha/test&s=alpha/train&enc=lines&norm=all&epoch=5"
    answer = url_cb.restore_answer(store, back, newer)
    assert answer is not None
    assert answer["shown"] == back and answer["url_state"] == back
    assert (answer["encoding"], answer["normalization"]) == ("heatmap", "true")
    assert url_cb.restore_answer(store, newer, newer) is None
    assert url_cb.restore_answer(store, "?" + "x" * 100_000, newer)["shown"] == ""  # bounded


def test_absolute_radio_value_means_no_normalization():
    assert url_cb.controls_from_query("")[2] == "abs"
    assert (
        url_cb.state_from_controls(None, "heatmap", [], "abs", "linear", 1, None, None, None).normalization
        is None
    )


# ----------------------------------------------------------------------------- the app
def test_app_builds_its_page_and_wires_every_view(logdir, tmp_path):
    import flask

    from confusionflow.app.config import Settings
    from confusionflow.app.factory import create_app

    server = flask.Flask("portal")
    app = create_app(
        logdir,
        server=server,
        url_base_pathname="/tools/cf/",
        settings=Settings(cache_dir=tmp_path, poll_seconds=0),
    )
    outputs = " ".join(app.callback_map)
    for graph in ids.GRAPHS:
        assert f"{graph}.figure" in outputs
    assert "url-query.data" in outputs and "detail-target.data" in outputs
    client = server.test_client()
    page = client.get("/tools/cf/")
    assert page.status_code == 200 and b"ConfusionFlow" in page.data
    assert b"/tools/cf/assets/confusionflow.css" in page.data
    layout = client.get("/tools/cf/_dash-layout").get_json()
    text = str(layout)
    assert "alpha / test" in text and "could not be loaded" in text  # series options, broken run
    assert client.get("/_dash-layout").status_code == 404  # nothing is served outside the prefix


def test_app_behind_a_prefix_stripping_proxy(logdir, tmp_path):
    from confusionflow.app.config import Settings
    from confusionflow.app.factory import create_app

    app = create_app(
        logdir, requests_pathname_prefix="/portal/cf/", settings=Settings(cache_dir=tmp_path, poll_seconds=0)
    )
    assert app.config.requests_pathname_prefix == "/portal/cf/"
    assert app.config.routes_pathname_prefix == "/"
    page = app.server.test_client().get("/")
    assert page.status_code == 200 and b"/portal/cf/_dash-component-suites/" in page.data


def test_twelve_series_get_twelve_distinct_colours(tmp_path):
    for r in range(6):
        with LogWriter(tmp_path, f"run{r}", CLASSES) as w:
            for fold in ("train", "test"):
                w.add_counts(1, fold, improving_counts(1))
    many = LogStore(tmp_path)
    keys = [i.key for i in many.list_series()]
    assert len(keys) == 12
    out = series_cb.series_update(many, ids.SERIES_DROPDOWN, False, "", keys, None, {})
    accepted, slots, chip_list, message = out.keys, out.slots, out.chips, out.message
    assert accepted == keys and message == "" and len(chip_list) == 12
    assert sorted(set(series_colors(keys, slots))) == sorted(PALETTE)


def test_a_series_that_fails_to_load_is_left_out_and_named(tmp_path):
    with LogWriter(tmp_path, "good", CLASSES) as w:
        w.add_counts(1, "test", improving_counts(1))
    with LogWriter(tmp_path, "bad", CLASSES) as w:
        w.add_counts(1, "test", improving_counts(1))
    (tmp_path / "bad" / "test.counts.jsonl").write_text('{"step": 1, "counts": [1, 2]}\n')
    before = (tmp_path / "bad" / "test.counts.jsonl").read_bytes()
    broken_store = LogStore(tmp_path)
    out = series_cb.series_update(
        broken_store, ids.SERIES_DROPDOWN, False, "", ["bad/test", "good/test"], None, {}
    )
    accepted, message = out.keys, out.message
    assert accepted == ["good/test"]
    assert message.startswith("Could not load bad/test:") and "test.counts.jsonl" in message
    assert (tmp_path / "bad" / "test.counts.jsonl").read_bytes() == before  # the log is never touched


# ----------------------------------------------------------------------------- matrix patches and clicks
def test_only_epoch_or_colour_changes_are_patched():
    from confusionflow.app.callbacks.matrix import figure_change

    base = {"classes": ["a", "b"], "epoch": None, "gamma": 1.0, "scale": "linear", "encoding": "heatmap"}
    assert figure_change(base, {**base, "epoch": 3.0}) == "epoch"
    assert figure_change(base, {**base, "gamma": 0.5}) == "colorscale"
    assert figure_change(base, {**base, "gamma": 0.5, "scale": "log"}) == "colorscale"
    # a heatmap's meta keeps the epoch of its last answer (the browser moves the markers, and no
    # request tells the server): beside another change the epoch is restated by that Patch
    assert figure_change(base, {**base, "gamma": 0.5, "epoch": 3.0}) == "colorscale"
    outlined = {**base, "outline": None}
    assert figure_change(outlined, {**outlined, "outline": ["fn", 1, None], "epoch": 3.0}) == "outline"
    assert figure_change(base, {**base, "classes": ["a"], "epoch": 3.0}) is None
    lines = {**base, "encoding": "lines"}
    assert figure_change(lines, {**lines, "gamma": 0.5, "epoch": 3.0}) is None  # the epoch is data
    assert figure_change(base, {**base, "encoding": "lines"}) is None
    assert figure_change(None, base) is None
    assert figure_change(base, dict(base)) is None


def test_heatmap_clicks_are_decoded_from_their_axis_position(store):
    from confusionflow.app.callbacks.inputs import PageInputs
    from confusionflow.components.matrix import MatrixStyle, matrix_geometry

    geo = matrix_geometry(3, 2, 4, MatrixStyle())
    # what the browser sends for a heatmap brick: no point index, the added axis position
    point = {
        "curveNumber": 1,
        "x": "pred: fox",
        "y": "true: cat",
        "col": geo.x.center(2),
        "row": geo.y.center(0),
    }
    assert detail_cb.matrix_click_target(point, CLASSES, geo) == DetailTarget("cell", "cat", "fox")
    fn = {"curveNumber": 2, "col": geo.x.center(3), "row": geo.y.center(1)}
    assert detail_cb.matrix_click_target(fn, CLASSES, geo) == DetailTarget("fn", "dog", None)
    corner = {"curveNumber": 4, "col": geo.x.center(3), "row": geo.y.center(3)}
    assert detail_cb.matrix_click_target(corner, CLASSES, geo) == DetailTarget()
    # no matrix on the page (no series): nothing to decode against
    no_matrix = PageInputs()
    assert (
        detail_cb.detail_target_update(store, ids.MATRIX_CLICK, no_matrix, {"points": [point]}, None) is None
    )


def test_class_chart_clicks_name_class_and_metric():
    from confusionflow.components.charts import GAP_H, TILE_H

    # a tile background: the F1 subplot's heatmap (trace 2), class row 1 from the click's row position
    y = 1 * (TILE_H + GAP_H) + TILE_H / 2
    point = {"curveNumber": 2, "x": 3.0, "y": y, "col": 3.0, "row": y}
    assert detail_cb.class_click_target(point, CLASSES, 4) == DetailTarget("f1", "dog", None)
    # second line of series 0 (recall), 3 steps + a gap per class: point 9 is class 2's second step
    line = {"curveNumber": 3 + 1, "pointNumber": 9, "customdata": [3.0, 0.8]}
    assert detail_cb.class_click_target(line, CLASSES, 4) == DetailTarget("recall", "fox", None)
    past = {"curveNumber": 3 + 1, "pointNumber": 4 * len(CLASSES)}  # past the server's classes
    assert detail_cb.class_click_target(past, CLASSES, 4) is None
    assert (
        detail_cb.class_click_target({"curveNumber": 0, "col": 0.5, "row": 9 * 1.28 + 0.5}, CLASSES, 4)
        is None
    )


def test_rotation_is_offered_for_heatmaps_only():
    from confusionflow.app.callbacks.matrix import rotate_options

    assert rotate_options("heatmap") == [{"label": "rotate 90°", "value": "rotate", "disabled": False}]
    assert rotate_options("lines")[0]["disabled"] is True


def test_tensor_memo_is_bounded_by_bytes(store):
    from confusionflow.app.callbacks.common import _Memo, load_series

    tensor, problems = load_series(store, ["alpha/test"])
    memo = _Memo(size=8, max_bytes=tensor.counts.nbytes * 2 + 10)
    for i in range(5):
        memo.put(("k", i), (tensor, problems))
    assert memo.get(("k", 4)) is not None and memo.get(("k", 3)) is not None
    assert memo.get(("k", 0)) is None  # evicted: three tensors would exceed the byte bound


# ----------------------------------------------------------------------------- first view
def test_a_fresh_page_compares_folds_of_different_sizes_relatively(store, tmp_path):
    # alpha's train fold holds twice the instances of its test fold: absolute counts would compare
    # sizes, so the first view opens relative to the true class
    assert url_cb.first_view_normalization(store) == "true"
    with LogWriter(tmp_path, "same", CLASSES) as w:
        for step in (1, 2):
            w.add_counts(step, "test", improving_counts(step))
            w.add_counts(step, "val", improving_counts(step))
    assert url_cb.first_view_normalization(LogStore(tmp_path)) == ABSOLUTE
    assert url_cb.first_view_normalization(LogStore(tmp_path / "empty")) == ABSOLUTE


def test_an_aggregated_csv_export_says_its_level_in_its_name():
    sel = Selection(series=("a b/test",))
    assert export_cb.csv_filename(sel, "superclasses") == "confusionflow-a_b-superclasses.csv"
    assert (
        export_cb.csv_filename(sel, "level-2 groups", "large vehicles/x")
        == "confusionflow-a_b-level-2_groups-large_vehicles_x-drilled.csv"
    )
