"""The floor of a first view: a minimal Dash page against ours, fresh and returning, alternated.

Run: ``.venv/bin/python benchmarks/bench_floor_page.py`` (about 3 minutes on 2 shared cores;
``--classes 10 --rounds 3``). Prints a markdown table.

The minimal page is the one the first view's analysis names as the floor: five ``dcc.Graph``
heatmaps (``--classes`` x ``--classes``, random values) already in the layout, no callbacks, the
vendored plotly.js cartesian bundle (``assets/vendor``) as an asset script, compressed responses
(``dash.Dash(compress=True)``), served by Flask's own server on 127.0.0.1. ``minimal + worker``
is the same page with a service worker (``/sw.js``, scope ``/``) that on its install caches the
page's scripts in Cache Storage and answers them from there (Chromium compiles a script put in
Cache Storage during a worker's install at once and keeps its V8 code cache with it, where a
script from the HTTP cache gets one only after its second run): what such a worker could save a
returning visit. "ours" is the real app (``python -m confusionflow.app``) on the synthetic logs of
``bench_first_view.py`` (2 series, one shown, 100 steps) at the same class count.

Timing rule of ``bench_first_view.py``: settled = the last DOM change after which the page stays
quiet for 1 s, with every graph drawn; fresh = a new browser profile, returning = a new page in
the profile that loaded once (for the worker: once its worker is active). Each round runs the
three pages in turn, so load falls on all alike; medians over the rounds.
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.bench_browser import AppProcess, chromium_version, free_port, write_logs  # noqa: E402
from benchmarks.bench_first_view import QUIET_JS, QUIET_MS, TIMEOUT_MS, Board, new_context  # noqa: E402
from tests.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

BUNDLE = REPO / "assets" / "vendor" / "plotly-cartesian-4.1.1.min.js"
GRAPHS = ["g0", "g1", "g2", "g3", "g4"]

# the minimal app; {worker} switches the service worker on
MINIMAL_APP = textwrap.dedent(
    '''
    import sys
    import numpy as np
    import dash
    from dash import dcc, html

    n, port, worker = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1"
    rng = np.random.default_rng(0)
    app = dash.Dash(__name__, assets_folder=sys.argv[4], compress=True, serve_locally=True)

    def heatmap(i):
        z = rng.integers(0, 100, size=(n, n)).tolist()
        return dcc.Graph(id=f"g{{i}}", figure={{"data": [{{"type": "heatmap", "z": z}}],
                         "layout": {{"title": {{"text": f"graph {{i}}"}}}}}}, style={{"height": "320px"}})

    app.layout = html.Div([heatmap(i) for i in range(5)])

    SW = """
    const CACHE = 'floor-v1';
    self.addEventListener('install', (event) => {{
      event.waitUntil((async () => {{
        const page = await (await fetch('/', {{cache: 'no-store'}})).text();
        const urls = [...page.matchAll(/<script[^>]+src="([^"]+)"/g)].map(m => m[1]);
        const cache = await caches.open(CACHE);
        await cache.addAll(urls);
        await self.skipWaiting();
      }})());
    }});
    self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
    self.addEventListener('fetch', (event) => {{
      const url = new URL(event.request.url);
      if (event.request.method !== 'GET' || !/\\.js$/.test(url.pathname)) return;
      event.respondWith(caches.match(event.request).then((hit) => hit || fetch(event.request)));
    }});
    """

    if worker:
        @app.server.route("/sw.js")
        def sw():
            return app.server.response_class(SW, mimetype="text/javascript",
                                             headers={{"Cache-Control": "no-cache"}})

        app.index_string = app.index_string.replace(
            "</body>",
            "<script>navigator.serviceWorker.register('/sw.js');</script></body>",
        )

    app.run(host="127.0.0.1", port=port, debug=False)
    '''
)


class MinimalApp:
    """The minimal page in its own process (its own process group, stopped group-wide)."""

    def __init__(self, root: Path, n_classes: int, worker: bool) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        assets = root / f"assets-{int(worker)}"
        assets.mkdir(parents=True, exist_ok=True)
        (assets / BUNDLE.name).write_bytes(BUNDLE.read_bytes())
        script = root / "minimal_app.py"
        script.write_text(MINIMAL_APP.format())
        self.log = (root / f"minimal-{int(worker)}.log").open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, str(script), str(n_classes), str(self.port), str(int(worker)), str(assets)],
            cwd=root,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self) -> None:
        import urllib.request

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url, timeout=5) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise TimeoutError(f"{self.url} did not answer")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(10)
        self.log.close()


DRAWN_JS = """async ({ids, timeout}) => {
  const start = performance.now();
  while (true) {
    await new Promise(r => requestAnimationFrame(r));
    const ok = ids.every(id => {
      const gd = document.getElementById(id) && document.getElementById(id).querySelector('.js-plotly-plot');
      return gd && gd._fullLayout && gd.data && gd.data.length > 0 && gd.querySelector('.heatmaplayer image');
    });
    if (ok) return performance.now();
    if (performance.now() - start > timeout) throw new Error('not drawn: ' + ids);
  }
}"""


def minimal_load(context, url: str, worker: bool) -> tuple[float, int]:
    """Settled ms of one load of the minimal page, and how many scripts came from the worker."""
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto(url)
        page.evaluate(DRAWN_JS, {"ids": GRAPHS, "timeout": TIMEOUT_MS})
        settled = page.evaluate(QUIET_JS, {"quiet": QUIET_MS, "timeout": TIMEOUT_MS})
        from_worker = page.evaluate(
            "() => performance.getEntriesByType('resource')"
            ".filter(e => e.initiatorType === 'script' && e.workerStart > 0).length"
        )
        if worker:  # the returning visit must find the worker active and its scripts cached
            page.evaluate(
                "() => navigator.serviceWorker.ready.then(() => caches.open('floor-v1'))"
                ".then(c => c.keys()).then(k => k.length)"
            )
        if errors:
            raise RuntimeError(f"console errors: {errors}")
        return settled, from_worker
    finally:
        page.close()


def ours_load(context, url: str) -> tuple[float, int]:
    """Settled ms of one load of our page (``bench_first_view``'s Board) and 0 worker scripts."""
    board = Board(context, url, 1)
    try:
        return board.load().settled_ms, 0
    finally:
        board.close()


def med(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load_start = " ".join(f"{x:.2f}" for x in os.getloadavg())
    rows: dict[str, dict[str, list[float]]] = {}
    worker_scripts: list[int] = []
    with tempfile.TemporaryDirectory(prefix="cf-bench-floor-") as tmp, sync_playwright() as p:
        root = Path(tmp)
        keys = write_logs(root / "logs", args.classes, 2, 100, seed=0)
        ours = AppProcess(root / "logs", root / "cache", root / "app.log")
        plain, worker = MinimalApp(root, args.classes, False), MinimalApp(root, args.classes, True)
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            ours.wait_ready()
            plain.wait_ready()
            worker.wait_ready()
            ours_url = ours.url + "?s=" + keys[0]
            pages = {
                "minimal": lambda c: minimal_load(c, plain.url, False),
                "minimal + worker": lambda c: minimal_load(c, worker.url, True),
                "ours": lambda c: ours_load(c, ours_url),
            }
            for i in range(args.rounds + 1):  # round 0 warms the servers and is not counted
                for name, load in pages.items():
                    context = new_context(browser)
                    try:
                        fresh = load(context)
                        if name == "minimal + worker":
                            context.new_page().close()
                            time.sleep(0.5)  # the worker installs after the first load
                        returning = load(context)
                    finally:
                        context.close()
                    if i and name == "minimal + worker":
                        worker_scripts.append(returning[1])
                    if i:
                        row = rows.setdefault(name, {"fresh": [], "returning": []})
                        row["fresh"].append(fresh[0])
                        row["returning"].append(returning[0])
                print(f"<!-- round {i} done {time.strftime('%H:%M:%S', time.gmtime())} -->", file=sys.stderr)
        finally:
            browser.close()
            for app in (ours, plain, worker):
                app.stop()
    load_end = " ".join(f"{x:.2f}" for x in os.getloadavg())
    import dash
    import plotly

    print(f"# The floor page against ours ({started}; load average {load_start} at start, {load_end} at end)")
    print()
    print(
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, dash {dash.__version__}, plotly "
        f"{plotly.__version__}, {chromium_version()}; {args.classes} classes; medians of {args.rounds} "
        f"rounds, ms (settled = last DOM change before {QUIET_MS} ms of quiet, every graph drawn)."
    )
    print()
    print("| page | first view settled, fresh | returning visit, settled | every run (fresh / returning) |")
    print("|---|---:|---:|---|")
    for name, row in rows.items():
        runs = ", ".join(f"{f:.0f}/{r:.0f}" for f, r in zip(row["fresh"], row["returning"], strict=True))
        print(f"| {name} | {med(row['fresh']):.0f} | {med(row['returning']):.0f} | {runs} |")
    print()
    print(f"Scripts the worker answered on each returning visit: {worker_scripts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
