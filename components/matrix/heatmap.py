"""The heatmap ("lasagna") encoding of the matrix: one hue layer plus one value layer per region.

See :mod:`confusionflow.components.matrix` for the encoding; this module lays the region blocks out as tiled
grids and builds the figure dict.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

from confusionflow.components.downsample import bin_mean
from confusionflow.components.figure_style import MUTED_COLOR, base_layout
from confusionflow.components.matrix.colorscale import (
    accuracy_range,
    count_dtype,
    hue_colorscale,
    linear_ramp,
    offdiag,
    ramp_colorscale,
    region_scales,
)
from confusionflow.components.matrix.geometry import AxisLayout, MatrixGeometry
from confusionflow.components.matrix.labels import (
    accuracy_note,
    class_axis,
    column_label_angle,
    diagonal_annotations,
    grid_labels,
    heatmap_hovertemplate,
    matrix_margins,
    tile_size_px,
    value_text,
)
from confusionflow.components.matrix.scale_legend import legend_traces
from confusionflow.components.matrix.style import REGIONS, MatrixStyle, Region
from confusionflow.components.text import plain_all
from confusionflow.data_access.views import MatrixValues


def tile_grid(
    block: np.ndarray, geo_y: AxisLayout, geo_x: AxisLayout, fill: float | int, dtype: Any
) -> np.ndarray:
    """Lay a ``(A, inner_y, B, inner_x)`` block out as a 2-D grid with gap rows/columns of ``fill``.

    ``A``/``B`` are the tile counts of the region (C for the main grid, 1 for FN/FP/corner).
    """
    a, iy, b, ix = block.shape
    py = int(geo_y.pitch) if a > 1 else iy
    px = int(geo_x.pitch) if b > 1 else ix
    out = np.full((a, py, b, px), fill, dtype=dtype)
    out[:, :iy, :, :ix] = block
    out = out.reshape(a * py, b * px)
    return out[: a * py - (py - iy), : b * px - (px - ix)]


def arrange(per_tile: np.ndarray, rotate: bool, k: int) -> np.ndarray:
    """``(A, S, B, T)`` -> ``(A, inner_y, B, inner_x)`` with each series repeated ``k`` times."""
    if k > 1:
        per_tile = np.repeat(per_tile, k, axis=1)
    if rotate:
        return per_tile.transpose(0, 3, 2, 1)
    return per_tile


def region_blocks(values: MatrixValues, time_bin: int = 1) -> dict[Region, tuple[np.ndarray, np.ndarray]]:
    """Values and counts per region as ``(A, S, B, T')`` (tile row, series, tile col, time column).

    With ``time_bin > 1`` both are means over each group of steps, counts only over logged steps.
    """
    v = offdiag(values.values)  # (S, T, C, C)
    s, t = v.shape[:2]
    raw = {
        "cell": (v.transpose(2, 0, 3, 1), values.counts.transpose(2, 0, 3, 1)),
        "fn": (
            values.fn.transpose(2, 0, 1)[:, :, None, :],
            values.fn_counts.transpose(2, 0, 1)[:, :, None, :],
        ),
        "fp": (values.fp.transpose(0, 2, 1)[None], values.fp_counts.transpose(0, 2, 1)[None]),
        "accuracy": (values.accuracy[None, :, None, :], np.zeros((1, s, 1, t), dtype=np.int64)),
    }
    if time_bin == 1:
        return raw  # type: ignore[return-value]
    out = {}
    for reg, (vals, cnts) in raw.items():
        logged = np.where(np.isnan(vals), np.nan, cnts.astype(np.float64))
        out[reg] = (bin_mean(vals, time_bin), bin_mean(logged, time_bin))
    return out  # type: ignore[return-value]


def class_text_grid(
    region: Region,
    shape: tuple[int, ...],
    classes: tuple[str, ...],
    geo: MatrixGeometry,
    gy: AxisLayout,
    gx: AxisLayout,
    k: int,
) -> np.ndarray:
    """The escaped class name of every grid unit of the FN column or FP row (``""`` in gaps)."""
    c = len(classes)
    index = np.arange(c, dtype=np.int32)
    block = index[:, None, None, None] if region == "fn" else index[None, None, :, None]
    grid = tile_grid(arrange(np.broadcast_to(block, shape), geo.rotate, k), gy, gx, c, np.int32)
    return np.asarray([*plain_all(classes), ""], dtype=object)[grid]


def build_heatmap(
    values: MatrixValues,
    colors: list[str],
    style: MatrixStyle,
    geo: MatrixGeometry,
    step_name: str,
    uirev: str,
    shapes: list[dict],
    meta: dict,
    *,
    superclasses: bool = False,
) -> go.Figure:
    """The heatmap figure; ``shapes``/``meta`` are the matrix's shapes and the epoch-marker recipe;
    ``superclasses``: the classes shown are superclasses (the accuracy corner says so)."""
    x_labels, y_labels = grid_labels(values, geo, step_name)
    n_s, k, c = geo.n_series, geo.strip_rows, geo.n_classes
    binned = geo.time_bin > 1
    blocks = region_blocks(values, geo.time_bin)
    scales = region_scales(values)
    acc_lo, acc_hi = accuracy_range(values.accuracy)
    missing, transparent = n_s, n_s + 1
    # one hue layer for the whole grid: series colour, grey where a series did not log, transparent
    # in gaps and on the diagonal. It is also the click target (hoverinfo "none": events, no label).
    hue_dtype = np.uint8 if transparent < 255 else np.uint16  # 0xFF bytes base64 to escaped "/"
    hue_grid = np.full((int(geo.y.total), int(geo.x.total)), transparent, dtype=hue_dtype)
    data: list[dict] = [
        {
            "type": "heatmap",
            "z": hue_grid,
            "x0": 0,
            "dx": 1,
            "y0": 0,
            "dy": 1,
            "zmin": 0,
            "zmax": n_s + 1,
            "colorscale": hue_colorscale(colors),
            "showscale": False,
            "hoverinfo": "none",
            "name": "series",
        }
    ]
    names = {"cell": "confusion", "fn": "false negatives", "fp": "false positives", "accuracy": "accuracy"}
    for reg in REGIONS:
        vals, cnts = blocks[reg]
        a, _, b, _ = vals.shape
        gy = geo.y if a > 1 else AxisLayout(1, geo.y.inner, 0, 0)
        gx = geo.x if b > 1 else AxisLayout(1, geo.x.inner, 0, 0)
        z = tile_grid(arrange(vals, geo.rotate, k), gy, gx, np.nan, np.float32)
        series_idx = np.broadcast_to(np.arange(n_s, dtype=hue_dtype)[None, :, None, None], vals.shape)
        hue = tile_grid(arrange(series_idx, geo.rotate, k), gy, gx, transparent, hue_dtype)
        hue = np.where((hue != transparent) & np.isnan(z), missing, hue)
        if reg == "cell":  # the diagonal is drawn as a label, not a strip
            for i in range(c):
                r0, c0 = int(geo.y.start(i)), int(geo.x.start(i))
                hue[r0 : r0 + int(geo.y.inner), c0 : c0 + int(geo.x.inner)] = transparent
        role = geo.traces[geo.trace_index("values", reg)]
        y0, x0 = int(role.y0), int(role.x0)
        hue_grid[y0 : y0 + hue.shape[0], x0 : x0 + hue.shape[1]] = hue
        value_tmpl, with_counts = value_text(values.normalization, reg, binned=binned, step_name=step_name)
        trace: dict[str, Any] = {
            "type": "heatmap",
            "z": z,
            "x0": role.x0,
            "dx": 1,
            "y0": role.y0,
            "dy": 1,
            "showscale": False,
            "hoverongaps": False,
            "hovertemplate": heatmap_hovertemplate(reg, value_tmpl)
            if reg != "accuracy"
            else heatmap_hovertemplate(reg, f"{value_tmpl}<br>{accuracy_note(values, superclasses)}"),
            "name": names[reg],
        }
        if reg == "accuracy":
            trace.update(zmin=acc_lo, zmax=acc_hi, colorscale=linear_ramp())
        else:
            vmax, eps = scales["cell" if reg == "cell" else "fnfp"]
            trace.update(zmin=0.0, zmax=vmax, colorscale=ramp_colorscale(style, vmax, eps))
        if reg in ("fn", "fp"):  # the hover sentence names the tile's class (labels.error_text)
            trace["text"] = class_text_grid(reg, vals.shape, values.classes, geo, gy, gx, k)
        if with_counts:
            dtype = np.float32 if binned else count_dtype(cnts)
            trace["customdata"] = tile_grid(arrange(cnts, geo.rotate, k), gy, gx, 0, dtype)
        data.append(trace)
    data.extend(legend_traces(values, style))  # after the geometry's traces: their numbers hold
    tile = tile_size_px(c, n_s * k + 1)  # a tile pitch: its strips and one gap row; legible strips
    plot_h = geo.y.total * tile / geo.y.pitch
    margins = matrix_margins(values.classes)
    x_axis = class_axis(x_labels, geo.x, values.classes, "FN", "predicted class", tile)
    x_axis.update(
        side="top",
        range=[-0.5, geo.x.total - 0.5],
        tickangle=column_label_angle(c),
        constrain="domain",
        constraintoward="left",
    )
    y_axis = class_axis(y_labels, geo.y, values.classes, "FP", "true class", tile)
    y_axis.update(
        range=[geo.y.total - 0.5, -0.5],
        scaleanchor="x",
        scaleratio=geo.x.pitch / geo.y.pitch,
        constrain="domain",
        constraintoward="top",  # a narrow page leaves room below the matrix, never above it
    )
    annotations = diagonal_annotations(values.classes, geo, tile, values.lumps)
    if binned:
        annotations.append(
            {
                "text": f"{c} classes × {geo.n_steps} {step_name}s: each column is the mean of "
                f"{geo.time_bin} {step_name}s (select a shorter range to see every {step_name})",
                "xref": "paper",
                "yref": "paper",
                "x": 0,
                "y": 0,
                "xanchor": "left",
                "yanchor": "top",
                "yshift": -4,
                "showarrow": False,
                "font": {"color": MUTED_COLOR, "size": 11},
            }
        )
    layout = base_layout(
        height=int(plot_h + margins["t"] + margins["b"]),
        margin=margins,
        xaxis=x_axis,
        yaxis=y_axis,
        annotations=annotations,
        meta=meta,
        uirevision=uirev,
        dragmode="zoom",
    )
    if shapes:
        layout["shapes"] = shapes
    return unvalidated_figure(data, layout)


def unvalidated_figure(data: list[dict], layout: dict) -> go.Figure:
    """``go.Figure(data=data, layout=layout)`` without plotly's validation of every property, with
    the template resolved as validation would resolve it. Why: validating the matrix's few large
    traces and long category arrays took 17 of the ~50 ms a 10-class matrix costs the server
    (2026-12-03); its JSON is the same (tests/unit/test_matrix_unvalidated.py compares them)."""
    template = layout.get("template")
    if isinstance(template, str):
        layout = {**layout, "template": pio.templates[template].to_plotly_json()}
    return go.Figure(data=data, layout=layout, _validate=False)
