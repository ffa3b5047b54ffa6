"""The first view in the layout: the page's view state resolved on the server, with the layout.

Without this, a page opens with empty stores and a chain of callbacks fills them one level at a
time (URL -> series -> selection -> range and epoch -> views), each level a round trip. Instead the
layout function reads the page's query string, resolves it with the same pure functions those
callbacks call (``load_values``, ``series_update``, ``selection_update``,
``range_update``, ``epoch_update``, ``detail_target_update``) and writes their outputs into the
layout. The chain's callbacks are registered with ``prevent_initial_call=True``, so the views'
callbacks fire at once, all in one level, on a complete view state.

Where the query comes from: Dash fetches the layout with ``GET <prefix>_dash-layout`` from the
page's script, so the request's ``Referer`` is the page's own URL, query string included (the
index response sets ``Referrer-Policy: same-origin`` so a stricter default cannot drop it). When
the layout was built from a different query than the page's (no referrer sent, a proxy that strips
it), :func:`register_fallback`'s clientside callback notices and starts the URL callback, which
runs the whole chain as before.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import dash
import flask
from dash import Input, Output, dcc

from confusionflow.app.callbacks.common import server_steps
from confusionflow.app.callbacks.detail import detail_target_update
from confusionflow.app.callbacks.inputs import MAX_QUERY, Bounds, parse_inputs
from confusionflow.app.callbacks.matrix import MATRIX_INPUTS, matrix_update, view_key
from confusionflow.app.callbacks.selection import selection_update
from confusionflow.app.callbacks.series import series_update
from confusionflow.app.callbacks.timeline import epoch_label, epoch_update, range_update
from confusionflow.app.callbacks.url import LOAD_OUTPUTS, load_values
from confusionflow.app.config import DEFAULT_MAX_VIEW_CELLS
from confusionflow.app.first_figures import view_props
from confusionflow.app.recent import PerStore
from confusionflow.components import ids
from confusionflow.components.matrix_preview import MatrixPreview, matrix_preview
from confusionflow.components.panel_parts import loading_figure
from confusionflow.data_access.store import LogStore

Props = dict[tuple[str, str], Any]  # (component id, property) -> value


def page_address() -> tuple[str, str, str] | None:
    """``(href, pathname, query)`` of the page from the layout request's ``Referer`` (query
    without ``?``); None without a request, a referrer, or with one longer than ``MAX_QUERY``."""
    if not flask.has_request_context():
        return None
    referrer = flask.request.referrer
    if not referrer or len(referrer) > MAX_QUERY:
        return None
    try:
        parts = urlsplit(referrer)
    except ValueError:
        return None
    return referrer, parts.path, parts.query


def fill_first_view(layout: Any, store: LogStore, max_cells: int = DEFAULT_MAX_VIEW_CELLS) -> Any:
    """``layout`` with the first view of the page that asked for it (see the module docstring).

    ``dcc.Location`` gets the page's address too, so on mounting it finds nothing new to report
    (which would start the chain again). Without a referrer only the default view is filled in and
    ``dcc.Location`` is left empty: its first report then starts the URL callback as before.
    """
    address = page_address()
    query = address[2] if address else ""
    return fill_first_view_for(layout, store, max_cells, query, address, views=True)


def fill_first_view_for(
    layout: Any,
    store: LogStore,
    max_cells: int,
    query: str,
    address: tuple[str, str, str] | None = None,
    *,
    views: bool = False,
) -> Any:
    """``layout`` with the first view of the page query ``query`` (with or without ``?``; the
    page's HTML builds its first paint from its own request's query). ``address``:
    ``(href, pathname, query)`` for ``dcc.Location``, or None to leave it empty. ``views``: also
    every view's first answer, figures included (``app/first_figures.py``; the layout request
    needs them, the page's static copy draws no figure)."""
    by_id = {c.id: c for c in components_of(layout) if isinstance(getattr(c, "id", None), str)}
    props = first_view_props(store, query, by_id[ids.CLASS_OPTIONS].options)
    props.update(preview_props(store, props, max_cells))
    if views:
        props.update(
            view_props(store, props, lambda cid, prop: getattr(by_id.get(cid), prop, None), max_cells)
        )
    if address is not None:
        href, pathname, page_query = address
        search = "?" + page_query if page_query else ""
        props.update({(ids.URL, "href"): href, (ids.URL, "pathname"): pathname})
        props.update({(ids.URL, "search"): search, (ids.URL, "hash"): ""})
    return apply_props(layout, props)


def first_view_props(store: LogStore, query: str, class_option_boxes: list[dict]) -> Props:
    """Every output the opening chain of callbacks would produce for the page query ``query``.

    ``query``: a query string with or without ``?``; ``class_option_boxes``: the options of the
    layout's ``CLASS_OPTIONS`` checklist (their labels and "disabled" change). Returns ``{(id, prop): value}``; values are
    exactly what the callbacks return (the same functions compute them).
    """
    search = "?" + query.lstrip("?") if query.lstrip("?") else ""
    url_state = parse_inputs({"url_state": search}).url_state or ""
    props: Props = {}

    # on_url_load: the toolbar controls and the URL state
    load = load_values(store, url_state)
    for name, output in LOAD_OUTPUTS.items():
        cid = output.component_id
        if not isinstance(cid, str):  # the URL outputs are plain string ids
            raise TypeError(f"first view: output {name!r} has a non-string id {cid!r}")
        props[(cid, output.component_property)] = load[name]

    # update_series: the picker, the shown keys, colour slots, chips, message
    series = series_update(store, ids.URL_STATE, False, url_state, None, None, None)
    assert series is not None  # the URL trigger always answers
    props[(ids.SERIES_DROPDOWN, "value")] = series.value
    props[(ids.SERIES_KEYS, "data")] = series.keys
    props[(ids.SLOTS, "data")] = series.slots
    props[(ids.SERIES_CHIPS, "children")] = series.chips
    props[(ids.SERIES_MESSAGE, "children")] = series.message

    # update_selection: the class picker, class-option boxes and the effective selection
    selection = selection_update(
        store, ids.URL_STATE, url_state, series.keys, None, load["class_options"], None, class_option_boxes
    )
    props[(ids.CLASS_DROPDOWN, "options")] = selection.options
    props[(ids.CLASS_DROPDOWN, "value")] = selection.value
    props[(ids.CLASS_MESSAGE, "children")] = selection.message
    props[(ids.CLASS_OPTIONS, "options")] = selection.class_options
    props[(ids.LEVEL, "options")] = selection.level_options
    props[(ids.LEVEL, "value")] = selection.level
    props[(ids.DRILL, "options")] = selection.group_options
    props[(ids.DRILL, "value")] = selection.group
    props[(ids.DRILL, "disabled")] = selection.group_disabled
    props[(ids.SELECTION, "data")] = selection.selection

    # update_range and update_epoch, on the server's steps of that selection
    bounds = Bounds.of(store.list_series())
    page = parse_inputs({"selection": selection.selection}, bounds)
    steps = server_steps(store, page.selection).tolist()
    rng = range_update(ids.URL_STATE, steps, url_state, None, None, None, None)
    assert rng is not None
    props[(ids.RANGE_STORE, "data")] = rng.range
    props[(ids.RANGE_SLIDER, "max")] = rng.slider_max
    props[(ids.RANGE_SLIDER, "value")] = rng.slider_value
    props[(ids.RANGE_SLIDER, "marks")] = rng.marks
    props[(ids.RANGE_LABEL, "children")] = rng.label
    props[(ids.RANGE_SLIDER, "disabled")] = rng.slider_disabled
    epoch = epoch_update(ids.URL_STATE, steps, url_state, None, None, rng.range)
    epoch = None if epoch is False else epoch
    props[(ids.EPOCH_STORE, "data")] = epoch
    props[(ids.EPOCH_LABEL, "children")] = epoch_label(epoch)

    # update_detail_target: the detail view's target named in the link
    raw = {
        "url_state": url_state,
        "selection": selection.selection,
        "step_range": rng.range,
        "encoding": load["encoding"],
        "rotate": load["rotate"],
    }
    target = detail_target_update(store, ids.URL_STATE, parse_inputs(raw, bounds), None, None)
    props[(ids.DETAIL_TARGET, "data")] = target.to_dict() if target is not None else None

    props[(ids.FIRST_VIEW_QUERY, "data")] = search
    return props


def preview_props(store: LogStore, props: Props, max_cells: int = DEFAULT_MAX_VIEW_CELLS) -> Props:
    """The matrix picture of the first view (``MATRIX_PREVIEW``'s ``src`` and ``style``), a loading
    placeholder as tall as that matrix and the caption and note above it (so the page does not
    jump when the figure comes),
    from ``props`` (:func:`first_view_props`' answer, which holds every input of the matrix
    callback). The figure is the one the matrix callback builds for those inputs. Empty when there
    is no matrix (no series, a refused view); without a heatmap to picture (line mode) only the
    placeholder, caption and note (the text above the graph moved it down when it came)."""
    raw = {name: props.get((str(i.component_id), i.component_property)) for name, i in MATRIX_INPUTS.items()}
    page = parse_inputs(raw, Bounds.of(store.list_series()))
    update = matrix_update(store, page, None, max_cells)
    figure = update.figure
    if not hasattr(figure, "to_plotly_json") or not update.caption:  # a refusal, or nothing drawn
        return {}
    # the page's HTML and its layout picture the same matrix one request apart: draw it once
    pictures = PICTURES.for_store(store)
    key = view_key(store, page, max_cells)
    preview = pictures.get(key)
    if preview is None:
        preview = matrix_preview(figure.to_plotly_json()) or NO_PICTURE
        pictures.put(key, preview)
    height = int(figure.layout.height or 0)
    out: Props = {
        (ids.MATRIX_GRAPH, "figure"): loading_figure(f"{max(height, 320)}px"),
        # the text above the graph as the figure's answer will set it, so the picture sits
        # where the plot will be drawn
        (ids.MATRIX_CAPTION, "children"): update.caption,
        (ids.NORMALIZATION_NOTE, "children"): update.note,
    }
    if preview is not NO_PICTURE:  # line mode has no picture, but its caption and note
        out[(ids.MATRIX_PREVIEW, "src")] = preview.data_uri()
        out[(ids.MATRIX_PREVIEW, "style")] = preview.style()
        out[(ids.MATRIX_PREVIEW, "alt")] = PICTURE_ALT
    return out


PICTURE_ALT = "The confusion matrix, drawn on the server while the chart loads"
# "nothing to picture" (line mode) remembered like a picture
NO_PICTURE = MatrixPreview(b"", 0, 0, 0, 0, 0)
# the last pictures of each store, by the matrix's view key (a picture is ≤ ~150 kB)
PICTURES: PerStore[MatrixPreview] = PerStore(6)


def components_of(node: Any) -> Iterator[Any]:
    """Every Dash component in a layout tree, depth first (children lists and single children)."""
    if isinstance(node, (list, tuple)):
        for child in node:
            yield from components_of(child)
        return
    if not hasattr(node, "to_plotly_json"):
        return
    yield node
    yield from components_of(getattr(node, "children", None))


def apply_props(layout: Any, props: Mapping[tuple[str, str], Any]) -> Any:
    """Set ``props`` on the components of ``layout`` (in place) and return it; the
    ``FIRST_VIEW_QUERY`` and ``FIRST_VIEW_RETRY`` stores are added to its children.

    A None for a property the component does not set is left out (it reads as None anyway).
    Raises KeyError naming a (id, prop) whose component is not in the layout: a renamed id must
    fail here, not leave the first view half-filled.
    """
    by_id = {c.id: c for c in components_of(layout) if isinstance(getattr(c, "id", None), str)}
    if ids.FIRST_VIEW_QUERY not in by_id:
        extra = [dcc.Store(id=ids.FIRST_VIEW_QUERY), dcc.Store(id=ids.FIRST_VIEW_RETRY)]
        layout.children = [*extra, *list(layout.children or [])]
        by_id.update(zip((ids.FIRST_VIEW_QUERY, ids.FIRST_VIEW_RETRY), extra, strict=True))
    for (cid, prop), value in props.items():
        if cid not in by_id:
            raise KeyError(f"first view: no component {cid!r} in the layout for {prop!r}")
        if value is None and getattr(by_id[cid], prop, None) is None:
            # left unset: a dcc.Store given data=None reports it as a change on mounting, which
            # would fire the callbacks listening to it
            continue
        setattr(by_id[cid], prop, value)
    return layout


# The page's query (the address bar's, not dcc.Location's) against the one the layout was built
# from, once, when the page opens (the store never changes afterwards): equal on every ordinary
# load; otherwise the page's query goes to FIRST_VIEW_RETRY, an input of the URL callback.
FALLBACK_JS = """
function (built) {
    var page = window.location.search;
    if (typeof built === "string" && built === page) {
        return window.dash_clientside.no_update;
    }
    return page;
}
"""


def register_fallback(app: dash.Dash) -> None:
    """The clientside check above (it runs in the browser, no request on an ordinary load)."""
    app.clientside_callback(
        FALLBACK_JS,
        Output(ids.FIRST_VIEW_RETRY, "data"),
        Input(ids.FIRST_VIEW_QUERY, "data"),
    )


def install_referrer_policy(server: flask.Flask, index_path: str) -> None:
    """``Referrer-Policy: same-origin`` on the page itself (unless already set), so the layout
    request carries the page's query string to this server and to no other."""

    def add_policy(response: flask.Response) -> flask.Response:
        if flask.request.path == index_path:
            response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    server.after_request(add_policy)
