"""Moving the epoch redraws only the markers, in the page, and they stay right afterwards.

The browser moves the dashed markers itself (``moveEpochMarkers``) instead of letting every figure
be re-plotted; these tests check that the markers land exactly where the server draws them for that
epoch, that the figures' traces are not recomputed (Plotly keeps its ``calcdata``), and that later
server updates (gamma, scale, range, line encoding) keep the marker at the selected epoch.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest

from confusionflow.components.matrix import MatrixStyle, matrix_geometry
from confusionflow.data_access.writer import LogWriter
from tests.browser.pages import TIMEOUT, fig, serve_app, wait_figure

pytestmark = pytest.mark.browser

CLASSES = ["plane", "car", "bird", "cat", "deer"]
STEPS = list(range(1, 13))
GRAPHS = ("matrix-graph", "class-performance-graph", "detail-graph", "timeline-graph")
# every epoch-marker shape of a graph, as [type, x0, x1, y0, y1, path] (numbers rounded)
MARKERS = (
    "(gd.layout.shapes || []).filter(s => s.name === 'epoch-marker').map(s => [s.type, "
    "...['x0', 'x1', 'y0', 'y1'].map(k => typeof s[k] === 'number' ? Math.round(s[k] * 1e6) / 1e6 : null), "
    "s.path ? s.path.match(/-?[0-9.]+(e-?[0-9]+)?/g).map(Number) : null])"
)


def write_logs(root: Path) -> None:
    rng = np.random.default_rng(3)
    c = len(CLASSES)
    for run in ("base", "wide"):
        with LogWriter(root, run, CLASSES) as w:
            for step in STEPS:
                counts = rng.integers(0, 12, size=(c, c))
                counts[np.arange(c), np.arange(c)] += 20 + 4 * step
                w.add_counts(step, "test", counts)


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory):
    logdir = tmp_path_factory.mktemp("epoch-logs")
    write_logs(logdir)
    with serve_app(logdir, tmp_path_factory.mktemp("epoch-cache"), "--poll-seconds", "0") as url:
        yield url


def open_page(page, url: str) -> None:
    page.goto(url)
    wait_figure(page, "matrix-graph", "gd.data.length > 0")
    wait_figure(page, "class-performance-graph", "gd.data.length > 0")
    wait_figure(page, "detail-graph", "gd.data.length === 2")
    wait_figure(page, "timeline-graph", "gd.data.length > 1")
    settle(page)


def settle(page) -> None:
    """Wait until no Dash callback is pending (the page shows the server's last word)."""
    page.wait_for_function(
        "() => !document.querySelector('[data-dash-is-loading=\"true\"]')", timeout=TIMEOUT
    )
    time.sleep(0.6)


def markers(page) -> dict[str, list]:
    return {g: fig(page, g, MARKERS) for g in GRAPHS}


def go_to_epoch(page, step: int) -> None:
    """Press "next epoch" until ``step`` is selected (from none: the first step)."""
    for _ in range(len(STEPS) + 1):
        if page.locator("#epoch-label").text_content() == f"step {step}":
            break
        before = page.locator("#epoch-label").text_content()
        page.click("#epoch-next")
        page.wait_for_function(
            f"() => document.getElementById('epoch-label').textContent !== {before!r}", timeout=TIMEOUT
        )
    assert page.locator("#epoch-label").text_content() == f"step {step}"
    for graph in GRAPHS:
        wait_figure(page, graph, "gd.layout.shapes.some(s => s.name === 'epoch-marker')")
    settle(page)


def matrix_xs(page) -> list[float]:
    """x of each marker line of the matrix (one per tile column; a line has one segment per tile
    it crosses)."""
    xs = fig(
        page,
        "matrix-graph",
        "[].concat(...(gd.layout.shapes || []).filter(s => s.name === 'epoch-marker')"
        ".map(s => [...s.path.matchAll(/M(-?[0-9.]+),/g)].map(m => Number(m[1]))))",
    )
    return list(dict.fromkeys(xs))


def expected_matrix_xs(n_steps: int, index: int) -> list[float]:
    geo = matrix_geometry(len(CLASSES), 2, n_steps, MatrixStyle())
    return [geo.x.start(j) + index for j in range(len(CLASSES) + 1)]


def test_epoch_move_redraws_only_the_markers_where_the_server_draws_them(page, app_url):
    open_page(page, app_url + "?s=base/test&s=wide/test")
    assert all(m == [] for m in markers(page).values())
    page.evaluate(
        f"""() => {{
            window.__calc = {{}};
            for (const id of {list(GRAPHS)!r}) {{
                window.__calc[id] = document.getElementById(id).querySelector('.js-plotly-plot').calcdata;
            }}
        }}"""
    )
    outline = "JSON.stringify(gd.layout.shapes.filter(s => s.name === 'detail-tile'))"
    corner = fig(page, "matrix-graph", outline)  # the detail view shows overall accuracy
    assert corner.count("detail-tile") == 1
    go_to_epoch(page, 4)
    moved = markers(page)
    assert fig(page, "matrix-graph", outline) == corner  # moving the markers keeps the outline
    # no trace was recomputed: Plotly kept each figure's calcdata
    for graph in GRAPHS:
        assert fig(page, graph, f"gd.calcdata === window.__calc[{graph!r}]"), graph
    assert matrix_xs(page) == expected_matrix_xs(len(STEPS), 3)
    assert len(moved["class-performance-graph"]) == 3  # precision, recall, F1 columns
    assert moved["detail-graph"] == [["line", 4, 4, 0, 1, None]]
    assert moved["timeline-graph"] == [["line", 4, 4, 0, 1, None]]
    # the same page drawn by the server for epoch 4 (a fresh load of the shared URL)
    page.wait_for_function("() => new URLSearchParams(location.search).get('epoch') === '4'", timeout=TIMEOUT)
    open_page(page, page.url)
    assert markers(page) == moved
    # clearing removes every marker, in the page too
    page.click("#epoch-clear")
    for graph in GRAPHS:
        wait_figure(page, graph, "!gd.layout.shapes.some(s => s.name === 'epoch-marker')")


def test_marker_stays_at_the_epoch_after_gamma_scale_and_range_changes(page, app_url):
    open_page(page, app_url + "?s=base/test&s=wide/test")
    go_to_epoch(page, 3)
    want = expected_matrix_xs(len(STEPS), 2)
    assert matrix_xs(page) == want

    colours = fig(page, "matrix-graph", "JSON.stringify(gd.data.map(t => t.colorscale || null))")
    page.locator("#matrix-gamma [role='slider']").focus()
    page.keyboard.press("ArrowLeft")
    wait_figure(
        page, "matrix-graph", f"JSON.stringify(gd.data.map(t => t.colorscale || null)) !== {colours!r}"
    )
    settle(page)
    assert matrix_xs(page) == want

    colours = fig(page, "matrix-graph", "JSON.stringify(gd.data.map(t => t.colorscale || null))")
    page.locator("#matrix-scale label", has_text="log").first.click()
    wait_figure(
        page, "matrix-graph", f"JSON.stringify(gd.data.map(t => t.colorscale || null)) !== {colours!r}"
    )
    settle(page)
    assert matrix_xs(page) == want

    # an epoch move after the Patches, then a range change (every view rebuilt) keeps step 5
    go_to_epoch(page, 5)
    page.locator("#range-slider [role='slider']").nth(0).focus()
    page.keyboard.press("ArrowRight")  # steps 2-12: step 5 is the 4th shown
    page.wait_for_function(
        "() => document.getElementById('matrix-caption').textContent.includes('steps 2–12')", timeout=TIMEOUT
    )
    settle(page)
    assert page.locator("#epoch-label").text_content() == "step 5"
    assert matrix_xs(page) == expected_matrix_xs(len(STEPS) - 1, 3)
    shown = markers(page)
    assert shown["detail-graph"] == [["line", 5, 5, 0, 1, None]]
    assert [s[1] for s in shown["timeline-graph"]] == [5]
    assert len(shown["class-performance-graph"]) == 3
    # and the server draws the same for this view
    open_page(page, page.url)
    assert markers(page) == shown


def test_line_encoding_background_and_marker_follow_the_epoch(page, app_url):
    open_page(page, app_url + "?s=base/test&s=wide/test&enc=lines")
    # the grey backgrounds' values (float32 from the server, rounded: a Patch sends them as lists)
    background = (
        "JSON.stringify(gd._fullData.filter(t => t.type === 'heatmap').map(t => Array.from(t.z || []) "
        ".map(r => Array.from(r, v => Number.isFinite(v) ? Math.round(v * 1e5) / 1e5 : null))))"
    )
    empty = fig(page, "matrix-graph", background)
    go_to_epoch(page, 2)
    wait_figure(page, "matrix-graph", f"{background} !== {empty!r}")
    at_two = fig(page, "matrix-graph", background)
    go_to_epoch(page, 6)
    wait_figure(page, "matrix-graph", f"{background} !== {at_two!r}")
    geo = matrix_geometry(len(CLASSES), 2, len(STEPS), MatrixStyle(encoding="lines"))
    assert matrix_xs(page) == [geo.x.start(j) + 5 for j in range(len(CLASSES) + 1)]
    # gamma rebuilds the lines: the marker and the background stay at step 6
    at_six = fig(page, "matrix-graph", background)
    page.locator("#matrix-gamma [role='slider']").focus()
    page.keyboard.press("ArrowLeft")
    page.wait_for_function(
        "() => new URLSearchParams(location.search).get('gamma') === '0.95'", timeout=TIMEOUT
    )
    settle(page)
    assert matrix_xs(page) == [geo.x.start(j) + 5 for j in range(len(CLASSES) + 1)]
    assert fig(page, "matrix-graph", background) == at_six


def test_an_epoch_move_asks_nothing_of_the_hidden_overview(page, app_url):
    """Below the overview's class count its panel is hidden; an epoch move must not send the
    overview's callback (it used to fire on every move, answering a hidden figure)."""
    asked: list[str] = []
    page.on(
        "request",
        lambda r: "_dash-update-component" in r.url and asked.append(r.post_data or ""),
    )
    open_page(page, app_url + "?s=base/test&s=wide/test")
    asked.clear()
    go_to_epoch(page, 3)
    settle(page)
    assert page.locator("#epoch-label").text_content() == "step 3"
    assert not [body for body in asked if "overview-graph" in body]


def test_a_range_change_asks_for_the_range_once_and_then_only_for_the_views(page, app_url):
    """A range change used to send the range callback twice more, answering nothing: for the
    timeline's empty selection after its Patch dropped the brush, and for the slider's echo of the
    value the range callback had set on it. Now the slider's move asks for the range once, and the
    store's new value for the views that draw it (nothing for the epoch: the range moves it)."""
    asked: list[dict] = []
    page.on(
        "request",
        lambda r: "_dash-update-component" in r.url and asked.append(json.loads(r.post_data or "{}")),
    )
    open_page(page, app_url + "?s=base/test&s=wide/test")
    for hi in (11, 10):
        asked.clear()
        page.locator("#range-slider [role='slider']").nth(1).focus()
        page.keyboard.press("ArrowLeft")
        page.wait_for_function(
            f"() => document.getElementById('step-range-label').textContent.startsWith('Steps 1–{hi} ')",
            timeout=TIMEOUT,
        )
        settle(page)
        time.sleep(1.5)  # an echo came ~1 s after the views
        range_asks = [a for a in asked if a["output"].startswith("..step-range.data...range-slider.max")]
        assert [a["changedPropIds"] for a in range_asks] == [["range-slider-asked.data"]], range_asks
        assert all(a["changedPropIds"] == ["step-range.data"] for a in asked if a not in range_asks), asked
        assert not [a for a in asked if a["output"].startswith("..epoch.data")]
        # the range, URL and 5 views; not the instance list, which for the overall-accuracy
        # target says "click a cell" whatever the range (instancesSteps)
        assert len(asked) == 7, [a["output"][:60] for a in asked]
        assert not [a for a in asked if "instances-body" in a["output"]]


def test_an_epoch_move_writes_the_address_in_the_page(page, app_url):
    """The ▶ button moves the epoch in the page, and the address bar's epoch with it: no request
    for the URL query, and the address is the one the server writes for that view."""
    asked: list[dict] = []
    page.on(
        "request",
        lambda r: "_dash-update-component" in r.url and asked.append(json.loads(r.post_data or "{}")),
    )
    open_page(page, app_url + "?s=base/test&s=wide/test&from=2&to=9")
    asked.clear()
    go_to_epoch(page, 4)
    assert page.evaluate("() => window.location.search") == "?s=base/test&s=wide/test&from=2&to=9&epoch=4"
    # nothing at all: the markers, the class sizes and the address move in the page; a heatmap's
    # epoch is only its markers; the instance list has no tile to list
    assert not asked, [a["output"][:40] for a in asked]
    # a reload restores that epoch (the address is a real view state)
    open_page(page, page.url)
    assert page.locator("#epoch-label").text_content() == "step 4"


SIZES = "[gd._fullData.map(t => Array.from(t.y, v => v === null || Number.isNaN(v) ? null : v)), gd.layout.title.text]"


def test_an_epoch_move_redraws_the_class_sizes_in_the_page_as_the_server_draws_them(page, app_url):
    """The class sizes at the epoch come from the figure's own recipe (layout.meta.epoch_sizes),
    with no request; the bars and the title equal those the server draws for that view (the
    logs' class sizes differ from step to step), and so do they with no epoch (each series' last
    step)."""
    asked: list[str] = []
    page.on("request", lambda r: "_dash-update-component" in r.url and asked.append(r.post_data or ""))
    open_page(page, app_url + "?s=base/test&s=wide/test")
    at_last = fig(page, "class-distribution-graph", SIZES)
    assert at_last[1] == "Instances per class · last step (12)"
    asked.clear()
    go_to_epoch(page, 3)
    wait_figure(page, "class-distribution-graph", "gd.layout.title.text.endsWith('step 3')")
    moved = fig(page, "class-distribution-graph", SIZES)
    assert not asked
    assert moved != at_last and moved[1] == "Instances per class · step 3"
    page.wait_for_function("() => new URLSearchParams(location.search).get('epoch') === '3'", timeout=TIMEOUT)
    open_page(page, page.url)  # the server's figure for epoch 3
    assert fig(page, "class-distribution-graph", SIZES) == moved
    page.click("#epoch-clear")
    wait_figure(page, "class-distribution-graph", "gd.layout.title.text.endsWith('last step (12)')")
    assert fig(page, "class-distribution-graph", SIZES) == at_last


def test_an_epoch_move_with_a_cell_shown_asks_only_for_its_instances(page, app_url):
    """With a cell as the detail target the instance list counts the epoch: an epoch move asks
    for it, and for nothing else."""
    asked: list[dict] = []
    page.on(
        "request",
        lambda r: "_dash-update-component" in r.url and asked.append(json.loads(r.post_data or "{}")),
    )
    open_page(page, app_url + "?s=base/test&s=wide/test&detail=cell&dt=cat&dp=car")
    asked.clear()
    go_to_epoch(page, 2)  # two moves: none -> 1 -> 2
    listed = "..instances-body.children...instances-download-button.disabled.."
    assert [a["output"] for a in asked] == [listed, listed]
