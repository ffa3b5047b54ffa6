"""URL state: read once when the page opens, then written back after every change.

Reading is triggered by the path and the query string (the page opening, Back, Forward), and
writing goes through ``URL_QUERY`` and ``history.pushState``/``replaceState`` in the browser
(``assets/confusionflow.js``); the page's own writes are recognised and never loop back into the
controls. The parsed query string is kept in
``URL_STATE``; the views that own a piece of state (series, classes, range, epoch, detail) take it
from there, the plain toolbar controls are set here.
"""

from __future__ import annotations

from typing import Any

import dash
from dash import ClientsideFunction, Input, Output, State, ctx

from confusionflow.app.callbacks.common import load_series
from confusionflow.app.callbacks.inputs import DEFAULT_BOUNDS, Bounds, outputs_of, parse_inputs
from confusionflow.app.callbacks.series import default_series
from confusionflow.app.state import ViewState, parse_query, to_query
from confusionflow.components import ids
from confusionflow.components.options import ABSOLUTE
from confusionflow.data_access.sparse_counts import SparseCounts
from confusionflow.data_access.store import LogStore
from confusionflow.data_access.views import fold_sizes_differ

LOAD_OUTPUTS = {
    "url_state": Output(ids.URL_STATE, "data"),
    "encoding": Output(ids.ENCODING, "value"),
    "rotate": Output(ids.ROTATE, "value"),
    "normalization": Output(ids.NORMALIZATION, "value"),
    "scale": Output(ids.SCALE, "value"),
    "gamma": Output(ids.GAMMA, "value"),
    "class_options": Output(ids.CLASS_OPTIONS, "value"),
}
QUERY_OUTPUTS = {"query": Output(ids.URL_QUERY, "data")}


def controls_from_query(search: str | None) -> tuple[str, list[str], str, str, float, list[str]]:
    """Values of encoding, rotate, normalisation, scale, gamma and class options for a query."""
    s = parse_query(search)
    class_opts = ["other"] if s.other else []
    return (
        s.encoding,
        ["rotate"] if s.rotate else [],
        s.normalization or ABSOLUTE,
        s.scale,
        s.gamma,
        class_opts,
    )


def load_values(store: LogStore, query: str) -> dict[str, Any]:
    """What ``on_url_load`` answers for a parsed page query (``LOAD_OUTPUTS`` by name): the URL
    state and the toolbar controls, with :func:`first_view_normalization` when the query names no
    series. The layout's first view (``app/first_view.py``) fills the same outputs from it."""
    encoding, rotate, normalization, scale, gamma, class_opts = controls_from_query(query)
    if not parse_query(query).series:
        normalization = first_view_normalization(store)
    return {
        "url_state": query,
        "encoding": encoding,
        "rotate": rotate,
        "normalization": normalization,
        "scale": scale,
        "gamma": gamma,
        "class_options": class_opts,
    }


def first_view_normalization(store: LogStore) -> str:
    """Values shown on a fresh page (no series in the URL): the first run's folds, relative to the
    true class when those folds differ in size (a train fold six times the test fold would
    otherwise set the colour scale alone), absolute counts otherwise."""
    tensor, _ = load_series(store, default_series(store.list_series()))
    if isinstance(tensor, SparseCounts):  # many classes: relative, as the overview draws shares
        return "true"
    return "true" if tensor is not None and fold_sizes_differ(tensor) else ABSOLUTE


def state_from_controls(
    selection: object,
    encoding: object,
    rotate: object,
    normalization: object,
    scale: object,
    gamma: object,
    step_range: object,
    epoch: object,
    detail: object,
    bounds: Bounds = DEFAULT_BOUNDS,
) -> ViewState:
    """The view state the page shows, from its stores and controls (bad values -> defaults)."""
    raw = {
        "selection": selection,
        "encoding": encoding,
        "rotate": rotate,
        "normalization": normalization,
        "scale": scale,
        "gamma": gamma,
        "step_range": step_range,
        "epoch": epoch,
        "detail": detail,
    }
    page = parse_inputs(raw, bounds)
    sel = page.selection
    return ViewState(
        series=sel.series,
        classes=sel.classes,
        other=sel.other,
        level=sel.level,
        group=sel.group if sel.level else None,
        encoding=page.encoding,
        rotate=page.rotate,
        normalization=page.normalization,
        scale=page.scale,
        gamma=page.gamma,
        step_range=page.step_range,
        epoch=page.epoch,
        detail=page.detail,
    )


def is_own_write(search: str, shown: object) -> bool:
    """Whether the address bar's query is the one this page wrote last (``URL_QUERY``): the
    browser script tells ``dcc.Location`` about each address it writes, and that echo must not
    restore the view again. Any other query (the page opening, Back or Forward) is restored.

    >>> is_own_write("?enc=lines", "?enc=lines"), is_own_write("", None), is_own_write("?a=1", "?b=2")
    (True, False, False)
    """
    return isinstance(shown, str) and search == shown


def restore_answer(store: LogStore, search: object, shown: object) -> dict[str, Any] | None:
    """What ``on_url_load`` answers for an address's query ``search`` (the browser's, bounded
    here) when the page last wrote ``shown``: ``None`` for the page's own write, else the view's
    controls (:func:`load_values`, by ``LOAD_OUTPUTS`` name) and ``"shown"``, the restored query,
    which is the address bar's from now on (what the page's next writes are compared with)."""
    query = parse_inputs({"url_state": search}).url_state or ""
    if is_own_write(query, shown):
        return None
    return {**outputs_of(load_values(store, query), LOAD_OUTPUTS), "shown": query}


def register(app: dash.Dash, store: LogStore) -> None:
    @app.callback(
        output={
            **LOAD_OUTPUTS,
            # the restored query is the one the address bar shows: what the page compares its next
            # writes with. Left at the last query the page wrote, a write made from it while the
            # view was being restored (the epoch's pair, epochQuery) put that older address back
            # into the bar after a quick Back, until the restored view's own query replaced it
            "shown": Output(ids.URL_QUERY, "data", allow_duplicate=True),
        },
        inputs={
            # the address as dcc.Location reports it, less the page's own writes (addressChanged)
            "address": Input(ids.URL_ADDRESS, "data"),
            "retry": Input(ids.FIRST_VIEW_RETRY, "data"),
        },
        state={"shown": State(ids.URL_QUERY, "data")},
        # the layout carries the first view (app/first_view.py); this restores Back and Forward,
        # and the page's query when the layout was built from another (FIRST_VIEW_RETRY)
        prevent_initial_call=True,
    )
    def on_url_load(address, retry, shown):
        search = address.get("search") if isinstance(address, dict) else None
        if ctx.triggered_id == ids.FIRST_VIEW_RETRY and isinstance(retry, str):
            search = retry
        answer = restore_answer(store, search, shown)
        if answer is None:
            raise dash.exceptions.PreventUpdate
        return answer

    @app.callback(
        output=QUERY_OUTPUTS,
        inputs={
            "selection": Input(ids.SELECTION, "data"),
            "encoding": Input(ids.ENCODING, "value"),
            "rotate": Input(ids.ROTATE, "value"),
            "normalization": Input(ids.NORMALIZATION, "value"),
            "scale": Input(ids.SCALE, "value"),
            "gamma": Input(ids.GAMMA, "value"),
            "step_range": Input(ids.RANGE_STORE, "data"),
            "detail": Input(ids.DETAIL_TARGET, "data"),
        },
        # an epoch move writes the query in the browser (epochQuery below); every other change
        # reads the epoch as it stands
        state={"shown": State(ids.URL_QUERY, "data"), "epoch": State(ids.EPOCH_STORE, "data")},
        prevent_initial_call=True,  # the layout carries the first view's query (app/first_figures.py)
    )
    def update_url(selection, shown, **controls):
        if selection is None:
            raise dash.exceptions.PreventUpdate  # the page is still opening
        bounds = Bounds.of(store.list_series())
        query = to_query(state_from_controls(selection, **controls, bounds=bounds))
        if query == shown:
            raise dash.exceptions.PreventUpdate
        return outputs_of({"query": query}, QUERY_OUTPUTS)

    # the epoch's pair of the query, moved in the browser (assets/timeline_zoom.js, epochQuery):
    # an epoch move sends no request for the address bar
    app.clientside_callback(
        ClientsideFunction(namespace="cftimeline", function_name="epochQuery"),
        Output(ids.URL_QUERY, "data", allow_duplicate=True),
        Input(ids.EPOCH_STORE, "data"),
        State(ids.URL_QUERY, "data"),
        prevent_initial_call=True,
    )

    # the browser writes the address (assets/confusionflow.js, writeQuery): a deliberate change
    # (series, classes, encoding, normalisation, a released range, an epoch, a detail target) made
    # by the user pushes a history entry, anything else replaces the current one; Back and Forward
    # come back through dcc.Location's search (on_url_load above) and restore without pushing
    # dcc.Location reports every address, the page's own writes included (writeQuery tells it, so
    # that Back to an earlier address is seen as a change); those echoes are dropped here, in the
    # browser: sent to on_url_load they were a request after every change of the view, answered
    # with nothing, that the page waited for (40-250 ms at the end of each action, 2026-12-03)
    app.clientside_callback(
        ClientsideFunction(namespace="confusionflow", function_name="addressChanged"),
        Output(ids.URL_ADDRESS, "data"),
        Input(ids.URL, "pathname"),
        Input(ids.URL, "search"),
        State(ids.URL_QUERY, "data"),
        prevent_initial_call=True,
    )

    app.clientside_callback(
        ClientsideFunction(namespace="confusionflow", function_name="writeQuery"),
        Output(ids.URL_WRITTEN, "data"),
        Input(ids.URL_QUERY, "data"),
        # also on opening (in the browser, no request): the address bar gets the view's own query
    )
