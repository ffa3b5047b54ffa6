"""Exports: the selected numbers as CSV, any chart as SVG, and the import drawer's toggle.

The CSV holds exactly what the page shows (series, classes, hierarchy level and drill-down, step range) as a long
table. It is streamed by its own route (``confusionflow.app.counts_export``) from the view's query string: the
button makes the browser open that address, so the file never travels inside a callback response.
SVG export runs in the browser (Plotly draws it from the chart on screen), through a clientside
callback in ``assets/confusionflow.js``.
"""

from __future__ import annotations

import json
import re

import dash
from dash import ALL, ClientsideFunction, Input, Output, State

from confusionflow.app.callbacks.common import Selection
from confusionflow.app.config import Settings
from confusionflow.components import ids
from confusionflow.data_access.store import LogStore

EXPORT_PATH = "_export/counts.csv"  # served by confusionflow.app.counts_export under the app's prefix

# the browser saves <prefix>_export/counts.csv?<view query> (the server streams it)
OPEN_EXPORT = """
function(n_clicks, query) {
    if (!n_clicks) { return window.dash_clientside.no_update; }
    const link = document.createElement("a");
    link.href = %s + (query || "");
    link.download = "";
    document.body.appendChild(link);
    link.click();
    link.remove();
    return window.dash_clientside.no_update;
}
"""


def csv_filename(selection: Selection, level_name: str | None = None, group: str | None = None) -> str:
    """``confusionflow-<runs>.csv`` with only filename-safe characters; for counts aggregated to a
    hierarchy level (``level_name``, e.g. "superclasses", and the drilled ``group``), the file says
    so: ``confusionflow-<runs>-superclasses.csv``, ``…-superclasses-vehicle-drilled.csv`` (the
    table's columns stay the importer's, so the name is where an aggregated export shows it)."""

    def safe(text: str, fallback: str) -> str:
        return re.sub(r"[^A-Za-z0-9._-]+", "_", text)[:80].strip("_") or fallback

    runs = "-".join(dict.fromkeys(k.split("/", 1)[0] for k in selection.series)) or "empty"
    name = safe(runs, "series")
    if level_name:
        name += "-" + safe(level_name, "groups")
        if group:
            name += "-" + safe(group, "group") + "-drilled"
    return f"confusionflow-{name}.csv"


def register(app: dash.Dash, store: LogStore, settings: Settings | None = None) -> None:
    href = json.dumps(app.config.requests_pathname_prefix + EXPORT_PATH)
    app.clientside_callback(
        OPEN_EXPORT % href,
        Output(ids.DOWNLOAD, "data"),
        Input(ids.DOWNLOAD_BUTTON, "n_clicks"),
        State(ids.URL_QUERY, "data"),
        prevent_initial_call=True,
    )

    app.clientside_callback(
        ClientsideFunction(namespace="confusionflow", function_name="exportSvg"),
        Output(ids.SVG_DONE, "data"),
        Input({"type": ids.SVG_BUTTON, "graph": ALL, "format": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )

    app.clientside_callback(
        ClientsideFunction(namespace="confusionflow", function_name="toggleHidden"),
        Output(ids.IMPORT_DRAWER, "hidden"),
        Input(ids.IMPORT_TOGGLE, "n_clicks"),
        State(ids.IMPORT_DRAWER, "hidden"),
        prevent_initial_call=True,
    )
