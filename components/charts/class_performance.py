"""View B, class performance: precision, recall and F1 over time per class, as small multiples.

Pure builder: ``confusionflow.data_access.metrics.TensorMetrics`` in, ``go.Figure`` out. Arrays are ``(S, T, C)``
with NaN where a series did not log a step; NaN stays a gap in every line. Class and series names
are escaped with :func:`confusionflow.components.text.plain`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import plotly.graph_objects as go

from confusionflow.components.downsample import bin_mean, bin_steps, smallest_bin
from confusionflow.components.figure_style import (
    EPOCH_COLOR,
    EPOCH_MARKER_NAME,
    MUTED_COLOR,
    base_layout,
    check_colors,
    empty_figure,
    epoch_marker_meta,
    format_step,
)
from confusionflow.components.text import plain_all
from confusionflow.data_access.metrics import TensorMetrics

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


def _steps_in_range(steps: np.ndarray, x_range: tuple[float, float] | None) -> np.ndarray:
    """Boolean mask of the steps inside ``x_range`` (inclusive), all steps when it is None."""
    if x_range is None:
        return np.ones(len(steps), dtype=bool)
    lo, hi = sorted((float(x_range[0]), float(x_range[1])))
    return (steps >= lo) & (steps <= hi)


def _step_bin(lines: int, n_steps: int) -> int:
    """Steps per point so that ``lines`` lines of ``n_steps`` points stay within the budget."""
    return smallest_bin(n_steps, lambda cols: lines * (cols + 1), CLASS_POINT_BUDGET)


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
    any epoch (see :func:`confusionflow.components.figure_style.epoch_marker_meta`); empty when no step is shown."""
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
    colors = check_colors(colors, n_s)
    names, labels = plain_all(classes), plain_all(series_labels)
    shown = steps[keep]
    scale = ClassGridScale(float(shown[0]), float(shown[-1]))
    b = _step_bin(n_s * len(METRICS) * n_c, len(shown))
    first, last = bin_steps(shown, b, "first"), bin_steps(shown, b, "last")
    centre = bin_steps(shown, b, "mean")
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
            "text": np.array([[f"{c} · {METRIC_TITLES[m]}" for m in METRICS] for c in names], dtype=object),
            "hovertemplate": "%{text}<extra></extra>",
            "name": "tiles",
        }
    ]
    class_idx = np.repeat(np.arange(n_c, dtype=np.float32), n_t + 1)
    point_classes = [name for name in names for _ in range(n_t + 1)]
    first_col = np.tile(np.append(first, np.nan), n_c).astype(np.float32)
    last_col = np.tile(np.append(last, np.nan), n_c).astype(np.float32)
    when = (
        f"{step_name}s %{{customdata[0]}}–%{{customdata[3]}} (mean)"
        if b > 1
        else f"{step_name} %{{customdata[0]}}"
    )
    for s in range(n_s):
        for m, metric in enumerate(METRICS):
            vals = bin_mean(
                np.asarray(getattr(metrics, metric), dtype=np.float64)[s][keep], b, axis=0
            )  # (T', C)
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
                    "name": labels[s],
                    "text": point_classes,  # the hover names the class of the point
                    "hovertemplate": f"%{{text}}: {METRIC_TITLES[metric]} %{{customdata[1]:.1%}}"
                    f"<br>{labels[s]}<br>{when}<extra></extra>",
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
            "ticktext": names,
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
