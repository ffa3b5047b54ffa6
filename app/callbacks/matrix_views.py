"""The many-class matrix panel's two views, switched in the browser.

Above :data:`~confusionflow.app.callbacks.common.OVERVIEW_MIN_CLASSES` classes the matrix panel
shows the overview or the sub-matrix of the selected classes, one at a time, so the one shown fits
the screen beside the detail view and the timeline (``components/overview_panel.py``). Both
callbacks here run in the browser (``assets/confusionflow.js``) and send no request: the switch's
buttons set ``ids.MATRIX_VIEW``, and the view, the overview panel's style (the server shows it only
for many classes) and the selection give the wrapper's class, the buttons' ``aria-pressed`` and the
sub-matrix button's class count. A selection made on the overview sets the view to the sub-matrix
in the same answer that sets the classes (``app/callbacks/overview.py``).

The view is not written into the URL as its own key: a link's classes are in it (``c=``), and a
link that names classes, a hierarchy level or a group opens on their sub-matrix — what its sender
was looking at — while any other opens on the overview (``app/first_figures.py`` ``opening_view``).
"""

from __future__ import annotations

import dash
from dash import ClientsideFunction, Input, Output

from confusionflow.components import ids
from confusionflow.data_access.store import LogStore


def register(app: dash.Dash, store: LogStore) -> None:  # noqa: ARG001 - the registry's signature
    app.clientside_callback(
        ClientsideFunction(namespace="confusionflow", function_name="chooseView"),
        Output(ids.MATRIX_VIEW, "data", allow_duplicate=True),
        Input(ids.VIEW_OVERVIEW, "n_clicks"),
        Input(ids.VIEW_CLASSES, "n_clicks"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        ClientsideFunction(namespace="confusionflow", function_name="matrixViews"),
        Output(ids.MATRIX_VIEWS, "className"),
        Output(ids.VIEW_OVERVIEW, "aria-pressed"),
        Output(ids.VIEW_CLASSES, "aria-pressed"),
        Output(ids.VIEW_CLASSES_COUNT, "children"),
        Input(ids.MATRIX_VIEW, "data"),
        Input(ids.OVERVIEW_PANEL, "style"),
        Input(ids.SELECTION, "data"),
    )
