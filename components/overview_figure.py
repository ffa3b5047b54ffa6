"""The overview of the whole C x C matrix: one value per cell, one heatmap trace, box-selectable.

Drawn as a single ``go.Heatmap`` whose ``z`` is a float32 ``(C, C)`` array (plotly sends it as one
base64 typed array, 4 MB at 1000 classes, mostly zeros that compress well) on two *category* axes
whose categories are the escaped class names in the chosen order: hover reads true class
(``%{y}``), predicted class (``%{x}``) and value (``%{z}``) from the axes, so no per-cell text is
sent. plotly.js paints a heatmap as one image of C x C bricks, so 1000 x 1000 costs about one
screen-sized image.

``dragmode="select"``: a box drag emits ``selectedData`` with ``range.x`` / ``range.y`` in
category positions; :func:`box_from_selected_data` validates that browser input and
:func:`classes_in_box` turns it into class indices (the rows and columns of the brushed block).
A heatmap has no selectable points, so one invisible, non-hoverable scatter trace keeps the
select tool in the mode bar.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.colors import get_colorscale

from confusionflow.components.figure_style import MISSING_COLOR, base_layout

SEQUENTIAL = "Blues"
DIVERGING = "RdBu_r"  # red = more confusion (an increase), blue = less
LABELS_MAX = 60  # above this many classes tick labels would overlap: names are in the hover only


@dataclass(frozen=True)
class Overview:
    """The figure and the class drawn at each position: ``order`` ``(C,)``, ``order[p]`` = class."""

    figure: go.Figure
    order: np.ndarray


def escape_name(name: str) -> str:
    """A class name as plotly text: ``<``, ``>``, ``&`` and quotes as entities (never markup)."""
    return html.escape(str(name), quote=True)


def overview_figure(
    values: np.ndarray,
    classes: Sequence[str],
    order: np.ndarray | None = None,
    *,
    title: str,
    signed: bool = False,
    percent: bool = True,
    height: int = 640,
) -> Overview:
    """Build the overview heatmap.

    values: ``(C, C)`` in logged class order (rows = true), NaN where nothing is drawn.
    order: ``(C,)`` permutation (see :mod:`confusionflow.data_access.ordering`), default as logged.
    signed: a change or difference (diverging scale, symmetric about 0). percent: values are
    shares (hover as %), otherwise counts. ``title`` is escaped here.
    """
    vals = np.asarray(values)
    c = len(classes)
    if vals.shape != (c, c):
        raise ValueError(f"values shape {vals.shape} != (C, C) = {(c, c)}")
    order = np.arange(c) if order is None else np.asarray(order, dtype=np.intp)
    if sorted(order.tolist()) != list(range(c)):
        raise ValueError("order must be a permutation of the classes")
    z = vals[np.ix_(order, order)].astype(np.float32)
    names = [escape_name(classes[i]) for i in order.tolist()]
    finite = z[np.isfinite(z)]
    top = float(np.abs(finite).max()) if finite.size else 0.0
    top = top if top > 0 else 1.0
    fmt = ":+.2%" if (percent and signed) else ":.2%" if percent else ":+,.0f" if signed else ":,.0f"
    heat: dict[str, Any] = {
        "type": "heatmap",
        "z": z,
        "x": names,
        "y": names,
        # as explicit stops: unvalidated, a name would reach plotly.js, whose "Blues" runs dark to
        # light (plotly.py's runs light to dark), so an empty cell would be drawn darkest
        "colorscale": get_colorscale(DIVERGING if signed else SEQUENTIAL),
        "zmin": -top if signed else 0.0,
        "zmax": top,
        "hoverongaps": False,
        "hovertemplate": "true: %{y}<br>predicted: %{x}<br>%{z" + fmt + "}<extra></extra>",
        "colorbar": {"thickness": 12, "tickformat": ".0%" if percent else ",d"},
        "name": "overview",
    }
    show_labels = c <= LABELS_MAX
    axis = {
        "type": "category",
        "showgrid": False,
        "zeroline": False,
        "showticklabels": show_labels,
        "ticks": "",
        "constrain": "domain",
    }
    layout = base_layout(
        height=height,
        margin={"l": 120 if show_labels else 40, "r": 20, "t": 50, "b": 120 if show_labels else 40},
        title={"text": escape_name(title), "font": {"size": 13}, "x": 0.01, "xanchor": "left"},
        xaxis={**axis, "title": {"text": "predicted class"}, "side": "bottom", "tickangle": -60},
        yaxis={**axis, "title": {"text": "true class"}, "autorange": "reversed", "scaleanchor": "x"},
        plot_bgcolor=MISSING_COLOR,
        dragmode="select",
        selectdirection="any",
        uirevision="overview",
    )
    anchor = {  # invisible: only keeps the select tool available (heatmaps have no points)
        "type": "scatter",
        "mode": "markers",
        "x": [names[0], names[-1]],
        "y": [names[0], names[-1]],
        "marker": {"opacity": 0, "size": 1},
        "hoverinfo": "skip",
        "showlegend": False,
        "name": "select-anchor",
    }
    # Validation walks every z value and name (~220 ms at 1000 classes); these keys are fixed
    # here and checked once in the unit tests, so the figure is built without it (~8 ms).
    return Overview(go.Figure(data=[heat, anchor], layout=layout, _validate=False), order)


def _finite_pair(value: object) -> tuple[float, float] | None:
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        return None
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        return None
    a, b = float(value[0]), float(value[1])
    if not (math.isfinite(a) and math.isfinite(b)):
        return None
    return (min(a, b), max(a, b))


def box_from_selected_data(selected: object) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """``((x0, x1), (y0, y1))`` of a box selection from Dash's ``selectedData``, or None.

    Browser input: anything that is not a box with two finite numbers per axis is None.
    """
    if not isinstance(selected, Mapping):
        return None
    rng = selected.get("range")
    if not isinstance(rng, Mapping):
        return None
    x, y = _finite_pair(rng.get("x")), _finite_pair(rng.get("y"))
    if x is None or y is None:
        return None
    return x, y


def positions_in(span: tuple[float, float], n: int) -> np.ndarray:
    """Category positions ``0..n-1`` whose cell (``p - 0.5 .. p + 0.5``) the span overlaps."""
    lo = max(0, math.ceil(span[0] - 0.5))
    hi = min(n - 1, math.floor(span[1] + 0.5))
    return np.arange(lo, hi + 1) if lo <= hi else np.zeros(0, dtype=np.intp)


def classes_in_box(order: np.ndarray, x_span: tuple[float, float], y_span: tuple[float, float]) -> np.ndarray:
    """Class indices of a brushed block: the rows (true) and columns (predicted) it covers.

    ``order`` ``(C,)`` as in :class:`Overview`; returned in position order, rows first then the
    columns not already among them (a block on the diagonal gives each class once).
    """
    order = np.asarray(order, dtype=np.intp)
    rows = order[positions_in(y_span, len(order))]
    cols = order[positions_in(x_span, len(order))]
    return np.concatenate([rows, cols[~np.isin(cols, rows)]]).astype(np.intp)
