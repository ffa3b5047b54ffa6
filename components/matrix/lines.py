"""The line encoding of the matrix: one line per (series, tile row), over grey epoch bands.

Behind each tile's lines, at the selected epoch, every series has its own grey band (series in
order, top to bottom) whose darkness is that series' value there, each region scaled to its own
maximum; without an epoch the bands are transparent and only hover the tile's names.

See :mod:`confusionflow.components.matrix` for the encoding. Used up to ``LINES_MAX_CLASSES`` classes (see
:func:`confusionflow.components.matrix.geometry.drawn_style`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from confusionflow.components.downsample import bin_mean
from confusionflow.components.figure_style import base_layout, format_step
from confusionflow.components.matrix.colorscale import brightness, offdiag, region_scales
from confusionflow.components.matrix.geometry import LINE_TILE_HEIGHT, MatrixGeometry, nearest_step
from confusionflow.components.matrix.labels import (
    accuracy_note,
    class_axis,
    column_label_angle,
    diagonal_annotations,
    diagonal_text,
    grid_labels,
    matrix_margins,
    tick_name,
    tile_size_px,
    value_text,
)
from confusionflow.components.matrix.style import REGIONS, MatrixStyle, Region
from confusionflow.components.text import plain, plain_all
from confusionflow.components.wording import error_sentence
from confusionflow.data_access.views import MatrixValues

LINE_MARGIN = 0.06  # share of a tile's height kept free above and below the lines


def _line_y(v: np.ndarray, tile_start: float, style: MatrixStyle, vmax: float, eps: float) -> np.ndarray:
    """Data-space y of values in a tile row starting at ``tile_start`` (y axis points down)."""
    f = brightness(np.asarray(v, dtype=np.float64) / vmax, style, vmax, eps)
    usable = LINE_TILE_HEIGHT * (1 - 2 * LINE_MARGIN)
    y = tile_start + LINE_TILE_HEIGHT * LINE_MARGIN + usable * (1 - f)
    return np.where(np.isfinite(v), y, np.nan)


# The grey bands' colour scale: z = NO_BAND is "nothing to show" (no epoch selected, a step the
# series did not log, the diagonal), fully transparent; z in [0, 1] is the value over its region's
# maximum, from faint to dark grey.
NO_BAND = -1.0
BAND_COLORSCALE = [
    [0.0, "rgba(154,154,154,0)"],
    [0.4999, "rgba(154,154,154,0)"],
    [0.5, "rgba(154,154,154,0.06)"],
    [1.0, "rgba(154,154,154,0.85)"],
]


def epoch_background(
    values: MatrixValues,
    style: MatrixStyle,
    scales: Mapping[str, tuple[float, float]],
    step_name: str = "epoch",
    *,
    superclasses: bool = False,
) -> dict[Region, tuple[np.ndarray, np.ndarray]]:
    """Each series' own band per tile at the selected epoch: ``(z, hover text)`` per region, both
    ``(A, S, B)`` (tile rows, series, tile columns; ``A``/``B`` are C or 1).

    ``z`` is the series' value at the epoch over its region's maximum (in [0, 1]), or ``NO_BAND``
    where there is nothing to draw: no epoch selected, a step the series did not log, the diagonal
    (its tile carries the class name). The hover names the tile, the series and, with an epoch,
    the series' value there; the accuracy corner's also what accuracy counts
    (:func:`~confusionflow.components.matrix.labels.accuracy_note`).
    """
    classes = plain_all(values.classes)
    series = [plain(label) for label in values.series_labels]
    lumps = values.lumps
    c, n_s = len(classes), len(series)
    t = nearest_step(np.asarray(values.steps, dtype=np.float64), style.epoch)
    step = f" at {step_name} {format_step(values.steps[t])}" if t is not None else ""
    fmt = (lambda x: f"{x:.1%}") if values.normalization else (lambda x: f"{x:,.1f}")

    def at(a: np.ndarray) -> np.ndarray:
        """``(S, T, ...)`` -> ``(S, ...)`` at step ``t`` (NaN everywhere without one)."""
        if t is None:
            return np.full((a.shape[0], *a.shape[2:]), np.nan)
        return a[:, t].astype(np.float64)

    def band(prefix: str, s: int, v: float, pct: bool = False) -> str:
        if t is None:
            return f"{prefix}<br>{series[s]}"
        if not math.isfinite(v):
            return f"{prefix}<br>{series[s]}: not logged{step}"
        return f"{prefix}<br>{series[s]}{step}: {f'{v:.1%}' if pct else fmt(v)}"

    accuracy = accuracy_note(values, superclasses)
    cell_v = at(offdiag(values.values))  # (S, C, C)
    fn_v, fp_v = at(values.fn), at(values.fp)  # (S, C)
    acc_v = at(values.accuracy[:, :, None])[:, 0]  # (S,)
    vc, _ = scales["cell"]
    vf, _ = scales["fnfp"]
    cell_text = np.empty((c, n_s, c), dtype=object)
    fn_text = np.empty((c, n_s, 1), dtype=object)
    fp_text = np.empty((1, n_s, c), dtype=object)
    acc_text = np.empty((1, n_s, 1), dtype=object)
    for s in range(n_s):
        for i in range(c):
            for j in range(c):
                cell_text[i, s, j] = (
                    diagonal_text(classes[i], lumps[i])
                    if i == j
                    else band(f"true: {classes[i]} → pred: {classes[j]}", s, cell_v[s, i, j])
                )
            name = classes[i]
            fn_text[i, s, 0] = band(f"{name}: {error_sentence('fn', name)}", s, fn_v[s, i])
            fp_text[0, s, i] = band(f"{name}: {error_sentence('fp', name)}", s, fp_v[s, i])
        acc_text[0, s, 0] = band(f"accuracy ({accuracy})", s, float(acc_v[s]), pct=True)

    def z(v: np.ndarray, vmax: float) -> np.ndarray:
        return np.where(np.isfinite(v), v / vmax, NO_BAND)

    return {
        "cell": (z(cell_v, vc).transpose(1, 0, 2), cell_text),
        "fn": (z(fn_v, vf).T[:, :, None], fn_text),
        "fp": (z(fp_v, vf)[None, :, :], fp_text),
        "accuracy": (z(acc_v, 1.0)[None, :, None], acc_text),
    }


def band_grid(z: np.ndarray, text: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(A, S, B)`` bands as the ``(A * (S + 1) - 1, B)`` rows of one heatmap: each tile row's S
    bands, then one gap row (NaN, no hover) before the next tile row."""
    a, n_s, b = z.shape
    zg = np.full((a, n_s + 1, b), np.nan, dtype=np.float32)
    tg = np.full((a, n_s + 1, b), "", dtype=object)
    zg[:, :n_s] = z
    tg[:, :n_s] = text
    rows = a * (n_s + 1) - 1
    return zg.reshape(a * (n_s + 1), b)[:rows], tg.reshape(a * (n_s + 1), b)[:rows]


def band_edges(geo: MatrixGeometry, tile_rows: int, first: int) -> list[float]:
    """y edges of :func:`band_grid`'s rows: tile rows ``first .. first + tile_rows - 1`` each cut
    into S equal bands (series in order, top to bottom); from a tile's end to the next tile's start
    runs the gap row."""
    n_s = geo.n_series
    edges: list[float] = []
    for k in range(tile_rows):
        start = geo.y.start(first + k)
        edges.extend(float(start + geo.y.inner * b / n_s) for b in range(n_s + 1))
    return edges


def background_update(
    values: MatrixValues,
    style: MatrixStyle,
    geo: MatrixGeometry,
    scales: Mapping[str, tuple[float, float]],
    step_name: str = "epoch",
    *,
    superclasses: bool = False,
) -> dict[int, dict]:
    """Per background trace index: the ``z`` and hover ``text`` of its bands at ``style.epoch``
    (:func:`band_grid` rows)."""
    bg = epoch_background(values, style, scales, step_name, superclasses=superclasses)
    out = {}
    for reg in REGIONS:
        z, text = band_grid(*bg[reg])
        out[geo.trace_index("background", reg)] = {"z": z, "text": text}
    return out


def _background_traces(
    values: MatrixValues,
    style: MatrixStyle,
    geo: MatrixGeometry,
    scales: Mapping[str, tuple[float, float]],
    step_name: str,
    superclasses: bool,
) -> list[dict]:
    grids = background_update(values, style, geo, scales, step_name, superclasses=superclasses)
    out = []
    for reg in REGIONS:
        index = geo.trace_index("background", reg)
        role = geo.traces[index]
        z, text = grids[index]["z"], grids[index]["text"]
        b = z.shape[1]
        tile_rows = geo.n_classes if reg in ("cell", "fn") else 1
        out.append(
            {
                "type": "heatmap",
                "z": z,
                "x0": role.x0 + (geo.x.inner - 1) / 2,
                "dx": geo.x.pitch if b > 1 else geo.x.inner,
                "y": band_edges(geo, tile_rows, 0 if tile_rows > 1 else geo.n_classes),
                "xgap": 3,
                "ygap": 1,
                "text": text,
                "hoverinfo": "text",
                "hoverongaps": False,  # the gap rows between tiles; every band has a z
                "zmin": NO_BAND,
                "zmax": 1,
                "colorscale": BAND_COLORSCALE,
                "showscale": False,
                "name": f"{reg} background",
            }
        )
    return out


def build_lines(
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
    """The line figure; ``shapes``/``meta`` are the matrix's shapes and the epoch-marker recipe;
    ``superclasses``: the classes shown are superclasses (the accuracy corner says so)."""
    x_labels, _ = grid_labels(values, geo, step_name)
    classes = list(values.classes)
    names = plain_all(classes)
    c, n_t, b = geo.n_classes, geo.n_time_columns, geo.time_bin
    scales = region_scales(values)
    vc, ec = scales["cell"]
    vf, ef = scales["fnfp"]
    data: list[dict] = _background_traces(values, style, geo, scales, step_name, superclasses)
    relative = values.normalization is not None

    def by_step(a: np.ndarray, like: np.ndarray | None = None) -> np.ndarray:
        """``(S, T, ...)`` -> ``(S, T', ...)``: mean over each time column's logged steps."""
        if b == 1:
            return a
        if like is not None:  # counts: only where the series logged the step
            a = np.where(np.isnan(like), np.nan, a.astype(np.float64))
        return np.moveaxis(bin_mean(np.moveaxis(a, 1, -1), b), -1, 1)

    mean = f" (mean over the {step_name}s)" if b > 1 else ""
    cells = by_step(offdiag(values.values))
    counts = by_step(values.counts, offdiag(values.values))
    fn, fn_counts = by_step(values.fn), by_step(values.fn_counts, values.fn)
    fp, fp_counts = by_step(values.fp), by_step(values.fp_counts, values.fp)
    accuracy = by_step(values.accuracy)

    # x labels of each tile column, each followed by one separator point (x None, y NaN)
    def cols(j: int) -> list[str | None]:
        s = int(geo.x.start(j))
        return [*x_labels[s : s + n_t], None]

    main_x = [lab for j in range(c) for lab in cols(j)]
    extra_x = cols(c)
    sep = np.full((1,), np.nan)

    def join(rows: Sequence[np.ndarray]) -> np.ndarray:
        return np.concatenate([np.concatenate([r, sep]) for r in rows]) if rows else np.empty(0)

    def custom(vals: Sequence[np.ndarray], cnts: Sequence[np.ndarray]) -> np.ndarray:
        v = join(vals).astype(np.float32)
        if not relative:
            return v
        return np.stack([v, join([x.astype(np.float64) for x in cnts]).astype(np.float32)], axis=1)

    refs = ("%{customdata[0]", "%{customdata[1]") if relative else ("%{customdata", "")
    value_cell, _ = value_text(values.normalization, "cell", *refs, binned=b > 1, step_name=step_name)
    value_fn, _ = value_text(values.normalization, "fn", *refs, binned=b > 1, step_name=step_name)
    value_fp, _ = value_text(values.normalization, "fp", *refs, binned=b > 1, step_name=step_name)

    for s in range(geo.n_series):
        color = colors[s]
        label = plain(values.series_labels[s])
        line = {"color": color, "width": 1.5}
        for i in range(c):
            vals = [cells[s, :, i, j] for j in range(c)]
            cnts = [counts[s, :, i, j] for j in range(c)]
            y = join([_line_y(v, geo.y.start(i), style, vc, ec) for v in vals])
            data.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "x": main_x,
                    "y": y.astype(np.float32),
                    "customdata": custom(vals, cnts),
                    "line": line,
                    "hovertemplate": f"true: {names[i]} · {label}<br>%{{x}}<br>"
                    + value_cell
                    + "<extra></extra>",
                    "name": label,
                }
            )
        fn_vals = [fn[s, :, i] for i in range(c)]
        fn_y = join([_line_y(fn[s, :, i], geo.y.start(i), style, vf, ef) for i in range(c)])
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": extra_x * c,
                "y": fn_y.astype(np.float32),
                "customdata": custom(fn_vals, [fn_counts[s, :, i] for i in range(c)]),
                "text": [n for n in names for _ in range(n_t + 1)],
                "line": line,
                "hovertemplate": value_fn + f"<br>{label}<br>%{{x}}<extra></extra>",
                "name": label,
            }
        )
        fp_vals = [fp[s, :, j] for j in range(c)]
        fp_y = join([_line_y(v, geo.y.start(c), style, vf, ef) for v in fp_vals])
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": main_x,
                "y": fp_y.astype(np.float32),
                "customdata": custom(fp_vals, [fp_counts[s, :, j] for j in range(c)]),
                "text": [n for n in names for _ in range(n_t + 1)],
                "line": line,
                "hovertemplate": value_fp + f"<br>{label}<br>%{{x}}<extra></extra>",
                "name": label,
            }
        )
        acc = accuracy[s]
        acc_style = MatrixStyle("lines")
        acc_y = join([_line_y(acc, geo.y.start(c), acc_style, 1.0, 1e-3)])
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": extra_x,
                "y": acc_y.astype(np.float32),
                "customdata": join([acc]).astype(np.float32),
                "line": line,
                "hovertemplate": f"accuracy · {label}<br>%{{x}}<br>%{{customdata:.1%}}{mean}<br>"
                + accuracy_note(values, superclasses)
                + "<extra></extra>",
                "name": label,
            }
        )
    tile = tile_size_px(c)
    margins = matrix_margins(classes)
    plot_h = geo.y.total * tile / geo.y.pitch
    x_axis = class_axis(x_labels, geo.x, classes, "FN", "predicted class", tile)
    x_axis.update(
        side="top", range=[-0.5, geo.x.total - 0.5], tickangle=column_label_angle(c), constrain="domain"
    )
    y_axis = {
        "range": [geo.y.total, 0.0],
        "tickmode": "array",
        "tickvals": [geo.y.start(i) + geo.y.inner / 2 for i in range(c + 1)],
        "ticktext": [*plain_all(tick_name(n) for n in classes), "FP"],
        "showgrid": False,
        "zeroline": False,
        "ticklabelstandoff": 6,
        "title": {"text": "true class"},
    }
    # Plotly refuses scaleanchor between a categorical and a linear axis, so square tiles come from
    # an explicit width here (the heatmap encoding uses scaleanchor and stays responsive).
    plot_w = geo.x.total * tile / geo.x.pitch
    return go.Figure(
        data=data,
        layout=base_layout(
            height=int(plot_h + margins["t"] + margins["b"]),
            width=int(plot_w + margins["l"] + margins["r"]),
            margin=margins,
            xaxis=x_axis,
            yaxis=y_axis,
            annotations=diagonal_annotations(classes, geo, tile, values.lumps),
            shapes=shapes,
            meta=meta,
            uirevision=uirev,
            dragmode="zoom",
            hoverdistance=8,  # a line point wins only when really under the pointer, else the tile's names
        ),
    )
