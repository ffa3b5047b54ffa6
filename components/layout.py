"""The page: header, series picker (E), matrix with its toolbar (A), detail (C), class charts (B)
and timeline (D).

Pure layout: values that depend on the logs (the series options, the load problems) are passed in,
and every control starts empty or at its default; the URL callback fills them in when the page
opens, so the layout never depends on who asks for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dash import dcc, html

from components import ids
from components.import_panel import import_panel
from components.instances_panel import instances_panel
from components.metadata_text import metadata_lines, metadata_tooltip
from components.options import ABSOLUTE, GAMMA_DEFAULT, GAMMA_MAX, GAMMA_MIN, NORMALIZATION_LABELS
from data_access.errors import LoadProblem
from data_access.tensor import SeriesInfo

# Shown while a view takes longer than this to update; shorter updates do not flash a spinner.
LOADING_DELAY_MS = 400

# Plotly's modebar: PNG at twice the screen resolution, no logo, no tools that do not fit a
# linked dashboard (lasso/select on the matrix, autoscale that would fight the timeline range).
# Dash types ``config`` as a TypedDict and hyphenated attributes (aria-*) reach it only as **
# keywords; both are handed over as plain dicts typed Any.
GRAPH_CONFIG: dict[str, Any] = {
    "displaylogo": False,
    "toImageButtonOptions": {"format": "png", "scale": 2},
    "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"],
}


def _attrs(values: dict[str, str]) -> dict[str, Any]:
    """Hyphenated HTML attributes (``aria-*``), to pass to a Dash component as ``**`` keywords."""
    return dict(values)


def series_option(info: SeriesInfo) -> dict:
    """A picker option: label "run / fold", the run's metadata as its hover title."""
    meta = metadata_lines(info.metadata)
    title = metadata_tooltip(info.label, len(info.classes), info.metadata)
    return {"label": info.label, "value": info.key, "title": title, "search": " ".join([info.key, *meta])}


def series_options(infos: Sequence[SeriesInfo]) -> list[dict]:
    return [series_option(i) for i in infos]


def _problem_item(problem: LoadProblem) -> html.Li:
    """The file in code font, then what is wrong (messages usually start with the file: not twice)."""
    message = problem.message
    if message.startswith(problem.source):
        message = message[len(problem.source) :].lstrip(" :")
    return html.Li([html.Code(problem.source), html.Span(": " + message)], className="cf-problem")


def problems_alert(problems: Sequence[LoadProblem]) -> list:
    """Children of the "logs that failed to load" alert (empty when every log loaded)."""
    if not problems:
        return []
    n = len(problems)
    return [
        html.Details(
            className="cf-alert cf-alert-warning",
            children=[
                html.Summary(f"{n} log{'s' if n != 1 else ''} could not be loaded (click for details)"),
                html.Ul([_problem_item(p) for p in problems]),
            ],
        )
    ]


def _panel(
    title: str, body: list, *, class_name: str = "", extra_header: list | None = None, **props
) -> html.Section:
    return html.Section(
        **props,
        className=f"cf-panel {class_name}".strip(),
        children=[html.Div([html.H2(title), *(extra_header or [])], className="cf-panel-header"), *body],
    )


def _svg_button(graph_id: str) -> html.Button:
    return html.Button(
        "SVG",
        id={"type": ids.SVG_BUTTON, "graph": graph_id},
        className="cf-btn cf-btn-small",
        title="Download this chart as SVG (the camera icon in the chart's toolbar gives PNG)",
        n_clicks=0,
    )


def _graph(graph_id: str, min_height: str, *, loading: bool = True) -> dcc.Loading | dcc.Graph:
    """A chart whose figure sets its own height (``min_height`` holds the place while it loads)."""
    config: Any = {
        **GRAPH_CONFIG,
        "toImageButtonOptions": {"format": "png", "scale": 2, "filename": graph_id},
    }
    graph = dcc.Graph(
        id=graph_id,
        config=config,
        style={"minHeight": min_height},
        figure={"data": [], "layout": {"xaxis": {"visible": False}, "yaxis": {"visible": False}}},
    )
    if not loading:
        return graph
    return dcc.Loading(graph, delay_show=LOADING_DELAY_MS, type="default", parent_className="cf-loading")


def header(*, live: bool) -> html.Header:
    return html.Header(
        className="cf-header",
        children=[
            html.Div(
                [
                    html.H1("ConfusionFlow"),
                    html.Span("class confusion over training, across runs", className="cf-subtitle"),
                ],
                className="cf-brand",
            ),
            html.Div(
                className="cf-header-actions",
                children=[
                    html.Span(
                        "live" if live else "",
                        id=ids.LIVE_BADGE,
                        className="cf-live" if live else "",
                        title="New steps written to the logs appear while the model trains",
                    ),
                    html.Button(
                        "Download CSV",
                        id=ids.DOWNLOAD_BUTTON,
                        className="cf-btn",
                        n_clicks=0,
                        title="The selected series, classes and steps as a long table: "
                        "run, fold, step, true, pred, count",
                    ),
                    html.Button("Import…", id=ids.IMPORT_TOGGLE, className="cf-btn", n_clicks=0),
                    dcc.Download(id=ids.DOWNLOAD),
                ],
            ),
        ],
    )


def series_picker(options: list[dict]) -> html.Section:
    return html.Section(
        className="cf-series",
        children=[
            html.Label("Series", htmlFor=ids.SERIES_DROPDOWN, className="cf-label"),
            dcc.Dropdown(
                id=ids.SERIES_DROPDOWN,
                options=options,
                value=[],
                multi=True,
                searchable=True,
                closeOnSelect=False,
                placeholder="Search runs and folds…",
                className="cf-series-dropdown",
                maxHeight=320,
            ),
            html.Div(
                id=ids.SERIES_CHIPS,
                className="cf-chips",
                role="list",
                **_attrs({"aria-label": "chosen series"}),
            ),
            html.Div(
                id=ids.SERIES_MESSAGE, className="cf-message", role="status", style={"whiteSpace": "pre-line"}
            ),
        ],
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
                            dcc.Checklist(
                                id=ids.ROTATE,
                                options=[{"label": "rotate 90°", "value": "rotate"}],
                                value=[],
                                inline=True,
                                className="cf-check",
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
                                    {"label": "superclasses", "value": "super", "disabled": True},
                                ],
                                value=[],
                                inline=True,
                                className="cf-check",
                            ),
                        ],
                        className="cf-control cf-control-wide",
                    ),
                ],
            ),
            html.Div(id=ids.CLASS_MESSAGE, className="cf-message", role="status"),
        ],
    )


def timeline_panel() -> html.Section:
    return _panel(
        "Timeline",
        [
            html.Div(
                className="cf-timeline-controls",
                children=[
                    html.Span(id=ids.RANGE_LABEL, className="cf-range-label"),
                    html.Button("Full range", id=ids.FULL_RANGE, className="cf-btn cf-btn-small", n_clicks=0),
                    html.Span("Epoch", className="cf-label cf-gap"),
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
                    html.Button(
                        "Clear epoch", id=ids.EPOCH_CLEAR, className="cf-btn cf-btn-small", n_clicks=0
                    ),
                    html.Span(
                        "Drag on the chart to zoom every view to a range of steps; click a step to mark it "
                        "(then ← → move it).",
                        className="cf-hint",
                    ),
                ],
            ),
            _graph(ids.TIMELINE_GRAPH, "170px", loading=False),
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
        extra_header=[_svg_button(ids.TIMELINE_GRAPH)],
        # focusable, so ← / → step the epoch and Esc clears it (assets/confusionflow.js)
        tabIndex="0",
        **_attrs({"aria-label": "Timeline: ← and → move the selected epoch, Esc clears it"}),
    )


def stores(fingerprint: str | None) -> list:
    return [
        dcc.Location(id=ids.URL, refresh=False),
        dcc.Store(id=ids.URL_STATE, storage_type="memory"),
        dcc.Store(id=ids.URL_QUERY, storage_type="memory"),
        dcc.Store(id=ids.URL_WRITTEN, storage_type="memory"),
        dcc.Store(id=ids.SERIES_KEYS, storage_type="memory", data=[]),
        dcc.Store(id=ids.SLOTS, storage_type="memory", data={}),
        dcc.Store(id=ids.SELECTION, storage_type="memory"),
        dcc.Store(id=ids.MATRIX_META, storage_type="memory"),
        dcc.Store(id=ids.CLASS_PERF_META, storage_type="memory"),
        dcc.Store(id=ids.MATRIX_CLICK, storage_type="memory"),
        dcc.Store(id=ids.CLASS_PERF_CLICK, storage_type="memory"),
        dcc.Store(id=ids.DETAIL_TARGET, storage_type="memory"),
        dcc.Store(id=ids.RANGE_STORE, storage_type="memory"),
        dcc.Store(id=ids.EPOCH_STORE, storage_type="memory"),
        dcc.Store(id=ids.FINGERPRINT, storage_type="memory", data=fingerprint),
        dcc.Store(id=ids.DATA_VERSION, storage_type="memory", data=0),
        dcc.Store(id=ids.SVG_DONE, storage_type="memory"),
    ]


def build_layout(
    infos: Sequence[SeriesInfo],
    problems: Sequence[LoadProblem],
    *,
    poll_seconds: float,
    fingerprint: str | None,
    allow_upload: bool,
) -> html.Div:
    """The whole page for the series ``infos`` found in the log folder.

    ``allow_upload``: whether the import panel's controls are enabled (the server's setting).
    """
    live = poll_seconds > 0
    return html.Div(
        className="cf-page",
        children=[
            *stores(fingerprint),
            dcc.Interval(id=ids.POLL, interval=int(max(poll_seconds, 0.5) * 1000), disabled=not live),
            header(live=live),
            html.Div(problems_alert(problems), id=ids.PROBLEMS),
            html.Div(
                import_panel(allow_upload=allow_upload),
                id=ids.IMPORT_DRAWER,
                className="cf-drawer",
                hidden=True,
            ),
            series_picker(series_options(infos)),
            html.Main(
                className="cf-main",
                children=[
                    html.Div(
                        className="cf-left",
                        children=[
                            _panel(
                                "Confusion matrix",
                                [
                                    matrix_toolbar(),
                                    html.Div(id=ids.MATRIX_CAPTION, className="cf-caption"),
                                    _graph(ids.MATRIX_GRAPH, "680px"),
                                ],
                                class_name="cf-matrix-panel",
                                extra_header=[_svg_button(ids.MATRIX_GRAPH)],
                            ),
                            # L3: the instances in the clicked cell, and what changed since the last step
                            instances_panel(),
                        ],
                    ),
                    html.Div(
                        className="cf-side",
                        children=[
                            _panel(
                                "Detail",
                                [
                                    html.Div(
                                        [
                                            # the chart carries the title (so exports have it); this copy is
                                            # announced to screen readers when the target changes
                                            html.Div(
                                                id=ids.DETAIL_TITLE,
                                                className="cf-sr-only",
                                                **_attrs({"aria-live": "polite"}),
                                            ),
                                            html.Span(
                                                "Click a matrix tile or a class chart to show it here.",
                                                className="cf-hint",
                                            ),
                                            html.Button(
                                                "Show accuracy",
                                                id=ids.DETAIL_RESET,
                                                className="cf-btn cf-btn-small",
                                                n_clicks=0,
                                            ),
                                        ],
                                        className="cf-detail-header",
                                    ),
                                    _graph(ids.DETAIL_GRAPH, "260px"),
                                ],
                                class_name="cf-detail",
                                extra_header=[_svg_button(ids.DETAIL_GRAPH)],
                            ),
                            _panel(
                                "Class performance",
                                [
                                    html.Div(
                                        "Precision, recall and F1 per class; click a chart to see it in detail.",
                                        className="cf-hint",
                                    ),
                                    _graph(ids.CLASS_PERF_GRAPH, "330px"),
                                ],
                                class_name="cf-class-perf",
                                extra_header=[_svg_button(ids.CLASS_PERF_GRAPH)],
                            ),
                            _panel(
                                "Instances per class",
                                [_graph(ids.DISTRIBUTION_GRAPH, "200px")],
                                class_name="cf-distribution",
                                extra_header=[_svg_button(ids.DISTRIBUTION_GRAPH)],
                            ),
                        ],
                    ),
                ],
            ),
            timeline_panel(),
            html.Footer(
                [
                    "ConfusionFlow after Hinterreiter et al., ",
                    html.I(
                        "ConfusionFlow: A model-agnostic visualization for temporal analysis of "
                        "classifier confusion"
                    ),
                    ", IEEE TVCG. ",
                    html.Span(f"{len(infos)} series in the log folder.", className="cf-hint"),
                ],
                className="cf-footer",
            ),
        ],
    )
