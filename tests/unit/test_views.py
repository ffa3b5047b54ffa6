"""matrix_values: what the matrix draws, on an unbalanced fold, in every normalization."""

from __future__ import annotations

import numpy as np
import pytest

from confusionflow.data_access.tensor import ConfusionTensor
from confusionflow.data_access.views import matrix_values
from tests.factories import series_counts

# An unbalanced fold: 90 instances of "common", 10 of "rare", 2 of "tiny".
#
#               common  rare  tiny | support
#   common         80      9     1 |  90
#   rare            4      6     0 |  10
#   tiny            1      0     1 |   2
#   ------------------------------------
#   predicted      85     15     2 | 102
#
# FN = [10, 4, 1], FP = [5, 9, 1], accuracy = 87/102
# Absolute counts make "common -> rare" (9) look worst; relative to the true class ('true') the
# worst cell is "tiny -> common" (1/2 = 0.5), then "rare -> common" (4/10 = 0.4).
UNBALANCED = np.array([[80, 9, 1], [4, 6, 0], [1, 0, 1]], dtype=np.int64)
PERFECT = np.diag([45, 5, 1]).astype(np.int64)


@pytest.fixture
def tensor() -> ConfusionTensor:
    classes = ("common", "rare", "tiny")
    a = series_counts("model", [1.0, 2.0], np.stack([UNBALANCED, PERFECT]), classes)
    b = series_counts("other", [2.0], np.stack([UNBALANCED]), classes)
    return ConfusionTensor.from_series([a, b])


def test_absolute_values(tensor: ConfusionTensor) -> None:
    mv = matrix_values(tensor, None)
    assert mv.normalization is None
    assert mv.values.shape == (2, 2, 3, 3)
    np.testing.assert_array_equal(mv.values[0, 0], UNBALANCED)
    np.testing.assert_array_equal(mv.counts[0, 0], UNBALANCED)
    np.testing.assert_array_equal(mv.fn[0, 0], [10, 4, 1])
    np.testing.assert_array_equal(mv.fp[0, 0], [5, 9, 1])
    np.testing.assert_array_equal(mv.fn_counts[0, 0], [10, 4, 1])
    np.testing.assert_array_equal(mv.fp_counts[0, 0], [5, 9, 1])
    assert mv.accuracy[0, 0] == pytest.approx(87 / 102)
    assert mv.accuracy[0, 1] == 1.0


def test_relative_to_true_class(tensor: ConfusionTensor) -> None:
    mv = matrix_values(tensor, "true")
    v = mv.values[0, 0]
    np.testing.assert_allclose(v[0], [80 / 90, 9 / 90, 1 / 90])
    np.testing.assert_allclose(v[1], [4 / 10, 6 / 10, 0.0])
    np.testing.assert_allclose(v[2], [0.5, 0.0, 0.5])
    np.testing.assert_allclose(v.sum(axis=1), [1.0, 1.0, 1.0])
    off = v.copy()
    np.fill_diagonal(off, -1)
    assert np.unravel_index(off.argmax(), off.shape) == (2, 0)  # tiny -> common is the worst share
    # FN over the class's support (1 - recall), FP over its predicted total (1 - precision)
    np.testing.assert_allclose(mv.fn[0, 0], [10 / 90, 4 / 10, 1 / 2])
    np.testing.assert_allclose(mv.fp[0, 0], [5 / 85, 9 / 15, 1 / 2])
    # raw counts stay available for hover text
    np.testing.assert_array_equal(mv.counts[0, 0], UNBALANCED)
    np.testing.assert_array_equal(mv.fn_counts[0, 0], [10, 4, 1])


def test_relative_to_predicted_class(tensor: ConfusionTensor) -> None:
    mv = matrix_values(tensor, "pred")
    v = mv.values[0, 0]
    np.testing.assert_allclose(v[:, 0], [80 / 85, 4 / 85, 1 / 85])
    np.testing.assert_allclose(v[:, 1], [9 / 15, 6 / 15, 0.0])
    np.testing.assert_allclose(v.sum(axis=0), [1.0, 1.0, 1.0])
    # the FN/FP denominators do not depend on the cells' mode: each stays within [0, 1]
    np.testing.assert_allclose(mv.fn[0, 0], [10 / 90, 4 / 10, 1 / 2])
    np.testing.assert_allclose(mv.fp[0, 0], [5 / 85, 9 / 15, 1 / 2])


def test_relative_to_all_instances(tensor: ConfusionTensor) -> None:
    mv = matrix_values(tensor, "all")
    np.testing.assert_allclose(mv.values[0, 0], UNBALANCED / 102)
    assert mv.values[0, 0].sum() == pytest.approx(1.0)
    np.testing.assert_allclose(mv.fn[0, 0], np.array([10, 4, 1]) / 102)
    np.testing.assert_allclose(mv.fp[0, 0], np.array([5, 9, 1]) / 102)
    # accuracy is a rate in every mode
    assert mv.accuracy[0, 0] == pytest.approx(87 / 102)


@pytest.mark.parametrize("mode", [None, "true", "pred", "all"])
def test_masked_steps_are_nan_in_every_mode(tensor: ConfusionTensor, mode) -> None:
    mv = matrix_values(tensor, mode)
    # series "other" did not log step 1
    assert np.isnan(mv.values[1, 0]).all()
    assert np.isnan(mv.fn[1, 0]).all() and np.isnan(mv.fp[1, 0]).all()
    assert np.isnan(mv.accuracy[1, 0])
    assert not np.isnan(mv.values[0]).any()
    assert not np.isnan(mv.values[1, 1]).any()
    # the raw counts are zero there, never NaN (they are integers)
    assert mv.counts.dtype == np.int64
    assert mv.counts[1, 0].sum() == 0


def test_perfect_step_has_no_errors(tensor: ConfusionTensor) -> None:
    mv = matrix_values(tensor, "true")
    np.testing.assert_array_equal(mv.fn[0, 1], [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(mv.fp[0, 1], [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(mv.values[0, 1], np.eye(3))


def test_view_accessors(tensor: ConfusionTensor) -> None:
    mv = matrix_values(tensor)
    np.testing.assert_array_equal(mv.steps, [1.0, 2.0])
    assert mv.classes == ("common", "rare", "tiny")
    assert mv.series_labels == ("model / test", "other / test")
    assert mv.series_keys == ("model/test", "other/test")


def test_values_after_class_selection_count_whole_classes(tensor: ConfusionTensor) -> None:
    sub = tensor.select_classes(["common", "rare"])
    mv = matrix_values(sub, None)
    # the drawn sub-matrix is [[80, 9], [4, 6]] of [[80, 9, 1], [4, 6, 0], [1, 0, 1]]: the common
    # instance predicted as "tiny" is still a false negative of common, the tiny instance predicted
    # as common still a false positive of it, and accuracy is the fold's (87 of 102)
    np.testing.assert_array_equal(mv.counts[0, 0], [[80, 9], [4, 6]])
    np.testing.assert_array_equal(mv.fn[0, 0], [10, 4])
    np.testing.assert_array_equal(mv.fp[0, 0], [5, 9])
    assert mv.accuracy[0, 0] == pytest.approx(87 / 102)
    shares = matrix_values(sub, "true")
    np.testing.assert_allclose(shares.values[0, 0], [[80 / 90, 9 / 90], [4 / 10, 6 / 10]])
    np.testing.assert_allclose(shares.fn[0, 0], [10 / 90, 4 / 10])
    np.testing.assert_allclose(shares.fp[0, 0], [5 / 85, 9 / 15])


def test_unknown_normalization_rejected(tensor: ConfusionTensor) -> None:
    with pytest.raises(ValueError, match="unknown normalization"):
        matrix_values(tensor, "row")  # type: ignore[arg-type]


def _sized(sizes: dict[str, list[int]]) -> ConfusionTensor:
    """Series whose every step holds the given number of instances (all on the diagonal of class a);
    a size of 0 is a step the series did not log."""
    items = []
    for fold, per_step in sizes.items():
        steps = [float(i + 1) for i, n in enumerate(per_step) if n]
        counts = np.zeros((len(steps), 3, 3), dtype=np.int64)
        counts[:, 0, 0] = [n for n in per_step if n]
        items.append(series_counts("r", steps, counts, ("a", "b", "c"), fold=fold))
    return ConfusionTensor.from_series(items)


def test_fold_sizes_differ_compares_typical_fold_sizes() -> None:
    from confusionflow.data_access.views import fold_sizes_differ

    assert fold_sizes_differ(_sized({"train": [600, 600, 600], "test": [100, 100, 100]}))
    assert not fold_sizes_differ(_sized({"test": [100, 100, 100], "val": [105, 95, 100]}))  # within 10 %
    assert not fold_sizes_differ(_sized({"test": [100, 100, 100]}))  # one series: nothing to compare
    # an unlogged step is not a size of 0, and one odd step does not move the median
    assert not fold_sizes_differ(_sized({"a": [100, 0, 100, 100], "b": [100, 100, 400, 100]}))
