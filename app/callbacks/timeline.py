"""View D: the timeline, the step range every view zooms to, and the selected epoch.

The range is kept in logged step numbers (``RANGE_STORE``: ``[lo, hi]`` or None for all steps).
Three controls write it — the range slider (in step *positions*, so uneven steps are evenly
spaced), a drag on the timeline chart, and "Full range" — and one callback owns it, so the slider
and the chart always end in the same state. The epoch is one logged step (or None), moved by a
click on the timeline or the ◀ ▶ buttons.

Over 400 lines: the range and epoch callbacks and the timeline chart share this view's parsers
and helpers (a drag on the chart is a range), and are read together.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import dash
import numpy as np
import plotly.graph_objects as go
from dash import ClientsideFunction, Input, Output, Patch, State, ctx

from confusionflow.app.callbacks.appended import chart_meta, drawn_meta, figure_or_append, frame_digest
from confusionflow.app.callbacks.common import epoch_of, series_colors, server_steps, view_tensor, x_range_of
from confusionflow.app.callbacks.inputs import (
    EPOCH_STATE,
    MARKER_VIEW_INPUTS,
    Bounds,
    epoch_only,
    finite,
    outputs_of,
    parse_inputs,
    prop_ids,
)
from confusionflow.app.state import parse_query
from confusionflow.components import ids
from confusionflow.components.charts import build_timeline_figure, timeline_shapes
from confusionflow.components.figure_style import empty_figure
from confusionflow.data_access import metrics
from confusionflow.data_access.step_windows import (
    clamp_range,
    move_step,
    nearest_step,
    window_indices,
    window_steps,
)
from confusionflow.data_access.store import LogStore
from confusionflow.data_access.vocabulary import format_step, shared_step_name
from confusionflow.data_access.walltime import series_wall_times, wall_time_grid

MAX_MARKS = 8
# figures whose epoch markers the browser moves (each carries a recipe in layout.meta)
EPOCH_MARKER_GRAPHS = (ids.MATRIX_GRAPH, ids.CLASS_PERF_GRAPH, ids.DETAIL_GRAPH, ids.TIMELINE_GRAPH)

RANGE_OUTPUTS = {
    "range": Output(ids.RANGE_STORE, "data"),
    "slider_max": Output(ids.RANGE_SLIDER, "max"),
    "slider_value": Output(ids.RANGE_SLIDER, "value"),
    "marks": Output(ids.RANGE_SLIDER, "marks"),
    "label": Output(ids.RANGE_LABEL, "children"),
    "slider_disabled": Output(ids.RANGE_SLIDER, "disabled"),
}
EPOCH_OUTPUTS = {"epoch": Output(ids.EPOCH_STORE, "data"), "label": Output(ids.EPOCH_LABEL, "children")}
# the epoch as the range callback moves it into a narrowed range (the epoch callback owns the store)
RANGE_EPOCH_OUTPUTS = {
    "range_epoch": Output(ids.EPOCH_STORE, "data", allow_duplicate=True),
    "range_epoch_label": Output(ids.EPOCH_LABEL, "children", allow_duplicate=True),
}


@dataclass(frozen=True)
class RangeUpdate:
    """What the range callback sets: the store value, and the slider and label that show it."""

    range: list[float] | None
    slider_max: int
    slider_value: list[int]
    marks: dict[int, str]
    label: str
    slider_disabled: bool


# ----------------------------------------------------------------------------- pure helpers
def _pair(lo: object, hi: object) -> tuple[float, float] | bool:
    """Two finite numbers (or numeric strings) as an ordered pair; False if either is not one."""
    a = finite(lo) if not isinstance(lo, str) else finite(_float_or_none(lo))
    b = finite(hi) if not isinstance(hi, str) else finite(_float_or_none(hi))
    if a is None or b is None:
        return False
    return (min(a, b), max(a, b))


def _float_or_none(value: str) -> float | None:
    try:
        return float(value[:64])
    except ValueError:
        return None


def range_from_relayout(relayout: Mapping[str, Any] | None) -> tuple[float, float] | None | bool:
    """The x range a drag on the timeline asks for; None for "all" (a double-click), False if the
    event is not about the x range (e.g. an autosize)."""
    if not isinstance(relayout, Mapping):
        return False
    if relayout.get("xaxis.autorange"):
        return None
    lo, hi = relayout.get("xaxis.range[0]"), relayout.get("xaxis.range[1]")
    if lo is None and isinstance(relayout.get("xaxis.range"), list) and len(relayout["xaxis.range"]) == 2:
        lo, hi = relayout["xaxis.range"]
    return _pair(lo, hi)


def range_from_selection(selected: Mapping[str, Any] | None) -> tuple[float, float] | None | bool:
    """The x range of a box selection (brush) on the timeline, False if there is none."""
    if not isinstance(selected, Mapping):
        return False
    box = selected.get("range")
    if isinstance(box, Mapping) and isinstance(box.get("x"), list) and len(box["x"]) == 2:
        return _pair(*box["x"])
    return False


def slider_marks(steps: Sequence[float], max_marks: int = MAX_MARKS) -> dict[int, str]:
    """Labels at evenly spaced positions (always the first and last), in step numbers."""
    n = len(steps)
    if n == 0:
        return {}
    if n <= max_marks:
        positions = list(range(n))
    else:
        positions = sorted({round(i * (n - 1) / (max_marks - 1)) for i in range(max_marks)})
    return {p: format_step(steps[p]) for p in positions}


def range_label(steps: Sequence[float], step_range: tuple[float, float] | None) -> str:
    if not steps:
        return "No steps"
    if step_range is None:
        return f"All {len(steps)} steps ({format_step(steps[0])}–{format_step(steps[-1])})"
    idx = window_indices(steps, *step_range)
    n = idx[1] - idx[0] + 1 if idx else 0
    return f"Steps {format_step(step_range[0])}–{format_step(step_range[1])} ({n} of {len(steps)})"


def move_epoch(
    steps: Sequence[float], epoch: float | None, direction: int, step_range: tuple[float, float] | None
) -> float | None:
    """The previous/next logged step within the range (first/last if none is selected)."""
    return move_step(steps, epoch, direction, step_range)


def epoch_label(epoch: float | None) -> str:
    return "none" if epoch is None else f"step {format_step(epoch)}"


def snap_ends(steps: Sequence[float], asked: tuple[float, float] | None) -> tuple[float, float] | None:
    """A dragged range with each end moved to the logged step nearest to it: the pixel a drag ends
    on lies a hair beside the step drawn there, and that step belongs to the range."""
    if asked is None or not steps:
        return asked
    lo, hi = nearest_step(steps, asked[0]), nearest_step(steps, asked[1])
    return (lo, hi) if lo is not None and hi is not None else asked


def range_update(
    trigger: object,
    steps: Sequence[float],
    url_state: object,
    slider: object,
    relayout: object,
    selected: object,
    current: object,
) -> RangeUpdate | None:
    """What the range callback returns for an event (None: nothing to change).

    ``trigger`` is the id that fired: the URL state (page opened), the selection (series or classes
    changed: keep the range, clamped to the new steps), the slider (positions), the timeline
    (``"<id>.relayoutData"`` for a drag-zoom, ``"<id>.selectedData"`` for a brush) or "Full range".
    ``steps`` are the server's (the shown series' logged steps), never the browser's.
    """
    wanted: tuple[float, float] | None
    if trigger == ids.URL_STATE or trigger is None:
        wanted = parse_query(url_state).step_range if isinstance(url_state, str) else None
    elif trigger == ids.SELECTION:
        wanted = x_range_of(current)
    elif trigger == ids.RANGE_SLIDER:
        positions = [finite(v) for v in slider] if isinstance(slider, list) and len(slider) == 2 else []
        if len(positions) != 2 or None in positions or not steps:
            return None
        i0, i1 = sorted(max(0, min(int(v), len(steps) - 1)) for v in positions)  # type: ignore[arg-type]
        wanted = (steps[i0], steps[i1])
    elif trigger == f"{ids.TIMELINE_GRAPH}.relayoutData":
        asked = range_from_relayout(relayout)  # type: ignore[arg-type]
        if asked is False:
            return None
        wanted = snap_ends(steps, asked)  # type: ignore[arg-type]
    elif trigger == f"{ids.TIMELINE_GRAPH}.selectedData":
        if selected is None:
            wanted = None  # a double-click: Plotly's select mode answers it with a deselect
        else:
            asked = range_from_selection(selected)  # type: ignore[arg-type]
            if asked is False:
                return None
            wanted = snap_ends(steps, asked)  # type: ignore[arg-type]
    elif trigger == ids.FULL_RANGE:
        wanted = None
    else:
        return None
    step_range = clamp_range(steps, wanted)
    if step_range is None:
        value = [0, max(len(steps) - 1, 0)]
    else:
        i0, i1 = window_indices(steps, *step_range)  # type: ignore[misc]
        value = [i0, i1]
    return RangeUpdate(
        range=list(step_range) if step_range else None,
        slider_max=max(len(steps) - 1, 1),
        slider_value=value,
        marks=slider_marks(steps),
        label=range_label(steps, step_range),
        slider_disabled=len(steps) < 2,
    )


def same_range(new: Sequence[float] | None, current: object) -> bool:
    """True when ``new`` (the range about to be stored, None = every step) equals ``current`` (the
    store's value as the browser sent it: a two-number list or None)."""
    if new is None or current is None:
        return new is None and current is None
    if not isinstance(current, list) or len(current) != 2:
        return False
    return all(finite(c) == float(n) for c, n in zip(current, new, strict=True))


def range_trigger(triggered_id: object, prop_id: str) -> object:
    """The ``trigger`` :func:`range_update` takes for the control that fired the range callback:
    the timeline's events named by their property (a drag-zoom reaches the callback through
    ``TIMELINE_ZOOM``, a brush through ``TIMELINE_BRUSH``), the slider's filtered value
    (``SLIDER_ASKED``) as the slider, any other id as it is."""
    if triggered_id == ids.TIMELINE_ZOOM:
        return f"{ids.TIMELINE_GRAPH}.relayoutData"
    if triggered_id == ids.TIMELINE_BRUSH:
        return f"{ids.TIMELINE_GRAPH}.selectedData"
    if triggered_id == ids.SLIDER_ASKED:
        return ids.RANGE_SLIDER
    if triggered_id == ids.TIMELINE_GRAPH:
        return f"{ids.TIMELINE_GRAPH}.{prop_id.rsplit('.', 1)[-1]}"
    return triggered_id


def epoch_update(
    trigger: object,
    steps: Sequence[float],
    url_state: object,
    click: object,
    current: object,
    step_range: object,
) -> float | None | bool:
    """The epoch after an event, or False when the event changes nothing.

    A clicked x snaps to the nearest logged step inside the range (a click beside the range picks
    its nearest end: every view shows only the range, so an epoch outside it would be drawn
    nowhere); a range that no longer holds the epoch (``trigger`` the range store) moves it to the
    range's nearest step. An epoch the shown series did not log is cleared.
    """
    before = epoch_of(current)
    epoch = before
    window = x_range_of(step_range)
    if trigger == ids.URL_STATE or trigger is None:
        query = parse_query(url_state) if isinstance(url_state, str) else None
        epoch = query.epoch if query else None
        window = clamp_range(steps, query.step_range) if query else None
    elif trigger == ids.TIMELINE_GRAPH:
        points = click.get("points") if isinstance(click, dict) else None
        first = points[0] if isinstance(points, list) and points else None
        x = finite(first.get("x")) if isinstance(first, dict) else None
        if x is None:
            return False
        epoch = x
    elif trigger in (ids.EPOCH_PREV, ids.EPOCH_NEXT):
        epoch = move_epoch(steps, epoch, 1 if trigger == ids.EPOCH_NEXT else -1, window)
    elif trigger == ids.EPOCH_CLEAR:
        epoch = None
    elif trigger == ids.RANGE_STORE and epoch is None:
        return False
    if epoch is not None and (trigger in (ids.TIMELINE_GRAPH, ids.RANGE_STORE) or epoch in steps):
        epoch = nearest_step(window_steps(steps, window), epoch)
    elif epoch is not None:
        epoch = None  # not logged by the shown series
    if trigger in (ids.RANGE_STORE, ids.SELECTION) and epoch == before:
        return False  # the views already show this epoch: sending it again would redraw them
    return epoch


def register(app: dash.Dash, store: LogStore) -> None:
    @app.callback(
        output={**RANGE_OUTPUTS, **RANGE_EPOCH_OUTPUTS},
        inputs={
            # the slider's value unless it shows the stored range (assets/timeline_zoom.js,
            # sliderOnly): the value this callback sets on the slider comes back as an input
            "slider": Input(ids.SLIDER_ASKED, "data"),
            # x-range relayouts only (assets/timeline_zoom.js): an autosize sent here would make
            # Dash drop a range answer still on its way (see zoomOnly there)
            "relayout": Input(ids.TIMELINE_ZOOM, "data"),
            # brushes and deselects only (brushOnly there): the empty selection Plotly reports
            # when the answer's Patch drops the box asks for nothing
            "selected": Input(ids.TIMELINE_BRUSH, "data"),
            "full": Input(ids.FULL_RANGE, "n_clicks"),
        },
        # a new selection or a restored URL sets the range with the selection, in one answer
        # (app/callbacks/follow.py); this callback answers the range controls only
        state={
            "selection": State(ids.SELECTION, "data"),
            "current": State(ids.RANGE_STORE, "data"),
            "epoch": State(ids.EPOCH_STORE, "data"),
        },
        prevent_initial_call=True,  # the layout carries the first view (app/first_view.py)
    )
    def update_range(slider, relayout, selected, full, selection, current, epoch):
        page = parse_inputs(
            {"selection": selection, "step_range": current, "epoch": epoch}, Bounds.of(store.list_series())
        )
        steps = server_steps(store, page.selection).tolist()
        trigger = range_trigger(ctx.triggered_id, ctx.triggered[0]["prop_id"] if ctx.triggered else "")
        update = range_update(trigger, steps, None, slider, relayout, selected, page.step_range)
        if update is None:
            raise dash.exceptions.PreventUpdate
        values = outputs_of(update, RANGE_OUTPUTS)
        values.update(dict.fromkeys(RANGE_EPOCH_OUTPUTS, dash.no_update))
        if same_range(update.range, current):
            # the slider and label may change (new steps), the range did not: every view and the
            # overview take the store as an input, and an unchanged value sent again would rebuild
            # them all a second time
            values["range"] = dash.no_update
        else:
            # a range that no longer holds the epoch moves it in, in this answer: a separate epoch
            # request would hold every view back one more round trip
            moved = epoch_update(ids.RANGE_STORE, steps, None, None, page.epoch, update.range)
            if moved is not False:
                values["range_epoch"] = moved
                values["range_epoch_label"] = epoch_label(moved)
        return values

    app.clientside_callback(
        ClientsideFunction(namespace="cftimeline", function_name="zoomOnly"),
        Output(ids.TIMELINE_ZOOM, "data"),
        Input(ids.TIMELINE_GRAPH, "relayoutData"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        ClientsideFunction(namespace="cftimeline", function_name="brushOnly"),
        Output(ids.TIMELINE_BRUSH, "data"),
        Input(ids.TIMELINE_GRAPH, "selectedData"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        ClientsideFunction(namespace="cftimeline", function_name="sliderOnly"),
        Output(ids.SLIDER_ASKED, "data"),
        Input(ids.RANGE_SLIDER, "value"),
        State(ids.SELECTION, "data"),
        State(ids.RANGE_STORE, "data"),
        prevent_initial_call=True,
    )

    @app.callback(
        output=EPOCH_OUTPUTS,
        # the ◀ ▶ and clear buttons move the epoch in the browser (moveEpoch below)
        inputs={"click": Input(ids.TIMELINE_GRAPH, "clickData")},
        # a new selection, a restored URL and a new range move the epoch in their own answers
        # (app/callbacks/follow.py, update_range above)
        state={
            "selection": State(ids.SELECTION, "data"),
            "step_range": State(ids.RANGE_STORE, "data"),
            "current": State(ids.EPOCH_STORE, "data"),
        },
        prevent_initial_call=True,  # the layout carries the first view (app/first_view.py)
    )
    def update_epoch(click, selection, step_range, current):
        raw = {"selection": selection, "epoch": current, "step_range": step_range}
        page = parse_inputs(raw, Bounds.of(store.list_series()))
        steps = server_steps(store, page.selection).tolist()
        epoch = epoch_update(ctx.triggered_id, steps, None, click, page.epoch, page.step_range)
        if epoch is False or (epoch == page.epoch and current is not None):
            raise dash.exceptions.PreventUpdate  # e.g. "next" at the range's last step
        return outputs_of({"epoch": epoch, "label": epoch_label(epoch)}, EPOCH_OUTPUTS)

    # The ◀ ▶ buttons and "clear" move the epoch without a request: the next or previous of the
    # selection's logged steps inside the range (move_epoch's rule, assets/confusionflow.js
    # moveEpoch). With the markers moved in the browser too, an epoch move asks the server only
    # for what shows numbers at the epoch (class sizes, the matrix's line background, instances).
    app.clientside_callback(
        ClientsideFunction(namespace="confusionflow", function_name="moveEpoch"),
        Output(ids.EPOCH_STORE, "data", allow_duplicate=True),
        Output(ids.EPOCH_LABEL, "children", allow_duplicate=True),
        Input(ids.EPOCH_PREV, "n_clicks"),
        Input(ids.EPOCH_NEXT, "n_clicks"),
        Input(ids.EPOCH_CLEAR, "n_clicks"),
        State(ids.SELECTION, "data"),
        State(ids.RANGE_STORE, "data"),
        State(ids.EPOCH_STORE, "data"),
        prevent_initial_call=True,
    )

    # An epoch move redraws only the markers, in the browser: see moveEpochMarkers in
    # assets/confusionflow.js for why (and the measurements), epoch_marker_meta for the recipe each
    # figure carries. The server callbacks of those figures skip epoch-only changes, and each of
    # their later updates draws the markers of the current epoch.
    app.clientside_callback(
        ClientsideFunction(namespace="confusionflow", function_name="moveEpochMarkers"),
        Input(ids.EPOCH_STORE, "data"),
        *(State(graph, "id") for graph in (*EPOCH_MARKER_GRAPHS, ids.DISTRIBUTION_GRAPH)),
        prevent_initial_call=True,
    )

    outputs = {"figure": Output(ids.TIMELINE_GRAPH, "figure"), "meta": Output(ids.TIMELINE_META, "data")}

    # the epoch is state: an epoch move only moves the line, in the browser (MARKER_VIEW_INPUTS)
    @app.callback(
        output=outputs,
        inputs=MARKER_VIEW_INPUTS,
        state={**EPOCH_STATE, "drawn": State(ids.TIMELINE_META, "data")},
        prevent_initial_call=True,  # the layout carries the first view (app/first_figures.py)
    )
    def update_timeline(drawn, **raw):
        return outputs_of(timeline_update(store, raw, ctx.triggered_prop_ids, drawn), outputs)


def timeline_update(
    store: LogStore, raw: Mapping[str, object], triggered: object, drawn: object = None
) -> dict[str, Any]:
    """``{"figure", "meta"}`` for the page's view inputs: :func:`timeline_figure`, or a Patch
    appending an added series' line when ``drawn`` (the chart's store) shows the others are on
    screen (app/callbacks/appended.py)."""
    bounds = Bounds.of(store.list_series())
    page = parse_inputs(raw, bounds)
    figure = timeline_figure(store, raw, triggered)
    if not isinstance(figure, go.Figure) or not page.selection.series:
        return {"figure": figure, "meta": dash.no_update if page.selection.series else None}
    sel = page.selection
    meta = chart_meta(
        sel.series,
        frame_digest(store.fingerprint(), [sel.classes, sel.other, sel.level, sel.group]),
    )

    def on_screen(series: tuple[str, ...]) -> Any:
        return timeline_figure(store, {**raw, "selection": replace(sel, series=series).to_store()}, None)

    return {"figure": figure_or_append(figure, meta, drawn_meta(drawn, bounds), on_screen), "meta": meta}


def timeline_figure(store: LogStore, raw: Mapping[str, object], triggered: object) -> Any:
    """The timeline for the page's view inputs: a rebuild, a Patch of its shapes, or no_update."""
    page = parse_inputs(raw, Bounds.of(store.list_series()))
    sel = page.selection
    if sel.series and epoch_only(triggered):
        return dash.no_update  # the browser moved the epoch line (moveEpochMarkers)
    if sel.series and only_marks_moved(triggered):
        # the lines are unchanged: move the band and the epoch line, drop the brush box
        patch = Patch()
        patch["layout"]["shapes"] = timeline_shapes(
            np.asarray(server_steps(store, sel)), x_range=page.step_range, epoch=page.epoch
        )
        patch["layout"]["selections"] = []
        return patch
    tensor = view_tensor(store, sel)
    if tensor is None:
        return empty_figure("Choose a series to see its accuracy over time.", height=130)
    figure = build_timeline_figure(
        tensor.steps,
        metrics.tensor_metrics(tensor).accuracy,
        series_colors(sel.series, page.slots),
        x_range=page.step_range,
        epoch=page.epoch,
        series_labels=[s.label for s in tensor.series],
        step_name=shared_step_name(s.step_name for s in tensor.series),
        wall_times=wall_time_grid(series_wall_times(store, [s.key for s in tensor.series]), tensor.steps),
    )
    figure.update_layout(selections=[])
    return figure


def only_marks_moved(triggered: object) -> bool:
    """True when only the range and/or epoch fired (not the selection or colours)."""
    keys = prop_ids(triggered)
    marks = {f"{ids.RANGE_STORE}.data", f"{ids.EPOCH_STORE}.data"}
    return bool(keys) and keys <= marks
