"""What the class-performance lines' hovers read, rendered from the figure as plotly.js renders
its ``hovertemplate``: ``%{text}`` is the point's text, ``%{customdata[i]}`` the number as
JavaScript prints it, ``%{customdata[i]:.1%}`` d3's percent (``(v * 100).toFixed(1)``, ties up)."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import plotly.graph_objects as go

from confusionflow.components.charts import build_class_performance_figure, points_per_class
from confusionflow.data_access.metrics import TensorMetrics, tensor_metrics
from confusionflow.data_access.vocabulary import format_step
from tests.factories import make_tensor

BACKGROUNDS = 3
COLORS = ["#0072B2", "#D55E00"]
FIELD = re.compile(r"%\{(text|customdata\[(\d)\])(:\.1%)?\}")


def js_number(value: float) -> str:
    """``String(value)`` in JavaScript for the steps and values these figures hold."""
    return format_step(value)


def js_percent(value: float) -> str:
    """d3-format ``.1%``: ``(value * 100).toFixed(1) + "%"``; toFixed rounds the exact double, ties up."""
    product = float(np.float64(value) * np.float64(100.0))
    return f"{Decimal(product).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


def hover(fig: go.Figure, trace: int, point: int) -> str:
    """The hover of ``point`` of line ``trace`` (counted after the backgrounds), without ``<extra>``."""
    tr = fig.data[BACKGROUNDS + trace]
    custom = np.asarray(tr.customdata)

    def field(match: re.Match[str]) -> str:
        if match.group(1) == "text":
            return str(tr.text[point])
        value = float(custom[point, int(match.group(2))])
        return js_percent(value) if match.group(3) else js_number(value)

    return FIELD.sub(field, tr.hovertemplate).removesuffix("<extra></extra>")


def two_class_metrics(steps: np.ndarray, correct: list[int]) -> TensorMetrics:
    """One series, classes "a" and "b<i>", ``correct[t]`` of class a's 10 instances right at step
    t (the rest predicted b); class b always right with 10 instances."""
    counts = np.zeros((1, len(steps), 2, 2), dtype=np.int64)
    for t, k in enumerate(correct):
        counts[0, t] = [[k, 10 - k], [0, 10]]
    return tensor_metrics(make_tensor(counts, steps, ("a", "b<i>"), ("run",)))


def test_every_step_hovers_name_class_metric_value_series_and_the_exact_step() -> None:
    steps = np.array([3.0, 1234567.5, 2.0**25 + 1.0])  # an integer, a fraction, a step past float32
    m = two_class_metrics(steps, [8, 5, 10])
    fig = build_class_performance_figure(m, steps, ("a", "b<i>"), ["run <b>"], COLORS[:1])
    assert hover(fig, 1, 0) == "a: recall 80.0%<br>run &lt;b&gt;<br>epoch 3"
    assert hover(fig, 1, 1) == "a: recall 50.0%<br>run &lt;b&gt;<br>epoch 1234567.5"
    assert hover(fig, 1, 2) == "a: recall 100.0%<br>run &lt;b&gt;<br>epoch 33554433"
    # class b's points start after class a's 3 points and their NaN gap
    per_class = points_per_class(steps, 1, 2)
    assert per_class == 4
    assert hover(fig, 0, per_class + 0) == "b&lt;i&gt;: precision 83.3%<br>run &lt;b&gt;<br>epoch 3"
    assert hover(fig, 2, per_class + 1) == "b&lt;i&gt;: F1 80.0%<br>run &lt;b&gt;<br>epoch 1234567.5"
    # no column beyond the step and the value when every step is drawn
    assert np.asarray(fig.data[BACKGROUNDS].customdata).shape == (2 * per_class, 2)


def test_float32_steps_and_values_print_as_float64_ones() -> None:
    steps = np.arange(1.0, 41.0) / 4  # 0.25, 0.5, ...: exact in float32
    m = two_class_metrics(steps, [k % 11 for k in range(40)])
    fig = build_class_performance_figure(m, steps, ("a", "b<i>"), ["run"], COLORS[:1])
    recall = fig.data[BACKGROUNDS + 1]
    assert np.asarray(recall.customdata).dtype == np.float32
    assert np.asarray(recall.x).dtype == np.float32
    for t in range(40):
        assert (
            hover(fig, 1, t)
            == f"a: recall {js_percent((t % 11) / 10)}<br>run<br>epoch {format_step(steps[t])}"
        )
    assert hover(fig, 1, 5) == "a: recall 50.0%<br>run<br>epoch 1.5"
    # a step float32 cannot hold sends float64 steps (0.1 would print 0.10000000149011612)
    tenths = np.array([0.1, 0.2, 0.1 + 0.2])
    fig = build_class_performance_figure(
        two_class_metrics(tenths, [1, 2, 3]), tenths, ("a", "b"), ["run"], COLORS[:1]
    )
    assert np.asarray(fig.data[BACKGROUNDS].customdata).dtype == np.float64
    assert [hover(fig, 1, t).rsplit(" ", 1)[1] for t in range(3)] == ["0.1", "0.2", "0.30000000000000004"]


def test_values_share_the_steps_dtype_as_before() -> None:
    # recall 1/400 = 0.25 %, a rounding tie: its float32 copy (0.0024999999) reads 0.2 %, as the
    # chart has always printed it with float32 steps; with float64 steps it reads 0.3 %
    counts = np.zeros((1, 2, 2, 2), dtype=np.int64)
    counts[0, :] = [[1, 399], [0, 10]]
    for steps, dtype, text in (
        (np.array([1.0, 2.0]), np.float32, "0.2%"),
        (np.array([0.1, 0.2]), np.float64, "0.3%"),
    ):
        m = tensor_metrics(make_tensor(counts, steps, ("a", "b"), ("run",)))
        fig = build_class_performance_figure(m, steps, ("a", "b"), ["run"], COLORS[:1])
        assert np.asarray(fig.data[BACKGROUNDS + 1].customdata).dtype == dtype
        assert hover(fig, 1, 0) == f"a: recall {text}<br>run<br>epoch {format_step(steps[0])}"


def test_averaged_hovers_name_the_steps_of_the_mean() -> None:
    n_t, n_c = 400, 40
    rng = np.random.default_rng(3)
    counts = rng.integers(0, 20, size=(2, n_t, n_c, n_c))
    steps = 100.0 + 2 * np.arange(n_t)
    classes = tuple(f"class {i:03d}" for i in range(n_c))
    m = tensor_metrics(make_tensor(counts, steps, classes, ("p", "q")))
    fig = build_class_performance_figure(m, steps, classes, ["p", "q"], COLORS)
    per_class = points_per_class(steps, 2, n_c)
    assert per_class == 134 + 1  # 3 steps a point: ceil(400 / 3) points and the gap
    mean = float(np.float32(np.mean(m.recall[1, 3:6, 7])))
    assert hover(fig, 4, 7 * per_class + 1) == (
        f"class 007: recall {js_percent(mean)}<br>q<br>epochs 106–110 (mean)"
    )
    assert hover(fig, 0, 12 * per_class + 133) == (
        f"class 012: precision {js_percent(float(np.float32(m.precision[0, 399, 12])))}<br>p<br>epochs 898–898 (mean)"
    )
    assert np.asarray(fig.data[BACKGROUNDS].customdata).shape == (n_c * per_class, 3)
