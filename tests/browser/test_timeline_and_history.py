"""The timeline as a user drives it, and the browser's Back and Forward.

Real mouse and keyboard events in headless Chromium on the dashboard's test logs (20 steps): a
click on the chart focuses the timeline so ← → move the epoch; a drag that ends exactly on a step
keeps it; a click beside the range keeps the epoch inside it; a double-click resets the range;
deliberate view changes are history entries that Back and Forward step through; until the
server has answered, every chart says the view is loading.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.dashboard_logs import write_logs
from tests.browser.pages import LINE_TRACE, TIMEOUT, fig, open_dashboard, serve_app, wait_figure
from tests.browser.test_dashboard import axis_point, click_at, click_radio, query, wait_query

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory):
    root: Path = tmp_path_factory.mktemp("timeline-logs")
    write_logs(root)
    with serve_app(root, tmp_path_factory.mktemp("cache")) as url:
        yield url


def wait_label(page, element_id: str, text: str) -> None:
    page.wait_for_function(
        f"() => document.getElementById({element_id!r}).textContent === {text!r}", timeout=TIMEOUT
    )


def timeline_y(page) -> float:
    _, y = axis_point(page, "timeline-graph", 1, 0.5, yaxis="yaxis2")
    return y


def test_a_click_on_the_timeline_lets_the_arrow_keys_move_the_epoch(page, app_url):
    open_dashboard(page, app_url)
    x, y = axis_point(page, "timeline-graph", 7, 0.5, yaxis="yaxis2")
    click_at(page, x, y)
    wait_label(page, "epoch-label", "step 7")
    # no button was touched: the click itself gave the timeline the keyboard, as its hint says
    assert page.evaluate("document.activeElement.closest('.cf-timeline') !== null")
    page.keyboard.press("ArrowRight")
    wait_label(page, "epoch-label", "step 8")
    page.keyboard.press("ArrowLeft")
    wait_label(page, "epoch-label", "step 7")
    page.keyboard.press("ArrowLeft")
    wait_label(page, "epoch-label", "step 6")
    page.keyboard.press("Escape")
    wait_label(page, "epoch-label", "none")


def test_drag_onto_steps_keeps_them_epoch_stays_inside_and_double_click_resets(page, app_url):
    open_dashboard(page, app_url)
    x0, y = axis_point(page, "timeline-graph", 4, 0.5, yaxis="yaxis2")
    x1, _ = axis_point(page, "timeline-graph", 10, 0.5, yaxis="yaxis2")
    y -= 20
    page.mouse.move(x0, y)
    page.mouse.down()
    page.mouse.move((x0 + x1) / 2, y, steps=5)
    page.mouse.move(x1, y, steps=5)
    page.mouse.up()
    wait_label(page, "step-range-label", "Steps 4–10 (7 of 20)")
    wait_query(page, "to", "10")

    # a click right of the range: the epoch goes to the range's last step, drawn in every view
    x, _ = axis_point(page, "timeline-graph", 15, 0.5, yaxis="yaxis2")
    click_at(page, x, y)
    wait_label(page, "epoch-label", "step 10")
    wait_query(page, "epoch", "10")
    wait_figure(page, "timeline-graph", "gd._fullLayout.shapes.some(s => s.x0 === 10 && s.type === 'line')")
    wait_figure(page, "detail-graph", "gd._fullLayout.shapes.some(s => s.x0 === 10)")
    assert "not logged" not in fig(page, "class-distribution-graph", "gd._fullLayout.title.text || ''")

    # a double-click on the chart asks for every step again
    page.wait_for_timeout(400)
    page.mouse.dblclick(x, y)
    wait_label(page, "step-range-label", "All 20 steps (1–20)")
    wait_query(page, "from", None)


def test_back_and_forward_step_through_deliberate_changes(page, app_url):
    open_dashboard(page, app_url)
    wait_query(page, "s", "dense/test")
    start = page.evaluate("history.length")
    first = page.url

    click_radio(page, "matrix-encoding", "lines")
    wait_query(page, "enc", "lines")
    click_radio(page, "matrix-normalization", "% of all instances")
    wait_query(page, "norm", "all")
    x, y = axis_point(page, "timeline-graph", 5, 0.5, yaxis="yaxis2")
    click_at(page, x, y)
    wait_query(page, "epoch", "5")
    assert page.evaluate("history.length") == start + 3
    last = page.url

    page.go_back()
    wait_query(page, "epoch", None)
    wait_label(page, "epoch-label", "none")
    assert query(page)["norm"] == ["all"]
    page.go_back()
    wait_query(page, "norm", "true")
    page.wait_for_function(
        "() => document.querySelector('#matrix-normalization label.selected').textContent"
        " === '% of true class (row)'",
        timeout=TIMEOUT,
    )
    page.go_back()
    wait_query(page, "enc", None)
    wait_figure(
        page,
        "matrix-graph",
        f"gd.data.some(t => t.type === 'heatmap') && gd.data.filter({LINE_TRACE}).length === 0",
    )
    assert page.url == first
    # restoring pushed nothing: Forward still holds every step, back to the last view
    assert page.evaluate("history.length") == start + 3
    page.go_forward()
    wait_query(page, "enc", "lines")
    wait_figure(page, "matrix-graph", f"gd.data.filter({LINE_TRACE}).length > 0")
    page.go_forward()
    page.go_forward()
    wait_query(page, "epoch", "5")
    wait_label(page, "epoch-label", "step 5")
    assert page.url == last
    assert page.evaluate("history.length") == start + 3


CHARTS = (
    "matrix-graph",
    "detail-graph",
    "class-performance-graph",
    "class-distribution-graph",
    "timeline-graph",
)
LOADING = "Loading the view"


def says_loading(page, graph_id: str) -> bool:
    """Whether a chart tells the user it is loading (its placeholder figure, or the style shown
    before Plotly has drawn anything)."""
    return page.evaluate(
        f"""() => {{
            const el = document.getElementById({graph_id!r});
            if (!el) return false;
            const before = getComputedStyle(el, '::before').content || '';
            return (el.textContent || '').includes({LOADING!r}) || before.includes({LOADING!r});
        }}"""
    )


# the plotly.js bundle: the layout carries every view's first figure (app/first_figures.py), so
# what a page shows before its charts are drawn is what it shows until this script has run
PLOTLY_BUNDLE = re.compile(r".*/assets/vendor/plotly-cartesian-[^/]*$")


class HeldPlotly:
    """The page's own (deferred) plotly.js tag gets an empty script, so the document finishes
    parsing and the layout mounts; dcc.Graph, finding no plotly.js, then asks for the bundle
    itself, and that request is held until :meth:`release`."""

    def __init__(self, page) -> None:
        self.routes: list = []
        self.released = False
        self.stubbed = False
        page.route(PLOTLY_BUNDLE, self._hold)

    def _hold(self, route) -> None:
        if not self.stubbed:
            self.stubbed = True
            route.fulfill(status=200, content_type="text/javascript", body="/* plotly.js comes later */")
        elif self.released:
            route.continue_()
        else:
            self.routes.append(route)

    def release(self) -> None:
        self.released = True
        for route in self.routes:
            route.continue_()


def test_charts_say_the_view_is_loading_until_their_first_figure(page, app_url):
    # hold plotly.js: the page shows what it shows before any chart can be drawn
    updates = HeldPlotly(page)
    page.goto(app_url)
    page.wait_for_selector("#matrix-graph", timeout=TIMEOUT)
    charts = " && ".join(f"document.getElementById({g!r})" for g in CHARTS)
    page.wait_for_function(f"() => Boolean({charts})", timeout=TIMEOUT)
    for _ in range(150):  # the handler runs while Playwright waits
        if updates.routes:
            break
        page.wait_for_timeout(200)
    assert updates.routes, "the graphs asked for plotly.js"
    page.wait_for_timeout(500)
    assert [g for g in CHARTS if not says_loading(page, g)] == []
    # past the spinner's delay the note stays on screen under it (Dash would hide a Loading's
    # children while it spins, leaving the panel blank but for the spinner)
    assert [g for g in CHARTS if not page.is_visible(f"#{g}")] == []
    updates.release()
    # once plotly.js has run, every chart replaces the note with its first figure
    for graph in CHARTS:
        page.wait_for_function(
            f"() => !document.getElementById({graph!r}).textContent.includes({LOADING!r})", timeout=TIMEOUT
        )
    wait_figure(page, "matrix-graph", "gd.data.length > 0")


def rect(page, selector: str) -> dict:
    """The element's box once the page around it has stopped moving (two equal reads 250 ms apart)."""
    read = (
        f"() => {{ const r = document.querySelector({selector!r}).getBoundingClientRect(); "
        "return {x: r.x, y: r.y, width: r.width, height: r.height}; }"
    )
    last = page.evaluate(read)
    for _ in range(40):
        page.wait_for_timeout(250)
        now = page.evaluate(read)
        if now == last:
            return now
        last = now
    return last


def test_the_matrix_shows_as_a_picture_before_its_figure_and_on_the_same_pixels(page, app_url):
    updates = HeldPlotly(page)
    page.goto(app_url)
    # before plotly.js has run, the matrix is already on screen: the picture the layout carries
    page.wait_for_selector("#matrix-preview", state="visible", timeout=TIMEOUT)
    page.wait_for_function(
        "() => { const i = document.getElementById('matrix-preview'); return i.complete && i.naturalWidth > 0; }",
        timeout=TIMEOUT,
    )
    picture = rect(page, "#matrix-preview")
    assert picture["width"] > 100 and picture["height"] > 100
    assert [g for g in CHARTS if g != "matrix-graph" and not says_loading(page, g)] == []
    updates.release()
    # once the figure is drawn the picture goes, and the figure's plot area is where it was
    wait_figure(page, "matrix-graph", "gd.data.length > 0")
    page.wait_for_function(
        "() => getComputedStyle(document.getElementById('matrix-preview')).display === 'none'",
        timeout=TIMEOUT,
    )
    plot = rect(page, "#matrix-graph .nsewdrag")
    for key in ("x", "y", "width", "height"):
        assert abs(plot[key] - picture[key]) <= 2, (key, plot, picture)


class HeldScripts:
    """Every request for Dash's component scripts held until :meth:`release`: the page's HTML
    and style sheet arrive, but nothing of Dash runs."""

    def __init__(self, page) -> None:
        self.routes: list = []
        self.released = False
        page.route("**/_dash-component-suites/**", self._hold)

    def _hold(self, route) -> None:
        if self.released:
            route.continue_()
        else:
            self.routes.append(route)

    def release(self) -> None:
        self.released = True
        for route in self.routes:
            route.continue_()


FIRST_PAINT_PICTURE = ".cf-first-paint img.cf-matrix-preview"


@pytest.mark.parametrize("query", ["", "?s=dense/test&norm=abs&scale=log&from=3&to=12"])
def test_the_matrix_is_on_screen_from_the_page_html_before_dash_runs(page, app_url, query):
    scripts = HeldScripts(page)
    page.goto(app_url + query, wait_until="commit")
    page.wait_for_selector(FIRST_PAINT_PICTURE, state="visible", timeout=TIMEOUT)
    page.wait_for_function(
        f"() => {{ const i = document.querySelector({FIRST_PAINT_PICTURE!r}); "
        "return i.complete && i.naturalWidth > 0; }",
        timeout=TIMEOUT,
    )
    # nothing of Dash has run: no renderer, no layout mounted, and its scripts are still held
    assert page.evaluate("() => typeof window.DashRenderer === 'undefined' && !window.dash_clientside")
    assert page.locator("#react-entry-point .cf-page").count() == 0
    assert scripts.routes, "the page asked for Dash's scripts"
    # Dash's "Loading..." is not shown over the copy; the copy says what it shows
    assert not page.is_visible("#react-entry-point ._dash-loading")
    caption = page.locator(".cf-first-paint .cf-matrix-views > .cf-caption").inner_text()
    assert "Rows: true class" in caption
    if query:  # the view of the link, not the default one
        assert "1 series · steps 3–12 · values: absolute" in caption
    picture = rect(page, FIRST_PAINT_PICTURE)
    assert picture["width"] > 100 and picture["height"] > 100
    scripts.release()
    # the live page replaces the copy, and the figure's plot area is drawn where the picture was
    wait_figure(page, "matrix-graph", "gd.data.length > 0")
    page.wait_for_function("() => !document.querySelector('.cf-first-paint')", timeout=TIMEOUT)
    plot = rect(page, "#matrix-graph .nsewdrag")
    for key in ("x", "y", "width", "height"):
        assert abs(plot[key] - picture[key]) <= 2, (key, plot, picture)
