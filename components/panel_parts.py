"""The pieces every panel of the page is made of: the panel frame, its SVG button and a chart.

``GRAPH_CONFIG`` is Plotly's modebar for every chart; ``graph`` wraps a chart in a loading
indicator that shows only when an update takes longer than ``LOADING_DELAY_MS``, and starts it
on a figure saying the view is loading (never a blank panel while the page opens).
"""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from confusionflow.components import ids
from confusionflow.components.figure_style import empty_figure

# Shown while a view takes longer than this to update; shorter updates do not flash a spinner.
LOADING_DELAY_MS = 400
LOADING_TEXT = "Loading the view…"  # every chart until its first figure arrives
# While a chart updates its old figure stays visible at this opacity under the spinner.
LOADING_OVERLAY_STYLE = {"visibility": "visible", "opacity": 0.5}

# Plotly's modebar: no logo, no camera (see svg_button), no tools that do not fit a
# linked dashboard (lasso/select on the matrix, autoscale that would fight the timeline range).
# Dash types ``config`` as a TypedDict and hyphenated attributes (aria-*) reach it only as **
# keywords; both are handed over as plain dicts typed Any.
GRAPH_CONFIG: dict[str, Any] = {
    "displaylogo": False,
    "toImageButtonOptions": {"format": "png", "scale": 2},
    # PNG and SVG come from the panel's own buttons, which add the title and the series legend
    "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d", "toImage"],
}


def attrs(values: dict[str, str]) -> dict[str, Any]:
    """Hyphenated HTML attributes (``aria-*``), to pass to a Dash component as ``**`` keywords."""
    return dict(values)


def panel(
    title: str, body: list, *, class_name: str = "", extra_header: list | None = None, **props
) -> html.Section:
    return html.Section(
        **props,
        className=f"cf-panel {class_name}".strip(),
        children=[html.Div([html.H2(title), *(extra_header or [])], className="cf-panel-header"), *body],
    )


# The matrix's heatmap strips are images in any Plotly SVG (Plotly draws heatmaps as rasters):
# its SVG button says so, so nobody takes the file for vector tiles.
RASTER_SVG_GRAPHS = frozenset({ids.MATRIX_GRAPH})


def svg_button(graph_id: str) -> html.Span:
    """The chart's export buttons: PNG and SVG of the chart as drawn, with its title, series legend
    and colour bars (``exportSvg`` in assets/confusionflow.js adds title and legend)."""
    raster = graph_id in RASTER_SVG_GRAPHS
    svg_title = (
        "Download as SVG. Text, axes and markers are vector; the heatmap strips are embedded PNG "
        "images (Plotly draws heatmaps as images), so they do not scale as vector graphics"
        if raster
        else "Download this chart as SVG (vector)"
    )
    return html.Span(
        [
            html.Button(
                "PNG",
                id={"type": ids.SVG_BUTTON, "graph": graph_id, "format": "png"},
                className="cf-btn cf-btn-small",
                title="Download this chart as PNG, with its title and series legend",
                n_clicks=0,
            ),
            html.Button(
                "SVG (raster heatmaps)" if raster else "SVG",
                id={"type": ids.SVG_BUTTON, "graph": graph_id, "format": "svg"},
                className="cf-btn cf-btn-small",
                title=svg_title,
                n_clicks=0,
            ),
        ],
        className="cf-export-buttons",
    )


def loading_figure(min_height: str) -> dict[str, Any]:
    """The figure a chart shows until its first update arrives: a note that the view is loading
    (before Plotly itself has loaded, the ``cf-graph`` style says the same), at the placeholder's
    height so the page does not jump.

    >>> loading_figure("260px")["layout"]["annotations"][0]["text"], loading_figure("260px")["layout"]["height"]
    ('Loading the view…', 260)
    """
    height = int(min_height.removesuffix("px")) if min_height.removesuffix("px").isdigit() else 300
    figure = empty_figure(LOADING_TEXT, height=height)
    # marks the placeholder for the page's scripts (the matrix picture stays until a real figure)
    figure.update_layout(meta={"loading": True})
    return figure.to_plotly_json()


def graph(graph_id: str, min_height: str, *, loading: bool = True) -> dcc.Loading | dcc.Graph:
    """A chart whose figure sets its own height (``min_height`` holds the place while it loads)."""
    config: Any = {
        **GRAPH_CONFIG,
        "toImageButtonOptions": {"format": "png", "scale": 2, "filename": graph_id},
    }
    graph = dcc.Graph(
        id=graph_id,
        config=config,
        className="cf-graph",
        style={"minHeight": min_height},
        figure=loading_figure(min_height),
    )
    if not loading:
        return graph
    # Dash hides a Loading's children while it spins; keep them on screen, dimmed, so the chart
    # that is being replaced (or the note that the view is loading) stays readable under the spinner
    # and the page does not jump.
    return dcc.Loading(
        graph,
        delay_show=LOADING_DELAY_MS,
        type="default",
        parent_className="cf-loading",
        overlay_style=LOADING_OVERLAY_STYLE,
    )
