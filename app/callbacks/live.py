"""Live updates: pick up new steps (and new series) while a model trains.

Every ``poll_seconds`` the page asks for the log folder's fingerprint (cheap: file sizes and
times). Unchanged, nothing else runs. Changed, ``DATA_VERSION`` is bumped, which re-reads the
selection (new steps extend the timeline) and refreshes the series options and the problem list.
"""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, State

from components import ids
from components.layout import problems_alert, series_options


def register(app: dash.Dash, store: Any) -> None:
    @app.callback(
        Output(ids.FINGERPRINT, "data"),
        Output(ids.DATA_VERSION, "data"),
        Output(ids.SERIES_DROPDOWN, "options"),
        Output(ids.PROBLEMS, "children"),
        Input(ids.POLL, "n_intervals"),
        Input(ids.IMPORT_RESULT, "data"),
        State(ids.FINGERPRINT, "data"),
        State(ids.DATA_VERSION, "data"),
        prevent_initial_call=True,
    )
    def on_poll(_n, _import_result, last_fingerprint, version):
        fingerprint = store.fingerprint()
        if fingerprint == last_fingerprint:
            raise dash.exceptions.PreventUpdate
        return (
            fingerprint,
            int(version or 0) + 1,
            series_options(store.list_series()),
            problems_alert(store.problems()),
        )
