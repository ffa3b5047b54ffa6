"""End-to-end speed of the dashboard in headless Chromium: first load, a range change, an epoch move.

Run: ``.venv/bin/python benchmarks/bench_browser.py`` (1.5–3 minutes on 2 cores; options:
``--classes 10 20 50 100 --series 3 --steps 100 --repeat 5``). Prints markdown tables.

What it does, for each class count:

* writes synthetic logs with ``LogWriter`` into a temporary folder (fixed seed; accuracy rises over
  the steps and the confusion sits mostly on a few class pairs, as in real training);
* starts the real app as its own process (``python -m confusionflow.app`` on 127.0.0.1, live polling off so no
  timer request interferes) and drives Debian's Chromium through Playwright;
* opens the page with the series chosen in the URL query string (``?s=run/fold&...``) and measures

  (a) first load: from navigation start until every view (matrix, class performance, class
      distribution, detail, timeline) holds its figure, no callback request is pending, and one
      more animation frame has run. A fresh browser context each time (nothing cached in the
      browser); the first run also makes the server parse the logs ("cold"), later ones hit its cache;
  (b) a range change: the right handle of the timeline's range slider moves one step left
      (keyboard), timed from the key press until all five views have redrawn for the new range
      (each graph fired ``plotly_react`` and its layout shows the new range), no request is
      pending, then one animation frame;
  (c) an epoch move: "next epoch" clicked, until every view shows the marker at the new step;
  the bytes of every ``_dash-update-component`` response during (b) and (c), and of the matrix's
  own response (an epoch move sends none for a heatmap: its markers move in the page; lines
  answer a small ``Patch``);

* and, in this process, (d) the server time to build and serialise the matrix figure for the
  windowed range of (b): ``matrix_values`` + ``build_matrix_figure`` and ``to_json_plotly`` (the
  encoder Dash uses), on the same logs.

Only 127.0.0.1 is used; the app process and the browser are stopped on exit, the logs deleted.
Times are median and best over ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from confusionflow.components.colors import slot_color  # noqa: E402
from confusionflow.components.matrix import MatrixStyle, build_matrix_figure  # noqa: E402
from confusionflow.data_access.store import LogStore  # noqa: E402
from confusionflow.data_access.views import matrix_values  # noqa: E402
from confusionflow.data_access.writer import LogWriter  # noqa: E402
from tests.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

FOLD = "test"
GRAPHS = {
    "matrix": "matrix-graph",
    "class performance": "class-performance-graph",
    "distribution": "class-distribution-graph",
    "detail": "detail-graph",
    "timeline": "timeline-graph",
}
TIMEOUT_MS = 120_000  # one wait; a 100-class first load on a loaded 2-core machine takes seconds
TARGETS = {  # product requirements: (server ms, browser ms) for a timeline change
    10: (50, 300),
    50: (300, 1500),
}


# ----------------------------------------------------------------------------- synthetic logs
def training_counts(n_classes: int, n_steps: int, quality: float, rng: np.random.Generator) -> np.ndarray:
    """Confusion matrices ``(T, C, C)`` of a classifier that learns over ``n_steps`` steps.

    Each class has 100–300 test instances. Accuracy rises from ~1/C towards ``quality``; most
    mistakes fall on a few "look-alike" pairs (class i with i^1, and i with a fixed random partner),
    the rest are spread thinly, so the matrix has the hot spots real runs show.
    """
    c = n_classes
    sizes = rng.integers(100, 301, size=c)
    weights = np.full((c, c), 0.2 / max(c - 1, 1))
    idx = np.arange(c)
    twin = np.minimum(idx ^ 1, c - 1)
    partner = rng.permutation(c)
    weights[idx, twin] += 3.0
    weights[idx, partner] += 1.0
    weights[idx, idx] = 0.0
    weights /= weights.sum(axis=1, keepdims=True)
    out = np.zeros((n_steps, c, c), dtype=np.int64)
    tau = n_steps / 6
    for t in range(n_steps):
        acc = quality - (quality - 1 / c) * np.exp(-t / tau)
        acc_c = np.clip(acc + rng.normal(0, 0.03, size=c), 0.0, 1.0)
        wrong = rng.binomial(sizes, 1 - acc_c)
        out[t] = rng.multinomial(wrong, weights)
        out[t, idx, idx] = sizes - wrong
    return out


def write_logs(root: Path, n_classes: int, n_series: int, n_steps: int, seed: int) -> list[str]:
    """One run per series (fold "test"), steps 1..n_steps; returns the series keys."""
    rng = np.random.default_rng(seed + n_classes)
    classes = [f"class {i:03d}" for i in range(n_classes)]
    keys = []
    for s in range(n_series):
        run = f"c{n_classes}-run{s}"
        counts = training_counts(n_classes, n_steps, quality=0.75 + 0.07 * s, rng=rng)
        with LogWriter(root, run, classes, metadata={"lr": 0.1 / (s + 1)}) as w:
            for t in range(n_steps):
                w.add_counts(t + 1, FOLD, counts[t])
        keys.append(f"{run}/{FOLD}")
    return keys


# ----------------------------------------------------------------------------- the app process
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppProcess:
    """``python -m confusionflow.app`` on loopback in its own process group, stopped (group-wide) by ``stop``."""

    def __init__(self, logdir: Path, cache_dir: Path, log_path: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log_path = log_path
        self._log = log_path.open("wb")
        args = [sys.executable, "-m", "confusionflow.app", "--logdir", str(logdir), "--port", str(self.port)]
        args += ["--host", "127.0.0.1", "--cache-dir", str(cache_dir), "--poll-seconds", "0"]
        self.proc = subprocess.Popen(
            args,
            cwd=REPO,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the app exited with {self.proc.returncode}:\n{self.output()[-3000:]}")
            with contextlib.suppress(OSError), urllib.request.urlopen(self.url, timeout=5) as r:
                if r.status == 200:
                    return
            time.sleep(0.2)
        raise TimeoutError(f"{self.url} did not answer within {timeout:.0f} s:\n{self.output()[-3000:]}")

    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self._log.close()


# ----------------------------------------------------------------------------- in the page
# Installed before any page script: counts pending Dash callback requests and logs each response
# (which outputs, bytes, round-trip ms); stamps the time of the user's key press or click; counts
# ``plotly_react`` (a new figure, Patch updates included) and ``plotly_update`` (epoch markers moved in
# the page) events per graph.
INIT_JS = """
(() => {
  const cf = window.__cf = {pending: 0, log: [], t0: null, reacts: {}, drawnAt: {}};
  const orig = window.fetch.bind(window);
  window.fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : (input && input.url) || '';
    if (!url.includes('_dash-update-component')) return orig(input, init);
    let output = '';
    try { output = JSON.parse(init.body).output || ''; } catch (e) { output = '?'; }
    const t = performance.now();
    cf.pending += 1;
    try {
      const resp = await orig(input, init);
      const buf = await resp.clone().arrayBuffer();
      cf.log.push({output, bytes: buf.byteLength, start: t, ms: performance.now() - t, status: resp.status});
      return resp;
    } finally {
      cf.pending -= 1;
    }
  };
  const stamp = () => { cf.t0 = performance.now(); };
  document.addEventListener('keydown', stamp, true);
  document.addEventListener('mousedown', stamp, true);
  cf.hook = (ids) => {
    for (const id of ids) {
      const holder = document.getElementById(id);
      const gd = holder && holder.querySelector('.js-plotly-plot');
      if (gd && gd.on && !gd.__cfHooked) {
        gd.__cfHooked = true;
        // a redraw: a new figure (react), or epoch markers moved in the page (update)
        const drawn = () => {
          cf.reacts[id] = (cf.reacts[id] || 0) + 1;
          cf.drawnAt[id] = performance.now();
        };
        gd.on('plotly_react', drawn);
        gd.on('plotly_update', drawn);
      }
    }
  };
})();
"""

# Polls every animation frame until all conditions hold and no callback request is pending, then
# waits one more frame (so the result has been painted) and returns performance.now().
WAIT_JS = """
async ({conds, timeout}) => {
  const cf = window.__cf;
  const tests = conds.map(([id, expr]) => [id, expr, new Function('gd', 'cf', 'doc', 'return (' + expr + ');')]);
  const start = performance.now();
  let failing = [];
  while (true) {
    await new Promise(r => requestAnimationFrame(r));
    failing = [];
    for (const [id, expr, fn] of tests) {
      const holder = id ? document.getElementById(id) : null;
      const gd = holder ? holder.querySelector('.js-plotly-plot') : null;
      let ok = false;
      try { ok = Boolean((!id || (gd && gd._fullLayout && gd.data)) && fn(gd, cf, document)); } catch (e) { ok = false; }
      if (!ok) failing.push(expr);
    }
    if (failing.length === 0 && cf.pending === 0) break;
    if (performance.now() - start > timeout) {
      throw new Error('timed out; still false: ' + JSON.stringify(failing) + ', pending ' + cf.pending);
    }
  }
  await new Promise(r => requestAnimationFrame(r));
  return performance.now();
}
"""

# A graph's shapes, title and annotations, to tell that a figure changed.
SIGNATURE = (
    "JSON.stringify([gd._fullLayout.shapes.map(s => [s.type, s.x0, s.x1, s.y0, s.y1, s.path]), "
    "(gd._fullLayout.title || {}).text, (gd._fullLayout.annotations || []).map(a => a.text)])"
)


@dataclass(frozen=True)
class Action:
    """One measured interaction: elapsed ms (user input to painted result) and response bytes."""

    ms: float
    total_bytes: int
    matrix_bytes: int
    matrix_round_trip_ms: float
    requests: int
    trace: tuple[tuple[float, float, int, str], ...] = ()  # (start after input ms, ms, bytes, outputs)
    drawn: tuple[tuple[str, float], ...] = ()  # (graph id, ms after input its last redraw finished)


def _stats(values: Sequence[float]) -> tuple[float, float]:
    return statistics.median(values), min(values)


def _reacted(graph_id: str, before: dict) -> str:
    return f"(cf.reacts[{graph_id!r}] || 0) > {before.get(graph_id, 0)}"


def _summarise(log: list[dict], elapsed: float, t0: float = 0.0, drawn: dict | None = None) -> Action:
    bad = [e for e in log if e["status"] not in (200, 204)]
    if bad:
        raise RuntimeError(f"callback requests failed: {bad}")
    matrix = [e for e in log if "matrix-graph.figure" in e["output"]]
    return Action(
        ms=elapsed,
        total_bytes=sum(e["bytes"] for e in log),
        matrix_bytes=sum(e["bytes"] for e in matrix),
        matrix_round_trip_ms=sum(e["ms"] for e in matrix),
        requests=len(log),
        trace=tuple((e["start"] - t0, e["ms"], e["bytes"], e["output"]) for e in log),
        drawn=tuple(sorted(((k, v - t0) for k, v in (drawn or {}).items()), key=lambda kv: kv[1])),
    )


class Dashboard:
    """One open page of the app and the interactions the benchmark times."""

    def __init__(self, browser, url: str, n_series: int) -> None:
        self.context = browser.new_context(viewport={"width": 1600, "height": 1100})
        self.context.add_init_script(INIT_JS)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.url = url
        self.n_series = n_series

    def _on_console(self, message) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def close(self) -> None:
        self.context.close()
        if self.errors:
            raise RuntimeError(f"browser console errors: {self.errors}")

    def _wait(self, conds: list[tuple[str | None, str]]) -> float:
        return self.page.evaluate(WAIT_JS, {"conds": conds, "timeout": TIMEOUT_MS})

    def _prepare(self) -> dict:
        """Hook every graph, clear the request log; returns the react counts and signatures."""
        return self.page.evaluate(
            f"""(ids) => {{
                const cf = window.__cf;
                cf.hook(ids);
                cf.log = [];
                cf.t0 = null;
                cf.drawnAt = {{}};
                const sig = {{}};
                for (const id of ids) {{
                    const gd = document.getElementById(id).querySelector('.js-plotly-plot');
                    sig[id] = {SIGNATURE};
                }}
                return {{reacts: {{...cf.reacts}}, sig}};
            }}""",
            list(GRAPHS.values()),
        )

    def _finish(self, done: float) -> Action:
        t0, log, drawn = self.page.evaluate("() => [window.__cf.t0, window.__cf.log, window.__cf.drawnAt]")
        if t0 is None:
            raise RuntimeError("the input event was not seen by the page")
        return _summarise(log, done - t0, t0, drawn)

    def first_load(self) -> Action:
        """(a): navigation start -> every view drawn (performance.now() counts from navigation)."""
        n = self.n_series
        self.page.goto(self.url)
        done = self._wait(
            [
                ("matrix-graph", "gd.data.length > 0"),
                (None, "doc.getElementById('matrix-caption').textContent.includes('classes')"),
                ("class-performance-graph", f"gd.data.length >= {n}"),
                ("class-distribution-graph", f"gd.data.length === {n}"),
                ("detail-graph", f"gd.data.length === {n}"),
                ("timeline-graph", f"gd.data.filter(t => t.type === 'scatter').length === {n}"),
            ]
        )
        log = self.page.evaluate("() => window.__cf.log")
        return _summarise(log, done)

    def range_change(self, lo: int, hi: int) -> Action:
        """(b): the slider's right handle one step left, the range becomes [lo, hi]."""
        before = self._prepare()["reacts"]
        self.page.locator("#range-slider [role='slider']").nth(1).focus()
        self.page.keyboard.press("ArrowLeft")
        done = self._wait(
            [
                ("matrix-graph", _reacted("matrix-graph", before)),
                (None, f"doc.getElementById('matrix-caption').textContent.includes('steps {lo}–{hi}')"),
                (
                    "class-performance-graph",
                    _reacted("class-performance-graph", before)
                    + f" && gd._fullLayout.annotations.some(a => (a.text || '').includes('{lo}–{hi}'))",
                ),
                (
                    "class-distribution-graph",
                    _reacted("class-distribution-graph", before)
                    + f" && gd._fullLayout.title.text.includes('({hi})')",
                ),
                (
                    "detail-graph",
                    _reacted("detail-graph", before)
                    + f" && gd._fullLayout.xaxis.range[0] <= {lo} && gd._fullLayout.xaxis.range[1] >= {hi}"
                    # padded symmetrically: the middle tells this range from the previous one
                    + f" && Math.abs(gd._fullLayout.xaxis.range[0] + gd._fullLayout.xaxis.range[1] - {lo + hi}) < 0.02",
                ),
                (
                    "timeline-graph",
                    _reacted("timeline-graph", before)
                    + f" && gd._fullLayout.shapes.some(s => s.type === 'rect' && s.x0 === {lo} && s.x1 === {hi})",
                ),
            ]
        )
        return self._finish(done)

    def epoch_move(self, epoch: int) -> Action:
        """(c): "next epoch" clicked; the selected step becomes ``epoch``."""
        prepared = self._prepare()
        before, sig = prepared["reacts"], prepared["sig"]

        def changed(graph_id: str) -> str:
            return _reacted(graph_id, before) + f" && {SIGNATURE} !== {sig[graph_id]!r}"

        # Above ~600k heatmap bricks the matrix averages consecutive steps into one column, so the
        # marker may stay where it was: then its (Patch) response arriving is the whole update. A
        # heatmap's markers move in the browser, with no request.
        matrix = (
            f"({changed('matrix-graph')}) || (cf.log.some(e => e.output.includes('matrix-graph.figure')) "
            f"&& {SIGNATURE} === {sig['matrix-graph']!r})"
        )

        self.page.click("#epoch-next")
        done = self._wait(
            [
                (None, f"doc.getElementById('epoch-label').textContent === 'step {epoch}'"),
                ("matrix-graph", matrix),
                ("class-performance-graph", changed("class-performance-graph")),
                (
                    "class-distribution-graph",
                    _reacted("class-distribution-graph", before)
                    + f" && gd._fullLayout.title.text.includes('step {epoch}')",
                ),
                (
                    "detail-graph",
                    _reacted("detail-graph", before)
                    + f" && gd._fullLayout.shapes.some(s => s.x0 === {epoch})",
                ),
                (
                    "timeline-graph",
                    _reacted("timeline-graph", before)
                    + f" && gd._fullLayout.shapes.some(s => s.type === 'line' && s.x0 === {epoch})",
                ),
            ]
        )
        return self._finish(done)


# ----------------------------------------------------------------------------- server side
def server_matrix_ms(logdir: Path, keys: list[str], lo: int, hi: int, repeat: int) -> tuple[list, list, int]:
    """(d): build and serialise the matrix of ``keys`` windowed to [lo, hi], as the callback does.

    Returns (build ms per run, to_json ms per run, JSON bytes).
    """
    from plotly.io.json import to_json_plotly

    tensor = LogStore(logdir).load(keys).tensor
    if tensor is None:
        raise RuntimeError(f"no tensor for {keys}")
    colors = [slot_color(i) for i in range(len(keys))]
    builds, dumps, size = [], [], 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        fig = build_matrix_figure(matrix_values(tensor.step_window(lo, hi), None), colors, MatrixStyle())
        t1 = time.perf_counter()
        payload = to_json_plotly(fig)
        t2 = time.perf_counter()
        builds.append((t1 - t0) * 1000)
        dumps.append((t2 - t1) * 1000)
        size = len(payload)
    return builds, dumps, size


# ----------------------------------------------------------------------------- one class count
@dataclass(frozen=True)
class CaseResult:
    classes: int
    series: int
    steps: int
    loads: list[Action]
    ranges: list[Action]
    epochs: list[Action]
    build_ms: list[float]
    json_ms: list[float]
    json_bytes: int
    plotly_js: str  # the plotly.js version the page loaded


def run_case(
    browser, root: Path, n_classes: int, n_series: int, n_steps: int, repeat: int, seed: int
) -> CaseResult:
    logdir = root / f"logs-{n_classes}"
    keys = write_logs(logdir, n_classes, n_series, n_steps, seed)
    app = AppProcess(logdir, root / f"cache-{n_classes}", root / f"app-{n_classes}.log")
    try:
        app.wait_ready()
        url = app.url + "?" + "&".join(f"s={k}" for k in keys)
        loads: list[Action] = []
        for _ in range(max(2, repeat // 2 + 1)):  # the first one is cold (the server parses the logs)
            board = Dashboard(browser, url, n_series)
            try:
                loads.append(board.first_load())
            finally:
                board.close()
        board = Dashboard(browser, url, n_series)
        try:
            board.first_load()
            plotly_js = board.page.evaluate("() => (window.Plotly && window.Plotly.version) || '?'")
            ranges = [board.range_change(1, n_steps - i) for i in range(1, repeat + 1)]
            epochs = [board.epoch_move(i) for i in range(1, repeat + 1)]
        finally:
            board.close()
    except Exception:
        sys.stderr.write(f"app output ({n_classes} classes):\n{app.output()[-3000:]}\n")
        raise
    finally:
        app.stop()
    builds, dumps, size = server_matrix_ms(logdir, keys, 1, n_steps - 1, repeat)
    return CaseResult(n_classes, n_series, n_steps, loads, ranges, epochs, builds, dumps, size, plotly_js)


# ----------------------------------------------------------------------------- report
def fmt(values: Sequence[float]) -> str:
    med, best = _stats(values)
    return f"{med:.0f} / {best:.0f}"


def kb(values: Sequence[int]) -> str:
    return f"{statistics.median(values) / 1e3:.1f}"


def verdict(n_classes: int, server_ms: float, browser_ms: float) -> str:
    target = TARGETS.get(n_classes)
    if target is None:
        return "works" if n_classes >= 100 else "–"
    ok = server_ms < target[0] and browser_ms < target[1]
    return f"{'met' if ok else 'MISSED'} (< {target[0]} ms / < {target[1] / 1000:g} s)"


def report(results: list[CaseResult], repeat: int, started: str, load: str) -> str:
    import dash
    import plotly

    lines = [
        f"# Browser benchmark ({started}; load average at start {load})",
        "",
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, dash {dash.__version__}, "
        f"plotly {plotly.__version__} (plotly.js {results[0].plotly_js if results else '?'}), "
        f"numpy {np.__version__}, {chromium_version()}. Times in ms: median / best of {repeat} runs "
        f"(warm first load: of {len(results[0].loads) - 1 if results else 0}).",
        "",
        "| classes | series × steps | first load, cold | first load, warm | range change | "
        "range: kB sent (matrix) | matrix callback round trip | epoch move | epoch: kB sent (matrix) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        warm = [a.ms for a in r.loads[1:]]
        lines.append(
            f"| {r.classes} | {r.series} × {r.steps} | {r.loads[0].ms:.0f} | {fmt(warm)} | "
            f"{fmt([a.ms for a in r.ranges])} | {kb([a.total_bytes for a in r.ranges])} "
            f"({kb([a.matrix_bytes for a in r.ranges])}) | {fmt([a.matrix_round_trip_ms for a in r.ranges])} | "
            f"{fmt([a.ms for a in r.epochs])} | {kb([a.total_bytes for a in r.epochs])} "
            f"({kb([a.matrix_bytes for a in r.epochs])}) |"
        )
    lines += [
        "",
        "Server: matrix figure for the range of the range change (steps 1 to T−1), in this process.",
        "",
        "| classes | build ms | to_json ms | build + to_json ms | JSON MB | timeline change target |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        total = [b + j for b, j in zip(r.build_ms, r.json_ms, strict=True)]
        lines.append(
            f"| {r.classes} | {fmt(r.build_ms)} | {fmt(r.json_ms)} | {fmt(total)} | "
            f"{r.json_bytes / 1e6:.2f} | "
            f"{verdict(r.classes, statistics.median(total), statistics.median(a.ms for a in r.ranges))} |"
        )
    return "\n".join(lines)


def trace_report(results: list[CaseResult]) -> str:
    """Each callback request of the last first load, range change and epoch move: when it started
    (ms after the input; after navigation start for the load), how long it took, its bytes."""
    lines = []
    for r in results:
        for name, action in (
            ("first load", r.loads[-1]),
            ("range change", r.ranges[-1]),
            ("epoch move", r.epochs[-1]),
        ):
            lines += [
                "",
                f"{r.classes} classes, {name}: {action.ms:.0f} ms, {action.requests} requests",
                "",
                "| start ms | round trip ms | kB | outputs |",
                "|---|---|---|---|",
            ]
            for start, ms, size, output in sorted(action.trace):
                outs = ", ".join(o.split(".")[0] for o in output.strip(".").split("...") if o)
                lines.append(f"| {start:.0f} | {ms:.0f} | {size / 1e3:.1f} | {outs[:90]} |")
            if action.drawn:
                lines += ["", "redrawn at: " + ", ".join(f"{g} {ms:.0f} ms" for g, ms in action.drawn)]
    return "\n".join(lines)


def chromium_version() -> str:
    try:
        out = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return "Chromium (version unknown)"
    return out.strip().split(" built")[0] or "Chromium (version unknown)"


def _raise_on_sigterm(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # so the finally blocks stop the app and the browser


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--classes", type=int, nargs="+", default=[10, 20, 50, 100])
    ap.add_argument("--series", type=int, default=3)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--trace", action="store_true", help="also list the callback requests of the last runs")
    args = ap.parse_args(argv)
    if args.steps < args.repeat + 2:
        ap.error("--steps must exceed --repeat by at least 2 (each range change drops one step)")
    if not Path(CHROMIUM).exists():
        ap.error(f"{CHROMIUM} not found (set CONFUSIONFLOW_CHROMIUM)")
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    from playwright.sync_api import sync_playwright

    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    results: list[CaseResult] = []
    with tempfile.TemporaryDirectory(prefix="cf-bench-browser-") as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for c in args.classes:
                t0 = time.monotonic()
                results.append(
                    run_case(browser, Path(tmp), c, args.series, args.steps, args.repeat, args.seed)
                )
                print(
                    f"<!-- {c} classes done in {time.monotonic() - t0:.0f} s -->", file=sys.stderr, flush=True
                )
        finally:
            browser.close()
    print(report(results, args.repeat, started, load))
    if args.trace:
        print(trace_report(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
