"""Where the time of an added series, a range change and an epoch move goes, in one page.

Run: ``.venv/bin/python benchmarks/bench_actions_trace.py --classes 10 --repeat 2 [--tree PATH]``
(``--tree``: run the app of another checkout, e.g. ``git worktree add /tmp/base <commit>``).
Synthetic logs of ``bench_first_view`` (2 series x 100 steps, one shown, the other added), the
clock of ``bench_first_view`` (input to the last DOM change before 1 s of quiet). For each action
it prints, in ms after the input: every callback request (start, round trip, decoded kB, outputs)
with its Resource Timing (request sent, first byte: the server's time with its queue), each
``Plotly.react`` / ``Plotly.update`` a graph ran (start, end) and the long tasks; at the end each
request body replayed alone against the same server (5 times, median ms: its server time without
company; a matrix answered from the server's memory of built matrices is cheaper than a build).
Only 127.0.0.1 is used.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import benchmarks.bench_browser as bench_browser  # noqa: E402
from benchmarks.bench_first_view import Board, new_context, write_logs  # noqa: E402
from tests.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

# Wraps Plotly.react / Plotly.update (per graph: start and end), keeps each request body, logs
# long tasks; run again before each action to clear the logs.
HOOK = """() => {
  const cf = window.__cf;
  if (!window.__cfTraced) {
    window.__cfTraced = true;
    const wrap = (name, tag) => {
      const orig = window.Plotly[name];
      window.Plotly[name] = function (gd, ...rest) {
        const t = performance.now();
        const out = orig.call(this, gd, ...rest);
        const id = ((gd && gd.parentElement && gd.parentElement.id) || '?') + tag;
        Promise.resolve(out).then(() => cf.drawLog.push({id, start: t, end: performance.now()}));
        return out;
      };
    };
    wrap('react', '');
    wrap('update', ' (update)');
    const origFetch = window.fetch;
    window.fetch = function (input, init) {
      if (String(input).includes('_dash-update-component')) cf.bodies.push(init.body);
      return origFetch(input, init);
    };
    new PerformanceObserver(l => {
      for (const e of l.getEntries()) cf.long.push({start: e.startTime, ms: e.duration});
    }).observe({entryTypes: ['longtask']});
  }
  cf.drawLog = []; cf.bodies = []; cf.long = [];
}"""
COLLECT = """() => [window.__cf.t0, window.__cf.log, window.__cf.drawLog, window.__cf.long, window.__cf.bodies,
  performance.getEntriesByType('resource').filter(e => e.name.includes('_dash-update'))
    .map(e => [e.startTime, e.requestStart, e.responseStart, e.responseEnd])]"""


def report(board: Board, name: str) -> list[str]:
    t0, log, drawn, long_tasks, bodies, timings = board.page.evaluate(COLLECT)
    print(f"\n### {name}\n")
    for e in sorted(log, key=lambda e: e["start"]):
        outs = ",".join(o.split(".")[0] for o in e["output"].strip(".").split("...") if o)
        timing = next((r for r in timings if abs(r[0] - e["start"]) < 3), None)
        server = f"sent {timing[1] - t0:5.0f} first byte {timing[2] - t0:5.0f}" if timing else ""
        print(
            f"- request {e['start'] - t0:5.0f} +{e['ms']:4.0f} -> {e['start'] - t0 + e['ms']:5.0f}  "
            f"{e['bytes'] / 1e3:6.1f} kB  {server}  {outs[:90]}"
        )
    for r in sorted(drawn, key=lambda r: r["start"]):
        print(
            f"- draw {r['id']}: {r['start'] - t0:.0f} -> {r['end'] - t0:.0f} ({r['end'] - r['start']:.0f} ms)"
        )
    for task in long_tasks:
        if task["start"] + task["ms"] > t0:
            print(f"- long task at {task['start'] - t0:.0f}, {task['ms']:.0f} ms")
    return bodies


def replay(url: str, bodies: dict[str, list[str]]) -> None:
    print("\n### each request alone (5 runs, median ms, decoded kB)\n")
    for action, sent in bodies.items():
        for body in sent:
            times, data = [], b""
            for _ in range(5):
                req = urllib.request.Request(
                    url + "_dash-update-component",
                    data=body.encode(),
                    headers={"Content-Type": "application/json"},
                )
                t = time.perf_counter()
                with urllib.request.urlopen(req) as r:
                    data = r.read()
                times.append((time.perf_counter() - t) * 1000)
            output = json.loads(body)["output"]
            print(f"- {action}: {statistics.median(times):5.1f} ms {len(data) / 1e3:6.1f} kB {output[:80]}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--tree", type=Path, default=REPO, help="the checkout whose app runs")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    print(f"started {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load {os.getloadavg()}")
    with tempfile.TemporaryDirectory(prefix="cf-trace-") as tmp, sync_playwright() as p:
        root = Path(tmp)
        keys = write_logs(root / "logs", args.classes, 2, 100, seed=0)
        bench_browser.REPO = args.tree.resolve()
        app = bench_browser.AppProcess(root / "logs", root / "cache", root / "app.log")
        bench_browser.REPO = REPO
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            app.wait_ready()
            url = app.url + "?s=" + keys[0]
            bodies: dict[str, list[str]] = {}
            for _ in range(args.repeat):
                context = new_context(browser)
                board = Board(context, url, 1)
                board.load()
                board.page.evaluate(HOOK)
                ms = board.add_series(keys[1].replace("/", " / "))
                bodies["add"] = report(board, f"add a series: {ms:.0f} ms")
                board.close()
                board = Board(context, url, 1)
                board.load()
                board.page.evaluate(HOOK)
                board.range_step_left()
                bodies["range"] = report(board, f"range change: {board.settled_after_input():.0f} ms")
                for epoch in (1, 2):
                    board.page.evaluate(HOOK)
                    board.epoch_move(epoch)
                    bodies[f"epoch {epoch}"] = report(
                        board, f"epoch move to {epoch}: {board.settled_after_input():.0f} ms"
                    )
                board.close()
                context.close()
            replay(app.url, bodies)
        finally:
            browser.close()
            app.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
