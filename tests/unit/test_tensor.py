"""ConfusionTensor: step alignment, class selection, aggregation, series and step slicing."""

from __future__ import annotations

import numpy as np
import pytest

from confusionflow.data_access.tensor import OTHER_CLASS, ConfusionTensor, SeriesInfo
from tests.factories import numbered_counts, series_counts

CLASSES = ("a", "b", "c", "d")


def make_series(run: str, steps: list[float], counts: np.ndarray, classes: tuple[str, ...] = CLASSES):
    """A ``run/test`` series over the four classes above."""
    return series_counts(run, steps, counts, classes)


@pytest.fixture
def two_series() -> ConfusionTensor:
    # r0 logged steps 0, 1, 2; r1 started at 1 and skipped 2: steps 1, 3
    r0 = make_series("r0", [0, 1, 2], numbered_counts(3))
    r1 = make_series("r1", [1, 3], numbered_counts(2, start=5000))
    return ConfusionTensor.from_series([r0, r1])


def test_series_key_and_label() -> None:
    info = SeriesInfo(run="pruned lr=0.012", fold="test", classes=("a", "b"))
    assert info.key == "pruned lr=0.012/test"
    assert info.label == "pruned lr=0.012 / test"


def test_series_counts_shape_checked() -> None:
    with pytest.raises(ValueError, match=r"counts shape \(2, 3, 3\) does not match 4 classes"):
        make_series("r", [0, 1], np.zeros((2, 3, 3), dtype=np.int64))
    with pytest.raises(ValueError, match="3 steps for 2 matrices"):
        make_series("r", [0, 1, 2], np.zeros((2, 4, 4), dtype=np.int64))


def test_steps_aligned_on_union_with_gaps_and_different_starts(two_series: ConfusionTensor) -> None:
    t = two_series
    np.testing.assert_array_equal(t.steps, [0, 1, 2, 3])
    assert t.counts.shape == (2, 4, 4, 4)
    np.testing.assert_array_equal(t.mask, [[True, True, True, False], [False, True, False, True]])
    # r0's own step k sits at position k; r1's step 1 at position 1, its step 3 at position 3
    np.testing.assert_array_equal(t.counts[0, 2], numbered_counts(3)[2])
    np.testing.assert_array_equal(t.counts[1, 1], numbered_counts(2, start=5000)[0])
    np.testing.assert_array_equal(t.counts[1, 3], numbered_counts(2, start=5000)[1])
    # masked positions hold zeros, not a neighbour's counts
    assert t.counts[1, 0].sum() == 0 and t.counts[1, 2].sum() == 0 and t.counts[0, 3].sum() == 0
    assert t.series_keys == ("r0/test", "r1/test")
    assert (t.n_series, t.n_steps, t.n_classes) == (2, 4, 4)


def test_fractional_steps_are_kept_as_logged() -> None:
    r0 = make_series("r0", [0.5, 1.5], numbered_counts(2))
    r1 = make_series("r1", [1, 1.5], numbered_counts(2))
    t = ConfusionTensor.from_series([r0, r1])
    np.testing.assert_array_equal(t.steps, [0.5, 1.0, 1.5])
    np.testing.assert_array_equal(t.mask, [[True, False, True], [False, True, True]])


def test_step_index(two_series: ConfusionTensor) -> None:
    assert two_series.step_index(0) == 0
    assert two_series.step_index(3) == 3
    assert two_series.step_index(2.5) is None
    assert two_series.step_index(99) is None


def test_mixed_class_lists_refused() -> None:
    r0 = make_series("r0", [0], numbered_counts(1))
    reordered = make_series("r1", [0], numbered_counts(1), classes=("b", "a", "c", "d"))
    with pytest.raises(ValueError, match="r1/test has classes .* differ from r0/test"):
        ConfusionTensor.from_series([r0, reordered])
    with pytest.raises(ValueError, match="no series"):
        ConfusionTensor.from_series([])


def test_constructor_checks_shapes() -> None:
    info = SeriesInfo(run="r", fold="f", classes=("a", "b"))
    with pytest.raises(ValueError, match="counts shape"):
        ConfusionTensor(np.zeros((1, 2, 3, 3)), np.ones((1, 2), bool), np.arange(2.0), ("a", "b"), (info,))
    with pytest.raises(ValueError, match="mask shape"):
        ConfusionTensor(np.zeros((1, 2, 2, 2)), np.ones((1, 3), bool), np.arange(2.0), ("a", "b"), (info,))


def test_select_classes_without_other_is_the_sub_matrix(two_series: ConfusionTensor) -> None:
    sub = two_series.select_classes(["c", "a"])
    assert sub.classes == ("c", "a")
    # step 1 of r0 (t=1): value 100 + 10*i + j; rows/cols in the order c (2), a (0)
    np.testing.assert_array_equal(sub.counts[0, 1], [[122, 120], [102, 100]])
    np.testing.assert_array_equal(sub.mask, two_series.mask)
    np.testing.assert_array_equal(sub.steps, two_series.steps)
    # indices work as well as names
    np.testing.assert_array_equal(two_series.select_classes([2, 0]).counts, sub.counts)


def test_select_classes_with_other_keeps_every_instance(two_series: ConfusionTensor) -> None:
    sub = two_series.select_classes(["a", "c"], other=True)
    assert sub.classes == ("a", "c", OTHER_CLASS)
    m = numbered_counts(3)[1]  # r0 at step 1
    # other = classes b (1) and d (3)
    expected = np.array(
        [
            [m[0, 0], m[0, 2], m[0, 1] + m[0, 3]],
            [m[2, 0], m[2, 2], m[2, 1] + m[2, 3]],
            [m[1, 0] + m[3, 0], m[1, 2] + m[3, 2], m[1, 1] + m[1, 3] + m[3, 1] + m[3, 3]],
        ]
    )
    np.testing.assert_array_equal(sub.counts[0, 1], expected)
    # nothing lost: totals per (series, step) are unchanged
    np.testing.assert_array_equal(sub.counts.sum(axis=(2, 3)), two_series.counts.sum(axis=(2, 3)))


def test_select_all_classes_with_other_adds_no_empty_class(two_series: ConfusionTensor) -> None:
    sub = two_series.select_classes(["d", "c", "b", "a"], other=True)
    assert sub.classes == ("d", "c", "b", "a")
    np.testing.assert_array_equal(sub.counts[0, 0], numbered_counts(1)[0][::-1, ::-1])


def test_select_classes_refuses_fewer_than_two_duplicates_and_unknowns(two_series: ConfusionTensor) -> None:
    with pytest.raises(ValueError, match="at least two classes"):
        two_series.select_classes(["a"])
    with pytest.raises(ValueError, match="at least two classes"):
        two_series.select_classes(["a"], other=True)
    with pytest.raises(ValueError, match="at least two classes"):
        two_series.select_classes([])
    with pytest.raises(ValueError, match="selected twice"):
        two_series.select_classes(["a", 0])
    with pytest.raises(KeyError, match="unknown class 'zebra'"):
        two_series.select_classes(["a", "zebra"])
    with pytest.raises(KeyError, match="out of range"):
        two_series.select_classes([0, 4])


def test_aggregate_into_superclasses_sums_rows_and_columns(two_series: ConfusionTensor) -> None:
    agg = two_series.aggregate({"a": "vowel", "b": "consonant", "c": "consonant", "d": "consonant"})
    assert agg.classes == ("vowel", "consonant")
    m = numbered_counts(3)[2]  # r0 at step 2
    expected = np.array(
        [
            [m[0, 0], m[0, 1:].sum()],
            [m[1:, 0].sum(), m[1:, 1:].sum()],
        ]
    )
    np.testing.assert_array_equal(agg.counts[0, 2], expected)
    np.testing.assert_array_equal(agg.counts.sum(axis=(2, 3)), two_series.counts.sum(axis=(2, 3)))
    np.testing.assert_array_equal(agg.mask, two_series.mask)


def test_aggregate_keeps_unmapped_classes_and_orders_groups_by_first_member(two_series) -> None:
    agg = two_series.aggregate({"b": "bd", "d": "bd"})
    assert agg.classes == ("a", "bd", "c")
    m = numbered_counts(3)[0]
    # true b or d predicted as c: m[1, 2] + m[3, 2]
    assert agg.counts[0, 0, 1, 2] == m[1, 2] + m[3, 2]
    assert agg.counts[0, 0, 1, 1] == m[1, 1] + m[1, 3] + m[3, 1] + m[3, 3]
    assert agg.counts[0, 0, 0, 0] == m[0, 0]


def test_select_series_uses_union_of_their_steps(two_series: ConfusionTensor) -> None:
    only_r1 = two_series.select_series(["r1/test"])
    np.testing.assert_array_equal(only_r1.steps, [1, 3])
    np.testing.assert_array_equal(only_r1.mask, [[True, True]])
    np.testing.assert_array_equal(only_r1.counts[0], numbered_counts(2, start=5000))
    swapped = two_series.select_series(["r1/test", "r0/test"])
    assert swapped.series_keys == ("r1/test", "r0/test")
    np.testing.assert_array_equal(swapped.counts[1], two_series.counts[0])
    with pytest.raises(KeyError):
        two_series.select_series(["missing/test"])


def test_step_window_inclusive_bounds(two_series: ConfusionTensor) -> None:
    w = two_series.step_window(1, 2)
    np.testing.assert_array_equal(w.steps, [1, 2])
    np.testing.assert_array_equal(w.mask, [[True, True], [True, False]])
    np.testing.assert_array_equal(w.counts[0], numbered_counts(3)[1:3])
    np.testing.assert_array_equal(two_series.step_window(lo=2).steps, [2, 3])
    np.testing.assert_array_equal(two_series.step_window(hi=0.5).steps, [0])
    np.testing.assert_array_equal(two_series.step_window().steps, [0, 1, 2, 3])
    assert two_series.step_window(10, 20).n_steps == 0
