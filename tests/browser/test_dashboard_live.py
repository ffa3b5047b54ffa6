"""The dashboard under a URL prefix, picking up new steps while a model trains, and its exports.

Its own app process (``--prefix /tools/cf/``, polling every second) on its own logs, because the
test appends steps to them.
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

import pytest

from confusionflow.data_access.writer import LogWriter
from tests.browser.dashboard_logs import CLASSES, counts_at, write_logs
from tests.browser.pages import TIMEOUT, open_dashboard, wait_figure
from tests.conftest import free_port

pytestmark = pytest.mark.browser

PREFIX = "/tools/cf/"


@pytest.fixture
def served(tmp_path: Path, start_server):
    logdir = tmp_path / "logs"
    logdir.mkdir()
    write_logs(logdir)
    port = free_port()
    server = start_server(
        [
            sys.executable,
            "-m",
            "confusionflow.app",
            "--logdir",
            str(logdir),
            "--port",
            str(port),
            "--prefix",
            PREFIX,
            "--cache-dir",
            str(tmp_path / "cache"),
            "--poll-seconds",
            "1",
        ]
    )
    url = f"http://127.0.0.1:{port}{PREFIX}"
    server.wait(url, timeout=90)
    return url, logdir


# ``served`` before ``page``: pytest tears fixtures down in reverse, so the page (which polls the
# server every second) closes before its server stops; the other way round a poll in flight was
# reset and logged as a console error.
def test_prefix_live_steps_csv_and_svg(served, page):
    url, logdir = served
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    open_dashboard(page, url)
    # every request of the page stays under the prefix: nothing assumes the app owns "/"
    assert requests
    assert all(r.startswith(url) for r in requests), [r for r in requests if not r.startswith(url)]
    assert page.locator("#step-range-label").text_content() == "All 20 steps (1–20)"

    # a training run logs step 21: the open page extends its timeline without a reload
    with LogWriter(logdir, "dense", CLASSES, mode="resume") as w:
        w.add_counts(21, "train", counts_at(21, 0.2, 120))
        w.add_counts(21, "test", counts_at(21, 0.25, 40))
    page.wait_for_function(
        "() => document.getElementById('step-range-label').textContent === 'All 21 steps (1–21)'",
        timeout=TIMEOUT,
    )
    wait_figure(page, "timeline-graph", "gd._fullLayout.xaxis.range[1] > 21")
    wait_figure(page, "detail-graph", "gd._fullData[0].x.length === 21")

    # CSV of what is shown: 2 series x 21 steps x 36 cells, the logged counts
    with page.expect_download(timeout=TIMEOUT) as info:
        page.click("#download-csv-button")
    download = info.value
    assert download.suggested_filename == "confusionflow-dense.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text())))
    # the importer's columns, then the share the relative view shows (the folds differ in size)
    assert list(rows[0]) == [
        *("run", "fold", "step", "y_true", "y_pred", "true_index", "pred_index", "count"),
        "share_of_true_class_instances",
    ]
    assert len(rows) == 2 * 21 * len(CLASSES) ** 2
    at21 = [r for r in rows if r["fold"] == "test" and float(r["step"]) == 21]
    assert sum(int(r["count"]) for r in at21) == int(counts_at(21, 0.25, 40).sum())
    cat_dog = next(r for r in at21 if r["y_true"] == "cat" and r["y_pred"] == "dog")
    assert int(cat_dog["count"]) == int(counts_at(21, 0.25, 40)[3, 5])
    cat_row = counts_at(21, 0.25, 40)[3]
    assert float(cat_dog["share_of_true_class_instances"]) == pytest.approx(cat_row[5] / cat_row.sum())

    # SVG export of the matrix, drawn by Plotly in the browser
    with page.expect_download(timeout=TIMEOUT) as info:
        page.locator(".cf-matrix-panel .cf-panel-header button", has_text="SVG").click()
    svg = info.value
    assert svg.suggested_filename.endswith(".svg")
    assert Path(svg.path()).read_text()[:200].lstrip().startswith("<svg")

    # the import panel opens from the header
    assert page.locator("#import-drawer").is_hidden()
    page.click("#import-toggle")
    page.locator("#import-drawer").wait_for(state="visible", timeout=TIMEOUT)
