"""The page fits the screen: matrix, detail view and timeline together, the matrix sized to its
classes, class names clear of the cells. Measured from the drawn page (bounding boxes and the
axes Plotly laid out), at the window sizes people use."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.dashboard_logs import write_logs
from tests.browser.pages import open_dashboard, serve_app

pytestmark = pytest.mark.browser

GRAPHS = ("matrix-graph", "detail-graph", "timeline-graph")
# per graph: its box on the page, and for the matrix where Plotly put the tiles and the row names
MEASURE = """() => {
    const box = id => { const r = document.getElementById(id).getBoundingClientRect();
                        return [r.left, r.top, r.right, r.bottom]; };
    const out = {};
    for (const id of ['matrix-graph', 'detail-graph', 'timeline-graph']) out[id] = box(id);
    const gd = document.querySelector('#matrix-graph .js-plotly-plot');
    const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, g = gd.getBoundingClientRect();
    out.tiles = [g.left + xa._offset, g.top + ya._offset, g.left + xa._offset + xa._length,
                 g.top + ya._offset + ya._length];
    out.figure = [g.top, g.bottom, gd._fullLayout.margin.t];
    out.rowNamesRight = Math.max(...[...gd.querySelectorAll('.yaxislayer-above .ytick text')]
        .map(t => t.getBoundingClientRect().right));
    return out;
}"""


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory):
    logdir: Path = tmp_path_factory.mktemp("layout-logs")
    write_logs(logdir)
    with serve_app(logdir, tmp_path_factory.mktemp("layout-cache"), "--poll-seconds", "0") as url:
        yield url


def measure(page, url: str, width: int, height: int) -> dict:
    page.set_viewport_size({"width": width, "height": height})
    open_dashboard(page, url)
    page.wait_for_timeout(1500)  # let the responsive figures settle to the window
    return page.evaluate(MEASURE)


@pytest.mark.parametrize("size", [(1600, 1000), (1920, 1080)])
def test_matrix_detail_and_timeline_are_on_one_screen(page, app_url, size) -> None:
    width, height = size
    boxes = measure(page, app_url, width, height)
    for graph in GRAPHS:
        left, top, right, bottom = boxes[graph]
        assert left >= 0 and right <= width and top >= 0 and bottom <= height, (graph, boxes[graph])
    # the tiles start right under the column names: no band of empty figure above them
    fig_top, _, margin_top = boxes["figure"]
    assert boxes["tiles"][1] - fig_top <= margin_top + 2, boxes


def test_row_names_keep_clear_of_the_cells_at_1280(page, app_url) -> None:
    boxes = measure(page, app_url, 1280, 800)
    assert boxes["rowNamesRight"] <= boxes["tiles"][0] - 3, boxes
    fig_top, _, margin_top = boxes["figure"]
    assert boxes["tiles"][1] - fig_top <= margin_top + 2, boxes


def test_a_three_class_selection_gets_a_small_matrix(page, app_url) -> None:
    boxes = measure(page, app_url + "?s=dense/test&c=bird&c=cat&c=dog", 1600, 1000)
    fig_top, fig_bottom, _ = boxes["figure"]
    tiles_h = boxes["tiles"][3] - boxes["tiles"][1]
    assert fig_bottom - fig_top <= 480, boxes
    assert tiles_h >= 0.6 * (fig_bottom - fig_top), boxes  # mostly tiles, not blank figure
