"""What the browser tests share: one app process per module, and reading drawn figures.

Figures are read from the plotly graph div (``gd``: its ``data`` and ``_fullLayout``), i.e. what
the page actually drew, not what the server sent.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import ServerProcess, free_port

TIMEOUT = 30_000  # ms; the machine may be shared, first draws can be slow
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
