"""The instance panel (L3): the instances in the clicked matrix cell, and what changed since the
previous step.

The panel follows the detail target (a matrix cell, or an FN/FP tile), the selected epoch (the last
step of the range the series logged when no epoch is selected), the class selection (a superclass
or "(other)" cell lists the instances of all its member classes) and one of the chosen series that
logged per-instance predictions (the one whose strip was clicked, else the first; a picker
switches). Numbers come from
``confusionflow.data_access.instances``; this module only resolves what the page asks for and calls it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import dash
from dash import ClientsideFunction, Input, Output, State, ctx

from confusionflow.app.callbacks.common import load_series, view_hierarchy
from confusionflow.app.callbacks.detail import drawn_geometry
from confusionflow.app.callbacks.inputs import Bounds, PageInputs, outputs_of, parse_inputs, text
from confusionflow.components import ids
from confusionflow.components.click_targets import axis_position, first_point
from confusionflow.components.instances_panel import (
    cell_title,
    instance_series_options,
    instances_body,
    instances_message,
)
from confusionflow.components.matrix import decode_click
from confusionflow.data_access.class_groups import display_groups
from confusionflow.data_access.errors import LogFormatError
from confusionflow.data_access.instances import cell_members, cell_table, cell_transitions, instance_series
from confusionflow.data_access.store import LogStore
from confusionflow.data_access.vocabulary import format_step

LISTABLE = ("cell", "fn", "fp")
CLICK_A_CELL = "Click a cell of the matrix (or a false-negative / false-positive tile) to list its instances."
NO_SERIES = "Choose a series to list the instances of its cells."
COUNTS_ONLY = (
    "None of the chosen series logged per-instance predictions (they logged counts only), so their "
    "instances cannot be listed. Log with LogWriter.add (not add_counts) to enable this."
)


@dataclass(frozen=True)
class InstanceRequest:
    """What the panel lists: a series, a step, and the run's classes on each side of the cell."""

    key: str
    label: str
    step: float
    true_classes: tuple[str, ...]
    pred_classes: tuple[str, ...]
    title: str
    shown_true: str | None
    shown_pred: str | None


def pick_series(candidates: list[tuple[str, bool]], current: object) -> str | None:
    """The series to list: ``current`` if it is chosen and has instances, else the first that has."""
    usable = [k for k, has in candidates if has]
    if isinstance(current, str) and current in usable:
        return current
    return usable[0] if usable else None


def page_of(
    store: LogStore, selection: object, target: object, epoch: object, step_range: object
) -> PageInputs:
    """The panel's inputs, parsed and bounded once."""
    raw = {"selection": selection, "detail": target, "epoch": epoch, "step_range": step_range}
    return parse_inputs(raw, Bounds.of(store.list_series()))


def resolve_page_request(store: LogStore, page: PageInputs, series_key: object) -> InstanceRequest | str:
    """The request the page state describes, or a sentence saying why there is nothing to list."""
    sel = page.selection
    if not sel.series:
        return NO_SERIES
    target = page.detail
    if target.kind not in LISTABLE:
        return CLICK_A_CELL
    tensor, _ = load_series(store, sel.series)
    if tensor is None:
        return NO_SERIES
    key = pick_series([(s.key, s.has_instances) for s in tensor.series], text(series_key))
    if key is None:
        return COUNTS_ONLY
    info = tensor.series[tensor.series_keys.index(key)]
    # the same aggregation and selection as the matrix (confusionflow.app.callbacks.common.shape_tensor)
    mapping = view_hierarchy(store, tensor, sel).mapping()
    groups = display_groups(info.classes, mapping=mapping, selected=sel.classes, other=sel.other)
    if not set(target.classes()) <= set(groups):
        return CLICK_A_CELL
    true, pred = target.true or "", target.pred or ""  # a valid target names the ones its kind needs
    if target.kind == "cell":
        true_classes, pred_classes = groups[true], groups[pred]
    elif target.kind == "fn":
        true_classes = groups[true]
        pred_classes = tuple(c for g, members in groups.items() if g != true for c in members)
    else:
        pred_classes = groups[pred]
        true_classes = tuple(c for g, members in groups.items() if g != pred for c in members)

    step = page.epoch
    if step is None:
        series = instance_series(store, key)
        if series.problem:
            return series.problem
        step = series.last_step_within(*(page.step_range or (None, None)))
        if step is None:
            return f"{info.label} logged no step inside the selected range."
    return InstanceRequest(
        key=key,
        label=info.label,
        step=step,
        true_classes=true_classes,
        pred_classes=pred_classes,
        title=cell_title(target.kind, target.true, target.pred),
        shown_true=target.true,
        shown_pred=target.pred,
    )


def resolve_request(
    store: LogStore, selection: object, target: object, epoch: object, step_range: object, series_key: object
) -> InstanceRequest | str:
    """:func:`resolve_page_request` for the values as the browser sent them (parsed here, once)."""
    return resolve_page_request(store, page_of(store, selection, target, epoch, step_range), series_key)


def instances_update(
    store: LogStore,
    selection: object,
    target_data: object,
    epoch: object,
    step_range: object,
    series_key: object,
) -> tuple[list, bool]:
    """``(panel body, CSV button disabled)`` for the page state (values as the browser sent them)."""
    try:
        request = resolve_request(store, selection, target_data, epoch, step_range, series_key)
        if isinstance(request, str):
            return instances_message(request), True
        members = cell_members(store, request.key, request.true_classes, request.pred_classes, request.step)
        transitions = None
        if members.problem is None:
            transitions = cell_transitions(
                store, request.key, request.true_classes, request.pred_classes, request.step
            )
    except (LogFormatError, OSError) as e:
        # a log changed or broke after the page loaded: say which file, keep the page working
        return instances_message(f"The instances cannot be read: {e}"), True
    body = instances_body(
        members,
        transitions,
        title=request.title,
        series_label=request.label,
        shown_true=request.shown_true,
        shown_pred=request.shown_pred,
    )
    return body, members.problem is not None


def csv_name(request: InstanceRequest) -> str:
    """``instances-<run>-<fold>-step-<s>.csv`` with only filename-safe characters."""
    raw = f"instances-{request.key.replace('/', '-')}-step-{format_step(request.step)}"
    return re.sub(r"[^A-Za-z0-9._-]+", "_", raw)[:120] + ".csv"


SERIES_OUTPUTS = {
    "options": Output(ids.INSTANCES_SERIES, "options"),
    "value": Output(ids.INSTANCES_SERIES, "value"),
}
BODY_OUTPUTS = {
    "body": Output(ids.INSTANCES_BODY, "children"),
    "download_disabled": Output(ids.INSTANCES_DOWNLOAD_BUTTON, "disabled"),
}
DOWNLOAD_OUTPUTS = {"download": Output(ids.INSTANCES_DOWNLOAD, "data")}


def clicked_series(store: LogStore, page: PageInputs, click: object) -> int | None:
    """Which shown series' strip (or line) a matrix click landed on: its position in the page's
    series, or None (a tile background, a gap, a malformed click). The figure's geometry is
    recomputed from the logs, as for the detail target, never taken from the browser."""
    point = first_point(click)
    drawn = drawn_geometry(store, page) if point else None
    if point is None or drawn is None:
        return None
    _, geometry = drawn
    try:
        cell = decode_click(point, geometry)
        position = axis_position(point)
        if cell is None and position is not None:
            cell = geometry.target_at(*position)
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    series = cell.series if cell is not None else None
    return series if series is not None and 0 <= series < len(page.selection.series) else None


def instance_series_update(
    store: LogStore, selection: object, current: object, clicked: int | None = None
) -> dict:
    """The panel's series picker: the shown series (those without instances disabled) and its value:
    the series whose strip was clicked (``clicked``, its position) when it logged instances, else
    ``current`` if still usable, else the first that logged instances."""
    page = parse_inputs({"selection": selection}, Bounds.of(store.list_series()))
    tensor, _ = load_series(store, page.selection.series)
    if tensor is None:
        return {"options": [], "value": None}
    items = [(s.key, s.label, s.has_instances) for s in tensor.series]
    if clicked is not None and 0 <= clicked < len(items) and items[clicked][2]:
        current = items[clicked][0]
    return {
        "options": instance_series_options(items),
        "value": pick_series([(k, h) for k, _, h in items], text(current)),
    }


def instances_download(store: LogStore, page: PageInputs, series_key: object) -> dict:
    """The CSV of the listed instances; PreventUpdate when there is nothing to export."""
    try:
        request = resolve_page_request(store, page, series_key)
        if isinstance(request, str):
            raise dash.exceptions.PreventUpdate
        members = cell_members(store, request.key, request.true_classes, request.pred_classes, request.step)
        transitions = cell_transitions(
            store, request.key, request.true_classes, request.pred_classes, request.step
        )
    except (LogFormatError, OSError):
        raise dash.exceptions.PreventUpdate from None
    if members.problem:
        raise dash.exceptions.PreventUpdate
    table = cell_table(members, transitions)
    return {"download": dash.dcc.send_data_frame(table.to_csv, csv_name(request), index=False)}


def register_instance_callbacks(app: dash.Dash, store: LogStore) -> None:
    """Wire the instance panel (``confusionflow.components.instances_panel.instances_panel``) on ``app``."""

    @app.callback(
        output=SERIES_OUTPUTS,
        inputs={
            "selection": Input(ids.SELECTION, "data"),
            "version": Input(ids.DATA_VERSION, "data"),
            "click": Input(ids.MATRIX_CLICK, "data"),
        },
        state={
            "current": State(ids.INSTANCES_SERIES, "value"),
            "step_range": State(ids.RANGE_STORE, "data"),
            "encoding": State(ids.ENCODING, "value"),
            "rotate": State(ids.ROTATE, "value"),
        },
        prevent_initial_call=True,  # the layout carries the first view (app/first_figures.py)
    )
    def update_instance_series(selection, version, click, current, step_range, encoding, rotate):
        clicked = None
        if ctx.triggered_id == ids.MATRIX_CLICK:
            raw = {"selection": selection, "step_range": step_range, "encoding": encoding, "rotate": rotate}
            clicked = clicked_series(store, parse_inputs(raw, Bounds.of(store.list_series())), click)
        return outputs_of(instance_series_update(store, selection, current, clicked), SERIES_OUTPUTS)

    # the range and the epoch reach the list through INSTANCES_STEPS, which the browser copies
    # only while the target is a listable tile; the callback reads them as state
    app.clientside_callback(
        ClientsideFunction(namespace="confusionflow", function_name="instancesSteps"),
        Output(ids.INSTANCES_STEPS, "data"),
        Input(ids.RANGE_STORE, "data"),
        Input(ids.EPOCH_STORE, "data"),
        State(ids.DETAIL_TARGET, "data"),
        prevent_initial_call=True,
    )

    @app.callback(
        output=BODY_OUTPUTS,
        inputs={
            "target": Input(ids.DETAIL_TARGET, "data"),
            "moved": Input(ids.INSTANCES_STEPS, "data"),
            "series_key": Input(ids.INSTANCES_SERIES, "value"),
            "selection": Input(ids.SELECTION, "data"),
            "version": Input(ids.DATA_VERSION, "data"),
        },
        state={"epoch": State(ids.EPOCH_STORE, "data"), "step_range": State(ids.RANGE_STORE, "data")},
        prevent_initial_call=True,  # the layout carries the first view (app/first_figures.py)
    )
    def update_instances(target, moved, series_key, selection, version, epoch, step_range):
        body, disabled = instances_update(store, selection, target, epoch, step_range, series_key)
        return outputs_of({"body": body, "download_disabled": disabled}, BODY_OUTPUTS)

    @app.callback(
        output=DOWNLOAD_OUTPUTS,
        inputs={"clicks": Input(ids.INSTANCES_DOWNLOAD_BUTTON, "n_clicks")},
        state={
            "selection": State(ids.SELECTION, "data"),
            "target": State(ids.DETAIL_TARGET, "data"),
            "epoch": State(ids.EPOCH_STORE, "data"),
            "step_range": State(ids.RANGE_STORE, "data"),
            "series_key": State(ids.INSTANCES_SERIES, "value"),
        },
        prevent_initial_call=True,
    )
    def on_instances_download(clicks, selection, target, epoch, step_range, series_key):
        if not parse_inputs({"clicks": clicks}).clicks:
            raise dash.exceptions.PreventUpdate
        page = page_of(store, selection, target, epoch, step_range)
        return outputs_of(instances_download(store, page, series_key), DOWNLOAD_OUTPUTS)
