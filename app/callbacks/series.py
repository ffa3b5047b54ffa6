"""View E: the series picker, its coloured chips (the legend of every view) and refusals.

The picker's value is what the user chose; ``SERIES_KEYS`` holds what is shown: known series that
share the first one's class list. Colours come from stable palette slots kept in ``SLOTS``, so
removing a series never recolours another.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import dash
from dash import ALL, Input, Output, State, ctx

from confusionflow.app.callbacks.common import load_series
from confusionflow.app.callbacks.follow import FOLLOW_OUTPUTS, FOLLOW_STATE, duplicates, follow_selection
from confusionflow.app.callbacks.inputs import Bounds, level_of, outputs_of, parse_inputs, slots_of, texts
from confusionflow.app.callbacks.selection import SELECTION_OUTPUTS, selection_update
from confusionflow.app.state import parse_query
from confusionflow.components import ids
from confusionflow.components.colors import assign_slots
from confusionflow.components.series_chips import chips
from confusionflow.data_access.store import LogStore
from confusionflow.data_access.tensor import SeriesInfo

SERIES_OUTPUTS = {
    "value": Output(ids.SERIES_DROPDOWN, "value"),
    "keys": Output(ids.SERIES_KEYS, "data"),
    "slots": Output(ids.SLOTS, "data"),
    "chips": Output(ids.SERIES_CHIPS, "children"),
    "message": Output(ids.SERIES_MESSAGE, "children"),
}


@dataclass(frozen=True)
class SeriesUpdate:
    """The picker's value, the shown keys, their palette slots, chips and message."""

    value: list[str]
    keys: list[str]
    slots: dict[str, int]
    chips: list
    message: str


@dataclass(frozen=True)
class SeriesChoice:
    """The outcome of a choice: what is shown, and what was left out and why."""

    accepted: tuple[str, ...]
    refused: tuple[str, ...] = ()  # class list differs from the first accepted series
    unknown: tuple[str, ...] = ()  # not (or no longer) in the log folder

    def message(self, infos: Mapping[str, SeriesInfo]) -> str:
        parts = []
        if self.refused:
            first = infos[self.accepted[0]] if self.accepted else None
            names = ", ".join(infos[k].label for k in self.refused)
            where = (
                f" {first.label}'s {len(first.classes)} classes" if first else " the first series' classes"
            )
            parts.append(f"Not shown: {names} — a different class list from{where}; one matrix needs one.")
        if self.unknown:
            parts.append(f"Not found in the log folder: {', '.join(self.unknown)}.")
        return " ".join(parts)


def choose_series(chosen: Sequence[str], infos: Mapping[str, SeriesInfo]) -> SeriesChoice:
    """Keep known series whose classes equal the first known one's, in the order chosen."""
    accepted: list[str] = []
    refused: list[str] = []
    unknown: list[str] = []
    classes: tuple[str, ...] | None = None
    for key in dict.fromkeys(chosen):
        info = infos.get(key)
        if info is None:
            unknown.append(key)
        elif classes is None or info.classes == classes:
            classes = info.classes
            accepted.append(key)
        else:
            refused.append(key)
    return SeriesChoice(tuple(accepted), tuple(refused), tuple(unknown))


def default_series(infos: Sequence[SeriesInfo]) -> list[str]:
    """The first run's folds: a sensible first view (e.g. its train and test curves)."""
    if not infos:
        return []
    run = infos[0].run
    return [i.key for i in infos if i.run == run and i.classes == infos[0].classes]


def series_update(
    store: LogStore,
    trigger: object,
    clicked: bool,
    url_state: object,
    value: object,
    import_result: object,
    slots: object,
) -> SeriesUpdate | None:
    """The picker's value, the shown keys, slots, chips and message after an event (None: no change).

    ``trigger``: the URL state (page opened: the link's series, else the first run's folds), the
    picker, a chip's × (``{"type": CHIP_REMOVE, "key": ...}``; ``clicked`` is False when the chip
    only appeared) or a finished import (its series are added).
    """
    infos = {i.key: i for i in store.list_series()}
    bounds = Bounds.of(infos.values())
    chosen = list(texts(value, bounds.series + 16))
    if trigger is None or trigger == ids.URL_STATE:
        wanted = list(parse_query(url_state).series) if isinstance(url_state, str) else []
        # a link whose series are all gone still opens a useful page (and says what is missing)
        chosen = (
            wanted if any(k in infos for k in wanted) else [*wanted, *default_series(list(infos.values()))]
        )
    elif isinstance(trigger, dict) and trigger.get("type") == ids.CHIP_REMOVE:
        if not clicked:
            return None
        chosen = [k for k in chosen if k != trigger.get("key")]
    elif trigger == ids.IMPORT_RESULT:
        if not isinstance(import_result, dict) or not import_result.get("ok"):
            return None
        imported = texts(import_result.get("series"), bounds.series)
        chosen += [k for k in imported if k in infos and k not in chosen]
    choice = choose_series(chosen, infos)
    # a listed series can still fail to load (a truncated file): leave it out and say why
    _, problems = load_series(store, choice.accepted)
    failed = {p.source: p.message for p in problems}
    if failed:
        choice = SeriesChoice(
            tuple(k for k in choice.accepted if k not in failed), choice.refused, choice.unknown
        )
    new_slots = assign_slots(choice.accepted, slots_of(slots, bounds))
    # one line per problem (the message box keeps line breaks)
    message = "\n".join(
        m for m in [choice.message(infos), *(f"Could not load {k}: {m}" for k, m in failed.items())] if m
    )
    return SeriesUpdate(
        value=list(choice.accepted),
        keys=list(choice.accepted),
        slots=new_slots,
        chips=chips(choice.accepted, infos, new_slots),
        message=message.strip(),
    )


def register(app: dash.Dash, store: LogStore) -> None:
    @app.callback(
        output={**SERIES_OUTPUTS, **CHAIN_OUTPUTS},
        inputs={
            "url_state": Input(ids.URL_STATE, "data"),
            "value": Input(ids.SERIES_DROPDOWN, "value"),
            "chip_clicks": Input({"type": ids.CHIP_REMOVE, "key": ALL}, "n_clicks"),
            "import_result": Input(ids.IMPORT_RESULT, "data"),
        },
        state={"slots": State(ids.SLOTS, "data"), **CHAIN_STATE},
        prevent_initial_call=True,  # the layout carries the first view (app/first_view.py)
    )
    def update_series(url_state, value, chip_clicks, import_result, slots, **chain):
        trigger = ctx.triggered_id
        clicked = bool(ctx.triggered and ctx.triggered[0].get("value"))
        page = parse_inputs({"url_state": url_state}, Bounds.of(store.list_series()))
        update = series_update(store, trigger, clicked, page.url_state, value, import_result, slots)
        if update is None:
            raise dash.exceptions.PreventUpdate
        from_url = trigger is None or trigger == ids.URL_STATE
        values = outputs_of(update, SERIES_OUTPUTS)
        values.update(chain_after_series(store, from_url, page.url_state, update.keys, chain))
        return values


# The class selection, step range, epoch and detail target a change of series changes, answered
# by the series callback itself (see app/callbacks/follow.py for why and the measurements).
CHAIN_OUTPUTS = {**duplicates(SELECTION_OUTPUTS, "sel_"), **FOLLOW_OUTPUTS}
CHAIN_STATE = {
    "class_value": State(ids.CLASS_DROPDOWN, "value"),
    "class_opts": State(ids.CLASS_OPTIONS, "value"),
    "level": State(ids.LEVEL, "value"),
    "group": State(ids.DRILL, "value"),
    "previous": State(ids.SELECTION, "data"),
    "opts_options": State(ids.CLASS_OPTIONS, "options"),
    **FOLLOW_STATE,
}


def chain_after_series(
    store: LogStore, from_url: bool, url_state: str | None, keys: list[str], chain: Mapping[str, object]
) -> dict[str, object]:
    """The values of :data:`CHAIN_OUTPUTS` after the shown series became ``keys``: the selection
    (``selection_update`` as the class-selection callback computes it for new keys, or for a
    restored URL), then :func:`follow_selection`. ``chain``: the page's values named as
    :data:`CHAIN_STATE`. The class picker's value, level and drill-down are sent only when they
    change: each is an input of the class-selection callback, which would run again."""
    sel = selection_update(
        store,
        ids.URL_STATE if from_url else ids.SERIES_KEYS,
        url_state,
        keys,
        chain.get("class_value"),
        chain.get("class_opts"),
        chain.get("previous"),
        chain.get("opts_options"),
        chain.get("level"),
        chain.get("group"),
    )
    out: dict[str, object] = {"sel_" + k: v for k, v in outputs_of(sel, SELECTION_OUTPUTS).items()}
    if sel.value == chain.get("class_value"):
        out["sel_value"] = dash.no_update
    if sel.level == level_of(chain.get("level")):
        out["sel_level"] = dash.no_update
    if sel.group == chain.get("group"):
        out["sel_group"] = dash.no_update
    out.update(
        follow_selection(
            store,
            from_url,
            url_state,
            sel.selection,
            chain.get("step_range"),
            chain.get("epoch"),
            chain.get("detail"),
            chain.get("encoding"),
            chain.get("rotate"),
            chain.get("slider"),
        )
    )
    return out
