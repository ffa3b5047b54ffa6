"""The many-class part of the matrix panel: the overview graph, its value and order controls, and
the class-selection strategies (one click, an editable k).

Pure layout: the callbacks in ``app/callbacks/overview.py`` fill the figure, show the panel only
above ``confusionflow.app.callbacks.common.OVERVIEW_MIN_CLASSES`` classes and turn a box drag, a cell click or a
strategy click into the class selection.

On a many-class page the matrix panel shows one of two views at a time, so either fits the screen
beside the detail view and the timeline: the overview, or the sub-matrix of the selected classes
(the ConfusionFlow small multiples). :func:`view_switch` is the two-way switch above them; which one
is shown is the class :func:`views_class` gives the wrapper (``assets/confusionflow.js``
``matrixViews`` writes the same class in the browser; ``assets/confusionflow.css`` hides the other
view). A selection made on the overview switches to the sub-matrix.
"""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from confusionflow.components import ids
from confusionflow.components.panel_parts import attrs
from confusionflow.data_access.ordering import CLASS_ORDERS
from confusionflow.data_access.strategies import STRATEGIES

OVERVIEW_HEIGHT = 380  # px: the overview is square-ish beside its controls, never taller
OVERVIEW_KINDS: dict[str, str] = {
    "step": "at the epoch",
    "change": "change over the range",
    "difference": "difference between two series",
}
ORDER_LABELS: dict[str, str] = {
    "logged": "as logged",
    "group": "by hierarchy group",
    "confusion": "by confusion",
}
STRATEGY_LABELS: dict[str, str] = {
    "lowest-f1": "lowest F1",
    "lowest-recall": "lowest recall",
    "lowest-precision": "lowest precision",
    "largest-cells": "largest off-diagonal cells",
    "most-changed": "most changed over the range",
    "most-different": "most different between two series",
}
DEFAULT_K = 10
OVERVIEW_DEFAULT_MAX_K = 40  # the input's bound until the callback sets it from the classes shown
GRAPH_CONFIG: Any = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d"], "scrollZoom": False}


PANEL_SHOWN = {"display": "flex", "gap": "12px", "alignItems": "flex-start"}
PANEL_HIDDEN = {"display": "none"}
ROW = {"display": "flex", "alignItems": "center", "gap": "6px", "flexWrap": "wrap", "margin": "2px 0"}


def _control(label: str, control: Any, for_id: str) -> html.Div:
    return html.Div([html.Label(label, htmlFor=for_id, className="cf-label"), control], style=ROW)


def strategy_controls() -> html.Div:
    """Strategy picker, k and the button; the message line under them says what was picked."""
    return html.Div(
        className="cf-strategy",
        children=[
            _control(
                "Select classes",
                dcc.Dropdown(
                    id=ids.STRATEGY,
                    options=[{"label": STRATEGY_LABELS[k], "value": k} for k in STRATEGIES],
                    value="lowest-f1",
                    clearable=False,
                    searchable=False,
                    style={"width": "230px"},
                ),
                ids.STRATEGY,
            ),
            _control(
                "k",
                dcc.Input(
                    id=ids.STRATEGY_K,
                    type="number",
                    min=1,
                    max=OVERVIEW_DEFAULT_MAX_K,
                    step=1,
                    value=DEFAULT_K,
                    style={"width": "70px"},
                ),
                ids.STRATEGY_K,
            ),
            html.Button("Select", id=ids.STRATEGY_APPLY, className="cf-btn", n_clicks=0),
        ],
        style={**ROW, "marginTop": "6px"},
    )


MATRIX_VIEWS = ("overview", "classes")  # the values of ids.MATRIX_VIEW
VIEW_LABELS = {"overview": "Overview", "classes": "Selected classes"}


def views_class(many: bool, view: object) -> str:
    """The class of the ``ids.MATRIX_VIEWS`` wrapper: without the overview (``many`` False: 40 classes
    or fewer) only ``cf-matrix-views``, so the panel is as it always was; with it, which of the two
    views is shown (an unknown view reads as the overview). ``matrixViews`` in confusionflow.js
    writes the same."""
    if not many:
        return "cf-matrix-views"
    shown = view if view in MATRIX_VIEWS else "overview"
    return f"cf-matrix-views cf-many cf-show-{shown}"


def view_switch() -> html.Div:
    """The two-way switch between the overview and the sub-matrix, for the matrix panel's header
    (toggle buttons: Tab reaches them, Enter or Space presses one; ``aria-pressed`` says which view
    is shown). Hidden on small pages (CSS)."""
    buttons = [
        html.Button(
            [VIEW_LABELS[view], html.Span(id=ids.VIEW_CLASSES_COUNT, className="cf-view-count")]
            if view == "classes"
            else VIEW_LABELS[view],
            id=button,
            className="cf-view-btn",
            n_clicks=0,
            type="button",
            **attrs({"aria-pressed": "true" if view == "overview" else "false", "aria-controls": target}),
        )
        for view, button, target in (
            ("overview", ids.VIEW_OVERVIEW, ids.OVERVIEW_PANEL),
            ("classes", ids.VIEW_CLASSES, ids.MATRIX_GRAPH),
        )
    ]
    return html.Div(
        buttons,
        id=ids.VIEW_SWITCH,
        className="cf-view-switch",
        role="group",
        **attrs({"aria-label": "Matrix view"}),
    )


def selection_message() -> html.Div:
    """What the last selection on the overview chose (or why it chose nothing), above both views."""
    return html.Div(id=ids.STRATEGY_MESSAGE, className="cf-message cf-selection-message", role="status")


EMPTY_FIGURE: Any = {"data": [], "layout": {"xaxis": {"visible": False}, "yaxis": {"visible": False}}}


def overview_graph(figure: Any = None) -> dcc.Graph:
    """The overview graph (box-selectable; ``figure``: what it draws, else nothing)."""
    return dcc.Graph(
        id=ids.OVERVIEW_GRAPH,
        config=GRAPH_CONFIG,
        clear_on_unhover=True,
        style={"height": f"{OVERVIEW_HEIGHT}px"},
        figure=EMPTY_FIGURE if figure is None else figure,
    )


def overview_graph_stand_in() -> html.Div:
    """What the ``ids.OVERVIEW_GRAPH_SLOT`` holds on a page whose first view shows 40 classes or
    fewer: an empty element with the graph's id, so the overview's callbacks find every id they
    name (a callback whose output is missing fails in the browser), but no graph to mount and draw
    (Plotly draws a hidden graph all the same, in the first view's last long task). When a
    many-class series is shown later, the overview callback puts a real :func:`overview_graph`
    in its place."""
    return html.Div(id=ids.OVERVIEW_GRAPH, hidden=True)


def overview_panel() -> html.Div:
    """Hidden until the shown series have more classes than the overview threshold."""
    return html.Div(
        id=ids.OVERVIEW_PANEL,
        className="cf-overview",
        style=PANEL_HIDDEN,
        children=[
            html.Div(
                className="cf-overview-controls",
                style={"flex": "0 0 300px", "fontSize": "0.85em"},
                children=[
                    _control(
                        "Overview values",
                        dcc.RadioItems(
                            id=ids.OVERVIEW_KIND,
                            options=[{"label": v, "value": k} for k, v in OVERVIEW_KINDS.items()],
                            value="step",
                        ),
                        ids.OVERVIEW_KIND,
                    ),
                    _control(
                        "minus series",
                        dcc.Dropdown(
                            id=ids.OVERVIEW_OTHER,
                            options=[],
                            value=None,
                            clearable=False,
                            style={"width": "200px"},
                        ),
                        ids.OVERVIEW_OTHER,
                    ),
                    _control(
                        "Class order",
                        dcc.RadioItems(
                            id=ids.OVERVIEW_ORDER,
                            options=[{"label": ORDER_LABELS[k], "value": k} for k in CLASS_ORDERS],
                            value="logged",
                            className="cf-segmented",
                        ),
                        ids.OVERVIEW_ORDER,
                    ),
                    strategy_controls(),
                    html.Div(id=ids.OVERVIEW_CAPTION, className="cf-caption"),
                ],
            ),
            # a positioned box: the picture's tooltip is placed by the hovered cell's box inside it
            html.Div(
                style={"position": "relative", "flex": "1 1 auto", "minWidth": "0"},
                children=[
                    html.Div(overview_graph(), id=ids.OVERVIEW_GRAPH_SLOT),
                    dcc.Store(id=ids.OVERVIEW_HOVER, storage_type="memory"),
                    dcc.Tooltip(id=ids.OVERVIEW_TOOLTIP, direction="right", loading_text="…"),
                ],
            ),
        ],
    )
