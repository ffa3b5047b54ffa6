"""The instance panel (L3): the instances in the clicked matrix cell, and what changed since the
previous step.

The panel follows the detail target (a matrix cell, or an FN/FP tile), the selected epoch (the last
step of the range the series logged when no epoch is selected), the class selection (a superclass
or "(other)" cell lists the instances of all its member classes) and one of the chosen series that
logged per-instance predictions (the first by default; a picker switches). Numbers come from
``data_access.instances``; this module only resolves what the page asks for and calls it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import dash
from dash import Input, Output, State

from app.callbacks.common import Selection, epoch_of, load_series, superclass_mapping, x_range_of
from app.state import DetailTarget, format_number
from components import ids
from components import ids as iid
from components.instances_panel import cell_title, instances_body, instances_message, series_options
from data_access.errors import LogFormatError
from data_access.instances import cell_members, cell_table, cell_transitions, display_groups, instance_series

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


def resolve_request(
    store: Any, selection: object, target_data: object, epoch: object, step_range: object, series_key: object
) -> InstanceRequest | str:
    """The request the page state describes, or a sentence saying why there is nothing to list."""
    sel = Selection.from_store(selection)
    if not sel.series:
        return NO_SERIES
    target = DetailTarget.from_dict(target_data)
    if target.kind not in LISTABLE:
        return CLICK_A_CELL
    tensor, _ = load_series(store, sel.series)
    if tensor is None:
        return NO_SERIES
    key = pick_series([(s.key, s.has_instances) for s in tensor.series], series_key)
    if key is None:
        return COUNTS_ONLY
    info = tensor.series[tensor.series_keys.index(key)]
    # the same aggregation and selection as the matrix (app.callbacks.common.shape_tensor)
    mapping = superclass_mapping(tensor.series[0]) if sel.superclasses else None
    groups = display_groups(info.classes, mapping=mapping, selected=sel.classes, other=sel.other)
    if not set(target.classes()) <= set(groups):
        return CLICK_A_CELL
    if target.kind == "cell":
        true_classes, pred_classes = groups[target.true], groups[target.pred]
    elif target.kind == "fn":
        true_classes = groups[target.true]
        pred_classes = tuple(c for g, members in groups.items() if g != target.true for c in members)
    else:
        pred_classes = groups[target.pred]
        true_classes = tuple(c for g, members in groups.items() if g != target.pred for c in members)

    step = epoch_of(epoch)
    if step is None:
        series = instance_series(store, key)
        if series.problem:
            return series.problem
        rng = x_range_of(step_range)
        step = series.last_step_within(*(rng or (None, None)))
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


def instances_update(
    store: Any, selection: object, target_data: object, epoch: object, step_range: object, series_key: object
) -> tuple[list, bool]:
    """``(panel body, CSV button disabled)`` for the page state."""
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
    raw = f"instances-{request.key.replace('/', '-')}-step-{format_number(request.step)}"
    return re.sub(r"[^A-Za-z0-9._-]+", "_", raw)[:120] + ".csv"


def register_instance_callbacks(app: dash.Dash, store: Any) -> None:
    """Wire the instance panel (``components.instances_panel.instances_panel``) on ``app``."""

    @app.callback(
        Output(iid.INSTANCES_SERIES, "options"),
        Output(iid.INSTANCES_SERIES, "value"),
        Input(ids.SELECTION, "data"),
        Input(ids.DATA_VERSION, "data"),
        State(iid.INSTANCES_SERIES, "value"),
    )
    def update_instance_series(selection, _version, current):
        sel = Selection.from_store(selection)
        tensor, _ = load_series(store, sel.series)
        if tensor is None:
            return [], None
        items = [(s.key, s.label, s.has_instances) for s in tensor.series]
        return series_options(items), pick_series([(k, h) for k, _, h in items], current)

    @app.callback(
        Output(iid.INSTANCES_BODY, "children"),
        Output(iid.INSTANCES_DOWNLOAD_BUTTON, "disabled"),
        Input(ids.DETAIL_TARGET, "data"),
        Input(ids.EPOCH_STORE, "data"),
        Input(ids.RANGE_STORE, "data"),
        Input(iid.INSTANCES_SERIES, "value"),
        Input(ids.SELECTION, "data"),
        Input(ids.DATA_VERSION, "data"),
    )
    def update_instances(target, epoch, step_range, series_key, selection, _version):
        return instances_update(store, selection, target, epoch, step_range, series_key)

    @app.callback(
        Output(iid.INSTANCES_DOWNLOAD, "data"),
        Input(iid.INSTANCES_DOWNLOAD_BUTTON, "n_clicks"),
        State(ids.SELECTION, "data"),
        State(ids.DETAIL_TARGET, "data"),
        State(ids.EPOCH_STORE, "data"),
        State(ids.RANGE_STORE, "data"),
        State(iid.INSTANCES_SERIES, "value"),
        prevent_initial_call=True,
    )
    def on_instances_download(n_clicks, selection, target, epoch, step_range, series_key):
        if not n_clicks:
            raise dash.exceptions.PreventUpdate
        try:
            request = resolve_request(store, selection, target, epoch, step_range, series_key)
            if isinstance(request, str):
                raise dash.exceptions.PreventUpdate
            members = cell_members(
                store, request.key, request.true_classes, request.pred_classes, request.step
            )
            transitions = cell_transitions(
                store, request.key, request.true_classes, request.pred_classes, request.step
            )
        except (LogFormatError, OSError):
            raise dash.exceptions.PreventUpdate from None
        if members.problem:
            raise dash.exceptions.PreventUpdate
        table = cell_table(members, transitions)
        return dash.dcc.send_data_frame(table.to_csv, csv_name(request), index=False)
