"""What a second instance gains from the shared cache: first load of every series in a fresh process.

A new gunicorn worker or another machine starts with an empty memory. It either parses the log
files itself ("cold") or reads the arrays another instance already stored: from the cache folder
on the same machine ("disk") or from Redis ("redis", a throw-away redis-server on a loopback port).
Each row times ``LogStore(...).load(keys)`` for all series in a new store, median of several runs.

Run: ``.venv/bin/python benchmarks/bench_shared_cache.py`` (under a minute; needs redis-server).
Prints a markdown table with the machine and date. Temporary files are removed afterwards.
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
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from confusionflow.data_access.cache import DiskArrayCache, RedisArrayCache  # noqa: E402
from confusionflow.data_access.store import LogStore  # noqa: E402
from confusionflow.data_access.writer import LogWriter  # noqa: E402

CASES = [  # (classes, series, steps, instances per step)
    (10, 3, 50, 10_000),
    (10, 3, 50, 100_000),
    (100, 2, 100, 10_000),
]
REPEATS = 5


def _machine() -> str:
    model = ""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        model = next(
            (ln.split(":", 1)[1].strip() for ln in out.splitlines() if ln.startswith("Model name")), ""
        )
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {model or platform.processor()}, Python {platform.python_version()}"


def _write_logs(root: Path, classes: int, series: int, steps: int, n: int) -> list[str]:
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, classes, n)
    keys = []
    for s in range(series):
        with LogWriter(root, f"run{s}", [f"c{i}" for i in range(classes)]) as w:
            for step in range(steps):
                wrong = rng.random(n) < 0.5 / (step + 1)
                w.add(step, "test", y_true, np.where(wrong, rng.integers(0, classes, n), y_true))
        keys.append(f"run{s}/test")
    return keys


def _median_ms(fn: Callable[[], object]) -> float:
    times = []
    for _ in range(REPEATS):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    redis_bin = shutil.which("redis-server")
    if redis_bin is None:
        sys.exit("redis-server not found: apt-get install redis-server")
    port = _free_port()
    redis_proc = subprocess.Popen(
        [redis_bin, "--port", str(port), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    rows = []
    try:
        import redis

        client = redis.Redis.from_url(url)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        with tempfile.TemporaryDirectory(prefix="cf-bench-") as tmp:
            for case, (classes, series, steps, n) in enumerate(CASES):
                root = Path(tmp) / f"logs-{case}"
                keys = _write_logs(root, classes, series, steps, n)
                disk_dir = Path(tmp) / f"disk-{case}"

                def cold(root: Path = root, keys: list[str] = keys) -> None:
                    LogStore(root).load(keys)

                LogStore(root, cache=DiskArrayCache(disk_dir)).load(keys)  # another instance filled it
                LogStore(root, cache=RedisArrayCache(url)).load(keys)

                def disk(root: Path = root, keys: list[str] = keys, d: Path = disk_dir) -> None:
                    store = LogStore(root, cache=DiskArrayCache(d))
                    store.load(keys)
                    assert store.stats["parsed"] == 0

                def shared(root: Path = root, keys: list[str] = keys) -> None:
                    store = LogStore(root, cache=RedisArrayCache(url))
                    store.load(keys)
                    assert store.stats["parsed"] == 0

                cold_ms, disk_ms, redis_ms = _median_ms(cold), _median_ms(disk), _median_ms(shared)
                rows.append((classes, series, steps, n, cold_ms, disk_ms, redis_ms))
    finally:
        redis_proc.terminate()
        redis_proc.wait(10)

    print(f"Machine: {_machine()}; {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; median of {REPEATS}\n")
    print("| classes | series | steps | instances/step | cold parse (ms) | disk cache (ms) | Redis (ms) |")
    print("|---|---|---|---|---|---|---|")
    for c, s, t, n, a, b, r in rows:
        print(f"| {c} | {s} | {t} | {n:,} | {a:,.0f} | {b:,.1f} | {r:,.1f} |")


if __name__ == "__main__":
    main()
