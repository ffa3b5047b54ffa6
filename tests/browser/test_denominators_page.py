"""What the page says a value is divided by, read in Chromium: the note under the toolbar, the
detail chart's title and axis, the FN hover as the browser draws it, and a class selection's
shares of whole classes. Known counts (Bag on a shifted fold: 879 of its 1,844 predictions are
wrong; 65 of the 1,000 pullovers are predicted as coats)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.browser.pages import TIMEOUT, fig, hover_text_at, serve_app, wait_figure
from tests.factories import write_run

pytestmark = pytest.mark.browser

CLASSES = ("Pullover", "Coat", "Shirt", "Bag")
COUNTS = np.array(
    [[374, 65, 211, 350], [50, 800, 100, 50], [20, 30, 471, 479], [10, 20, 5, 965]], dtype=np.int64
)
ROW = "of the true class's instances (row total)"
COLUMN = "of the class's predictions (column total)"


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("denominator-logs")
    write_run(root, "shifted", CLASSES, counts={"test": {7: COUNTS, 8: COUNTS}})
    with serve_app(root, tmp_path_factory.mktemp("cache"), "--poll-seconds", "0") as url:
        yield url


def text_of(page, element_id: str) -> str:
    page.wait_for_function(
        f"() => (document.getElementById({element_id!r}).textContent || '').length > 0", timeout=TIMEOUT
    )
    return page.locator(f"#{element_id}").text_content() or ""


def test_row_mode_names_each_denominator_where_the_user_reads_it(page, app_url):
    page.goto(app_url + "?s=shifted/test&norm=true&detail=fp&dp=Bag")
    wait_figure(page, "matrix-graph", "gd.data.length > 1")
    note = text_of(page, "matrix-normalization-note")
    assert f"FN: share {ROW}" in note and f"FP: share {COLUMN}" in note
    wait_figure(
        page,
        "detail-graph",
        "gd.data.length > 0 && gd._fullData.length > 0 && gd._fullData[0].y.length === 2",
    )
    assert COLUMN in text_of(page, "detail-title")
    # the axis title as drawn (the figure holds it escaped; the SVG shows the words)
    assert page.locator("#detail-graph .ytitle").text_content() == "share " + COLUMN
    assert fig(page, "detail-graph", "Array.from(gd._fullData[0].y)[1]") == pytest.approx(879 / 1844)
    # the FN tile of Pullover, hovered: a sentence that names the class and its denominator
    fn = "gd._fullData.find(t => t.name === 'false negatives')"
    x = fig(page, "matrix-graph", f"{fn}.x0 + ({fn}.z[0].length - 1) / 2")
    y = fig(page, "matrix-graph", f"{fn}.y0")
    label = hover_text_at(page, "matrix-graph", x, y, "false negatives")
    assert "Pullover: 626 false negatives (instances of Pullover predicted as another class)" in label
    assert f"62.6% {ROW}" in label


def test_a_class_selection_shows_shares_of_the_whole_class(page, app_url):
    page.goto(app_url + "?s=shifted/test&norm=true&c=Pullover&c=Coat&detail=cell&dt=Pullover&dp=Coat")
    wait_figure(
        page,
        "detail-graph",
        "gd.data.length > 0 && gd._fullData.length > 0 && gd._fullData[0].y.length === 2",
    )
    assert fig(page, "detail-graph", "Array.from(gd._fullData[0].y)[1]") == pytest.approx(
        65 / 1000
    )  # not 65 / 439
    assert "not drawn" in text_of(page, "matrix-normalization-note")
    wait_figure(page, "matrix-graph", "gd.data.length > 1")
    shares = fig(
        page,
        "matrix-graph",
        "gd._fullData.find(t => t.name === 'confusion').z.map(r => Array.from(r)).flat()",
    )
    assert any(v is not None and abs(v - 0.065) < 1e-6 for v in shares)
    assert not any(v is not None and abs(v - 65 / 439) < 1e-6 for v in shares)


def test_other_keeps_the_folds_accuracy(page, app_url):
    page.goto(app_url + "?s=shifted/test&c=Pullover&c=Coat&other=1")
    wait_figure(
        page,
        "detail-graph",
        "gd.data.length > 0 && gd._fullData.length > 0 && gd._fullData[0].y.length === 2",
    )
    assert fig(page, "detail-graph", "Array.from(gd._fullData[0].y)[1]") == pytest.approx(
        np.trace(COUNTS) / 4000
    )
    assert "classified correctly" in text_of(page, "detail-title")
    assert "(other) diagonal tile" in text_of(page, "matrix-normalization-note")
    hover = fig(
        page, "matrix-graph", "gd._fullLayout.annotations.filter(a => a.text === '(other)')[0].hovertext"
    )
    assert "confusions with each other" in hover
