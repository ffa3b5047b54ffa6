"""The logs the dashboard's browser tests open: two dense runs with superclasses, a sparse run, a
run with other classes and a broken one, written with the real ``LogWriter``."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from confusionflow.data_access.writer import LogWriter

CLASSES = ["plane", "car", "bird", "cat", "deer", "dog"]
SUPER = {
    "plane": "vehicle",
    "car": "vehicle",
    "bird": "animal",
    "cat": "animal",
    "deer": "animal",
    "dog": "animal",
}
STEPS = list(range(1, 21))


def counts_at(step: int, quality: float, size: int) -> np.ndarray:
    """A plausible matrix: accuracy rises with the step; cat/dog stay confused longest."""
    c = len(CLASSES)
    rng = np.random.default_rng(step * 7 + int(quality * 100))
    acc = 1 - (1 - quality) * np.exp(-step / 6)
    out = np.zeros((c, c), dtype=np.int64)
    for i in range(c):
        correct = int(size * acc)
        wrong = size - correct
        spread = rng.multinomial(wrong, np.full(c - 1, 1 / (c - 1)))
        out[i, i] = correct
        out[i, [j for j in range(c) if j != i]] = spread
    out[3, 5] += int(30 * np.exp(-step / 10))  # cat -> dog
    out[5, 3] += int(20 * np.exp(-step / 10))
    return out


def write_logs(root: Path) -> None:
    for run, quality, meta in [
        ("dense", 0.2, {"lr": 0.01, "params": "1.2M", "superclasses": SUPER}),
        ("pruned", 0.4, {"lr": 0.01, "params": "0.3M"}),
    ]:
        with LogWriter(root, run, CLASSES, metadata=meta) as w:
            for step in STEPS:
                w.add_counts(step, "train", counts_at(step, quality, 120))
                w.add_counts(step, "test", counts_at(step, quality + 0.05, 40))
    with LogWriter(root, "sparse", CLASSES, metadata={"lr": 0.1}) as w:
        for step in STEPS[::2]:
            w.add_counts(step, "test", counts_at(step, 0.5, 40))
    with LogWriter(root, "letters", ["a", "b", "c"]) as w:
        w.add_counts(0, "test", np.array([[3, 1, 0], [0, 4, 1], [1, 0, 5]]))
    broken = root / "broken"
    broken.mkdir()
    (broken / "run.json").write_text('{"format": "confusionflow", "classes": ')
