"""Everyday speed in headless Chromium: first view, returning visit, adding a series, range and epoch.

Run: ``.venv/bin/python benchmarks/bench_first_view.py`` (about 4–8 minutes on 2 shared cores;
options ``--classes 10 20 50 100 --series 2 --steps 100 --repeat 3``). Prints markdown tables.

How it times (every number is a median of ``--repeat`` runs):

* synthetic logs (labelled synthetic: ``training_counts`` of ``bench_browser``), written with
  ``LogWriter`` into a temporary folder; the real app runs as its own process (``python -m confusionflow.app`` on
  127.0.0.1, live polling off);
* the page opens with every series but the last chosen in the URL (``?s=run/fold…``); the last one is
  what "add a series" adds through the series picker;
* **settled**: a ``MutationObserver`` installed before any page script stamps the time of every DOM
  change; a view is settled at the last change after which the page stays quiet for 1 s, with every
  graph drawn (the five views hold their figures) and no callback request pending. A first view is
  timed from navigation start, an interaction from the user's click or key press;
* **matrix visible**: the first moment the matrix shows its cells, as a drawn heatmap, drawn lines, or
  an ``<img>`` inside the matrix panel (or inside the static first view the page's HTML carries,
  ``app/first_paint.py``), counted from the first contentful paint at the earliest;
* **first view** uses a fresh browser profile per load (a new, empty context); the server is warmed by
  one load first (it parses the logs once, as for any later visitor);
* **returning visit**: a new page in a profile that has loaded the view once (warm HTTP cache);
* **bytes**: every response of the load from Chromium's network events (``encodedDataLength``: the
  bytes on the wire, headers included, compressed if the server compressed), and the body bytes
  after decoding.

Only 127.0.0.1 is used; the app and the browser are stopped on exit and the logs deleted.
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.bench_browser import (  # noqa: E402
    INIT_JS,
    AppProcess,
    Dashboard,
    chromium_version,
    write_logs,
)
from tests.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

QUIET_MS = 1000
TIMEOUT_MS = 120_000

# Installed before any page script (after bench_browser's request log): the time of the last DOM
# change, and the first time the matrix panel shows its cells.
OBSERVE_JS = """
(() => {
  const cf = window.__cf;
  cf.lastMutation = 0;
  cf.matrixVisible = null;
  const CELLS = '.heatmaplayer image, .scatterlayer .trace path.js-line, img';
  const check = () => {
    if (cf.matrixVisible !== null) return;
    const holder = document.getElementById('matrix-graph')
      || document.getElementById('matrix-panel')
      || document.querySelector('.cf-first-paint .cf-matrix-stage');  // the page HTML's own copy
    const cell = holder && holder.querySelector(CELLS);
    if (cell && (cell.tagName !== 'IMG' || cell.complete)) cf.matrixVisible = performance.now();
  };
  // at once, on the document node itself: an init script may run before <html> exists, and the
  // page's own HTML may already hold the matrix picture long before the parser is done
  new MutationObserver(() => { cf.lastMutation = performance.now(); check(); })
    .observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
  document.addEventListener('load', check, true);  // an <img> finished decoding
})();
"""

# Resolves when the page has been quiet for ``quiet`` ms: no DOM change, no callback request pending,
# and the main thread free (a 50 ms poll that runs more than 100 ms late means a long task ran, e.g.
# plotly.js evaluating or a figure being decoded, so the page is still busy). Returns the last DOM
# change's time.
QUIET_JS = """
async ({quiet, timeout}) => {
  const cf = window.__cf;
  const start = performance.now();
  let last = start, busy = start;
  while (true) {
    await new Promise(r => setTimeout(r, 50));
    const now = performance.now();
    if (cf.pending > 0 || now - last > 150) busy = now;
    last = now;
    if (now - Math.max(cf.lastMutation, busy) >= quiet) return cf.lastMutation;
    if (now - start > timeout) throw new Error('the page never went quiet');
  }
}
"""


def toggle_series(page, label: str) -> None:
    """Pick ``label`` in the series picker (open, search, click, close), as a user does."""
    page.click("#series-dropdown")
    page.fill(".dash-dropdown-content .dash-dropdown-search", label)
    page.locator(".dash-dropdown-content .dash-dropdown-option", has_text=label).first.click()
    page.keyboard.press("Escape")


@dataclass
class NetLog:
    """Chromium's network events of one page: bytes on the wire and decoded, per request."""

    requests: dict[str, dict] = field(default_factory=dict)

    def attach(self, page) -> None:
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.responseReceived", self._response)
        cdp.on("Network.dataReceived", self._data)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.on("Network.requestServedFromCache", self._cached)

    def _entry(self, rid: str) -> dict:
        return self.requests.setdefault(
            rid, {"url": "", "wire": 0, "body": 0, "status": 0, "encoding": "", "cached": False}
        )

    def _sent(self, e: dict) -> None:
        self._entry(e["requestId"])["url"] = e["request"]["url"]

    def _response(self, e: dict) -> None:
        r = self._entry(e["requestId"])
        resp = e["response"]
        r["status"] = resp["status"]
        headers = {k.lower(): v for k, v in resp.get("headers", {}).items()}
        r["encoding"] = headers.get("content-encoding", "")
        r["cached"] = r["cached"] or bool(resp.get("fromDiskCache") or resp.get("fromPrefetchCache"))

    def _data(self, e: dict) -> None:
        self._entry(e["requestId"])["body"] += e.get("dataLength", 0)

    def _finished(self, e: dict) -> None:
        self._entry(e["requestId"])["wire"] = e.get("encodedDataLength", 0)

    def _cached(self, e: dict) -> None:
        self._entry(e["requestId"])["cached"] = True

    def totals(self) -> tuple[int, int, int, int]:
        """(bytes on the wire, decoded body bytes, requests that went to the server, all requests)."""
        rs = list(self.requests.values())
        network = [r for r in rs if not r["cached"]]
        return sum(r["wire"] for r in rs), sum(r["body"] for r in rs), len(network), len(rs)


@dataclass(frozen=True)
class Load:
    settled_ms: float
    matrix_ms: float
    callbacks_before_matrix: int
    wire_bytes: int
    body_bytes: int
    network_requests: int
    requests: int
    largest: tuple[tuple[str, int, str], ...]  # (url tail, wire bytes, content-encoding)


class Board(Dashboard):
    """``bench_browser.Dashboard`` plus the mutation clock and the network log."""

    def __init__(self, context, url: str, n_series: int) -> None:  # noqa: D107 - one page in ``context``
        self.context = context
        self.page = context.new_page()
        self.errors: list[str] = []
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.url = url
        self.n_series = n_series
        self.net = NetLog()
        self.net.attach(self.page)

    def _on_console(self, message: Any) -> None:
        """Keep the text of a console error (Playwright ``ConsoleMessage``)."""
        if message.type == "error":
            self.errors.append(message.text)

    def close(self) -> None:
        self.page.close()
        if self.errors:
            raise RuntimeError(f"browser console errors: {self.errors}")

    def quiet(self) -> float:
        return self.page.evaluate(QUIET_JS, {"quiet": QUIET_MS, "timeout": TIMEOUT_MS})

    def load(self) -> Load:
        self.first_load()  # every graph drawn, nothing pending (bench_browser's conditions)
        settled = self.quiet()
        # nothing is on screen before the first paint: cells in the DOM earlier count from then
        matrix, log = self.page.evaluate(
            "() => [window.__cf.matrixVisible === null ? null : Math.max(window.__cf.matrixVisible, "
            "(performance.getEntriesByName('first-contentful-paint')[0] || {startTime: 0}).startTime), "
            "window.__cf.log]"
        )
        if matrix is None:
            raise RuntimeError("the matrix never showed its cells")
        before = sum(1 for e in log if e["start"] < matrix)
        wire, body, network, total = self.net.totals()
        biggest = sorted(self.net.requests.values(), key=lambda r: -r["wire"])[:6]
        largest = tuple(
            (r["url"].split("/")[-1].split("?")[0][:48], r["wire"], r["encoding"]) for r in biggest
        )
        return Load(settled, matrix, before, wire, body, network, total, largest)

    def range_step_left(self):
        """``bench_browser``'s range change from wherever the slider is: its right handle one step
        left. Slider values are step indices (step = index + 1 for steps 1..T)."""
        lo_index, hi_index = self.page.evaluate(
            """() => [...document.querySelectorAll("#range-slider [role='slider']")]
                .map(t => Number(t.getAttribute('aria-valuenow')))"""
        )
        return super().range_change(lo_index + 1, hi_index)

    def settled_after_input(self) -> float:
        settled = self.quiet()
        t0 = self.page.evaluate("() => window.__cf.t0")
        return settled - t0

    def add_series(self, label: str) -> float:
        self._prepare()
        toggle_series(self.page, label)
        self._wait(
            [
                ("matrix-graph", "gd.data.length > 0"),
                ("class-distribution-graph", f"gd.data.length === {self.n_series + 1}"),
                ("detail-graph", f"gd.data.length === {self.n_series + 1}"),
                (
                    "timeline-graph",
                    f"gd.data.filter(t => t.type === 'scatter').length === {self.n_series + 1}",
                ),
            ]
        )
        return self.settled_after_input()


def attempt(action) -> float:
    """``action()``'s ms, or NaN (reported as failed) if the page never reached the expected state."""
    try:
        return action()
    except Exception as e:  # noqa: BLE001 - one stuck interaction must not lose the whole run
        print(f"<!-- failed: {str(e).splitlines()[0][:300]} -->", file=sys.stderr, flush=True)
        return float("nan")


def new_context(browser):
    context = browser.new_context(viewport={"width": 1600, "height": 1100})
    context.add_init_script(INIT_JS)
    context.add_init_script(OBSERVE_JS)
    return context


@dataclass(frozen=True)
class CaseResult:
    classes: int
    fresh: list[Load]
    returning: list[Load]
    adds: list[float]
    ranges: list[float]
    epochs: list[float]


def run_case(browser, root: Path, n_classes: int, n_series: int, n_steps: int, repeat: int) -> CaseResult:
    logdir = root / f"logs-{n_classes}"
    keys = write_logs(logdir, n_classes, n_series, n_steps, seed=0)
    app = AppProcess(logdir, root / f"cache-{n_classes}", root / f"app-{n_classes}.log")
    shown, added = keys[:-1], keys[-1]
    url = app.url + "?" + "&".join(f"s={k}" for k in shown)
    try:
        app.wait_ready()
        fresh, returning, adds = [], [], []
        for i in range(repeat + 1):  # the first load warms the server's cache and is not counted
            context = new_context(browser)
            try:
                board = Board(context, url, len(shown))
                load = board.load()
                board.close()
                if i:
                    fresh.append(load)
                board = Board(context, url, len(shown))  # same profile: the returning visitor
                returning.append(board.load())
                if i:
                    adds.append(attempt(lambda b=board: b.add_series(added.replace("/", " / "))))
                board.close()
            finally:
                context.close()
        context = new_context(browser)
        try:
            board = Board(context, url, len(shown))
            board.load()
            ranges, epochs = [], []
            for _ in range(repeat):
                ranges.append(attempt(lambda: (board.range_step_left(), board.settled_after_input())[1]))
            for i in range(1, repeat + 1):
                epochs.append(attempt(lambda i=i: (board.epoch_move(i), board.settled_after_input())[1]))
            board.close()
        finally:
            context.close()
    except Exception:
        sys.stderr.write(f"app output ({n_classes} classes):\n{app.output()[-3000:]}\n")
        raise
    finally:
        app.stop()
    return CaseResult(n_classes, fresh, returning[1:], adds, ranges, epochs)


def med(values: Sequence[float]) -> float:
    """Median of the runs that finished (NaN: none did)."""
    done = [v for v in values if v == v]
    return statistics.median(done) if done else float("nan")


def report(results: list[CaseResult], args, started: str, load: str, plotly_js: str) -> str:
    import dash
    import plotly

    lines = [
        f"# First view and everyday actions ({started}; load average at start {load})",
        "",
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, dash {dash.__version__}, plotly "
        f"{plotly.__version__} (page's plotly.js: {plotly_js}), {chromium_version()}. {args.series - 1} "
        f"series shown, then one added; {args.steps} steps. Medians of {args.repeat}; ms (settled = last "
        f"DOM change before {QUIET_MS} ms of quiet, every graph drawn).",
        "",
        "| classes | matrix visible, fresh | first view settled, fresh | returning visit, settled | "
        "add a series | range change | epoch move | callbacks before matrix | first view MB on the wire "
        "(decoded) | requests | returning: MB, requests to server |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        f, w = r.fresh, r.returning
        lines.append(
            f"| {r.classes} | {med([x.matrix_ms for x in f]):.0f} | {med([x.settled_ms for x in f]):.0f} | "
            f"{med([x.settled_ms for x in w]):.0f} | {med(r.adds):.0f} | {med(r.ranges):.0f} | "
            f"{med(r.epochs):.0f} | {med([x.callbacks_before_matrix for x in f]):.0f} | "
            f"{med([x.wire_bytes for x in f]) / 1e6:.2f} ({med([x.body_bytes for x in f]) / 1e6:.2f}) | "
            f"{med([x.requests for x in f]):.0f} | {med([x.wire_bytes for x in w]) / 1e6:.3f}, "
            f"{med([x.network_requests for x in w]):.0f} |"
        )
    lines += ["", "Largest responses of the last fresh first view (bytes on the wire, content-encoding):", ""]
    for r in results:
        tops = ", ".join(f"{u or '/'} {b / 1e3:.0f} kB {e or 'identity'}" for u, b, e in r.fresh[-1].largest)
        lines.append(f"- {r.classes} classes: {tops}")
    return "\n".join(lines)


def _raise_on_sigterm(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--classes", type=int, nargs="+", default=[10, 20, 50, 100])
    ap.add_argument("--series", type=int, default=2, help="series in the logs; all but one shown first")
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    if args.series < 2 or args.steps < args.repeat + 2:
        ap.error("--series must be at least 2 and --steps exceed --repeat by 2")
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    from playwright.sync_api import sync_playwright

    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    results = []
    with tempfile.TemporaryDirectory(prefix="cf-bench-first-") as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for c in args.classes:
                t0 = time.monotonic()
                results.append(run_case(browser, Path(tmp), c, args.series, args.steps, args.repeat))
                print(
                    report(results, args, started, load, "?"), file=sys.stderr, flush=True
                )  # partial results
                print(
                    f"<!-- {c} classes done in {time.monotonic() - t0:.0f} s -->", file=sys.stderr, flush=True
                )
            context = new_context(browser)
            plotly_js = "?"
            try:
                page = context.new_page()
                app = AppProcess(
                    Path(tmp) / f"logs-{args.classes[0]}", Path(tmp) / "cache-v", Path(tmp) / "app-v.log"
                )
                try:
                    app.wait_ready()
                    page.goto(app.url)
                    page.wait_for_function("() => window.Plotly && window.Plotly.version", timeout=TIMEOUT_MS)
                    plotly_js = page.evaluate(
                        "() => window.Plotly.version + ' from ' + ([...performance.getEntriesByType('resource')]"
                        ".map(e => e.name).find(n => /plotly[^/]*\\.js/.test(n)) || '?').split('?')[0]"
                        ".replace(location.origin, '')"
                    )
                finally:
                    app.stop()
            finally:
                context.close()
        finally:
            browser.close()
    print(report(results, args, started, load, plotly_js))
    return 0


if __name__ == "__main__":
    sys.exit(main())
