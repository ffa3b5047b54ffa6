"""What a new selection changes besides itself: the step range, the epoch and the detail target.

Why one function: these three follow the selection (a range is clamped to the new series' steps,
an epoch they did not log is cleared, a target whose classes are no longer shown falls back to
overall accuracy). When each was its own callback with the selection store as an input, adding a
series ran a chain of four requests — series → selection → range (and detail target) → epoch —
before any view could start (measured 2026-12-02 at 10 classes: 75 + 87 + 309 + 138 ms, mostly
waiting: each level is a round trip, the renderer's bookkeeping and a turn of the busy main
thread; the server's own work in the range callback is 0.02 ms). Now the callback that makes a new
selection (the series callback, the class-selection callback) answers with every store it changes,
from :func:`follow_selection`, so the views fire after one level. An unchanged store is answered
with ``no_update``: every view takes the range and the epoch as inputs, and a value sent again
would rebuild them.

The outputs are duplicates of the range, epoch and detail-target callbacks' own
(``allow_duplicate``): those callbacks still answer the slider, the timeline, the epoch buttons and
a clicked tile.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dash
from dash import Output, State

from confusionflow.app.callbacks.common import server_steps
from confusionflow.app.callbacks.detail import TARGET_OUTPUTS, detail_target_update
from confusionflow.app.callbacks.inputs import Bounds, parse_inputs
from confusionflow.app.callbacks.timeline import (
    EPOCH_OUTPUTS,
    RANGE_OUTPUTS,
    epoch_label,
    epoch_update,
    range_update,
    same_range,
)
from confusionflow.components import ids
from confusionflow.data_access.store import LogStore


def duplicates(outputs: Mapping[str, Output], prefix: str) -> dict[str, Output]:
    """``outputs`` again, each allowed to be written by a second callback, named ``prefix + name``."""
    return {
        prefix + name: Output(o.component_id, o.component_property, allow_duplicate=True)
        for name, o in outputs.items()
    }


FOLLOW_OUTPUTS: dict[str, Output] = {
    **duplicates(RANGE_OUTPUTS, "range_"),
    **duplicates(EPOCH_OUTPUTS, "epoch_"),
    **duplicates(TARGET_OUTPUTS, "detail_"),
}

# what follow_selection reads besides the new selection: the stores it may move and the controls
# a detail target depends on, as state of the callbacks that make a new selection
FOLLOW_STATE: dict[str, State] = {
    "step_range": State(ids.RANGE_STORE, "data"),
    "epoch": State(ids.EPOCH_STORE, "data"),
    "detail": State(ids.DETAIL_TARGET, "data"),
    "encoding": State(ids.ENCODING, "value"),
    "rotate": State(ids.ROTATE, "value"),
    "slider": State(ids.RANGE_SLIDER, "value"),
}


def follow_selection(
    store: LogStore,
    from_url: bool,
    url_state: str | None,
    selection: object,
    current_range: object,
    current_epoch: object,
    detail: object,
    encoding: object = None,
    rotate: object = None,
    slider: object = None,
) -> dict[str, Any]:
    """The values of :data:`FOLLOW_OUTPUTS` after the selection became ``selection`` (a store value).

    ``from_url``: the page's URL state was restored (Back, Forward): range, epoch and target are
    the link's, as on a fresh page. Otherwise the current range is kept (clamped to the new
    steps), the epoch kept if the new series logged it (moved into a narrowed range), and the
    target kept while its classes are shown. ``current_*``/``detail``: the stores' values as the
    browser sent them, ``slider`` the range slider's value. The same pure functions as the range, epoch and detail-target callbacks.
    """
    bounds = Bounds.of(store.list_series())
    raw = {"selection": selection, "step_range": current_range, "epoch": current_epoch, "detail": detail}
    raw = {**raw, "url_state": url_state, "encoding": encoding, "rotate": rotate}
    page = parse_inputs(raw, bounds)
    steps = server_steps(store, page.selection).tolist()
    out: dict[str, Any] = dict.fromkeys(FOLLOW_OUTPUTS, dash.no_update)

    trigger = ids.URL_STATE if from_url else ids.SELECTION
    rng = range_update(trigger, steps, page.url_state, None, None, None, page.step_range)
    assert rng is not None  # the URL and the selection always answer
    for name, value in vars(rng).items():
        out["range_" + name] = value
    if same_range(rng.range, current_range):
        out["range_range"] = dash.no_update
    if rng.slider_value == slider:
        # the slider's value is an input of the range callback: sent unchanged, it would run that
        # callback once more, and every view would wait for it
        out["range_slider_value"] = dash.no_update
    new_range = rng.range

    before = page.epoch
    epoch = epoch_update(trigger, steps, page.url_state, None, before, new_range)
    epoch = before if epoch is False else epoch
    if not from_url and epoch is not None and not same_range(new_range, current_range):
        # a narrowed range moves the epoch into it, as the range store's change would have
        moved = epoch_update(ids.RANGE_STORE, steps, None, None, epoch, new_range)
        epoch = epoch if moved is False else moved
    if from_url or epoch != before:
        out["epoch_epoch"] = epoch
        out["epoch_label"] = epoch_label(epoch)

    target_page = parse_inputs({**raw, "url_state": url_state, "step_range": new_range}, bounds)
    target = detail_target_update(store, trigger, target_page, None, None)
    if target is not None and target.to_dict() != detail:
        out["detail_target"] = target.to_dict()
    return out
