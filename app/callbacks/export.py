"""Exports: the selected numbers as CSV, any chart as SVG, and the import drawer's toggle.

The CSV holds exactly what the page shows (series, classes, superclasses, step range) as a long
table from ``data_access.views.long_counts``. SVG export runs in the browser (Plotly draws it from
the chart on screen), through a clientside callback in ``assets/confusionflow.js``.
"""

from __future__ import annotations

import re
from typing import Any

import dash
from dash import ALL, ClientsideFunction, Input, Output, State

from app.callbacks.common import Selection, view_tensor, x_range_of
from components import ids
from data_access.views import long_counts


def csv_filename(selection: Selection) -> str:
    """``confusionflow-<runs>.csv`` with only filename-safe characters."""
    runs = "-".join(dict.fromkeys(k.split("/", 1)[0] for k in selection.series)) or "empty"
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", runs)[:80].strip("_") or "series"
    return f"confusionflow-{safe}.csv"


def register(app: dash.Dash, store: Any) -> None:
    @app.callback(
        Output(ids.DOWNLOAD, "data"),
        Input(ids.DOWNLOAD_BUTTON, "n_clicks"),
        State(ids.SELECTION, "data"),
        State(ids.RANGE_STORE, "data"),
        prevent_initial_call=True,
    )
    def on_download(n_clicks, selection, step_range):
        if not n_clicks:
            raise dash.exceptions.PreventUpdate
        sel = Selection.from_store(selection)
        tensor = view_tensor(store, sel)
        if tensor is None:
            raise dash.exceptions.PreventUpdate
        rng = x_range_of(step_range)
        if rng is not None:
            tensor = tensor.step_window(*rng)
        table = long_counts(tensor)
        return dash.dcc.send_data_frame(table.to_csv, csv_filename(sel), index=False)

    app.clientside_callback(
        ClientsideFunction(namespace="confusionflow", function_name="exportSvg"),
        Output(ids.SVG_DONE, "data"),
        Input({"type": ids.SVG_BUTTON, "graph": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )

    app.clientside_callback(
        ClientsideFunction(namespace="confusionflow", function_name="toggleHidden"),
        Output(ids.IMPORT_DRAWER, "hidden"),
        Input(ids.IMPORT_TOGGLE, "n_clicks"),
        State(ids.IMPORT_DRAWER, "hidden"),
        prevent_initial_call=True,
    )
