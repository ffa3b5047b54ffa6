"""What a click on the matrix means, and the small updates that avoid resending it.

* :func:`decode_click`: a Dash click/hover point -> :class:`~confusionflow.components.matrix.geometry.CellTarget`,
  from ``curveNumber``/``pointNumber`` and the server-side geometry (never the label strings);
* :func:`epoch_shapes` / :func:`epoch_marker_recipe`: the dashed epoch markers, and the recipe in
  ``layout.meta`` from which ``assets/confusionflow.js`` (``moveEpochMarkers``) redraws them;
* :func:`epoch_marker_update` / :func:`colorscale_update` / :func:`outline_update`: ``dash.Patch``
  contents for moving the epoch, for a gamma or linear/log change and for a new detail target (the
  outlined tile), applied with :func:`apply_update`. Each restates the whole ``layout.shapes``:
  the epoch markers and the outline (:mod:`confusionflow.components.matrix.outline`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from confusionflow.components.figure_style import EPOCH_COLOR, EPOCH_MARKER_NAME, epoch_marker_meta
from confusionflow.components.matrix.colorscale import ramp_colorscale, region_scales
from confusionflow.components.matrix.geometry import CellTarget, MatrixGeometry, make_target, nearest_step
from confusionflow.components.matrix.lines import background_update
from confusionflow.components.matrix.outline import outline_shapes
from confusionflow.components.matrix.scale_legend import legend_update
from confusionflow.components.matrix.style import MatrixStyle
from confusionflow.data_access.views import MatrixValues


def epoch_marker_positions(steps: np.ndarray, style: MatrixStyle, geo: MatrixGeometry) -> list[float]:
    """Axis positions of the epoch markers: x of each tile column (y of each tile row if rotated).

    Empty when no epoch is selected or it lies outside the shown steps. The marker sits on the
    nearest logged step (on its time column when steps are averaged).
    """
    t = nearest_step(np.asarray(steps, dtype=np.float64), style.epoch)
    if t is None or geo.empty:
        return []
    t //= geo.time_bin
    axis = geo.y if (geo.encoding == "heatmap" and geo.rotate) else geo.x
    return [float(axis.start(j) + t) for j in range(geo.n_classes + 1)]


def marker_segments(geo: MatrixGeometry) -> list[list[tuple[float, float]]]:
    """Per tile column (tile row when rotated) ``j``: the ``(from, to)`` spans of its marker on the
    other axis, one per tile it crosses. The gaps between tiles and the diagonal tile (which
    carries the class name) are left out, so the dashed line runs through strips only."""
    rotated = geo.encoding == "heatmap" and geo.rotate
    across = geo.x if rotated else geo.y
    shift = -0.5 if geo.encoding == "heatmap" else 0.0  # bricks are centred on integer positions
    c = geo.n_classes
    return [
        [
            (float(across.start(i) + shift), float(across.start(i) + across.inner + shift))
            for i in range(c + 1)
            if i != j or j == c
        ]
        for j in range(c + 1)
    ]


def epoch_shapes(steps: np.ndarray, style: MatrixStyle, geo: MatrixGeometry) -> list[dict]:
    """The dashed epoch markers as ONE path shape (one segment per tile the marker crosses, see
    :func:`marker_segments`): a single shape keeps the figure light and the epoch ``Patch`` short."""
    positions = epoch_marker_positions(steps, style, geo)
    if not positions:
        return []
    segments = marker_segments(geo)
    if geo.encoding == "heatmap" and geo.rotate:
        path = "".join(
            f"M{a:g},{y:g}H{b:g}" for y, spans in zip(positions, segments, strict=True) for a, b in spans
        )
    else:
        path = "".join(
            f"M{x:g},{a:g}V{b:g}" for x, spans in zip(positions, segments, strict=True) for a, b in spans
        )
    return [
        {
            "type": "path",
            "xref": "x",
            "yref": "y",
            "path": path,
            "line": {"color": EPOCH_COLOR, "width": 1, "dash": "dash"},
            "layer": "above",
            "name": EPOCH_MARKER_NAME,
        }
    ]


def epoch_marker_recipe(steps: np.ndarray, geo: MatrixGeometry) -> dict:
    """``layout.meta`` from which the browser redraws :func:`epoch_shapes` for any epoch (see
    :func:`confusionflow.components.figure_style.epoch_marker_meta`); empty for an empty matrix."""
    if geo.empty:
        return {}
    rotated = geo.encoding == "heatmap" and geo.rotate
    axis = geo.y if rotated else geo.x
    if rotated:
        span = (-0.5, geo.x.total - 0.5)
    else:
        span = (-0.5, geo.y.total - 0.5) if geo.encoding == "heatmap" else (0.0, geo.y.total)
    return epoch_marker_meta(
        kind="path",
        offsets=[axis.start(j) for j in range(geo.n_classes + 1)],
        span=span,
        line={"color": EPOCH_COLOR, "width": 1, "dash": "dash"},
        snap_steps=np.asarray(steps, dtype=np.float64).tolist(),
        time_bin=geo.time_bin,
        axis="y" if rotated else "x",
        segments=marker_segments(geo),
    )


def decode_click(point: Mapping[str, Any], geometry: MatrixGeometry) -> CellTarget | None:
    """The tile a Dash ``clickData["points"][i]`` (or hoverData point) refers to, or None.

    Uses ``curveNumber`` and ``pointNumber``/``pointIndex`` (never the label strings), so it works
    for any trace: the transparent tile bricks, a series strip, the grey background or a line point.
    A point in a gap between tiles, or on a trace that is not part of the grid, gives None.
    """
    if geometry.empty or not isinstance(point, Mapping):
        return None
    cn = point.get("curveNumber")
    if not isinstance(cn, int) or not 0 <= cn < len(geometry.traces):
        return None
    role = geometry.traces[cn]
    idx = point.get("pointNumber", point.get("pointIndex"))
    c = geometry.n_classes
    if role.kind in ("background", "hue", "values"):
        if not isinstance(idx, (list, tuple)) or len(idx) != 2:
            return None
        r, k = int(idx[0]), int(idx[1])
        rows, cols = geometry.region_shape(role.region, role.kind)
        if not (0 <= r < rows and 0 <= k < cols):
            return None  # Plotly reports bricks past the end of z on categorical axes: not ours
        if role.kind in ("hue", "values"):
            return geometry.target_at(role.x0 + k, role.y0 + r)
        # rows of the line encoding's bands: each tile row's series, then a gap row
        tile, band = divmod(r, geometry.n_series + 1)
        if band == geometry.n_series:
            return None
        i = tile if role.region in ("cell", "fn") else c
        j = k if role.region in ("cell", "fp") else c
        return make_target(i, j, c, band, None)
    if role.kind == "line":
        if isinstance(idx, (list, tuple)) or idx is None:
            return None
        n = int(idx)
        per = geometry.n_time_columns + 1
        block, t = divmod(n, per)
        if t >= geometry.n_time_columns:
            return None  # the NaN separator between tiles
        t *= geometry.time_bin  # the first logged step of the time column
        if role.region == "cell":
            return make_target(int(role.row or 0), block, c, role.series, t)
        if role.region == "fn":
            return make_target(block, c, c, role.series, t)
        if role.region == "fp":
            return make_target(c, block, c, role.series, t)
        return make_target(c, c, c, role.series, t)
    return None


def matrix_shapes(
    steps: np.ndarray, style: MatrixStyle, geometry: MatrixGeometry, outline: CellTarget | None
) -> list[dict]:
    """Every shape of the matrix: the epoch markers of ``style.epoch`` and the outline of the tile
    ``outline`` (the detail view's target; None: no outline)."""
    return [*epoch_shapes(steps, style, geometry), *outline_shapes(outline, geometry)]


def outline_update(
    values: MatrixValues, style: MatrixStyle, geometry: MatrixGeometry, outline: CellTarget | None
) -> dict:
    """What changes when the detail target moves: ``{"shapes": [...]}``, the outline of the new tile
    (none when it is no tile of this matrix) with the epoch markers of ``style.epoch``."""
    return {"shapes": matrix_shapes(values.steps, style, geometry, outline), "data": {}}


def epoch_marker_update(
    values: MatrixValues,
    style: MatrixStyle,
    geometry: MatrixGeometry,
    *,
    step_name: str = "epoch",
    outline: CellTarget | None = None,
    superclasses: bool = False,
) -> dict:
    """What changes when the selected epoch (``style.epoch``) moves, without resending the matrix.

    Returns ``{"shapes": [...], "data": {trace_index: {"z": ..., "text": ...}}}``:

    * ``shapes``: the complete new ``layout.shapes`` list: the dashed markers (none when
      ``style.epoch`` is None) and the outline of the tile ``outline``, the matrix's only shapes.
    * ``data``: per trace index, properties to overwrite. Empty in heatmap mode; in lines mode the
      four grey background traces get their bands' new ``z`` and hover ``text``.

    Apply it with :func:`apply_update` to a ``dash.Patch()`` (or a figure dict, in tests)::

        patch = apply_update(Patch(), epoch_marker_update(values, style, geometry))
    """
    update: dict[str, Any] = {"shapes": matrix_shapes(values.steps, style, geometry, outline), "data": {}}
    if geometry.encoding == "lines" and not geometry.empty:
        update["data"] = background_update(
            values, style, geometry, region_scales(values), step_name, superclasses=superclasses
        )
    return update


def colorscale_update(
    values: MatrixValues, style: MatrixStyle, geometry: MatrixGeometry, outline: CellTarget | None = None
) -> dict | None:
    """New colour scales after a gamma or linear/log change, or None if the figure must be rebuilt.

    Heatmap mode: ``{"shapes": [...], "data": {trace_index: {"colorscale": ...}}}`` for the
    value traces of cells, FN and FP (accuracy keeps its linear scale): ``z`` holds true values, so
    only the mapping from value to brightness changes. ``shapes`` are the epoch markers of
    ``style.epoch`` and the outline of ``outline``: the browser moves markers without telling the
    server's copy of the figure (see ``epoch_marker_meta``), so every update re-states them. Lines mode moves the lines
    themselves, so it returns None and the caller rebuilds the figure.
    """
    if geometry.encoding != "heatmap" or geometry.empty:
        return None
    scales = region_scales(values)
    out: dict[int, dict] = {}
    for reg in ("cell", "fn", "fp"):
        vmax, eps = scales["cell" if reg == "cell" else "fnfp"]
        out[geometry.trace_index("values", reg)] = {"colorscale": ramp_colorscale(style, vmax, eps)}
    out.update(legend_update(values, style, len(geometry.traces)))  # the colour bars say it too
    return {"shapes": matrix_shapes(values.steps, style, geometry, outline), "data": out}


def apply_update(target: Any, update: Mapping[str, Any]) -> Any:
    """Apply an update from :func:`epoch_marker_update`, :func:`colorscale_update` or
    :func:`outline_update`.

    ``target`` is anything indexable like a figure: a ``dash.Patch()``, a ``go.Figure`` or a
    figure dict. Returns ``target``.
    """
    if "shapes" in update:
        target["layout"]["shapes"] = update["shapes"]
    for index, props in update.get("data", {}).items():
        for key, value in props.items():
            target["data"][int(index)][key] = value
    return target
