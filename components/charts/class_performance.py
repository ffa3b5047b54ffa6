"""View B, class performance: precision, recall and F1 over time per class, one subplot per metric.

Pure builder: ``confusionflow.data_access.metrics.TensorMetrics`` in, ``go.Figure`` out. Arrays are ``(S, T, C)``
with NaN where a series did not log a step; NaN stays a gap in every line. Class and series names
are escaped with :func:`confusionflow.components.text.plain`.

Three subplots side by side (precision, recall, F1), each with its own x axis in step numbers and
one shared y axis on which the classes are stacked as rows (never one subplot per class: measured
30-60x slower to draw). Each row holds a value from 0 (bottom of the row) to 1 (top). Traces: one
background heatmap per metric (the click target), then one line trace per (series, metric) with
NaN breaks between classes, so a series is always three traces at the end.

Why the x axes are in step numbers: when the figure holds every logged step (no averaging), a
change of the step range only moves the three x-axis ranges, the epoch markers and the summary
line (:func:`class_performance_view`, applied with :func:`apply_view` to a ``dash.Patch``), and an
added series only appends its three traces (:func:`class_performance_series_traces`).

Length (~500 lines): the figure, its range-change view and its added-series traces share one
geometry (row offsets, the three x axes, the point budget and its step bins); kept in one file so
that the Patch recipes cannot drift from the figure they patch (``tests/unit/test_class_chart_updates.py``
compares each Patch with a fresh build).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import plotly.graph_objects as go

from confusionflow.components.downsample import bin_mean, bin_steps, smallest_bin
from confusionflow.components.figure_style import (
    AXIS_LINE_COLOR,
    EPOCH_COLOR,
    EPOCH_MARKER_NAME,
    GRID_COLOR,
    MUTED_COLOR,
    base_layout,
    check_colors,
    empty_figure,
    epoch_marker_meta,
    format_step,
)
from confusionflow.components.matrix.geometry import LINES_MAX_CLASSES
from confusionflow.components.text import plain, plain_all
from confusionflow.data_access.metrics import TensorMetrics

Metric = Literal["precision", "recall", "f1"]
METRICS: tuple[Metric, ...] = ("precision", "recall", "f1")
METRIC_TITLES: dict[str, str] = {"precision": "precision", "recall": "recall", "f1": "F1"}

# class rows, in data units of the shared y axis (pointing down): row i spans
# [i * (TILE_H + GAP_H), i * (TILE_H + GAP_H) + TILE_H], value 1 at its top
TILE_H = 1.0
GAP_H = 0.28
# the three metric subplots, as shares of the plotting width
SUBPLOT_GAP = 0.05
SUBPLOT_W = (1.0 - 2 * SUBPLOT_GAP) / 3
ROW_PX = 46  # on-screen height of one class row
MARGIN_T, MARGIN_B = 30, 62  # px above the rows (metric titles) and below (step axes)
# The panel draws at most this many rows' height; more rows scroll inside it, so the page is
# never taller because of the class count (a 6-class page's panel is exactly this tall; a
# many-class page's 10 default rows once added 184 px at 1600x1000). Rows keep ROW_PX: shrinking
# them would make 10 rows of three line charts unreadable, and fewer default rows would hide
# classes the caption counts.
PANEL_ROWS = 6
PANEL_MAX_PX = PANEL_ROWS * ROW_PX + MARGIN_T + MARGIN_B
# Line points (all series, metrics, classes) above which consecutive steps are averaged: each
# point costs ~30 bytes of JSON (x, y, two customdata columns and the class name of its hover).
CLASS_POINT_BUDGET = 150_000
# Above LINES_MAX_CLASSES classes (the selection of a many-class run, the matrix's own threshold)
# a line also holds at most TILE_WIDTH_PX points, one per screen pixel of its metric subplot:
# measured in Chromium at 1600x1000, a subplot of the side panel (0.3 of its plot width) is
# 150.6 px wide with 40 classes named "class 000" (a longer name widens the left margin and makes
# it narrower). More points would be sub-pixel: 40 classes x 3 series x 400 steps was 6.5 MB.
TILE_WIDTH_PX = 150
BACKGROUND_TRACES = len(METRICS)  # traces 0..2: one background heatmap per metric
SUMMARY_ANNOTATION = len(METRICS)  # layout.annotations: the metric titles, then the summary line


def axis_name(m: int) -> str:
    """The layout key of metric column ``m``'s x axis: ``xaxis``, ``xaxis2``, ``xaxis3``."""
    return "xaxis" if m == 0 else f"xaxis{m + 1}"


def axis_ref(m: int) -> str:
    """The trace / shape reference of metric column ``m``'s x axis: ``x``, ``x2``, ``x3``."""
    return "x" if m == 0 else f"x{m + 1}"


def _steps_in_range(steps: np.ndarray, x_range: tuple[float, float] | None) -> np.ndarray:
    """Boolean mask of the steps inside ``x_range`` (inclusive), all steps when it is None."""
    if x_range is None:
        return np.ones(len(steps), dtype=bool)
    lo, hi = sorted((float(x_range[0]), float(x_range[1])))
    return (steps >= lo) & (steps <= hi)


def _step_bin(n_series: int, n_classes: int, n_steps: int) -> int:
    """Steps per point so that the lines of ``n_series`` x 3 metrics x ``n_classes`` over
    ``n_steps`` steps stay within ``CLASS_POINT_BUDGET`` points, and above ``LINES_MAX_CLASSES``
    classes hold at most ``TILE_WIDTH_PX`` points each (one per pixel of the subplot)."""
    lines = n_series * len(METRICS) * n_classes
    visible = TILE_WIDTH_PX if n_classes > LINES_MAX_CLASSES else max(n_steps, 1)

    def cost(cols: int) -> float:
        return lines * (cols + 1) if cols <= visible else math.inf

    return smallest_bin(n_steps, cost, CLASS_POINT_BUDGET)


def holds_every_step(n_series: int, n_classes: int, n_steps: int) -> bool:
    """Whether the figure of ``n_series`` x ``n_classes`` over ``n_steps`` logged steps draws every
    step unaveraged. Then it holds every step whatever the range, and a range change is only a
    view of it (:func:`class_performance_view`); otherwise the lines are averaged over the steps of
    the range and a range change redraws them."""
    return _step_bin(n_series, n_classes, n_steps) == 1


def _row_top(i: int) -> float:
    return i * (TILE_H + GAP_H)


def _exact_dtype(values: np.ndarray) -> type[np.floating]:
    """float32 when it holds every value exactly (half the bytes), else float64 (steps past 2^24)."""
    finite = values[np.isfinite(values)]
    return np.float32 if np.array_equal(finite.astype(np.float32).astype(np.float64), finite) else np.float64


@dataclass(frozen=True)
class PerformanceFrame:
    """Which steps the lines are drawn over, and how they are averaged.

    ``keep``: ``(T,)`` mask of the tensor's steps the lines use (every step when the figure holds
    every step, else the steps in the range); ``time_bin``: steps per point; ``first``, ``last``,
    ``centre``: ``(T',)`` the first, last and mean step of each point.
    """

    keep: np.ndarray
    time_bin: int
    first: np.ndarray
    last: np.ndarray
    centre: np.ndarray

    @classmethod
    def of(
        cls, steps: np.ndarray, n_series: int, n_classes: int, x_range: tuple[float, float] | None
    ) -> PerformanceFrame:
        steps = np.asarray(steps, dtype=np.float64)
        every = holds_every_step(n_series, n_classes, len(steps))
        keep = np.ones(len(steps), dtype=bool) if every else _steps_in_range(steps, x_range)
        shown = steps[keep]
        b = 1 if every else _step_bin(n_series, n_classes, len(shown))
        return cls(
            keep, b, bin_steps(shown, b, "first"), bin_steps(shown, b, "last"), bin_steps(shown, b, "mean")
        )


def _view_window(steps: np.ndarray, x_range: tuple[float, float] | None) -> tuple[float, float] | None:
    """``(first, last)`` logged step inside ``x_range`` (all steps without one), None if none is."""
    steps = np.asarray(steps, dtype=np.float64)
    shown = steps[_steps_in_range(steps, x_range)]
    return (float(shown[0]), float(shown[-1])) if shown.size else None


def _axis_range(steps: np.ndarray, x_range: tuple[float, float] | None) -> list[float]:
    """The x-axis range of every metric subplot: the shown steps with 2 % padding (half a step
    either side of a single step); the range itself when it holds no logged step."""
    window = _view_window(steps, x_range)
    if window is None:
        window = (float(min(x_range)), float(max(x_range))) if x_range is not None else (0.0, 1.0)
    lo, hi = window
    pad = (hi - lo) * 0.02 if hi > lo else 0.5
    return [lo - pad, hi + pad]


EPOCH_LINE = {"color": EPOCH_COLOR, "width": 1, "dash": "dash"}


def _marker_span(n_classes: int) -> tuple[float, float]:
    """The y extent of an epoch marker: every class row, a little beyond."""
    return (-0.02, _row_top(n_classes) - GAP_H + 0.02)


def class_performance_epoch_shapes(
    steps: np.ndarray, n_classes: int, *, epoch: float | None, x_range: tuple[float, float] | None = None
) -> list[dict]:
    """The dashed epoch markers of :func:`build_class_performance_figure`: one line at x = epoch
    in each metric subplot, none when the epoch lies outside the shown steps.

    The complete ``layout.shapes`` of that figure, so an app can move the marker with
    ``patch["layout"]["shapes"] = class_performance_epoch_shapes(...)`` without resending the lines.
    """
    window = _view_window(steps, x_range)
    if epoch is None or window is None or not (window[0] <= float(epoch) <= window[1]):
        return []
    y0, y1 = _marker_span(n_classes)
    return [
        {
            "type": "line",
            "xref": axis_ref(m),
            "yref": "y",
            "x0": float(epoch),
            "x1": float(epoch),
            "y0": y0,
            "y1": y1,
            "line": dict(EPOCH_LINE),
            "layer": "above",
            "name": EPOCH_MARKER_NAME,
        }
        for m in range(len(METRICS))
    ]


def class_performance_epoch_meta(
    steps: np.ndarray, n_classes: int, *, x_range: tuple[float, float] | None = None
) -> dict:
    """``layout.meta`` from which the browser redraws :func:`class_performance_epoch_shapes` for
    any epoch (one recipe per metric subplot, see
    :func:`confusionflow.components.figure_style.epoch_marker_meta`); empty when no step is shown."""
    window = _view_window(steps, x_range)
    if window is None:
        return {}
    recipes = [
        epoch_marker_meta(
            kind="lines",
            offsets=[0.0],  # x = epoch: the axes are in step numbers
            span=_marker_span(n_classes),
            line=EPOCH_LINE,
            visible=window,
            xref=axis_ref(m),
        )
        for m in range(len(METRICS))
    ]
    key = next(iter(recipes[0]))
    return {key: [r[key] for r in recipes]}


def _summary(
    window: tuple[float, float] | None, x_range: tuple[float, float] | None, step_name: str, time_bin: int
) -> str:
    """The line under the subplots: which steps are shown, how a row reads, any averaging."""
    name = plain(step_name)
    if window is None:
        lo, hi = sorted(x_range) if x_range is not None else (0.0, 0.0)
        return f"no logged {name} in {format_step(lo)}–{format_step(hi)}"
    lo, hi = window
    shown = f"{name} {format_step(lo)}" if lo == hi else f"{name}s {format_step(lo)}–{format_step(hi)}"
    text = f"{shown} · each class row from 0 (bottom) to 1 (top)"
    if time_bin > 1:
        text += f" · each point the mean of up to {time_bin} logged {name}s"
    return text


def class_performance_view(
    steps: np.ndarray,
    n_classes: int,
    *,
    epoch: float | None = None,
    x_range: tuple[float, float] | None = None,
    step_name: str = "epoch",
    time_bin: int = 1,
) -> dict[str, Any]:
    """Everything of the figure that depends on the step range (and the epoch marker on it).

    ``{"range": [lo, hi] of every metric x axis, "shapes": the epoch markers, "meta": their
    recipe, "summary": the line saying which steps are shown}``. The builder draws exactly this;
    :func:`apply_view` writes it into a figure or a ``dash.Patch`` so that a range change resends
    nothing else.
    """
    return {
        "range": _axis_range(steps, x_range),
        "shapes": class_performance_epoch_shapes(steps, n_classes, epoch=epoch, x_range=x_range),
        "meta": class_performance_epoch_meta(steps, n_classes, x_range=x_range),
        "summary": _summary(_view_window(steps, x_range), x_range, step_name, time_bin),
    }


def apply_view(target: Any, view: Mapping[str, Any]) -> Any:
    """Write :func:`class_performance_view`'s ``view`` into ``target`` (a ``dash.Patch()``, a
    figure dict or a ``go.Figure``) and return it: the three x-axis ranges, the shapes, the
    marker recipe and the summary text; nothing else is touched."""
    layout = target["layout"]
    for m in range(len(METRICS)):
        layout[axis_name(m)]["range"] = list(view["range"])
    layout["shapes"] = view["shapes"]
    layout["meta"] = view["meta"]
    layout["annotations"][SUMMARY_ANNOTATION]["text"] = view["summary"]
    return target


def class_performance_series_traces(
    metrics: TensorMetrics,
    steps: np.ndarray,
    classes: Sequence[str],
    series_labels: Sequence[str],
    colors: Sequence[str],
    *,
    series: Sequence[int],
    x_range: tuple[float, float] | None = None,
    step_name: str = "epoch",
) -> list[dict]:
    """The line traces of the series ``series`` (indices into ``series_labels``): three per series
    (precision, recall, F1), in that order, as :func:`build_class_performance_figure` draws them
    after its backgrounds; so a figure of the first ``k`` series plus these traces of series
    ``k..`` is the figure of them all (when :func:`holds_every_step` for all of them).

    Each trace holds every class of one (series, metric), NaN between classes: class ``i``'s
    points are ``i * points_per_class(...)`` onwards (:func:`decode_class_click` reads the class
    from the point number). ``x``: step numbers (the mean step of a point when steps are
    averaged); ``y``: row top + (1 - value); ``customdata`` per point: ``[step, value]``, or
    ``[first step, value, last step]`` when steps are averaged. The step is sent although it is
    ``x``: the hover prints it exactly (as ``format_step``), and ``%{x}`` would print the axis's
    hover label (``1.234568M``, ``0.3``) instead.
    """
    steps = np.asarray(steps, dtype=np.float64)
    n_s, n_c = len(series_labels), len(classes)
    colors = check_colors(colors, n_s)
    frame = PerformanceFrame.of(steps, n_s, n_c, x_range)
    names, labels = plain_all(classes), plain_all(series_labels)
    name = plain(step_name)
    n_t = len(frame.first)
    # one dtype for steps and values, exact for the steps: float32 values print as ``.1%`` like
    # float64 ones except on a rounding tie (4.75 % reads 4.7 % from float32): kept as it was
    dtype = _exact_dtype(np.concatenate([frame.first, frame.last, frame.centre]))
    gap = np.full((n_c, 1), np.nan)
    first_col = np.tile(np.append(frame.first, np.nan), n_c)
    last_col = np.tile(np.append(frame.last, np.nan), n_c)
    x: np.ndarray = np.tile(np.append(frame.centre, np.nan), n_c).astype(dtype)
    tops = np.array([_row_top(i) for i in range(n_c)], dtype=np.float64)
    point_classes = [c for c in names for _ in range(n_t + 1)]
    binned = frame.time_bin > 1
    when = f"{name}s %{{customdata[0]}}–%{{customdata[2]}} (mean)" if binned else f"{name} %{{customdata[0]}}"
    out: list[dict] = []
    for s in series:
        for m, metric in enumerate(METRICS):
            values = np.asarray(getattr(metrics, metric), dtype=np.float64)[s][frame.keep]
            vals = bin_mean(values, frame.time_bin, axis=0).T  # (C, T')
            y = np.concatenate([tops[:, None] + (1 - vals) * TILE_H, gap], axis=1).ravel()
            v = np.concatenate([vals, gap], axis=1).ravel()
            columns = [first_col, v, last_col] if binned else [first_col, v]
            out.append(
                {
                    "type": "scatter",
                    "xaxis": axis_ref(m),
                    "yaxis": "y",
                    "mode": "lines+markers" if n_t <= 30 else "lines",
                    "x": x,
                    "y": y.astype(np.float32),
                    "customdata": np.stack(columns, axis=1).astype(dtype),
                    "line": {"color": colors[s], "width": 1.5},
                    "marker": {"size": 3, "color": colors[s]},
                    "connectgaps": False,
                    "name": labels[s],
                    "text": point_classes,  # the hover names the class of the point
                    "hovertemplate": f"%{{text}}: {METRIC_TITLES[metric]} %{{customdata[1]:.1%}}"
                    f"<br>{labels[s]}<br>{when}<extra></extra>",
                }
            )
    return out


def points_per_class(
    steps: np.ndarray, n_series: int, n_classes: int, x_range: tuple[float, float] | None = None
) -> int:
    """Points of one class in a line trace of the figure over ``steps`` (its points and the NaN
    gap after them), as :func:`class_performance_series_traces` lays them out."""
    return len(PerformanceFrame.of(steps, n_series, n_classes, x_range).first) + 1


def _backgrounds(steps: np.ndarray, names: Sequence[str]) -> list[dict]:
    """One light heatmap per metric subplot, a brick per class row: the tiles' backgrounds and
    the click target of a tile (its hover names class and metric)."""
    lo, hi = float(np.min(steps)), float(np.max(steps))
    span = max(hi - lo, 1.0)  # wider than any padded axis range, so a row is filled at any range
    return [
        {
            "type": "heatmap",
            "xaxis": axis_ref(m),
            "yaxis": "y",
            "z": np.zeros((len(names), 1), dtype=np.uint8),
            "x": [lo - span, hi + span],  # the brick edges
            "y0": TILE_H / 2,
            "dy": TILE_H + GAP_H,
            "ygap": 2,
            "colorscale": [[0, "#f6f6f6"], [1, "#f6f6f6"]],
            "showscale": False,
            "text": np.array([[f"{c} · {METRIC_TITLES[metric]}"] for c in names], dtype=object),
            "hovertemplate": "%{text}<extra></extra>",
            "name": f"{METRIC_TITLES[metric]} tiles",
        }
        for m, metric in enumerate(METRICS)
    ]


def build_class_performance_figure(
    metrics: TensorMetrics,
    steps: np.ndarray,
    classes: Sequence[str],
    series_labels: Sequence[str],
    colors: Sequence[str],
    *,
    epoch: float | None = None,
    x_range: tuple[float, float] | None = None,
    step_name: str = "epoch",
) -> go.Figure:
    """Precision, recall and F1 over time per class: three subplots (one per metric), classes
    stacked as rows in each (see the module docstring for the trace order).

    When :func:`holds_every_step`, the lines hold every logged step and ``x_range`` only sets the
    x axes (so a range change is :func:`class_performance_view` alone); otherwise they hold the
    steps in ``x_range``, each point the mean over consecutive steps (its hover names the steps it
    covers) so that all lines stay within ``CLASS_POINT_BUDGET`` points and, above
    ``LINES_MAX_CLASSES`` classes, each line within ``TILE_WIDTH_PX`` points.
    """
    steps = np.asarray(steps, dtype=np.float64)
    n_s, n_c = len(series_labels), len(classes)
    if n_s == 0 or n_c == 0 or len(steps) == 0:
        return empty_figure(height=260)
    frame = PerformanceFrame.of(steps, n_s, n_c, x_range)
    if not frame.keep.any():
        return empty_figure("No logged step in the selected range.", height=260)
    colors = check_colors(colors, n_s)
    names = plain_all(classes)
    data = _backgrounds(steps[frame.keep], names) + class_performance_series_traces(
        metrics,
        steps,
        classes,
        series_labels,
        colors,
        series=range(n_s),
        x_range=x_range,
        step_name=step_name,
    )
    view = class_performance_view(
        steps, n_c, epoch=epoch, x_range=x_range, step_name=step_name, time_bin=frame.time_bin
    )
    total_h = _row_top(n_c) - GAP_H
    longest = max(len(c) for c in classes)
    margin = {"l": int(np.clip(36 + 7 * longest, 70, 220)), "r": 10, "t": MARGIN_T, "b": MARGIN_B}
    axes = {
        axis_name(m): {
            "domain": [m * (SUBPLOT_W + SUBPLOT_GAP), m * (SUBPLOT_W + SUBPLOT_GAP) + SUBPLOT_W],
            "anchor": "y",
            "range": list(view["range"]),
            "title": {"text": plain(step_name), "font": {"size": 11}, "standoff": 2},
            "tickfont": {"size": 10},
            "nticks": 4,
            "ticks": "outside",
            "showline": True,
            "linecolor": AXIS_LINE_COLOR,
            "showgrid": True,
            "gridcolor": GRID_COLOR,
            "zeroline": False,
            "fixedrange": True,
        }
        for m in range(len(METRICS))
    }
    layout = base_layout(
        height=int(n_c * ROW_PX + margin["t"] + margin["b"]),
        margin=margin,
        **axes,
        yaxis={
            "range": [total_h + 0.05, -0.05],
            "title": {"text": "class", "standoff": 4},
            "tickmode": "array",
            "tickvals": [_row_top(i) + TILE_H / 2 for i in range(n_c)],
            "ticktext": names,
            "showgrid": False,
            "zeroline": False,
            "fixedrange": True,
        },
        annotations=[
            {
                "x": 0.5,
                "y": 1.0,
                "xref": f"{axis_ref(m)} domain",
                "yref": "paper",
                "yanchor": "bottom",
                "text": f"<b>{METRIC_TITLES[metric]}</b>",
                "showarrow": False,
            }
            for m, metric in enumerate(METRICS)
        ]
        + [
            {
                "x": 0,
                "y": 0,
                "xref": "paper",
                "yref": "paper",
                "yanchor": "top",
                "xanchor": "left",
                "yshift": -40,
                "showarrow": False,
                "font": {"size": 10, "color": MUTED_COLOR},
                "text": view["summary"],
            }
        ],
        shapes=view["shapes"],
        meta=view["meta"],
        hoverdistance=10,
        uirevision="class-performance",
    )
    return go.Figure(data=data, layout=layout)


def decode_class_click(point: Mapping[str, Any], per_class: int) -> tuple[int, Metric] | None:
    """``(class index, metric)`` for a click on :func:`build_class_performance_figure`, else None.

    A background heatmap (traces 0..2, one per metric) gives the metric by its trace number and
    the class by its ``pointNumber`` ``[class, 0]`` or, as Dash drops array-valued point fields,
    by the point's ``row`` (its y in axis units, added in the browser): the nearest row centre. A
    line point gives the metric from its trace number (three traces per series after the
    backgrounds) and the class from its point number: ``per_class`` points per class
    (:func:`points_per_class`, recomputed by the server); when the point carries its ``row``, the
    row it lies in must be that class (else the figure the browser clicked is not the one the
    server expects). The caller checks the class index.
    """
    if not isinstance(point, Mapping):
        return None
    cn = point.get("curveNumber")
    if not isinstance(cn, int) or isinstance(cn, bool) or cn < 0:
        return None
    row = point.get("row")
    if isinstance(row, bool) or not isinstance(row, (int, float)) or not np.isfinite(row):
        row = None
    row_class = None if row is None else int(round((float(row) - TILE_H / 2) / (TILE_H + GAP_H)))
    if cn < BACKGROUND_TRACES:
        idx = point.get("pointNumber", point.get("pointIndex"))
        if isinstance(idx, (list, tuple)) and len(idx) == 2:
            i = int(idx[0])
        elif row_class is not None:
            i = row_class
        else:
            return None
        return (i, METRICS[cn]) if i >= 0 else None
    number = point.get("pointNumber", point.get("pointIndex"))
    if not isinstance(number, int) or isinstance(number, bool) or number < 0 or per_class < 2:
        return None
    cls, offset = divmod(number, per_class)
    if offset == per_class - 1 or (row_class is not None and row_class != cls):
        return None  # the NaN gap after a class (never drawn), or another figure's point
    return cls, METRICS[(cn - BACKGROUND_TRACES) % len(METRICS)]
