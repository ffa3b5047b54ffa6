"""What a click on the matrix or on the class-performance chart landed on, by class name.

Pure hit-testing: a Dash ``clickData`` point (with the axis position ``col``/``row`` the browser adds,
see ``clickPosition`` in assets/confusionflow.js) and the geometry of the figure *as the server drew
it* give a :class:`ClickedTile`. The geometry always comes from the server's data, never from a
size the browser sent, so a crafted click costs the same as a real one. Anything malformed gives
None.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from confusionflow.components.charts import METRICS, decode_class_click
from confusionflow.components.matrix import CellTarget, MatrixGeometry, decode_click


@dataclass(frozen=True)
class ClickedTile:
    """A tile by class names: ``kind`` is ``accuracy``, ``cell``, ``fn``, ``fp`` or a class metric."""

    kind: str
    true: str | None = None
    pred: str | None = None


def first_point(click: object) -> dict | None:
    """The first point of a ``clickData`` value, or None."""
    points = click.get("points") if isinstance(click, dict) else None
    return points[0] if isinstance(points, list) and points and isinstance(points[0], dict) else None


def axis_position(point: Mapping[str, Any]) -> tuple[float, float] | None:
    """The finite axis position (``col``, ``row``) the browser added to a point, or None."""
    col, row = point.get("col"), point.get("row")
    if isinstance(col, bool) or isinstance(row, bool):
        return None
    numbers = isinstance(col, (int, float)) and isinstance(row, (int, float))
    if numbers and math.isfinite(col) and math.isfinite(row):  # type: ignore[arg-type]
        return float(col), float(row)  # type: ignore[arg-type]
    return None


def tile_of_cell(cell: Any, classes: Sequence[str]) -> ClickedTile | None:
    """A ``CellTarget`` (class indices or names) as a tile named by classes, or None."""
    if cell is None:
        return None

    def name(v: object) -> str | None:
        if v is None:
            return None
        if isinstance(v, int) and not isinstance(v, bool) and 0 <= v < len(classes):
            return classes[v]
        return v if isinstance(v, str) and v in classes else None

    kind = getattr(cell, "kind", None)
    true, pred = name(getattr(cell, "true", None)), name(getattr(cell, "pred", None))
    if kind == "accuracy":
        return ClickedTile("accuracy")
    if kind == "cell" and true and pred:
        return ClickedTile("cell", true, pred)
    if kind == "fn" and true:
        return ClickedTile("fn", true, None)
    if kind == "fp" and pred:
        return ClickedTile("fp", None, pred)
    return None


def matrix_tile(
    point: Mapping[str, Any], classes: Sequence[str], geometry: MatrixGeometry
) -> ClickedTile | None:
    """The tile of a click on the matrix drawn with ``geometry`` over ``classes``, or None (a gap)."""
    try:
        cell: CellTarget | None = decode_click(point, geometry)
        position = axis_position(point)
        if cell is None and position is not None:
            cell = geometry.target_at(*position)
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    return tile_of_cell(cell, classes)


def class_chart_tile(point: Mapping[str, Any], classes: Sequence[str], per_class: int) -> ClickedTile | None:
    """The class and metric of a click on the class-performance chart over ``classes`` (its lines
    ``per_class`` points per class, :func:`~confusionflow.components.charts.points_per_class`), or None."""
    try:
        # a tile background is decoded from its trace (the metric) and its row position (the class),
        # a line point from its trace and its point number
        decoded = decode_class_click(point, per_class)
    except (TypeError, ValueError, OverflowError):
        decoded = None
    if decoded is None:
        return None
    index, metric = decoded
    if metric not in METRICS or not 0 <= index < len(classes):
        return None
    return ClickedTile(metric, classes[index], None)
