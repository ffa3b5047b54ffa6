"""Class selection (part of view A's toolbar) and the effective selection every view draws.

The class picker lists the classes of the shown series (or their superclasses); an empty picker
means all classes. A choice of exactly one class is refused: the picker goes back to the previous
choice and says why, since a confusion matrix needs two classes. A choice survives a change of
series as far as the new series have those classes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import dash
from dash import Input, Output, State, ctx

from confusionflow.app.callbacks.common import Selection, load_series, superclass_mapping
from confusionflow.app.callbacks.inputs import Bounds, outputs_of, parse_inputs, selection_of, texts
from confusionflow.app.state import parse_query
from confusionflow.components import ids
from confusionflow.data_access.store import LogStore

SELECTION_OUTPUTS = {
    "options": Output(ids.CLASS_DROPDOWN, "options"),
    "value": Output(ids.CLASS_DROPDOWN, "value"),
    "message": Output(ids.CLASS_MESSAGE, "children"),
    "class_options": Output(ids.CLASS_OPTIONS, "options"),
    "selection": Output(ids.SELECTION, "data"),
}


@dataclass(frozen=True)
class SelectionUpdate:
    """The class picker (options, value, message), the class-option boxes and the selection."""

    options: list[dict]
    value: list[str]
    message: str
    class_options: list[dict]
    selection: dict


TOO_FEW = "Keep at least two classes selected (a confusion matrix needs two); the previous choice is kept."
PICK_ONE_MORE = (
    "Pick at least one more class (a confusion matrix needs two); all classes are shown until then."
)


def class_universe(classes: Sequence[str], mapping: dict[str, str] | None) -> list[str]:
    """Names the picker offers: the classes, or their superclasses in order of first appearance."""
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
) -> SelectionUpdate:
    """Class options, the picker's value, its message, the class-option checkboxes and the
    effective selection, after ``trigger`` fired (URL state, series, class picker or options)."""
    bounds = Bounds.of(store.list_series())
    keys = list(texts(keys, bounds.series))
    prev = selection_of(previous, bounds)
    tensor, _ = load_series(store, keys)
    opts = set(texts(class_opts, 4))
    mapping = superclass_mapping(tensor.series[0]) if tensor is not None else None
    superclasses = "super" in opts and mapping is not None
    universe = class_universe(tensor.classes if tensor is not None else (), mapping if superclasses else None)

    if trigger == ids.URL_STATE and isinstance(url_state, str):
        requested = list(parse_query(url_state).classes)
    else:
        requested = list(texts(class_value, bounds.classes))
    user_edit = trigger == ids.CLASS_DROPDOWN
    if trigger == ids.CLASS_OPTIONS and prev.superclasses != superclasses:
        requested = []  # switching between classes and superclasses: names change, show all
    value, classes, message = resolve_classes(requested, universe, prev.classes, user_edit=user_edit)

    selection = Selection(
        series=tuple(keys),
        classes=tuple(classes),
        other="other" in opts and bool(classes),
        superclasses=superclasses,
        steps=tuple(float(s) for s in tensor.steps) if tensor is not None else (),
    )
    options = [{"label": c, "value": c} for c in universe]
    base = [o for o in opts_options[:4] if isinstance(o, dict)] if isinstance(opts_options, list) else []
    new_opts = [{**o, "disabled": mapping is None} if o.get("value") == "super" else o for o in base]
    if mapping is not None and tensor is not None:
        n_super = len(class_universe(tensor.classes, mapping))
        new_opts = [
            {**o, "label": f"superclasses ({n_super})"} if o.get("value") == "super" else o for o in new_opts
        ]
    return SelectionUpdate(options, value, message, new_opts, selection.to_store())


def register(app: dash.Dash, store: LogStore) -> None:
    @app.callback(
        output=SELECTION_OUTPUTS,
        inputs={
            "url_state": Input(ids.URL_STATE, "data"),
            "keys": Input(ids.SERIES_KEYS, "data"),
            "class_value": Input(ids.CLASS_DROPDOWN, "value"),
            "class_opts": Input(ids.CLASS_OPTIONS, "value"),
            "version": Input(ids.DATA_VERSION, "data"),
        },
        state={"previous": State(ids.SELECTION, "data"), "opts_options": State(ids.CLASS_OPTIONS, "options")},
        prevent_initial_call=True,  # the layout carries the first view (app/first_view.py)
    )
    def update_selection(url_state, keys, class_value, class_opts, version, previous, opts_options):
        page = parse_inputs({"url_state": url_state})
        update = selection_update(
            store, ctx.triggered_id, page.url_state, keys, class_value, class_opts, previous, opts_options
        )
        return outputs_of(update, SELECTION_OUTPUTS)
