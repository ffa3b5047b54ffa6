"""Exports: the selected numbers as CSV, any chart as SVG, and the import drawer's toggle.

The CSV holds exactly what the page shows (series, classes, superclasses, step range) as a long
table from ``data_access.views.long_counts``. SVG export runs in the browser (Plotly draws it from
the chart on screen), through a clientside callback in ``assets/confusionflow.js``.
"""

from __future__ import annotations

import re

import dash
from dash import ALL, ClientsideFunction, Input, Output, State

from app.callbacks.common import Selection, over_budget, view_tensor
from app.callbacks.inputs import Bounds, PageInputs, outputs_of, parse_inputs
from app.config import DEFAULT_MAX_VIEW_CELLS, Settings
from components import ids
from data_access.store import LogStore
from data_access.views import long_counts

DOWNLOAD_OUTPUTS = {"download": Output(ids.DOWNLOAD, "data")}


def csv_filename(selection: Selection) -> str:
    """``confusionflow-<runs>.csv`` with only filename-safe characters."""
    runs = "-".join(dict.fromkeys(k.split("/", 1)[0] for k in selection.series)) or "empty"
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", runs)[:80].strip("_") or "series"
    return f"confusionflow-{safe}.csv"


def csv_download(store: LogStore, page: PageInputs, max_cells: int = DEFAULT_MAX_VIEW_CELLS) -> dict | None:
    """The CSV download of the page's selection and step range, or None when there is nothing to
    export or it would hold more than ``max_cells`` values (the view budget)."""
    tensor = view_tensor(store, page.selection)
    if tensor is None:
        return None
    if page.step_range is not None:
        tensor = tensor.step_window(*page.step_range)
    if over_budget(tensor, max_cells):
        return None
    table = long_counts(tensor)
    return dash.dcc.send_data_frame(table.to_csv, csv_filename(page.selection), index=False)


def register(app: dash.Dash, store: LogStore, settings: Settings | None = None) -> None:
    max_cells = (settings or Settings()).max_view_cells

    @app.callback(
        output=DOWNLOAD_OUTPUTS,
        inputs={"clicks": Input(ids.DOWNLOAD_BUTTON, "n_clicks")},
        state={"selection": State(ids.SELECTION, "data"), "step_range": State(ids.RANGE_STORE, "data")},
        prevent_initial_call=True,
    )
    def on_download(**raw):
        page = parse_inputs(raw, Bounds.of(store.list_series()))
        download = csv_download(store, page, max_cells) if page.clicks else None
        if download is None:
            raise dash.exceptions.PreventUpdate
        return outputs_of({"download": download}, DOWNLOAD_OUTPUTS)

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
