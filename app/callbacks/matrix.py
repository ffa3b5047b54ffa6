"""View A: the ConfusionFlow matrix.

The matrix is rebuilt on the *windowed* tensor (only the steps in the selected range), so zooming in
time gives every step more room. Changing only the epoch: the browser moves the marker itself
(``moveEpochMarkers``, see ``app/callbacks/timeline.py``); in the line encoding the grey background
of that epoch comes as a ``Patch``. Every ``Patch`` restates the marker of the current epoch.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import dash
from dash import Input, Output, Patch, State

from app.callbacks.common import Selection, epoch_of, series_colors, view_tensor, x_range_of
from app.state import NORMALIZATION_LABELS, clamp_gamma, format_number
from components import ids
from components.figure_style import empty_figure
from components.matrix import (
    LINES_MAX_CLASSES,
    MatrixStyle,
    apply_update,
    build_matrix_figure,
    colorscale_update,
    epoch_marker_update,
    matrix_geometry,
)
from components.options import ENCODINGS, SCALES
from data_access.views import matrix_values

NORMALIZATION_NOTES = {
    None: "Counts of instances per cell. FN column: instances of the row's class predicted as another "
    "class; FP row: instances predicted as the column's class that belong to another.",
    "true": "Each cell: share of the row's (true class's) instances predicted as the column's class; "
    "rows of the matrix sum to 100% with the diagonal. FN and FP are divided by the class's instances.",
    "pred": "Each cell: share of the instances predicted as the column's class whose true class is the "
    "row's. FN and FP are divided by the number of instances predicted as that class.",
    "all": "Each cell: share of all instances of the fold (so folds of different sizes compare). "
    "FN and FP are divided by all instances too.",
}


def matrix_style(
    encoding: object, rotate: object, scale: object, gamma: object, epoch: object
) -> MatrixStyle:
    """The builder's style from the toolbar values (anything unknown -> the default)."""
    return MatrixStyle(
        encoding=encoding if encoding in ENCODINGS else "heatmap",
        rotate=isinstance(rotate, list) and "rotate" in rotate,
        scale=scale if scale in SCALES else "linear",
        gamma=clamp_gamma(gamma),
        epoch=epoch_of(epoch),
    )


def normalization_of(value: object) -> str | None:
    return value if value in ("true", "pred", "all") else None


def matrix_meta(
    tensor, sel: Selection, colors: list[str], style: MatrixStyle, normalization: str | None
) -> dict:
    """What the drawn matrix shows: enough to decode a click and to tell what a change needs.

    ``encoding``/``rotate`` are what was drawn (lines fall back to heatmaps above
    ``LINES_MAX_CLASSES`` classes), so a click is decoded against the figure on screen.
    """
    return {
        "classes": list(tensor.classes),
        "series": list(sel.series),
        "steps": [float(s) for s in tensor.steps],
        "n_series": tensor.n_series,
        "n_steps": tensor.n_steps,
        "encoding": style.encoding,
        "rotate": style.rotate,
        "scale": style.scale,
        "gamma": style.gamma,
        "epoch": style.epoch,
        "normalization": normalization,
        "colors": list(colors),
    }


def figure_change(old: object, new: dict) -> str | None:
    """``"epoch"`` or ``"colorscale"`` when only that differs from the figure on screen (so a
    ``Patch`` suffices), else None (rebuild)."""
    if not isinstance(old, dict) or set(old) != set(new):
        return None
    differ = {k for k in new if old[k] != new[k]}
    if differ == {"epoch"}:
        return "epoch"
    if differ and differ <= {"scale", "gamma"}:
        return "colorscale"
    return None


def caption(n_series: int, classes: tuple[str, ...], steps, normalization: str | None) -> str:
    if len(steps) == 0:
        return ""
    span = f"steps {format_number(steps[0])}–{format_number(steps[-1])}"
    return (
        f"Rows: true class · columns: predicted class · {len(classes)} classes · "
        f"{n_series} series · {span} · values: {NORMALIZATION_LABELS[normalization]} · "
        "click a tile to see it in the detail view"
    )


def rotate_options(encoding: object) -> list[dict]:
    """Rotation applies to the heatmap strips only; in line mode the box is disabled and says so."""
    lines = encoding == "lines"
    label = "rotate 90° (heatmap only)" if lines else "rotate 90°"
    return [{"label": label, "value": "rotate", "disabled": lines}]


def register(app: dash.Dash, store: Any) -> None:
    app.callback(Output(ids.ROTATE, "options"), Input(ids.ENCODING, "value"))(rotate_options)

    @app.callback(
        Output(ids.MATRIX_GRAPH, "figure"),
        Output(ids.MATRIX_META, "data"),
        Output(ids.MATRIX_CAPTION, "children"),
        Output(ids.NORMALIZATION_NOTE, "children"),
        Input(ids.SELECTION, "data"),
        Input(ids.SLOTS, "data"),
        Input(ids.RANGE_STORE, "data"),
        Input(ids.ENCODING, "value"),
        Input(ids.ROTATE, "value"),
        Input(ids.NORMALIZATION, "value"),
        Input(ids.SCALE, "value"),
        Input(ids.GAMMA, "value"),
        Input(ids.EPOCH_STORE, "data"),
        State(ids.MATRIX_META, "data"),
    )
    def update_matrix(selection, slots, step_range, encoding, rotate, norm, scale, gamma, epoch, meta):
        sel = Selection.from_store(selection)
        normalization = normalization_of(norm)
        note = NORMALIZATION_NOTES[normalization]
        style = matrix_style(encoding, rotate, scale, gamma, epoch)
        tensor = view_tensor(store, sel)
        if tensor is None:
            return empty_figure("Choose a series to draw its confusion matrix."), None, "", note
        rng = x_range_of(step_range)
        if rng is not None:
            tensor = tensor.step_window(*rng)
        if style.encoding == "lines" and tensor.n_classes > LINES_MAX_CLASSES:
            style = replace(style, encoding="heatmap", rotate=False)  # what the builder draws then
        colors = series_colors(sel.series, slots)
        new_meta = matrix_meta(tensor, sel, colors, style, normalization)
        values = matrix_values(tensor, normalization)
        change = figure_change(meta, new_meta)
        if change is not None:
            geometry = matrix_geometry(tensor.n_classes, tensor.n_series, tensor.n_steps, style)
            update = (
                epoch_marker_update(values, style, geometry)
                if change == "epoch"
                else colorscale_update(values, style, geometry)
            )
            if update is not None and change == "epoch" and not update["data"]:
                # heatmaps: the browser already moved the marker (moveEpochMarkers in assets/);
                # a Patch would make dcc.Graph recompute the whole figure for one shape
                return dash.no_update, new_meta, dash.no_update, dash.no_update
            if update is not None:
                # carries the current epoch marker too: the browser moved it without this figure
                return apply_update(Patch(), update), new_meta, dash.no_update, dash.no_update
        figure = build_matrix_figure(values, colors, style)
        return figure, new_meta, caption(tensor.n_series, tensor.classes, tensor.steps, normalization), note
