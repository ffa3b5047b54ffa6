"""The overview's server cost per build, heatmap against picture: build ms, JSON ms and bytes.

Run: ``.venv/bin/python benchmarks/bench_overview_build.py --logdir /tmp/many [--repeat 5]``.
Reads the first two series of the log (``gen_many_classes.py``), takes the values the overview
shows at the last step (counts, the page's default) and builds the figure both ways
(``overview_figure(..., picture=False / True)``), then serialises it as Dash does (plotly's JSON
with orjson). Prints the median ms of each and the bytes of the JSON (before HTTP compression).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import plotly.io as pio

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from confusionflow.components.overview_figure import overview_figure  # noqa: E402
from confusionflow.data_access.overview_values import overview_values  # noqa: E402
from confusionflow.data_access.sparse_reader import load_sparse  # noqa: E402
from confusionflow.data_access.store import LogStore  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--logdir", required=True)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    keys = [s.key for s in LogStore(args.logdir).list_series() if s.key.endswith("/test")][:2]
    counts = load_sparse(args.logdir, keys)
    step = float(counts.steps[-1])
    for kind in ("step", "change"):
        vals = overview_values(
            counts, kind, series=keys[0], step=step, start=float(counts.steps[0]), normalization=None
        )
        for picture in (False, True):
            build, dump, size = [], [], 0
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                figure = overview_figure(
                    vals.values, counts.classes, title=vals.description, signed=vals.signed,
                    percent=False, picture=picture,
                ).figure  # fmt: skip
                t1 = time.perf_counter()
                size = len(pio.to_json(figure, engine="orjson"))
                build.append((t1 - t0) * 1000)
                dump.append((time.perf_counter() - t1) * 1000)
            print(
                f"{counts.n_classes} classes {kind:6s} {'picture' if picture else 'heatmap':7s} "
                f"build {statistics.median(build):6.1f} ms  json {statistics.median(dump):6.1f} ms  "
                f"{size / 1000:8.1f} kB"
            )


if __name__ == "__main__":
    main()
