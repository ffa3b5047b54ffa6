"""How long importing a large predictions table takes (CSV and Parquet, with and without instances).

    .venv/bin/python benchmarks/import_predictions.py [--rows 10000000] [--classes 10]

Writes a synthetic table (2 runs x 2 folds x 50 steps, ``rows / 200`` instances per step, a
classifier whose accuracy improves over the steps) into a temporary folder, imports it, checks the
imported counts against a direct ``np.bincount`` of the generated labels, and prints a markdown table.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from confusionflow.data_access.importers import import_predictions_table, parse_predictions_table  # noqa: E402
from confusionflow.data_access.reader import read_series  # noqa: E402

RUNS, FOLDS, STEPS = ("baseline", "pruned"), ("train", "test"), 50


def make_table(n_rows: int, n_classes: int, seed: int = 0) -> pa.Table:
    rng = np.random.default_rng(seed)
    groups = len(RUNS) * len(FOLDS) * STEPS
    per_step = n_rows // groups
    y_true_one = rng.integers(0, n_classes, per_step)
    runs, folds, steps, y_true, y_pred, ids = [], [], [], [], [], []
    for r in RUNS:
        for f in FOLDS:
            for s in range(1, STEPS + 1):
                wrong = rng.random(per_step) > 0.3 + 0.6 * s / STEPS
                pred = np.where(wrong, rng.integers(0, n_classes, per_step), y_true_one)
                runs.append(np.full(per_step, r))
                folds.append(np.full(per_step, f))
                steps.append(np.full(per_step, s, dtype=np.int64))
                y_true.append(y_true_one)
                y_pred.append(pred)
                ids.append(np.arange(per_step, dtype=np.int64))
    return pa.table(
        {
            "run": pa.array(np.concatenate(runs)).dictionary_encode().cast(pa.string()),
            "fold": pa.array(np.concatenate(folds)).dictionary_encode().cast(pa.string()),
            "epoch": np.concatenate(steps),
            "target": np.concatenate(y_true),
            "prediction": np.concatenate(y_pred),
            "instance_id": np.concatenate(ids),
        }
    )


def timed(fn, repeat: int = 1):
    """``(result of the last run, fastest of `repeat` runs in s)``: the minimum is the least noisy
    estimate on a shared machine."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return out, best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=1, help="runs per measurement; the fastest is shown")
    args = ap.parse_args()
    table = make_table(args.rows, args.classes)
    n = table.num_rows
    rows = []
    with tempfile.TemporaryDirectory(prefix="cf-import-bench-") as tmp:
        tmp_path = Path(tmp)
        files = {"Parquet": tmp_path / "preds.parquet", "CSV": tmp_path / "preds.csv"}
        pq.write_table(table, files["Parquet"])
        pcsv.write_csv(table, files["CSV"])
        # the expected counts of one series, straight from the generated arrays
        first = slice(0, n // (len(RUNS) * len(FOLDS)))
        step_idx = table.column("epoch").to_numpy()[first] - 1
        flat = (step_idx * args.classes + table.column("target").to_numpy()[first]) * args.classes
        flat += table.column("prediction").to_numpy()[first]
        expected = np.bincount(flat, minlength=STEPS * args.classes**2).reshape(
            STEPS, args.classes, args.classes
        )
        for fmt, path in files.items():
            size_mb = path.stat().st_size / 1e6
            _, t_parse = timed(lambda p=path: parse_predictions_table(p), args.repeat)
            for store in (False, True):
                counter = iter(range(args.repeat))
                summary, t_import = timed(
                    lambda p=path, s=store, c=counter, f=fmt: import_predictions_table(
                        p, tmp_path / f"logs-{f}-{s}-{next(c)}", store_instances=s
                    ),
                    args.repeat,
                )
                dest = tmp_path / f"logs-{fmt}-{store}-0"
                got = read_series(dest, RUNS[0], FOLDS[0])
                assert np.array_equal(got.counts, expected), (
                    "imported counts differ from the generated labels"
                )
                assert summary.steps_written == len(RUNS) * len(FOLDS) * STEPS
                what = "per-instance" if store else "counts only"
                rows.append((fmt, f"{size_mb:,.0f}", what, t_parse, t_import, n / t_import / 1e6))
                for i in range(args.repeat):
                    shutil.rmtree(tmp_path / f"logs-{fmt}-{store}-{i}")
    print(
        f"{n:,} prediction rows, {args.classes} classes, {len(RUNS)} runs x {len(FOLDS)} folds x {STEPS} steps\n"
    )
    print("| source | size (MB) | stored | parse + validate (s) | full import (s) | M rows/s |")
    print("|---|---|---|---|---|---|")
    for fmt, size, what, tp, ti, rate in rows:
        print(f"| {fmt} | {size} | {what} | {tp:.2f} | {ti:.2f} | {rate:.1f} |")


if __name__ == "__main__":
    main()
