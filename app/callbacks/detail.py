"""View C: one measure, large, with a title that says exactly what it is.

Clicking a matrix tile (a cell, an FN or FP tile, the accuracy corner) or a class-performance chart
chooses what is shown; "Show accuracy" goes back to overall accuracy, which is also what a fresh
page shows. The target names classes (not positions) so it survives a change of class selection
as long as its classes stay selected.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import dash
from dash import ClientsideFunction, Input, Output, State, ctx

from confusionflow.app.callbacks.appended import chart_meta, drawn_meta, figure_or_append, frame_digest
from confusionflow.app.callbacks.common import Selection, series_colors, shown_hierarchy, view_tensor
from confusionflow.app.callbacks.inputs import (
    EPOCH_STATE,
    MARKER_VIEW_INPUTS,
    Bounds,
    PageInputs,
    epoch_only,
    outputs_of,
    parse_inputs,
)
from confusionflow.app.state import DetailTarget, parse_query
from confusionflow.components import ids, wording
from confusionflow.components.charts import build_detail_figure, points_per_class
from confusionflow.components.click_targets import (
    ClickedTile,
    class_chart_tile,
    first_point,
    matrix_tile,
    tile_of_cell,
)
from confusionflow.components.figure_style import empty_figure
from confusionflow.components.matrix import MatrixGeometry, MatrixStyle, drawn_style, matrix_geometry
from confusionflow.data_access.metrics import DenominatorRegion
from confusionflow.data_access.store import LogStore
from confusionflow.data_access.views import detail_values
from confusionflow.data_access.vocabulary import CLASS_METRICS, parse_normalization, shared_step_name
from confusionflow.data_access.walltime import series_wall_times, wall_time_grid

METRIC_NAMES = {"precision": "Precision", "recall": "Recall", "f1": "F1 score"}
TARGET_OUTPUTS = {"target": Output(ids.DETAIL_TARGET, "data")}
DETAIL_OUTPUTS = {
    "figure": Output(ids.DETAIL_GRAPH, "figure"),
    "title": Output(ids.DETAIL_TITLE, "children"),
    "meta": Output(ids.DETAIL_META, "data"),
}


@dataclass(frozen=True)
class DetailUpdate:
    figure: Any
    title: Any
    meta: Any = None  # what was drawn (app/callbacks/appended.py), for the next call


def detail_title(target: DetailTarget, normalization: str | None, *, superclasses: bool = False) -> str:
    """Exactly what the detail chart shows, in words (``superclasses``: the classes are superclasses,
    so accuracy counts a prediction inside the true superclass as correct)."""
    mode = parse_normalization(normalization)

    def share(region: DenominatorRegion) -> str:
        # the denominator this tile is divided by (confusionflow.data_access.metrics.denominator_codes), in words
        return "" if mode is None else f", share {wording.share_phrase(region, mode)}"

    if target.kind == "cell":
        what = "instances" if mode is None else f"share {wording.share_phrase('cell', mode)}"
        return f"True class “{target.true}” predicted as “{target.pred}”: {what}"
    if target.kind == "fn":
        return f"False negatives of class “{target.true}” (instances of it predicted as another class){share('fn')}"
    if target.kind == "fp":
        return f"False positives of class “{target.pred}” (other classes predicted as it){share('fp')}"
    if target.kind in CLASS_METRICS:
        return f"{METRIC_NAMES[target.kind]} of class “{target.true}”"
    return f"Overall accuracy ({wording.accuracy_description(superclasses)})"


def shows_superclasses(store: LogStore, sel: Selection) -> bool:
    """Whether the shown classes include groups of a hierarchy level: asked for, and the series'
    hierarchy has that level (:func:`confusionflow.app.callbacks.common.shown_hierarchy`)."""
    return shown_hierarchy(store, sel).aggregated


def _target(tile: ClickedTile | None) -> DetailTarget | None:
    if tile is None:
        return None
    target = DetailTarget(tile.kind, tile.true, tile.pred)
    return target if target.is_valid() else None


def target_from_cell(cell: Any, classes: Sequence[str]) -> DetailTarget | None:
    """A ``CellTarget`` from ``decode_click`` (class indices or names) as a detail target."""
    return _target(tile_of_cell(cell, classes))


def matrix_click_target(point: dict, classes: Sequence[str], geometry: MatrixGeometry) -> DetailTarget | None:
    """The detail target of a click on the matrix the server drew (``classes``, ``geometry``), or
    None (a gap between tiles)."""
    return _target(matrix_tile(point, classes, geometry))


def class_click_target(point: dict, classes: Sequence[str], per_class: int) -> DetailTarget | None:
    """The detail target of a click on the class-performance chart (a class and a metric); its
    lines hold ``per_class`` points per class (recomputed by the server, never the browser's)."""
    target = _target(class_chart_tile(point, classes, per_class))
    return target if target is None or target.kind in CLASS_METRICS else None


def drawn_geometry(store: LogStore, page: PageInputs) -> tuple[tuple[str, ...], MatrixGeometry] | None:
    """The classes and geometry of the matrix the page shows, from the server's data (the same
    tensor, step window and fallback as ``confusionflow.app.callbacks.matrix``), or None without a matrix."""
    tensor = view_tensor(store, page.selection)
    if tensor is None:
        return None
    if page.step_range is not None:
        tensor = tensor.step_window(*page.step_range)
    style, _ = drawn_style(tensor.n_classes, MatrixStyle(encoding=page.encoding, rotate=page.rotate))
    return tensor.classes, matrix_geometry(tensor.n_classes, tensor.n_series, tensor.n_steps, style)


def detail_target_update(
    store: LogStore,
    trigger: object,
    page: PageInputs,
    matrix_click: object,
    perf_click: object,
) -> DetailTarget | None:
    """The detail target after an event, or None when the event changes nothing.

    ``page`` holds the parsed URL state, selection, current target, step range and encoding; the
    clicked figures' sizes are recomputed here from the logs, never taken from the browser.
    """
    target = page.detail
    if trigger == ids.URL_STATE or trigger is None:
        target = parse_query(page.url_state).detail if page.url_state else DetailTarget()
    elif trigger == ids.MATRIX_CLICK:
        point = first_point(matrix_click)
        drawn = drawn_geometry(store, page) if point else None
        clicked = matrix_click_target(point, *drawn) if point and drawn else None
        if clicked is None:
            return None
        target = clicked
    elif trigger == ids.CLASS_PERF_CLICK:
        point = first_point(perf_click)
        tensor = view_tensor(store, page.selection) if point else None
        clicked = (
            class_click_target(
                point,
                tensor.classes,
                points_per_class(tensor.steps, tensor.n_series, tensor.n_classes, page.step_range),
            )
            if point and tensor is not None
            else None
        )
        if clicked is None:
            return None
        target = clicked
    elif trigger == ids.DETAIL_RESET:
        target = DetailTarget()
    if target.classes():
        # a target whose classes are no longer shown falls back to overall accuracy
        tensor = view_tensor(store, page.selection)
        names = set(tensor.classes) if tensor is not None else set()
        if not set(target.classes()) <= names:
            target = DetailTarget()
    return target


def detail_update(store: LogStore, page: PageInputs, triggered: object, drawn: object = None) -> DetailUpdate:
    """The detail chart and its title for the page's inputs; an added series is a Patch appending
    its line when ``drawn`` (the chart's store) shows the others are on screen (``appended``)."""
    sel = page.selection
    tensor = view_tensor(store, sel)
    if tensor is None:
        return DetailUpdate(empty_figure("Choose a series to see its accuracy."), "Overall accuracy", None)
    if epoch_only(triggered):
        # only the epoch moved: the browser moved the dashed line (moveEpochMarkers)
        return DetailUpdate(dash.no_update, dash.no_update, dash.no_update)
    figure, title = detail_figure(store, page)
    meta = chart_meta(sel.series, detail_frame(store, page))

    def on_screen(series: tuple[str, ...]) -> Any:
        return detail_figure(store, replace(page, selection=replace(sel, series=series)))[0]

    drawn_chart = drawn_meta(drawn, Bounds.of(store.list_series()))
    return DetailUpdate(figure_or_append(figure, meta, drawn_chart, on_screen), title, meta)


def detail_frame(store: LogStore, page: PageInputs) -> str:
    """A digest of what every line of the detail chart depends on besides its series."""
    sel = page.selection
    return frame_digest(
        store.fingerprint(),
        [sel.classes, sel.other, sel.level, sel.group],
        page.detail.to_dict(),
        page.normalization,
        page.step_range,
    )


def detail_figure(store: LogStore, page: PageInputs) -> tuple[Any, str]:
    """The detail chart and its title for ``page`` (every series of its selection)."""
    sel = page.selection
    target = page.detail
    tensor = view_tensor(store, sel)
    if tensor is None:
        return empty_figure("Choose a series to see its accuracy."), "Overall accuracy"
    if not set(target.classes()) <= set(tensor.classes):
        target = DetailTarget()
    normalization = page.normalization
    index = {c: i for i, c in enumerate(tensor.classes)}
    dv = detail_values(
        tensor,
        target.kind,
        index.get(target.true) if target.true else None,
        index.get(target.pred) if target.pred else None,
        normalization,
    )
    title = detail_title(
        target,
        normalization if target.kind in ("cell", "fn", "fp") else None,
        superclasses=shows_superclasses(store, sel),
    )
    figure = build_detail_figure(
        tensor.steps,
        dv.values,
        [s.label for s in tensor.series],
        series_colors(sel.series, page.slots),
        title=title,
        y_title=wording.detail_unit_title(dv.unit),
        percent=dv.percent,
        epoch=page.epoch,
        x_range=page.step_range,
        counts=dv.counts,
        step_name=shared_step_name(s.step_name for s in tensor.series),
        wall_times=wall_time_grid(series_wall_times(store, [s.key for s in tensor.series]), tensor.steps),
    )
    if page.step_range is None:
        # back to every step: say so, or Plotly keeps the last zoom under the same uirevision
        figure.update_xaxes(autorange=True)
    return figure, title


def register(app: dash.Dash, store: LogStore) -> None:
    @app.callback(
        output=TARGET_OUTPUTS,
        # a new selection or a restored URL sets the target with the selection, in one answer
        # (app/callbacks/follow.py); this callback answers clicks
        inputs={
            "matrix_click": Input(ids.MATRIX_CLICK, "data"),
            "perf_click": Input(ids.CLASS_PERF_CLICK, "data"),
            "reset": Input(ids.DETAIL_RESET, "n_clicks"),
        },
        state={
            "selection": State(ids.SELECTION, "data"),
            "detail": State(ids.DETAIL_TARGET, "data"),
            "step_range": State(ids.RANGE_STORE, "data"),
            "encoding": State(ids.ENCODING, "value"),
            "rotate": State(ids.ROTATE, "value"),
        },
        prevent_initial_call=True,  # the layout carries the first view (app/first_view.py)
    )
    def update_detail_target(matrix_click, perf_click, reset, **raw):
        page = parse_inputs(raw, Bounds.of(store.list_series()))
        target = detail_target_update(store, ctx.triggered_id, page, matrix_click, perf_click)
        if target is None or target.to_dict() == raw.get("detail"):
            raise dash.exceptions.PreventUpdate
        return outputs_of({"target": target.to_dict()}, TARGET_OUTPUTS)

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
        output=DETAIL_OUTPUTS,
        inputs={
            "detail": Input(ids.DETAIL_TARGET, "data"),
            **MARKER_VIEW_INPUTS,
            "normalization": Input(ids.NORMALIZATION, "value"),
        },
        # an epoch move only moves the dashed line, in the browser
        state={**EPOCH_STATE, "drawn": State(ids.DETAIL_META, "data")},
        prevent_initial_call=True,  # the layout carries the first view (app/first_figures.py)
    )
    def update_detail(drawn, **raw):
        page = parse_inputs(raw, Bounds.of(store.list_series()))
        return outputs_of(detail_update(store, page, ctx.triggered_prop_ids, drawn), DETAIL_OUTPUTS)
