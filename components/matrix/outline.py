"""The outline around the matrix tile the detail view shows.

One rectangle shape (``layout.shapes``, named ``OUTLINE_NAME``) around a cell, an FN or FP tile or
the accuracy corner, drawn in the middle of the gap around the tile so it never covers a strip. It
travels with the epoch markers: every update that replaces ``layout.shapes`` (an epoch ``Patch``
in the line encoding, a colour-scale ``Patch``, a new detail target) restates both, and the
browser's ``moveEpochMarkers`` keeps shapes that are not epoch markers.
"""

from __future__ import annotations

from confusionflow.components.matrix.geometry import AxisLayout, CellTarget, MatrixGeometry

OUTLINE_NAME = "detail-tile"
OUTLINE_COLOR = "#111111"
OUTLINE_WIDTH = 2  # px


def outlined_position(target: CellTarget | None, n_classes: int) -> tuple[int, int] | None:
    """``(tile column, tile row)`` of ``target`` (``n_classes`` for the FN column / FP row), or
    None when the target is no tile of a matrix of ``n_classes`` classes."""
    if target is None:
        return None
    c = n_classes
    col = c if target.kind in ("fn", "accuracy") else target.pred
    row = c if target.kind in ("fp", "accuracy") else target.true
    if col is None or row is None or not (0 <= col <= c and 0 <= row <= c):
        return None
    if target.kind == "cell" and (col == c or row == c):
        return None
    return col, row


def _span(axis: AxisLayout, tile: int, shift: float) -> tuple[float, float]:
    """``(from, to)`` of ``tile`` along ``axis`` in axis units, widened by half a gap each side."""
    pad = axis.gap / 2
    start = axis.start(tile) + shift
    return start - pad, start + axis.inner + pad


def outline_shapes(target: CellTarget | None, geo: MatrixGeometry) -> list[dict]:
    """The outline of ``target``'s tile as a one-shape list; empty without a target, for a target
    that is no tile of this matrix (a class-performance metric, a class no longer drawn) and for an
    empty matrix. Heatmap bricks and the categorical step axis are centred on integer positions
    (tiles start half a unit early); the line encoding's y axis is numeric, tile ``i`` from
    ``y.start(i)`` to ``y.start(i) + inner``."""
    at = None if geo.empty else outlined_position(target, geo.n_classes)
    if at is None:
        return []
    col, row = at
    x0, x1 = _span(geo.x, col, -0.5)
    y0, y1 = _span(geo.y, row, -0.5 if geo.encoding == "heatmap" else 0.0)
    return [
        {
            "type": "rect",
            "xref": "x",
            "yref": "y",
            "x0": x0,
            "x1": x1,
            "y0": y0,
            "y1": y1,
            "line": {"color": OUTLINE_COLOR, "width": OUTLINE_WIDTH},
            "fillcolor": "rgba(0,0,0,0)",
            "layer": "above",
            "name": OUTLINE_NAME,
        }
    ]
