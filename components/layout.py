"""The page: header, series picker (E), matrix with its toolbar (A), detail (C), class charts (B)
and timeline (D).

Pure layout: values that depend on the logs (the series options, the load problems) are passed in,
and every control starts empty or at its default; the URL callback fills them in when the page
opens, so the layout never depends on who asks for it.
"""

from __future__ import annotations

from collections.abc import Sequence

from dash import dcc, html

from confusionflow.components import ids
from confusionflow.components.charts.class_performance import PANEL_MAX_PX, PANEL_ROWS
from confusionflow.components.charts.detail import HEIGHT as DETAIL_HEIGHT
from confusionflow.components.charts.detail import TITLE_LINE_PX
from confusionflow.components.import_panel import import_panel
from confusionflow.components.instances_panel import instances_panel
from confusionflow.components.matrix_toolbar import matrix_toolbar
from confusionflow.components.metadata_text import metadata_lines, metadata_tooltip
from confusionflow.components.overview_panel import (
    overview_panel,
    selection_message,
    view_switch,
    views_class,
)
from confusionflow.components.panel_parts import attrs, graph, panel, svg_button
from confusionflow.components.timeline_panel import timeline_panel
from confusionflow.data_access.errors import LoadProblem
from confusionflow.data_access.tensor import SeriesInfo


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
    n = sum(1 for p in problems if p.kind != "hierarchy")
    h = len(problems) - n
    parts = [f"{n} log{'s' if n != 1 else ''} could not be loaded"] if n else []
    if h:  # a hierarchy file that does not fit a run: the run is shown without it
        parts.append(f"{h} class hierarch{'ies' if h != 1 else 'y'} could not be used")
    return [
        html.Details(
            className="cf-alert cf-alert-warning",
            children=[
                html.Summary(" · ".join(parts) + " (click for details)"),
                html.Ul([_problem_item(p) for p in problems]),
            ],
        )
    ]


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
            # the dropdown's script loads after the page: its slot holds the place (see the CSS)
            html.Div(
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
                className="cf-dropdown-slot",
            ),
            html.Div(
                id=ids.SERIES_CHIPS,
                className="cf-chips",
                role="list",
                **attrs({"aria-label": "chosen series"}),
            ),
            html.Div(
                id=ids.SERIES_MESSAGE, className="cf-message", role="status", style={"whiteSpace": "pre-line"}
            ),
        ],
    )


def stores(fingerprint: str | None) -> list:
    return [
        dcc.Location(id=ids.URL, refresh=False),
        dcc.Store(id=ids.URL_STATE, storage_type="memory"),
        dcc.Store(id=ids.URL_QUERY, storage_type="memory"),
        dcc.Store(id=ids.URL_WRITTEN, storage_type="memory"),
        dcc.Store(id=ids.URL_ADDRESS, storage_type="memory"),
        dcc.Store(id=ids.SERIES_KEYS, storage_type="memory", data=[]),
        dcc.Store(id=ids.SLOTS, storage_type="memory", data={}),
        dcc.Store(id=ids.SELECTION, storage_type="memory"),
        dcc.Store(id=ids.MATRIX_META, storage_type="memory"),
        dcc.Store(id=ids.CLASS_PERF_META, storage_type="memory"),
        dcc.Store(id=ids.DISTRIBUTION_META, storage_type="memory"),
        dcc.Store(id=ids.DETAIL_META, storage_type="memory"),
        dcc.Store(id=ids.TIMELINE_META, storage_type="memory"),
        dcc.Store(id=ids.OVERVIEW_STEPS, storage_type="memory"),
        dcc.Store(id=ids.MATRIX_EPOCH, storage_type="memory"),
        dcc.Store(id=ids.SIZES_EPOCH, storage_type="memory"),
        dcc.Store(id=ids.INSTANCES_STEPS, storage_type="memory"),
        dcc.Store(id=ids.MATRIX_VIEW, storage_type="memory", data="overview"),
        dcc.Store(id=ids.OVERVIEW_BOX, storage_type="memory"),
        dcc.Store(id=ids.MATRIX_CLICK, storage_type="memory"),
        dcc.Store(id=ids.CLASS_PERF_CLICK, storage_type="memory"),
        dcc.Store(id=ids.DETAIL_TARGET, storage_type="memory"),
        dcc.Store(id=ids.RANGE_STORE, storage_type="memory"),
        dcc.Store(id=ids.TIMELINE_ZOOM, storage_type="memory"),
        dcc.Store(id=ids.TIMELINE_BRUSH, storage_type="memory"),
        dcc.Store(id=ids.SLIDER_ASKED, storage_type="memory"),
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
                            panel(
                                "Confusion matrix",
                                [
                                    matrix_toolbar(),
                                    # many classes: the overview or the sub-matrix, one at a time
                                    # (components/overview_panel.py views_class); else the matrix
                                    html.Div(
                                        id=ids.MATRIX_VIEWS,
                                        className=views_class(False, "overview"),
                                        children=[
                                            selection_message(),  # many classes only
                                            overview_panel(),  # many classes only
                                            html.Div(id=ids.MATRIX_CAPTION, className="cf-caption"),
                                            html.Div(
                                                className="cf-matrix-stage",
                                                children=[
                                                    graph(ids.MATRIX_GRAPH, "320px"),
                                                    # the first view's matrix as a picture until the
                                                    # figure is drawn (app/first_view.py,
                                                    # assets/matrix_preview.js)
                                                    html.Img(
                                                        id=ids.MATRIX_PREVIEW,
                                                        className="cf-matrix-preview",
                                                        alt="",
                                                        style={"display": "none"},
                                                    ),
                                                ],
                                            ),
                                        ],
                                    ),
                                ],
                                class_name="cf-matrix-panel",
                                extra_header=[view_switch(), svg_button(ids.MATRIX_GRAPH)],
                            ),
                            # L3: the instances in the clicked cell, and what changed since the last step
                            instances_panel(),
                        ],
                    ),
                    html.Div(
                        className="cf-side",
                        children=[
                            panel(
                                "Detail",
                                [
                                    html.Div(
                                        [
                                            # the chart carries the title (so exports have it); this copy is
                                            # announced to screen readers when the target changes
                                            html.Div(
                                                id=ids.DETAIL_TITLE,
                                                className="cf-sr-only",
                                                **attrs({"aria-live": "polite"}),
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
                                    # as tall as the chart with its usual two-line title, so the
                                    # timeline under it stays put when the chart comes
                                    graph(ids.DETAIL_GRAPH, f"{DETAIL_HEIGHT + TITLE_LINE_PX}px"),
                                ],
                                class_name="cf-detail",
                                extra_header=[svg_button(ids.DETAIL_GRAPH)],
                            ),
                            # beside the matrix and under the detail view: the three fit one screen
                            timeline_panel(),
                            panel(
                                "Class performance",
                                [
                                    html.Div(
                                        "Precision, recall and F1 per class; click a chart for detail; "
                                        f"rows past {PANEL_ROWS} scroll.",
                                        className="cf-hint",
                                    ),
                                    # never taller than PANEL_ROWS rows: the rows scroll inside
                                    html.Div(
                                        graph(ids.CLASS_PERF_GRAPH, "330px"),
                                        className="cf-class-perf-rows",
                                        style={"maxHeight": f"{PANEL_MAX_PX}px", "overflowY": "auto"},
                                    ),
                                ],
                                class_name="cf-class-perf",
                                extra_header=[svg_button(ids.CLASS_PERF_GRAPH)],
                            ),
                            panel(
                                "Instances per class",
                                [graph(ids.DISTRIBUTION_GRAPH, "200px")],
                                class_name="cf-distribution",
                                extra_header=[svg_button(ids.DISTRIBUTION_GRAPH)],
                            ),
                        ],
                    ),
                ],
            ),
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
