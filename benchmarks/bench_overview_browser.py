"""The many-class page in headless Chromium: first view, a strategy click, a box drag, a range
change and an epoch move, with every callback request of each traced.

Run: ``.venv/bin/python benchmarks/bench_overview_browser.py [--logdir DIR] [--classes 1000
--steps 50] [--repeat 3] [--trace]``. Without ``--logdir`` a stress log (``gen_many_classes.py``:
3 series) is written to a temporary folder; with a log, ``--classes`` and ``--steps`` must say what it holds (e.g. a log of ``gen_many_classes.py
--classes 100 --steps 100`` with ``--classes 100 --steps 100``). The real app
runs as its own process on 127.0.0.1 (polling off); the first load parses the logs ("cold"),
later loads hit the cache.

Each time runs from navigation (or the key press / mouse press of the interaction; the box drag
from the mouse release) until the views show the result, no callback request is pending and one
more animation frame has run (so the result is painted). The interactions, in this order on one
page: strategy click (lowest F1, k = 8, the matrix shows 8 classes), box drag (a 60-class block,
the matrix shows the drawn cap), range change (the range slider's right handle one step left:
the overview's title and the range label name the new last step), epoch move ("next epoch": the
overview's title and the epoch label name the new step). A selection switches the matrix panel to
the sub-matrix; before the box drag and the range change the benchmark clicks "Overview" again
(untimed), so those and the epoch move are timed with the overview shown. ``--trace`` lists the callback requests
of the last run: start after the input, round trip, response bytes, outputs, and when each graph
last redrew. The server's resident memory is read from /proc afterwards. The temporary folder
(log and cache) is deleted on exit.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.bench_browser import INIT_JS, WAIT_JS, Action, _summarise  # noqa: E402
from benchmarks.gen_many_classes import generate, series_keys  # noqa: E402
from tests.conftest import free_port, wait_http  # noqa: E402

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
GRAPHS = (
    "overview-graph",
    "matrix-graph",
    "class-performance-graph",
    "class-distribution-graph",
    "detail-graph",
    "timeline-graph",
)
TIMEOUT_MS = 180_000


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def rows(n: int) -> tuple[str, str]:
    return ("matrix-graph", f"(gd.layout.yaxis.ticktext || []).length === {n + 1}")


OVERVIEW_DRAWN = (
    "overview-graph",
    "gd.data.length > 0 && (gd.data[0].type === 'heatmap' || gd.data[0].type === 'image')",
)


def overview_at(step: int) -> tuple[str, str]:
    return ("overview-graph", f"(gd._fullLayout.title.text || '').includes('step {step}')")


def text_is(element: str, expr: str) -> tuple[None, str]:
    return (None, f"doc.getElementById({element!r}).textContent{expr}")


class Page:
    """One open page; each interaction returns an :class:`Action` (ms, bytes, trace)."""

    def __init__(self, browser, url: str) -> None:
        self.context = browser.new_context(viewport={"width": 1600, "height": 1000})
        self.context.add_init_script(INIT_JS)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.url = url

    def _wait(self, conds: list) -> float:
        return self.page.evaluate(WAIT_JS, {"conds": conds, "timeout": TIMEOUT_MS})

    def _prepare(self) -> None:
        self.page.evaluate(
            "(ids) => { const cf = window.__cf; cf.hook(ids); cf.log = []; cf.t0 = null; cf.drawnAt = {}; }",
            list(GRAPHS),
        )

    def _finish(self, done: float, t0: float | None = None) -> Action:
        stamp, log, drawn = self.page.evaluate("() => [window.__cf.t0, window.__cf.log, window.__cf.drawnAt]")
        start = stamp if t0 is None else t0
        if start is None:
            raise RuntimeError("the input event was not seen by the page")
        return _summarise(log, done - start, start, drawn)

    def first_view(self) -> Action:
        self.page.goto(self.url)
        done = self._wait([OVERVIEW_DRAWN, rows(10)])
        self.page.evaluate("(ids) => window.__cf.hook(ids)", list(GRAPHS))
        log = self.page.evaluate("() => window.__cf.log")
        return _summarise(log, done)

    def show_overview(self) -> None:
        """Back to the overview after a selection switched the panel to the sub-matrix (untimed:
        the box drag, the range change and the epoch move are timed with the overview shown)."""
        if self.page.get_attribute("#view-overview", "aria-pressed") != "true":
            self.page.click("#view-overview")
        self.page.wait_for_selector("#overview-graph", state="visible", timeout=TIMEOUT_MS)

    def strategy_click(self, k: int = 8) -> Action:
        self.page.fill("#strategy-k", str(k))
        self._prepare()
        self.page.click("#strategy-apply")
        return self._finish(self._wait([rows(k)]))

    def box_drag(self, cap: int, first: int, last: int) -> Action:
        box = self.page.evaluate(
            """([a, b]) => { const gd = document.querySelector('#overview-graph .js-plotly-plot');
                const r = gd.getBoundingClientRect(), xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
                return [r.left + xa._offset + xa.l2p(a), r.top + ya._offset + ya.l2p(a),
                        r.left + xa._offset + xa.l2p(b), r.top + ya._offset + ya.l2p(b)]; }""",
            [first, last],
        )
        self._prepare()
        self.page.mouse.move(box[0], box[1])
        self.page.mouse.down()
        for f in (0.5, 1.0):
            self.page.mouse.move(box[0] + f * (box[2] - box[0]), box[1] + f * (box[3] - box[1]))
        self.page.evaluate("() => { window.__cf.log = []; }")  # nothing is sent before the release
        released = self.page.evaluate("() => performance.now()")
        self.page.mouse.up()
        return self._finish(self._wait([rows(cap)]), released)

    def range_change(self, last: int) -> Action:
        """The range slider's right handle one step left: the range ends at ``last``."""
        self._prepare()
        self.page.locator("#range-slider [role='slider']").nth(1).focus()
        self.page.keyboard.press("ArrowLeft")
        return self._finish(
            self._wait([text_is("step-range-label", f".includes('–{last} (')"), overview_at(last)])
        )

    def epoch_move(self, step: int) -> Action:
        """ "next epoch": the chosen step becomes ``step``."""
        self._prepare()
        self.page.click("#epoch-next")
        return self._finish(self._wait([text_is("epoch-label", f" === 'step {step}'"), overview_at(step)]))

    def close(self) -> None:
        self.context.close()
        if self.errors:
            raise RuntimeError(f"browser console errors: {self.errors}")


def one_run(browser, url: str, n_classes: int, n_steps: int) -> dict[str, Action]:
    page = Page(browser, url)
    cap = min(40, n_classes)
    out = {"first view": page.first_view()}
    out["strategy click"] = page.strategy_click(8)
    block = (200, 260) if n_classes >= 300 else (20, 80)
    page.show_overview()  # the strategy switched the panel to its sub-matrix
    out["box drag"] = page.box_drag(cap, *block)
    page.show_overview()
    out["range change"] = page.range_change(n_steps - 1)
    out["epoch move"] = page.epoch_move(1)  # "next" from no epoch: the range's first step
    page.close()
    return out


def trace_report(run: dict[str, Action]) -> str:
    lines = []
    for name, action in run.items():
        lines += [
            "",
            f"{name}: {action.ms:.0f} ms, {action.requests} requests, {action.total_bytes / 1e3:.0f} kB",
        ]
        lines += ["", "| start ms | round trip ms | kB | outputs |", "|---|---|---|---|"]
        for start, ms, size, output in sorted(action.trace):
            outs = ", ".join(o.split(".")[0] for o in output.strip(".").split("...") if o)
            lines.append(f"| {start:.0f} | {ms:.0f} | {size / 1e3:.1f} | {outs[:100]} |")
        if action.drawn:
            lines += ["", "redrawn at: " + ", ".join(f"{g} {ms:.0f} ms" for g, ms in action.drawn)]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--logdir", type=Path)
    ap.add_argument("--classes", type=int, default=1000)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--trace", action="store_true", help="list the callback requests of the last run")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="cf-overview-bench-"))
    logdir = args.logdir or tmp / "logs"
    if args.logdir is None:
        generate(logdir, args.classes, args.steps)
    n_classes, n_steps = args.classes, args.steps
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "confusionflow.app", "--logdir", str(logdir), "--port", str(port)]
        + ["--cache-dir", str(tmp / "cache"), "--poll-seconds", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        load0 = Path("/proc/loadavg").read_text().split()[:3]
        wait_http(f"http://127.0.0.1:{port}/", timeout=300, proc=server)
        train, test, pruned = series_keys(args.classes)
        url = f"http://127.0.0.1:{port}/?" + "&".join(f"s={quote(k)}" for k in (test, pruned, train))
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            runs = [one_run(browser, url, n_classes, n_steps) for _ in range(args.repeat)]
            browser.close()
        load1 = Path("/proc/loadavg").read_text().split()[:3]
        print(f"{n_classes} classes x 3 series x {n_steps} steps; started {started}")
        print(f"load at start {' '.join(load0)}, at end {' '.join(load1)}")
        print(f"server RSS after the runs: {rss_mb(server.pid):.0f} MB")
        print(
            "| measure | cold (run 1) | cached (median of the rest) | kB sent (cached) |\n|---|---|---|---|"
        )
        for key in runs[0]:
            rest = [r[key] for r in runs[1:]] or [runs[0][key]]
            kb = statistics.median(a.total_bytes for a in rest) / 1e3
            print(
                f"| {key} | {runs[0][key].ms / 1e3:.2f} s | {statistics.median(a.ms for a in rest) / 1e3:.2f} s "
                f"| {kb:.0f} |"
            )
        if args.trace:
            print(trace_report(runs[-1]))
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)  # the generated log (when written here) and the cache


if __name__ == "__main__":
    main()
