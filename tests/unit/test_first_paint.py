"""The first view in the page's HTML (app/first_paint.py, components/static_page.py): the page the
server sends already holds the matrix picture of the view its URL names, escaped, at the site root
and under a prefix; a first matrix callback reuses the figure the page was drawn from."""

from __future__ import annotations

import base64
import io
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pytest
from dash import dcc, html
from PIL import Image

from confusionflow.app import first_paint, first_view
from confusionflow.app.callbacks.inputs import MAX_QUERY, Bounds, parse_inputs
from confusionflow.app.callbacks.matrix import BUILT_MATRICES, MATRIX_INPUTS, matrix_update
from confusionflow.app.factory import create_app
from confusionflow.components.matrix_preview import raster
from confusionflow.components.static_page import css_text, static_html
from confusionflow.data_access.store import LogStore
from confusionflow.data_access.writer import LogWriter
from tests.factories import improving_counts

HOSTILE = '<img src=x onerror="alert(1)">'
CLASSES = ["cat", HOSTILE, 'say "hi" & <b>bye</b>']
BOXES: list[dict] = [
    {"label": "other", "value": "other"},
    {"label": "superclasses", "value": "super", "disabled": True},
]


@pytest.fixture(scope="module")
def logdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("logs")
    for run in ("alpha", "beta"):
        with LogWriter(root, run, CLASSES) as w:
            for step in (1, 2, 3, 4):
                w.add_counts(step, "test", improving_counts(step))
    return root


class FirstPaint(HTMLParser):
    """The parts of a page's first paint a test reads: its pictures, its texts and any element
    the copy should never contain (scripts, ids)."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0  # inside the first-paint copy while > 0
        self.pictures: list[dict[str, str | None]] = []
        self.texts: list[str] = []
        self.scripts_inside = 0
        self.ids_inside: list[str] = []
        self.copies = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if self.depth == 0 and "cf-first-paint" in (a.get("class") or "").split():
            self.depth = 1
            self.copies += 1
            return
        if self.depth == 0:
            return
        if tag == "script":
            self.scripts_inside += 1
        if a.get("id"):
            self.ids_inside.append(a["id"] or "")
        if tag == "img":
            self.pictures.append(a)
        elif tag not in ("input", "br"):
            self.depth += 1

    def handle_endtag(self, tag):
        if self.depth > 0 and tag not in ("img", "input", "br"):
            self.depth -= 1

    def handle_data(self, data):
        if self.depth > 0:
            self.texts.append(data)


def first_paint_of(page: str) -> FirstPaint:
    parsed = FirstPaint()
    parsed.feed(page)
    return parsed


def pixels(src: str | None) -> list:
    assert src and src.startswith("data:image/png;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))).convert("RGB")).tolist()


def matrix_for(store: LogStore, query: str):
    props = first_view.first_view_props(store, query, BOXES)
    raw = {n: props.get((str(i.component_id), i.component_property)) for n, i in MATRIX_INPUTS.items()}
    return matrix_update(store, parse_inputs(raw, Bounds.of(store.list_series())), None)


def test_the_page_html_holds_the_default_views_matrix_picture(logdir):
    app = create_app(logdir, cache=None)
    page = app.server.test_client().get("/").get_data(as_text=True)
    paint = first_paint_of(page)
    assert paint.copies == 1
    assert len(paint.pictures) == 1
    picture = paint.pictures[0]
    # the picture is the matrix the first callback draws for the default view (the first series)
    update = matrix_for(LogStore(logdir), "")
    assert pixels(picture["src"]) == raster(update.figure.to_plotly_json()).tolist()
    assert "display" not in (picture["style"] or "")  # on screen, at the plot area
    assert "left: " in (picture["style"] or "") and "aspect-ratio" in (picture["style"] or "")
    assert picture["alt"] == first_view.PICTURE_ALT
    # the caption above it is the callback's, the page is still Dash's page
    assert update.caption in "".join(paint.texts)
    assert '<div id="react-entry-point">' in page and 'id="_dash-config"' in page
    # the copy is inert, carries no id (the live page mounts beside it) and runs no script
    assert 'class="cf-first-paint" inert aria-hidden="true"' in page
    assert paint.ids_inside == [] and paint.scripts_inside == 0
    # and the hand-over script comes after Dash's entry point, before Dash's own scripts
    assert page.index("react-entry-point") < page.index('cf-first-paint");') < page.index("_dash-config")


def test_the_page_html_holds_the_view_its_query_names(logdir):
    app = create_app(logdir, cache=None)
    client = app.server.test_client()
    query = "s=beta/test&norm=abs&scale=log&from=2&to=3"
    paint = first_paint_of(client.get("/?" + query).get_data(as_text=True))
    update = matrix_for(LogStore(logdir), query)
    assert "values: absolute" in update.caption and "steps 2–3" in update.caption
    assert update.caption in "".join(paint.texts)
    assert pixels(paint.pictures[0]["src"]) == raster(update.figure.to_plotly_json()).tolist()
    default = first_paint_of(client.get("/").get_data(as_text=True))
    assert pixels(default.pictures[0]["src"]) != pixels(paint.pictures[0]["src"])
    # the chosen series is the one the copy's picker shows
    assert "beta / test" in "".join(paint.texts) and "alpha / test" not in "".join(paint.texts)


def test_user_names_in_the_page_html_are_text_not_markup(logdir):
    app = create_app(logdir, cache=None)
    query = "s=alpha/test&c=" + quote(HOSTILE) + "&c=" + quote(CLASSES[2])
    page = app.server.test_client().get("/?" + query).get_data(as_text=True)
    paint = first_paint_of(page)
    assert HOSTILE not in page and "<b>bye</b>" not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    # read back as text, the names are whole (the class picker shows the chosen classes)
    text = "".join(paint.texts)
    assert HOSTILE in text and CLASSES[2] in text
    assert paint.scripts_inside == 0 and len(paint.pictures) == 1


def test_the_page_html_under_a_url_prefix(logdir):
    app = create_app(logdir, cache=None, url_base_pathname="/tools/cf/")
    client = app.server.test_client()
    answer = client.get("/tools/cf/?s=beta/test&norm=abs")
    assert answer.status_code == 200
    paint = first_paint_of(answer.get_data(as_text=True))
    update = matrix_for(LogStore(logdir), "s=beta/test&norm=abs")
    assert pixels(paint.pictures[0]["src"]) == raster(update.figure.to_plotly_json()).tolist()
    # behind a proxy that strips the prefix
    behind = create_app(logdir, cache=None, requests_pathname_prefix="/tools/cf/")
    stripped = behind.server.test_client().get("/?s=beta/test&norm=abs").get_data(as_text=True)
    assert len(first_paint_of(stripped).pictures) == 1


def test_an_overlong_query_opens_the_default_view(logdir):
    app = create_app(logdir, cache=None)
    query = "s=beta/test&" + "x=" + "9" * MAX_QUERY
    paint = first_paint_of(app.server.test_client().get("/?" + query).get_data(as_text=True))
    update = matrix_for(LogStore(logdir), "")
    assert pixels(paint.pictures[0]["src"]) == raster(update.figure.to_plotly_json()).tolist()


def test_a_failing_first_paint_leaves_the_page_as_before(logdir, monkeypatch, caplog):
    app = create_app(logdir, cache=None)

    def broken(_layout):
        raise RuntimeError("cannot draw")

    monkeypatch.setattr(first_paint, "first_paint_html", broken)
    answer = app.server.test_client().get("/")
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert "cf-first-paint" not in page.split("</head>", 1)[1].split("_dash-config")[0]
    assert '<div id="react-entry-point">' in page
    assert "first paint" in caplog.text


def test_the_dcc_style_sheets_come_with_the_page():
    css = first_paint.component_css()
    # the boxes the copy needs measured as the live components measure them
    for rule in (".dash-dropdown", ".dash-options-list-option", ".dash-slider-root", "--Dash-Spacing"):
        assert rule in css, rule
    assert "<" not in css


def test_static_html_escapes_drops_ids_and_hidden_content():
    tree = html.Div(
        [
            html.Span('a "b" <c>', title="t", id="x", className='k"l'),
            html.Div(html.P("secret"), hidden=True),
            dcc.Store(id="s", data={"x": 1}),
            html.Img(src="data:image/png;base64,AAA", alt='<"alt">', style={"left": 5, "zIndex": 1}),
        ],
        style={"minHeight": "3px", "--chip-color": "#fff"},
    )
    out = static_html(tree)
    assert out == (
        '<div style="min-height: 3px; --chip-color: #fff">'
        '<span class="k&quot;l">a &quot;b&quot; &lt;c&gt;</span>'
        "<div hidden></div>"
        '<img alt="&lt;&quot;alt&quot;&gt;" src="data:image/png;base64,AAA" style="left: 5px; z-index: 1">'
        "</div>"
    )
    assert css_text({"flex": 1, "marginTop": 0, "width": "2px"}) == "flex: 1; margin-top: 0; width: 2px"


def test_static_html_draws_dash_controls_as_dash_does():
    radio = static_html(
        dcc.RadioItems(
            id="r", options=[{"label": "a", "value": 1}, {"label": "<b>", "value": 2}], value=2, inline=True
        )
    )
    assert radio.startswith('<div class="dash-options-list dash-radioitems " role="listbox">')
    assert '<label class="dash-options-list-option selected dash-radioitems-inline">' in radio
    assert "<span>&lt;b&gt;</span>" in radio
    chosen = static_html(dcc.Dropdown(id="d", options=["x", "y"], value=["x", "y"], multi=True))
    assert chosen.count('class="dash-dropdown-value-item"') == 2 and "2 selected" in chosen
    empty = static_html(dcc.Dropdown(id="d", options=["x"], placeholder="All classes"))
    assert 'class="dash-dropdown-value dash-dropdown-placeholder">All classes<' in empty
    slider = static_html(dcc.RangeSlider(id="g", min=0, max=10, value=[0, 5], marks={0: "0", 10: "10"}))
    assert 'style="left: 0%; right: 50%"' in slider and slider.count("dash-slider-thumb ") == 2


def test_the_first_matrix_callback_reuses_the_figure_the_page_was_drawn_from(logdir):
    store = LogStore(logdir)
    props = first_view.first_view_props(store, "s=alpha/test", BOXES)
    first_view.preview_props(store, props)  # the page's HTML (and its layout) draw the matrix
    raw = {n: props.get((str(i.component_id), i.component_property)) for n, i in MATRIX_INPUTS.items()}
    page = parse_inputs(raw, Bounds.of(store.list_series()))
    built = BUILT_MATRICES.for_store(store)
    assert len(built) == 1
    again = matrix_update(store, page, None)  # the first matrix callback: nothing on screen yet
    assert again is matrix_update(store, page, None)
    assert again.figure.to_json() == matrix_update(LogStore(logdir), page, None).figure.to_json()
    # a figure already on screen for the same view is still a rebuild (as before), from memory too
    assert matrix_update(store, page, again.meta) is again
    # a change the figure on screen can take as a Patch is not answered from memory
    moved = dict(again.meta, epoch=3.0)
    assert matrix_update(store, page, moved).figure is not again.figure
    # another view is built anew and remembered beside it
    other = parse_inputs({**raw, "scale": "log"}, Bounds.of(store.list_series()))
    assert matrix_update(store, other, None) is not again
    assert len(built) == 2
