"""How many matrix redraws per second gunicorn serves, by number of workers.

Starts ``gunicorn confusionflow.app.wsgi:application`` on generated logs (10 classes, 3 series, 50 steps, 5,000
instances per step) with 1, 2 and 4 workers (each on a loopback port with its own cache folder),
records in headless Chromium the exact ``_dash-update-component`` request that draws the matrix
for the three series, then replays it from 8 client threads, the three servers taking turns in
rounds, and reports throughput and latency. This is the request a user triggers on every series, class or
step-range change. On a shared machine the numbers move with the other load: run it twice.

Run: ``.venv/bin/python benchmarks/bench_gunicorn.py`` (about a minute; needs /usr/bin/chromium).
Prints a markdown table with the machine and date.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from confusionflow.data_access.writer import LogWriter  # noqa: E402
from tests.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

LOGS = (10, 3, 50, 5_000)  # classes, series, steps, instances per step
WORKERS = (1, 2, 4)
CLIENTS = 8
REQUESTS = 240  # per configuration, in ROUNDS interleaved batches
ROUNDS = 4


def machine() -> str:
    out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    model = next((ln.split(":", 1)[1].strip() for ln in out.splitlines() if ln.startswith("Model name")), "")
    return f"{os.cpu_count()} cores, {model or platform.processor()}, Python {platform.python_version()}"


def _write_logs(root: Path) -> None:
    classes, series, steps, n = LOGS
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, classes, n)
    for s in range(series):
        with LogWriter(root, f"run{s}", [f"c{i}" for i in range(classes)]) as w:
            for step in range(steps):
                wrong = rng.random(n) < 0.6 / (step + 1) ** 0.5
                w.add(step, "test", y_true, np.where(wrong, rng.integers(0, classes, n), y_true))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, proc: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(url)


def _series(logdir: Path) -> list[str]:
    """The first three series of the served log folder (health probes do not list names)."""
    from confusionflow.data_access.store import LogStore

    return [info.key for info in LogStore(logdir).list_series()][:3]


def _capture_matrix_request(base: str, series: list[str]) -> tuple[str, bytes]:
    """The URL and body of the callback request that answers with the matrix figure."""
    from playwright.sync_api import sync_playwright

    captured: list[tuple[str, bytes]] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1100})

        def on_response(r) -> None:  # noqa: ANN001 - playwright Response
            if "_dash-update-component" not in r.url or r.status != 200:
                return
            text = r.text()
            if '"matrix-graph"' in text and '"figure"' in text:
                captured.append((r.url, r.request.post_data_buffer))

        page.on("response", on_response)
        page.goto(base + "?" + "&".join(f"s={k}" for k in series))
        page.wait_for_function(
            "() => { const g = document.querySelector('#matrix-graph .js-plotly-plot');"
            " return g && g.data && g.data.length > 0; }",
            timeout=90_000,
        )
        page.wait_for_load_state("networkidle")
        browser.close()
    if not captured:
        raise RuntimeError("no matrix callback seen")
    return captured[-1]


def _replay(url: str, body: bytes, count: int) -> tuple[float, list[float], int]:
    """``count`` requests from CLIENTS threads: (wall seconds, latencies in ms, response bytes)."""

    def one(_: int) -> tuple[float, int]:
        req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
        t = time.perf_counter()
        with urllib.request.urlopen(req, timeout=120) as r:
            size = len(r.read())
        return (time.perf_counter() - t) * 1000, size

    start = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        results = list(pool.map(one, range(count)))
    return time.perf_counter() - start, [ms for ms, _ in results], results[0][1]


def _start(workers: int, logdir: Path, cache: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {
        **os.environ,
        "CONFUSIONFLOW_LOGDIR": str(logdir),
        "CONFUSIONFLOW_CACHE_DIR": str(cache),
        "CONFUSIONFLOW_POLL_SECONDS": "0",
    }
    env.pop("REDIS_URL", None)
    env.pop("CONFUSIONFLOW_REDIS_URL", None)
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    proc = subprocess.Popen(
        [
            gunicorn,
            "confusionflow.app.wsgi:application",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return proc, f"http://127.0.0.1:{port}/"


def main() -> None:
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} not found")
    procs: list[subprocess.Popen] = []
    rows = []
    with tempfile.TemporaryDirectory(prefix="cf-bench-gunicorn-") as tmp:
        logdir = Path(tmp) / "logs"
        _write_logs(logdir)
        try:
            targets = {}
            for workers in WORKERS:
                proc, base = _start(workers, logdir, Path(tmp) / f"cache-{workers}")
                procs.append(proc)
                wait_ready(base + "healthz", proc)
                url, body = _capture_matrix_request(base, _series(logdir))
                _replay(url, body, 2 * workers)  # every worker parses once and warms up
                targets[workers] = (url, body)
            # Interleave the configurations in rounds so drifting load on a shared machine hits all alike.
            wall = dict.fromkeys(WORKERS, 0.0)
            latencies: dict[int, list[float]] = {w: [] for w in WORKERS}
            sizes = {}
            for _ in range(ROUNDS):
                for workers, (url, body) in targets.items():
                    seconds, ms, sizes[workers] = _replay(url, body, REQUESTS // ROUNDS)
                    wall[workers] += seconds
                    latencies[workers] += ms
            for w in WORKERS:
                q = statistics.quantiles(latencies[w], n=20)
                rows.append(
                    (w, len(latencies[w]) / wall[w], statistics.median(latencies[w]), q[18], sizes[w])
                )
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(20)

    c, r, t, n = LOGS
    print(
        f"Machine: {machine()}; {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; C={c}, {r} series, T={t}, N={n:,};"
    )
    print(
        f"{REQUESTS} matrix callback requests per row from {CLIENTS} client threads, {ROUNDS} interleaved rounds\n"
    )
    print("| gunicorn workers | requests/s | median latency (ms) | p95 latency (ms) | response (KB) |")
    print("|---|---|---|---|---|")
    for w, rps, p50, p95, size in rows:
        print(f"| {w} | {rps:.1f} | {p50:.0f} | {p95:.0f} | {size / 1024:.0f} |")


if __name__ == "__main__":
    main()
