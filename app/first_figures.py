"""The views' first state in the layout: every callback a first view would fire, answered on the server.

Why: with the view state in the layout (``app/first_view.py``) a first view still fired ten
callbacks on opening (the five figures, the overview, the address written back, the rotate
control, the instance panel's series and its table), each a ``_dash-update-component`` request
and a second render of its view; the page settled only when the last answer had been drawn.
Here the layout request computes those answers itself, with the same functions the callbacks
call, and writes them into the layout; the callbacks are registered with
``prevent_initial_call=True`` and fire only on a change. A first view then issues no callback
request at all: the layout is drawn once, with its figures.

Only the ``_dash-layout`` answer carries them (the page's HTML copy draws no figure, so it skips
this work). The values are exactly what the callbacks would answer for the layout's own inputs;
``dash.no_update`` leaves the layout's value. Shapes: ``Props`` maps ``(component id, property)``
to a value, as in ``app/first_view.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import dash
from dash import Input, Output

from confusionflow.app.callbacks.class_charts import (
    PERF_OUTPUTS,
    SIZES_OUTPUTS,
    class_performance_update,
    class_sizes_update,
)
from confusionflow.app.callbacks.detail import DETAIL_OUTPUTS, detail_update
from confusionflow.app.callbacks.inputs import VIEW_INPUTS, Bounds, outputs_of, parse_inputs
from confusionflow.app.callbacks.instances import (
    BODY_OUTPUTS,
    SERIES_OUTPUTS,
    instance_series_update,
    instances_update,
)
from confusionflow.app.callbacks.matrix import MATRIX_INPUTS, MATRIX_OUTPUTS, matrix_update, rotate_options
from confusionflow.app.callbacks.overview import OVERVIEW_INPUTS, OVERVIEW_OUTPUTS, overview_answer
from confusionflow.app.callbacks.timeline import timeline_update
from confusionflow.app.callbacks.url import QUERY_OUTPUTS, state_from_controls
from confusionflow.app.state import parse_query, to_query
from confusionflow.components import ids
from confusionflow.components.overview_panel import PANEL_SHOWN, overview_graph_stand_in, views_class
from confusionflow.data_access.store import LogStore

Props = dict[tuple[str, str], Any]
Read = Callable[[str, str], Any]  # (component id, property) -> the value the layout will hold

DETAIL_INPUTS: dict[str, Input] = {
    "detail": Input(ids.DETAIL_TARGET, "data"),
    **VIEW_INPUTS,
    "normalization": Input(ids.NORMALIZATION, "value"),
}
QUERY_INPUTS = (
    "selection",
    "encoding",
    "rotate",
    "normalization",
    "scale",
    "gamma",
    "step_range",
    "epoch",
    "detail",
)
QUERY_IDS = {
    "selection": (ids.SELECTION, "data"),
    "encoding": (ids.ENCODING, "value"),
    "rotate": (ids.ROTATE, "value"),
    "normalization": (ids.NORMALIZATION, "value"),
    "scale": (ids.SCALE, "value"),
    "gamma": (ids.GAMMA, "value"),
    "step_range": (ids.RANGE_STORE, "data"),
    "epoch": (ids.EPOCH_STORE, "data"),
    "detail": (ids.DETAIL_TARGET, "data"),
}
NO_TRIGGER: dict[str, Any] = {}  # a first view: nothing "fired", every view is built in full


def reader(props: Mapping[tuple[str, str], Any], layout_value: Read) -> Read:
    """``(id, prop) -> value``: ``props`` (the first view's values) first, else the layout's own."""

    def read(cid: str, prop: str) -> Any:
        if (cid, prop) in props:
            return props[(cid, prop)]
        return layout_value(cid, prop)

    return read


def raw_inputs(inputs: Mapping[str, Input], read: Read) -> dict[str, Any]:
    """A callback's named input values as the browser would send them on opening."""
    return {name: read(str(i.component_id), i.component_property) for name, i in inputs.items()}


def as_props(result: object, declared: Mapping[str, Output]) -> Props:
    """A callback's answer (by output name) as ``Props``, ``dash.no_update`` left out."""
    out: Props = {}
    for name, value in outputs_of(result, declared).items():
        if value is dash.no_update:
            continue
        output = declared[name]
        out[(str(output.component_id), output.component_property)] = value
    return out


def opening_view(search: object) -> str:
    """The many-class matrix panel's first view for the page address ``search`` (browser input,
    read as text): ``"classes"`` (the sub-matrix) when it names classes, a hierarchy level or a
    group, else ``"overview"``.

    >>> opening_view("?s=run/test&c=cat&c=dog"), opening_view("?s=run/test"), opening_view(None)
    ('classes', 'overview', 'overview')
    """
    state = parse_query(search if isinstance(search, str) else "")
    return "classes" if state.classes or state.level or state.group else "overview"


def view_props(store: LogStore, props: Props, layout_value: Read, max_cells: int) -> Props:
    """Every opening callback's answer for the first view whose values are ``props`` (see the
    module docstring); ``layout_value(id, prop)`` reads what the layout holds for the rest."""
    read = reader(props, layout_value)
    bounds = Bounds.of(store.list_series())
    out: Props = {(ids.ROTATE, "options"): rotate_options(read(ids.ENCODING, "value"))}

    # the address the page writes back (update_url): nothing before a selection exists
    controls = {name: read(*QUERY_IDS[name]) for name in QUERY_INPUTS}
    if controls["selection"] is not None:
        query = to_query(state_from_controls(**controls, bounds=bounds))
        out.update(as_props({"query": query}, QUERY_OUTPUTS))

    page = parse_inputs(raw_inputs(MATRIX_INPUTS, read), bounds)
    out.update(as_props(matrix_update(store, page, None, max_cells), MATRIX_OUTPUTS))

    view = raw_inputs(VIEW_INPUTS, read)
    out.update(as_props(class_performance_update(store, view, NO_TRIGGER, None), PERF_OUTPUTS))
    out.update(as_props(class_sizes_update(store, view, None), SIZES_OUTPUTS))
    detail_page = parse_inputs(raw_inputs(DETAIL_INPUTS, read), bounds)
    out.update(as_props(detail_update(store, detail_page, NO_TRIGGER), DETAIL_OUTPUTS))
    out.update(as_props(timeline_update(store, view, NO_TRIGGER), TIMELINE_OUTPUTS))
    overview = overview_answer(store, **raw_inputs(OVERVIEW_INPUTS, read))
    out.update(as_props(overview, OVERVIEW_OUTPUTS))
    if overview["style"] != PANEL_SHOWN:
        # 40 classes or fewer: no overview graph to mount and draw, a stand-in with its id (the
        # overview callback sends a real graph if a many-class series is shown later)
        out[(ids.OVERVIEW_GRAPH_SLOT, "children")] = overview_graph_stand_in()
    # many classes: a link that names classes, a level or a group opens on their sub-matrix (what
    # its sender was looking at), any other on the overview (matrixViews in confusionflow.js keeps
    # the class after); the overview is drawn for these steps (overviewSteps asks again only when
    # they move)
    opening = opening_view(read(ids.FIRST_VIEW_QUERY, "data"))
    out[(ids.MATRIX_VIEW, "data")] = opening
    out[(ids.MATRIX_VIEWS, "className")] = views_class(overview["style"] == PANEL_SHOWN, opening)
    out[(ids.OVERVIEW_STEPS, "data")] = [
        read(ids.RANGE_STORE, "data"),
        read(ids.EPOCH_STORE, "data"),
        read(ids.NORMALIZATION, "value"),
    ]

    selection = read(ids.SELECTION, "data")
    series = instance_series_update(store, selection, read(ids.INSTANCES_SERIES, "value"))
    out.update(as_props(series, SERIES_OUTPUTS))
    body, disabled = instances_update(
        store,
        selection,
        read(ids.DETAIL_TARGET, "data"),
        read(ids.EPOCH_STORE, "data"),
        read(ids.RANGE_STORE, "data"),
        series["value"],
    )
    out.update(as_props({"body": body, "download_disabled": disabled}, BODY_OUTPUTS))
    return out


TIMELINE_OUTPUTS = {"figure": Output(ids.TIMELINE_GRAPH, "figure"), "meta": Output(ids.TIMELINE_META, "data")}
