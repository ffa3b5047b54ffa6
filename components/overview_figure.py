"""The overview of the whole C x C matrix: one value per cell, box-selectable, in one of two forms.

Up to :data:`PICTURE_MIN_CLASSES` classes: one ``go.Heatmap`` whose ``z`` is a float32 ``(C, C)``
array on two *category* axes whose categories are the escaped class names in the chosen order;
plotly's own hover reads true class (``%{y}``), predicted class (``%{x}``) and value (``%{z}``).

From :data:`PICTURE_MIN_CLASSES` classes on: ONE picture. The server maps the values through the
same colour scale plotly would use (:func:`cell_colours`: sequential Blues, or diverging RdBu_r
symmetric about 0 for a change or difference; NaN cells, the diagonal, in ``MISSING_COLOR``) and
sends them as a PNG (:func:`png_data_uri`, Pillow) in a ``go.Image`` ``source`` on *numeric* axes:
position ``p`` of the class order is drawn at coordinate ``p`` (``x0=0, dx=1, y0=0, dy=1``, y
reversed), so cells span ``p - 0.5 .. p + 0.5`` exactly as on category axes. At 1000 classes the
heatmap's z was 5.4 MB of JSON; the picture of the synthetic log is tens of kB, and the browser
draws it as one ``<image>``. A picture only knows colours, so its hover is the server's: the
browser sends the hovered position, :func:`cell_hover` names true class, predicted class and the
exact value (formatted as the heatmap's hover: :func:`format_value`), and a ``dcc.Tooltip`` shows
them as text (``app/callbacks/overview.py``). An invisible scatter carries the colour bar.

``dragmode="select"``: a box drag emits ``selectedData`` with ``range.x`` / ``range.y`` in
positions (category positions or picture coordinates alike); :func:`box_from_selected_data`
validates that browser input and :func:`classes_in_box` turns it into class indices (the rows and
columns of the brushed block). Neither a heatmap nor a picture has selectable points, so one
invisible, non-hoverable scatter trace keeps the select tool in the mode bar.
"""

from __future__ import annotations

import base64
import html
import io
import math
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go
from PIL import Image
from plotly.colors import get_colorscale

from confusionflow.components.figure_style import MISSING_COLOR, base_layout
from confusionflow.components.matrix_preview import map_colorscale, parse_color

SEQUENTIAL = "Blues"
DIVERGING = "RdBu_r"  # red = more confusion (an increase), blue = less
LABELS_MAX = 60  # above this many classes tick labels would overlap: names are in the hover only
# from this many classes on the overview is one picture (measured: docs/PERFORMANCE.md, 2026-12-03)
PICTURE_MIN_CLASSES = 200


@dataclass(frozen=True)
class Overview:
    """The figure and the class drawn at each position: ``order`` ``(C,)``, ``order[p]`` = class."""

    figure: go.Figure
    order: np.ndarray


def escape_name(name: str) -> str:
    """A class name as plotly text: ``<``, ``>``, ``&`` and quotes as entities (never markup)."""
    return html.escape(str(name), quote=True)


def value_format(signed: bool, percent: bool) -> str:
    """The d3 format of a value in the hover: shares as %, 2 decimals; counts with thousands
    separators; signed (a change, a difference) with its sign."""
    return ".2%" if not signed and percent else "+.2%" if percent else "+,.0f" if signed else ",.0f"


def format_value(value: float, signed: bool, percent: bool) -> str:
    """A value as :func:`value_format` writes it (Python's format mini-language reads it alike)."""
    return format(float(value) + 0.0, value_format(signed, percent))  # + 0.0: no "-0"


def scale_of(signed: bool) -> list[list[Any]]:
    """The colour scale's stops ``[[position, "rgb(r,g,b)"], ...]`` (plotly.py's, light to dark).

    As explicit stops: unvalidated, a name would reach plotly.js, whose "Blues" runs dark to light
    (plotly.py's runs light to dark), so an empty cell would be drawn darkest."""
    return get_colorscale(DIVERGING if signed else SEQUENTIAL)


def value_range(values: np.ndarray, signed: bool) -> tuple[float, float]:
    """``(zmin, zmax)``: 0 .. the largest value, or symmetric about 0 when signed (1 when empty)."""
    top = float(np.nanmax(np.abs(values), initial=0.0)) if values.size else 0.0
    if not math.isfinite(top):  # an infinite value: the largest finite one
        finite = values[np.isfinite(values)]
        top = float(np.abs(finite).max()) if finite.size else 0.0
    top = top if top > 0 else 1.0
    return (-top if signed else 0.0), top


def cell_colours(values: np.ndarray, signed: bool, missing: str = MISSING_COLOR) -> np.ndarray:
    """``(R, C, 3)`` uint8: each value's colour on the overview's scale (see :func:`scale_of`,
    :func:`value_range`), interpolated linearly in RGB between the stops as plotly.js does
    (:func:`~confusionflow.components.matrix_preview.map_colorscale`, which the matrix picture
    uses too) and rounded; NaN (and every non-finite value) is ``missing``."""
    vals = np.asarray(values)
    lo, hi = value_range(vals, signed)
    stops = scale_of(signed)

    def colour(v: np.ndarray) -> np.ndarray:  # (N,) finite -> (N, 3) uint8
        return np.rint(map_colorscale(v, stops, lo, hi)[..., :3]).astype(np.uint8)

    # most cells are 0: paint every cell 0's colour, then colour only the others (1 ms, not 25)
    out = np.empty((*vals.shape, 3), dtype=np.uint8)
    out[...] = colour(np.zeros(1))[0]
    flat, cells = vals.reshape(-1), out.reshape(-1, 3)
    other = np.flatnonzero(flat != 0)  # NaN included
    drawn = np.isfinite(flat[other])
    cells[other[drawn]] = colour(flat[other[drawn]])
    cells[other[~drawn]] = np.rint(parse_color(missing)[:3]).astype(np.uint8)
    return out


def png_data_uri(rgb: np.ndarray) -> str:
    """``(H, W, 3)`` uint8 as a ``data:image/png;base64,...`` address (lossless: every cell keeps
    its colour). Level 1 with zlib's run-length strategy: the overview is mostly one colour, so
    that is the smallest and quickest of Pillow's settings (docs/PERFORMANCE.md, 2026-12-03)."""
    buf = io.BytesIO()
    image = Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8), "RGB")
    image.save(buf, "PNG", compress_level=1, compress_type=zlib.Z_RLE)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def uses_picture(n_classes: int) -> bool:
    """Whether the overview of ``n_classes`` classes is drawn as one picture (else a heatmap)."""
    return n_classes >= PICTURE_MIN_CLASSES


def overview_figure(
    values: np.ndarray,
    classes: Sequence[str],
    order: np.ndarray | None = None,
    *,
    title: str,
    signed: bool = False,
    percent: bool = True,
    height: int = 640,
    picture: bool | None = None,
) -> Overview:
    """Build the overview (see the module docstring for its two forms).

    values: ``(C, C)`` in logged class order (rows = true), NaN where nothing is drawn.
    order: ``(C,)`` permutation (see :mod:`confusionflow.data_access.ordering`), default as logged.
    signed: a change or difference (diverging scale, symmetric about 0). percent: values are
    shares (hover as %), otherwise counts. ``title`` is escaped here. picture: force one form
    (measurements and tests); None draws a picture from :data:`PICTURE_MIN_CLASSES` classes on.
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
    zmin, zmax = value_range(z, signed)
    colorbar = {"thickness": 12, "tickformat": ".0%" if percent else ",d"}
    show_labels = c <= LABELS_MAX
    axis: dict[str, Any] = {
        "showgrid": False,
        "zeroline": False,
        "showticklabels": show_labels,
        "ticks": "",
        "constrain": "domain",
    }
    yaxis: dict[str, Any] = {"autorange": "reversed", "scaleanchor": "x"}
    if picture if picture is not None else uses_picture(c):
        image = {
            "type": "image",
            "source": png_data_uri(cell_colours(z, signed)),
            "x0": 0,
            "dx": 1,
            "y0": 0,
            "dy": 1,
            "zsmooth": False,  # one cell, one colour: no blending of neighbours when enlarged
            # hover events (position -> the server's tooltip, app/callbacks/overview.py), no label
            "hoverinfo": "none",
            "name": "overview",
        }
        ends: list[Any] = [0, c - 1]
        anchor_colour: dict[str, Any] = {  # the colour bar of the picture's scale
            "color": [zmin, zmax],
            "colorscale": scale_of(signed),
            "cmin": zmin,
            "cmax": zmax,
            "showscale": True,
            "colorbar": colorbar,
        }
        axis = {**axis, "type": "linear", "range": [-0.5, c - 0.5]}
        yaxis = {"range": [c - 0.5, -0.5], "scaleanchor": "x"}
        if show_labels:
            axis = {**axis, "tickmode": "array", "tickvals": list(range(c)), "ticktext": names}
        traces: list[dict[str, Any]] = [image]
    else:
        heat: dict[str, Any] = {
            "type": "heatmap",
            "z": z,
            "x": names,
            "y": names,
            "colorscale": scale_of(signed),
            "zmin": zmin,
            "zmax": zmax,
            "hoverongaps": False,
            "hovertemplate": "true: %{y}<br>predicted: %{x}<br>%{z:"
            + value_format(signed, percent)
            + "}<extra></extra>",
            "colorbar": colorbar,
            "name": "overview",
        }
        ends, anchor_colour = [names[0], names[-1]], {}
        axis = {**axis, "type": "category"}
        traces = [heat]
    layout = base_layout(
        height=height,
        margin={"l": 120 if show_labels else 40, "r": 20, "t": 50, "b": 120 if show_labels else 40},
        title={"text": escape_name(title), "font": {"size": 13}, "x": 0.01, "xanchor": "left"},
        xaxis={**axis, "title": {"text": "predicted class"}, "side": "bottom", "tickangle": -60},
        yaxis={**axis, "title": {"text": "true class"}, **yaxis},
        plot_bgcolor=MISSING_COLOR,
        dragmode="select",
        selectdirection="any",
        uirevision="overview",
    )
    anchor = {  # invisible: keeps the select tool available (neither trace has points)
        "type": "scatter",
        "mode": "markers",
        "x": ends,
        "y": ends,
        "marker": {"opacity": 0, "size": 1, **anchor_colour},
        "hoverinfo": "skip",
        "showlegend": False,
        "name": "select-anchor",
    }
    # Validation walks every z value and name (~220 ms at 1000 classes); these keys are fixed
    # here and checked once in the unit tests, so the figure is built without it (~8 ms).
    return Overview(go.Figure(data=[*traces, anchor], layout=layout, _validate=False), order)


def position_of(value: object, n: int) -> int | None:
    """The class-order position ``0..n-1`` whose cell holds coordinate ``value`` (browser input:
    anything but a finite number inside ``-0.5 .. n - 0.5`` is None)."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except OverflowError:  # an int beyond float range
        return None
    if not math.isfinite(number):
        return None
    p = math.floor(number + 0.5)
    return p if 0 <= p < n else None


@dataclass(frozen=True)
class CellHover:
    """What the overview's hover says about one cell: class names as logged (data, not markup:
    shown as text) and the value formatted as the heatmap's hover writes it."""

    true: str
    predicted: str
    value: str


def cell_hover(
    values: np.ndarray,
    classes: Sequence[str],
    order: np.ndarray,
    x: object,
    y: object,
    *,
    signed: bool,
    percent: bool,
) -> CellHover | None:
    """The hover of the cell at picture coordinates ``(x, y)`` (x: predicted position, y: true
    position, browser input), or None outside the matrix and on a cell not drawn (NaN: the
    diagonal). ``values`` ``(C, C)`` in logged class order, ``order`` as in :class:`Overview`."""
    n = len(classes)
    col, row = position_of(x, n), position_of(y, n)
    if col is None or row is None:
        return None
    true, pred = int(order[row]), int(order[col])
    value = float(values[true, pred])
    if not math.isfinite(value):
        return None
    return CellHover(str(classes[true]), str(classes[pred]), format_value(value, signed, percent))


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
