"""The bundled demo logs: they load, they hold exactly what docs/demo.md says, and they are real.

The series table in docs/demo.md is parsed, so the documentation and the bundle cannot drift
apart. The sanity checks are the paper's findings that only real training produces.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from confusionflow.data_access.store import LogStore

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "demo_logs"
DOC = REPO / "docs" / "demo.md"
ROW = re.compile(
    r"^\|\s*`(?P<key>[^`]+)`\s*\|\s*(?P<steps>\d+)\s*\|\s*(?P<first>[\d.]+)\s*\|\s*(?P<last>[\d.]+)\s*\|"
)


@pytest.fixture(scope="module")
def store() -> LogStore:
    assert DEMO.is_dir(), f"{DEMO} is missing: run examples/generate_all.py --out demo_logs"
    return LogStore(DEMO)


def documented_series() -> dict[str, tuple[int, float, float]]:
    """``key -> (steps, first step, last step)`` from the series table of docs/demo.md."""
    rows = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        m = ROW.match(line)
        if m:
            rows[m["key"]] = (int(m["steps"]), float(m["first"]), float(m["last"]))
    return rows


def accuracy_curve(store: LogStore, key: str) -> tuple[np.ndarray, np.ndarray]:
    s = store.load_series(key)
    return s.steps, np.trace(s.counts, axis1=1, axis2=2) / s.counts.sum(axis=(1, 2))


def test_demo_logs_hold_exactly_the_documented_series(store: LogStore) -> None:
    documented = documented_series()
    assert len(documented) == 15, "docs/demo.md's series table should list 15 series"
    assert store.problems() == []
    assert sorted(info.key for info in store.list_series()) == sorted(documented)
    for key, (n, first, last) in documented.items():
        s = store.load_series(key)
        assert (len(s.steps), s.steps[0], s.steps[-1]) == (n, first, last), key
        assert not s.info.metadata.get("tiny"), f"{key} was generated with --tiny"


def test_the_app_opens_on_the_shift_run_with_its_three_folds(store: LogStore) -> None:
    # The app's first view is the first run in name order: the shift scenario, the most telling one.
    infos = store.list_series()
    assert infos[0].run == "fmnist-mlp 256-128"
    assert [i.fold for i in infos if i.run == infos[0].run] == ["test", "test-shifted", "train"]


def test_demo_logs_stay_small() -> None:
    total = sum(p.stat().st_size for p in DEMO.rglob("*") if p.is_file())
    assert total < 20 * 1024**2, f"demo_logs is {total / 1024**2:.1f} MB"


def test_greedy_beats_the_real_strategies_at_50_labels(store: LogStore) -> None:
    acc = {}
    for strategy in ("greedy", "smallest margin", "dense areas first"):
        steps, curve = accuracy_curve(store, f"logreg-al {strategy}/test")
        acc[strategy] = curve[np.flatnonzero(steps == 50)[0]]
    assert acc["greedy"] > acc["smallest margin"] > acc["dense areas first"]


def test_every_strategy_starts_from_the_same_model(store: LogStore) -> None:
    first = [store.load_series(f"logreg-al {s}/test").counts[0] for s in ("greedy", "smallest margin")]
    assert np.array_equal(*first)


def test_dense_fashion_mlp_learns_past_80_percent(store: LogStore) -> None:
    _, test_acc = accuracy_curve(store, "fmnist-mlp 6x200 dense/test")
    _, train_acc = accuracy_curve(store, "fmnist-mlp 6x200 dense/train")
    assert test_acc.max() > 0.80
    assert test_acc[-1] > test_acc[0] and train_acc[-1] > train_acc[0]
    assert store.load_series("fmnist-mlp 6x200 dense/train").counts.sum(axis=(1, 2)).tolist() == [60_000] * 20
    assert store.load_series("fmnist-mlp 6x200 dense/test").counts.sum(axis=(1, 2)).tolist() == [10_000] * 20


def test_pruned_run_records_its_shrinking_density(store: LogStore) -> None:
    info = store.load_series("fmnist-mlp 6x200 pruned/test").info
    density = info.metadata["weight_density_by_epoch"]
    assert len(density) == 20 and density[0] == 1.0 and density[1] == pytest.approx(0.8, abs=0.002)
    assert density[-1] == pytest.approx(0.0151, abs=0.0002)  # 0.8**19 of the hidden, 0.9**19 of the output


def test_shifted_fold_is_harder_than_the_test_fold(store: LogStore) -> None:
    _, test_acc = accuracy_curve(store, "fmnist-mlp 256-128/test")
    _, shifted_acc = accuracy_curve(store, "fmnist-mlp 256-128/test-shifted")
    assert (shifted_acc < test_acc).all()


def test_synthetic_overfitting_pairs_diverge_between_train_and_test(store: LogStore) -> None:
    train = store.load_series("synthetic-cifar100 baseline/train")
    test = store.load_series("synthetic-cifar100 baseline/test")
    classes = list(test.info.classes)
    assert test.info.metadata["synthetic"] is True
    for pair in test.info.metadata["overfitting_pairs"]:
        a, b = (classes.index(name) for name in pair.split(" -> "))
        at = {int(step): k for k, step in enumerate(test.steps)}
        # test confusion of the pair grows after step 40; train confusion shrinks
        assert test.counts[at[100], a, b] > test.counts[at[40], a, b] + 10, pair
        assert train.counts[at[100], a, b] <= train.counts[at[40], a, b], pair
