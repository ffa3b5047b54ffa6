"""Exported charts stand alone: title, series legend and the colour bars of the value scales are
in the file, and the matrix's SVG button says that its heatmap strips are raster images."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.dashboard_logs import write_logs
from tests.browser.pages import TIMEOUT, serve_app, wait_figure

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory):
    logdir: Path = tmp_path_factory.mktemp("export-logs")
    write_logs(logdir)
    with serve_app(logdir, tmp_path_factory.mktemp("export-cache"), "--poll-seconds", "0") as url:
        yield url


def open_page(page, url: str) -> None:
    """The page with its chips, matrix (and caption) and detail view drawn: what the exports need."""
    page.goto(url)
    page.wait_for_selector(".cf-chip", timeout=3 * TIMEOUT)
    wait_figure(page, "matrix-graph", "gd.data.length > 5", timeout=3 * TIMEOUT)
    wait_figure(page, "detail-graph", "gd.data.length > 0", timeout=3 * TIMEOUT)
    page.wait_for_function("() => document.getElementById('matrix-caption').textContent", timeout=3 * TIMEOUT)


def download(page, graph: str, fmt: str) -> Path:
    selector = f'button[id*=\'"graph":"{graph}"\'][id*=\'"format":"{fmt}"\']'
    with page.expect_download(timeout=TIMEOUT) as info:
        page.locator(selector).click()
    path = info.value.path()
    assert path is not None
    return Path(path)


def test_matrix_svg_carries_title_legend_and_colour_bars(page, app_url) -> None:
    open_page(page, app_url)
    button = page.locator('button[id*=\'"graph":"matrix-graph"\'][id*=\'"format":"svg"\']')
    assert "raster" in button.text_content()
    assert "embedded PNG images" in button.get_attribute("title")
    svg = download(page, "matrix-graph", "svg").read_text()
    assert svg.startswith("<svg")
    assert "Confusion matrix" in svg and "Rows: true class" in svg  # title and caption
    assert "dense / test" in svg and "dense / train" in svg  # the series legend
    assert len(re.findall(r'class="cb[0-9a-f]+ colorbar"', svg)) == 3  # cells, FN/FP, accuracy
    assert "linear · γ 1.00" in svg and "% of true class (row)" in svg
    assert "<image" in svg  # the heatmap strips really are rasters, as the button says


def test_detail_png_is_larger_than_the_chart_on_screen(page, app_url) -> None:
    open_page(page, app_url)
    png = download(page, "detail-graph", "png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    box = page.evaluate("() => document.querySelector('#detail-graph .js-plotly-plot')._fullLayout.height")
    assert height > 2 * box and width > 0  # twice the resolution, plus the title and legend bands
