"""View C, the detail chart: one measure of one clicked tile or class over time, a line per series."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from confusionflow.components.charts.wall_clock import step_line, time_notes
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

# Characters per title line: the chart sits in the side column, about 430 px wide at the narrowest
# two-column window (1100 px) and ~8 px per character of the 15 px title font. A longer title is
# wrapped (never cut), so every class name and the denominator stay readable.
TITLE_LINE_CHARS = 50
TITLE_LINE_PX = 20  # height each further title line adds above the plot
TITLE_FONT_PX = 15
TITLE_PAD_PX = 14  # from the top of the figure to the first title line
HEIGHT = 380
TOP_MARGIN = 50


def title_lines(title: str, width: int = TITLE_LINE_CHARS) -> list[str]:
    """``title`` in lines of at most ``width`` characters, broken at spaces (a word longer than a
    line, such as a long class name, is split inside it); the raw text, not yet escaped."""
    lines = textwrap.wrap(
        title,
        width=max(8, int(width)),
        break_long_words=True,
        break_on_hyphens=False,
        replace_whitespace=False,
    )
    return lines or [""]


def title_markup(title: str, width: int = TITLE_LINE_CHARS) -> str:
    """The figure title: each of :func:`title_lines` escaped (:func:`plain`), joined by ``<br>``."""
    return "<br>".join(plain(line) for line in title_lines(title, width))


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
    wall_times: np.ndarray | None = None,
) -> go.Figure:
    """A large line chart of one measure over time: one line per series, NaN kept as gaps.

    ``values``: ``(S, T)``. ``percent`` formats the y axis and hover as percentages. ``counts``
    (optional, ``(S, T)``) adds the instance count to the hover text of relative values.
    ``wall_times`` (optional, ``(S, T)`` Unix seconds, NaN where unknown) adds when each step was
    logged to its hover (:mod:`confusionflow.components.charts.wall_clock`). ``title`` is wrapped
    onto as many lines as it needs (:func:`title_lines`), the chart growing by their height.
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
    times = np.full((n_s, steps.size), np.nan) if wall_times is None else as_2d(wall_times, "wall_times")
    if times.shape != (n_s, steps.size):
        raise ValueError(
            f"wall_times must have shape (series, steps) = {(n_s, steps.size)}; got {times.shape}"
        )
    notes = time_notes(steps, times, step_name)
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
            # the step line (with its wall-clock time, when known) is each point's text
            "text": [
                step_line(step, note, step_name) for step, note in zip(steps.tolist(), notes[s], strict=True)
            ],
            "hovertemplate": f"{plain(series_labels[s])}<br>%{{text}}<br>{plain(y_title)} %{{y{fmt}}}",
        }
        if counts is not None:
            trace["customdata"] = np.asarray(counts, dtype=np.float64)[s]
            trace["hovertemplate"] += " (%{customdata:,.0f} instances)"
        trace["hovertemplate"] += "<extra></extra>"
        data.append(trace)
    n_lines = len(title_lines(title))
    extra = TITLE_LINE_PX * (n_lines - 1)
    layout = base_layout(
        height=HEIGHT + extra,
        margin={"l": 70, "r": 20, "t": TOP_MARGIN + extra, "b": 50},
        # hung from the top of the figure, so further lines grow down into the margin made for them
        title={
            "text": title_markup(title),
            "x": 0,
            "xanchor": "left",
            "y": 1,
            "yref": "container",
            "yanchor": "top",
            "pad": {"t": TITLE_PAD_PX},
            "font": {"size": TITLE_FONT_PX},
        },
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
