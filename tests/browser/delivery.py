"""How a page of the app arrived in the browser: every response's headers, plotly.js, callback count.

Shared by the browser and service tests of ``app/delivery.py``: ``load_and_probe`` opens the page,
waits until it has settled with the matrix drawn, and returns what the network and the page saw.
The in-page clocks are the benchmark's (``benchmarks/bench_first_view.py``), so a test and the
benchmark count the same thing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from benchmarks.bench_browser import INIT_JS
from benchmarks.bench_first_view import OBSERVE_JS, QUIET_JS

COMPRESSED = ("br", "gzip")
DASH_PLOTLY = re.compile(r"/_dash-component-suites/plotly/|/plotly(\.min)?\.js")
TIMEOUT_MS = 60_000

# Which trace types the page drew, and which the loaded plotly.js knows.
TRACES_JS = """() => {
  const drawn = new Set();
  for (const gd of document.querySelectorAll('.js-plotly-plot')) {
    for (const t of (gd.data || [])) drawn.add(t.type || 'scatter');
  }
  return {drawn: [...drawn].sort(), known: Object.keys(window.Plotly.PlotSchema.get().traces).sort()};
}"""


@dataclass(frozen=True)
class Response:
    url: str
    status: int
    headers: dict[str, str]  # lower-case names

    @property
    def encoding(self) -> str:
        return self.headers.get("content-encoding", "")

    @property
    def cache_control(self) -> str:
        return self.headers.get("cache-control", "")


@dataclass(frozen=True)
class Probe:
    responses: list[Response]
    plotly_version: str
    drawn_traces: list[str]
    known_traces: list[str]
    callbacks_before_matrix: int
    callback_outputs_before_matrix: list[str]
    callback_outputs: list[str]  # every callback request of the load, in order

    def matching(self, pattern: str) -> list[Response]:
        return [r for r in self.responses if re.search(pattern, r.url)]


def load_and_probe(page, url: str, matrix_ready: str = "gd.data.length > 0") -> Probe:
    """Open ``url`` in ``page`` (before any navigation of it) and wait until the matrix is drawn
    (``matrix_ready``, JS with ``gd``) and the page has been quiet for a second."""
    page.add_init_script(INIT_JS)
    page.add_init_script(OBSERVE_JS)
    seen: list = []
    page.on("response", lambda r: seen.append(r))
    page.goto(url)
    page.wait_for_function(
        f"""() => {{
            const gd = document.querySelector('#matrix-graph .js-plotly-plot');
            if (!gd || !gd._fullLayout || !gd.data) return false;
            try {{ return Boolean({matrix_ready}); }} catch (e) {{ return false; }}
        }}""",
        timeout=TIMEOUT_MS,
    )
    page.evaluate(QUIET_JS, {"quiet": 1000, "timeout": TIMEOUT_MS})
    version = page.evaluate("() => window.Plotly && window.Plotly.version")
    traces = page.evaluate(TRACES_JS)
    visible, log = page.evaluate("() => [window.__cf.matrixVisible, window.__cf.log]")
    if visible is None:
        raise AssertionError("the matrix never showed its cells")
    before = [e["output"] for e in log if e["start"] < visible]
    responses = [Response(r.url, r.status, r.all_headers()) for r in seen]
    return Probe(
        responses, version, traces["drawn"], traces["known"], len(before), before, [e["output"] for e in log]
    )
