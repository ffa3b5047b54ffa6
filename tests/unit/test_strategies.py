"""Class-selection strategies on a hand-built tensor whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import f1_score, precision_score, recall_score

from confusionflow.data_access.sparse_counts import SparseCounts
from confusionflow.data_access.strategies import (
    StrategyError,
    apply_strategy,
    check_k,
    largest_cells,
    lowest_metric,
    most_changed,
    most_different,
)
from tests.unit.many_classes import A_STEP2, hand_built, instances, random_tensor

A, B = "r/test", "r2/test"
a, b, c, d, e = range(5)


@pytest.mark.parametrize(
    ("metric", "k", "want"),
    [
        ("f1", 2, (d, e)),  # F1 .4, .64
        ("f1", 5, (d, e, b, c, a)),  # .4, .64, .706, .783, 1
        ("recall", 2, (d, b)),  # .3, .6
        ("precision", 3, (e, d, c)),  # 8/15, 3/5, 9/13
    ],
)
def test_lowest_metric_known_answers(metric, k, want):
    sel = lowest_metric(hand_built(), metric, k, series=A, step=2)
    assert sel.indices == want
    assert sel.note is None


def test_lowest_f1_scores_are_the_known_values():
    sel = lowest_metric(hand_built(), "f1", 5, series=A, step=2)
    np.testing.assert_allclose(sel.scores, [6 / 15, 16 / 25, 12 / 17, 18 / 23, 1.0])


@pytest.mark.parametrize("metric", ["f1", "recall", "precision"])
def test_lowest_metric_agrees_with_sklearn(metric):
    tensor = random_tensor(11, n_series=1, n_classes=8, n_steps=1)
    step = float(tensor.steps[0])
    y_true, y_pred = instances(tensor.counts[0, 0])
    fn = {"f1": f1_score, "recall": recall_score, "precision": precision_score}[metric]
    want = fn(y_true, y_pred, labels=list(range(8)), average=None, zero_division=0)
    sel = lowest_metric(SparseCounts.from_tensor(tensor), metric, 8, series="run0/test", step=step)
    np.testing.assert_allclose(sorted(sel.scores), sorted(want))
    assert list(sel.indices) == np.lexsort((np.arange(8), want)).tolist()


def test_ties_break_by_logged_order():
    sel = lowest_metric(hand_built(), "f1", 5, series=A, step=1)  # all F1 = 1 at step 1
    assert sel.indices == (a, b, c, d, e)


@pytest.mark.parametrize(
    ("k", "want"), [(1, (d, e)[:1]), (2, (d, e)), (3, (d, e, b)), (4, (d, e, b, c)), (5, (d, e, b, c, a))]
)
def test_largest_cells_known_answers(k, want):
    # off-diagonal cells, largest first: d->e 7, b->c 4, e->d 2, c->b 1; a is in none
    sel = largest_cells(hand_built(), k, series=A, step=2)
    assert sel.indices == want


def test_most_changed_known_answer():
    # from step 1 (no confusion) to 2: d and e change by .7 + .2, b and c by .4 + .1, a not at all
    sel = most_changed(hand_built(), 5, series=A, start=1, end=2)
    assert sel.indices == (d, e, b, c, a)
    np.testing.assert_allclose(sel.scores, [0.9, 0.9, 0.5, 0.5, 0.0])


def test_most_different_known_answer():
    # r2 has a->c .3 and no b->c (.4 in r): c takes part in both, then b, then a
    sel = most_different(hand_built(), 3, series_a=A, series_b=B, step=2)
    assert sel.indices == (c, b, a)
    np.testing.assert_allclose(sel.scores, [0.7, 0.4, 0.3])


def test_k_larger_than_the_classes_selects_all_with_a_note():
    sel = lowest_metric(hand_built(), "recall", 99, series=A, step=2)
    assert len(sel.indices) == 5 and sorted(sel.indices) == [a, b, c, d, e]
    assert sel.note == "k = 99 is more than the 5 classes of r/test.counts.jsonl: all 5 are selected"


@pytest.mark.parametrize("k", [0, -3, True, 2.5, "4", 10**9])
def test_bad_k_is_refused(k):
    with pytest.raises(StrategyError, match="k must"):
        check_k(k, 5)


@pytest.mark.parametrize(
    ("k", "message"),
    [
        (0, "k must be at least 1, got 0 (r/test.counts.jsonl has 5 classes)"),
        (-3, "k must be at least 1, got -3 (r/test.counts.jsonl has 5 classes)"),
        ("4", "k must be a whole number of classes, got '4' (r/test.counts.jsonl has 5 classes)"),
        (10**9, "k must be at most 4096, got 1000000000 (r/test.counts.jsonl has 5 classes)"),
    ],
)
def test_bad_k_names_the_file_and_its_classes(k, message):
    for strategy in ("lowest-f1", "largest-cells", "most-changed", "most-different"):
        with pytest.raises(StrategyError) as e:
            apply_strategy(hand_built(), strategy, k, series=A, step=2, start=1, other_series=B)
        assert str(e.value) == message


def _message(call) -> str:
    with pytest.raises(StrategyError) as e:
        call()
    return str(e.value)


def test_a_fold_without_the_step_is_a_clear_error_naming_its_file():
    counts = hand_built()
    assert _message(lambda: lowest_metric(counts, "f1", 2, series=B, step=1)) == (
        "the selection by lowest F1 needs step 1: r2/test.counts.jsonl (fold 'test' of run 'r2') has "
        "no step 1; its logged steps: 2 (1 step)"
    )
    assert _message(lambda: most_changed(counts, 2, series=A, start=1, end=7)) == (
        "the selection of the most changed classes needs steps 1 and 7: r/test.counts.jsonl (fold "
        "'test' of run 'r') has no step 7; its logged steps: 1..2 (2 steps)"
    )
    assert _message(lambda: largest_cells(counts, 2, series=B, step=1)) == (
        "the selection by largest off-diagonal cells needs step 1: r2/test.counts.jsonl (fold 'test' "
        "of run 'r2') has no step 1; its logged steps: 2 (1 step)"
    )
    assert _message(lambda: most_different(counts, 2, series_a=A, series_b=B, step=1)) == (
        "comparing r/test.counts.jsonl with r2/test.counts.jsonl needs step 1: r2/test.counts.jsonl "
        "(fold 'test' of run 'r2') has no step 1; its logged steps: 2 (1 step)"
    )
    assert _message(lambda: largest_cells(counts, 2, series="x/y", step=2)) == (
        "series 'x/y' is not loaded; loaded: ['r/test', 'r2/test']"
    )
    assert _message(lambda: most_different(counts, 2, series_a=A, series_b=A, step=2)) == (
        "choose two different series to compare (both are r/test.counts.jsonl)"
    )
    assert _message(lambda: apply_strategy(counts, "most-changed", 2, series=A, step=2)) == (
        "choose a range: the most changed classes compare its first and last step of r/test.counts.jsonl"
    )
    assert _message(lambda: apply_strategy(counts, "most-different", 2, series=A, step=2)) == (
        "choose a second series to compare r/test.counts.jsonl with"
    )


def test_the_hand_built_matrix_reads_back():
    counts = hand_built()
    np.testing.assert_array_equal(counts.matrix(0, 1), A_STEP2)


def test_apply_strategy_dispatches_by_name():
    counts = hand_built()
    assert apply_strategy(counts, "lowest-f1", 2, series=A, step=2).indices == (d, e)
    assert apply_strategy(counts, "lowest-precision", 3, series=A, step=2).indices == (e, d, c)
    assert apply_strategy(counts, "largest-cells", 3, series=A, step=2).indices == (d, e, b)
    assert apply_strategy(counts, "most-changed", 2, series=A, step=2, start=1).indices == (d, e)
    assert apply_strategy(counts, "most-different", 1, series=A, other_series=B, step=2).indices == (c,)
    with pytest.raises(StrategyError, match="unknown strategy"):
        apply_strategy(counts, "random", 2, series=A, step=2)
    with pytest.raises(StrategyError, match="choose a range"):
        apply_strategy(counts, "most-changed", 2, series=A, step=2)
    with pytest.raises(StrategyError, match="second series"):
        apply_strategy(counts, "most-different", 2, series=A, step=2)


def test_strategies_on_a_written_log_name_the_fold_and_never_touch_the_files(tmp_path):
    from benchmarks.gen_many_classes import generate
    from confusionflow.data_access.sparse_reader import load_sparse

    train, test, pruned = generate(tmp_path, n_classes=45, n_steps=3, seed=0)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    counts = load_sparse(tmp_path, [train, test, pruned])
    with pytest.raises(StrategyError) as refused:
        apply_strategy(counts, "lowest-f1", 5, series=pruned, step=9)
    assert str(refused.value) == (
        "the selection by lowest F1 needs step 9: synthetic-45 pruned/test.counts.jsonl (fold 'test' of "
        "run 'synthetic-45 pruned') has no step 9; its logged steps: 1..3 (3 steps)"
    )
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before
    with pytest.raises(StrategyError, match="has no step 0"):
        apply_strategy(counts, "most-changed", 5, series=test, step=3, start=0)
    sel = apply_strategy(counts, "largest-cells", 60, series=test, step=3)
    assert sel.note == (
        "k = 60 is more than the 45 classes of synthetic-45 dense/test.counts.jsonl: all 45 are selected"
    )
    assert sorted(sel.indices) == list(range(45))
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before
