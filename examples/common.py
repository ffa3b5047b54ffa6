"""Shared plumbing of the demo generators: command line, seeds, timing, output folders."""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class GeneratorArgs:
    """What every generator accepts: where to write, how big, which seed."""

    out: Path
    tiny: bool
    seed: int
    threads: int


def parse_args(description: str, argv: Sequence[str] | None, *, default_seed: int = 0) -> GeneratorArgs:
    """Parse ``--out DIR`` (required), ``--tiny`` (a seconds-long run for tests) and ``--seed``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", type=Path, required=True, help="log folder to write the runs into")
    parser.add_argument(
        "--tiny", action="store_true", help="a seconds-long run on a few hundred instances (for tests)"
    )
    parser.add_argument(
        "--seed", type=int, default=default_seed, help=f"random seed (default {default_seed})"
    )
    parser.add_argument(
        "--threads", type=int, choices=(1, 2), default=1, help="CPU threads for PyTorch (default 1)"
    )
    ns = parser.parse_args(argv)
    return GeneratorArgs(out=ns.out, tiny=ns.tiny, seed=ns.seed, threads=ns.threads)


def seed_everything(seed: int) -> np.random.Generator:
    """Seed Python's and numpy's global generators and return a fresh numpy Generator."""
    random.seed(seed)
    np.random.seed(seed)  # scikit-learn may read the legacy global state
    return np.random.default_rng(seed)


class Stopwatch:
    """Wall-clock seconds since creation, for the timings the docstrings and docs quote."""

    def __init__(self) -> None:
        self._start = time.perf_counter()

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self._start


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Fraction of ``y_pred == y_true`` (both ``(N,)`` int arrays)."""
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def confusion_counts(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """``(C, C)`` int64 confusion matrix, rows = true class, columns = predicted (one bincount)."""
    flat = np.asarray(y_true, dtype=np.int64) * n_classes + np.asarray(y_pred, dtype=np.int64)
    return np.bincount(flat, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


class RunExistsError(RuntimeError):
    """A generator would append to a run that is already in the output folder."""


def check_new_runs(out: Path, runs: Sequence[str]) -> None:
    """Refuse to start when any of ``runs`` already exists in ``out``.

    Log writers append and refuse steps that are already logged, so regenerating into an old
    folder would fail half-way; failing before training costs nothing and names the folder.
    """
    existing = [run for run in runs if (out / run).exists()]
    if existing:
        raise RunExistsError(
            f"{out}: run(s) {existing} already exist; remove them or choose another --out "
            "(examples/generate_all.py --force replaces a whole demo folder)"
        )
