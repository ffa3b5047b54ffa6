"""View D, the timeline: the accuracy-over-time strip that is the time control of every view."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from confusionflow.components.charts.wall_clock import SEPARATOR, step_line, time_notes
from confusionflow.components.figure_style import (
    GRID_COLOR,
    as_2d,
    base_layout,
    check_colors,
    empty_figure,
    epoch_line_meta,
    epoch_line_shape,
    format_step,
    range_band_shape,
    step_axis,
)
from confusionflow.components.text import plain


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
    wall_times: np.ndarray | None = None,
) -> go.Figure:
    """A compact accuracy-over-time strip that is the time control of every view.

    ``dragmode="select"`` restricted to x: brushing gives Dash ``selectedData["range"]["x"]``.
    Trace 0 is a transparent heatmap with one brick per logged step spanning the whole height, so a
    click anywhere gives ``clickData["points"][0]["x"]`` = that step. The selected range is a
    shaded band and the epoch a dashed line (see :func:`timeline_shapes`). The x axis always shows
    every step: this is the overview the range is chosen from. ``wall_times`` (optional, ``(S, T)``
    Unix seconds, NaN where unknown) adds when each series logged each step to the hovers.
    """
    steps = np.asarray(steps, dtype=np.float64)
    acc = as_2d(accuracy, "accuracy")
    n_s = acc.shape[0]
    if n_s == 0 or steps.size == 0:
        return empty_figure("Nothing selected: no series or no logged steps.", height=140)
    if acc.shape[1] != steps.size:
        raise ValueError(f"accuracy has {acc.shape[1]} steps but {steps.size} steps were given")
    colors = check_colors(colors, n_s)
    labels = (
        [plain(s) for s in series_labels]
        if series_labels is not None
        else [f"series {s + 1}" for s in range(n_s)]
    )
    times = np.full(acc.shape, np.nan) if wall_times is None else as_2d(wall_times, "wall_times")
    if times.shape != acc.shape:
        raise ValueError(f"wall_times must have shape (series, steps) = {acc.shape}; got {times.shape}")
    notes = time_notes(steps, times, step_name)

    def series_line(s: int, t: int) -> str:
        if not np.isfinite(acc[s, t]):
            return f"{labels[s]}: not logged"
        note = notes[s][t]
        return f"{labels[s]}: {acc[s, t]:.1%}" + (SEPARATOR + note if note else "")

    # hover anywhere over a step lists every series' accuracy there, and when each logged it
    text = [
        "<br>".join([f"{step_name} {format_step(step)}"] + [series_line(s, t) for s in range(n_s)])
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
                "text": [step_line(step, notes[s][t], step_name) for t, step in enumerate(steps.tolist())],
                "hovertemplate": f"{labels[s]}<br>%{{text}}<br>accuracy %{{y:.1%}}<extra></extra>",
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
