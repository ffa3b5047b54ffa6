"""Size and build time of the full-range class-performance figure at 40 classes x 3 series.

Run: ``.venv/bin/python benchmarks/bench_class_performance_size.py [--tree DIR] [--steps 50 100 400]
[--repeat 5]``. ``--tree`` is a checkout (or ``git archive``) of another version of the project to
measure instead of this one (its own code is imported), so two versions can be compared in one
run. SYNTHETIC counts (``numpy`` random integers, seed 0); the figure is built by
``build_class_performance_figure`` and encoded with plotly's ``to_json_plotly``, as a callback
answer is. Prints, per step count: the median build + encode time (ms), the JSON size (bytes) and
the number of line points (every trace after the three background heatmaps).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

CLASSES = 40
SERIES = ("a/test", "b/test", "c/test")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tree", type=Path, default=Path(__file__).resolve().parents[1])
    ap.add_argument("--steps", type=int, nargs="+", default=[50, 100, 400])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    sys.path.insert(0, str(args.tree.resolve()))
    from plotly.io.json import to_json_plotly

    from confusionflow.components.charts import build_class_performance_figure
    from confusionflow.data_access.metrics import tensor_metrics
    from tests.factories import make_tensor

    print(
        f"tree {args.tree}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; load {Path('/proc/loadavg').read_text().split()[:3]}"
    )
    print("| steps | build + encode ms (median) | bytes | line points |\n|---:|---:|---:|---:|")
    for n_steps in args.steps:
        rng = np.random.default_rng(0)
        counts = rng.integers(0, 20, size=(len(SERIES), n_steps, CLASSES, CLASSES))
        names = tuple(f"class {i:03d}" for i in range(CLASSES))
        tensor = make_tensor(
            counts, np.arange(1, n_steps + 1, dtype=float), names, tuple(s[0] for s in SERIES)
        )
        metrics = tensor_metrics(tensor)
        times, size, fig = [], 0, None
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            fig = build_class_performance_figure(
                metrics, tensor.steps, tensor.classes, list(SERIES), ["#1f77b4", "#ff7f0e", "#2ca02c"]
            )
            size = len(to_json_plotly(fig))
            times.append((time.perf_counter() - t0) * 1000)
        points = sum(len(tr.y) for tr in fig.data[3:]) if fig is not None else 0
        print(f"| {n_steps} | {statistics.median(times):.0f} | {size:,} | {points:,} |")


if __name__ == "__main__":
    main()
