"""View B, class sizes: instances per class per series at one step, as grouped bars."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from confusionflow.components.figure_style import (
    AXIS_LINE_COLOR,
    GRID_COLOR,
    base_layout,
    check_colors,
    empty_figure,
)
from confusionflow.components.text import plain, plain_all


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
    colors = check_colors(colors, n_s)
    data = [
        {
            "type": "bar",
            "x": plain_all(classes),
            "y": sup[s],
            "name": plain(series_labels[s]),
            "marker": {"color": colors[s]},
            "hovertemplate": f"class %{{x}}<br>{plain(series_labels[s])}<br>%{{y:,.0f}} instances<extra></extra>",
        }
        for s in range(n_s)
    ]
    layout = base_layout(
        height=280,
        margin={"l": 60, "r": 10, "t": 40, "b": 60},
        title={
            "text": f"Instances per class · {plain(step_label)}",
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
