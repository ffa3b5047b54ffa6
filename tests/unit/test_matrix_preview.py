"""The server-drawn picture of the first matrix (components/matrix_preview.py, app/first_view.py):
known heatmap traces give known pixels; the first view's picture is the matrix the callback draws."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from confusionflow.app import first_view
from confusionflow.app.callbacks.inputs import Bounds, parse_inputs
from confusionflow.app.callbacks.matrix import MATRIX_INPUTS, matrix_update
from confusionflow.app.factory import create_app
from confusionflow.components import ids
from confusionflow.components.matrix_preview import (
    map_colorscale,
    matrix_preview,
    parse_color,
    plot_box,
    raster,
    shrink,
)
from confusionflow.components.panel_parts import loading_figure
from confusionflow.data_access.store import LogStore
from confusionflow.data_access.writer import LogWriter
from tests.factories import improving_counts

CLASSES = ["cat", "dog", "fox"]


def two_layer_figure() -> dict:
    """A 2 x 3 grid: a hue layer (blue / orange / transparent) and a white value layer whose alpha
    falls from 0.8 at z = 0 to 0 at z = 1, with one gap (NaN)."""
    hue = {
        "type": "heatmap",
        "z": np.array([[0, 1, 2], [1, 0, 2]], dtype=np.uint8),
        "x0": 0,
        "y0": 0,
        "zmin": 0,
        "zmax": 2,
        "colorscale": [[0.0, "#0000ff"], [0.5, "rgb(255,128,0)"], [1.0, "rgba(0,0,0,0)"]],
    }
    value = {
        "type": "heatmap",
        "z": np.array([[0.0, 1.0], [0.5, np.nan]]),
        "x0": 0,
        "y0": 0,
        "zmin": 0.0,
        "zmax": 1.0,
        "colorscale": [[0.0, "rgba(255,255,255,0.8)"], [1.0, "rgba(255,255,255,0)"]],
    }
    layout = {
        "xaxis": {"range": [-0.5, 2.5]},
        "yaxis": {"range": [1.5, -0.5], "scaleratio": 0.5},
        "plot_bgcolor": "white",
        "height": 300,
        "margin": {"l": 40, "t": 60, "r": 10, "b": 40},
    }
    return {"data": [hue, value], "layout": layout}


def test_colours_parse_in_the_forms_the_scales_use():
    assert parse_color("#0072B2") == (0.0, 114.0, 178.0, 1.0)
    assert parse_color("#fff") == (255.0, 255.0, 255.0, 1.0)
    assert parse_color("rgba(255, 255, 255, 0.25)") == (255.0, 255.0, 255.0, 0.25)
    assert parse_color("rgb(1,2,3)") == (1.0, 2.0, 3.0, 1.0)
    assert parse_color("white") == (255.0, 255.0, 255.0, 1.0)
    with pytest.raises(ValueError):
        parse_color("blue-ish")


def test_a_colour_scale_is_linear_between_stops_and_leaves_gaps_transparent():
    scale = [[0.0, "rgba(0,0,0,1)"], [1.0, "rgba(200,100,0,0)"]]
    out = map_colorscale(np.array([[0.0, 5.0, 10.0, np.nan, 20.0]]), scale, 0.0, 10.0)
    assert out[0, 1].tolist() == [100.0, 50.0, 0.0, 0.5]
    assert out[0, 2].tolist() == [200.0, 100.0, 0.0, 0.0]
    assert out[0, 3, 3] == 0.0  # a gap
    assert out[0, 4].tolist() == out[0, 2].tolist()  # clamped at zmax


def test_layers_composite_in_trace_order_over_the_background():
    image = raster(two_layer_figure())
    assert image is not None and image.shape == (2, 3, 3)
    # (0, 0): blue under white at alpha 0.8 -> 0.8 * 255 + 0.2 * (0, 0, 255)
    assert image[0, 0].tolist() == [204, 204, 255]
    # (0, 1): orange, the value layer fully transparent at z = 1
    assert image[0, 1].tolist() == [255, 128, 0]
    # (1, 0): orange under white at alpha 0.4 -> 0.4 * 255 + 0.6 * (255, 128, 0)
    assert image[1, 0].tolist() == [255, 179, 102]
    # (1, 1): blue, the value layer has a gap there
    assert image[1, 1].tolist() == [0, 0, 255]
    # column 2: the hue is transparent and no value covers it: the plot background
    assert image[:, 2].tolist() == [[255, 255, 255], [255, 255, 255]]


def test_the_plot_box_follows_the_margins_and_the_axis_ratio():
    layout = two_layer_figure()["layout"]
    # height 300 - 60 - 40 = 200 px for 2 rows: 100 px per y unit, so 200 px per x unit at ratio 0.5
    assert plot_box(layout, 2, 3) == (40, 60, 600, 200, 10)


def test_large_grids_are_area_averaged_by_whole_factors():
    image = np.zeros((4, 6, 3), dtype=np.uint8)
    image[:, :3] = 200
    small = shrink(image, 2, 3)
    assert small.shape == (2, 3, 3)
    assert small[:, 0].tolist() == [[200] * 3] * 2 and small[:, 2].tolist() == [[0] * 3] * 2
    assert small[0, 1].tolist() == [100, 100, 100]  # half of each 2 x 2 block is 200


def test_nothing_to_picture_without_a_heatmap():
    assert matrix_preview(loading_figure("300px")) is None
    lines = {"data": [{"type": "scatter", "x": [1, 2], "y": [1, 2]}], "layout": {"xaxis": {}, "yaxis": {}}}
    assert matrix_preview(lines) is None


def test_the_png_holds_the_raster_and_its_placement():
    preview = matrix_preview(two_layer_figure())
    assert preview is not None
    image = np.asarray(Image.open(io.BytesIO(preview.png)).convert("RGB"))
    assert image.tolist() == raster(two_layer_figure()).tolist()
    assert preview.style()["left"] == "40px" and preview.style()["width"] == "600px"
    assert preview.data_uri().startswith("data:image/png;base64,")


@pytest.fixture(scope="module")
def logdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("logs")
    with LogWriter(root, "alpha", CLASSES) as w:
        for step in (1, 2, 3, 4):
            w.add_counts(step, "test", improving_counts(step))
    return root


def test_the_first_views_picture_is_the_matrix_the_callback_draws(logdir):
    store = LogStore(logdir)
    boxes = [
        {"label": "other", "value": "other"},
        {"label": "superclasses", "value": "super", "disabled": True},
    ]
    props = first_view.first_view_props(store, "s=alpha/test", boxes)
    extra = first_view.preview_props(store, props)
    raw = {n: props.get((str(i.component_id), i.component_property)) for n, i in MATRIX_INPUTS.items()}
    update = matrix_update(store, parse_inputs(raw, Bounds.of(store.list_series())), None)
    figure = update.figure.to_plotly_json()
    src = extra[(ids.MATRIX_PREVIEW, "src")]
    shown = np.asarray(Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))).convert("RGB"))
    assert shown.tolist() == raster(figure).tolist()
    # the caption and note above the graph are the callback's, so the picture sits on the plot
    assert extra[(ids.MATRIX_CAPTION, "children")] == update.caption
    assert extra[(ids.NORMALIZATION_NOTE, "children")] == update.note
    # the placeholder reserves the matrix's height
    assert extra[(ids.MATRIX_GRAPH, "figure")]["layout"]["height"] == max(320, figure["layout"]["height"])


def test_no_picture_in_line_mode_or_without_series(logdir):
    store = LogStore(logdir)
    boxes = [
        {"label": "other", "value": "other"},
        {"label": "superclasses", "value": "super", "disabled": True},
    ]
    lines = first_view.first_view_props(store, "s=alpha/test&enc=lines", boxes)
    assert lines[(ids.ENCODING, "value")] == "lines"
    extra = first_view.preview_props(store, lines)
    assert not any(cid == ids.MATRIX_PREVIEW for cid, _ in extra)
    # no picture, but the text above the graph and the graph's height are there from the start,
    # so the line matrix is drawn where the page first put it
    raw = {n: lines.get((str(i.component_id), i.component_property)) for n, i in MATRIX_INPUTS.items()}
    update = matrix_update(store, parse_inputs(raw, Bounds.of(store.list_series())), None)
    assert update.caption and extra[(ids.MATRIX_CAPTION, "children")] == update.caption
    assert extra[(ids.NORMALIZATION_NOTE, "children")] == update.note
    height = update.figure.to_plotly_json()["layout"]["height"]
    assert extra[(ids.MATRIX_GRAPH, "figure")]["layout"]["height"] == max(320, height)
    empty = LogStore(logdir.parent / "no-such-logs")
    assert first_view.preview_props(empty, first_view.first_view_props(empty, "", boxes)) == {}


def test_the_layout_route_carries_the_picture(logdir):
    app = create_app(logdir, cache=None)
    client = app.server.test_client()
    answer = client.get("/_dash-layout", headers={"Referer": "http://127.0.0.1:8050/?s=alpha/test"})
    text = answer.get_data(as_text=True)
    found = json.loads(text)
    pictures = []

    def walk(node):
        if isinstance(node, list):
            for child in node:
                walk(child)
        elif isinstance(node, dict) and "props" in node:
            if node["props"].get("id") == ids.MATRIX_PREVIEW:
                pictures.append(node["props"])
            walk(node["props"].get("children"))

    walk(found)
    assert len(pictures) == 1
    assert pictures[0]["src"].startswith("data:image/png;base64,")
    assert "display" not in pictures[0]["style"]
