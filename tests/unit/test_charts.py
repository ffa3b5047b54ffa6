"""Class performance, class sizes, detail chart and timeline figures."""

from __future__ import annotations

import numpy as np
import pytest

from confusionflow.components.charts import (
    GAP_H,
    METRICS,
    TILE_H,
    build_class_performance_figure,
    build_detail_figure,
    build_distribution_figure,
    build_timeline_figure,
    class_performance_epoch_shapes,
    decode_class_click,
    timeline_shapes,
)
from confusionflow.data_access.metrics import tensor_metrics
from tests.factories import make_tensor

CLASSES = ("cat", "dog", "owl")
STEPS = np.array([0.0, 1.0, 2.0, 4.0])
COLORS = ["#0072B2", "#D55E00"]
LABELS = ("pruned / test", "dense / test")


def metrics_with_gap():
    """Two series; series 1 did not log step 2. Series 0 at step 4: cat perfectly classified."""
    counts = np.zeros((2, 4, 3, 3), dtype=np.int64)
    counts[:, :] = [[6, 2, 2], [1, 8, 1], [0, 5, 5]]
    counts[0, 3] = [[10, 0, 0], [0, 9, 1], [0, 2, 8]]
    mask = np.ones((2, 4), dtype=bool)
    mask[1, 2] = False
    tensor = make_tensor(counts, STEPS, CLASSES, ("pruned", "dense"), mask=mask)
    return tensor_metrics(tensor)


# ---------------------------------------------------------------------------- class performance
BACKGROUNDS = 3  # one background heatmap per metric subplot, before the lines


def test_class_performance_places_each_value_in_its_class_row_and_metric_subplot():
    m = metrics_with_gap()
    fig = build_class_performance_figure(m, STEPS, CLASSES, LABELS, COLORS)
    assert len(fig.data) == BACKGROUNDS + 2 * 3  # backgrounds + one line per (series, metric)
    assert [tr.type for tr in fig.data[:BACKGROUNDS]] == ["heatmap"] * 3
    recall_s0 = fig.data[BACKGROUNDS + 1]  # series 0, recall
    assert (recall_s0.xaxis, recall_s0.yaxis) == ("x2", "y")
    y = np.asarray(recall_s0.y, dtype=np.float64)
    x = np.asarray(recall_s0.x, dtype=np.float64)
    custom = np.asarray(recall_s0.customdata, dtype=np.float64)
    # owl (row 2), step 4 (last point of the row): recall 8/10
    k = 2 * (len(STEPS) + 1) + 3
    assert custom[k].tolist() == pytest.approx([4.0, 0.8])
    assert y[k] == pytest.approx(2 * (TILE_H + GAP_H) + (1 - 0.8) * TILE_H, rel=1e-6)
    assert x[k] == 4.0  # x is the step number
    assert x[2 * (len(STEPS) + 1)] == 0.0
    assert np.isnan(y[len(STEPS)])  # break between classes
    assert recall_s0.line.color == COLORS[0]
    # the hover names the class of the point, then the series
    assert recall_s0.hovertemplate.startswith("%{text}: recall %{customdata[1]:.1%}<br>pruned / test<br>")
    assert recall_s0.text[k] == "owl" and recall_s0.text[0] == CLASSES[0]
    assert list(fig.layout.yaxis.ticktext) == list(CLASSES)


def test_class_performance_draws_known_precision_recall_and_f1():
    m = metrics_with_gap()
    fig = build_class_performance_figure(m, STEPS, CLASSES, LABELS, COLORS)
    # series 0 at step 4: rows (true) [[10,0,0],[0,9,1],[0,2,8]]; columns (predicted) sums 10, 11, 9
    p = [1.0, 9 / 11, 8 / 9]
    r = [1.0, 0.9, 0.8]
    f1 = [2 * a * b / (a + b) for a, b in zip(p, r, strict=True)]
    last = len(STEPS) - 1
    for metric, want in enumerate((p, r, f1)):
        custom = np.asarray(fig.data[BACKGROUNDS + metric].customdata, dtype=np.float64)
        got = [custom[c * (len(STEPS) + 1) + last, 1] for c in range(len(CLASSES))]
        assert got == pytest.approx(want, rel=1e-6), METRICS[metric]
    # every earlier step: [[6,2,2],[1,8,1],[0,5,5]] -> cat precision 6/7, recall 0.6
    precision_s1 = np.asarray(fig.data[BACKGROUNDS + 3].customdata, dtype=np.float64)
    assert precision_s1[0, 1] == pytest.approx(6 / 7, rel=1e-6)
    assert np.asarray(fig.data[BACKGROUNDS + 4].customdata, dtype=np.float64)[0, 1] == pytest.approx(0.6)


def test_class_performance_says_what_is_drawn():
    m = metrics_with_gap()
    fig = build_class_performance_figure(m, STEPS, CLASSES, LABELS, COLORS, x_range=(1, 4), step_name="epoch")
    titles = [a.text for a in fig.layout.annotations]
    assert titles[:3] == ["<b>precision</b>", "<b>recall</b>", "<b>F1</b>"]
    assert titles[3] == "epochs 1–4 · each class row from 0 (bottom) to 1 (top)"
    assert [fig.layout[f"xaxis{n}"].title.text for n in ("", "2", "3")] == ["epoch"] * 3
    assert fig.layout.yaxis.title.text == "class"
    # tile backgrounds name class and metric; every line names class, metric, series and step
    assert fig.data[1].text[2][0] == "owl · recall"
    f1_s1 = fig.data[BACKGROUNDS + 5]
    assert f1_s1.hovertemplate == (
        "%{text}: F1 %{customdata[1]:.1%}<br>dense / test<br>epoch %{customdata[0]}<extra></extra>"
    )


def test_class_performance_keeps_missing_steps_as_gaps():
    m = metrics_with_gap()
    fig = build_class_performance_figure(m, STEPS, CLASSES, LABELS, COLORS)
    f1_s1 = fig.data[BACKGROUNDS + 3 + 2]
    y = np.asarray(f1_s1.y, dtype=np.float64)
    assert np.isnan(y[2]) and np.isfinite(y[1]) and np.isfinite(y[3])
    assert f1_s1.connectgaps is False


def test_class_performance_zooms_to_the_range_and_marks_the_epoch():
    m = metrics_with_gap()
    fig = build_class_performance_figure(m, STEPS, CLASSES, LABELS, COLORS, epoch=2, x_range=(1, 4))
    precision_s0 = fig.data[BACKGROUNDS]
    custom = np.asarray(precision_s0.customdata, dtype=np.float64)
    assert custom[:4, 0].tolist() == [0.0, 1.0, 2.0, 4.0]  # every step is drawn; the axes zoom
    pad = (4 - 1) * 0.02
    for axis in ("xaxis", "xaxis2", "xaxis3"):
        assert list(fig.layout[axis].range) == pytest.approx([1 - pad, 4 + pad])
    assert [(s.xref, s.x0, s.x1) for s in fig.layout.shapes] == [("x", 2, 2), ("x2", 2, 2), ("x3", 2, 2)]
    assert class_performance_epoch_shapes(STEPS, 3, epoch=0, x_range=(1, 4)) == []


def test_class_performance_over_many_steps_averages_steps_within_the_point_budget():
    t = 2000
    steps = np.arange(t, dtype=float)
    n_c = 20  # 2 series x 3 metrics x 20 classes x 2000 steps = 240k points: over the budget
    rng = np.random.default_rng(3)
    recall = rng.random((2, t, n_c))
    recall[0, 1, 2] = np.nan  # a step series 0 did not log: left out of its mean
    zeros = np.zeros((2, t, n_c))
    from confusionflow.data_access.metrics import TensorMetrics

    m = TensorMetrics(zeros, recall, zeros, zeros, zeros, zeros, zeros, zeros[..., 0], zeros[..., 0])
    classes = tuple(f"k{i}" for i in range(n_c))
    fig = build_class_performance_figure(m, steps, classes, LABELS, COLORS)
    n_points = sum(len(tr.y) for tr in fig.data[BACKGROUNDS:])
    assert n_points <= 150_000
    custom = np.asarray(fig.data[BACKGROUNDS + 1].customdata, dtype=np.float64)  # series 0, recall
    b = int(custom[1, 0] - custom[0, 0])
    assert b > 1 and custom[0, 2] == b - 1  # the first point covers steps 0..b-1
    row2 = (t // b + (t % b > 0) + 1) * 2  # first point of class k2
    expected = np.mean(np.delete(recall[0, :b, 2], 1))
    assert custom[row2, 1] == pytest.approx(expected, rel=1e-5)
    assert "(mean)" in fig.data[BACKGROUNDS + 1].hovertemplate
    assert f"each point the mean of up to {b} logged epochs" in fig.layout.annotations[3].text


def test_decode_class_click_from_background_and_line_points():
    assert decode_class_click({"curveNumber": 1, "pointNumber": [2, 0]}, 5) == (2, "recall")
    # Dash drops the heatmap's pointNumber: the browser adds the row position instead
    assert decode_class_click({"curveNumber": 2, "row": 1 * (TILE_H + GAP_H) + 0.9}, 5) == (1, "f1")
    # a line point: 4 steps + the NaN gap per class, so point 7 is class 1's fourth step
    point = {"curveNumber": BACKGROUNDS + 3 + 2, "pointIndex": 7, "row": 1 * (TILE_H + GAP_H) + 0.2}
    assert decode_class_click(point, 5) == (1, "f1")
    assert decode_class_click({"curveNumber": BACKGROUNDS, "pointNumber": 0}, 5) == (0, "precision")
    assert decode_class_click({"curveNumber": BACKGROUNDS + 1, "pointNumber": 13}, 5) == (2, "recall")
    assert decode_class_click({"curveNumber": BACKGROUNDS + 1, "pointNumber": 4}, 5) is None  # the gap
    # the row the point lies in must be its class (else the browser's figure is another one)
    assert decode_class_click({**point, "row": 2 * (TILE_H + GAP_H) + 0.2}, 5) is None
    for bad in (-1, True, 7.0, "7", None, [7, 0]):
        assert decode_class_click({"curveNumber": BACKGROUNDS, "pointNumber": bad}, 5) is None
    assert decode_class_click({"curveNumber": BACKGROUNDS, "pointNumber": 3}, 1) is None
    assert decode_class_click({"curveNumber": 0, "row": -3.0}, 5) is None
    assert decode_class_click({"curveNumber": 2}, 5) is None
    assert decode_class_click({"curveNumber": True, "row": 0.5}, 5) is None
    assert decode_class_click({}, 5) is None
    assert METRICS == ("precision", "recall", "f1")


def test_class_performance_empty_input():
    m = metrics_with_gap()
    fig = build_class_performance_figure(m, STEPS, CLASSES, (), [])
    assert len(fig.data) == 0 and "Nothing selected" in fig.layout.annotations[0].text
    # a range without a logged step: the lines stay (a range is a view of them) and it says so
    fig = build_class_performance_figure(m, STEPS, CLASSES, LABELS, COLORS, x_range=(10, 20))
    assert fig.layout.annotations[3].text == "no logged epoch in 10–20" and fig.layout.shapes == ()


def test_distribution_bars_per_series_with_counts_in_hover():
    m = metrics_with_gap()
    support = m.support[:, 2]  # step 2: series 1 did not log it
    fig = build_distribution_figure(support, CLASSES, LABELS, COLORS, step_label="epoch 2")
    assert [t.type for t in fig.data] == ["bar", "bar"]
    assert list(fig.data[0].x) == list(CLASSES)
    assert np.asarray(fig.data[0].y, dtype=np.float64).tolist() == [10.0, 10.0, 10.0]
    assert np.isnan(np.asarray(fig.data[1].y, dtype=np.float64)).all()
    assert fig.data[1].marker.color == COLORS[1]
    assert fig.data[0].hovertemplate == "class %{x}<br>pruned / test<br>%{y:,.0f} instances<extra></extra>"
    assert fig.layout.barmode == "group"
    assert "epoch 2" in fig.layout.title.text


def test_distribution_rejects_a_wrong_shape():
    with pytest.raises(ValueError, match=r"\(series, classes\) = \(2, 3\)"):
        build_distribution_figure(np.zeros((3, 2)), CLASSES, LABELS, COLORS, step_label="epoch 1")


# --------------------------------------------------------------------------------------- detail
def test_detail_chart_one_line_per_series_with_gaps_title_and_epoch():
    m = metrics_with_gap()
    fig = build_detail_figure(
        STEPS,
        m.accuracy,
        LABELS,
        COLORS,
        title="Overall accuracy",
        y_title="accuracy",
        percent=True,
        epoch=2,
        x_range=(1, 4),
    )
    assert fig.layout.title.text == "Overall accuracy"
    assert [t.name for t in fig.data] == list(LABELS)
    y1 = np.asarray(fig.data[1].y, dtype=np.float64)
    assert np.isnan(y1[2]) and fig.data[1].connectgaps is False
    assert np.asarray(fig.data[0].y, dtype=np.float64)[3] == pytest.approx(27 / 30)
    assert np.asarray(fig.data[0].x, dtype=np.float64).tolist() == STEPS.tolist()
    assert fig.layout.yaxis.tickformat == ".0%"
    assert fig.layout.shapes[0].x0 == 2 and fig.layout.shapes[0].line.dash == "dash"
    lo, hi = fig.layout.xaxis.range
    assert lo < 1 < hi and hi < 4.2 and lo > 0.5


def test_detail_chart_counts_in_hover_and_shape_check():
    m = metrics_with_gap()
    fig = build_detail_figure(
        STEPS,
        m.false_negatives[:, :, 0] / 10,
        LABELS,
        COLORS,
        title="False negatives of cat",
        y_title="share of cat",
        percent=True,
        counts=m.false_negatives[:, :, 0],
    )
    assert "(%{customdata:,.0f} instances)" in fig.data[0].hovertemplate
    assert np.asarray(fig.data[0].customdata, dtype=np.float64)[3] == 0
    with pytest.raises(ValueError, match="shape"):
        build_detail_figure(STEPS, np.zeros((2, 3)), LABELS, COLORS, title="t", y_title="y", percent=False)
    empty = build_detail_figure(
        STEPS[:0], np.zeros((2, 0)), LABELS, COLORS, title="t", y_title="y", percent=False
    )
    assert "Nothing selected" in empty.layout.annotations[0].text


# ------------------------------------------------------------------------------------- timeline
def test_timeline_brushes_on_x_and_shows_range_band_and_epoch():
    m = metrics_with_gap()
    fig = build_timeline_figure(STEPS, m.accuracy, COLORS, x_range=(1, 2), epoch=2, series_labels=LABELS)
    assert fig.layout.dragmode == "select" and fig.layout.selectdirection == "h"
    band, marker = fig.layout.shapes
    assert (band.type, band.x0, band.x1) == ("rect", 1, 2)
    assert (marker.type, marker.x0, marker.line.dash) == ("line", 2, "dash")
    hit = fig.data[0]
    assert np.asarray(hit.x, dtype=np.float64).tolist() == STEPS.tolist()  # a click anywhere -> a step
    assert [t.line.color for t in fig.data[1:]] == COLORS
    assert np.isnan(np.asarray(fig.data[2].y, dtype=np.float64)[2])
    assert "dense / test" in fig.data[2].hovertemplate
    assert hit.text[0][2] == "epoch 2<br>pruned / test: 63.3%<br>dense / test: not logged"


def test_timeline_whole_range_draws_no_band():
    assert timeline_shapes(STEPS, x_range=(0, 4), epoch=None) == []
    assert [s["type"] for s in timeline_shapes(STEPS, x_range=None, epoch=1)] == ["line"]
    assert [s["type"] for s in timeline_shapes(STEPS, x_range=(4, 1))] == ["rect"]


def test_timeline_empty_input():
    fig = build_timeline_figure(STEPS[:0], np.zeros((0, 0)), [])
    assert len(fig.data) == 0 and "Nothing selected" in fig.layout.annotations[0].text
