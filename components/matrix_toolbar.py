"""The matrix toolbar: encoding, scale, contrast, values (normalisation), the class selection and
the hierarchy level / drill-down (docs/hierarchy.md)."""

from __future__ import annotations

from dash import dcc, html

from confusionflow.components import ids
from confusionflow.components.options import (
    ABSOLUTE,
    GAMMA_DEFAULT,
    GAMMA_MAX,
    GAMMA_MIN,
    NORMALIZATION_LABELS,
)


def _radio(component_id: str, options: list[dict], value: str) -> dcc.RadioItems:
    return dcc.RadioItems(
        id=component_id,
        options=options,
        value=value,
        inline=True,
        className="cf-segmented",
    )


def matrix_toolbar() -> html.Div:
    norm_options = [{"label": "absolute", "value": ABSOLUTE}] + [
        {"label": label, "value": key} for key, label in NORMALIZATION_LABELS.items() if key is not None
    ]
    return html.Div(
        className="cf-toolbar",
        children=[
            html.Div(
                className="cf-toolbar-row",
                children=[
                    html.Div(
                        [
                            html.Span("Encoding", className="cf-label"),
                            _radio(
                                ids.ENCODING,
                                [
                                    {"label": "heatmap", "value": "heatmap"},
                                    {"label": "lines", "value": "lines"},
                                ],
                                "heatmap",
                            ),
                            # one label in both encodings (disabled in line mode, the title
                            # says why): a longer label wrapped the row and moved the matrix down
                            html.Span(
                                dcc.Checklist(
                                    id=ids.ROTATE,
                                    options=[{"label": "rotate 90°", "value": "rotate"}],
                                    value=[],
                                    inline=True,
                                    className="cf-check",
                                ),
                                title="Turns the heatmap strips vertical (heatmap encoding only)",
                            ),
                        ],
                        className="cf-control",
                    ),
                    html.Div(
                        [
                            html.Span("Scale", className="cf-label"),
                            _radio(
                                ids.SCALE,
                                [{"label": "linear", "value": "linear"}, {"label": "log", "value": "log"}],
                                "linear",
                            ),
                        ],
                        className="cf-control",
                    ),
                    html.Div(
                        [
                            html.Span(
                                "Contrast γ",
                                className="cf-label",
                                title="Values are drawn as value^γ: below 1 brings out small confusions",
                            ),
                            html.Div(
                                dcc.Slider(
                                    id=ids.GAMMA,
                                    min=GAMMA_MIN,
                                    max=GAMMA_MAX,
                                    step=0.05,
                                    value=GAMMA_DEFAULT,
                                    marks={0.1: "0.1", 0.5: "0.5", 1: "1", 1.5: "1.5", 2: "2"},
                                    allow_direct_input=False,
                                    updatemode="mouseup",
                                    tooltip={"placement": "bottom", "always_visible": False},
                                ),
                                className="cf-gamma",
                            ),
                        ],
                        className="cf-control",
                    ),
                ],
            ),
            html.Div(
                className="cf-toolbar-row",
                children=[
                    html.Div(
                        [
                            html.Span("Values", className="cf-label"),
                            _radio(ids.NORMALIZATION, norm_options, ABSOLUTE),
                        ],
                        className="cf-control",
                    ),
                ],
            ),
            html.Div(id=ids.NORMALIZATION_NOTE, className="cf-note"),
            html.Div(
                className="cf-toolbar-row",
                children=[
                    html.Div(
                        [
                            html.Label("Classes", htmlFor=ids.CLASS_DROPDOWN, className="cf-label"),
                            dcc.Dropdown(
                                id=ids.CLASS_DROPDOWN,
                                options=[],
                                value=[],
                                multi=True,
                                searchable=True,
                                closeOnSelect=False,
                                placeholder="All classes",
                                className="cf-class-dropdown",
                                maxHeight=320,
                            ),
                            dcc.Checklist(
                                id=ids.CLASS_OPTIONS,
                                options=[
                                    {"label": "merge the rest into “(other)”", "value": "other"},
                                ],
                                value=[],
                                inline=True,
                                className="cf-check",
                            ),
                        ],
                        className="cf-control cf-control-classes",
                    ),
                    html.Div(
                        [
                            html.Label("Level", htmlFor=ids.LEVEL, className="cf-label"),
                            dcc.Dropdown(
                                id=ids.LEVEL,
                                options=[{"label": "classes", "value": 0}],
                                value=0,
                                clearable=False,
                                searchable=False,
                                className="cf-level-dropdown",
                            ),
                        ],
                        className="cf-control",
                        title="Sum classes into the groups of a level of the class hierarchy: a confusion "
                        "inside one group then counts as correct",
                    ),
                    html.Div(
                        [
                            html.Label("Drill", htmlFor=ids.DRILL, className="cf-label"),
                            dcc.Dropdown(
                                id=ids.DRILL,
                                options=[],
                                value=None,
                                clearable=True,
                                searchable=True,
                                disabled=True,
                                placeholder="no group",
                                className="cf-drill-dropdown",
                            ),
                        ],
                        className="cf-control",
                        title="Show one group's members as classes, every other class aggregated at the level",
                    ),
                ],
            ),
            html.Div(id=ids.CLASS_MESSAGE, className="cf-message", role="status"),
        ],
    )
