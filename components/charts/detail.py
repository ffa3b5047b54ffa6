"""View C, the detail chart: one measure of one clicked tile or class over time, a line per series."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from confusionflow.components.figure_style import (
    GRID_COLOR,
    as_2d,
    base_layout,
    check_colors,
    empty_figure,
    epoch_line_meta,
    epoch_line_shape,
    step_axis,
)
from confusionflow.components.text import plain


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
    colors = check_colors(colors, n_s)
    fmt = ":.1%" if percent else ":,.4~g"
    data = []
    for s in range(n_s):
        trace: dict[str, Any] = {
            "type": "scatter",
            "mode": "lines+markers" if steps.size <= 60 else "lines",
            "x": steps,
            "y": vals[s],
            "name": plain(series_labels[s]),
            "connectgaps": False,
            "line": {"color": colors[s], "width": 2},
            "marker": {"size": 5, "color": colors[s]},
            "hovertemplate": f"{plain(series_labels[s])}<br>{step_name} %{{x}}<br>{plain(y_title)} %{{y{fmt}}}",
        }
        if counts is not None:
            trace["customdata"] = np.asarray(counts, dtype=np.float64)[s]
            trace["hovertemplate"] += " (%{customdata:,.0f} instances)"
        trace["hovertemplate"] += "<extra></extra>"
        data.append(trace)
    layout = base_layout(
        height=380,
        margin={"l": 70, "r": 20, "t": 50, "b": 50},
        title={"text": plain(title), "x": 0, "xanchor": "left", "font": {"size": 15}},
        xaxis=step_axis(step_name, x_range=x_range),
        yaxis={
            "title": {"text": plain(y_title)},
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
