"""The class charts answer a range change or an added series with a Patch that makes the figure
on screen equal to the one a rebuild would send, and rebuild whenever that cannot be promised.

Each Patch is applied here, operation by operation, to the JSON of the figure it follows (as
dash-renderer applies it to the figure prop) and compared with the JSON of a fresh build.
"""

from __future__ import annotations

import json
from typing import Any

import dash
import numpy as np
import plotly.graph_objects as go
import pytest
from plotly.io.json import to_json_plotly

from confusionflow.app.callbacks import class_charts
from confusionflow.app.callbacks.common import Selection
from confusionflow.app.callbacks.inputs import Bounds, PageInputs
from confusionflow.components import ids
from confusionflow.components.charts import holds_every_step
from confusionflow.data_access.store import LogStore
from tests.factories import alpha_beta_logs, improving_counts, make_tensor

CLASSES = ("cat", "dog", "fox")
STEPS = (1, 2, 3, 5)
RANGE = [f"{ids.RANGE_STORE}.data"]
SELECTION = [f"{ids.SELECTION}.data", f"{ids.SLOTS}.data"]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> LogStore:
    return LogStore(alpha_beta_logs(tmp_path_factory.mktemp("logs"), CLASSES, STEPS))


def raw(series: tuple[str, ...], step_range: list[float] | None = None, epoch: float | None = 2.0) -> dict:
    selection = Selection(series=series).to_store()
    return {"selection": selection, "slots": {}, "step_range": step_range, "epoch": epoch}


def as_json(value: Any) -> Any:
    """What the browser receives: plotly's own JSON encoding (typed arrays included)."""
    if isinstance(value, (go.Figure, dash.Patch)):
        value = value.to_plotly_json()
    return json.loads(to_json_plotly(value))


def applied(figure: Any, patch: dash.Patch) -> Any:
    """``figure``'s JSON with ``patch`` applied (Assign and Extend, the two operations sent)."""
    out = as_json(figure)
    for op in as_json(patch)["operations"]:
        *path, last = op["location"]
        node = out
        for key in path:
            node = node.setdefault(key, {}) if isinstance(node, dict) else node[key]
        value = op["params"]["value"]
        if op["operation"] == "Assign":
            node[last] = value
        elif op["operation"] == "Extend":
            node[last].extend(value)
        else:
            raise AssertionError(f"unexpected operation {op['operation']}")
    return out


def locations(patch: dash.Patch) -> set[tuple[str, tuple]]:
    return {(op["operation"], tuple(op["location"])) for op in patch.to_plotly_json()["operations"]}


VIEW_PATHS = {
    ("Assign", ("layout", "xaxis", "range")),
    ("Assign", ("layout", "xaxis2", "range")),
    ("Assign", ("layout", "xaxis3", "range")),
    ("Assign", ("layout", "shapes")),
    ("Assign", ("layout", "meta")),
    ("Assign", ("layout", "annotations", 3, "text")),
}


# ----------------------------------------------------------------------------- class performance
def test_a_range_change_is_a_patch_of_the_axes_markers_and_summary_only(store: LogStore) -> None:
    both = ("alpha/test", "alpha/train")
    first = class_charts.class_performance_update(store, raw(both), SELECTION)
    assert isinstance(first["figure"], go.Figure)
    moved = class_charts.class_performance_update(store, raw(both, [2.0, 3.0]), RANGE, first["meta"])
    assert isinstance(moved["figure"], dash.Patch)
    assert locations(moved["figure"]) == VIEW_PATHS
    rebuilt = class_charts.class_performance_update(store, raw(both, [2.0, 3.0]), SELECTION)["figure"]
    assert applied(first["figure"], moved["figure"]) == as_json(rebuilt)
    layout = as_json(rebuilt)["layout"]
    assert layout["xaxis2"]["range"] == pytest.approx([2 - 0.02, 3 + 0.02])
    assert layout["annotations"][3]["text"] == "epochs 2–3 · each class row from 0 (bottom) to 1 (top)"
    assert [s["x0"] for s in layout["shapes"]] == [2.0, 2.0, 2.0]
    assert moved["meta"] == first["meta"]
    # a range that leaves the epoch outside: the markers go, the recipe says where they may be
    away = class_charts.class_performance_update(store, raw(both, [3.0, 5.0]), RANGE, moved["meta"])
    ops = {tuple(o["location"]): o["params"]["value"] for o in as_json(away["figure"])["operations"]}
    assert ops[("layout", "shapes")] == []
    assert ops[("layout", "meta")]["epoch_marker"][0]["visible"] == [3.0, 5.0]
    assert len(json.dumps(as_json(moved["figure"]))) * 4 < len(json.dumps(as_json(first["figure"])))


def test_an_added_series_is_a_patch_appending_its_three_traces(store: LogStore) -> None:
    one = class_charts.class_performance_update(store, raw(("alpha/test",)), SELECTION)
    both = raw(("alpha/test", "alpha/train"), [1.0, 3.0])
    added = class_charts.class_performance_update(store, both, SELECTION, one["meta"])
    assert isinstance(added["figure"], dash.Patch)
    assert locations(added["figure"]) == VIEW_PATHS | {("Extend", ("data",))}
    appended = as_json(added["figure"])["operations"]
    traces = next(o["params"]["value"] for o in appended if o["operation"] == "Extend")
    assert [(t["xaxis"], t["name"]) for t in traces] == [(a, "alpha / train") for a in ("x", "x2", "x3")]
    rebuilt = class_charts.class_performance_update(store, both, SELECTION)["figure"]
    assert applied(one["figure"], added["figure"]) == as_json(rebuilt)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (("alpha/test", "alpha/train"), ("alpha/test",)),  # a series removed
        (("alpha/train",), ("alpha/test", "alpha/train")),  # added in front
        (("alpha/test",), ("alpha/test", "beta/test")),  # the new series logs another step
    ],
)
def test_anything_but_an_appended_series_is_a_new_figure(store, before, after) -> None:
    first = class_charts.class_performance_update(store, raw(before), SELECTION)
    again = class_charts.class_performance_update(store, raw(after), SELECTION, first["meta"])
    assert isinstance(again["figure"], go.Figure)


def test_a_recoloured_series_or_other_logs_are_a_new_figure(store: LogStore) -> None:
    both = ("alpha/test", "alpha/train")
    first = class_charts.class_performance_update(store, raw(both), SELECTION)
    recoloured = {**raw(both), "slots": {"alpha/test": 5, "alpha/train": 1}}
    assert isinstance(
        class_charts.class_performance_update(store, recoloured, SELECTION, first["meta"])["figure"],
        go.Figure,
    )
    other_logs = {**first["meta"], "frame": "0" * 32}
    assert isinstance(
        class_charts.class_performance_update(store, raw(both), RANGE, other_logs)["figure"], go.Figure
    )


@pytest.mark.parametrize(
    "drawn",
    [None, [], "x", {"frame": 3}, {"frame": "y" * 10_000}, {"series": ["a"] * 100_000, "frame": "z"}],
)
def test_a_malformed_description_is_a_new_figure(store: LogStore, drawn: object) -> None:
    out = class_charts.class_performance_update(store, raw(("alpha/test",)), RANGE, drawn)
    assert isinstance(out["figure"], go.Figure)


def test_the_description_sent_back_is_bounded() -> None:
    bounds = Bounds(series=3, classes=4)
    drawn = class_charts.drawn_of(
        {"series": [f"s{i}" for i in range(10_000)], "colors": ["#000"] * 50, "frame": "f", "every_step": 1},
        bounds,
    )
    assert drawn is not None and len(drawn["series"]) == 3 and drawn["colors"] == ["#000"]
    assert drawn["every_step"] is False and drawn["range"] is None


def test_averaged_lines_are_redrawn_for_a_new_range() -> None:
    # 1 series x 3 metrics x 3 classes x 20,000 steps: over the point budget, so steps are averaged
    steps = np.arange(20_000, dtype=float)
    counts = np.broadcast_to(improving_counts(1), (1, len(steps), 3, 3))
    tensor = make_tensor(counts, steps, CLASSES, ("alpha",))
    assert not holds_every_step(1, 3, len(steps)) and holds_every_step(1, 3, 1_000)
    page = PageInputs(selection=Selection(series=("alpha/test",)), step_range=(0.0, 100.0))
    wide = class_charts.performance_meta(tensor, page, ["#000"], "fp")
    narrow = class_charts.performance_meta(
        tensor, PageInputs(selection=page.selection, step_range=(0.0, 50.0)), ["#000"], "fp"
    )
    assert wide["range"] == [0.0, 100.0] and class_charts.chart_change(wide, narrow) is None
    assert class_charts.chart_change(wide, wide) == "view"
    more = class_charts.performance_meta(
        tensor,
        PageInputs(selection=Selection(series=("alpha/test", "b/test")), step_range=(0.0, 100.0)),
        ["#000", "#111"],
        "fp",
    )
    assert class_charts.chart_change(wide, more) is None  # averaged: adding a series redraws


# ----------------------------------------------------------------------------- class sizes
def test_an_added_series_appends_its_bars_and_retitles_the_chart(store: LogStore) -> None:
    one = class_charts.class_sizes_update(store, raw(("alpha/test",), epoch=None))
    both = raw(("alpha/test", "beta/test"), epoch=None)
    added = class_charts.class_sizes_update(store, both, one["meta"])
    assert isinstance(added["figure"], dash.Patch)
    assert locations(added["figure"]) == {
        ("Extend", ("data",)),
        ("Assign", ("layout", "title")),
        ("Assign", ("layout", "meta")),  # the sizes at every step, for the epoch moves
    }
    rebuilt = class_charts.class_sizes_update(store, both)["figure"]
    result = applied(one["figure"], added["figure"])
    assert result == as_json(rebuilt)
    # beta's last step (8) is not alpha's (5): the title says the bars count each one's last step
    assert result["layout"]["title"]["text"] == "Instances per class · last step"
    assert as_json(one["figure"])["layout"]["title"]["text"] == "Instances per class · last step (5)"


def test_class_sizes_for_a_new_epoch_are_a_new_figure(store: LogStore) -> None:
    one = class_charts.class_sizes_update(store, raw(("alpha/test",), epoch=2.0))
    moved = class_charts.class_sizes_update(store, raw(("alpha/test", "alpha/train"), epoch=3.0), one["meta"])
    assert isinstance(moved["figure"], go.Figure)
    y = [list(t.y) for t in moved["figure"].data]
    assert y == [[17.0, 15.0, 10.0], [51.0, 45.0, 30.0]]  # row sums of improving_counts(3), x1 and x3


def test_an_empty_figure_leaves_nothing_to_patch(store: LogStore, monkeypatch) -> None:
    # every step averaged (a budget of one point) and a range without a logged step: no lines
    import confusionflow.components.charts.class_performance as builder

    monkeypatch.setattr(builder, "CLASS_POINT_BUDGET", 1)
    out = class_charts.class_performance_update(store, raw(("alpha/test",), [3.5, 4.5]), SELECTION)
    assert len(out["figure"].data) == 0 and out["meta"] is None
    again = class_charts.class_performance_update(store, raw(("alpha/test",), [3.5, 4.5]), RANGE, out["meta"])
    assert isinstance(again["figure"], go.Figure)
