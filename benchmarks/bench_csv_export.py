"""CSV export of three 100-class series: the old callback download against the streamed route.

    .venv/bin/python -m benchmarks.bench_csv_export [--steps 100]

Writes three series (100 classes, ``--steps`` logged steps each) into a temporary log folder, then
measures, each in a fresh process, wall time and the growth of the process's peak resident memory
(``ru_maxrss`` after the export minus before it) of

* ``callback``: the long table as a DataFrame, ``dcc.send_data_frame(to_csv)`` and the JSON the
  callback response would carry (what the export did before it had its own route);
* ``stream``: ``GET <prefix>_export/counts.csv`` through Flask's test client, reading the body
  chunk by chunk as a browser saving it would.

Both start from the parsed tensor already in the app's memo (the first request pays the log load).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CLASSES = [f"class{i:03d}" for i in range(100)]
QUERY = "?s=bench/a&s=bench/b&s=bench/c"


def write_logs(root: Path, steps: int) -> None:
    from confusionflow.data_access.writer import LogWriter

    rng = np.random.default_rng(0)
    with LogWriter(root, "bench", CLASSES) as w:
        for step in range(steps):
            for fold in ("a", "b", "c"):
                w.add_counts(step, fold, rng.integers(0, 50, size=(100, 100)))


def measure(mode: str, logdir: Path) -> dict:
    import dash

    from confusionflow.app.callbacks.common import Selection, view_tensor
    from confusionflow.app.config import Settings
    from confusionflow.app.factory import create_app
    from confusionflow.data_access.views import long_counts

    app = create_app(logdir, settings=Settings(cache_dir=logdir.parent / "cache", poll_seconds=0))
    store_sel = Selection(series=("bench/a", "bench/b", "bench/c"))
    client = app.server.test_client()
    # warm: parse the logs once into the shared array cache (both modes then start from it)
    client.get("/_export/counts.csv" + QUERY).close()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    size = 0
    if mode == "callback":
        from confusionflow.data_access.store import LogStore

        tensor = view_tensor(LogStore(logdir), store_sel)
        assert tensor is not None
        table = long_counts(tensor)
        payload = dash.dcc.send_data_frame(table.to_csv, "x.csv", index=False)
        size = len(json.dumps(payload))
    else:
        response = client.get("/_export/counts.csv" + QUERY, buffered=False)
        for chunk in response.response:
            size += len(chunk)
        response.close()
    seconds = time.perf_counter() - start
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before  # KiB on Linux
    return {
        "mode": mode,
        "seconds": round(seconds, 2),
        "peak_rss_growth_mb": round(grown / 1024, 1),
        "bytes": size,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--mode", choices=("callback", "stream"))
    parser.add_argument("--logdir", type=Path)
    args = parser.parse_args()
    if args.mode:
        print(json.dumps(measure(args.mode, args.logdir)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        logdir = Path(tmp) / "logs"
        write_logs(logdir, args.steps)
        for mode in ("callback", "stream"):
            out = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "benchmarks.bench_csv_export",
                    "--mode",
                    mode,
                    "--logdir",
                    str(logdir),
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            print(out.stdout.strip().splitlines()[-1])
    print("load:", Path("/proc/loadavg").read_text().strip())


if __name__ == "__main__":
    main()
