"""Figures of views B (class performance, class sizes), C (detail chart) and D (timeline).

Pure builders: arrays in, ``go.Figure`` out. They never compute a metric; callers pass
``data_access.metrics.TensorMetrics`` or arrays sliced from it. Arrays are ``(S, T)`` or
``(S, T, C)`` with NaN where a series did not log a step; NaN stays a gap in every line.
Steps are the real logged step numbers (x axes show them, not indices).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import plotly.graph_objects as go

from components.figure_style import (
    AXIS_LINE_COLOR,
    EPOCH_COLOR,
    EPOCH_MARKER_NAME,
    GRID_COLOR,
    MUTED_COLOR,
    as_2d,
    base_layout,
    empty_figure,
    epoch_line_shape,
    epoch_marker_meta,
    format_step,
    range_band_shape,
    step_axis,
)
from data_access.metrics import TensorMetrics

Metric = Literal["precision", "recall", "f1"]
METRICS: tuple[Metric, ...] = ("precision", "recall", "f1")
METRIC_TITLES: dict[str, str] = {"precision": "precision", "recall": "recall", "f1": "F1"}

# class-performance small multiples, in data units of the one pair of axes they share
TILE_W = 1.0
TILE_H = 1.0
GAP_W = 0.12
GAP_H = 0.28
ROW_PX = 46  # on-screen height of one class row
# Line points (all series, metrics, classes) above which consecutive steps are averaged: a tile is
# ~300 px wide, and each point costs ~25 bytes of JSON.
CLASS_POINT_BUDGET = 150_000


def _check_colors(colors: Sequence[str], n: int) -> list[str]:
    colors = list(colors)
    if len(colors) < n:
        raise ValueError(f"{n} series need {n} colours, got {len(colors)}")
    return colors[:n]


def _steps_in_range(steps: np.ndarray, x_range: tuple[float, float] | None) -> np.ndarray:
    """Boolean mask of the steps inside ``x_range`` (inclusive), all steps when it is None."""
    if x_range is None:
        return np.ones(len(steps), dtype=bool)
    lo, hi = sorted((float(x_range[0]), float(x_range[1])))
    return (steps >= lo) & (steps <= hi)


# ---------------------------------------------------------------------------- class performance
def _step_bin(lines: int, n_steps: int) -> int:
    """Steps per point so that ``lines`` lines of ``n_steps`` points stay within the budget."""
    for b in range(1, max(n_steps, 1) + 1):
        if lines * (-(-n_steps // b) + 1) <= CLASS_POINT_BUDGET:
            return b
    return max(n_steps, 1)


def _bin_rows(a: np.ndarray, b: int) -> np.ndarray:
    """``(T, ...)`` -> ``(ceil(T / b), ...)``: mean over each group of ``b`` rows, NaN ignored."""
    if b == 1:
        return a
    t = a.shape[0]
    n = -(-t // b)
    padded = np.concatenate([a, np.full((n * b - t, *a.shape[1:]), np.nan)]) if n * b != t else a
    groups = padded.reshape(n, b, *a.shape[1:])
    finite = np.isfinite(groups)
    count = finite.sum(axis=1)
    return np.where(count > 0, np.where(finite, groups, 0.0).sum(axis=1) / np.maximum(count, 1), np.nan)


def _bin_steps(steps: np.ndarray, b: int, how: Literal["first", "last", "mean"]) -> np.ndarray:
    """The first, last or mean step of each group of ``b`` steps."""
    groups = [steps[i : i + b] for i in range(0, len(steps), b)]
    if how == "first":
        return np.array([g[0] for g in groups])
    if how == "last":
        return np.array([g[-1] for g in groups])
    return np.array([g.mean() for g in groups])


@dataclass(frozen=True)
class ClassGridScale:
    """Maps a step to x inside a metric column: ``x = column * (TILE_W + GAP_W) + (step - lo) * k``."""

    lo: float
    hi: float

    def x(self, steps: np.ndarray, column: int) -> np.ndarray:
        span = self.hi - self.lo
        rel = (
            (np.asarray(steps, dtype=np.float64) - self.lo) / span
            if span > 0
            else np.full(np.shape(steps), 0.5)
        )
        return column * (TILE_W + GAP_W) + rel * TILE_W


def _row_top(i: int) -> float:
    return i * (TILE_H + GAP_H)


def class_performance_epoch_shapes(
    steps: np.ndarray, n_classes: int, *, epoch: float | None, x_range: tuple[float, float] | None = None
) -> list[dict]:
    """The dashed epoch markers of :func:`build_class_performance_figure` (one per metric column).

    The complete ``layout.shapes`` of that figure, so an app can move the marker with
    ``patch["layout"]["shapes"] = class_performance_epoch_shapes(...)`` without resending the lines.
    """
    steps = np.asarray(steps, dtype=np.float64)
    shown = steps[_steps_in_range(steps, x_range)]
    if epoch is None or shown.size == 0 or not (shown[0] <= float(epoch) <= shown[-1]):
        return []
    scale = ClassGridScale(float(shown[0]), float(shown[-1]))
    bottom = _row_top(n_classes) - GAP_H
    out = []
    for m in range(len(METRICS)):
        x = float(scale.x(np.array([float(epoch)]), m)[0])
        out.append(
            {
                "type": "line",
                "xref": "x",
                "yref": "y",
                "x0": x,
                "x1": x,
                "y0": -0.02,
                "y1": bottom + 0.02,
                "line": {"color": EPOCH_COLOR, "width": 1, "dash": "dash"},
                "layer": "above",
                "name": EPOCH_MARKER_NAME,
            }
        )
    return out


def class_performance_epoch_meta(
    steps: np.ndarray, n_classes: int, *, x_range: tuple[float, float] | None = None
) -> dict:
    """``layout.meta`` from which the browser redraws :func:`class_performance_epoch_shapes` for
    any epoch (see :func:`components.figure_style.epoch_marker_meta`); empty when no step is shown."""
    steps = np.asarray(steps, dtype=np.float64)
    shown = steps[_steps_in_range(steps, x_range)]
    if shown.size == 0:
        return {}
    lo, hi = float(shown[0]), float(shown[-1])
    columns = [m * (TILE_W + GAP_W) for m in range(len(METRICS))]
    return epoch_marker_meta(
        kind="lines",
        # ClassGridScale: x = column + (step - lo) / (hi - lo) * TILE_W, the middle if hi == lo
        offsets=columns if hi > lo else [c + 0.5 * TILE_W for c in columns],
        span=(-0.02, _row_top(n_classes) - GAP_H + 0.02),
        line={"color": EPOCH_COLOR, "width": 1, "dash": "dash"},
        origin=lo,
        scale=TILE_W / (hi - lo) if hi > lo else 0.0,
        visible=(lo, hi),
    )


def epoch_line_meta() -> dict:
    """``layout.meta`` for a figure whose only epoch marker is :func:`epoch_line_shape` (timeline,
    detail chart): one dashed line at x = epoch spanning the plot height."""
    return epoch_marker_meta(
        kind="lines",
        offsets=[0.0],
        span=(0.0, 1.0),
        line={"color": EPOCH_COLOR, "width": 1.5, "dash": "dash"},
        yref="paper",
    )


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
    """Precision, recall and F1 over time per class: C rows x 3 columns of small tiles.

    All tiles share one pair of axes (no subplots): tile (class ``i``, metric ``m``) spans x in
    ``[m * (1 + GAP_W), m * (1 + GAP_W) + 1]`` (the shown steps, stretched) and y in
    ``[i * (1 + GAP_H), i * (1 + GAP_H) + 1]`` with the axis pointing down, value 1 at the top.
    Trace 0 is a light heatmap of tile backgrounds (one brick per tile, also the click target);
    then one line trace per (series, metric) with NaN breaks between classes. Each line point's
    ``customdata`` is ``[first step, value, class index, last step]``, so hover shows the real
    step and value. Above ``CLASS_POINT_BUDGET`` points, each point is the mean over consecutive
    steps (its hover names the steps it covers).
    """
    steps = np.asarray(steps, dtype=np.float64)
    n_s, n_c = len(series_labels), len(classes)
    keep = _steps_in_range(steps, x_range)
    if n_s == 0 or n_c == 0 or not keep.any():
        return empty_figure(height=260)
    colors = _check_colors(colors, n_s)
    shown = steps[keep]
    scale = ClassGridScale(float(shown[0]), float(shown[-1]))
    b = _step_bin(n_s * len(METRICS) * n_c, len(shown))
    first, last = _bin_steps(shown, b, "first"), _bin_steps(shown, b, "last")
    centre = _bin_steps(shown, b, "mean")
    n_t = len(first)
    data: list[dict] = [
        {
            "type": "heatmap",
            "z": np.zeros((n_c, len(METRICS)), dtype=np.uint8),
            "x0": TILE_W / 2,
            "dx": TILE_W + GAP_W,
            "y0": TILE_H / 2,
            "dy": TILE_H + GAP_H,
            "xgap": 2,
            "ygap": 2,
            "colorscale": [[0, "#f6f6f6"], [1, "#f6f6f6"]],
            "showscale": False,
            "text": np.array([[f"{c} · {METRIC_TITLES[m]}" for m in METRICS] for c in classes], dtype=object),
            "hovertemplate": "%{text}<extra></extra>",
            "name": "tiles",
        }
    ]
    class_idx = np.repeat(np.arange(n_c, dtype=np.float32), n_t + 1)
    first_col = np.tile(np.append(first, np.nan), n_c).astype(np.float32)
    last_col = np.tile(np.append(last, np.nan), n_c).astype(np.float32)
    when = (
        f"{step_name}s %{{customdata[0]}}–%{{customdata[3]}} (mean)"
        if b > 1
        else f"{step_name} %{{customdata[0]}}"
    )
    for s in range(n_s):
        for m, metric in enumerate(METRICS):
            vals = _bin_rows(np.asarray(getattr(metrics, metric), dtype=np.float64)[s][keep], b)  # (T', C)
            x = np.tile(np.append(scale.x(centre, m), np.nan), n_c)
            tops = np.array([_row_top(i) for i in range(n_c)])
            y = tops[:, None] + (1 - vals.T) * TILE_H  # (C, T')
            y = np.concatenate([y, np.full((n_c, 1), np.nan)], axis=1).ravel()
            v = np.concatenate([vals.T, np.full((n_c, 1), np.nan)], axis=1).ravel()
            data.append(
                {
                    "type": "scatter",
                    "mode": "lines+markers" if n_t <= 30 else "lines",
                    "x": x.astype(np.float32),
                    "y": y.astype(np.float32),
                    "customdata": np.stack([first_col, v.astype(np.float32), class_idx, last_col], axis=1),
                    "line": {"color": colors[s], "width": 1.5},
                    "marker": {"size": 3, "color": colors[s]},
                    "connectgaps": False,
                    "name": series_labels[s],
                    "hovertemplate": f"{series_labels[s]}<br>{METRIC_TITLES[metric]} %{{customdata[1]:.1%}}"
                    f"<br>{when}<extra></extra>",
                }
            )
    total_w = len(METRICS) * (TILE_W + GAP_W) - GAP_W
    total_h = _row_top(n_c) - GAP_H
    longest = max(len(c) for c in classes)
    margin = {"l": int(np.clip(16 + 7 * longest, 50, 200)), "r": 10, "t": 36, "b": 30}
    layout = base_layout(
        height=int(n_c * ROW_PX + margin["t"] + margin["b"]),
        margin=margin,
        xaxis={
            "range": [-0.03, total_w + 0.03],
            "showgrid": False,
            "zeroline": False,
            "showticklabels": False,
            "fixedrange": True,
        },
        yaxis={
            "range": [total_h + 0.05, -0.05],
            "tickmode": "array",
            "tickvals": [_row_top(i) + TILE_H / 2 for i in range(n_c)],
            "ticktext": list(classes),
            "showgrid": False,
            "zeroline": False,
            "fixedrange": True,
        },
        annotations=[
            {
                "x": m * (TILE_W + GAP_W) + TILE_W / 2,
                "y": 1.0,
                "xref": "x",
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
                "yshift": -6,
                "showarrow": False,
                "font": {"size": 10, "color": MUTED_COLOR},
                "text": f"{step_name} {format_step(shown[0])}–{format_step(shown[-1])} in each tile; y from 0 to 1",
            }
        ],
        shapes=class_performance_epoch_shapes(steps, n_c, epoch=epoch, x_range=x_range),
        meta=class_performance_epoch_meta(steps, n_c, x_range=x_range),
        hoverdistance=10,
        uirevision="class-performance",
    )
    return go.Figure(data=data, layout=layout)


def decode_class_click(point: Mapping[str, Any]) -> tuple[int, Metric] | None:
    """``(class index, metric)`` for a click on :func:`build_class_performance_figure`, else None.

    A click on a tile background gives its ``pointNumber`` ``[class, metric column]``; a click on a
    line point gives the metric from its trace number (three traces per series after the
    background) and the class from its ``customdata``.
    """
    if not isinstance(point, Mapping):
        return None
    cn = point.get("curveNumber")
    if not isinstance(cn, int) or cn < 0:
        return None
    if cn == 0:
        idx = point.get("pointNumber", point.get("pointIndex"))
        if isinstance(idx, (list, tuple)) and len(idx) == 2:
            i, m = int(idx[0]), int(idx[1])
            if i >= 0 and 0 <= m < len(METRICS):
                return i, METRICS[m]
        return None
    custom = point.get("customdata")
    if not isinstance(custom, (list, tuple)) or len(custom) < 3 or custom[2] is None:
        return None
    try:
        cls = int(custom[2])
    except (TypeError, ValueError):
        return None
    return cls, METRICS[(cn - 1) % len(METRICS)]


# ------------------------------------------------------------------------------ class sizes
def build_distribution_figure(
    support: np.ndarray,
    classes: Sequence[str],
    series_labels: Sequence[str],
    colors: Sequence[str],
    *,
    step_label: str,
) -> go.Figure:
    """Instances per class per series as grouped bars, at the step named by ``step_label``.

    ``support``: ``(S, C)`` instance counts; NaN (a series without a record at that step) draws no
    bar. Hover shows class, series and count.
    """
    sup = np.asarray(support, dtype=np.float64)
    n_s, n_c = len(series_labels), len(classes)
    if n_s == 0 or n_c == 0:
        return empty_figure(height=260)
    if sup.shape != (n_s, n_c):
        raise ValueError(f"support must have shape (series, classes) = {(n_s, n_c)}; got {sup.shape}")
    colors = _check_colors(colors, n_s)
    data = [
        {
            "type": "bar",
            "x": list(classes),
            "y": sup[s],
            "name": series_labels[s],
            "marker": {"color": colors[s]},
            "hovertemplate": f"class %{{x}}<br>{series_labels[s]}<br>%{{y:,.0f}} instances<extra></extra>",
        }
        for s in range(n_s)
    ]
    layout = base_layout(
        height=280,
        margin={"l": 60, "r": 10, "t": 40, "b": 60},
        title={
            "text": f"Instances per class · {step_label}",
            "x": 0,
            "xanchor": "left",
            "font": {"size": 13},
        },
        barmode="group",
        bargap=0.2,
        bargroupgap=0.05,
        xaxis={"type": "category", "tickangle": -45 if n_c > 8 else 0, "linecolor": AXIS_LINE_COLOR},
        yaxis={
            "title": {"text": "instances"},
            "gridcolor": GRID_COLOR,
            "zeroline": False,
            "rangemode": "tozero",
        },
        uirevision="distribution",
    )
    return go.Figure(data=data, layout=layout)


# ------------------------------------------------------------------------------------ detail
def build_detail_figure(
    steps: np.ndarray,
    values: np.ndarray,
    series_labels: Sequence[str],
    colors: Sequence[str],
    *,
    title: str,
    y_title: str,
    percent: bool,
    epoch: float | None = None,
    x_range: tuple[float, float] | None = None,
    step_name: str = "epoch",
    counts: np.ndarray | None = None,
) -> go.Figure:
    """A large line chart of one measure over time: one line per series, NaN kept as gaps.

    ``values``: ``(S, T)``. ``percent`` formats the y axis and hover as percentages. ``counts``
    (optional, ``(S, T)``) adds the instance count to the hover text of relative values.
    """
    steps = np.asarray(steps, dtype=np.float64)
    vals = as_2d(values, "values")
    n_s = len(series_labels)
    if n_s == 0 or steps.size == 0:
        return empty_figure(height=360)
    if vals.shape != (n_s, steps.size):
        raise ValueError(f"values must have shape (series, steps) = {(n_s, steps.size)}; got {vals.shape}")
    colors = _check_colors(colors, n_s)
    fmt = ":.1%" if percent else ":,.4~g"
    data = []
    for s in range(n_s):
        trace: dict[str, Any] = {
            "type": "scatter",
            "mode": "lines+markers" if steps.size <= 60 else "lines",
            "x": steps,
            "y": vals[s],
            "name": series_labels[s],
            "connectgaps": False,
            "line": {"color": colors[s], "width": 2},
            "marker": {"size": 5, "color": colors[s]},
            "hovertemplate": f"{series_labels[s]}<br>{step_name} %{{x}}<br>{y_title} %{{y{fmt}}}",
        }
        if counts is not None:
            trace["customdata"] = np.asarray(counts, dtype=np.float64)[s]
            trace["hovertemplate"] += " (%{customdata:,.0f} instances)"
        trace["hovertemplate"] += "<extra></extra>"
        data.append(trace)
    layout = base_layout(
        height=380,
        margin={"l": 70, "r": 20, "t": 50, "b": 50},
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 15}},
        xaxis=step_axis(step_name, x_range=x_range),
        yaxis={
            "title": {"text": y_title},
            "gridcolor": GRID_COLOR,
            "zeroline": False,
            "tickformat": ".0%" if percent else None,
            "rangemode": "tozero",
        },
        shapes=[epoch_line_shape(epoch)] if epoch is not None else [],
        meta=epoch_line_meta(),
        uirevision="detail",
    )
    layout["yaxis"] = {k: v for k, v in layout["yaxis"].items() if v is not None}
    return go.Figure(data=data, layout=layout)


# ---------------------------------------------------------------------------------- timeline
def timeline_shapes(
    steps: np.ndarray, *, x_range: tuple[float, float] | None = None, epoch: float | None = None
) -> list[dict]:
    """The timeline's complete ``layout.shapes``: the selected range band and the epoch line.

    For ``patch["layout"]["shapes"] = timeline_shapes(...)`` when only the range or epoch moved.
    A range covering every step draws no band (the default is the whole range).
    """
    steps = np.asarray(steps, dtype=np.float64)
    shapes: list[dict] = []
    if x_range is not None and steps.size:
        lo, hi = sorted((float(x_range[0]), float(x_range[1])))
        if lo > steps[0] or hi < steps[-1]:
            shapes.append(range_band_shape(lo, hi))
    if epoch is not None:
        shapes.append(epoch_line_shape(epoch))
    return shapes


def build_timeline_figure(
    steps: np.ndarray,
    accuracy: np.ndarray,
    colors: Sequence[str],
    *,
    x_range: tuple[float, float] | None = None,
    epoch: float | None = None,
    series_labels: Sequence[str] | None = None,
    step_name: str = "epoch",
) -> go.Figure:
    """A compact accuracy-over-time strip that is the time control of every view.

    ``dragmode="select"`` restricted to x: brushing gives Dash ``selectedData["range"]["x"]``.
    Trace 0 is a transparent heatmap with one brick per logged step spanning the whole height, so a
    click anywhere gives ``clickData["points"][0]["x"]`` = that step. The selected range is a
    shaded band and the epoch a dashed line (see :func:`timeline_shapes`). The x axis always shows
    every step: this is the overview the range is chosen from.
    """
    steps = np.asarray(steps, dtype=np.float64)
    acc = as_2d(accuracy, "accuracy")
    n_s = acc.shape[0]
    if n_s == 0 or steps.size == 0:
        return empty_figure("Nothing selected: no series or no logged steps.", height=140)
    if acc.shape[1] != steps.size:
        raise ValueError(f"accuracy has {acc.shape[1]} steps but {steps.size} steps were given")
    colors = _check_colors(colors, n_s)
    labels = list(series_labels) if series_labels is not None else [f"series {s + 1}" for s in range(n_s)]
    # hover anywhere over a step lists every series' accuracy there (T strings: cheap)
    text = [
        "<br>".join(
            [f"{step_name} {format_step(step)}"]
            + [
                f"{labels[s]}: {acc[s, t]:.1%}" if np.isfinite(acc[s, t]) else f"{labels[s]}: not logged"
                for s in range(n_s)
            ]
        )
        for t, step in enumerate(steps)
    ]
    data: list[dict] = [
        {
            "type": "heatmap",
            "x": steps,
            "y0": 0.5,
            "dy": 1,
            "z": np.zeros((1, steps.size), dtype=np.uint8),
            "yaxis": "y2",
            "colorscale": [[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]],
            "showscale": False,
            "text": [text],
            "hovertemplate": "%{text}<extra></extra>",
            "name": "steps",
        }
    ]
    for s in range(n_s):
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": steps,
                "y": acc[s],
                "connectgaps": False,
                "name": labels[s],
                "line": {"color": colors[s], "width": 1.5},
                "hovertemplate": f"{labels[s]}<br>{step_name} %{{x}}<br>accuracy %{{y:.1%}}<extra></extra>",
            }
        )
    lo, hi = float(steps[0]), float(steps[-1])
    pad = (hi - lo) * 0.01 if hi > lo else 0.5
    layout = base_layout(
        height=130,
        margin={"l": 50, "r": 20, "t": 10, "b": 30},
        dragmode="select",
        selectdirection="h",
        hoverdistance=6,
        xaxis=step_axis(None, x_range=None, range=[lo - pad, hi + pad], fixedrange=True),
        yaxis={
            "tickformat": ".0%",
            "gridcolor": GRID_COLOR,
            "zeroline": False,
            "fixedrange": True,
            "nticks": 3,
        },
        yaxis2={"overlaying": "y", "range": [0, 1], "visible": False, "fixedrange": True},
        shapes=timeline_shapes(steps, x_range=x_range, epoch=epoch),
        meta=epoch_line_meta(),
        uirevision="timeline",
    )
    return go.Figure(data=data, layout=layout)
