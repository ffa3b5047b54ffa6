"""A picture of the heatmap matrix, drawn on the server, for the moment before plotly.js is ready.

Why: the page's first meaningful paint waited for plotly.js to be evaluated (~0.8 s) and for the
matrix callback's round trip. The layout of a first view now carries a PNG of the same matrix,
rasterised here from the very figure the matrix callback builds, so its colours are the figure's
own: every heatmap trace of the figure (the series-hue layer, then the value layers) is mapped
through its colour scale and composited in trace order over the plot background, exactly as
Plotly stacks heatmap images. Axis labels, markers and colour bars are not drawn: the picture is
the cells only, placed over the plot area, and it is hidden once the interactive figure is drawn.

Shapes and units: the figure's grid is in *grid units* (one heatmap cell = one unit, ``x0``/``y0``
of each trace in units, ``dx = dy = 1``); the picture is ``(rows, cols)`` pixels of the whole grid,
area-averaged down when the grid has more units than ``max_px`` along an axis. Placement is in CSS
pixels of the figure: ``left``/``top`` are the plot margins, ``width``/``height`` the plot area that
Plotly will draw at (heights are fixed by the figure; the width follows from ``scaleanchor``).
"""

from __future__ import annotations

import base64
import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

# Two image pixels per CSS pixel at most (sharp on high-density screens), and never larger than
# this along an axis whatever the figure: the picture must stay small next to the figure itself.
MAX_PREVIEW_PX = 2400
_RGB = re.compile(r"rgba?\(\s*([^)]*)\)")
# the colour names our layouts use (base_layout's backgrounds)
_NAMED = {"white": "#ffffff", "black": "#000000"}


@dataclass(frozen=True)
class MatrixPreview:
    """A PNG of the matrix cells and where it goes over the graph (CSS pixels)."""

    png: bytes
    left: int
    top: int
    width: int
    height: int
    right_margin: int

    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")

    def style(self) -> dict[str, str]:
        """Inline CSS for the picture: at the plot area, scaled down with the graph when the page
        is narrower than the figure (Plotly then shrinks the plot the same way: both axes keep
        their ratio and stay anchored top-left)."""
        return {
            "left": f"{self.left}px",
            "top": f"{self.top}px",
            "width": f"{self.width}px",
            "maxWidth": f"calc(100% - {self.left + self.right_margin}px)",
            "aspectRatio": f"{self.width} / {self.height}",
        }


def parse_color(color: str) -> tuple[float, float, float, float]:
    """``(r, g, b, a)`` with r, g, b in 0..255 and a in 0..1 for ``#rgb``, ``#rrggbb``,
    ``rgb(…)``, ``rgba(…)`` (the forms our colour scales use), ``white`` and ``black``.

    >>> parse_color("#0072B2"), parse_color("rgba(255,255,255,0.9)")
    ((0.0, 114.0, 178.0, 1.0), (255.0, 255.0, 255.0, 0.9))
    """
    text = _NAMED.get(color.strip().lower(), color.strip())
    if text.startswith("#"):
        digits = text[1:]
        if len(digits) == 3:
            digits = "".join(d * 2 for d in digits)
        if len(digits) != 6:
            raise ValueError(f"not a colour: {color!r}")
        r, g, b = (int(digits[i : i + 2], 16) for i in (0, 2, 4))
        return float(r), float(g), float(b), 1.0
    found = _RGB.fullmatch(text)
    if not found:
        raise ValueError(f"not a colour: {color!r}")
    parts = [float(p) for p in found.group(1).split(",")]
    if len(parts) == 3:
        parts.append(1.0)
    if len(parts) != 4:
        raise ValueError(f"not a colour: {color!r}")
    return parts[0], parts[1], parts[2], parts[3]


def map_colorscale(
    z: np.ndarray, colorscale: Sequence[Sequence[Any]], zmin: float, zmax: float
) -> np.ndarray:
    """``(rows, cols, 4)`` float RGBA (0..255, alpha 0..1) of ``z`` through a Plotly colour scale
    (linear between its stops, clamped at the ends); NaN cells are fully transparent, as Plotly
    leaves heatmap gaps."""
    values = np.asarray(z, dtype=np.float64)
    span = zmax - zmin
    t = np.clip((values - zmin) / span, 0.0, 1.0) if span > 0 else np.zeros_like(values)
    stops = np.asarray([float(s[0]) for s in colorscale])
    colours = np.asarray([parse_color(str(s[1])) for s in colorscale])
    out = np.empty((*values.shape, 4), dtype=np.float64)
    flat = np.nan_to_num(t, nan=0.0)
    for ch in range(4):
        out[..., ch] = np.interp(flat, stops, colours[:, ch])
    out[np.isnan(values), 3] = 0.0
    return out


def _array(value: Any) -> np.ndarray:
    """A trace's ``z`` as an array: numpy already, a nested list, or Plotly's typed-array dict
    (``{"dtype", "bdata", "shape"}``, what ``to_plotly_json`` may hold)."""
    if isinstance(value, Mapping) and "bdata" in value:
        raw = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        shape = value.get("shape")
        if isinstance(shape, str):
            shape = tuple(int(s) for s in shape.split(","))
        return raw.reshape(shape) if shape else raw
    return np.asarray(value)


def grid_size(layout: Mapping[str, Any]) -> tuple[int, int]:
    """``(rows, cols)`` of the grid from the axis ranges (``[-0.5, n - 0.5]``, y reversed)."""
    xr = layout["xaxis"]["range"]
    yr = layout["yaxis"]["range"]
    return int(round(max(yr) + 0.5)), int(round(max(xr) + 0.5))


def raster(figure: Mapping[str, Any]) -> np.ndarray | None:
    """``(rows, cols, 3)`` uint8 RGB of the figure's heatmap traces over its plot background, one
    pixel per grid unit; None when the figure has no heatmap (lines, an empty figure)."""
    data = [t for t in figure.get("data", ()) if t.get("type") == "heatmap"]
    layout = figure.get("layout", {})
    if not data or "range" not in layout.get("xaxis", {}) or "range" not in layout.get("yaxis", {}):
        return None
    rows, cols = grid_size(layout)
    bg = parse_color(str(layout.get("plot_bgcolor", "white")))
    canvas = np.empty((rows, cols, 3), dtype=np.float64)
    canvas[...] = bg[:3]
    for trace in data:
        z = _array(trace["z"]).astype(np.float64)
        if z.ndim != 2 or trace.get("dx", 1) != 1 or trace.get("dy", 1) != 1:
            return None  # not the tiled-grid form this picture knows how to place
        y0, x0 = int(round(float(trace.get("y0", 0)))), int(round(float(trace.get("x0", 0))))
        h, w = min(z.shape[0], rows - y0), min(z.shape[1], cols - x0)
        if h <= 0 or w <= 0:
            continue
        zmin = float(trace.get("zmin", np.nanmin(z)))
        zmax = float(trace.get("zmax", np.nanmax(z)))
        rgba = map_colorscale(z[:h, :w], trace["colorscale"], zmin, zmax)
        alpha = rgba[..., 3:4] * float(trace.get("opacity", 1.0))
        region = canvas[y0 : y0 + h, x0 : x0 + w]
        region[...] = rgba[..., :3] * alpha + region * (1.0 - alpha)
    return np.clip(np.rint(canvas), 0, 255).astype(np.uint8)


def shrink(image: np.ndarray, max_rows: int, max_cols: int) -> np.ndarray:
    """``image`` area-averaged by whole factors until it fits ``max_rows × max_cols``."""
    fy = max(1, math.ceil(image.shape[0] / max(1, max_rows)))
    fx = max(1, math.ceil(image.shape[1] / max(1, max_cols)))
    if fy == 1 and fx == 1:
        return image
    rows, cols = math.ceil(image.shape[0] / fy) * fy, math.ceil(image.shape[1] / fx) * fx
    padded = np.pad(
        image.astype(np.float64),
        ((0, rows - image.shape[0]), (0, cols - image.shape[1]), (0, 0)),
        mode="edge",
    )
    binned = padded.reshape(rows // fy, fy, cols // fx, fx, 3).mean(axis=(1, 3))
    return np.clip(np.rint(binned), 0, 255).astype(np.uint8)


def plot_box(layout: Mapping[str, Any], rows: int, cols: int) -> tuple[int, int, int, int, int]:
    """``(left, top, width, height, right margin)`` of the plot area in CSS pixels: the height is the
    figure's height less its margins; the width follows from the y axis' ``scaleanchor``/``scaleratio``
    (a y unit is ``scaleratio`` x units long)."""
    margin = layout.get("margin", {})
    left, top = int(margin.get("l", 80)), int(margin.get("t", 100))
    right, bottom = int(margin.get("r", 80)), int(margin.get("b", 80))
    height = max(1, int(layout.get("height", 450)) - top - bottom)
    ratio = float(layout["yaxis"].get("scaleratio", 1.0) or 1.0)
    width = max(1, int(round(cols * height / (rows * ratio))))
    return left, top, width, height, right


def matrix_preview(figure: Mapping[str, Any], *, max_px: int = MAX_PREVIEW_PX) -> MatrixPreview | None:
    """The picture of ``figure`` (a heatmap matrix as ``build_matrix_figure(...).to_plotly_json()``)
    and its placement; None when there is nothing to picture (line mode, an empty figure)."""
    image = raster(figure)
    if image is None:
        return None
    layout = figure["layout"]
    left, top, width, height, right = plot_box(layout, image.shape[0], image.shape[1])
    image = shrink(image, min(max_px, 2 * height), min(max_px, 2 * width))
    buffer = io.BytesIO()
    Image.fromarray(image, "RGB").save(buffer, format="PNG", compress_level=6)
    return MatrixPreview(buffer.getvalue(), left, top, width, height, right)
