"""1000 classes in headless Chromium: the overview draws as one picture, its hover names the true
class, predicted class and value of the cell under the mouse, a box drag selects a block whose
sub-matrix the small multiples show, a strategy click fills the selection, the view survives a URL
round trip, and the page does not grow with the class count.

The log is the synthetic stress log of ``benchmarks/gen_many_classes.py`` at 5 steps (3 series).
The expected strategy answer is computed here from the log with the data layer's sparse reader.
"""

from __future__ import annotations

import math
from urllib.parse import parse_qs, quote

import numpy as np
import pytest

from benchmarks.gen_many_classes import generate
from confusionflow.data_access.metrics import normalize
from confusionflow.data_access.sparse_reader import load_sparse
from confusionflow.data_access.strategies import apply_strategy
from tests.browser.pages import TIMEOUT, fig, serve_app, wait_figure

pytestmark = pytest.mark.browser

N_CLASSES = 1000
VIEWPORT = {"width": 1600, "height": 1000}
DENSE, PRUNED = "synthetic-1000 dense/test", "synthetic-1000 pruned/test"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("many")
    generate(root / "logs", N_CLASSES, 5, seed=0)
    with serve_app(root / "logs", root / "cache", "--poll-seconds", "0") as url:
        yield url, root / "logs"


def classes_in_url(page) -> list[str]:
    return parse_qs(page.evaluate("() => location.search").lstrip("?")).get("c", [])


def matrix_rows(page) -> list[str]:
    """The true classes the drawn ConfusionFlow matrix labels (its FP row left out)."""
    return [t for t in fig(page, "matrix-graph", "gd.layout.yaxis.ticktext") if t != "FP"]


def wait_rows(page, n: int) -> None:
    wait_figure(page, "matrix-graph", f"(gd.layout.yaxis.ticktext || []).length === {n + 1}", timeout=60_000)


# the overview's picture: its PNG decoded in the page ([width, height]) and the drawn <image>
PICTURE = """async () => {
    const gd = document.querySelector('#overview-graph .js-plotly-plot');
    const img = new Image();
    img.src = gd.data[0].source;
    await img.decode();
    const drawn = gd.querySelector('g.im image');
    const box = drawn ? drawn.getBoundingClientRect() : null;
    return [img.naturalWidth, img.naturalHeight, drawn ? drawn.getAttribute('href').slice(0, 22) : null,
            box ? box.width : 0];
}"""


def open_many(page, url: str, query: str) -> None:
    page.set_viewport_size(VIEWPORT)
    page.goto(url + query)
    wait_figure(
        page,
        "overview-graph",
        "gd.data.length > 0 && gd.data[0].type === 'image' && gd.querySelector('g.im image')",
        timeout=90_000,
    )


def hover_cell(page, col: int, row: int) -> dict:
    """Move the mouse over the centre of the cell at (predicted position ``col``, true position
    ``row``) and return the cell plotly reports hovered (a cell is a third of a pixel wide, so it
    may be a neighbour one pixel away)."""
    page.evaluate(
        "() => { window.cfHover = null; document.querySelector('#overview-graph .js-plotly-plot')"
        ".on('plotly_hover', e => { window.cfHover = {x: e.points[0].x, y: e.points[0].y}; }); }"
    )
    at = page.evaluate(
        """([c, r]) => {
            const gd = document.querySelector('#overview-graph .js-plotly-plot');
            const b = gd.getBoundingClientRect(), xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
            return [b.left + xa._offset + xa.l2p(c), b.top + ya._offset + ya.l2p(r)];
        }""",
        [col, row],
    )
    page.mouse.move(at[0] - 30, at[1] - 30)
    page.mouse.move(at[0], at[1])
    page.wait_for_function("() => window.cfHover !== null", timeout=TIMEOUT)
    return page.evaluate("() => window.cfHover")


def drag_box(page, first: float, last: float) -> None:
    """A real mouse drag over the overview from position ``first`` to ``last`` (both axes)."""
    box = page.evaluate(
        """([a, b]) => {
            const gd = document.querySelector('#overview-graph .js-plotly-plot');
            const r = gd.getBoundingClientRect(), xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
            return [r.left + xa._offset + xa.l2p(a), r.top + ya._offset + ya.l2p(a),
                    r.left + xa._offset + xa.l2p(b), r.top + ya._offset + ya.l2p(b)];
        }""",
        [first, last],
    )
    page.mouse.move(box[0], box[1])
    page.mouse.down()
    for f in (0.25, 0.5, 0.75, 1.0):
        page.mouse.move(box[0] + f * (box[2] - box[0]), box[1] + f * (box[3] - box[1]))
    page.mouse.up()


def test_overview_box_strategy_link_and_height(page, served):
    url, logdir = served
    open_many(page, url, f"?s={quote(DENSE)}&s={quote(PRUNED)}")
    trace = fig(page, "overview-graph", "[gd.data[0].x0, gd.data[0].dx, gd.data[0].y0, gd.data[0].dy]")
    assert trace == [0, 1, 0, 1]
    width, height, href, drawn_width = page.evaluate(PICTURE)
    assert (width, height, href) == (N_CLASSES, N_CLASSES, "data:image/png;base64,") and drawn_width > 100
    assert classes_in_url(page) == []

    # the hover: true class, predicted class and value of the hovered cell, from the log itself
    title = fig(page, "overview-graph", "gd.layout.title.text")
    assert f"{DENSE} at step 5 (instances)" in title, title  # counts, the page's default
    counts = load_sparse(logdir, [DENSE, PRUNED])
    shares = normalize(counts.matrix(0, int(np.searchsorted(counts.steps, 5.0))), None)
    row = 100
    col = int(np.argmax(np.where(np.arange(N_CLASSES) == row, -1, shares[row])))  # its largest confusion
    assert shares[row, col] > 0
    got = hover_cell(page, col, row)
    # a screen pixel is three cells and the mouse moves in whole pixels: within one pixel of the aim
    assert abs(got["x"] - col) <= 3 and abs(got["y"] - row) <= 3, (got, col, row)
    true, pred = counts.classes[got["y"]], counts.classes[got["x"]]
    if true == pred:  # the diagonal is not drawn: no tooltip; one pixel further right
        got = hover_cell(page, got["x"] + 3, row)
        true, pred = counts.classes[got["y"]], counts.classes[got["x"]]
    page.wait_for_function(
        "([t, p]) => { const el = document.querySelector('.cf-hover-true');"
        " const pr = document.querySelector('.cf-hover-predicted');"
        " return el && pr && el.textContent === t && pr.textContent === p; }",
        arg=[true, pred],
        timeout=TIMEOUT,
    )
    value = page.inner_text(".cf-hover-value")
    assert value == f"{int(shares[got['y'], got['x']]):,}", (value, got)
    assert page.is_visible(".cf-hover-true")
    page.mouse.move(5, 5)  # away: the tooltip hides
    page.wait_for_function(
        "() => { const el = document.querySelector('.cf-hover-true'); return !el || !el.offsetParent; }",
        timeout=TIMEOUT,
    )

    # a box over positions ~100..~160 (as logged): a contiguous block, capped at 40 classes
    # keep the box plotly reports (what dcc.Graph sends as selectedData.range)
    page.evaluate(
        "() => document.querySelector('#overview-graph .js-plotly-plot')"
        ".on('plotly_selected', e => { if (e && e.range) window.cfBox = e.range; })"
    )
    drag_box(page, 99.75, 159.25)
    page.wait_for_function("() => /&c=/.test(location.search)", timeout=TIMEOUT)
    chosen = classes_in_url(page)
    numbers = [int(c[1:]) for c in chosen]
    assert len(chosen) == 40 and numbers == list(range(numbers[0], numbers[0] + 40))
    # the box as plotly drew it (screen pixels round the drag): its first covered row or column
    rng = page.evaluate("() => window.cfBox")
    first = min(math.ceil(min(rng["x"]) - 0.5), math.ceil(min(rng["y"]) - 0.5))
    assert numbers[0] == first and abs(first - 100) <= 8
    # the message comes in the answer that set the classes, and stays when Plotly later clears
    # its selection (a redraw): wait for it, then check it is still there after the rows are drawn
    page.wait_for_function(
        "() => document.getElementById('strategy-message').textContent.includes('classes in the box')",
        timeout=TIMEOUT,
    )
    wait_rows(page, 40)
    assert matrix_rows(page) == chosen
    assert "classes in the box" in page.inner_text("#strategy-message")

    # a strategy click: the 5 classes of lowest F1 of the first series at the last step
    page.fill("#strategy-k", "5")
    page.click("#strategy-apply")
    page.wait_for_function("() => (location.search.match(/&c=/g) || []).length === 5", timeout=TIMEOUT)
    want = sorted(
        counts.classes[i] for i in apply_strategy(counts, "lowest-f1", 5, series=DENSE, step=5.0).indices
    )
    assert classes_in_url(page) == want
    wait_rows(page, 5)
    assert matrix_rows(page) == want
    assert page.inner_text("#strategy-message").startswith(f"5 classes: lowest F1 of {DENSE} at step 5")

    # the link opens the same view
    link = page.evaluate("() => location.search")
    open_many(page, url, link)
    wait_rows(page, 5)
    assert matrix_rows(page) == want
    assert classes_in_url(page) == want

    # the page does not grow with the class count (1000 classes once made it 11,080 px tall)
    height = page.evaluate("() => document.documentElement.scrollHeight")
    assert height < 2 * VIEWPORT["height"], height


# the overview (or sub-matrix), the detail view and the timeline, with their panels' frames
ONE_SCREEN = """() => {
    const out = {};
    for (const sel of ['#overview-graph', '#matrix-graph', '#detail-graph', '#timeline-graph',
                       '.cf-matrix-panel', '.cf-detail', '.cf-timeline']) {
        const el = document.querySelector(sel);
        const r = el ? el.getBoundingClientRect() : null;
        out[sel] = r && r.height > 0 ? [r.left, r.top, r.right, r.bottom] : null;
    }
    out.height = document.documentElement.scrollHeight;
    return out;
}"""


@pytest.fixture(scope="module")
def small_url(tmp_path_factory):
    from tests.browser.dashboard_logs import write_logs

    logdir = tmp_path_factory.mktemp("small-logs")
    write_logs(logdir)
    with serve_app(logdir, tmp_path_factory.mktemp("small-cache"), "--poll-seconds", "0") as url:
        yield url


def test_the_many_class_page_is_no_taller_than_a_small_one_and_fits_one_screen(page, served, small_url):
    from tests.browser.pages import open_dashboard, wait_stable_plot

    page.set_viewport_size(VIEWPORT)
    open_dashboard(page, small_url)
    for graph in ("matrix-graph", "detail-graph", "timeline-graph", "class-performance-graph"):
        wait_stable_plot(page, graph)
    page.evaluate("() => window.scrollTo(0, 0)")
    small = page.evaluate(ONE_SCREEN)

    url, _ = served
    open_many(page, url, f"?s={quote(DENSE)}&s={quote(PRUNED)}")
    for graph in ("overview-graph", "detail-graph", "timeline-graph", "class-performance-graph"):
        wait_stable_plot(page, graph)
    rows = fig(page, "class-performance-graph", "gd.layout.yaxis.ticktext.length")
    assert rows > 6  # more rows than the small page's: they scroll inside the panel
    page.evaluate("() => window.scrollTo(0, 0)")
    many = page.evaluate(ONE_SCREEN)
    print(
        f"page scrollHeight at 1600x1000: {N_CLASSES} classes {many['height']}, small log {small['height']}"
    )
    assert many["height"] <= small["height"], (many["height"], small["height"])
    # the overview, not the whole matrix panel: the sub-matrix of the selection is drawn under it
    for part in ("#overview-graph", "#detail-graph", "#timeline-graph", ".cf-detail", ".cf-timeline"):
        assert many[part] is not None, part
        left, top, right, bottom = many[part]
        assert left >= 0 and top >= 0 and right <= VIEWPORT["width"] and bottom <= VIEWPORT["height"], (
            part,
            many[part],
        )
    # every class row is still drawn (the caption counts them all), inside a scrolling box
    box = page.evaluate(
        """() => { const el = document.querySelector('.cf-class-perf-rows');
                   return [el.clientHeight, el.scrollHeight, getComputedStyle(el).overflowY]; }"""
    )
    assert box[2] == "auto" and box[1] > box[0], box


def test_the_overview_follows_an_epoch_move(page, served):
    """The range and epoch reach the overview through a store the browser fills only while the
    overview is shown: on a many-class page an epoch move still redraws it at the new step."""
    url, _ = served
    open_many(page, url, f"?s={quote(DENSE)}")
    before = fig(page, "overview-graph", "gd.layout.title.text")
    assert "at step" in before, before
    page.click("#epoch-next")
    page.wait_for_function(
        "() => /step/.test(document.querySelector('#epoch-label').textContent)", timeout=TIMEOUT
    )
    label = page.inner_text("#epoch-label")
    step = label.split("step")[-1].strip().split()[0]
    wait_figure(page, "overview-graph", f"gd.layout.title.text.includes('at step {step} ')", timeout=60_000)
    assert fig(page, "overview-graph", "gd.layout.title.text") != before
