"""Class selection (part of view A's toolbar) and the effective selection every view draws.

The class picker lists the classes of the shown series (or their groups at the chosen level of
the class hierarchy, with one group drilled into its members); an empty picker
means all classes. A choice of exactly one class is refused: the picker goes back to the previous
choice and says why, since a confusion matrix needs two classes. A choice survives a change of
series as far as the new series have those classes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import dash
from dash import Input, Output, State, ctx

from confusionflow.app.callbacks.common import MAX_DETAIL_CLASSES, Selection, load_series
from confusionflow.app.callbacks.follow import FOLLOW_OUTPUTS, FOLLOW_STATE, follow_selection
from confusionflow.app.callbacks.inputs import (
    Bounds,
    level_of,
    outputs_of,
    parse_inputs,
    prop_ids,
    selection_of,
    texts,
)
from confusionflow.app.state import parse_query
from confusionflow.components import ids
from confusionflow.data_access.hierarchy_view import (
    drill_refused,
    group_options,
    hierarchy_view,
    level_options,
)
from confusionflow.data_access.sparse_counts import SparseCounts
from confusionflow.data_access.store import LogStore

SELECTION_OUTPUTS = {
    "options": Output(ids.CLASS_DROPDOWN, "options"),
    "value": Output(ids.CLASS_DROPDOWN, "value"),
    "message": Output(ids.CLASS_MESSAGE, "children"),
    "class_options": Output(ids.CLASS_OPTIONS, "options"),
    "level_options": Output(ids.LEVEL, "options"),
    "level": Output(ids.LEVEL, "value"),
    "group_options": Output(ids.DRILL, "options"),
    "group": Output(ids.DRILL, "value"),
    "group_disabled": Output(ids.DRILL, "disabled"),
    "selection": Output(ids.SELECTION, "data"),
}


@dataclass(frozen=True)
class SelectionUpdate:
    """The class picker (options, value, message), the class-option boxes, the level and drill
    controls (``confusionflow.data_access.hierarchy_view``) and the selection."""

    options: list[dict]
    value: list[str]
    message: str
    class_options: list[dict]
    level_options: list[dict]
    level: int
    group_options: list[dict]
    group: str | None
    group_disabled: bool
    selection: dict


TOO_FEW = "Keep at least two classes selected (a confusion matrix needs two); the previous choice is kept."
PICK_ONE_MORE = (
    "Pick at least one more class (a confusion matrix needs two); all classes are shown until then."
)


def class_universe(classes: Sequence[str], mapping: Mapping[str, str] | None) -> list[str]:
    """Names the picker offers: the classes, or their groups in order of first appearance."""
    if mapping is None:
        return list(classes)
    return list(dict.fromkeys(mapping.get(c, c) for c in classes))


def resolve_classes(
    requested: Sequence[str], universe: Sequence[str], previous: Sequence[str], *, user_edit: bool
) -> tuple[list[str], list[str], str]:
    """``(picker value, classes shown, message)`` for a requested class list.

    Names not in ``universe`` are dropped; shown classes ``[]`` means all. Two or more: shown as
    chosen (every class is stored as "all", so the URL stays short). One class:

    * taking a class away from a choice of two or more is refused: the picker goes back to the
      previous choice and says why;
    * picking a first class while all are shown is the start of a choice: the picker keeps it, all
      classes stay shown and the message asks for one more;
    * after a change of series or an opened link, all classes are shown.
    """
    present = [c for c in dict.fromkeys(requested) if c in universe]
    if not requested:
        return [], [], ""
    if len(present) >= 2:
        shown = [] if len(present) == len(universe) else present
        return shown, shown, ""
    kept = [c for c in previous if c in universe]
    if user_edit and len(kept) >= 2:
        return kept, kept, TOO_FEW
    if user_edit and present:
        return present, [], PICK_ONE_MORE
    return [], [], "The selected classes are not in these series; showing all classes."


def selection_update(
    store: LogStore,
    trigger: object,
    url_state: object,
    keys: object,
    class_value: object,
    class_opts: object,
    previous: object,
    opts_options: object,
    level_value: object = None,
    group_value: object = None,
) -> SelectionUpdate:
    """Class options, the picker's value, its message, the class-option checkboxes, the level and
    drill controls and the effective selection, after ``trigger`` fired (URL state, series, class
    picker, options, level or drill-down). A level or group the series' hierarchy does not have
    reads as classes / no drill-down."""
    bounds = Bounds.of(store.list_series())
    keys = list(texts(keys, bounds.series))
    prev = selection_of(previous, bounds)
    tensor, _ = load_series(store, keys)
    opts = set(texts(class_opts, 4))
    from_url = trigger == ids.URL_STATE and isinstance(url_state, str)
    asked = parse_query(url_state) if from_url and isinstance(url_state, str) else None
    page = parse_inputs({"level": level_value, "group": group_value}, bounds)
    level, group = (asked.level, asked.group) if asked is not None else (page.level, page.group)
    if trigger == ids.LEVEL:
        group = None  # a new level: its groups are other names
    hierarchy = store.hierarchy(tensor.series[0]) if tensor is not None and tensor.series else None
    # a many-class run draws at most MAX_DETAIL_CLASSES classes in full (view_hierarchy's rule)
    limit = MAX_DETAIL_CLASSES if isinstance(tensor, SparseCounts) else None
    view = hierarchy_view(hierarchy, level, group, limit)
    mapping = view.mapping()
    universe = class_universe(tensor.classes if tensor is not None else (), mapping)

    requested = list(asked.classes) if asked is not None else list(texts(class_value, bounds.classes))
    user_edit = trigger == ids.CLASS_DROPDOWN
    if trigger in (ids.LEVEL, ids.DRILL) and (prev.level, prev.group) != (view.level, view.group):
        requested = []  # another level or drill-down: the shown names change, show all
    value, classes, message = resolve_classes(requested, universe, prev.classes, user_edit=user_edit)
    refused = drill_refused(hierarchy, level, group, view, limit)
    message = " · ".join(m for m in (refused, message) if m)

    selection = Selection(
        series=tuple(keys),
        classes=tuple(classes),
        other="other" in opts and bool(classes),
        level=view.level,
        steps=tuple(float(s) for s in tensor.steps) if tensor is not None else (),
        group=view.group,
    )
    options = [{"label": c, "value": c} for c in universe]
    base = [o for o in opts_options[:4] if isinstance(o, dict)] if isinstance(opts_options, list) else []
    new_opts = [o for o in base if o.get("value") != "super"]  # the level control replaced it
    groups = group_options(hierarchy, view.level, limit)
    return SelectionUpdate(
        options,
        value,
        message,
        new_opts,
        level_options(hierarchy, limit),
        view.level,
        groups,
        view.group,
        not groups,
        selection.to_store(),
    )


def unchanged_selection(
    update: SelectionUpdate,
    class_value: object,
    level: object,
    group: object,
    previous: object,
    message: object,
) -> bool:
    """Whether ``update`` changes nothing on the page: the picker, level and drill-down already show
    its values, and the selection store and message hold them. The series callback writes the
    picker's value, level and drill-down with the selection they belong to (``CHAIN_OUTPUTS`` in
    ``app/callbacks/series.py``); each is an input here, and answering it again would send the
    stores a second time."""
    return (
        update.value == class_value
        and update.level == level_of(level)
        and update.group == group
        and update.selection == previous
        and update.message == (message or "")
    )


def register(app: dash.Dash, store: LogStore) -> None:
    @app.callback(
        output={**SELECTION_OUTPUTS, **FOLLOW_OUTPUTS},
        inputs={
            # a restored URL is answered by the series callback (it changes the series first); the
            # URL state is an input here only to tell that event from a change of the class options
            "url_state": Input(ids.URL_STATE, "data"),
            "class_value": Input(ids.CLASS_DROPDOWN, "value"),
            "class_opts": Input(ids.CLASS_OPTIONS, "value"),
            "level": Input(ids.LEVEL, "value"),
            "group": Input(ids.DRILL, "value"),
            "version": Input(ids.DATA_VERSION, "data"),
        },
        state={
            "keys": State(ids.SERIES_KEYS, "data"),
            "previous": State(ids.SELECTION, "data"),
            "opts_options": State(ids.CLASS_OPTIONS, "options"),
            "message": State(ids.CLASS_MESSAGE, "children"),
            **FOLLOW_STATE,
        },
        prevent_initial_call=True,  # the layout carries the first view (app/first_view.py)
    )
    def update_selection(
        url_state,
        class_value,
        class_opts,
        level,
        group,
        version,
        keys,
        previous,
        opts_options,
        message,
        step_range,
        epoch,
        detail,
        encoding,
        rotate,
        slider,
    ):
        if f"{ids.URL_STATE}.data" in prop_ids(ctx.triggered_prop_ids):
            raise dash.exceptions.PreventUpdate  # the series callback answers a restored URL
        trigger = ctx.triggered_id
        update = selection_update(
            store, trigger, None, keys, class_value, class_opts, previous, opts_options, level, group
        )
        if trigger in (ids.CLASS_DROPDOWN, ids.LEVEL, ids.DRILL) and unchanged_selection(
            update, class_value, level, group, previous, message
        ):
            raise dash.exceptions.PreventUpdate
        values = outputs_of(update, SELECTION_OUTPUTS)
        values.update(
            follow_selection(
                store, False, None, update.selection, step_range, epoch, detail, encoding, rotate, slider
            )
        )
        return values
