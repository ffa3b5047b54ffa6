"""Class hierarchies in the app: which one a run gets, what the level and drill-down show, the
numbers at a level (a confusion inside one group is correct), URL state and the CLI option."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from confusionflow.app.__main__ import parse_settings
from confusionflow.app.callbacks import matrix as matrix_cb
from confusionflow.app.callbacks import selection as selection_cb
from confusionflow.app.callbacks.common import Selection, view_tensor
from confusionflow.app.callbacks.inputs import parse_inputs
from confusionflow.app.config import Settings
from confusionflow.app.state import ViewState, parse_query, to_query
from confusionflow.components import ids
from confusionflow.data_access.hierarchy_view import hierarchy_view, level_options
from confusionflow.data_access.metrics import tensor_metrics
from confusionflow.data_access.store import LogStore
from confusionflow.data_access.writer import LogWriter

CLASSES = ["cat", "dog", "owl", "car", "van", "boat"]
HIERARCHY_CSV = (
    "class,group\ncat,animal/mammal\ndog,animal/mammal\nowl,animal/bird\n"
    "car,vehicle/road\nvan,vehicle/road\nboat,vehicle/water\n"
)
# rows: true class, columns: predicted class (CLASSES order)
COUNTS = np.array(
    [
        [8, 2, 0, 0, 0, 0],
        [1, 7, 1, 1, 0, 0],
        [0, 2, 6, 0, 0, 2],
        [0, 0, 0, 9, 1, 0],
        [0, 0, 1, 3, 5, 1],
        [0, 0, 0, 0, 2, 8],
    ]
)
KEY = "run/test"


@pytest.fixture(scope="module")
def logdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("logs")
    with LogWriter(root, "run", CLASSES) as w:
        w.add_counts(1, "test", COUNTS)
    return root


@pytest.fixture(scope="module")
def hierarchy_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("h") / "tree.csv"
    path.write_text(HIERARCHY_CSV)
    return path


@pytest.fixture(scope="module")
def store(logdir: Path, hierarchy_file: Path) -> LogStore:
    return LogStore(logdir, hierarchy_file=hierarchy_file)


def shown(store: LogStore, level: int, group: str | None = None):
    tensor = view_tensor(store, Selection(series=(KEY,), level=level, group=group))
    assert tensor is not None
    return tensor, tensor_metrics(tensor)


def test_level_one_sums_groups_and_counts_confusions_inside_a_group_as_correct(store):
    tensor, m = shown(store, 1)
    assert tensor.classes == ("animal", "vehicle")
    np.testing.assert_array_equal(tensor.counts[0, 0], [[27, 3], [1, 29]])
    np.testing.assert_array_equal(m.false_negatives[0, 0], [3, 1])
    np.testing.assert_array_equal(m.false_positives[0, 0], [1, 3])
    np.testing.assert_allclose(m.precision[0, 0], [27 / 28, 29 / 32])
    np.testing.assert_allclose(m.recall[0, 0], [27 / 30, 29 / 30])
    assert m.accuracy[0, 0] == pytest.approx(56 / 60)


def test_level_two_and_a_drill_down(store):
    tensor, m = shown(store, 2)
    assert tensor.classes == ("mammal", "bird", "road", "water")
    np.testing.assert_array_equal(
        tensor.counts[0, 0], [[18, 1, 1, 0], [2, 6, 0, 2], [0, 1, 18, 1], [0, 0, 2, 8]]
    )
    assert m.accuracy[0, 0] == pytest.approx(50 / 60)
    # "vehicle" drilled into its classes, the animals summed at level 1
    tensor, m = shown(store, 1, "vehicle")
    assert tensor.classes == ("animal", "car", "van", "boat")
    np.testing.assert_array_equal(
        tensor.counts[0, 0], [[27, 1, 0, 2], [0, 9, 1, 0], [1, 3, 5, 1], [0, 0, 2, 8]]
    )
    np.testing.assert_array_equal(m.false_negatives[0, 0], [3, 1, 5, 2])
    np.testing.assert_array_equal(m.false_positives[0, 0], [1, 4, 3, 3])
    assert m.precision[0, 0, 2] == pytest.approx(5 / 8)
    assert m.accuracy[0, 0] == pytest.approx((27 + 9 + 5 + 8) / 60)


def test_unknown_level_or_group_reads_as_the_default(store):
    tensor, _ = shown(store, 7)
    assert tensor.classes == tuple(CLASSES)
    tensor, _ = shown(store, 2, "animal")  # animal is a level-1 group: no drill-down at level 2
    assert tensor.classes == ("mammal", "bird", "road", "water")
    assert hierarchy_view(None, 1, "animal").level == 0


def test_level_and_drill_controls(store):
    out = selection_cb.selection_update(store, ids.LEVEL, "", [KEY], [], [], None, [], 2, None)
    assert out.level_options == [
        {"label": "classes (6)", "value": 0},
        {"label": "top-level groups (2 groups)", "value": 1},
        {"label": "level-2 groups (4 groups)", "value": 2},
    ]
    assert [o["value"] for o in out.group_options] == ["mammal", "bird", "road", "water"]
    assert [o["value"] for o in out.options] == ["mammal", "bird", "road", "water"]
    assert out.selection["level"] == 2 and not out.group_disabled
    out = selection_cb.selection_update(
        store, ids.URL_STATE, "?s=run/test&level=1&group=vehicle", [KEY], [], [], None, [], None, None
    )
    assert (out.level, out.group) == (1, "vehicle")
    assert [o["value"] for o in out.options] == ["animal", "car", "van", "boat"]


def test_matrix_caption_names_the_level_and_the_drilled_group(store):
    page = parse_inputs({"selection": Selection(series=(KEY,), level=1, group="vehicle").to_store()})
    update = matrix_cb.matrix_update(store, page, None)
    assert "aggregated to top-level groups (2 groups)" in update.caption
    assert "“vehicle” drilled into its 3 classes" in update.caption
    assert "a confusion inside one group counts as correct" in update.caption


def test_url_round_trip_and_bounds():
    state = ViewState(series=(KEY,), level=2, group="road & co")
    assert parse_query(to_query(state)) == state
    assert parse_query("?level=1&group=vehicle").group == "vehicle"
    assert parse_query("?level=abc&group=vehicle") == ViewState()  # no level: no group
    assert parse_query("?level=99999").level == 0
    assert parse_query("?level=-1").level == 0
    assert parse_query("?super=1").level == 1  # links from before hierarchy levels
    assert parse_query("?level=1&group=" + "x" * 600).group is None
    assert parse_inputs({"level": True, "group": 3}).level == 0
    assert parse_inputs({"level": "2", "group": "road"}).group == "road"


def test_a_run_hierarchy_file_is_used_without_a_global_one(logdir, tmp_path):
    plain = LogStore(logdir)
    assert plain.hierarchy(plain.list_series()[0]) is None
    (tmp_path / "logs").mkdir()
    with LogWriter(tmp_path / "logs", "own", CLASSES) as w:
        w.add_counts(1, "test", COUNTS)
    (tmp_path / "logs" / "own" / "hierarchy.csv").write_text(HIERARCHY_CSV)
    own = LogStore(tmp_path / "logs")
    assert own.hierarchy(own.list_series()[0]).depth == 2


def test_a_file_that_does_not_fit_is_a_problem_naming_file_and_classes(logdir, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"cat": "animal", "zebra": "animal"}')
    store = LogStore(logdir, hierarchy_file=bad)
    info = store.list_series()[0]
    assert store.hierarchy(info) is None  # never raises; the run shows its classes
    problems = [p for p in store.problems() if p.source == str(bad)]
    assert len(problems) == 1
    message = problems[0].message
    assert str(bad) in message and "'zebra'" in message and "run 'run'" in message
    assert bad.read_text() == '{"cat": "animal", "zebra": "animal"}'  # read, never written
    tensor = view_tensor(store, Selection(series=(KEY,), level=1))
    assert tensor is not None and tensor.classes == tuple(CLASSES)


def test_cli_option_and_environment(logdir, hierarchy_file, tmp_path, capsys):
    s = parse_settings(["--logdir", str(logdir), "--hierarchy", str(hierarchy_file)], environ={})
    assert s.hierarchy_file == hierarchy_file
    env = {"CONFUSIONFLOW_HIERARCHY": str(hierarchy_file)}
    assert Settings.from_env(env).hierarchy_file == hierarchy_file
    assert parse_settings(["--logdir", str(logdir)], environ=env).hierarchy_file == hierarchy_file
    from confusionflow.cli import serve_plan

    plan = serve_plan(["--logdir", str(logdir), "--hierarchy", str(hierarchy_file), "--dev"], environ={})
    assert plan.settings.hierarchy_file == hierarchy_file
    cyclic = tmp_path / "cyclic.csv"
    cyclic.write_text("class,group\ncat,animal/cat\n")
    for bad, words in ((tmp_path / "none.csv", "no such file"), (cyclic, "cycle")):
        with pytest.raises(SystemExit):
            parse_settings(["--logdir", str(logdir), "--hierarchy", str(bad)], environ={})
        err = capsys.readouterr().err
        assert str(bad) in err and words in err


def test_the_cifar100_demo_superclasses_are_a_one_level_hierarchy():
    demo = LogStore(Path(__file__).resolve().parents[2] / "demo_logs")
    key = next(s.key for s in demo.list_series() if s.run == "synthetic-cifar100 baseline")
    info = next(s for s in demo.list_series() if s.key == key)
    assert level_options(demo.hierarchy(info)) == [
        {"label": "classes (100)", "value": 0},
        {"label": "superclasses (20 groups)", "value": 1},
    ]
    tensor = view_tensor(demo, Selection(series=(key,), level=1))
    assert tensor is not None and tensor.n_classes == 20
    assert int(tensor.counts[0, 0].sum()) == int(
        view_tensor(demo, Selection(series=(key,))).class_totals.instances[0, 0]
    )


def test_overview_group_order_follows_the_active_hierarchy(logdir, tmp_path):
    from confusionflow.app.callbacks.common import load_counts
    from confusionflow.app.callbacks.overview import class_order, counts_hierarchy, resolve_choice

    tree = tmp_path / "interleaved.csv"
    tree.write_text("class,group\ncat,a/x\ndog,b/y\nowl,a/z\ncar,b/y\nvan,a/x\nboat,a/z\n")
    store = LogStore(logdir, hierarchy_file=tree)
    counts, _ = load_counts(store, [KEY])
    assert counts is not None
    choice = resolve_choice(counts, "step", None, "group", None, None, counts_hierarchy(store, counts))
    # a's members first (x: cat, van; then z: owl, boat), then b's (y: dog, car)
    assert class_order(counts, choice).tolist() == [0, 4, 2, 5, 1, 3]


def test_group_names_are_drawn_as_text_never_markup(logdir, tmp_path):
    tree = tmp_path / "markup.json"
    hostile = "<img src=x onerror=alert(1)>"
    groups = {"cat": hostile, "dog": hostile, "owl": "=cmd|calc", "car": "v", "van": "v", "boat": "v"}
    tree.write_text(json.dumps(groups))
    store = LogStore(logdir, hierarchy_file=tree)
    page = parse_inputs({"selection": Selection(series=(KEY,), level=1).to_store()})
    update = matrix_cb.matrix_update(store, page, None)
    drawn = update.figure.to_plotly_json()
    assert hostile not in str(drawn)
    assert "&lt;img src=x onerror=alert(1)&gt;" in drawn["layout"]["yaxis"]["ticktext"]


def test_a_many_class_level_of_too_many_groups_is_offered_disabled_and_never_claimed(tmp_path):
    from confusionflow.app.callbacks.common import MAX_DETAIL_CLASSES, OVERVIEW_MIN_CLASSES

    n = OVERVIEW_MIN_CLASSES + 10  # sparse: the overview and small multiples of <= 40 classes
    names = [f"c{i}" for i in range(n)]
    # level 1: 5 groups of 10; level 2: 46 groups (c0..c44 alone, c45..c49 together)
    tree = {c: f"top{i // 10}/mid{min(i, 45)}" for i, c in enumerate(names)}
    (tmp_path / "tree.json").write_text(json.dumps(tree))
    with LogWriter(tmp_path / "logs", "wide", names) as w:
        w.add_counts(1, "test", np.eye(n, dtype=np.int64) * 5 + 1)
    store = LogStore(tmp_path / "logs", hierarchy_file=tmp_path / "tree.json")
    out = selection_cb.selection_update(store, ids.LEVEL, "", ["wide/test"], [], [], None, [], 2, None)
    assert out.level_options[1] == {"label": "top-level groups (5 groups)", "value": 1}
    assert out.level_options[2]["disabled"] is True
    assert f"more than {MAX_DETAIL_CLASSES}" in out.level_options[2]["label"]
    assert out.level == 0 and out.selection["level"] == 0  # not drawable: classes
    page = parse_inputs({"selection": Selection(series=("wide/test",), level=2).to_store()})
    assert "aggregated" not in matrix_cb.matrix_update(store, page, None).caption
    tensor, m = shown_in(store, "wide/test", 1)
    assert tensor.classes == tuple(f"top{i}" for i in range(5))
    # each row: 5 + 1 on the diagonal and 1 in every other cell; 10 of its cells lie in its group
    assert m.accuracy[0, 0] == pytest.approx(15 * n / (n * (n + 5)))


def shown_in(store: LogStore, key: str, level: int):
    tensor = view_tensor(store, Selection(series=(key,), level=level))
    assert tensor is not None
    return tensor, tensor_metrics(tensor)


def test_a_many_class_drill_into_too_big_a_group_is_offered_disabled_and_says_what_is_drawn(tmp_path):
    from confusionflow.app.callbacks.common import MAX_DETAIL_CLASSES, OVERVIEW_MIN_CLASSES
    from confusionflow.data_access.hierarchy import read_hierarchy
    from confusionflow.data_access.hierarchy_view import drill_refused, group_options

    n = OVERVIEW_MIN_CLASSES + 20  # sparse: the overview and small multiples of <= 40 classes
    names = [f"c{i}" for i in range(n)]
    # one level: "big" holds c0..c44 (drilled: 45 + 2 shown), "mid" c45..c49, "small" c50..c59
    tree = {c: "big" if i < 45 else "mid" if i < 50 else "small" for i, c in enumerate(names)}
    (tmp_path / "tree.json").write_text(json.dumps(tree))
    hier = read_hierarchy(tmp_path / "tree.json", names)
    # the pure functions: the big group is listed disabled with its member count, the others drill
    assert group_options(hier, 1) == [{"label": g, "value": g} for g in ("big", "mid", "small")]
    limited = group_options(hier, 1, MAX_DETAIL_CLASSES)
    assert limited[0] == {
        "label": f"big: 45 classes, more than {MAX_DETAIL_CLASSES} to draw",
        "value": "big",
        "disabled": True,
    }
    assert limited[1:] == [{"label": "mid", "value": "mid"}, {"label": "small", "value": "small"}]
    view = hierarchy_view(hier, 1, "big", MAX_DETAIL_CLASSES)
    assert (view.level, view.group) == (1, None)  # drawn: the level alone
    said = drill_refused(hier, 1, "big", view, MAX_DETAIL_CLASSES)
    assert said == (
        f"“big” has 45 classes, more than the {MAX_DETAIL_CLASSES} the matrix draws in full: "
        "shown aggregated to superclasses instead"
    )
    small = hierarchy_view(hier, 1, "small", MAX_DETAIL_CLASSES)
    assert small.group == "small" and drill_refused(hier, 1, "small", small, MAX_DETAIL_CLASSES) == ""
    assert drill_refused(hier, 1, "big", view, None) == ""  # a dense run draws every drill-down
    assert drill_refused(hier, 1, None, view, MAX_DETAIL_CLASSES) == ""

    # the page: a link asking for the big group's drill-down shows the level and says why
    with LogWriter(tmp_path / "logs", "wide", names) as w:
        w.add_counts(1, "test", np.eye(n, dtype=np.int64) * 5 + 1)
    store = LogStore(tmp_path / "logs", hierarchy_file=tmp_path / "tree.json")
    out = selection_cb.selection_update(store, ids.DRILL, "", ["wide/test"], [], [], None, [], 1, "big")
    assert out.level == 1 and out.group is None and out.selection["group"] is None
    assert out.message.startswith(said) and out.group_options == limited
    page = parse_inputs({"selection": Selection(series=("wide/test",), level=1).to_store()})
    caption = matrix_cb.matrix_update(store, page, None).caption
    assert "aggregated to superclasses (3 groups)" in caption and "drilled" not in caption
    out = selection_cb.selection_update(store, ids.DRILL, "", ["wide/test"], [], [], None, [], 1, "small")
    assert out.group == "small" and "more than" not in out.message
