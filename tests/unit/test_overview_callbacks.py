"""The many-class callbacks called as functions: the overview, a box / click / strategy -> classes,
and the sub-matrix built from sparse counts equal to the dense path."""

from __future__ import annotations

from pathlib import Path

import dash
import numpy as np
import pytest

from confusionflow.app.callbacks import common
from confusionflow.app.callbacks.common import (
    MAX_DETAIL_CLASSES,
    OVERVIEW_MIN_CLASSES,
    Selection,
    load_series,
    view_tensor,
)
from confusionflow.app.callbacks.overview import (
    class_order,
    k_of,
    overview_update,
    resolve_choice,
    selection_from_overview,
)
from confusionflow.components import ids
from confusionflow.data_access.sparse_counts import SparseCounts
from confusionflow.data_access.store import LogStore
from confusionflow.data_access.writer import LogWriter
from tests.unit.many_classes import hand_built, tensor_of


def choice_of(counts, **kw):
    return resolve_choice(
        counts, kw.get("kind"), kw.get("other"), kw.get("order"), kw.get("step_range"), kw.get("epoch")
    )


def box(x, y):
    return {"range": {"x": list(x), "y": list(y)}, "points": []}


def test_choice_defaults_to_the_last_step_of_the_first_series_and_checks_the_epoch():
    counts = hand_built()
    c = choice_of(counts)
    assert (c.series, c.step, c.start, c.kind, c.order, c.other) == (
        "r/test",
        2.0,
        1.0,
        "step",
        "logged",
        None,
    )
    assert choice_of(counts, epoch=1).step == 1.0
    assert choice_of(counts, epoch=7, order="nonsense", kind="nope").step == 2.0  # not logged: range end
    diff = choice_of(counts, kind="difference")
    assert diff.other == "r2/test"


def test_a_box_selects_exactly_the_classes_it_covers():
    counts = hand_built()
    value, message = selection_from_overview(
        counts, choice_of(counts), ids.OVERVIEW_GRAPH, selected=box((0.6, 2.4), (0.6, 2.4))
    )
    assert value == ["b", "c"]
    assert message == "2 classes selected."
    # an off-diagonal block: its rows (true d, e) and its columns (predicted a, b)
    value, _ = selection_from_overview(
        counts, choice_of(counts), ids.OVERVIEW_GRAPH, selected=box((-0.4, 1.2), (2.7, 4.4))
    )
    assert value == ["a", "b", "d", "e"]


def test_a_box_follows_the_class_order_on_screen():
    counts = hand_built()
    c = choice_of(counts, order="confusion")
    order = class_order(counts, c)
    value, _ = selection_from_overview(counts, c, ids.OVERVIEW_GRAPH, selected=box((-0.5, 1.4), (-0.5, 1.4)))
    assert value == [counts.classes[order[0]], counts.classes[order[1]]]
    # d and e (confused with each other) sit side by side in the confusion order
    pos = {counts.classes[i]: p for p, i in enumerate(order)}
    assert abs(pos["d"] - pos["e"]) == 1


def test_malformed_boxes_change_nothing():
    counts = hand_built()
    for selected in ({"range": {"x": [0, "a"], "y": [0, 1]}}, {"points": []}, "x", {"range": {"x": [0, 1]}}):
        value, message = selection_from_overview(
            counts, choice_of(counts), ids.OVERVIEW_GRAPH, selected=selected
        )
        assert value is dash.no_update
        # the message of the last real selection stays (it is not wiped by a non-event)
        assert message is dash.no_update


def test_a_cleared_selection_keeps_the_last_message():
    """Plotly clears selectedData when the overview redraws after a box drag; that event (no box,
    no click) must not wipe the message saying what the box selected."""
    counts = hand_built()
    value, message = selection_from_overview(counts, choice_of(counts), ids.OVERVIEW_GRAPH, click=None)
    assert value is dash.no_update and message is dash.no_update
    value, message = selection_from_overview(counts, choice_of(counts), "some-other-id")
    assert value is dash.no_update and message is dash.no_update


def test_a_cell_click_adds_its_true_and_predicted_class():
    counts = hand_built()
    click = {"points": [{"x": "c", "y": "b", "z": 0.4}]}
    value, _ = selection_from_overview(
        counts, choice_of(counts), ids.OVERVIEW_GRAPH, click=click, current=["e"]
    )
    assert value == ["b", "c", "e"]
    unknown = {"points": [{"x": "zz", "y": "yy"}]}
    value, _ = selection_from_overview(counts, choice_of(counts), ids.OVERVIEW_GRAPH, click=unknown)
    assert value is dash.no_update


def test_strategies_give_the_known_classes():
    counts = hand_built()
    c = choice_of(counts)
    # F1 at step 2: a 1, b 12/17, c 18/23, d 6/15, e 16/25 -> lowest two: d, e
    value, message = selection_from_overview(counts, c, ids.STRATEGY_APPLY, strategy="lowest-f1", k=2)
    assert value == ["d", "e"]
    assert message.startswith("2 classes: lowest F1 of r/test at step 2")
    # recall: a 1, b .6, c .9, d .3, e .8 -> lowest three: b, d, e (shown in class order)
    value, _ = selection_from_overview(counts, c, ids.STRATEGY_APPLY, strategy="lowest-recall", k=3)
    assert value == ["b", "d", "e"]
    # largest off-diagonal cells: d->e (7), b->c (4)
    value, _ = selection_from_overview(counts, c, ids.STRATEGY_APPLY, strategy="largest-cells", k=4)
    assert value == ["b", "c", "d", "e"]
    # r/test vs r2/test at step 2 differ on a->c and b->c only
    value, _ = selection_from_overview(counts, c, ids.STRATEGY_APPLY, strategy="most-different", k=3)
    assert value == ["a", "b", "c"]
    # from step 1 (no confusion) to 2: d and e changed most (7 + 2 of 10 each)
    value, _ = selection_from_overview(counts, c, ids.STRATEGY_APPLY, strategy="most-changed", k=2)
    assert value == ["d", "e"]


def test_strategy_errors_and_k_bounds_are_messages():
    counts = hand_built()
    c = choice_of(counts, epoch=1)
    # r2/test did not log step 1
    value, message = selection_from_overview(counts, c, ids.STRATEGY_APPLY, strategy="most-different", k=2)
    assert value is dash.no_update and "has no step 1" in message
    value, message = selection_from_overview(counts, c, ids.STRATEGY_APPLY, strategy="no-such", k=2)
    assert value is dash.no_update and "unknown strategy" in message
    assert (k_of(0, 5), k_of(-3, 5), k_of(10_000, 5), k_of("x", 50), k_of(10_000, 1000)) == (
        1,
        1,
        5,
        10,
        MAX_DETAIL_CLASSES,
    )
    value, message = selection_from_overview(counts, c, ids.STRATEGY_APPLY, strategy="lowest-f1", k=1)
    assert value is dash.no_update and "at least two" in message


def test_a_box_over_many_classes_is_capped():
    n = 60
    counts = SparseCounts.from_tensor(
        tensor_of({"r/test": {1: np.eye(n, dtype=int) * 3}}, [f"k{i}" for i in range(n)])
    )
    value, message = selection_from_overview(
        counts, choice_of(counts), ids.OVERVIEW_GRAPH, selected=box((0, n), (0, n))
    )
    assert value == [f"k{i}" for i in range(MAX_DETAIL_CLASSES)]
    assert f"{n} classes in the box" in message


def test_overview_figure_of_the_chosen_values():
    counts = hand_built()
    fig, caption = overview_update(counts, choice_of(counts), "true")
    heat = fig.data[0]
    assert np.asarray(heat.z).shape == (5, 5)
    assert np.asarray(heat.z)[3, 4] == pytest.approx(0.7)  # d -> e: 7 of d's 10
    assert "true: %{y}" in heat.hovertemplate and "predicted: %{x}" in heat.hovertemplate
    assert caption.startswith("5 classes, order as logged")
    fig, _ = overview_update(counts, choice_of(counts, kind="change"), None)
    assert np.asarray(fig.data[0].z)[3, 4] == 7  # step 2 minus step 1, counts
    fig, _ = overview_update(counts, choice_of(counts, kind="difference"), None)
    assert np.asarray(fig.data[0].z)[0, 2] == -3  # r/test 0 minus r2/test 3


@pytest.fixture
def many_store(tmp_path: Path) -> LogStore:
    n = OVERVIEW_MIN_CLASSES + 5
    classes = [f"c{i:02d}" for i in range(n)]
    rng = np.random.default_rng(3)
    for run in ("a", "b"):
        with LogWriter(tmp_path, run, classes, store_instances=False) as log:
            for step in (1, 2, 3):
                log.add_counts(step, "test", rng.integers(0, 4, (n, n)) + np.eye(n, dtype=int) * 20)
    return LogStore(tmp_path)


def test_many_classes_load_sparsely_and_the_sub_matrix_equals_the_dense_path(many_store):
    keys = ["a/test", "b/test"]
    raw, problems = load_series(many_store, keys)
    assert isinstance(raw, SparseCounts) and not problems
    dense = many_store.load(keys).tensor
    chosen = ("c07", "c02", "c30")
    for other in (False, True):
        sub = view_tensor(many_store, Selection(series=tuple(keys), classes=chosen, other=other))
        want = dense.for_display(chosen, other=other)
        assert sub.classes == want.classes
        np.testing.assert_array_equal(sub.counts, want.counts)
        got_t, want_t = sub.class_totals, want.class_totals
        for name in ("support", "predicted", "correct", "instances", "correct_total"):
            np.testing.assert_array_equal(getattr(got_t, name), getattr(want_t, name))
    # without a selection the views show the 10 classes of lowest F1 of the first series
    f1 = {}
    last = dense.select_series(["a/test"]).counts[0, -1]
    for i, name in enumerate(dense.classes):
        f1[name] = 2 * last[i, i] / (last[i].sum() + last[:, i].sum())
    worst = sorted(sorted(f1, key=lambda n: (f1[n], dense.classes.index(n)))[:10])
    assert view_tensor(many_store, Selection(series=tuple(keys))).classes == tuple(worst)
    assert common.many_classes(many_store, keys)


def test_a_cell_click_on_the_picture_reads_positions_in_the_class_order():
    counts = hand_built()
    choice = choice_of(counts, order="confusion")
    order = class_order(counts, choice)
    click = {"points": [{"x": 4.2, "y": 0.9, "curveNumber": 0}]}  # predicted position 4, true 1
    value, _ = selection_from_overview(counts, choice, ids.OVERVIEW_GRAPH, click=click)
    want = {counts.classes[order[1]], counts.classes[order[4]]}
    assert set(value) == want and len(value) == 2
    for bad in ({"x": 5, "y": 7}, {"x": float("nan"), "y": -3}, {"x": True, "y": None}):
        value, _ = selection_from_overview(counts, choice, ids.OVERVIEW_GRAPH, click={"points": [bad]})
        assert value is dash.no_update


BBOX = {"x0": 10, "x1": 12, "y0": 20, "y1": 20}


def tooltip_text(children) -> list[str]:
    """The tooltip's lines as the browser shows them (its html components' text)."""
    out = []
    for line in children:
        parts = line.children if isinstance(line.children, list) else [line.children]
        out.append("".join(p if isinstance(p, str) else p.children for p in parts))
    return out


def test_the_picture_hover_names_the_exact_cell(many_store, monkeypatch):
    from confusionflow.app.callbacks.overview import hover_answer
    from confusionflow.components import overview_figure as ovf

    monkeypatch.setattr(ovf, "PICTURE_MIN_CLASSES", OVERVIEW_MIN_CLASSES)
    keys = ["a/test", "b/test"]
    dense = many_store.load(keys).tensor
    last = dense.select_series(["a/test"]).counts[0, -1].astype(float)  # step 3
    ask = {"keys": keys, "step_range": None, "epoch": None, "kind": "step", "other": None}

    def answer(x, y, order="logged", normalization="true", bbox=BBOX):
        hover = {"x": x, "y": y, "bbox": bbox}
        return hover_answer(many_store, hover, **ask, order=order, normalization=normalization)

    j = int(np.flatnonzero((last[3] > 1) & (np.arange(len(last)) != 3))[0])  # a confused cell
    got = answer(j, 3)  # predicted class j, true c03
    assert got["show"] and got["bbox"] == {"x0": 10.0, "x1": 12.0, "y0": 20.0, "y1": 20.0}
    share = last[3, j] / last[3].sum()
    assert tooltip_text(got["children"]) == ["true: c03", f"predicted: c{j:02d}", f"{share:.2%}"]
    counts_answer = answer(j, 3, normalization="none")
    assert tooltip_text(counts_answer["children"])[2] == f"{int(last[3, j]):,}"
    zero = int(np.flatnonzero((last[3] == 0) & (np.arange(len(last)) != 3))[0])
    assert tooltip_text(answer(zero, 3)["children"])[2] == "0.00%"
    # the order: positions follow the confusion order the overview is drawn in
    counts = load_series(many_store, keys)[0]
    order = class_order(counts, choice_of(counts, order="confusion"))
    got = answer(5, 9, order="confusion")
    t, p = order[9], order[5]
    assert tooltip_text(got["children"])[:2] == [f"true: c{t:02d}", f"predicted: c{p:02d}"]
    assert tooltip_text(got["children"])[2] == f"{last[t, p] / last[t].sum():.2%}"
    # not drawn, outside the matrix, malformed: hidden
    for x, y, bbox in ((4, 4, BBOX), (45, 0, BBOX), (-1, 0, BBOX), (1, 0, {"x0": "a"}), (1, 0, None)):
        assert answer(x, y, bbox=bbox)["show"] is False
    assert hover_answer(many_store, None, **ask, order="logged", normalization="true")["show"] is False
    assert answer(1, 0, bbox={"x0": 1e12, "x1": -1e12, "y0": 0, "y1": 0})["bbox"]["x0"] == 100_000.0
    # below the picture's class count the heatmap's own hover names the cells
    monkeypatch.setattr(ovf, "PICTURE_MIN_CLASSES", 1000)
    assert answer(7, 3)["show"] is False


def test_tooltip_names_are_text_not_markup():
    from dash import html

    from confusionflow.app.callbacks.overview import hover_children
    from confusionflow.components.overview_figure import CellHover

    lines = hover_children(CellHover("<img src=x onerror=alert(1)>", "a & b", "1.00%"))
    assert tooltip_text(lines) == ["true: <img src=x onerror=alert(1)>", "predicted: a & b", "1.00%"]
    # plain strings in html components: React sets them as text (no dangerouslySetInnerHTML here)
    assert all(isinstance(line, html.Div) for line in lines)
    assert "dangerously" not in repr(lines)
