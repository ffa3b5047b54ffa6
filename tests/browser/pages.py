"""What the browser tests share: one app process per module, and reading drawn figures.

Figures are read from the plotly graph div (``gd``: its ``data`` and ``_fullLayout``), i.e. what
the page actually drew, not what the server sent.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.conftest import ServerProcess, free_port

TIMEOUT = 30_000  # ms; the machine may be shared, first draws can be slow
HOVER_TRY_MS = 3_000  # ms one hover waits for its label before the point is read again
# JS predicates over a figure's traces: the matrix's colour bars (marker-only scatters the heatmap
# builder names "<scale> scale", components/matrix/scale_legend.py) and the scatters that draw data
COLOUR_BAR = "t => t.type === 'scatter' && (t.name || '').endsWith(' scale')"
LINE_TRACE = "t => t.type === 'scatter' && !(t.name || '').endsWith(' scale')"


@contextmanager
def serve_app(logdir: Path, cache_dir: Path, *options: str) -> Iterator[str]:
    """``python -m confusionflow.app`` on ``logdir`` at a free port; yields its URL and stops it afterwards."""
    port = free_port()
    server = ServerProcess(
        [sys.executable, "-m", "confusionflow.app", "--logdir", str(logdir), "--port", str(port)]
        + ["--cache-dir", str(cache_dir), *options]
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        server.wait(url, timeout=90)
        yield url
    finally:
        server.stop()


def wait_figure(page, graph_id: str, condition: str, timeout: int = TIMEOUT) -> None:
    """Wait until ``condition`` (JS, with ``gd`` the graph div) holds for a drawn figure."""
    page.wait_for_function(
        f"""() => {{
            const holder = document.getElementById({graph_id!r});
            const gd = holder && holder.querySelector('.js-plotly-plot');
            if (!gd || !gd._fullLayout || !gd.data) return false;
            try {{ return Boolean({condition}); }} catch (e) {{ return false; }}
        }}""",
        timeout=timeout,
    )


def fig(page, graph_id: str, expression: str):
    """Evaluate ``expression`` (JS, with ``gd``) on a graph div."""
    return page.evaluate(
        f"() => {{ const gd = document.getElementById({graph_id!r}).querySelector('.js-plotly-plot'); "
        f"return {expression}; }}"
    )


def open_dashboard(page, url: str) -> None:
    """Open the dashboard and wait until the series chips, the matrix and the timeline are drawn."""
    page.goto(url)
    page.wait_for_selector(".cf-chip", timeout=TIMEOUT)
    wait_figure(page, "matrix-graph", "gd.data.length > 0")
    wait_figure(page, "timeline-graph", "gd.data.length > 1")


# How long a graph's plot area must keep the same place on the page before a click is aimed at
# it (ms). The page still moves after the first draw: the dropdowns are lazily loaded components
# that take no height until their script arrives, and on a warm server the matrix is drawn first,
# then pushed ~55 px down (more than half a tile at 3 classes).
STABLE_MS = 500
_PLOT_AREA = """(id) => {
    const gd = document.getElementById(id).querySelector('.js-plotly-plot');
    if (!gd || !gd._fullLayout || !gd._fullLayout.xaxis) return null;
    const box = gd.getBoundingClientRect();
    const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
    return JSON.stringify([box.left, box.top, box.width, box.height, xa._offset, xa._length,
                           ya._offset, ya._length, xa.range, ya.range]);
}"""


def wait_stable_plot(page, graph_id: str, timeout: int = TIMEOUT) -> None:
    """Scroll ``graph_id`` into view, then wait until no Dash callback is pending and its plot area
    (box on the page, axis offsets, lengths and ranges) has read the same for ``STABLE_MS``."""
    page.evaluate(
        f"() => document.getElementById({graph_id!r}).scrollIntoView({{block: 'nearest', behavior: 'instant'}})"
    )
    page.wait_for_function(
        f"""() => {{
            const now = performance.now();
            const key = ({_PLOT_AREA})({graph_id!r});
            const seen = (window.__cfPlotArea = window.__cfPlotArea || {{}});
            const last = seen[{graph_id!r}];
            if (key === null || !last || last.key !== key) {{
                seen[{graph_id!r}] = {{key: key, since: now}};
                return false;
            }}
            return now - last.since >= {STABLE_MS}
                && !document.querySelector('[data-dash-is-loading="true"]');
        }}""",
        timeout=timeout,
    )


def plot_point(page, graph_id: str, x: float, y: float, xaxis: str = "xaxis", yaxis: str = "yaxis"):
    """Viewport coordinates of data point (``x``, ``y``) of the figure as drawn, once its layout is
    stable (:func:`wait_stable_plot`): Plotly's own axis mapping (``l2p`` and ``_offset``) and the
    graph div's box on the page."""
    wait_stable_plot(page, graph_id)
    return page.evaluate(
        f"""() => {{
            const gd = document.getElementById({graph_id!r}).querySelector('.js-plotly-plot');
            const box = gd.getBoundingClientRect();
            const xa = gd._fullLayout[{xaxis!r}], ya = gd._fullLayout[{yaxis!r}];
            return [box.left + xa._offset + xa.l2p({x}), box.top + ya._offset + ya.l2p({y})];
        }}"""
    )


def hover_text_at(page, graph_id: str, x: float, y: float, wanted: str, timeout: int = TIMEOUT) -> str:
    """Move the mouse to data point (``x``, ``y``) of ``graph_id`` and return the hover label (what
    a user reads) once it contains ``wanted``.

    The point is taken from the figure as drawn once its layout is stable (:func:`plot_point`),
    and taken again when no label came: a late layout change (a script that loads after the first
    draw, a scroll) may move the plot between reading the point and moving the mouse there."""
    labels = f"Array.from(document.querySelectorAll('#{graph_id} .hoverlayer .hovertext'))"
    deadline = time.monotonic() + timeout / 1000
    while True:
        px, py = plot_point(page, graph_id, x, y)
        page.mouse.move(px - 3, py - 3)
        page.mouse.move(px, py)
        try:
            page.wait_for_function(
                f"() => {labels}.some(e => e.textContent.includes({wanted!r}))",
                timeout=HOVER_TRY_MS,
            )
            break
        except PlaywrightTimeoutError:
            if time.monotonic() > deadline:
                raise
    return page.evaluate(f"() => {labels}.map(e => e.textContent).join(' | ')")


def matrix_tile_point(page, column: int, row: int, graph_id: str = "matrix-graph"):
    """Viewport coordinates of the middle of matrix tile (``column``, ``row``): class indices, the
    class count for the FN column / FP row. The tile centres are the drawn axes' tick positions
    (one tick per tile, ``components/matrix/labels.py`` ``class_axis``), so the point follows the
    figure on screen whatever its encoding, rotation or size."""
    wait_stable_plot(page, graph_id)
    x, y = fig(
        page,
        graph_id,
        f"[gd._fullLayout.xaxis.tickvals[{column}], gd._fullLayout.yaxis.tickvals[{row}]]",
    )
    return plot_point(page, graph_id, x, y)
