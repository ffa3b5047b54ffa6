"""The many-class page in headless Chromium: first view, a strategy click and a box drag.

Run: ``.venv/bin/python benchmarks/bench_overview_browser.py [--logdir DIR] [--classes 1000
--steps 50] [--repeat 3]`` (``--classes`` names the series of ``--logdir``). Without ``--logdir`` a stress log (``gen_many_classes.py``: 3 series)
is written to a temporary folder. The real app runs as its own process on 127.0.0.1 (polling off);
the first load parses the logs ("cold"), later loads hit the cache. Times are from navigation (or
the click / mouse release) until the views show the result and no callback request has been
pending for one animation frame; the server's resident memory is read from /proc afterwards.
The temporary folder (log and cache) is deleted on exit.
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
from benchmarks.gen_many_classes import generate, series_keys  # noqa: E402
from tests.conftest import free_port, wait_http  # noqa: E402

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def settle(page, pending: list[int], condition: str, timeout: float = 120.0) -> None:
    """Wait for ``condition`` (JS) and no pending callback request over one animation frame."""
    page.wait_for_function(condition, timeout=timeout * 1000)
    end = time.time() + timeout
    while time.time() < end:
        if pending[0] == 0:
            page.evaluate("() => new Promise(r => requestAnimationFrame(() => r()))")
            if pending[0] == 0:
                return
        page.wait_for_timeout(20)
    raise TimeoutError("callbacks still pending")


def rows_condition(n: int) -> str:
    return (
        "() => { const gd = document.querySelector('#matrix-graph .js-plotly-plot');"
        f" return gd && gd.layout && (gd.layout.yaxis.ticktext || []).length === {n + 1}; }}"
    )


OVERVIEW_DRAWN = (
    "() => { const gd = document.querySelector('#overview-graph .js-plotly-plot');"
    " return gd && gd.data && gd.data.length > 0 && gd.data[0].type === 'heatmap'; }"
)


def one_run(browser, url: str) -> dict[str, float]:
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    pending = [0]
    is_cb = lambda r: "_dash-update-component" in r.url  # noqa: E731

    def started(r):
        pending[0] += is_cb(r)

    def ended(r):
        pending[0] -= is_cb(r)

    page.on("request", started)
    page.on("requestfinished", ended)
    page.on("requestfailed", ended)
    out: dict[str, float] = {}
    t = time.perf_counter()
    page.goto(url)
    settle(page, pending, OVERVIEW_DRAWN)
    settle(page, pending, rows_condition(10))
    out["first view"] = time.perf_counter() - t
    page.fill("#strategy-k", "8")
    t = time.perf_counter()
    page.click("#strategy-apply")
    settle(page, pending, rows_condition(8))
    out["strategy click"] = time.perf_counter() - t
    box = page.evaluate(
        """() => { const gd = document.querySelector('#overview-graph .js-plotly-plot');
            const r = gd.getBoundingClientRect(), xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
            return [r.left + xa._offset + xa.l2p(200), r.top + ya._offset + ya.l2p(200),
                    r.left + xa._offset + xa.l2p(260), r.top + ya._offset + ya.l2p(260)]; }"""
    )
    page.mouse.move(box[0], box[1])
    page.mouse.down()
    for f in (0.5, 1.0):
        page.mouse.move(box[0] + f * (box[2] - box[0]), box[1] + f * (box[3] - box[1]))
    t = time.perf_counter()
    page.mouse.up()
    settle(page, pending, rows_condition(40))
    out["box drag"] = time.perf_counter() - t
    page.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--logdir", type=Path)
    ap.add_argument("--classes", type=int, default=1000)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="cf-overview-bench-"))
    logdir = args.logdir or tmp / "logs"
    if args.logdir is None:
        generate(logdir, args.classes, args.steps)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "confusionflow.app", "--logdir", str(logdir), "--port", str(port)]
        + ["--cache-dir", str(tmp / "cache"), "--poll-seconds", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/", timeout=300, proc=server)
        train, test, pruned = series_keys(args.classes)
        url = f"http://127.0.0.1:{port}/?" + "&".join(f"s={quote(k)}" for k in (test, pruned, train))
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            runs = [one_run(browser, url) for _ in range(args.repeat)]
            browser.close()
        print(f"load: {Path('/proc/loadavg').read_text().strip()}")
        print(f"server RSS after the runs: {rss_mb(server.pid):.0f} MB")
        print("| measure | cold (run 1) | cached (median of the rest) |\n|---|---|---|")
        for key in runs[0]:
            rest = [r[key] for r in runs[1:]] or [runs[0][key]]
            print(f"| {key} | {runs[0][key]:.2f} s | {statistics.median(rest):.2f} s |")
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)  # the generated log and the cache


if __name__ == "__main__":
    main()
