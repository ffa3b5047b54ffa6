"""What the first view's matrix picture costs on the server, and how big it is.

Run: ``.venv/bin/python benchmarks/bench_matrix_preview.py [--classes 10 20 40] [--repeat 5]``.
SYNTHETIC logs (``training_counts`` of ``bench_browser``: 2 series x 50 steps per class count),
written with ``LogWriter`` into a temporary folder. Measured in this one process, warm cache (one
call first): the matrix figure as the matrix callback builds it (``matrix_update``), the picture
rasterised from it and PNG-encoded (``matrix_preview``), and the bytes the layout grows by (the
base64 data URI). Medians of ``--repeat``; wall-clock ms, noisy on a shared machine: compare the
columns of one run. Nothing here is asserted.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_browser import training_counts  # noqa: E402
from confusionflow.app.callbacks.inputs import Bounds, parse_inputs  # noqa: E402
from confusionflow.app.callbacks.matrix import matrix_update  # noqa: E402
from confusionflow.components.matrix_preview import matrix_preview  # noqa: E402
from confusionflow.data_access.store import LogStore  # noqa: E402
from confusionflow.data_access.writer import LogWriter  # noqa: E402


def median_ms(fn, repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def row(n_classes: int, repeat: int) -> str:
    rng = np.random.default_rng(n_classes)
    with tempfile.TemporaryDirectory() as tmp:
        classes = [f"class {i:03d}" for i in range(n_classes)]
        for run, quality in (("synthetic a", 0.9), ("synthetic b", 0.8)):
            with LogWriter(tmp, run, classes) as w:
                for t, counts in enumerate(training_counts(n_classes, 50, quality, rng), start=1):
                    w.add_counts(t, "test", counts)
        store = LogStore(tmp)
        keys = [f"{s.run}/{s.fold}" for s in store.list_series()]
        raw = {"selection": {"series": keys, "classes": [], "steps": None}, "slots": None}
        page = parse_inputs(raw, Bounds.of(store.list_series()))
        figure = matrix_update(store, page, None).figure.to_plotly_json()
        build = median_ms(lambda: matrix_update(store, page, None), repeat)
        picture = median_ms(lambda: matrix_preview(figure), repeat)
        preview = matrix_preview(figure)
        assert preview is not None
        grid = f"{figure['layout']['xaxis']['range'][1] + 0.5:.0f} × {max(figure['layout']['yaxis']['range']) + 0.5:.0f}"
        return (
            f"| {n_classes} | {grid} | {build:.0f} | {picture:.0f} | {len(preview.png) / 1024:.1f} "
            f"| {len(preview.data_uri()) / 1024:.1f} |"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--classes", type=int, nargs="+", default=[10, 20, 40])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(f"# Matrix picture ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load {' '.join(load)})\n")
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs; 2 series x 50 steps, synthetic\n")
    print("| classes | grid units (x × y) | matrix figure ms | picture ms | PNG kB | in the layout kB |")
    print("|---|---|---|---|---|---|")
    for c in args.classes:
        print(row(c, args.repeat))


if __name__ == "__main__":
    main()
