"""View D: the timeline, the step range every view zooms to, and the selected epoch.

The range is kept in logged step numbers (``RANGE_STORE``: ``[lo, hi]`` or None for all steps).
Three controls write it — the range slider (in step *positions*, so uneven steps are evenly
spaced), a drag on the timeline chart, and "Full range" — and one callback owns it, so the slider
and the chart always end in the same state. The epoch is one logged step (or None), moved by a
click on the timeline or the ◀ ▶ buttons.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from typing import Any

import dash
import numpy as np
from dash import ClientsideFunction, Input, Output, Patch, State, ctx

from app.callbacks.common import Selection, epoch_of, series_colors, view_tensor, x_range_of
from app.state import format_number, parse_query
from components import ids
from components.charts import build_timeline_figure, timeline_shapes
from components.figure_style import empty_figure
from data_access import metrics

MAX_MARKS = 8
# figures whose epoch markers the browser moves (each carries a recipe in layout.meta)
EPOCH_MARKER_GRAPHS = (ids.MATRIX_GRAPH, ids.CLASS_PERF_GRAPH, ids.DETAIL_GRAPH, ids.TIMELINE_GRAPH)


# ----------------------------------------------------------------------------- pure helpers
def window_indices(steps: Sequence[float], lo: float, hi: float) -> tuple[int, int] | None:
    """First and last positions of ``steps`` inside ``[lo, hi]``, or None if no step is inside."""
    i0 = bisect.bisect_left(steps, lo)
    i1 = bisect.bisect_right(steps, hi) - 1
    return (i0, i1) if i0 <= i1 and i0 < len(steps) else None


def clamp_range(steps: Sequence[float], step_range: tuple[float, float] | None) -> tuple[float, float] | None:
    """Snap a range to logged steps; None when it covers every step or no step at all."""
    if step_range is None or not steps:
        return None
    idx = window_indices(steps, *step_range)
    if idx is None or (idx[0] == 0 and idx[1] == len(steps) - 1):
        return None
    return (float(steps[idx[0]]), float(steps[idx[1]]))


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
    try:
        return (min(float(lo), float(hi)), max(float(lo), float(hi)))
    except (TypeError, ValueError):
        return False


def range_from_selection(selected: Mapping[str, Any] | None) -> tuple[float, float] | None | bool:
    """The x range of a box selection (brush) on the timeline, False if there is none."""
    if not isinstance(selected, Mapping):
        return False
    box = selected.get("range")
    if isinstance(box, Mapping) and isinstance(box.get("x"), list) and len(box["x"]) == 2:
        lo, hi = box["x"]
        try:
            return (min(float(lo), float(hi)), max(float(lo), float(hi)))
        except (TypeError, ValueError):
            return False
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
    return {p: format_number(steps[p]) for p in positions}


def range_label(steps: Sequence[float], step_range: tuple[float, float] | None) -> str:
    if not steps:
        return "No steps"
    if step_range is None:
        return f"All {len(steps)} steps ({format_number(steps[0])}–{format_number(steps[-1])})"
    idx = window_indices(steps, *step_range)
    n = idx[1] - idx[0] + 1 if idx else 0
    return f"Steps {format_number(step_range[0])}–{format_number(step_range[1])} ({n} of {len(steps)})"


def nearest_step(steps: Sequence[float], x: float) -> float | None:
    if not steps:
        return None
    i = bisect.bisect_left(steps, x)
    candidates = [j for j in (i - 1, i) if 0 <= j < len(steps)]
    return float(min((steps[j] for j in candidates), key=lambda s: abs(s - x)))


def move_epoch(
    steps: Sequence[float], epoch: float | None, direction: int, step_range: tuple[float, float] | None
) -> float | None:
    """The previous/next logged step within the range (first/last if none is selected)."""
    window = list(steps)
    if step_range is not None:
        idx = window_indices(steps, *step_range)
        window = list(steps[idx[0] : idx[1] + 1]) if idx else window
    if not window:
        return None
    if epoch is None:
        return float(window[0] if direction > 0 else window[-1])
    if direction > 0:
        i = bisect.bisect_right(window, epoch)
        return float(window[min(i, len(window) - 1)])
    i = bisect.bisect_left(window, epoch) - 1
    return float(window[max(i, 0)])


def epoch_label(epoch: float | None) -> str:
    return "none" if epoch is None else f"step {format_number(epoch)}"


def range_update(
    trigger: object,
    steps: Sequence[float],
    url_state: object,
    slider: object,
    relayout: object,
    selected: object,
    current: object,
) -> tuple[list[float] | None, int, list[int], dict[int, str], str, bool] | None:
    """What the range callback returns for an event (None: nothing to change).

    ``trigger`` is the id that fired: the URL state (page opened), the selection (series or classes
    changed: keep the range, clamped to the new steps), the slider (positions), the timeline
    (``"<id>.relayoutData"`` for a drag-zoom, ``"<id>.selectedData"`` for a brush) or "Full range".
    Returns ``(store value, slider max, slider value, slider marks, label, slider disabled)``.
    """
    wanted: tuple[float, float] | None
    if trigger == ids.URL_STATE or trigger is None:
        wanted = parse_query(url_state).step_range if isinstance(url_state, str) else None
    elif trigger == ids.SELECTION:
        wanted = x_range_of(current)
    elif trigger == ids.RANGE_SLIDER:
        if not (isinstance(slider, list) and len(slider) == 2 and steps):
            return None
        i0, i1 = sorted(max(0, min(int(v), len(steps) - 1)) for v in slider)
        wanted = (steps[i0], steps[i1])
    elif trigger == f"{ids.TIMELINE_GRAPH}.relayoutData":
        asked = range_from_relayout(relayout)  # type: ignore[arg-type]
        if asked is False:
            return None
        wanted = asked  # type: ignore[assignment]
    elif trigger == f"{ids.TIMELINE_GRAPH}.selectedData":
        asked = range_from_selection(selected)  # type: ignore[arg-type]
        if asked is False:
            return None
        wanted = asked  # type: ignore[assignment]
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
    return (
        list(step_range) if step_range else None,
        max(len(steps) - 1, 1),
        value,
        slider_marks(steps),
        range_label(steps, step_range),
        len(steps) < 2,
    )


def epoch_update(
    trigger: object,
    steps: Sequence[float],
    url_state: object,
    click: object,
    current: object,
    step_range: object,
) -> float | None | bool:
    """The epoch after an event, or False when the event changes nothing.

    A clicked x snaps to the nearest logged step; an epoch the shown series did not log is cleared.
    """
    epoch = epoch_of(current)
    if trigger == ids.URL_STATE or trigger is None:
        epoch = parse_query(url_state).epoch if isinstance(url_state, str) else None
    elif trigger == ids.TIMELINE_GRAPH:
        points = (click or {}).get("points") if isinstance(click, dict) else None
        x = epoch_of(points[0].get("x")) if points else None
        if x is None:
            return False
        epoch = nearest_step(steps, x)
    elif trigger in (ids.EPOCH_PREV, ids.EPOCH_NEXT):
        epoch = move_epoch(steps, epoch, 1 if trigger == ids.EPOCH_NEXT else -1, x_range_of(step_range))
    elif trigger == ids.EPOCH_CLEAR:
        epoch = None
    if epoch is not None and epoch not in steps:
        epoch = None
    return epoch


def register(app: dash.Dash, store: Any) -> None:
    @app.callback(
        Output(ids.RANGE_STORE, "data"),
        Output(ids.RANGE_SLIDER, "max"),
        Output(ids.RANGE_SLIDER, "value"),
        Output(ids.RANGE_SLIDER, "marks"),
        Output(ids.RANGE_LABEL, "children"),
        Output(ids.RANGE_SLIDER, "disabled"),
        Input(ids.URL_STATE, "data"),
        Input(ids.SELECTION, "data"),
        Input(ids.RANGE_SLIDER, "value"),
        Input(ids.TIMELINE_GRAPH, "relayoutData"),
        Input(ids.TIMELINE_GRAPH, "selectedData"),
        Input(ids.FULL_RANGE, "n_clicks"),
        State(ids.RANGE_STORE, "data"),
    )
    def update_range(url_state, selection, slider, relayout, selected, _full, current):
        steps = list(Selection.from_store(selection).steps)
        trigger = ctx.triggered_id
        if trigger == ids.TIMELINE_GRAPH:
            trigger = ids.TIMELINE_GRAPH + "." + ctx.triggered[0]["prop_id"].rsplit(".", 1)[-1]
        update = range_update(trigger, steps, url_state, slider, relayout, selected, current)
        if update is None:
            raise dash.exceptions.PreventUpdate
        return update

    @app.callback(
        Output(ids.EPOCH_STORE, "data"),
        Output(ids.EPOCH_LABEL, "children"),
        Input(ids.URL_STATE, "data"),
        Input(ids.SELECTION, "data"),
        Input(ids.TIMELINE_GRAPH, "clickData"),
        Input(ids.EPOCH_PREV, "n_clicks"),
        Input(ids.EPOCH_NEXT, "n_clicks"),
        Input(ids.EPOCH_CLEAR, "n_clicks"),
        State(ids.EPOCH_STORE, "data"),
        State(ids.RANGE_STORE, "data"),
    )
    def update_epoch(url_state, selection, click, _prev, _next, _clear, current, step_range):
        steps = list(Selection.from_store(selection).steps)
        epoch = epoch_update(ctx.triggered_id, steps, url_state, click, current, step_range)
        if epoch is False:
            raise dash.exceptions.PreventUpdate
        return epoch, epoch_label(epoch)

    # An epoch move redraws only the markers, in the browser: see moveEpochMarkers in
    # assets/confusionflow.js for why (and the measurements), epoch_marker_meta for the recipe each
    # figure carries. The server callbacks of those figures skip epoch-only changes, and each of
    # their later updates draws the markers of the current epoch.
    app.clientside_callback(
        ClientsideFunction(namespace="confusionflow", function_name="moveEpochMarkers"),
        Input(ids.EPOCH_STORE, "data"),
        *(State(graph, "id") for graph in EPOCH_MARKER_GRAPHS),
        prevent_initial_call=True,
    )

    @app.callback(
        Output(ids.TIMELINE_GRAPH, "figure"),
        Input(ids.SELECTION, "data"),
        Input(ids.SLOTS, "data"),
        Input(ids.RANGE_STORE, "data"),
        Input(ids.EPOCH_STORE, "data"),
    )
    def update_timeline(selection, slots, step_range, epoch):
        sel = Selection.from_store(selection)
        rng, ep = x_range_of(step_range), epoch_of(epoch)
        if sel.series and set(ctx.triggered_prop_ids or {}) == {f"{ids.EPOCH_STORE}.data"}:
            raise dash.exceptions.PreventUpdate  # the browser moved the epoch line (moveEpochMarkers)
        if sel.series and only_marks_moved(ctx.triggered_prop_ids):
            # the lines are unchanged: move the band and the epoch line, drop the brush box
            patch = Patch()
            patch["layout"]["shapes"] = timeline_shapes(np.asarray(sel.steps), x_range=rng, epoch=ep)
            patch["layout"]["selections"] = []
            return patch
        tensor = view_tensor(store, sel)
        if tensor is None:
            return empty_figure("Choose a series to see its accuracy over time.", height=130)
        figure = build_timeline_figure(
            tensor.steps,
            metrics.tensor_metrics(tensor).accuracy,
            series_colors(sel.series, slots),
            x_range=rng,
            epoch=ep,
            series_labels=[s.label for s in tensor.series],
        )
        figure.update_layout(selections=[])
        return figure


def only_marks_moved(triggered: object) -> bool:
    """True when only the range and/or epoch fired (not the selection or colours)."""
    keys = set(triggered or {})
    marks = {f"{ids.RANGE_STORE}.data", f"{ids.EPOCH_STORE}.data"}
    return bool(keys) and keys <= marks
