"""A small page mounts no overview graph, and the overview still appears, drawn and working, when a
many-class series is shown on that page later (components/overview_panel.py
``overview_graph_stand_in``, app/callbacks/overview.py). Any console error fails the test."""

from __future__ import annotations

import pytest

from benchmarks.gen_many_classes import generate
from confusionflow.data_access.writer import LogWriter
from tests.browser.pages import TIMEOUT, serve_app, wait_figure
from tests.factories import improving_counts

pytestmark = pytest.mark.browser

GRAPHS = "() => [...document.querySelectorAll('.js-plotly-plot')].map(g => g.parentElement.id || g.id)"


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    root = tmp_path_factory.mktemp("mixed")
    with LogWriter(root / "logs", "alpha", ["cat", "dog", "fox"]) as w:
        for step in (1, 2, 3):
            w.add_counts(step, "test", improving_counts(step))
    keys = generate(root / "logs", 60, 3, seed=0)
    with serve_app(root / "logs", root / "cache", "--poll-seconds", "0") as url:
        yield url, keys


def pick_series(page, label: str) -> None:
    page.click("#series-dropdown")
    page.fill(".dash-dropdown-content .dash-dropdown-search", label)
    page.locator(".dash-dropdown-content .dash-dropdown-option", has_text=label).first.click()
    page.keyboard.press("Escape")


def test_a_small_page_has_no_overview_graph_until_a_many_class_series_is_shown(page, mixed):
    url, keys = mixed
    page.goto(url + "?s=alpha/test")
    wait_figure(page, "matrix-graph", "gd.data.length > 0")
    for graph in ("class-performance-graph", "class-distribution-graph", "detail-graph", "timeline-graph"):
        wait_figure(page, graph, "gd.data.length > 0")
    drawn = page.evaluate(GRAPHS)
    assert len(drawn) == 5, drawn
    assert page.evaluate(
        "() => { const g = document.getElementById('overview-graph');"
        " return [g.tagName, g.hidden, g.childElementCount]; }"
    ) == ["DIV", True, 0]

    # the small series off and a many-class one picked: the overview is mounted, drawn and shown
    many = keys[0].replace("/", " / ")
    pick_series(page, "alpha / test")  # off: one matrix needs one class list
    pick_series(page, many)
    wait_figure(page, "overview-graph", "gd.data.length > 0 && gd.data[0].type === 'heatmap'", timeout=60_000)
    assert page.is_visible("#overview-graph .js-plotly-plot")
    n = page.evaluate(
        "() => document.querySelector('#overview-graph .js-plotly-plot').calcdata[0][0].z.length"
    )
    assert n == 60
    # the new graph is wired: a click on a cell reaches the selection callback, which shows the
    # sub-matrix of the clicked pair
    at = page.evaluate(
        """() => {
            const gd = document.querySelector('#overview-graph .js-plotly-plot');
            const b = gd.getBoundingClientRect(), xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
            return [b.left + xa._offset + xa.l2p(3), b.top + ya._offset + ya.l2p(5)];
        }"""
    )
    page.mouse.click(at[0], at[1])
    page.wait_for_function(
        "() => document.getElementById('matrix-views').className.includes('cf-show-classes')",
        timeout=TIMEOUT,
    )
