"""Above 25 classes each class-performance line holds at most TILE_WIDTH_PX points (one per screen
pixel of its metric subplot), consecutive steps averaged ignoring NaN; the caption and hover say
so, and a range change over averaged lines is a new figure, never a Patch of the old one."""

from __future__ import annotations

import dash
import numpy as np
import plotly.graph_objects as go
import pytest

from confusionflow.app.callbacks import class_charts
from confusionflow.components.charts import (
    TILE_WIDTH_PX,
    build_class_performance_figure,
    holds_every_step,
)
from confusionflow.data_access.metrics import TensorMetrics
from confusionflow.data_access.store import LogStore
from tests.factories import write_run
from tests.unit.test_class_chart_updates import RANGE, as_json, raw

BACKGROUNDS = 3  # one background heatmap per metric subplot, before the lines
LABELS = ("pruned / test", "dense / test")
COLORS = ["#0072B2", "#D55E00"]


def recall_only(recall: np.ndarray) -> TensorMetrics:
    """Metrics whose recall is ``recall`` ``(S, T, C)`` and everything else zero."""
    zeros = np.zeros_like(recall)
    return TensorMetrics(zeros, recall, zeros, zeros, zeros, zeros, zeros, zeros[..., 0], zeros[..., 0])


def line_points(fig: go.Figure) -> list[int]:
    return [len(tr.y) for tr in fig.data[BACKGROUNDS:]]


def test_the_pixel_rule_starts_above_25_classes_and_past_the_subplot_width() -> None:
    assert TILE_WIDTH_PX == 150
    # 3 series x 40 classes (a box drag on a 1000-class page): 50 and 100 steps are fewer points
    # than the subplot has pixels, so every step is drawn; past 150 steps they are averaged
    assert holds_every_step(3, 40, 50) and holds_every_step(3, 40, 100) and holds_every_step(3, 40, 150)
    assert not holds_every_step(3, 40, 151) and not holds_every_step(1, 26, 151)
    assert holds_every_step(3, 25, 400)  # 25 classes: only the point budget counts (225 x 401 < 150k)


@pytest.mark.parametrize(
    ("n_classes", "n_steps", "per_class"),
    [
        (40, 400, 134),  # 3 steps a point: ceil(400 / 3) = 134 <= 150
        (40, 150, 150),  # exactly one point per pixel: every step
        (40, 301, 101),  # 3 steps a point (ceil(301 / 2) = 151 > 150)
        (25, 400, 400),  # at the threshold: every step (within the point budget)
    ],
)
def test_known_point_counts(n_classes: int, n_steps: int, per_class: int) -> None:
    steps = np.arange(n_steps, dtype=float)
    recall = np.full((2, n_steps, n_classes), 0.5)
    classes = tuple(f"class {i:03d}" for i in range(n_classes))
    fig = build_class_performance_figure(recall_only(recall), steps, classes, LABELS, COLORS)
    # two series x three metrics; each trace: per_class points and a NaN break per class
    assert line_points(fig) == [n_classes * (per_class + 1)] * 6


def test_averaged_values_are_the_hand_computed_means() -> None:
    n_c, t = 40, 400
    steps = np.arange(100, 100 + 2 * t, 2, dtype=float)  # steps 100, 102, ..., 898
    rng = np.random.default_rng(8)
    recall = rng.random((2, t, n_c))
    recall[0, 4, 7] = np.nan  # series 0 did not log class 7's step 4: left out of its mean
    recall[1, 396:, 3] = np.nan  # series 1, class 3: the last two points have no value
    classes = tuple(f"class {i:03d}" for i in range(n_c))
    fig = build_class_performance_figure(recall_only(recall), steps, classes, LABELS, COLORS)
    per_class = 134  # 3 steps a point: ceil(400 / 3)
    rec0 = np.asarray(fig.data[BACKGROUNDS + 1].customdata, dtype=np.float64)  # series 0, recall
    rec1 = np.asarray(fig.data[BACKGROUNDS + 4].customdata, dtype=np.float64)  # series 1, recall
    x0 = np.asarray(fig.data[BACKGROUNDS + 1].x, dtype=np.float64)

    def point(custom: np.ndarray, cls: int, j: int) -> np.ndarray:
        return custom[cls * (per_class + 1) + j]

    # class 7, point 1 covers steps 106, 108, 110 (indices 3..5), index 4 missing
    assert point(rec0, 7, 1).tolist() == pytest.approx(
        [106.0, (recall[0, 3, 7] + recall[0, 5, 7]) / 2, 110.0], rel=1e-6
    )
    assert x0[7 * (per_class + 1) + 1] == 108.0  # the point sits at its steps' mean
    # class 12, point 0: indices 0..2 (steps 100..104)
    assert point(rec0, 12, 0)[1] == pytest.approx(np.mean(recall[0, 0:3, 12]), rel=1e-6)
    # the last point holds the one remaining step (index 399, step 898)
    assert point(rec0, 12, 133).tolist() == pytest.approx([898.0, recall[0, 399, 12], 898.0], rel=1e-6)
    # series 1, class 3: point 132 (indices 396..398) and 133 (399) logged nothing -> a gap
    assert np.isnan(point(rec1, 3, 132)[1]) and np.isnan(point(rec1, 3, 133)[1])
    assert point(rec1, 3, 131)[1] == pytest.approx(np.mean(recall[1, 393:396, 3]), rel=1e-6)
    assert np.isnan(point(rec0, 0, per_class)[1])  # the break between classes 0 and 1
    assert "epochs %{customdata[0]}–%{customdata[2]} (mean)" in fig.data[BACKGROUNDS + 1].hovertemplate
    assert fig.layout.annotations[3].text == (
        "epochs 100–898 · each class row from 0 (bottom) to 1 (top) · each point the mean of up to 3 logged epochs"
    )


# ----------------------------------------------------------------------------- range changes
N_CLASSES, N_STEPS = 40, 200


@pytest.fixture(scope="module")
def wide(tmp_path_factory: pytest.TempPathFactory) -> LogStore:
    """One run of 40 classes logged at steps 1..200 (averaged: 200 steps > 150 px)."""
    root = tmp_path_factory.mktemp("wide")
    classes = [f"class {i:03d}" for i in range(N_CLASSES)]
    base = np.full((N_CLASSES, N_CLASSES), 1, dtype=np.int64)
    counts = {s: base + np.diag(np.full(N_CLASSES, 5 + s % 7)) for s in range(1, N_STEPS + 1)}
    write_run(root, "wide", classes, counts={"test": counts})
    return LogStore(root)


def test_a_range_change_over_averaged_lines_is_a_new_figure(wide: LogStore) -> None:
    series = ("wide/test",)
    first = class_charts.class_performance_update(wide, raw(series), RANGE)
    assert isinstance(first["figure"], go.Figure) and first["meta"]["every_step"] is False
    assert len(first["figure"].layout.yaxis.ticktext) == N_CLASSES
    assert line_points(first["figure"]) == [N_CLASSES * (100 + 1)] * 3  # 2 steps a point
    # a range of 100 steps fits the subplot: its lines hold every step of the range ...
    moved = class_charts.class_performance_update(wide, raw(series, [51.0, 150.0]), RANGE, first["meta"])
    assert isinstance(moved["figure"], go.Figure) and not isinstance(moved["figure"], dash.Patch)
    assert line_points(moved["figure"]) == [N_CLASSES * (100 + 1)] * 3
    custom = np.asarray(moved["figure"].data[BACKGROUNDS].customdata, dtype=np.float64)
    assert custom[:100, 0].tolist() == list(range(51, 151))
    assert "mean" not in moved["figure"].layout.annotations[3].text
    fresh = class_charts.class_performance_update(wide, raw(series, [51.0, 150.0]), RANGE)
    assert as_json(moved["figure"]) == as_json(fresh["figure"])
    # ... and yet only over that range: the next range change is again a new figure
    assert moved["meta"]["every_step"] is False and moved["meta"]["range"] == [51.0, 150.0]
    again = class_charts.class_performance_update(wide, raw(series, [1.0, 50.0]), RANGE, moved["meta"])
    assert isinstance(again["figure"], go.Figure)
    assert np.asarray(again["figure"].data[BACKGROUNDS].customdata, dtype=np.float64)[0, 0] == 1.0
    # the same range again is nothing to redraw
    same = class_charts.class_performance_update(wide, raw(series, [1.0, 50.0]), RANGE, again["meta"])
    assert isinstance(same["figure"], dash.Patch)
