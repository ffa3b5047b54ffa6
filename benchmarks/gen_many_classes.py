"""A SYNTHETIC 1000-class stress log: simulated counts with block-structured confusion.

Nothing here is measured from a model: every count is drawn from the simulation below, the run
names start with ``synthetic`` and each run's metadata says ``"synthetic": true``. It exists to
measure the app and the data layer at ImageNet's class count.

Simulation (fixed seed, reproducible):

- C classes (default 1000) named ``c0000``..; they form blocks of 20 look-alike classes
  (``block 00``..), and 5 blocks make a top group (``group 0``..): a two-level hierarchy written
  beside each ``run.json`` as ``hierarchy.json`` (``{"c0000": "group 0/block 00", ...}``).
- Per class, the chance of a correct prediction rises over the steps towards a class-specific
  plateau; 80% of the errors go to the other classes of its block (fixed Dirichlet weights), 20% to
  10 fixed classes outside it. Each step draws ``n`` instances per class (multinomial), so most
  cells are zero and each row has at most 30 non-zero cells.
- Series: ``synthetic-C dense`` on ``train`` (200 per class) and ``test`` (50 per class), and
  ``synthetic-C pruned`` on ``test`` (``C`` the class count, so logs of different sizes written into
  one folder never share a run), which confuses four blocks twice as much (so "the classes
  on which two series differ most" has a known answer: those blocks).

Written with ``LogWriter.add_counts`` (counts only). At 1000 classes x 50 steps each fold's file is
about 100 MB of JSON lines (a million numbers per line, as the format defines).

    python benchmarks/gen_many_classes.py --out /tmp/many --classes 1000 --steps 50
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from confusionflow.data_access.writer import LogWriter, WriteMode  # noqa: E402

BLOCK = 20
BLOCKS_PER_GROUP = 5
OUTSIDE = 10
PRUNED_BLOCKS = (3, 17, 29, 41)  # confused twice as much in the pruned run


def runs(n_classes: int) -> tuple[tuple[str, str, int], ...]:
    """``(run, fold, instances per class per step)`` of the three series, named by the class count."""
    return (
        (f"synthetic-{n_classes} dense", "train", 200),
        (f"synthetic-{n_classes} dense", "test", 50),
        (f"synthetic-{n_classes} pruned", "test", 50),
    )


def series_keys(n_classes: int) -> list[str]:
    """The ``run/fold`` keys ``generate`` writes for ``n_classes`` classes (in ``runs`` order)."""
    return [f"{run}/{fold}" for run, fold, _ in runs(n_classes)]


def class_names(n_classes: int) -> list[str]:
    return [f"c{i:04d}" for i in range(n_classes)]


def hierarchy(n_classes: int) -> dict[str, str]:
    """``class -> "group g/block bb"``."""
    out = {}
    for i, name in enumerate(class_names(n_classes)):
        block = i // BLOCK
        out[name] = f"group {block // BLOCKS_PER_GROUP}/block {block:02d}"
    return out


def candidates(n_classes: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``(targets (C, K), error weights (C, K-1))``: column 0 is the class itself, then its block
    mates, then ``OUTSIDE`` classes outside its block; weights over the error columns sum to 1."""
    rows = []
    weights = []
    for i in range(n_classes):
        start = (i // BLOCK) * BLOCK
        mates = [j for j in range(start, min(start + BLOCK, n_classes)) if j != i]
        pool = np.setdiff1d(np.arange(n_classes), np.arange(start, start + BLOCK))
        outside = rng.choice(pool, size=min(OUTSIDE, len(pool)), replace=False)
        inside_w = 0.8 * rng.dirichlet(np.full(len(mates), 0.5))
        outside_w = 0.2 * rng.dirichlet(np.full(len(outside), 1.0))
        pad = BLOCK - 1 - len(mates)
        rows.append(np.concatenate([[i], mates, [i] * pad, outside]))
        weights.append(np.concatenate([inside_w, np.zeros(pad), outside_w]))
    return np.asarray(rows, dtype=np.int64), np.asarray(weights)


def step_matrix(
    targets: np.ndarray, weights: np.ndarray, accuracy: np.ndarray, n: int, rng: np.random.Generator
) -> np.ndarray:
    """One ``(C, C)`` int64 confusion matrix: ``n`` instances per class drawn from the model."""
    c = len(targets)
    pvals = np.concatenate([accuracy[:, None], (1 - accuracy)[:, None] * weights], axis=1)
    draws = rng.multinomial(n, pvals)  # (C, K)
    out = np.zeros((c, c), dtype=np.int64)
    np.add.at(out, (np.repeat(np.arange(c), targets.shape[1]), targets.reshape(-1)), draws.reshape(-1))
    return out


def generate(out: Path, n_classes: int = 1000, n_steps: int = 50, seed: int = 0) -> list[str]:
    """Write the three series under ``out``; returns their ``run/fold`` keys."""
    rng = np.random.default_rng(seed)
    names = class_names(n_classes)
    targets, weights = candidates(n_classes, rng)
    plateau = rng.uniform(0.55, 0.95, n_classes)
    tau = rng.uniform(5, 15, n_classes)
    blocks = np.arange(n_classes) // BLOCK
    keys = []
    meta = {
        "synthetic": True,
        "description": "SYNTHETIC stress log: simulated counts with block-structured confusion, not a trained model",
        "generator": "benchmarks/gen_many_classes.py",
        "seed": seed,
    }
    written: set[str] = set()
    for run, fold, n in runs(n_classes):
        # a run's second fold goes into the run this call just created (never into an older one)
        mode: WriteMode = "resume" if run in written else "new"
        written.add(run)
        with LogWriter(out, run, names, metadata=meta, store_instances=False, mode=mode) as log:
            hier = log.path / "hierarchy.json"
            if not hier.exists():
                hier.write_bytes(orjson.dumps(hierarchy(n_classes), option=orjson.OPT_INDENT_2))
            error_scale = np.where(np.isin(blocks, PRUNED_BLOCKS), 2.0, 1.0) if "pruned" in run else 1.0
            for step in range(1, n_steps + 1):
                acc = plateau - (plateau - 0.02) * np.exp(-step / tau)
                acc = np.clip(1 - (1 - acc) * error_scale, 0.0, 1.0)
                log.add_counts(step, fold, step_matrix(targets, weights, acc, n, rng))
        keys.append(f"{run}/{fold}")
    return keys


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="log folder to write into (new runs)")
    parser.add_argument("--classes", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    t0 = time.perf_counter()
    keys = generate(args.out, args.classes, args.steps, args.seed)
    print(f"wrote {', '.join(keys)} under {args.out} in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
