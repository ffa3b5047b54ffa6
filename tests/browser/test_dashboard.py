"""The dashboard in headless Chromium: every view, every interaction, shared URLs.

One app process serves the whole module (started with ``python -m confusionflow.app`` on small real logs); each
test opens a fresh page, and the ``page`` fixture fails the test on any browser console error.
Figures are read from the Plotly graph divs (``gd.data``, ``gd._fullLayout``), clicks and drags
are real mouse events at positions computed from the axes.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.dashboard_logs import CLASSES, write_logs
from tests.browser.pages import (
    COLOUR_BAR,
    LINE_TRACE,
    TIMEOUT,
    fig,
    matrix_tile_point,
    open_dashboard,
    serve_app,
    wait_figure,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def logdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dashboard-logs")
    write_logs(root)
    return root


@pytest.fixture(scope="module")
def app_url(logdir: Path, tmp_path_factory: pytest.TempPathFactory):
    """One app process for the module (reused by every test)."""
    with serve_app(logdir, tmp_path_factory.mktemp("cache"), "--poll-seconds", "1") as url:
        yield url


# ----------------------------------------------------------------------------- page helpers
def query(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def wait_query(page, key: str, value: str | None) -> None:
    """Wait until the URL's ``key`` has ``value`` (None: absent)."""
    if value is None:
        page.wait_for_function(f"() => !new URLSearchParams(location.search).has({key!r})", timeout=TIMEOUT)
    else:
        page.wait_for_function(
            f"() => new URLSearchParams(location.search).getAll({key!r}).includes({value!r})", timeout=TIMEOUT
        )


def chips(page) -> list[tuple[str, str]]:
    """(label, colour) of each series chip, in order."""
    return page.eval_on_selector_all(
        ".cf-chip", "els => els.map(e => [e.querySelector('.cf-chip-label').textContent, e.dataset.color])"
    )


def toggle_option(page, dropdown_id: str, label: str) -> None:
    """Open a dropdown, search for ``label``, click it, close the dropdown."""
    page.click(f"#{dropdown_id}")
    page.fill(".dash-dropdown-content .dash-dropdown-search", label)
    page.locator(".dash-dropdown-content .dash-dropdown-option", has_text=label).first.click()
    page.keyboard.press("Escape")
    page.wait_for_selector(".dash-dropdown-content", state="detached", timeout=TIMEOUT)


def click_radio(page, group_id: str, label: str) -> None:
    page.locator(f"#{group_id} label", has_text=label).first.click()


def axis_point(page, graph_id: str, x: float, y: float, xaxis: str = "xaxis", yaxis: str = "yaxis"):
    """Viewport coordinates of data point (x, y) (categorical axes: category index), after
    scrolling the chart into view (a mouse event outside the viewport reaches nothing)."""
    return page.evaluate(
        f"""() => {{
            const gd = document.getElementById({graph_id!r}).querySelector('.js-plotly-plot');
            gd.scrollIntoView({{block: 'center', behavior: 'instant'}});
            const box = gd.getBoundingClientRect();
            const xa = gd._fullLayout[{xaxis!r}], ya = gd._fullLayout[{yaxis!r}];
            return [box.left + xa._offset + xa.l2p({x}), box.top + ya._offset + ya.l2p({y})];
        }}"""
    )


def wait_text(page, element_id: str, text: str) -> None:
    """Wait until the element's text contains ``text``."""
    page.wait_for_function(
        f"() => (document.getElementById({element_id!r}).textContent || '').includes({text!r})",
        timeout=TIMEOUT,
    )


def click_at(page, x: float, y: float) -> None:
    """A single click. Plotly reads two clicks within 300 ms as a double-click (which resets the
    zoom instead of clicking), so successive clicks on one chart are spaced out."""
    time.sleep(0.4)
    page.mouse.click(x, y)


def detail_title(page) -> str:
    return page.locator("#detail-title").text_content()


def visible_state(page) -> dict[str, Any]:
    """What a user reads of the view: series chips, step range, epoch, matrix caption, detail title."""
    return {
        "chips": [label for label, _ in chips(page)],
        "range": page.locator("#step-range-label").text_content(),
        "epoch": page.locator("#epoch-label").text_content(),
        "caption": page.locator("#matrix-caption").text_content(),
        "detail": detail_title(page),
    }


def screenshot(page, name: str) -> None:
    """Save a screenshot when ``CONFUSIONFLOW_SCREENSHOTS`` names a folder (tests never write into
    the repository by themselves)."""
    folder = os.environ.get("CONFUSIONFLOW_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), full_page=True)


# ----------------------------------------------------------------------------- tests
def test_page_opens_with_first_runs_folds_and_lists_broken_logs(page, app_url):
    open_dashboard(page, app_url)
    assert [label for label, _ in chips(page)] == ["dense / test", "dense / train"]
    assert detail_title(page).startswith("Overall accuracy")
    wait_query(page, "s", "dense/test")
    assert query(page)["s"] == ["dense/test", "dense/train"]
    # train holds 3x the instances of test: the first view compares them relative to the true class
    wait_query(page, "norm", "true")
    assert page.locator("#matrix-normalization label.selected").text_content() == "% of true class (row)"
    # the broken run is named in a collapsible alert, never a traceback
    alert = page.locator("#load-problems details")
    assert "1 log could not be loaded" in alert.locator("summary").text_content()
    alert.locator("summary").click()
    assert "broken" in alert.locator("li").first.text_content()
    assert "Traceback" not in page.content()
    # every view drew: 2 series in the timeline, a detail line per series, bars per series
    assert fig(page, "timeline-graph", "gd.data.filter(t => t.type === 'scatter').length") == 2
    wait_figure(page, "detail-graph", "gd.data.length === 2")
    wait_figure(page, "class-distribution-graph", "gd.data.length === 2")
    assert page.locator("#step-range-label").text_content() == "All 20 steps (1–20)"
    screenshot(page, "dashboard-default.png")


def test_pick_and_remove_series_keeps_colours(page, app_url):
    open_dashboard(page, app_url)
    before = dict(chips(page))
    toggle_option(page, "series-dropdown", "pruned / test")
    page.wait_for_function("() => document.querySelectorAll('.cf-chip').length === 3", timeout=TIMEOUT)
    after_add = dict(chips(page))
    assert {k: after_add[k] for k in before} == before  # nobody was recoloured
    assert after_add["pruned / test"] not in before.values()
    wait_figure(page, "timeline-graph", "gd.data.filter(t => t.type === 'scatter').length === 3")
    # remove the first chip with its ×: the others keep their colours
    page.click(".cf-chip[data-key='dense/test'] .cf-chip-remove")
    page.wait_for_function("() => document.querySelectorAll('.cf-chip').length === 2", timeout=TIMEOUT)
    after_remove = dict(chips(page))
    assert after_remove == {k: after_add[k] for k in ("dense / train", "pruned / test")}
    page.wait_for_function(
        "() => new URLSearchParams(location.search).getAll('s').join() === 'dense/train,pruned/test'",
        timeout=TIMEOUT,
    )
    wait_figure(page, "timeline-graph", "gd.data.filter(t => t.type === 'scatter').length === 2")


def test_series_with_other_classes_are_refused_by_name(page, app_url):
    open_dashboard(page, app_url)
    toggle_option(page, "series-dropdown", "letters / test")
    message = page.locator("#series-message")
    message.wait_for(state="visible", timeout=TIMEOUT)
    assert "letters / test" in message.text_content()
    assert "different class list" in message.text_content()
    assert [label for label, _ in chips(page)] == ["dense / test", "dense / train"]


def test_toolbar_changes_encoding_rotation_values_scale_and_gamma(page, app_url):
    open_dashboard(page, app_url)
    history = page.evaluate("history.length")
    n_heat = fig(page, "matrix-graph", "gd.data.filter(t => t.type === 'heatmap').length")
    assert n_heat > 0 and fig(page, "matrix-graph", f"gd.data.filter({LINE_TRACE}).length") == 0
    # heatmap mode still has its colour bars: one marker-only scatter per value scale
    assert fig(page, "matrix-graph", f"gd.data.filter({COLOUR_BAR}).map(t => t.name)") == [
        "cells scale",
        "FN / FP scale",
        "accuracy scale",
    ]

    click_radio(page, "matrix-encoding", "lines")
    wait_figure(page, "matrix-graph", f"gd.data.filter({LINE_TRACE}).length > 0")
    wait_query(page, "enc", "lines")
    click_radio(page, "matrix-encoding", "heatmap")
    wait_figure(page, "matrix-graph", f"gd.data.filter({LINE_TRACE}).length === 0")
    wait_query(page, "enc", None)

    # rotated strips: time runs down the tiles, so the y axis gets many more categories
    rows_before = fig(page, "matrix-graph", "gd._fullLayout.yaxis._categories.length")
    page.locator("#matrix-rotate label").click()
    wait_query(page, "rot", "1")
    wait_figure(page, "matrix-graph", f"gd._fullLayout.yaxis._categories.length !== {rows_before}")

    click_radio(page, "matrix-normalization", "% of true class (row)")
    wait_query(page, "norm", "true")
    wait_text(page, "matrix-normalization-note", "FP: share of the class's predictions (column total)")
    wait_text(page, "matrix-caption", "% of true class (row)")
    click_radio(page, "matrix-normalization", "% of all instances")
    wait_query(page, "norm", "all")

    scale_before = fig(page, "matrix-graph", "JSON.stringify(gd.data.map(t => t.colorscale || null))")
    click_radio(page, "matrix-scale", "log")
    wait_query(page, "scale", "log")
    wait_figure(
        page, "matrix-graph", f"JSON.stringify(gd.data.map(t => t.colorscale || null)) !== {scale_before!r}"
    )

    # gamma: keyboard on the slider handle (ArrowLeft lowers it one step of 0.05)
    before = fig(page, "matrix-graph", "JSON.stringify(gd.data.map(t => t.colorscale || null))")
    page.locator("#matrix-gamma [role='slider']").focus()
    for _ in range(4):
        page.keyboard.press("ArrowLeft")
    wait_query(page, "gamma", "0.8")
    wait_figure(
        page, "matrix-graph", f"JSON.stringify(gd.data.map(t => t.colorscale || null)) !== {before!r}"
    )
    screenshot(page, "dashboard-rotated-log.png")
    # the address bar followed every change; the encoding (twice) and the normalisation (to "% of
    # all": "% of true class" was already shown) pushed history entries, rotation, scale and
    # contrast replaced the current one
    assert page.evaluate("history.length") == history + 3


def test_class_selection_keeps_at_least_two(page, app_url):
    open_dashboard(page, app_url)
    toggle_option(page, "class-dropdown", "cat")
    toggle_option(page, "class-dropdown", "dog")
    wait_query(page, "c", "dog")
    assert query(page)["c"] == ["cat", "dog"]
    page.wait_for_function(
        "() => document.getElementById('matrix-caption').textContent.includes('2 classes')", timeout=TIMEOUT
    )
    wait_figure(page, "class-distribution-graph", "gd.data[0].x.length === 2")
    # removing one of the two is refused, with a visible message; the choice stays
    toggle_option(page, "class-dropdown", "dog")
    message = page.locator("#class-message")
    message.wait_for(state="visible", timeout=TIMEOUT)
    assert "at least two classes" in message.text_content()
    assert query(page)["c"] == ["cat", "dog"]
    assert "2 classes" in page.locator("#matrix-caption").text_content()
    # with the rest merged into "(other)" nothing is lost: three rows
    page.locator("#class-options label", has_text="(other)").click()
    wait_query(page, "other", "1")
    page.wait_for_function(
        "() => document.getElementById('matrix-caption').textContent.includes('3 classes')", timeout=TIMEOUT
    )
    # superclasses come from the run's metadata: a one-level hierarchy of the level control
    page.click("#class-level")
    page.locator(
        ".dash-dropdown-content .dash-dropdown-option", has_text="superclasses (2 groups)"
    ).first.click()
    wait_query(page, "level", "1")
    wait_figure(page, "class-distribution-graph", "gd.data[0].x.join() === 'vehicle,animal'")


OUTLINE = "detail-tile"  # components/matrix/outline.py OUTLINE_NAME


def outlined_tile(column: int, row: int) -> str:
    """JS condition: the matrix has one outline, and it encloses the centre of tile (column, row)
    (the drawn axes' tick positions) and no neighbouring tile's centre."""
    return f"""(() => {{
        const outlines = gd.layout.shapes.filter(s => s.name === {OUTLINE!r});
        if (outlines.length !== 1) return false;
        const o = outlines[0], xs = gd._fullLayout.xaxis.tickvals, ys = gd._fullLayout.yaxis.tickvals;
        const inside = (v, a, b) => Math.min(a, b) < v && v < Math.max(a, b);
        return xs.every((x, j) => inside(x, o.x0, o.x1) === (j === {column}))
            && ys.every((y, i) => inside(y, o.y0, o.y1) === (i === {row}));
    }})()"""


def test_clicking_matrix_tiles_and_class_charts_fills_the_detail_view(page, app_url):
    open_dashboard(page, app_url)
    wait_text(page, "detail-title", "Overall accuracy")
    # cell (true "cat", pred "dog"): column 5, row 3, in the middle of the tile as drawn
    x, y = matrix_tile_point(page, 5, 3)
    click_at(page, x, y)
    page.wait_for_function(
        "() => document.getElementById('detail-title').textContent.startsWith('True class “cat” predicted as “dog”')",
        timeout=TIMEOUT,
    )
    wait_figure(page, "detail-graph", "gd._fullLayout.title.text.startsWith('True class “cat”')")
    wait_query(page, "detail", "cell")
    assert query(page)["dt"] == ["cat"] and query(page)["dp"] == ["dog"]
    # the tile the detail view shows is outlined in the matrix, and only that one
    wait_figure(page, "matrix-graph", outlined_tile(5, 3))
    # the FN tile of "bird" (the extra column), then the accuracy corner
    x, y = matrix_tile_point(page, len(CLASSES), 2)
    click_at(page, x, y)
    page.wait_for_function(
        "() => document.getElementById('detail-title').textContent.startsWith('False negatives of class “bird”')",
        timeout=TIMEOUT,
    )
    wait_figure(page, "matrix-graph", outlined_tile(len(CLASSES), 2))
    # a class-performance tile: recall of "car" (row 1 of the recall subplot, mid-range)
    box = page.locator("#class-performance-graph .nsewdrag[data-subplot='x2y']").bounding_box()
    mid = fig(
        page,
        "class-performance-graph",
        "(gd._fullLayout.xaxis2.range[0] + gd._fullLayout.xaxis2.range[1]) / 2",
    )
    px, py = axis_point(page, "class-performance-graph", mid, 1.28 + 0.5, xaxis="xaxis2")
    assert box["x"] <= px <= box["x"] + box["width"]
    click_at(page, px, py)
    page.wait_for_function(
        "() => document.getElementById('detail-title').textContent === 'Recall of class “car”'",
        timeout=TIMEOUT,
    )
    # a class-performance metric is no tile of the matrix: no outline there
    wait_figure(page, "matrix-graph", f"!gd.layout.shapes.some(s => s.name === {OUTLINE!r})")
    page.click("#detail-reset")
    page.wait_for_function(
        "() => document.getElementById('detail-title').textContent.startsWith('Overall accuracy')",
        timeout=TIMEOUT,
    )
    wait_query(page, "detail", None)
    wait_figure(page, "matrix-graph", outlined_tile(len(CLASSES), len(CLASSES)))  # overall accuracy


def test_timeline_brush_zooms_every_view_and_slider_follows(page, app_url):
    open_dashboard(page, app_url)
    wait_figure(page, "detail-graph", "gd.data.length === 2")
    x0, y = axis_point(page, "timeline-graph", 4.6, 0, yaxis="yaxis2")
    x1, _ = axis_point(page, "timeline-graph", 12.4, 0, yaxis="yaxis2")
    y -= 30
    page.mouse.move(x0, y)
    page.mouse.down()
    page.mouse.move((x0 + x1) / 2, y, steps=5)
    page.mouse.move(x1, y, steps=5)
    page.mouse.up()
    page.wait_for_function(
        "() => document.getElementById('step-range-label').textContent === 'Steps 5–12 (8 of 20)'",
        timeout=TIMEOUT,
    )
    wait_query(page, "from", "5")
    assert query(page)["to"] == ["12"]
    # the slider shows the same range (positions 4..11 of the 20 steps)
    page.wait_for_function(
        """() => [...document.querySelectorAll('#range-slider [role=slider]')]
                 .map(e => e.getAttribute('aria-valuenow')).join() === '4,11'""",
        timeout=TIMEOUT,
    )
    # the matrix is rebuilt on steps 5-12; the line charts zoom their x axes
    page.wait_for_function(
        "() => document.getElementById('matrix-caption').textContent.includes('steps 5–12')", timeout=TIMEOUT
    )
    wait_figure(
        page, "detail-graph", "gd._fullLayout.xaxis.range[0] > 4.5 && gd._fullLayout.xaxis.range[1] < 12.5"
    )
    wait_figure(
        page,
        "class-performance-graph",
        "gd._fullLayout.annotations.some(a => a.text.includes('5–12'))",
    )
    wait_figure(
        page,
        "timeline-graph",
        "gd._fullLayout.shapes.some(s => s.type === 'rect' && s.x0 === 5 && s.x1 === 12)",
    )
    # the timeline itself keeps showing every step (it is the overview)
    assert fig(
        page, "timeline-graph", "gd._fullLayout.xaxis.range[0] < 1 && gd._fullLayout.xaxis.range[1] > 20"
    )

    # moving the slider's right handle with the keyboard: every view follows the same way
    page.locator("#range-slider [role='slider']").nth(1).focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "() => document.getElementById('step-range-label').textContent === 'Steps 5–13 (9 of 20)'",
        timeout=TIMEOUT,
    )
    wait_figure(
        page, "detail-graph", "gd._fullLayout.xaxis.range[1] > 13 && gd._fullLayout.xaxis.range[1] < 13.5"
    )
    wait_figure(page, "timeline-graph", "gd._fullLayout.shapes.some(s => s.type === 'rect' && s.x1 === 13)")

    page.click("#full-range-button")
    page.wait_for_function(
        "() => document.getElementById('step-range-label').textContent.startsWith('All 20 steps')",
        timeout=TIMEOUT,
    )
    wait_query(page, "from", None)
    wait_figure(
        page, "detail-graph", "gd._fullLayout.xaxis.range[0] < 1 && gd._fullLayout.xaxis.range[1] > 20"
    )


def test_epoch_marks_every_view_and_clears(page, app_url):
    open_dashboard(page, app_url)
    click_radio(page, "matrix-encoding", "lines")
    wait_figure(page, "matrix-graph", "gd.data.filter(t => t.type === 'scatter').length > 0")
    x, y = axis_point(page, "timeline-graph", 7, 0.5, yaxis="yaxis2")
    click_at(page, x, y)
    page.wait_for_function(
        "() => document.getElementById('epoch-label').textContent === 'step 7'", timeout=TIMEOUT
    )
    wait_query(page, "epoch", "7")
    dashed = "gd._fullLayout.shapes.some(s => s.line && s.line.dash === 'dash')"
    for graph in ("matrix-graph", "detail-graph", "class-performance-graph", "timeline-graph"):
        wait_figure(page, graph, dashed)
    wait_figure(page, "detail-graph", "gd._fullLayout.shapes.some(s => s.x0 === 7)")
    # in line mode the epoch's values fill the cell backgrounds
    wait_figure(
        page,
        "matrix-graph",
        "gd.data.filter(t => t.type === 'heatmap').some(t => Array.from(t.z || []).some(row => Array.from(row).some(v => v > 0)))",
    )
    assert "7" in page.locator("#class-distribution-graph .gtitle").text_content()
    screenshot(page, "dashboard-lines-epoch.png")
    page.click("#epoch-next")
    page.wait_for_function(
        "() => document.getElementById('epoch-label').textContent === 'step 8'", timeout=TIMEOUT
    )
    # the keyboard, with the timeline focused: → moves on, Esc clears
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "() => document.getElementById('epoch-label').textContent === 'step 9'", timeout=TIMEOUT
    )
    page.keyboard.press("Escape")
    page.wait_for_function(
        "() => document.getElementById('epoch-label').textContent === 'none'", timeout=TIMEOUT
    )
    wait_query(page, "epoch", None)
    for graph in ("matrix-graph", "detail-graph", "class-performance-graph", "timeline-graph"):
        wait_figure(page, graph, f"!{dashed}")
    assert fig(page, "matrix-graph", "gd.data.length") > 0


def test_shared_url_opens_the_same_view(page, browser, app_url):
    shared = (
        app_url + "?s=pruned/test&s=sparse/test&c=bird&c=cat&c=dog&enc=lines&norm=pred&scale=log&gamma=0.5"
        "&from=3&to=15&epoch=9&detail=cell&dt=cat&dp=dog"
    )
    open_dashboard(page, shared)
    page.wait_for_function(
        "() => document.getElementById('detail-title').textContent.startsWith('True class “cat” predicted as “dog”')",
        timeout=TIMEOUT,
    )
    state = visible_state(page)
    assert state["chips"] == ["pruned / test", "sparse / test"]
    assert state["range"] == "Steps 3–15 (13 of 20)"
    assert state["epoch"] == "step 9"
    assert "3 classes" in state["caption"] and "% of predicted class (column)" in state["caption"]
    assert page.locator("#matrix-encoding label.selected").text_content() == "lines"
    assert page.locator("#matrix-scale label.selected").text_content() == "log"
    # the page's own URL now reads back the same state, and a second browser gets the same view
    wait_query(page, "epoch", "9")
    context = browser.new_context(viewport={"width": 1600, "height": 1100})
    other = context.new_page()
    errors: list[str] = []
    other.on("console", lambda m: m.type == "error" and errors.append(m.text))
    try:
        open_dashboard(other, page.url)
        other.wait_for_function(
            "() => document.getElementById('detail-title').textContent.startsWith('True class “cat”')",
            timeout=TIMEOUT,
        )
        assert visible_state(other) == state
        assert parse_qs(urlsplit(other.url).query) == parse_qs(urlsplit(page.url).query)
    finally:
        context.close()
    assert not errors


def test_garbage_url_opens_a_default_view(page, app_url):
    open_dashboard(page, app_url + "?s=nope/x&enc=pie&gamma=abc&from=zz&epoch=nan&detail=cell&norm=%%%")
    assert [label for label, _ in chips(page)] == ["dense / test", "dense / train"]
    assert "nope/x" in page.locator("#series-message").text_content()
    assert page.locator("#matrix-encoding label.selected").text_content() == "heatmap"
    assert detail_title(page).startswith("Overall accuracy")
