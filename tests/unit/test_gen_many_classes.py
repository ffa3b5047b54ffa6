"""The synthetic stress-log generator: labelled synthetic, readable, block-structured, with a hierarchy."""

from __future__ import annotations

import numpy as np

from benchmarks.gen_many_classes import BLOCK, PRUNED_BLOCKS, generate, series_keys
from confusionflow.data_access.hierarchy import run_hierarchy
from confusionflow.data_access.ordering import order_by_confusion, positions
from confusionflow.data_access.run_file import read_run
from confusionflow.data_access.sparse_reader import load_sparse
from confusionflow.data_access.store import LogStore
from confusionflow.data_access.strategies import most_different


def test_small_stress_log_is_labelled_block_structured_and_readable(tmp_path):
    keys = generate(tmp_path, n_classes=100, n_steps=20, seed=1)
    # the runs are named by the class count, so logs of two sizes in one folder never share a run
    assert (
        keys
        == series_keys(100)
        == ["synthetic-100 dense/train", "synthetic-100 dense/test", "synthetic-100 pruned/test"]
    )
    store = LogStore(tmp_path)
    assert [s.key for s in store.list_series()] == sorted(keys) and not store.problems()
    run = read_run(tmp_path, "synthetic-100 dense")
    assert run.metadata["synthetic"] is True and "SYNTHETIC" in run.metadata["description"]
    counts = load_sparse(tmp_path, keys)
    dense = store.load(keys).tensor  # the dense path reads the same counts
    np.testing.assert_array_equal(counts.select_classes(list(range(100))).counts, dense.counts)
    # 50 instances per class on test, 200 on train, at every step
    assert (counts.rows[1] == 50).all() and (counts.rows[0] == 200).all()
    # errors stay inside 20-class blocks or go to 10 fixed outside classes: at most 30 cells per row
    m = counts.matrix(0, 19)
    assert ((m > 0).sum(axis=1) <= 30).all()
    inside = np.arange(100)[:, None] // BLOCK == np.arange(100)[None, :] // BLOCK
    off = m * ~np.eye(100, dtype=bool)
    assert off[inside].sum() > 2 * off[~inside].sum()
    # the confusion order finds the blocks
    pos = positions(order_by_confusion(m))
    for b in range(100 // BLOCK):
        block = np.sort(pos[b * BLOCK : (b + 1) * BLOCK])
        assert block[-1] - block[0] == BLOCK - 1
    # the pruned run confuses block 3 (the only one of its four blocks among these 5) twice as
    # much; sampling noise of 50 instances per class blurs single classes, not the block
    sel = most_different(counts, 100, series_a=keys[1], series_b=keys[2], step=20)
    pruned = np.isin(np.asarray(sel.indices) // BLOCK, PRUNED_BLOCKS)
    scores = np.asarray(sel.scores)
    assert pruned[:20].mean() >= 0.6 and scores[pruned].mean() > 1.3 * scores[~pruned].mean()
    hier = run_hierarchy(tmp_path / "synthetic-100 dense", run.classes, run.metadata)
    assert hier.depth == 2 and len(hier.groups(1)) == 1 and len(hier.groups(2)) == 5


def test_two_sizes_in_one_folder_are_two_sets_of_runs(tmp_path):
    small = generate(tmp_path, n_classes=40, n_steps=2, seed=0)
    large = generate(tmp_path, n_classes=60, n_steps=2, seed=0)
    store = LogStore(tmp_path)
    assert not set(small) & set(large) and not store.problems()
    assert [s.key for s in store.list_series()] == sorted(small + large)
    assert len(read_run(tmp_path, "synthetic-40 dense").classes) == 40
    assert len(read_run(tmp_path, "synthetic-60 pruned").classes) == 60
