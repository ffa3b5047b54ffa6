"""Instance drill-down (L3): cell members, entered/left/stayed between steps, the panel and its
callbacks, on small logs written with ``LogWriter`` whose every prediction is known."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import dash
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dash import dcc, html

from confusionflow.app.callbacks import instances as inst_cb
from confusionflow.app.callbacks.common import Selection, shape_tensor
from confusionflow.components import ids
from confusionflow.components import ids as iid
from confusionflow.components.instances_panel import (
    cell_title,
    instance_series_options,
    instances_body,
    instances_message,
    instances_panel,
)
from confusionflow.data_access.class_groups import display_groups
from confusionflow.data_access.errors import LogFormatError
from confusionflow.data_access.instances import (
    cell_members,
    cell_table,
    cell_transitions,
    instance_series,
)
from confusionflow.data_access.store import LogStore
from confusionflow.data_access.tensor import OTHER_CLASS
from confusionflow.data_access.writer import LogWriter
from tests.factories import find_id, tree_text

CLASSES = ["cat", "dog", "fox"]
SUPER = {"cat": "pet", "dog": "pet", "fox": "wild"}
CAT, DOG, FOX = 0, 1, 2

# Instances 0..9 with known labels and predictions at steps 1, 2 and 5 (step 5 follows 2: gaps
# in the step numbers are normal). Instance 9 is missing at step 5 (it left the fold).
Y_TRUE = [CAT, CAT, CAT, CAT, DOG, DOG, DOG, FOX, FOX, FOX]
PRED_1 = [CAT, DOG, DOG, FOX, DOG, CAT, CAT, FOX, DOG, FOX]
PRED_2 = [DOG, DOG, CAT, CAT, DOG, CAT, DOG, DOG, DOG, CAT]
PRED_5 = [CAT, DOG, DOG, DOG, DOG, DOG, CAT, FOX, DOG]


def table_rows(component: Any) -> list[list[str]]:
    """Body rows of the html.Table inside ``component`` as lists of cell texts."""
    table = component.children
    body = table.children[1]
    return [[tree_text(td) for td in tr.children] for tr in body.children]


def digest(root: Path) -> dict[str, str]:
    return {
        str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def logdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("instance-logs")
    with LogWriter(root, "alpha", CLASSES, metadata={"superclasses": SUPER}) as w:
        w.add(1, "test", Y_TRUE, PRED_1)
        w.add(2, "test", Y_TRUE, PRED_2)
        w.add(5, "test", Y_TRUE[:9], PRED_5, instance_ids=np.arange(9))
        w.add_counts(1, "train", np.array([[5, 1, 0], [0, 4, 2], [1, 0, 6]]))
        w.add_counts(2, "train", np.array([[6, 0, 0], [0, 5, 1], [0, 0, 7]]))
    with LogWriter(root, "named", ["a", "b"]) as w:
        w.add(1, "pool", ["a", "a", "b"], ["a", "b", "b"], instance_ids=["img-3", "img-1", "img-2"])
        # img-1 was labelled (left the pool); img-9 is new to it
        w.add(2, "pool", ["a", "b", "a"], ["b", "b", "b"], instance_ids=["img-3", "img-2", "img-9"])
    return root


@pytest.fixture(scope="module")
def store(logdir: Path) -> LogStore:
    return LogStore(logdir)


# ----------------------------------------------------------------------------- members
def test_members_of_a_cell_are_the_instances_with_that_truth_and_prediction(store):
    m1 = cell_members(store, "alpha/test", "cat", "dog", 1)
    assert m1.problem is None
    assert m1.ids == [1, 2]
    assert (m1.count, m1.total) == (2, 10)
    assert m1.members["true"].tolist() == ["cat", "cat"]
    assert m1.members["pred"].tolist() == ["dog", "dog"]
    assert cell_members(store, "alpha/test", "cat", "dog", 2).ids == [0, 1]
    assert cell_members(store, "alpha/test", "fox", "cat", 2).ids == [9]
    assert cell_members(store, "alpha/test", "dog", "fox", 2).ids == []
    assert cell_members(store, "alpha/test", "cat", "fox", 5).total == 9


def test_members_agree_with_the_logged_counts_in_every_cell(store):
    counts = store.load_series("alpha/test").counts  # (T, C, C) from the same files
    for t, step in enumerate((1, 2, 5)):
        for i, true in enumerate(CLASSES):
            for j, pred in enumerate(CLASSES):
                assert cell_members(store, "alpha/test", true, pred, step).count == counts[t, i, j]


def test_members_of_an_aggregated_cell_take_collections_of_class_names(store):
    # superclass "pet" (cat, dog) predicted as "pet", at step 2
    m = cell_members(store, "alpha/test", ("cat", "dog"), ["cat", "dog"], 2)
    assert m.ids == [0, 1, 2, 3, 4, 5, 6]
    assert m.true_classes == ("cat", "dog") and m.pred_classes == ("cat", "dog")
    assert m.members["pred"].tolist() == ["dog", "dog", "cat", "cat", "dog", "cat", "dog"]
    wild_as_pet = cell_members(store, "alpha/test", "fox", {"cat", "dog"}, 2)
    assert wild_as_pet.ids == [7, 8, 9]


def test_string_instance_ids_are_kept_and_sorted(store):
    m = cell_members(store, "named/pool", "a", "b", 2)
    assert m.ids == ["img-3", "img-9"]


# ----------------------------------------------------------------------------- transitions
def test_transitions_name_where_entered_instances_came_from_and_where_left_ones_went(store):
    t = cell_transitions(store, "alpha/test", "cat", "dog", 2)
    assert t.problem is None
    assert t.previous_step == 1.0  # the previous logged step by default
    assert t.entered["instance_id"].tolist() == [0]
    assert t.entered["previous_pred"].tolist() == ["cat"]
    assert t.entered["pred"].tolist() == ["dog"]
    assert t.left["instance_id"].tolist() == [2]
    assert t.left["previous_pred"].tolist() == ["dog"]
    assert t.left["next_pred"].tolist() == ["cat"]
    assert t.stayed["instance_id"].tolist() == [1]


def test_previous_step_defaults_to_the_previous_logged_step_across_gaps(store):
    t = cell_transitions(store, "alpha/test", "cat", "dog", 5)
    assert t.previous_step == 2.0
    # step 2 -> 5: cat->dog held 0, 1; at 5 it holds 1, 2, 3
    assert t.entered["instance_id"].tolist() == [2, 3]
    assert t.entered["previous_pred"].tolist() == ["cat", "cat"]
    assert t.left["instance_id"].tolist() == [0]
    assert t.left["next_pred"].tolist() == ["cat"]
    assert t.stayed["instance_id"].tolist() == [1]


def test_an_explicit_previous_step_is_used(store):
    t = cell_transitions(store, "alpha/test", "cat", "dog", 5, previous_step=1)
    assert t.previous_step == 1.0
    assert t.entered["instance_id"].tolist() == [3]
    assert t.entered["previous_pred"].tolist() == ["fox"]
    assert t.left["instance_id"].tolist() == []
    assert t.stayed["instance_id"].tolist() == [1, 2]


def test_instances_new_to_the_fold_or_gone_from_it_have_no_previous_or_next_class(store):
    t = cell_transitions(store, "alpha/test", "fox", "cat", 5)
    assert t.left["instance_id"].tolist() == [9]  # no longer logged at step 5
    assert t.left["next_pred"].tolist() == [None]
    pool = cell_transitions(store, "named/pool", "a", "b", 2)
    assert pool.entered["instance_id"].tolist() == ["img-3", "img-9"]
    assert pool.entered["previous_pred"].tolist() == ["a", None]  # img-9 was not in the pool
    assert pool.left["instance_id"].tolist() == ["img-1"]
    assert pool.left["next_pred"].tolist() == [None]  # img-1 left the pool


def test_transitions_of_an_aggregated_cell_ignore_moves_inside_it(store):
    # "pet" predicted as "pet": 0 and 3 moved between cat and dog predictions but stayed inside
    t = cell_transitions(store, "alpha/test", ["cat", "dog"], ["cat", "dog"], 2)
    assert t.entered["instance_id"].tolist() == [3]  # cat predicted fox at step 1
    assert t.entered["previous_pred"].tolist() == ["fox"]
    assert t.left["instance_id"].tolist() == []
    assert t.stayed["instance_id"].tolist() == [0, 1, 2, 4, 5, 6]
    assert t.stayed["previous_pred"].tolist() == ["cat", "dog", "dog", "dog", "cat", "cat"]


# ----------------------------------------------------------------------------- clear results
def test_a_counts_only_series_says_so_instead_of_failing(store):
    m = cell_members(store, "alpha/train", "cat", "dog", 1)
    assert m.problem == (
        "alpha / train logged counts only (no per-instance predictions), so its instances cannot be listed"
    )
    assert m.count == 0 and m.members.columns.tolist() == ["instance_id", "true", "pred"]
    t = cell_transitions(store, "alpha/train", "cat", "dog", 2)
    assert t.problem == m.problem and t.entered.empty and t.left.empty


def test_a_missing_step_says_which_steps_exist(store):
    m = cell_members(store, "alpha/test", "cat", "dog", 3)
    assert m.problem == "step 3 is not logged for alpha/test (3 steps with per-instance predictions, 1–5)"
    t = cell_transitions(store, "alpha/test", "cat", "dog", 2, previous_step=4)
    assert t.problem.startswith("step 4 is not logged for alpha/test")


def test_the_first_step_has_nothing_to_compare_with(store):
    t = cell_transitions(store, "alpha/test", "cat", "dog", 1)
    assert t.previous_step is None
    assert t.problem == "step 1 is the first logged step of alpha/test: there is no earlier step to compare"


def test_unknown_classes_and_series_are_reported(store):
    assert cell_members(store, "alpha/test", "cow", "dog", 1).problem == (
        "true class 'cow' is not one of this series' 3 classes"
    )
    assert "predicted class 'pet'" in cell_members(store, "alpha/test", "cat", "pet", 1).problem
    assert cell_members(store, "nope/test", "cat", "dog", 1).problem.startswith("unknown series 'nope/test'")
    assert (
        cell_members(store, "alpha/val", "cat", "dog", 1).problem
        == "unknown series 'alpha/val': no fold 'val'"
    )


def test_duplicate_instance_ids_are_an_error_naming_the_file(tmp_path):
    with LogWriter(tmp_path, "r", ["a", "b"]) as w:
        w.add(1, "test", [0, 1], [0, 1])
    bad = tmp_path / "r" / "test.predictions" / "step-2.parquet"
    table = pa.table(
        {
            "instance_id": pa.array([4, 4, 5]),
            "y_true": pa.array([0, 1, 1], pa.uint8()),
            "y_pred": pa.array([0, 0, 1], pa.uint8()),
        }
    )
    pq.write_table(table, bad)
    with pytest.raises(LogFormatError, match=r"step-2\.parquet: instance_id 4 appears 2 times"):
        cell_members(LogStore(tmp_path), "r/test", "a", "a", 2)
    # in the page: a message naming the file instead of a traceback
    target = {"kind": "cell", "true": "a", "pred": "a"}
    body, disabled = inst_cb.instances_update(
        LogStore(tmp_path), selection(["r/test"]), target, 2, None, None
    )
    assert disabled
    assert tree_text(body).startswith(f"The instances cannot be read: {bad}: instance_id 4 appears 2 times")


def test_reading_instances_never_modifies_the_logs(logdir, store):
    before = digest(logdir)
    cell_members(store, "alpha/test", "cat", "dog", 2)
    cell_transitions(store, "alpha/test", ["cat", "dog"], "fox", 5)
    cell_members(store, "alpha/train", "cat", "dog", 2)
    assert digest(logdir) == before


# ----------------------------------------------------------------------------- class groups
def test_display_groups_spell_out_superclasses_and_the_other_bucket():
    names = ["cat", "dog", "fox", "owl"]
    mapping = {"cat": "pet", "dog": "pet", "fox": "wild", "owl": "wild"}
    assert display_groups(names) == {c: (c,) for c in names}
    assert display_groups(names, mapping=mapping) == {"pet": ("cat", "dog"), "wild": ("fox", "owl")}
    assert display_groups(names, selected=["owl", "cat"], other=True) == {
        "owl": ("owl",),
        "cat": ("cat",),
        OTHER_CLASS: ("dog", "fox"),
    }
    assert display_groups(names, selected=["owl", "cat"]) == {"owl": ("owl",), "cat": ("cat",)}
    assert display_groups(names, selected=["cat"]) == {c: (c,) for c in names}  # one class: all shown
    assert display_groups(names, selected=names, other=True) == {c: (c,) for c in names}  # nothing left over


@pytest.mark.parametrize(
    ("superclasses", "classes", "other"),
    [(False, (), False), (True, (), False), (False, ("fox", "cat"), True), (False, ("dog", "fox"), False)],
)
def test_aggregated_cell_members_match_the_matrix_the_app_draws(store, superclasses, classes, other):
    """Every shown cell lists exactly as many instances as the shaped tensor counts there."""
    tensor = store.load(["alpha/test"]).tensor
    shaped = shape_tensor(tensor, Selection(("alpha/test",), classes, other, superclasses))
    groups = display_groups(CLASSES, mapping=SUPER if superclasses else None, selected=classes, other=other)
    assert tuple(groups) == shaped.classes
    for t, step in enumerate(shaped.steps):
        for i, true in enumerate(shaped.classes):
            for j, pred in enumerate(shaped.classes):
                m = cell_members(store, "alpha/test", groups[true], groups[pred], step)
                assert m.count == shaped.counts[0, t, i, j], (step, true, pred)


def test_instance_series_lists_steps_and_previous_steps(store):
    s = instance_series(store, "alpha/test")
    assert s.steps == (1.0, 2.0, 5.0) and s.classes == tuple(CLASSES)
    assert (s.previous_step(5), s.previous_step(3), s.previous_step(1)) == (2.0, 2.0, None)
    assert (s.last_step_within(None, None), s.last_step_within(1, 4), s.last_step_within(3, 4)) == (
        5.0,
        2.0,
        None,
    )
    assert not instance_series(store, "alpha/train").has_instances


# ----------------------------------------------------------------------------- CSV table
def test_cell_table_lists_entered_stayed_and_left_instances(store):
    m = cell_members(store, "alpha/test", "cat", "dog", 2)
    t = cell_transitions(store, "alpha/test", "cat", "dog", 2)
    table = cell_table(m, t)
    assert table.columns.tolist() == [
        "series", "step", "previous_step", "instance_id", "status", "true", "pred", "previous_true", "previous_pred",
    ]  # fmt: skip
    assert table["instance_id"].tolist() == [0, 1, 2]
    assert table["status"].tolist() == ["entered", "stayed", "left"]
    assert table["pred"].tolist() == ["dog", "dog", "cat"]
    assert table["previous_pred"].tolist() == ["cat", "dog", "dog"]
    assert set(table["series"]) == {"alpha/test"} and set(table["previous_step"]) == {1.0}
    first = cell_table(
        cell_members(store, "alpha/test", "cat", "dog", 1),
        cell_transitions(store, "alpha/test", "cat", "dog", 1),
    )
    assert first["status"].tolist() == ["in cell", "in cell"] and first["instance_id"].tolist() == [1, 2]


# ----------------------------------------------------------------------------- panel
def test_panel_shows_count_ids_and_changes_with_previous_and_next_classes(store):
    m = cell_members(store, "alpha/test", "cat", "dog", 5)
    t = cell_transitions(store, "alpha/test", "cat", "dog", 5)
    body = instances_body(m, t, title=cell_title("cell", "cat", "dog"), series_label="alpha / test")
    assert tree_text(find_id(body, iid.INSTANCES_TITLE)) == (
        "Instances of true class “cat” predicted as “dog”  at step 5 — alpha / test"
    )
    assert tree_text(find_id(body, iid.INSTANCES_COUNT)) == "3  instances of 9"
    assert tree_text(find_id(body, iid.INSTANCES_IDS)) == "1 2 3"
    assert tree_text(find_id(body, iid.INSTANCES_CHANGES)) == "Since step 2:  2 entered, 1 left, 1 stayed."
    assert table_rows(find_id(body, iid.INSTANCES_ENTERED)) == [["2", "cat"], ["3", "cat"]]
    assert table_rows(find_id(body, iid.INSTANCES_LEFT)) == [["0", "cat"]]
    assert "came from: “cat” 2" in tree_text(body) and "went to: “cat” 1" in tree_text(body)
    assert "showing" not in tree_text(body)


def test_panel_cuts_long_lists_and_says_how_many_it_shows(store):
    m = cell_members(store, "alpha/test", ["cat", "dog", "fox"], ["cat", "dog", "fox"], 2)
    t = cell_transitions(store, "alpha/test", ["cat", "dog", "fox"], ["cat", "dog", "fox"], 2)
    body = instances_body(m, t, title="all", series_label="alpha / test", shown_true=OTHER_CLASS, limit=4)
    assert "showing 4 of 10 instances; the CSV download has them all" in tree_text(body)
    rows = table_rows(find_id(body, iid.INSTANCES_IDS))  # several classes per side: a table
    assert rows == [["0", "cat", "dog"], ["1", "cat", "dog"], ["2", "cat", "cat"], ["3", "cat", "cat"]]
    assert "true “(other)” is “cat” / “dog” / “fox”." in tree_text(body)


def test_panel_marks_instances_not_in_the_fold(store):
    t = cell_transitions(store, "named/pool", "a", "b", 2)
    m = cell_members(store, "named/pool", "a", "b", 2)
    body = instances_body(m, t, title="x", series_label="named / pool")
    assert table_rows(find_id(body, iid.INSTANCES_ENTERED)) == [["img-3", "a"], ["img-9", "not in the fold"]]
    assert table_rows(find_id(body, iid.INSTANCES_LEFT)) == [["img-1", "not in the fold"]]


def test_panel_shows_problems_as_messages(store):
    m = cell_members(store, "alpha/train", "cat", "dog", 1)
    body = instances_body(m, None, title="t", series_label="alpha / train")
    assert "logged counts only" in tree_text(find_id(body, iid.INSTANCES_MESSAGE))
    assert find_id(body, iid.INSTANCES_COUNT) is None
    assert tree_text(instances_message("hello")) == "hello"
    opts = instance_series_options([("a/t", "a / t", True), ("a/c", "a / c", False)])
    assert opts == [
        {"label": "a / t", "value": "a/t", "disabled": False},
        {"label": "a / c (counts only)", "value": "a/c", "disabled": True},
    ]


# ----------------------------------------------------------------------------- callbacks
def selection(series, classes=(), other=False, superclasses=False):
    return Selection(tuple(series), tuple(classes), other, superclasses).to_store()


def test_callback_lists_the_clicked_cell_at_the_selected_epoch(store):
    body, disabled = inst_cb.instances_update(
        store, selection(["alpha/test"]), {"kind": "cell", "true": "cat", "pred": "dog"}, 2, None, None
    )
    assert not disabled
    assert tree_text(find_id(body, iid.INSTANCES_IDS)) == "0 1"


def test_callback_uses_the_last_logged_step_of_the_range_without_an_epoch(store):
    target = {"kind": "cell", "true": "cat", "pred": "dog"}
    body, _ = inst_cb.instances_update(store, selection(["alpha/test"]), target, None, [1, 4], None)
    assert "at step 2 " in tree_text(find_id(body, iid.INSTANCES_TITLE))
    body, _ = inst_cb.instances_update(store, selection(["alpha/test"]), target, None, None, None)
    assert "at step 5 " in tree_text(find_id(body, iid.INSTANCES_TITLE))


def test_callback_picks_the_first_series_with_instances_and_honours_the_picker(store):
    target = {"kind": "cell", "true": "cat", "pred": "dog"}
    sel = selection(["alpha/train", "alpha/test"])
    body, _ = inst_cb.instances_update(store, sel, target, 1, None, None)
    assert "alpha / test" in tree_text(find_id(body, iid.INSTANCES_TITLE))
    assert inst_cb.pick_series([("a", False), ("b", True), ("c", True)], "c") == "c"
    assert inst_cb.pick_series([("a", False), ("b", True), ("c", True)], "a") == "b"
    body, disabled = inst_cb.instances_update(store, selection(["alpha/train"]), target, 1, None, None)
    assert disabled and tree_text(body) == inst_cb.COUNTS_ONLY


def test_callback_spells_out_superclass_and_fn_fp_tiles(store):
    sel = selection(["alpha/test"], superclasses=True)
    target = {"kind": "cell", "true": "wild", "pred": "pet"}
    body, _ = inst_cb.instances_update(store, sel, target, 2, None, None)
    rows = table_rows(find_id(body, iid.INSTANCES_IDS))
    assert rows == [["7", "fox", "dog"], ["8", "fox", "dog"], ["9", "fox", "cat"]]
    assert "predicted “pet” is “cat” / “dog”." in tree_text(body)
    fn, _ = inst_cb.instances_update(
        store, selection(["alpha/test"]), {"kind": "fn", "true": "dog"}, 1, None, None
    )
    assert table_rows(find_id(fn, iid.INSTANCES_IDS)) == [["5", "dog", "cat"], ["6", "dog", "cat"]]
    assert "(false negatives)" in tree_text(find_id(fn, iid.INSTANCES_TITLE))
    fp, _ = inst_cb.instances_update(
        store, selection(["alpha/test"]), {"kind": "fp", "pred": "fox"}, 1, None, None
    )
    assert table_rows(find_id(fp, iid.INSTANCES_IDS)) == [["3", "cat", "fox"]]


def test_callback_explains_what_to_do_when_nothing_is_listable(store):
    acc, disabled = inst_cb.instances_update(
        store, selection(["alpha/test"]), {"kind": "accuracy"}, 1, None, None
    )
    assert disabled and tree_text(acc) == inst_cb.CLICK_A_CELL
    none, _ = inst_cb.instances_update(store, selection([]), None, None, None, None)
    assert tree_text(none) == inst_cb.NO_SERIES
    missing, disabled = inst_cb.instances_update(
        store, selection(["alpha/test"]), {"kind": "cell", "true": "cat", "pred": "dog"}, 3, None, None
    )
    assert disabled and "step 3 is not logged for alpha/test" in tree_text(missing)


def test_register_instance_callbacks_wires_the_panel_on_an_app(store):
    app = dash.Dash(__name__)
    app.layout = html.Div(
        [
            dcc.Store(id=i)
            for i in (ids.SELECTION, ids.DETAIL_TARGET, ids.EPOCH_STORE, ids.RANGE_STORE, ids.DATA_VERSION)
        ]
        + [instances_panel()]
    )
    inst_cb.register_instance_callbacks(app, store)
    outputs = " ".join(app.callback_map)
    for wanted in (iid.INSTANCES_BODY, iid.INSTANCES_SERIES, iid.INSTANCES_DOWNLOAD):
        assert wanted in outputs
    req = inst_cb.resolve_request(
        store, selection(["alpha/test"]), {"kind": "cell", "true": "cat", "pred": "dog"}, 2, None, None
    )
    assert inst_cb.csv_name(req) == "instances-alpha-test-step-2.csv"
