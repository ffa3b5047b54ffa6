"""Live updates: pick up new steps (and new series) while a model trains.

Every ``poll_seconds`` the page asks for the log folder's fingerprint (cheap: file sizes and
times). Unchanged, nothing else runs. Changed, ``DATA_VERSION`` is bumped, which re-reads the
selection (new steps extend the timeline) and refreshes the series options and the problem list.
"""

from __future__ import annotations

import dash
from dash import Input, Output, State

from confusionflow.app.callbacks.inputs import outputs_of, text
from confusionflow.components import ids
from confusionflow.components.layout import problems_alert, series_options
from confusionflow.data_access.store import LogStore

POLL_OUTPUTS = {
    "fingerprint": Output(ids.FINGERPRINT, "data"),
    "version": Output(ids.DATA_VERSION, "data"),
    "options": Output(ids.SERIES_DROPDOWN, "options"),
    "problems": Output(ids.PROBLEMS, "children"),
}


def register(app: dash.Dash, store: LogStore) -> None:
    @app.callback(
        output=POLL_OUTPUTS,
        inputs={"n": Input(ids.POLL, "n_intervals"), "import_result": Input(ids.IMPORT_RESULT, "data")},
        state={"last": State(ids.FINGERPRINT, "data"), "version": State(ids.DATA_VERSION, "data")},
        prevent_initial_call=True,
    )
    def on_poll(n, import_result, last, version):
        fingerprint = store.fingerprint()
        if fingerprint == text(last, 256):
            raise dash.exceptions.PreventUpdate
        count = (
            version
            if isinstance(version, int) and not isinstance(version, bool) and 0 <= version < 2**52
            else 0
        )
        values = {
            "fingerprint": fingerprint,
            "version": count + 1,
            "options": series_options(store.list_series()),
            "problems": problems_alert(store.problems()),
        }
        return outputs_of(values, POLL_OUTPUTS)
