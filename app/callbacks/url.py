"""URL state: read once when the page opens, then written back after every change.

Reading is triggered by the path only, and writing goes through ``URL_QUERY`` and
``history.replaceState`` in the browser (``assets/confusionflow.js``), so writing the query string
never loops back into the controls. The parsed query string is kept in
``URL_STATE``; the views that own a piece of state (series, classes, range, epoch, detail) take it
from there, the plain toolbar controls are set here.
"""

from __future__ import annotations

from typing import Any

import dash
from dash import ClientsideFunction, Input, Output, State

from app.callbacks.common import Selection, epoch_of, load_series, x_range_of
from app.callbacks.series import default_series
from app.state import DetailTarget as Target
from app.state import ViewState, clamp_gamma, parse_query, to_query
from components import ids
from components.options import ABSOLUTE, ENCODINGS, NORMALIZATIONS, SCALES
from data_access.views import fold_sizes_differ


def controls_from_query(search: str | None) -> tuple[str, list[str], str, str, float, list[str]]:
    """Values of encoding, rotate, normalisation, scale, gamma and class options for a query."""
    s = parse_query(search)
    class_opts = (["other"] if s.other else []) + (["super"] if s.superclasses else [])
    return (
        s.encoding,
        ["rotate"] if s.rotate else [],
        s.normalization or ABSOLUTE,
        s.scale,
        s.gamma,
        class_opts,
    )


def first_view_normalization(store: Any) -> str:
    """Values shown on a fresh page (no series in the URL): the first run's folds, relative to the
    true class when those folds differ in size (a train fold six times the test fold would
    otherwise set the colour scale alone), absolute counts otherwise."""
    tensor, _ = load_series(store, default_series(store.list_series()))
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
) -> ViewState:
    """The view state the page shows, from its stores and controls (bad values -> defaults)."""
    sel = Selection.from_store(selection)
    return ViewState(
        series=sel.series,
        classes=sel.classes,
        other=sel.other,
        superclasses=sel.superclasses,
        encoding=encoding if encoding in ENCODINGS else "heatmap",
        rotate=isinstance(rotate, list) and "rotate" in rotate,
        normalization=normalization if normalization in NORMALIZATIONS else None,
        scale=scale if scale in SCALES else "linear",
        gamma=clamp_gamma(gamma),
        step_range=x_range_of(step_range),
        epoch=epoch_of(epoch),
        detail=Target.from_dict(detail),
    )


def register(app: dash.Dash, store: Any) -> None:
    @app.callback(
        Output(ids.URL_STATE, "data"),
        Output(ids.ENCODING, "value"),
        Output(ids.ROTATE, "value"),
        Output(ids.NORMALIZATION, "value"),
        Output(ids.SCALE, "value"),
        Output(ids.GAMMA, "value"),
        Output(ids.CLASS_OPTIONS, "value"),
        Input(ids.URL, "pathname"),
        State(ids.URL, "search"),
    )
    def on_url_load(_pathname, search):
        encoding, rotate, normalization, scale, gamma, class_opts = controls_from_query(search)
        if not parse_query(search).series:
            normalization = first_view_normalization(store)
        return (search or "", encoding, rotate, normalization, scale, gamma, class_opts)

    @app.callback(
        Output(ids.URL_QUERY, "data"),
        Input(ids.SELECTION, "data"),
        Input(ids.ENCODING, "value"),
        Input(ids.ROTATE, "value"),
        Input(ids.NORMALIZATION, "value"),
        Input(ids.SCALE, "value"),
        Input(ids.GAMMA, "value"),
        Input(ids.RANGE_STORE, "data"),
        Input(ids.EPOCH_STORE, "data"),
        Input(ids.DETAIL_TARGET, "data"),
        State(ids.URL_QUERY, "data"),
    )
    def update_url(
        selection, encoding, rotate, normalization, scale, gamma, step_range, epoch, detail, shown
    ):
        if selection is None:
            raise dash.exceptions.PreventUpdate  # the page is still opening
        query = to_query(
            state_from_controls(
                selection, encoding, rotate, normalization, scale, gamma, step_range, epoch, detail
            )
        )
        if query == shown:
            raise dash.exceptions.PreventUpdate
        return query

    # the browser replaces (not pushes) the address: the URL always shares the view on screen, and
    # Back leaves the page instead of stepping through every slider move
    app.clientside_callback(
        ClientsideFunction(namespace="confusionflow", function_name="replaceQuery"),
        Output(ids.URL_WRITTEN, "data"),
        Input(ids.URL_QUERY, "data"),
        prevent_initial_call=True,
    )
