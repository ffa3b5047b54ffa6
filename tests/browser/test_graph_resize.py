"""A first view's graphs are drawn once: no autosize relayout after the first plot when a graph's
box has not changed (assets/graph_resize.js), and a real change of size still resizes them."""

from __future__ import annotations

import pytest

from confusionflow.data_access.writer import LogWriter
from tests.browser.pages import TIMEOUT, serve_app, wait_figure
from tests.factories import improving_counts

pytestmark = pytest.mark.browser

GRAPHS = [
    "matrix-graph",
    "class-performance-graph",
    "class-distribution-graph",
    "detail-graph",
    "timeline-graph",
]

# every plotly_relayout of every graph, by graph id, from the moment the graph exists
RELAYOUTS = """() => {
  const seen = window.cfRelayouts = {};
  const hook = () => {
    for (const gd of document.querySelectorAll('.js-plotly-plot')) {
      if (gd.on && !gd.cfHooked) {
        gd.cfHooked = true;
        const id = gd.parentElement.id;
        gd.on('plotly_relayout', (e) => { (seen[id] = seen[id] || []).push(Object.keys(e)); });
      }
    }
  };
  new MutationObserver(hook).observe(document, {subtree: true, childList: true});
}"""

# resolves once the page has had no DOM change for 1 s (a resize would redraw within ~0.2 s)
QUIET = """() => new Promise((resolve) => {
  let last = performance.now();
  const obs = new MutationObserver(() => { last = performance.now(); });
  obs.observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
  const tick = () => {
    if (performance.now() - last >= 1000) { obs.disconnect(); resolve(); } else { setTimeout(tick, 100); }
  };
  tick();
})"""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("resize")
    with LogWriter(root / "logs", "alpha", ["cat", "dog", "fox"]) as w:
        for step in (1, 2, 3, 4):
            w.add_counts(step, "test", improving_counts(step))
    with serve_app(root / "logs", root / "cache", "--poll-seconds", "0") as url:
        yield url


def test_the_first_view_is_not_relaid_out_and_a_narrower_window_still_resizes(page, served):
    page.add_init_script(f"({RELAYOUTS})()")
    page.goto(served + "?s=alpha/test")
    for graph in GRAPHS:
        wait_figure(page, graph, "gd.data.length > 0")
    page.evaluate(QUIET)
    assert page.evaluate("() => window.cfRelayouts") == {}
    assert page.evaluate(
        "() => typeof window.Plotly.Plots.resize === 'function' && window.Plotly.Plots.resize.cfSameSize"
    )

    width = page.evaluate("() => document.querySelector('#matrix-graph .js-plotly-plot')._fullLayout.width")
    page.set_viewport_size({"width": 1200, "height": 1100})
    page.wait_for_function(
        f"() => document.querySelector('#matrix-graph .js-plotly-plot')._fullLayout.width < {width} - 20",
        timeout=TIMEOUT,
    )
    resized = page.evaluate("() => window.cfRelayouts")
    assert ["autosize"] in resized.get("matrix-graph", []), resized
    # the drawn graph fills its new box
    assert page.evaluate(
        "() => { const gd = document.querySelector('#matrix-graph .js-plotly-plot');"
        " return Math.abs(gd._fullLayout.width - parseFloat(getComputedStyle(gd).width)) <= 1; }"
    )
