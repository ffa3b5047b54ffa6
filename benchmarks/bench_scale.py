"""Speed and memory of the many-class data layer on the SYNTHETIC stress log.

Run: ``.venv/bin/python benchmarks/bench_scale.py`` (about two minutes at 1000 classes). It writes
the stress log (``benchmarks/gen_many_classes.py``) into a temporary folder unless ``--logdir``
points at one already written, then measures, in this one process:

- cold load: ``load_sparse`` of the 3 series from the JSON-lines files, no cache;
- peak RSS of that load (``VmHWM``) and RSS with the 3 series held (``VmRSS``);
- cached load: a disk-cache hit and an in-memory-cache hit (median of 5), and tracemalloc's
  peak for one cached load;
- every strategy, the metrics of all series and steps, the confusion order, a k=20 sub-matrix
  with "(other)", aggregation at both hierarchy levels (median of 5);
- the overview: values, figure, and ``plotly.io.to_json`` (ms, MB, MB after gzip level 1).

Prints a markdown table with the machine, date and load. Timings are wall-clock, noisy on shared
machines; nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

import numpy as np
import plotly.io as pio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.gen_many_classes import PRUNED_BLOCKS, generate, runs  # noqa: E402
from confusionflow.components.overview_figure import overview_figure  # noqa: E402
from confusionflow.data_access.cache import DiskArrayCache, MemoryArrayCache  # noqa: E402
from confusionflow.data_access.hierarchy import read_hierarchy  # noqa: E402
from confusionflow.data_access.ordering import OPTIMAL_LEAF_ORDERING_MAX, order_by_confusion  # noqa: E402
from confusionflow.data_access.overview_values import overview_values  # noqa: E402
from confusionflow.data_access.sparse_reader import load_sparse  # noqa: E402
from confusionflow.data_access.strategies import largest_cells, lowest_metric, most_changed, most_different  # noqa: E402
from confusionflow.data_access.writer import LogWriter  # noqa: E402


def proc_status(field: str) -> float:
    """A ``/proc/self/status`` memory field (``VmRSS``, ``VmHWM``) in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


T = TypeVar("T")


def timed(fn: Callable[[], T], repeat: int = 5) -> tuple[float, T]:
    """(median wall time in ms, last result); ``repeat`` is at least 1."""
    times: list[float] = []
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), out


def cached_server_rss(logdir: Path, cache_dir: Path, keys: list[str]) -> str:
    """RSS of a fresh process (as a server worker would be) that loads the series from the disk
    cache and computes the metrics, an overview and a sub-matrix."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from benchmarks.bench_scale import proc_status;"
        "from confusionflow.components.overview_figure import overview_figure;"
        "from confusionflow.data_access.cache import DiskArrayCache;"
        "from confusionflow.data_access.overview_values import overview_values;"
        "from confusionflow.data_access.sparse_reader import load_sparse;"
        "before = proc_status('VmRSS');"
        "c = load_sparse(sys.argv[2], sys.argv[4:], cache=DiskArrayCache(sys.argv[3]));"
        "c.metrics(); c.select_classes(list(range(20)), other=True);"
        "v = overview_values(c, 'step', series=sys.argv[5], step=float(c.steps[-1]));"
        "overview_figure(v.values, c.classes, title='x').figure.to_json();"
        "print(f\"{before:.0f} MB after imports, {proc_status('VmRSS'):.0f} MB after load and views"
        " (peak {proc_status('VmHWM'):.0f} MB)\")"
    )
    repo = str(Path(__file__).resolve().parent.parent)
    out = subprocess.run(
        [sys.executable, "-c", code, repo, str(logdir), str(cache_dir), *keys],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def append_and_reload(logdir: Path, tmp: Path, n_classes: int) -> str:
    """Copy one run, load it with a disk cache, append a step with LogWriter, time the reload."""
    run, fold, _ = runs(n_classes)[2]
    copy = tmp / "live"
    shutil.copytree(logdir / run, copy / run)
    cache = DiskArrayCache(tmp / "live-cache")
    first = load_sparse(copy, [f"{run}/{fold}"], cache=cache)
    with LogWriter(copy, run, first.classes, store_instances=False, mode="resume") as log:
        log.add_counts(float(first.steps[-1]) + 1, fold, first.matrix(0, first.n_steps - 1))
    t0 = time.perf_counter()
    again = load_sparse(copy, [f"{run}/{fold}"], cache=cache)
    ms = (time.perf_counter() - t0) * 1000
    cache.close()
    return f"{ms:,.0f} ms ({first.n_steps} -> {again.n_steps} steps, only the new line parsed)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--logdir", type=Path, help="an already generated stress log of --classes classes (else a temp one)"
    )
    parser.add_argument("--classes", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=50)
    args = parser.parse_args()
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        logdir = args.logdir
        if logdir is None:
            logdir = Path(tmp) / "logs"
            t0 = time.perf_counter()
            generate(logdir, args.classes, args.steps)
            rows.append(("write the log (LogWriter.add_counts)", f"{time.perf_counter() - t0:.1f} s"))
        keys = [f"{run}/{fold}" for run, fold, _ in runs(args.classes)]
        size = sum(f.stat().st_size for f in logdir.rglob("*.counts.jsonl"))
        rows.append(("log files on disk", f"{size / 1e6:.0f} MB"))
        rss0 = proc_status("VmRSS")
        rows.append(("RSS before loading (imports done)", f"{rss0:.0f} MB"))

        t0 = time.perf_counter()
        counts = load_sparse(logdir, keys)
        rows.append(("cold load of 3 series, no cache", f"{(time.perf_counter() - t0) * 1000:,.0f} ms"))
        rows.append(("peak RSS during the cold load (VmHWM)", f"{proc_status('VmHWM'):.0f} MB"))
        rows.append(("RSS with the 3 series held (VmRSS)", f"{proc_status('VmRSS'):.0f} MB"))
        c, s_n, t_n = counts.n_classes, counts.n_series, counts.n_steps
        dense_mb = s_n * t_n * c * c * 8 / 1e6
        rows.append(
            (
                "sparse arrays held",
                f"{counts.nbytes / 1e6:.1f} MB for {counts.nnz:,} non-zero cells "
                f"(dense int64 (S,T,C,C) would be {dense_mb:,.0f} MB)",
            )
        )

        disk = DiskArrayCache(Path(tmp) / "cache")
        load_sparse(logdir, keys, cache=disk)  # populate
        ms, _ = timed(lambda: load_sparse(logdir, keys, cache=disk))
        rows.append(("cached load, disk cache hit (median of 5)", f"{ms:.1f} ms"))
        mem = MemoryArrayCache(max_bytes=1024**3)
        load_sparse(logdir, keys, cache=mem)
        ms, _ = timed(lambda: load_sparse(logdir, keys, cache=mem))
        rows.append(("cached load, in-memory cache hit (median of 5)", f"{ms:.1f} ms"))
        tracemalloc.start()
        load_sparse(logdir, keys, cache=disk)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rows.append(("tracemalloc peak of one disk-cache load", f"{peak / 1e6:.1f} MB"))
        disk.close()
        rows.append(
            (
                "RSS of a fresh process loading from the disk cache",
                cached_server_rss(logdir, Path(tmp) / "cache", keys),
            )
        )

        test_key, pruned_key = keys[1], keys[2]
        last = float(counts.steps[-1])
        ms, _ = timed(counts.metrics)
        rows.append(("metrics of every series, step and class (TensorMetrics)", f"{ms:.1f} ms"))
        for label, fn in [
            (
                "strategy: lowest F1, k=20",
                lambda: lowest_metric(counts, "f1", 20, series=test_key, step=last),
            ),
            (
                "strategy: largest off-diagonal cells, k=20",
                lambda: largest_cells(counts, 20, series=test_key, step=last),
            ),
            (
                "strategy: most changed over 1..last, k=20",
                lambda: most_changed(counts, 20, series=test_key, start=1, end=last),
            ),
        ]:
            ms, _ = timed(fn)
            rows.append((label, f"{ms:.1f} ms"))
        ms, sel = timed(lambda: most_different(counts, 80, series_a=test_key, series_b=pruned_key, step=last))
        in_blocks = np.isin(np.asarray(sel.indices) // 20, PRUNED_BLOCKS).mean()
        rows.append(
            (
                "strategy: most different series, k=80",
                f"{ms:.1f} ms ({in_blocks:.0%} in the 4 changed blocks)",
            )
        )

        ms, ov_vals = timed(lambda: overview_values(counts, "step", series=test_key, step=last))
        rows.append(("overview values (one step, shares of the true class)", f"{ms:.1f} ms"))
        ms, order = timed(lambda: order_by_confusion(counts.matrix(1, t_n - 1)), repeat=3)
        how = "optimal leaf ordering" if c <= OPTIMAL_LEAF_ORDERING_MAX else "clustering's leaf order"
        rows.append((f"confusion order of {c} classes ({how})", f"{ms:.0f} ms"))
        ms, ov = timed(
            lambda: overview_figure(ov_vals.values, counts.classes, order, title=ov_vals.description)
        )
        rows.append(("overview figure build", f"{ms:.1f} ms"))
        ms, text = timed(lambda: pio.to_json(ov.figure, validate=False))
        packed = gzip.compress(text.encode(), compresslevel=1)
        rows.append(
            (
                "overview serialise (plotly.io.to_json)",
                f"{ms:.0f} ms, {len(text) / 1e6:.1f} MB JSON, {len(packed) / 1e6:.2f} MB gzip -1",
            )
        )
        pick = list(lowest_metric(counts, "f1", 20, series=test_key, step=last).indices)
        ms, sub = timed(lambda: counts.select_classes(pick, other=True))
        rows.append(
            (
                "sub-matrix of k=20 classes + (other), all series and steps",
                f"{ms:.1f} ms -> {sub.counts.shape}",
            )
        )
        hier = read_hierarchy(logdir / runs(args.classes)[0][0] / "hierarchy.json", counts.classes)
        for level in (1, 2):
            mapping = hier.mapping(level)
            ms, agg = timed(partial(counts.aggregate, mapping))
            rows.append((f"aggregate at hierarchy level {level}", f"{ms:.1f} ms -> {agg.counts.shape}"))
        rows.append(
            (
                "append one step to a live series, reload (disk cache)",
                append_and_reload(logdir, Path(tmp), args.classes),
            )
        )
        rows.append(("RSS at the end", f"{proc_status('VmRSS'):.0f} MB (peak {proc_status('VmHWM'):.0f} MB)"))

    load = os.getloadavg()
    print(
        f"{c} classes x {s_n} series x {t_n} steps; {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, load {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}\n"
    )
    print("| measure | result |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
