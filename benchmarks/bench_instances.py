"""Instance drill-down speed: reading one step's predictions, a cell's members, and what entered or
left a cell between two steps (10 classes, best of 5).

Run from the repository root: ``.venv/bin/python benchmarks/bench_instances.py``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from confusionflow.data_access.instances import cell_members, cell_transitions  # noqa: E402
from confusionflow.data_access.store import LogStore  # noqa: E402
from confusionflow.data_access.writer import LogWriter  # noqa: E402

C = 10
CLASSES = [f"c{i}" for i in range(C)]


def best_ms(fn: Callable[[], object], repeat: int = 5) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times) * 1000, result


def measure(store: LogStore) -> tuple[float, float, float, float, int]:
    t_read, _ = best_ms(lambda: store.instances("r/test", 2))
    t_members, members = best_ms(lambda: cell_members(store, "r/test", "c3", "c5", 2))
    t_trans, _ = best_ms(lambda: cell_transitions(store, "r/test", "c3", "c5", 2))
    t_group, _ = best_ms(lambda: cell_transitions(store, "r/test", CLASSES[:5], CLASSES[5:], 2))
    return t_read, t_members, t_trans, t_group, members.count  # type: ignore[attr-defined]


def main() -> None:
    print(
        "| instances/step | scores | store.instances ms | cell_members ms | cell_transitions ms "
        "| transitions 5×5-class group ms | members |"
    )
    print("|---|---|---|---|---|---|---|")
    for n, scores in ((60_000, False), (1_000_000, False), (60_000, True)):
        with tempfile.TemporaryDirectory() as d:
            rng = np.random.default_rng(0)
            y_true = rng.integers(0, C, n)
            with LogWriter(d, "r", CLASSES) as w:
                for step in (1, 2):
                    y_pred = np.where(rng.random(n) < 0.8, y_true, rng.integers(0, C, n))
                    w.add(step, "test", y_true, y_pred, scores=rng.random((n, C)) if scores else None)
            t_read, t_members, t_trans, t_group, count = measure(LogStore(d))
            print(
                f"| {n:,} | {'yes' if scores else 'no'} | {t_read:.0f} | {t_members:.0f} | {t_trans:.0f} "
                f"| {t_group:.0f} | {count:,} |"
            )


if __name__ == "__main__":
    main()
