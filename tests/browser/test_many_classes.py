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
from confusionflow.components import ids
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
    # the drag switched the panel to the sub-matrix, where the overview was: 40 classes are drawn
    # taller than the screen at legible tiles, so they scroll inside a box that is on screen
    assert view_state(page) == ["false", "true", " (40)"]
    page.evaluate("() => window.scrollTo(0, 0)")
    assert on_screen(page, ".cf-matrix-stage") and not page.is_visible("#overview-graph")
    assert sub_matrix_top_shown(page)
    stage = page.evaluate(
        "() => { const el = document.querySelector('.cf-matrix-stage'); return [el.clientHeight, el.scrollHeight]; }"
    )
    assert stage[1] > stage[0] > 300, stage

    # one click back to the overview; a strategy click there: the 5 classes of lowest F1 of the
    # first series at the last step
    page.click("#view-overview")
    page.wait_for_selector("#strategy-k", state="visible", timeout=TIMEOUT)
    assert view_state(page)[:2] == ["true", "false"] and not page.is_visible("#matrix-graph")
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
    page.evaluate("() => window.scrollTo(0, 0)")
    assert view_state(page) == ["false", "true", " (5)"]
    assert on_screen(page, ".cf-matrix-stage"), page.evaluate(ONE_SCREEN)
    assert sub_matrix_top_shown(page)

    # the link opens the same view: the sub-matrix of those classes, shown
    link = page.evaluate("() => location.search")
    open_many(page, url, link)
    wait_rows(page, 5)
    assert matrix_rows(page) == want
    assert classes_in_url(page) == want
    page.evaluate("() => window.scrollTo(0, 0)")
    assert view_state(page) == ["false", "true", " (5)"]
    assert page.is_visible("#matrix-graph") and not page.is_visible("#overview-panel")
    assert on_screen(page, ".cf-matrix-stage"), page.evaluate(ONE_SCREEN)

    # the page does not grow with the class count (1000 classes once made it 11,080 px tall)
    height = page.evaluate("() => document.documentElement.scrollHeight")
    assert height < 2 * VIEWPORT["height"], height


def view_state(page) -> list[str]:
    """aria-pressed of the Overview and the Selected classes buttons, and the latter's count."""
    return page.evaluate(
        """() => [document.getElementById('view-overview').getAttribute('aria-pressed'),
                  document.getElementById('view-classes').getAttribute('aria-pressed'),
                  document.getElementById('view-classes-count').textContent]"""
    )


def on_screen(page, selector: str) -> bool:
    """Whether the element is drawn (a size) wholly inside the viewport, as the page is scrolled."""
    return page.evaluate(
        """([sel, w, h]) => { const r = document.querySelector(sel).getBoundingClientRect();
                              return r.height > 0 && r.width > 0 && r.left >= 0 && r.top >= 0
                                     && r.right <= w && r.bottom <= h; }""",
        [selector, VIEWPORT["width"], VIEWPORT["height"]],
    )


def sub_matrix_top_shown(page) -> bool:
    """Whether the sub-matrix graph starts at the top of its (scrolling) box, its first rows seen."""
    return page.evaluate(
        """() => { const stage = document.querySelector('.cf-matrix-stage').getBoundingClientRect();
                   const graph = document.getElementById('matrix-graph').getBoundingClientRect();
                   return graph.height > 0 && Math.abs(graph.top - stage.top) < 1; }"""
    )


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


def test_the_sub_matrix_is_on_screen_after_a_box_and_the_overview_comes_back_at_the_epoch(page, served):
    """A box drag switches the matrix panel to the sub-matrix, on screen at 1600x1000 beside the
    detail view and the timeline; an epoch moved meanwhile is the one the overview shows when the
    switch brings it back (the overview sent no request while hidden). Keyboard: Tab reaches the
    switch, Enter presses it."""
    url, _ = served
    open_many(page, url, f"?s={quote(DENSE)}")
    page.evaluate("() => window.scrollTo(0, 0)")
    # the first view: the overview, the sub-matrix hidden, the switch says so
    assert view_state(page) == ["true", "false", " (lowest F1)"]
    assert on_screen(page, "#overview-graph") and not page.is_visible("#matrix-graph")
    before = fig(page, "overview-graph", "gd.layout.title.text")

    # zoomed in on positions 190..230 (as the mode bar's zoom does), a box over a dozen classes
    page.evaluate(
        """() => Plotly.relayout(document.querySelector('#overview-graph .js-plotly-plot'),
                                 {'xaxis.range': [189.5, 230.5], 'yaxis.range': [230.5, 189.5]})"""
    )
    drag_box(page, 199.75, 211.25)
    page.wait_for_function("() => /&c=/.test(location.search)", timeout=TIMEOUT)
    chosen = classes_in_url(page)
    numbers = [int(c[1:]) for c in chosen]
    assert 10 <= len(chosen) <= 14 and numbers == list(range(numbers[0], numbers[0] + len(chosen)))
    wait_rows(page, len(chosen))
    assert matrix_rows(page) == chosen
    assert view_state(page) == ["false", "true", f" ({len(chosen)})"]
    page.evaluate("() => window.scrollTo(0, 0)")
    # the sub-matrix where the overview was, its first rows at the top of its box: the box, the
    # detail view and the timeline on one screen (a taller sub-matrix scrolls inside the box)
    for part in (".cf-matrix-stage", "#detail-graph", "#timeline-graph"):
        assert on_screen(page, part), (part, page.evaluate(ONE_SCREEN))
    assert sub_matrix_top_shown(page) and not page.is_visible("#overview-panel")
    assert on_screen(page, "#view-overview")

    # the epoch moves while the overview is hidden: no request for it, its figure stays as it was
    asked: list[str] = []
    page.on(
        "request",
        lambda r: "_dash-update-component" in r.url and asked.append(r.post_data or ""),
    )
    page.click("#epoch-next")
    page.wait_for_function(
        "() => /step/.test(document.querySelector('#epoch-label').textContent)", timeout=TIMEOUT
    )
    step = page.inner_text("#epoch-label").split("step")[-1].strip().split()[0]
    # the bars count the epoch (redrawn in the browser from the steps their figure carries); the
    # overview's request, had the gate let it through, would have been sent with that store change
    wait_figure(
        page, "class-distribution-graph", f"gd.layout.title.text.includes('step {step}')", timeout=60_000
    )
    assert "last step" not in fig(page, "class-distribution-graph", "gd.layout.title.text")
    assert not [a for a in asked if f"{ids.OVERVIEW_GRAPH}.figure" in a], asked
    assert fig(page, "overview-graph", "gd.layout.title.text") == before

    # back with the keyboard: focus the Overview button, Enter
    page.focus("#view-overview")
    page.keyboard.press("Enter")
    page.wait_for_selector("#overview-graph", state="visible", timeout=TIMEOUT)
    wait_figure(page, "overview-graph", f"gd.layout.title.text.includes('at step {step} ')", timeout=60_000)
    assert len([a for a in asked if f"{ids.OVERVIEW_GRAPH}.figure" in a]) == 1
    assert view_state(page)[:2] == ["true", "false"]
    page.evaluate("() => window.scrollTo(0, 0)")
    assert on_screen(page, "#overview-graph") and not page.is_visible("#matrix-graph")
    # the drawn overview fills its box (it was resized after being hidden)
    width = fig(page, "overview-graph", "gd._fullLayout.width")
    box = page.evaluate("() => document.getElementById('overview-graph').getBoundingClientRect().width")
    assert abs(width - box) <= 2, (width, box)

    # and the sub-matrix again, by its button: still the brushed classes
    page.click("#view-classes")
    page.wait_for_selector("#matrix-graph", state="visible", timeout=TIMEOUT)
    assert matrix_rows(page) == chosen and on_screen(page, ".cf-matrix-stage")
    # redrawn at the new epoch while hidden, it fills its box once shown
    page.wait_for_function(
        """() => { const gd = document.querySelector('#matrix-graph .js-plotly-plot');
                   const w = document.getElementById('matrix-graph').getBoundingClientRect().width;
                   return gd._fullLayout && Math.abs(gd._fullLayout.width - w) <= 2; }""",
        timeout=TIMEOUT,
    )
