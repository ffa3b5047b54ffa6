"""A strategy or an overview that cannot be computed says so naming the series' file, relative to
the log folder (``run/fold.counts.jsonl``, ``run/fold.predictions/``), and the classes or steps
involved; the logs' bytes are the same after every refusal."""

from __future__ import annotations

import hashlib
from pathlib import Path

import dash
import numpy as np
import pytest

from confusionflow.app.callbacks.overview import (
    overview_update,
    resolve_choice,
    selection_from_overview,
    strategy_classes,
)
from confusionflow.components import ids
from confusionflow.data_access.overview_values import overview_values
from confusionflow.data_access.sparse_reader import load_sparse
from confusionflow.data_access.strategies import StrategyError, apply_strategy
from confusionflow.data_access.writer import LogWriter

N = 45
CLASSES = [f"c{i:02d}" for i in range(N)]
FULL, SHORT, INST = "full/test", "short/test", "inst/val"


def _matrix(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.diag(rng.integers(5, 20, N)) + rng.integers(0, 3, (N, N))


@pytest.fixture(scope="module")
def logdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """45 classes: ``full`` logged steps 1, 2, 3; ``short`` only 2 and 3; ``inst`` per-instance
    predictions at steps 1 and 2."""
    root = tmp_path_factory.mktemp("logs")
    with LogWriter(root, "full", CLASSES) as w:
        for step in (1, 2, 3):
            w.add_counts(step, "test", _matrix(step))
    with LogWriter(root, "short", CLASSES) as w:
        for step in (2, 3):
            w.add_counts(step, "test", _matrix(10 + step))
    with LogWriter(root, "inst", CLASSES) as w:
        y = np.arange(N * 4) % N
        for step in (1, 2):
            w.add(step, "val", y, np.roll(y, step))
    return root


def digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def untouched(logdir: Path):
    before = digests(logdir)
    yield
    assert digests(logdir) == before


def refused(call) -> str:
    with pytest.raises(StrategyError) as e:
        call()
    return str(e.value)


def test_the_series_name_their_files_relative_to_the_log_folder(logdir, untouched):
    counts = load_sparse(logdir, [FULL, SHORT, INST])
    assert [s.file for s in counts.series] == [
        "full/test.counts.jsonl",
        "short/test.counts.jsonl",
        "inst/val.predictions/",
    ]
    assert str(logdir) not in " ".join(s.file for s in counts.series)


def test_a_strategy_on_a_fold_without_the_step_names_its_file_and_steps(logdir, untouched):
    counts = load_sparse(logdir, [FULL, SHORT])
    assert refused(lambda: apply_strategy(counts, "lowest-recall", 5, series=SHORT, step=1)) == (
        "the selection by lowest recall needs step 1: short/test.counts.jsonl (fold 'test' of run "
        "'short') has no step 1; its logged steps: 2..3 (2 steps)"
    )
    assert refused(lambda: apply_strategy(counts, "most-changed", 5, series=SHORT, step=3, start=1)) == (
        "the selection of the most changed classes needs steps 1 and 3: short/test.counts.jsonl (fold "
        "'test' of run 'short') has no step 1; its logged steps: 2..3 (2 steps)"
    )
    # on the page: the epoch at step 1 (full logged it), the second series did not
    choice = resolve_choice(counts, "step", None, "logged", None, 1)
    value, message = selection_from_overview(
        counts, choice, ids.STRATEGY_APPLY, strategy="most-different", k=5
    )
    assert value is dash.no_update
    assert message == (
        "comparing full/test.counts.jsonl with short/test.counts.jsonl needs step 1: "
        "short/test.counts.jsonl (fold 'test' of run 'short') has no step 1; its logged steps: 2..3 (2 steps)"
    )


def test_a_predictions_fold_is_named_by_its_folder(logdir, untouched):
    counts = load_sparse(logdir, [INST])
    assert refused(lambda: apply_strategy(counts, "largest-cells", 5, series=INST, step=7)) == (
        "the selection by largest off-diagonal cells needs step 7: inst/val.predictions/ (fold 'val' of "
        "run 'inst') has no step 7; its logged steps: 1..2 (2 steps)"
    )


def test_k_larger_than_the_classes_names_the_file_and_their_number(logdir, untouched):
    counts = load_sparse(logdir, [FULL, SHORT])
    choice = resolve_choice(counts, "step", None, "logged", None, None)
    names, message = strategy_classes(counts, choice, "lowest-f1", 60)
    assert len(names) == 40
    assert message == (
        "40 classes: lowest F1 of full/test at step 3. k = 60 is more than the 45 classes of "
        "full/test.counts.jsonl; the small multiples draw at most 40, the first are selected."
    )
    names, message = strategy_classes(counts, choice, "lowest-f1", 42)
    assert len(names) == 40 and message.endswith(
        "k = 42: the small multiples draw at most 40 classes, the first 40 are selected."
    )
    assert refused(lambda: apply_strategy(counts, "lowest-f1", 0, series=FULL, step=3)) == (
        "k must be at least 1, got 0 (full/test.counts.jsonl has 45 classes)"
    )


def test_the_overview_of_a_missing_step_names_the_file(logdir, untouched):
    counts = load_sparse(logdir, [FULL, SHORT])
    want = (
        "the overview of full/test minus short/test needs step 1: short/test.counts.jsonl (fold 'test' "
        "of run 'short') has no step 1; its logged steps: 2..3 (2 steps)"
    )
    choice = resolve_choice(counts, "difference", SHORT, "logged", None, 1)
    figure, caption = overview_update(counts, choice, "true")
    assert caption == want
    assert refused(lambda: overview_values(counts, "step", series=SHORT, step=1)) == (
        "the overview at the epoch needs step 1: short/test.counts.jsonl (fold 'test' of run 'short') "
        "has no step 1; its logged steps: 2..3 (2 steps)"
    )
    assert refused(lambda: overview_values(counts, "change", series=SHORT, step=3, start=1)) == (
        "the overview of the change over the range needs steps 1 and 3: short/test.counts.jsonl (fold "
        "'test' of run 'short') has no step 1; its logged steps: 2..3 (2 steps)"
    )
