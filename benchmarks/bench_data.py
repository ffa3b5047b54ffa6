"""Speed of the data layer: counting predictions, loading cached tensors, appending steps.

Run: ``.venv/bin/python benchmarks/bench_data.py`` (about a minute). Prints a markdown table with
the machine and date. Everything is written to a temporary folder that is removed afterwards.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from confusionflow.data_access.cache import DiskArrayCache, MemoryArrayCache  # noqa: E402
from confusionflow.data_access.counting import counts_from_predictions  # noqa: E402
from confusionflow.data_access.step_files import read_predictions_dir  # noqa: E402
from confusionflow.data_access.store import LogStore  # noqa: E402
from confusionflow.data_access.writer import LogWriter  # noqa: E402


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(median, min) wall time in milliseconds over ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), min(times)


def machine() -> str:
    model = platform.processor() or "unknown CPU"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        model = next(
            (ln.split(":", 1)[1].strip() for ln in out.splitlines() if ln.startswith("Model name")), model
        )
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {model}, Python {platform.python_version()}, numpy {np.__version__}"


def main() -> None:
    rng = np.random.default_rng(0)
    rows: list[tuple[str, float, float, str]] = []

    # 1. Counting 10 M predictions (100 classes, 50 steps x 200,000 instances) in one bincount.
    c, steps, n = 100, 50, 200_000
    step_index = np.repeat(np.arange(steps), n)
    y_true = rng.integers(0, c, steps * n).astype(np.uint8)
    y_pred = rng.integers(0, c, steps * n).astype(np.uint8)
    med, best = timed(lambda: counts_from_predictions(step_index, y_true, y_pred, steps, c), 5)
    rows.append(
        ("counts from 10 M prediction rows (arrays in memory, 100 classes, 50 steps)", med, best, "< 1000")
    )

    with tempfile.TemporaryDirectory(prefix="cf-bench-") as tmp:
        root = Path(tmp) / "logs"

        # 2. The same 10 M rows as Parquet step files, read and counted (a cold per-instance load).
        classes = [f"class {i}" for i in range(c)]
        with LogWriter(root, "instances", classes) as w:
            for s in range(steps):
                w.add(s, "test", y_true[s * n : (s + 1) * n], y_pred[s * n : (s + 1) * n])
        pred_dir = root / "instances" / "test.predictions"
        med, best = timed(lambda: read_predictions_dir(pred_dir, c), 3)
        rows.append(("read + count 10 M rows from 50 Parquet step files", med, best, "< 1000"))

        # 3. Six counts-only series of 100 classes x 100 steps.
        t_steps = 100
        keys = []
        for r in range(6):
            run = f"run {r}"
            with LogWriter(root, run, classes) as w:
                for s in range(t_steps):
                    w.add_counts(s, "val", rng.integers(0, 50, (c, c)))
            keys.append(f"{run}/val")

        cold = LogStore(root)
        med, best = timed(lambda: cold.load(keys), 3)
        rows.append(("parse 6 series x 100 steps x 100 classes (no cache)", med, best, ""))

        for name, cache in (
            ("disk cache", DiskArrayCache(Path(tmp) / "cache")),
            ("in-memory cache", MemoryArrayCache()),
        ):
            LogStore(root, cache=cache).load(keys)  # warm it, as another worker would have
            store = LogStore(root, cache=cache)
            result = store.load(keys)
            assert result.tensor is not None and result.tensor.counts.shape == (6, t_steps, c, c)
            med, best = timed(functools.partial(store.load, keys), 20)
            assert store.stats["parsed"] == 0, store.stats
            rows.append((f"load cached 6 x 100 x 100 x 100 tensor via LogStore ({name})", med, best, "< 50"))

        # fingerprint() is polled by every open page: measure it on a big folder (file contents
        # do not matter to it, so the step files here are empty).
        many = Path(tmp) / "many"
        for r in range(50):
            for fold in ("train", "test"):
                d = many / f"run {r}" / f"{fold}.predictions"
                d.mkdir(parents=True)
                for s in range(200):
                    (d / f"step-{s}.parquet").touch()
            (many / f"run {r}" / "run.json").touch()
            (many / f"run {r}" / "val.counts.jsonl").touch()
        med, best = timed(LogStore(many).fingerprint, 20)
        rows.append(("fingerprint() of 50 runs x (2 folds x 200 step files + 1 counts file)", med, best, ""))

        # 4. Live updates: reload a long series after one more step (only the new part is parsed).
        with LogWriter(root, "long", classes) as w:
            for s in range(300):
                w.add_counts(s, "val", rng.integers(0, 50, (c, c)))
        full = LogStore(root)
        med, best = timed(lambda: full.load_series("long/val"), 3)
        rows.append(("parse a 300-step x 100-class counts series in full", med, best, ""))
        live = LogStore(root, cache=MemoryArrayCache())
        live.load_series("long/val")
        times = []
        with LogWriter(root, "long", classes, mode="resume") as w:
            for s in range(300, 320):
                w.add_counts(s, "val", rng.integers(0, 50, (c, c)))
                t0 = time.perf_counter()
                live.load_series("long/val")
                times.append((time.perf_counter() - t0) * 1000)
        assert live.stats["incremental"] == 20, live.stats
        rows.append(
            (
                "reload it after each appended step (incremental parse)",
                statistics.median(times),
                min(times),
                "",
            )
        )
        inst = LogStore(root, cache=MemoryArrayCache())
        inst.load_series("instances/test")
        times = []
        with LogWriter(root, "instances", classes, mode="resume") as w:
            for s in range(steps, steps + 5):
                w.add(s, "test", y_true[:n], y_pred[:n])
                t0 = time.perf_counter()
                inst.load_series("instances/test")
                times.append((time.perf_counter() - t0) * 1000)
        rows.append(
            (
                "reload a 50-step x 200,000-instance fold after each new step file",
                statistics.median(times),
                min(times),
                "",
            )
        )

        # 5. Appending one step of a 100-class matrix (one write + fsync).
        matrix = rng.integers(0, 50, (c, c))
        with LogWriter(root, "append", classes) as w:
            w.add_counts(-1, "val", matrix)  # opens the file
            counter = iter(range(10_000))
            med, best = timed(lambda: w.add_counts(next(counter), "val", matrix), 200)
        rows.append(("append one 100-class step to a counts log (write + fsync)", med, best, "< 5"))

        with LogWriter(root, "append", classes, mode="resume") as w:
            counter = iter(range(10_000))
            ids = np.arange(10_000)
            yt, yp = rng.integers(0, c, 10_000), rng.integers(0, c, 10_000)
            med, best = timed(lambda: w.add(next(counter), "inst", yt, yp, instance_ids=ids), 30)
        rows.append(
            ("append one step of 10,000 instance predictions (Parquet, fsync, rename)", med, best, "")
        )

    print(f"Machine: {machine()}  ")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"Date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}, load average {load}\n")
    print("| measurement | median ms | best ms | target ms |")
    print("|---|---:|---:|---:|")
    for label, med, best, target in rows:
        print(f"| {label} | {med:,.1f} | {best:,.1f} | {target} |")


if __name__ == "__main__":
    main()
