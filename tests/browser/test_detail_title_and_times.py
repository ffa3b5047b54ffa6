"""The detail chart in Chromium at the narrowest two-column window: a long title drawn whole on
several lines inside the chart, and hovers that say when a step was logged (known wall times)."""

from __future__ import annotations

from urllib.parse import quote

import numpy as np
import pytest

from tests.browser.pages import TIMEOUT, fig, hover_text_at, serve_app, wait_figure

pytestmark = pytest.mark.browser

T0 = 1_796_047_331.0  # 2026-11-30 14:02:11 UTC
LONG = "golden retriever puppy photographed outdoors in low light"
OTHER = "labrador retriever in snow"
CLASSES = (LONG, OTHER, "cat")
COUNTS = np.array([[50, 30, 20], [10, 80, 10], [5, 5, 90]])


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory):
    from confusionflow.data_access.writer import LogWriter

    root = tmp_path_factory.mktemp("title-logs")
    with LogWriter(root, "run", list(CLASSES), store_instances=False) as w:
        for step, t in ((1, T0), (5, T0 + 190)):
            w.add_counts(step, "val", COUNTS * step, wall_time=t)
    with serve_app(root, tmp_path_factory.mktemp("cache"), "--poll-seconds", "0") as url:
        yield url


def test_a_long_detail_title_is_drawn_whole_inside_the_chart(page, app_url):
    page.set_viewport_size({"width": 1110, "height": 1000})  # two columns, the side one narrowest
    page.goto(app_url + f"?s=run/val&norm=true&detail=fn&dt={quote(LONG)}")
    wait_figure(page, "detail-graph", "gd._fullData.length > 0 && gd._fullLayout.title.text.includes('<br>')")
    full = page.locator("#detail-title").text_content() or ""
    assert LONG in full and full.endswith("share of the true class's instances (row total)")
    page.wait_for_selector("#detail-graph .gtitle", timeout=TIMEOUT)
    drawn = page.evaluate(
        """() => {
            const graph = document.querySelector('#detail-graph .js-plotly-plot');
            const title = graph.querySelector('.gtitle');
            const lines = Array.from(title.querySelectorAll('tspan.line')).map(t => t.textContent);
            const box = title.getBoundingClientRect(), frame = graph.getBoundingClientRect();
            return {lines, left: box.left - frame.left, right: frame.right - box.right,
                    bottom: box.bottom, plotTop: frame.top + graph._fullLayout._size.t};
        }"""
    )
    assert len(drawn["lines"]) >= 3
    assert " ".join(drawn["lines"]) == full  # every word, in order: nothing cut
    assert drawn["left"] >= 0 and drawn["right"] >= 0, drawn  # inside the chart's own width
    assert drawn["bottom"] <= drawn["plotTop"] + 1, drawn  # above the plot, not over it


def test_detail_and_timeline_hovers_say_when_each_step_was_logged(page, app_url):
    page.goto(app_url + "?s=run/val")
    wait_figure(page, "detail-graph", "gd._fullData.length > 0 && gd._fullData[0].x.length === 2")
    accuracy = fig(page, "detail-graph", "Array.from(gd._fullData[0].y)[1]")
    label = hover_text_at(page, "detail-graph", 5, accuracy, "UTC")
    assert "epoch 5 · 2026-11-30 14:05:21 UTC (+3 min 10 s since epoch 1)" in label
    wait_figure(page, "timeline-graph", "gd._fullData.length > 1")
    label = hover_text_at(page, "timeline-graph", 1, accuracy, "UTC")
    assert "2026-11-30 14:02:11 UTC" in label and "since" not in label  # the first timed step
