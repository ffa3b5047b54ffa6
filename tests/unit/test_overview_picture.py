"""The overview as one picture: the PNG's pixels are the colour scale's colours at known values,
the class order permutes them, the figure keeps the select tool and the colour bar, and the hover
names the exact cell."""

from __future__ import annotations

import base64
import io

import numpy as np
import plotly.graph_objects as go
import pytest
from PIL import Image

from confusionflow.components import overview_figure as ovf
from confusionflow.components.overview_figure import (
    LABELS_MAX,
    PICTURE_MIN_CLASSES,
    cell_colours,
    cell_hover,
    classes_in_box,
    format_value,
    overview_figure,
    position_of,
    uses_picture,
)

MISSING = (236, 236, 236)  # figure_style.MISSING_COLOR, #ececec
# plotly's Blues and RdBu_r stops, written out (light to dark; blue to red)
BLUES = [
    (247, 251, 255),
    (222, 235, 247),
    (198, 219, 239),
    (158, 202, 225),
    (107, 174, 214),
    (66, 146, 198),
    (33, 113, 181),
    (8, 81, 156),
    (8, 48, 107),
]
RDBU_R = [
    (5, 48, 97),
    (33, 102, 172),
    (67, 147, 195),
    (146, 197, 222),
    (209, 229, 240),
    (247, 247, 247),
    (253, 219, 199),
    (244, 165, 130),
    (214, 96, 77),
    (178, 24, 43),
    (103, 0, 31),
]


def pixels(figure: go.Figure) -> np.ndarray:
    """The picture trace's PNG decoded: ``(H, W, 3)`` uint8."""
    source = figure.data[0].source
    head = "data:image/png;base64,"
    assert source.startswith(head)
    image = Image.open(io.BytesIO(base64.b64decode(source[len(head) :])))
    assert image.format == "PNG" and image.mode == "RGB"
    return np.asarray(image)


def test_the_png_holds_the_scale_colours_at_known_values():
    nan = np.nan
    values = np.array(
        [
            [nan, 0.0, 0.5, 0.03125],
            [1.0, nan, 0.25, 0.125],
            [0.0, 0.75, nan, 0.875],
            [0.375, 0.625, 0.0, nan],
        ]
    )
    got = pixels(overview_figure(values, list("abcd"), title="t", picture=True).figure)
    # 0.03125 is a quarter of the way from the first stop to the second: rounded per channel
    quarter = (241, 247, 253)  # 247 - 25/4, 251 - 16/4, 255 - 8/4
    want = [
        [MISSING, BLUES[0], BLUES[4], quarter],
        [BLUES[8], MISSING, BLUES[2], BLUES[1]],
        [BLUES[0], BLUES[6], MISSING, BLUES[7]],
        [BLUES[3], BLUES[5], BLUES[0], MISSING],
    ]
    np.testing.assert_array_equal(got, np.array(want, dtype=np.uint8))


def test_a_signed_picture_is_symmetric_about_zero():
    values = np.array([[np.nan, -0.2, 0.0], [0.5, np.nan, -0.5], [0.1, 0.2, np.nan]])
    figure = overview_figure(values, list("abc"), title="t", signed=True, picture=True).figure
    got = pixels(figure)
    # range -0.5 .. 0.5: -0.2 at 0.3, 0 at the middle, 0.1 at 0.6, 0.2 at 0.7
    want = [
        [MISSING, RDBU_R[3], RDBU_R[5]],
        [RDBU_R[10], MISSING, RDBU_R[0]],
        [RDBU_R[6], RDBU_R[7], MISSING],
    ]
    np.testing.assert_array_equal(got, np.array(want, dtype=np.uint8))
    bar = figure.data[1].marker
    assert (bar.cmin, bar.cmax) == (-0.5, 0.5) and bar.showscale
    assert bar.colorscale[0][1] == "rgb(5,48,97)" and bar.colorscale[-1][1] == "rgb(103,0,31)"


def test_the_order_permutes_the_pixels():
    values = np.arange(25, dtype=np.float64).reshape(5, 5) + 1  # every cell its own colour
    order = np.array([3, 0, 4, 1, 2])
    logged = pixels(overview_figure(values, list("abcde"), title="t", picture=True).figure)
    ordered = pixels(overview_figure(values, list("abcde"), order, title="t", picture=True).figure)
    for p in range(5):
        for q in range(5):
            assert (ordered[p, q] == logged[order[p], order[q]]).all()
    assert len({tuple(px) for px in logged.reshape(-1, 3)}) == 25


def test_every_nan_and_no_value_at_all_are_drawn_missing():
    got = cell_colours(np.full((3, 3), np.nan), signed=False)
    assert (got == MISSING).all()
    zeros = cell_colours(np.zeros((2, 2)), signed=True)
    assert (zeros == RDBU_R[5]).all()  # 0 of a signed scale: its middle


def test_the_picture_figure_keeps_positions_select_tool_and_colour_bar():
    n = 80
    names = [f"k<{i}>" for i in range(n)]
    figure = overview_figure(np.ones((n, n)), names, title="<i>t</i>", picture=True).figure
    image, anchor = figure.data
    assert image.type == "image" and (image.x0, image.dx, image.y0, image.dy) == (0, 1, 0, 1)
    assert image.hoverinfo == "none"
    assert pixels(figure).shape == (n, n, 3)
    lay = figure.layout
    assert lay.xaxis.type == lay.yaxis.type == "linear"
    assert tuple(lay.xaxis.range) == (-0.5, n - 0.5) and tuple(lay.yaxis.range) == (n - 0.5, -0.5)
    assert lay.yaxis.scaleanchor == "x" and lay.dragmode == "select" and lay.uirevision == "overview"
    assert lay.plot_bgcolor == "#ececec" and "<" not in lay.title.text
    assert anchor.type == "scatter" and anchor.hoverinfo == "skip" and anchor.marker.opacity == 0
    assert anchor.marker.showscale and anchor.marker.colorbar.tickformat == ".0%"
    assert not lay.xaxis.showticklabels  # more than LABELS_MAX classes: names in the hover only
    go.Figure(figure.to_dict())  # built without validation: it must still be a valid figure
    # a box over positions 10..19 in picture coordinates: the same classes as on category axes
    assert classes_in_box(np.arange(n), (9.6, 19.4), (9.6, 19.4)).tolist() == list(range(10, 20))


def test_a_small_picture_names_its_classes_on_the_axes():
    names = ["a&b", "<c>", "d"]
    assert len(names) <= LABELS_MAX
    lay = overview_figure(np.ones((3, 3)), names, np.array([2, 0, 1]), title="t", picture=True).figure.layout
    assert lay.xaxis.showticklabels and list(lay.xaxis.tickvals) == [0, 1, 2]
    assert list(lay.xaxis.ticktext) == ["d", "a&amp;b", "&lt;c&gt;"] == list(lay.yaxis.ticktext)


def test_the_form_follows_the_class_count(monkeypatch):
    assert not uses_picture(PICTURE_MIN_CLASSES - 1) and uses_picture(PICTURE_MIN_CLASSES)
    monkeypatch.setattr(ovf, "PICTURE_MIN_CLASSES", 4)
    assert overview_figure(np.ones((4, 4)), list("abcd"), title="t").figure.data[0].type == "image"
    assert overview_figure(np.ones((3, 3)), list("abc"), title="t").figure.data[0].type == "heatmap"


NAMES = ("ant", "<b>bee</b>", "cat & co")
VALUES = np.array([[np.nan, 0.0, 0.125], [0.5, np.nan, 1 / 3], [0.0625, 0.0, np.nan]], dtype=np.float32)


def hover(x, y, order=(0, 1, 2), **kw):
    kw = {"signed": False, "percent": True, **kw}
    return cell_hover(VALUES, NAMES, np.array(order), x, y, **kw)


def test_the_hover_names_the_exact_cell():
    cell = hover(2, 1)  # predicted position 2, true position 1
    assert (cell.true, cell.predicted, cell.value) == ("<b>bee</b>", "cat & co", "33.33%")
    assert hover(1, 0).value == "0.00%"  # a zero cell is drawn and says 0
    assert hover(0, 2).value == "6.25%"
    assert hover(1.4, 0.6) == hover(1, 1) is None  # the diagonal is not drawn
    assert hover(1.4, -0.4).value == "0.00%"  # coordinates inside a cell name that cell
    # the order: position p is class order[p]
    cell = hover(0, 1, order=(2, 0, 1))  # true = class 0 (ant), predicted = class 2 (cat & co)
    assert (cell.true, cell.predicted, cell.value) == ("ant", "cat & co", "12.50%")


@pytest.mark.parametrize("bad", [-0.6, 2.5, 3, float("nan"), float("inf"), 10**400, "1", None, True, [1]])
def test_hover_positions_from_the_browser_are_checked(bad):
    assert hover(bad, 1) is None and hover(1, bad) is None
    assert position_of(bad, 3) is None


def test_hover_values_are_formatted_as_the_heatmap_hover():
    assert hover(2, 1, signed=True).value == "+33.33%"
    assert format_value(-0.0, True, True) == "+0.00%"
    assert format_value(-0.25, True, True) == "-25.00%"
    assert format_value(1234567.0, False, False) == "1,234,567"
    assert format_value(-1234.0, True, False) == "-1,234"
    assert format_value(12.0, True, False) == "+12"
