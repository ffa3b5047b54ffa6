"""The epoch-marker recipes in ``layout.meta`` reproduce the server's own marker shapes.

The browser draws the markers from the recipe (``epochMarkerShapes`` in assets/confusionflow.js);
``draw`` below follows that function line by line, so every figure's recipe is checked against the
shapes the server draws for the same epoch, for every logged step and for epochs between, before
and after them. The browser tests check the JavaScript itself against the server on a live page.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from confusionflow.components.charts import (
    build_class_performance_figure,
    build_detail_figure,
    build_timeline_figure,
    class_performance_epoch_meta,
    class_performance_epoch_shapes,
    epoch_line_meta,
)
from confusionflow.components.colors import PALETTE
from confusionflow.components.figure_style import (
    EPOCH_MARKER_NAME,
    EPOCH_META_KEY,
    epoch_line_shape,
    epoch_marker_meta,
)
from confusionflow.components.matrix import (
    MatrixStyle,
    build_matrix_figure,
    colorscale_update,
    epoch_marker_recipe,
    epoch_shapes,
    matrix_geometry,
)
from confusionflow.data_access.metrics import tensor_metrics
from confusionflow.data_access.tensor import ConfusionTensor
from confusionflow.data_access.views import matrix_values
from tests.factories import make_tensor, random_counts

STEPS = np.array([1.0, 2.0, 5.0, 10.0, 11.0])  # uneven: nearest-step snapping matters


def draw(recipe: dict | list[dict], epoch: float | None) -> list[dict]:
    """What ``epochMarkerShapes(recipe, epoch)`` in assets/confusionflow.js returns; for a list of
    recipes (one per subplot), the shapes of each in order, as ``moveEpochMarkers`` draws them."""
    if isinstance(recipe, list):
        return [shape for r in recipe for shape in draw(r, epoch)]
    if epoch is None or not math.isfinite(epoch):
        return []
    if recipe["snap"] is not None:
        steps = recipe["snap"]
        if not steps or epoch < steps[0] - 1e-9 or epoch > steps[-1] + 1e-9:
            return []
        best = 0
        for i in range(1, len(steps)):
            if abs(steps[i] - epoch) < abs(steps[best] - epoch):
                best = i
        v = best // max(recipe["bin"], 1)
    else:
        vis = recipe["visible"]
        if vis is not None and (epoch < vis[0] or epoch > vis[1]):
            return []
        v = (epoch - recipe["origin"]) * recipe["scale"]
    at = [o + v for o in recipe["offsets"]]
    a, b = recipe["span"]
    base = {"xref": recipe["xref"], "yref": recipe["yref"], "line": dict(recipe["line"]), "layer": "above"}
    base["name"] = recipe["name"]
    if recipe["kind"] == "path":
        y = recipe["axis"] == "y"
        spans = recipe.get("segments") or [[[a, b]]] * len(at)  # per tile crossed, when given
        path = "".join(
            f"M{s0},{c}H{s1}" if y else f"M{c},{s0}V{s1}"
            for c, ss in zip(at, spans, strict=True)
            for s0, s1 in ss
        )
        return [{"type": "path", "path": path, **base}]
    if recipe["axis"] == "y":
        return [{"type": "line", "x0": a, "x1": b, "y0": c, "y1": c, **base} for c in at]
    return [{"type": "line", "x0": c, "x1": c, "y0": a, "y1": b, **base} for c in at]


def normalised(shapes: list[dict]) -> list[dict]:
    """Shapes with path numbers parsed and every number rounded (formatting may differ)."""
    out = []
    for s in shapes:
        s = dict(s)
        if "path" in s:
            s["path"] = [round(float(n), 9) for n in re.findall(r"-?[0-9.]+(?:e-?[0-9]+)?", s["path"])]
        for k in ("x0", "x1", "y0", "y1"):
            if k in s:
                s[k] = round(float(s[k]), 9)
        out.append(s)
    return out


EPOCHS = [None, 0.0, 1.0, 1.4, 1.6, 2.0, 3.4, 3.6, 5.0, 7.5, 9.0, 10.0, 10.6, 11.0, 12.0]


def tensor(n_classes: int = 3, n_series: int = 2, steps: np.ndarray = STEPS) -> ConfusionTensor:
    """Seeded counts over classes ``k0, k1, ...`` for series ``r0, r1, ...``."""
    counts = random_counts((n_series, len(steps), n_classes, n_classes), seed=n_classes)
    return make_tensor(counts, steps, tuple(f"k{i}" for i in range(n_classes)))


@pytest.mark.parametrize(
    "style",
    [
        MatrixStyle(),
        MatrixStyle(rotate=True),
        MatrixStyle(encoding="lines"),
    ],
    ids=["heatmap", "rotated", "lines"],
)
def test_matrix_recipe_draws_the_servers_marker_for_every_epoch(style):
    geo = matrix_geometry(3, 2, len(STEPS), style)
    recipe = epoch_marker_recipe(STEPS, geo)[EPOCH_META_KEY]
    for epoch in EPOCHS:
        want = epoch_shapes(STEPS, MatrixStyle(style.encoding, style.rotate, epoch=epoch), geo)
        assert normalised(draw(recipe, epoch)) == normalised(want), epoch
    assert draw(recipe, 5.0) != draw(recipe, 2.0)  # it does move


def test_matrix_recipe_follows_averaged_time_columns():
    steps = np.arange(1.0, 101.0)
    geo = matrix_geometry(50, 3, 100, MatrixStyle())
    assert geo.time_bin > 1  # above the brick budget, consecutive steps share a column
    recipe = epoch_marker_recipe(steps, geo)[EPOCH_META_KEY]
    assert recipe["bin"] == geo.time_bin
    for epoch in [1.0, 2.0, 3.0, 50.0, 99.0, 100.0, 100.4, 101.0]:
        want = epoch_shapes(steps, MatrixStyle(epoch=epoch), geo)
        assert normalised(draw(recipe, epoch)) == normalised(want), epoch


def test_built_matrix_carries_its_recipe_and_names_its_marker():
    t = tensor()
    fig = build_matrix_figure(matrix_values(t), PALETTE, MatrixStyle(epoch=5.0)).to_plotly_json()
    geo = matrix_geometry(3, 2, len(STEPS), MatrixStyle())
    assert fig["layout"]["meta"] == epoch_marker_recipe(STEPS, geo)
    assert [s["name"] for s in fig["layout"]["shapes"]] == [EPOCH_MARKER_NAME]
    assert normalised(draw(fig["layout"]["meta"][EPOCH_META_KEY], 5.0)) == normalised(fig["layout"]["shapes"])


def test_colorscale_update_restates_the_current_marker():
    # the browser moves markers without updating the server's copy of the figure, so a gamma Patch
    # must carry the marker of the current epoch or it would bring back an old one
    t = tensor()
    style = MatrixStyle(gamma=0.5, epoch=10.0)
    geo = matrix_geometry(3, 2, len(STEPS), style)
    update = colorscale_update(matrix_values(t), style, geo)
    assert update["shapes"] == epoch_shapes(STEPS, style, geo)
    assert marker_x(update["shapes"]) == [geo.x.start(j) + 3 for j in range(4)]
    cleared = colorscale_update(matrix_values(t), MatrixStyle(gamma=0.5), geo)
    assert cleared["shapes"] == []


def marker_x(shapes: list[dict]) -> list[float]:
    """x of each marker line of the one path shape (a line may have one segment per tile)."""
    return list(dict.fromkeys(float(seg.split(",")[0]) for seg in shapes[0]["path"].split("M")[1:]))


@pytest.mark.parametrize("x_range", [None, (2.0, 10.0), (5.0, 5.0), (12.0, 20.0)])
def test_class_performance_recipe_draws_the_servers_markers(x_range):
    recipe_meta = class_performance_epoch_meta(STEPS, 4, x_range=x_range)
    if x_range == (12.0, 20.0):
        assert recipe_meta == {}  # no step shown: no marker, no recipe
        return
    recipe = recipe_meta[EPOCH_META_KEY]
    for epoch in EPOCHS:
        want = class_performance_epoch_shapes(STEPS, 4, epoch=epoch, x_range=x_range)
        assert normalised(draw(recipe, epoch)) == normalised(want), epoch


def test_line_recipe_draws_the_detail_and_timeline_marker():
    recipe = epoch_line_meta()[EPOCH_META_KEY]
    for epoch in EPOCHS:
        want = [] if epoch is None else [epoch_line_shape(epoch)]
        assert normalised(draw(recipe, epoch)) == normalised(want), epoch


def test_every_chart_with_an_epoch_marker_carries_a_recipe():
    t = tensor()
    m = tensor_metrics(t)
    labels, colors = ["a", "b"], PALETTE[:2]
    perf = build_class_performance_figure(m, STEPS, t.classes, labels, colors, epoch=2.0)
    detail = build_detail_figure(
        STEPS, m.accuracy, labels, colors, title="acc", y_title="acc", percent=True, epoch=2.0
    )
    timeline = build_timeline_figure(STEPS, m.accuracy, colors, epoch=2.0, x_range=(2.0, 10.0))
    for fig in (perf, detail, timeline):
        layout = fig.to_plotly_json()["layout"]
        recipe = layout["meta"][EPOCH_META_KEY]
        marks = [s for s in layout["shapes"] if s.get("name") == EPOCH_MARKER_NAME]
        assert normalised(draw(recipe, 2.0)) == normalised(marks)
    # the timeline's range band is not a marker: the browser keeps it when the epoch moves
    shapes = timeline.to_plotly_json()["layout"]["shapes"]
    assert [s["type"] for s in shapes if s.get("name") != EPOCH_MARKER_NAME] == ["rect"]


def test_a_list_of_recipes_draws_each_recipes_markers_in_order():
    a = epoch_marker_meta(
        kind="path", offsets=[0, 5], span=(0, 1), line={}, snap_steps=[1.0, 2.0], yref="paper"
    )
    b = epoch_marker_meta(
        kind="path", offsets=[10], span=(0, 1), line={}, snap_steps=[1.0, 2.0], xref="x2", yref="paper"
    )
    shapes = draw([a[EPOCH_META_KEY], b[EPOCH_META_KEY]], 2.0)
    assert [normalised([s])[0]["path"] for s in shapes] == [[1, 0, 1, 6, 0, 1], [11, 0, 1]]
    assert [s["xref"] for s in shapes] == ["x", "x2"]


def test_recipe_rejects_unknown_kinds():
    with pytest.raises(ValueError, match="kind"):
        epoch_marker_meta(kind="dots", offsets=[0], span=(0, 1), line={})


@pytest.mark.parametrize("encoding", ["heatmap", "lines"])
def test_matrix_marker_skips_the_gaps_and_the_diagonal(encoding):
    c = 3
    style = MatrixStyle(encoding=encoding, epoch=float(STEPS[1]))
    geo = matrix_geometry(c, 2, len(STEPS), style)
    shape = epoch_shapes(STEPS, style, geo)[0]
    numbers = [float(n) for n in re.findall(r"-?[0-9.]+(?:e-?[0-9]+)?", shape["path"])]
    segments = [numbers[k : k + 3] for k in range(0, len(numbers), 3)]  # x, from, to
    shift = -0.5 if encoding == "heatmap" else 0.0
    assert len(segments) == (c + 1) * (c + 1) - c  # every tile the marker crosses, minus diagonal
    for x, lo, hi in segments:
        assert hi - lo == pytest.approx(geo.y.inner)  # one tile: never across a gap
        column = geo.x.locate(x)[0]
        row = geo.y.locate(lo - shift + 1e-6)[0]
        assert column == c or row != column  # never through a diagonal tile's class name
