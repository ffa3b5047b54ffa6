"""The class charts in the page: a range change and an added series are Patches, not new figures.

On the dashboard's test logs (two series of 20 steps): dragging the timeline range moves the
class-performance x axes while the page keeps the very trace objects it drew (a new figure from
the server would be parsed into new ones), and the server's answer is a Patch that touches no
trace; adding a series appends its traces to both class charts the same way. A console error
fails every test (the ``page`` fixture).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from confusionflow.components import ids
from tests.browser.dashboard_logs import CLASSES, write_logs
from tests.browser.pages import TIMEOUT, fig, open_dashboard, serve_app, wait_figure
from tests.browser.test_dashboard import axis_point, click_at, toggle_option

pytestmark = pytest.mark.browser

PERF = "class-performance-graph"
SIZES = "class-distribution-graph"
BACKGROUNDS = 3  # one background heatmap per metric subplot


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory):
    root: Path = tmp_path_factory.mktemp("class-chart-logs")
    write_logs(root)
    with serve_app(root, tmp_path_factory.mktemp("cache")) as url:
        yield url


def answers_for(output: str):
    """A predicate on responses: the callback answer that carries ``output`` ("id.prop")."""

    def match(response) -> bool:
        return "_dash-update-component" in response.url and output in (response.request.post_data or "")

    return match


def remember_traces(page, graph_id: str) -> None:
    """Keep the graph's trace objects in the page, to compare identities after an update."""
    page.evaluate(
        f"() => {{ const gd = document.getElementById({graph_id!r}).querySelector('.js-plotly-plot');"
        f" window.__kept = window.__kept || {{}}; window.__kept[{graph_id!r}] = gd.data.slice(); }}"
    )


def same_traces(page, graph_id: str) -> bool:
    """Whether every remembered trace is still the graph's trace at its index (no new figure)."""
    return fig(page, graph_id, f"window.__kept[{graph_id!r}].every((t, i) => gd.data[i] === t)")


def patch_locations(body: dict, graph_id: str) -> list[tuple[str, list]]:
    """(operation, location) of each Patch operation the answer sends for ``graph_id``'s figure."""
    figure = body["response"][graph_id]["figure"]
    assert figure.get("__dash_patch_update") == "__dash_patch_update", json.dumps(figure)[:300]
    return [(op["operation"], op["location"]) for op in figure["operations"]]


def drag_timeline(page, lo: float, hi: float) -> None:
    x0, y = axis_point(page, "timeline-graph", lo, 0.5, yaxis="yaxis2")
    x1, _ = axis_point(page, "timeline-graph", hi, 0.5, yaxis="yaxis2")
    y -= 20
    page.mouse.move(x0, y)
    page.mouse.down()
    page.mouse.move((x0 + x1) / 2, y, steps=5)
    page.mouse.move(x1, y, steps=5)
    page.mouse.up()


def test_dragging_the_range_moves_the_class_performance_axes_without_a_new_figure(page, app_url):
    open_dashboard(page, app_url)
    wait_figure(page, PERF, f"gd.data.length === {BACKGROUNDS + 2 * 3}")
    wait_figure(page, PERF, "gd._fullLayout.annotations[3].text.startsWith('epochs 1–20')")
    assert fig(page, PERF, "[gd.data[3].xaxis, gd.data[4].xaxis, gd.data[5].xaxis]") == ["x", "x2", "x3"]
    remember_traces(page, PERF)
    with page.expect_response(answers_for(f"{PERF}.figure"), timeout=TIMEOUT) as answer:
        drag_timeline(page, 4, 10)
    page.wait_for_function(
        "() => document.getElementById('step-range-label').textContent === 'Steps 4–10 (7 of 20)'",
        timeout=TIMEOUT,
    )
    # the server sent the three axis ranges, the markers and the summary line: no trace
    located = patch_locations(answer.value.json(), PERF)
    assert all(loc[0] == "layout" for _, loc in located), located
    assert {tuple(loc[:2]) for _, loc in located} >= {
        ("layout", "xaxis"),
        ("layout", "xaxis2"),
        ("layout", "xaxis3"),
    }
    # every subplot shows steps 4-10 (2 % padding) and says so; the drawn lines are the same objects
    pad = (10 - 4) * 0.02
    for axis in ("xaxis", "xaxis2", "xaxis3"):
        wait_figure(
            page,
            PERF,
            f"Math.abs(gd._fullLayout.{axis}.range[0] - {4 - pad}) < 1e-9"
            f" && Math.abs(gd._fullLayout.{axis}.range[1] - {10 + pad}) < 1e-9",
        )
    assert fig(page, PERF, "gd._fullLayout.annotations[3].text").startswith("epochs 4–10 · ")
    assert same_traces(page, PERF)
    assert fig(page, PERF, "gd.data.length") == BACKGROUNDS + 2 * 3


def test_an_added_series_appends_its_traces_to_both_class_charts(page, app_url):
    open_dashboard(page, app_url)
    wait_figure(page, PERF, f"gd.data.length === {BACKGROUNDS + 2 * 3}")
    wait_figure(page, SIZES, "gd.data.length === 2")
    remember_traces(page, PERF)
    remember_traces(page, SIZES)
    with (
        page.expect_response(answers_for(f"{PERF}.figure"), timeout=TIMEOUT) as perf_answer,
        page.expect_response(answers_for(f"{SIZES}.figure"), timeout=TIMEOUT) as sizes_answer,
    ):
        toggle_option(page, "series-dropdown", "pruned / test")
    assert ("Extend", ["data"]) in patch_locations(perf_answer.value.json(), PERF)
    assert patch_locations(sizes_answer.value.json(), SIZES) == [
        ("Extend", ["data"]),
        ("Assign", ["layout", "title"]),
        ("Assign", ["layout", "meta"]),  # the sizes at every step, for epoch moves in the page
    ]
    wait_figure(page, PERF, f"gd.data.length === {BACKGROUNDS + 3 * 3}")
    wait_figure(page, SIZES, "gd.data.length === 3")
    assert same_traces(page, PERF) and same_traces(page, SIZES)
    added = fig(page, PERF, "gd.data.slice(-3).map(t => [t.name, t.xaxis, t.line.color])")
    colour = fig(page, SIZES, "gd.data[2].marker.color")
    assert added == [["pruned / test", axis, colour] for axis in ("x", "x2", "x3")]
    assert fig(page, SIZES, "gd.data[2].name") == "pruned / test"


def test_a_click_on_a_line_point_names_its_class_from_the_point_number(page, app_url):
    open_dashboard(page, app_url)
    wait_figure(page, PERF, f"gd.data.length === {BACKGROUNDS + 2 * 3}")
    n_t = 20  # the test logs' steps: each class is 20 points and a NaN gap in every line
    number = 2 * (n_t + 1) + 5  # class 2 ("bird"), its sixth step, on series 0's recall line
    # the point as plotly.js holds it (the arrays are sent binary, decoded into its calcdata)
    x, y = fig(
        page,
        PERF,
        f"[gd.calcdata[{BACKGROUNDS + 1}][{number}].x, gd.calcdata[{BACKGROUNDS + 1}][{number}].y]",
    )
    px, py = axis_point(page, PERF, x, y, xaxis="xaxis2")
    with page.expect_request(
        lambda r: (
            "_dash-update-component" in r.url
            and ids.CLASS_PERF_CLICK in (r.post_data or "")
            and "detail" in (r.post_data or "")
        ),
        timeout=TIMEOUT,
    ) as sent:
        click_at(page, px, py)
    page.wait_for_function(
        f"() => document.getElementById('detail-title').textContent === 'Recall of class “{CLASSES[2]}”'",
        timeout=TIMEOUT,
    )
    # what the browser sent: a line point, decoded by its number
    click = next(i["value"] for i in sent.value.post_data_json["inputs"] if i["id"] == ids.CLASS_PERF_CLICK)
    point = click["points"][0]
    assert point["curveNumber"] in (BACKGROUNDS + 1, BACKGROUNDS + 4)  # a recall line, either series
    assert point["pointNumber"] // (n_t + 1) == 2
    # Dash leaves array-valued point fields out of clickData: no customdata reaches the server
    assert "customdata" not in point, sorted(point)
