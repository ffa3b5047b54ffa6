"""Class orders: as logged, by group, and by confusion (blocks recovered as contiguous runs)."""

from __future__ import annotations

import numpy as np
import pytest

from confusionflow.data_access.ordering import (
    confusion_similarity,
    order_as_logged,
    order_by_confusion,
    order_by_group,
    positions,
)


def block_confusion(sizes, seed):
    """A shuffled confusion matrix with dense confusion inside blocks and faint noise outside.

    Returns ``(counts (C, C), block label per class)``.
    """
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(len(sizes)), sizes)
    c = len(labels)
    same = labels[:, None] == labels[None, :]
    counts = np.where(
        same, rng.integers(5, 20, (c, c)), rng.integers(0, 2, (c, c)) * (rng.random((c, c)) < 0.05)
    )
    counts[np.arange(c), np.arange(c)] = 200
    perm = rng.permutation(c)
    return counts[np.ix_(perm, perm)], labels[perm]


def is_contiguous(pos: np.ndarray) -> bool:
    pos = np.sort(pos)
    return bool(pos[-1] - pos[0] == len(pos) - 1)


@pytest.mark.parametrize("optimal", [True, False])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_confusion_order_recovers_blocks_as_contiguous_runs(optimal, seed):
    counts, labels = block_confusion([5, 7, 3, 6, 4], seed)
    order = order_by_confusion(counts, optimal=optimal)
    assert sorted(order.tolist()) == list(range(len(labels)))
    pos = positions(order)
    for block in np.unique(labels):
        assert is_contiguous(pos[labels == block]), f"block {block} split: {pos[labels == block]}"
    # and the logged (shuffled) order does not have them contiguous, so the test can fail
    assert not all(is_contiguous(np.flatnonzero(labels == b)) for b in np.unique(labels))


def test_confusion_order_at_many_classes_uses_the_fast_path():
    counts, labels = block_confusion([25] * 20, 3)  # 500 classes: above the optimal-ordering size
    pos = positions(order_by_confusion(counts))
    assert all(is_contiguous(pos[labels == b]) for b in range(20))


def test_no_confusion_keeps_the_logged_order():
    np.testing.assert_array_equal(order_by_confusion(np.diag([3, 4, 5, 6])), [0, 1, 2, 3])


def test_similarity_is_symmetric_shares_of_the_true_class():
    sim = confusion_similarity(np.array([[8, 2, 0], [1, 9, 0], [0, 0, 4]]))
    np.testing.assert_allclose(sim, [[0, 0.3, 0], [0.3, 0, 0], [0, 0, 0]])
    with pytest.raises(ValueError, match=r"\(C, C\)"):
        confusion_similarity(np.zeros((2, 3)))


def test_group_order_keeps_groups_together_and_logged_order_inside():
    classes = ["cat", "car", "dog", "bus", "eel"]
    mapping = {"cat": "animal", "dog": "animal", "car": "vehicle", "bus": "vehicle"}  # eel unmapped
    assert order_by_group(classes, mapping).tolist() == [0, 2, 1, 3, 4]
    np.testing.assert_array_equal(order_as_logged(3), [0, 1, 2])
