"""The timeline panel (view D): range and epoch controls, the chart and the range slider."""

from __future__ import annotations

from dash import dcc, html

from confusionflow.components import ids
from confusionflow.components.panel_parts import attrs, graph, panel, svg_button


def timeline_panel() -> html.Section:
    return panel(
        "Timeline",
        [
            html.Div(
                className="cf-timeline-controls",
                children=[
                    html.Span(id=ids.RANGE_LABEL, className="cf-range-label"),
                    html.Button("Full range", id=ids.FULL_RANGE, className="cf-btn cf-btn-small", n_clicks=0),
                    html.Span("Selected step", className="cf-label cf-gap"),
                    html.Button(
                        "◀",
                        id=ids.EPOCH_PREV,
                        className="cf-btn cf-btn-small",
                        n_clicks=0,
                        title="previous step",
                    ),
                    html.Span(id=ids.EPOCH_LABEL, className="cf-epoch-label"),
                    html.Button(
                        "▶", id=ids.EPOCH_NEXT, className="cf-btn cf-btn-small", n_clicks=0, title="next step"
                    ),
                    html.Button("Clear", id=ids.EPOCH_CLEAR, className="cf-btn cf-btn-small", n_clicks=0),
                    html.Span(
                        "Drag on the chart to zoom every view to a range of steps; click a step to mark it "
                        "(then ← → move it).",
                        className="cf-hint",
                    ),
                ],
            ),
            graph(ids.TIMELINE_GRAPH, "170px", loading=False),
            html.Div(
                dcc.RangeSlider(
                    id=ids.RANGE_SLIDER,
                    min=0,
                    max=1,
                    step=1,
                    value=[0, 1],
                    marks={},
                    allowCross=False,
                    allow_direct_input=False,
                    updatemode="mouseup",
                ),
                className="cf-range-slider",
            ),
        ],
        class_name="cf-timeline",
        extra_header=[svg_button(ids.TIMELINE_GRAPH)],
        # focusable, so ← / → step the epoch and Esc clears it (assets/confusionflow.js)
        tabIndex="0",
        **attrs({"aria-label": "Timeline: ← and → move the selected step, Esc clears it"}),
    )
