"""The page fits the screen: matrix, detail view and timeline together, in both encodings, the
matrix sized to its classes, class names clear of the cells; and nothing on it moves once it is
painted. Measured from the drawn page (bounding boxes and the axes Plotly laid out), at the
window sizes people use.

"One screen": the panels of the matrix, the detail view and the timeline (and their charts) end
inside the window. The class charts below them are further down the page on purpose.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.dashboard_logs import write_logs
from tests.browser.pages import open_dashboard, serve_app, wait_stable_plot

pytestmark = pytest.mark.browser

GRAPHS = ("matrix-graph", "detail-graph", "timeline-graph")
PANELS = (".cf-matrix-panel", ".cf-detail", ".cf-timeline")  # their frames, controls included
ENCODINGS = pytest.mark.parametrize("query", ["", "?enc=lines"], ids=["heatmap", "lines"])
# per graph: its box on the page, and for the matrix where Plotly put the tiles and the row names
MEASURE = """() => {
    const box = id => { const r = document.getElementById(id).getBoundingClientRect();
                        return [r.left, r.top, r.right, r.bottom]; };
    const out = {};
    for (const id of ['matrix-graph', 'detail-graph', 'timeline-graph']) out[id] = box(id);
    for (const sel of ['.cf-matrix-panel', '.cf-detail', '.cf-timeline']) {
        const r = document.querySelector(sel).getBoundingClientRect();
        out[sel] = [r.left, r.top, r.right, r.bottom];
    }
    const gd = document.querySelector('#matrix-graph .js-plotly-plot');
    // the line encoding draws a line per series and tile (its grey backgrounds are heatmaps)
    out.encoding = gd.data.some(t => t.type === 'scatter' && t.mode === 'lines') ? 'lines' : 'heatmap';
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
    for graph in GRAPHS:  # the responsive figures have settled to the window, no update pending
        wait_stable_plot(page, graph)
    page.evaluate("() => window.scrollTo(0, 0)")  # measured from the top of the page
    return page.evaluate(MEASURE)


@ENCODINGS
@pytest.mark.parametrize("size", [(1600, 1000), (1920, 1080)], ids=["1600x1000", "1920x1080"])
def test_matrix_detail_and_timeline_are_on_one_screen(page, app_url, size, query) -> None:
    width, height = size
    boxes = measure(page, app_url + query, width, height)
    assert boxes["encoding"] == ("lines" if query else "heatmap"), boxes
    for part in GRAPHS + PANELS:
        left, top, right, bottom = boxes[part]
        assert left >= 0 and right <= width and top >= 0 and bottom <= height, (part, boxes[part])
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


# From before the first paint: on every animation frame, where each chart's box starts on the page
# (document coordinates) once it is laid out, kept only when one of them changed.
TRACK_TOPS = """(() => {
    const ids = ['matrix-graph', 'detail-graph', 'timeline-graph'];
    window.__cfTops = [];
    let last = '';
    const frame = () => {
        if (window.__cfTopsDone) return;
        const tops = ids.map(id => {
            const el = document.getElementById(id);
            const r = el && el.getBoundingClientRect();
            return r && r.height > 0 ? Math.round(r.top + window.scrollY) : null;
        });
        const key = JSON.stringify(tops);
        if (key !== last) { window.__cfTops.push([Math.round(performance.now()), tops]); last = key; }
        requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
})()"""


@ENCODINGS
def test_nothing_moves_once_the_page_is_painted(page, app_url, query) -> None:
    """The dropdowns and sliders are drawn by scripts that load after the page, and the charts'
    figures come after that: the matrix, detail and timeline start where they will stay. (A page
    that moved under the mouse made pointing at a tile land on the one beside it.)"""
    page.set_viewport_size({"width": 1600, "height": 1000})
    page.add_init_script(TRACK_TOPS)
    open_dashboard(page, app_url + query)
    for graph in GRAPHS:
        wait_stable_plot(page, graph)
    frames = page.evaluate("() => { window.__cfTopsDone = true; return window.__cfTops; }")
    for k, graph in enumerate(GRAPHS):
        tops = [tops[k] for _, tops in frames if tops[k] is not None]
        assert tops, (graph, frames)
        assert max(abs(t - tops[0]) for t in tops) <= 2, (graph, frames)
