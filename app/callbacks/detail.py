"""View C: one measure, large, with a title that says exactly what it is.

Clicking a matrix tile (a cell, an FN or FP tile, the accuracy corner) or a class-performance chart
chooses what is shown; "Show accuracy" goes back to overall accuracy, which is also what a fresh
page shows. The target names classes (not positions) so it survives a change of class selection
as long as its classes stay selected.
"""

from __future__ import annotations

from typing import Any

import dash
from dash import ClientsideFunction, Input, Output, State, ctx

from app.callbacks.common import Selection, epoch_of, series_colors, view_tensor, x_range_of
from app.state import CLASS_METRICS, NORMALIZATION_LABELS, DetailTarget, parse_query
from components import ids
from components.charts import GAP_H, GAP_W, METRICS, TILE_H, TILE_W, build_detail_figure, decode_class_click
from components.figure_style import empty_figure
from components.matrix import MatrixStyle, decode_click, matrix_geometry
from components.wording import detail_unit_title
from data_access.views import detail_values

METRIC_NAMES = {"precision": "Precision", "recall": "Recall", "f1": "F1 score"}


def detail_title(target: DetailTarget, normalization: str | None) -> str:
    """Exactly what the detail chart shows, in words."""
    how = "" if normalization is None else f" ({NORMALIZATION_LABELS[normalization]})"
    if target.kind == "cell":
        what = "instances" if normalization is None else "share of instances"
        return f"True class “{target.true}” predicted as “{target.pred}”: {what}{how}"
    if target.kind == "fn":
        return f"False negatives of class “{target.true}” (instances of it predicted as another class){how}"
    if target.kind == "fp":
        return f"False positives of class “{target.pred}” (other classes predicted as it){how}"
    if target.kind in CLASS_METRICS:
        return f"{METRIC_NAMES[target.kind]} of class “{target.true}”"
    return "Overall accuracy (share of all instances classified correctly)"


def target_from_cell(cell: Any, classes: list[str]) -> DetailTarget | None:
    """A ``CellTarget`` from ``decode_click`` (class indices or names) as a detail target."""
    if cell is None:
        return None

    def name(v: object) -> str | None:
        if v is None:
            return None
        if isinstance(v, int) and 0 <= v < len(classes):
            return classes[v]
        return v if isinstance(v, str) and v in classes else None

    kind = getattr(cell, "kind", None)
    true, pred = name(getattr(cell, "true", None)), name(getattr(cell, "pred", None))
    if kind == "accuracy":
        return DetailTarget()
    if kind == "cell" and true and pred:
        return DetailTarget("cell", true, pred)
    if kind == "fn" and true:
        return DetailTarget("fn", true, None)
    if kind == "fp" and pred:
        return DetailTarget("fp", None, pred)
    return None


def style_from_meta(meta: dict) -> MatrixStyle:
    return MatrixStyle(
        encoding=meta.get("encoding", "heatmap"),
        rotate=bool(meta.get("rotate")),
        scale=meta.get("scale", "linear"),
        gamma=float(meta.get("gamma", 1.0)),
        epoch=None,
    )  # the epoch does not move tiles


def _first_point(click: object) -> dict | None:
    points = click.get("points") if isinstance(click, dict) else None
    return points[0] if isinstance(points, list) and points and isinstance(points[0], dict) else None


def _position(point: dict) -> tuple[float, float] | None:
    col, row = point.get("col"), point.get("row")
    if isinstance(col, (int, float)) and isinstance(row, (int, float)):
        return float(col), float(row)
    return None


def matrix_click_target(point: dict, meta: object) -> DetailTarget | None:
    """The detail target of a click on the matrix, or None (a gap between tiles, or no matrix).

    ``point`` is a clickData point with its axis position (``col``, ``row``) added in the browser;
    ``meta`` describes the drawn matrix (``MATRIX_META``).
    """
    if not isinstance(meta, dict) or not meta.get("classes"):
        return None
    classes = list(meta["classes"])
    geometry = matrix_geometry(
        len(classes), int(meta["n_series"]), int(meta["n_steps"]), style_from_meta(meta)
    )
    cell = decode_click(point, geometry)
    position = _position(point)
    if cell is None and position is not None:
        cell = geometry.target_at(*position)
    return target_from_cell(cell, classes)


def class_click_target(point: dict, classes: list[str]) -> DetailTarget | None:
    """The detail target of a click on the class-performance chart (a class and a metric)."""
    decoded = decode_class_click(point)
    position = _position(point)
    if decoded is None and position is not None:
        # a tile background: tiles sit on a grid of (1 + gap) units, metrics across, classes down
        col, row = position
        metric, x_in = divmod(col, TILE_W + GAP_W)
        index, y_in = divmod(row, TILE_H + GAP_H)
        if x_in <= TILE_W and y_in <= TILE_H and 0 <= metric < len(METRICS):
            decoded = (int(index), METRICS[int(metric)])
    if decoded is None:
        return None
    index, metric = decoded
    if metric not in CLASS_METRICS or not 0 <= index < len(classes):
        return None
    return DetailTarget(metric, classes[index], None)


def detail_target_update(
    store: Any,
    trigger: object,
    url_state: object,
    selection: object,
    matrix_click: object,
    perf_click: object,
    current: object,
    matrix_meta: object,
    perf_meta: object,
) -> DetailTarget | None:
    """The detail target after an event, or None when the event changes nothing."""
    target = DetailTarget.from_dict(current)
    if trigger == ids.URL_STATE or trigger is None:
        target = parse_query(url_state).detail if isinstance(url_state, str) else DetailTarget()
    elif trigger == ids.MATRIX_CLICK:
        point = _first_point(matrix_click)
        clicked = matrix_click_target(point, matrix_meta) if point else None
        if clicked is None:
            return None
        target = clicked
    elif trigger == ids.CLASS_PERF_CLICK:
        point = _first_point(perf_click)
        classes = list(perf_meta.get("classes") or []) if isinstance(perf_meta, dict) else []
        clicked = class_click_target(point, classes) if point else None
        if clicked is None:
            return None
        target = clicked
    elif trigger == ids.DETAIL_RESET:
        target = DetailTarget()
    if target.classes():
        # a target whose classes are no longer shown falls back to overall accuracy
        tensor = view_tensor(store, Selection.from_store(selection))
        names = set(tensor.classes) if tensor is not None else set()
        if not set(target.classes()) <= names:
            target = DetailTarget()
    return target


def register(app: dash.Dash, store: Any) -> None:
    @app.callback(
        Output(ids.DETAIL_TARGET, "data"),
        Input(ids.URL_STATE, "data"),
        Input(ids.SELECTION, "data"),
        Input(ids.MATRIX_CLICK, "data"),
        Input(ids.CLASS_PERF_CLICK, "data"),
        Input(ids.DETAIL_RESET, "n_clicks"),
        State(ids.DETAIL_TARGET, "data"),
        State(ids.MATRIX_META, "data"),
        State(ids.CLASS_PERF_META, "data"),
    )
    def update_detail_target(url_state, selection, matrix_click, perf_click, _reset, current, mmeta, pmeta):
        target = detail_target_update(
            store, ctx.triggered_id, url_state, selection, matrix_click, perf_click, current, mmeta, pmeta
        )
        if target is None or target.to_dict() == current:
            raise dash.exceptions.PreventUpdate
        return target.to_dict()

    # clickData loses a heatmap point's indices: add its axis position in the browser first
    for graph, store_id in (
        (ids.MATRIX_GRAPH, ids.MATRIX_CLICK),
        (ids.CLASS_PERF_GRAPH, ids.CLASS_PERF_CLICK),
    ):
        app.clientside_callback(
            ClientsideFunction(namespace="confusionflow", function_name="clickPosition"),
            Output(store_id, "data"),
            Input(graph, "clickData"),
            prevent_initial_call=True,
        )

    @app.callback(
        Output(ids.DETAIL_GRAPH, "figure"),
        Output(ids.DETAIL_TITLE, "children"),
        Input(ids.DETAIL_TARGET, "data"),
        Input(ids.SELECTION, "data"),
        Input(ids.SLOTS, "data"),
        Input(ids.RANGE_STORE, "data"),
        Input(ids.EPOCH_STORE, "data"),
        Input(ids.NORMALIZATION, "value"),
    )
    def update_detail(target_data, selection, slots, step_range, epoch, norm):
        sel = Selection.from_store(selection)
        target = DetailTarget.from_dict(target_data)
        tensor = view_tensor(store, sel)
        if tensor is None:
            return empty_figure("Choose a series to see its accuracy."), "Overall accuracy"
        if set(ctx.triggered_prop_ids or {}) == {f"{ids.EPOCH_STORE}.data"}:
            # only the epoch moved: the browser moved the dashed line (moveEpochMarkers)
            return dash.no_update, dash.no_update
        if not set(target.classes()) <= set(tensor.classes):
            target = DetailTarget()
        normalization = norm if norm in ("true", "pred", "all") else None
        index = {c: i for i, c in enumerate(tensor.classes)}
        dv = detail_values(
            tensor,
            target.kind,
            index.get(target.true) if target.true else None,
            index.get(target.pred) if target.pred else None,
            normalization,
        )
        title = detail_title(target, normalization if target.kind in ("cell", "fn", "fp") else None)
        figure = build_detail_figure(
            tensor.steps,
            dv.values,
            [s.label for s in tensor.series],
            series_colors(sel.series, slots),
            title=title,
            y_title=detail_unit_title(dv.unit),
            percent=dv.percent,
            epoch=epoch_of(epoch),
            x_range=x_range_of(step_range),
            counts=dv.counts,
        )
        if x_range_of(step_range) is None:
            # back to every step: say so, or Plotly keeps the last zoom under the same uirevision
            figure.update_xaxes(autorange=True)
        return figure, title
