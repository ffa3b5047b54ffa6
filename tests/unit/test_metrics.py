"""The metrics, proven twice: by hand (in the comments) and against scikit-learn on the label arrays."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

from confusionflow.data_access import metrics
from confusionflow.data_access.tensor import ConfusionTensor
from confusionflow.data_access.vocabulary import NORMALIZATIONS, Normalization
from tests.factories import series_counts

# Three classes a=0, b=1, c=2. Rows = true, columns = predicted.
#
#            pred a  pred b  pred c | support
#   true a      5       2       1   |   8
#   true b      1       6       0   |   7
#   true c      0       3       0   |   3
#   ----------------------------------------
#   predicted   6      11       1   |  18
#
# TP = diagonal            = [5, 6, 0]
# FN = support - TP        = [3, 1, 3]
# FP = predicted - TP      = [1, 5, 1]
# precision = TP/predicted = [5/6, 6/11, 0/1 = 0]
# recall    = TP/support   = [5/8, 6/7, 0/3 = 0]
# F1 = 2TP/(2TP+FP+FN)     = [10/14 = 5/7, 12/18 = 2/3, 0/4 = 0]
# accuracy = (5+6+0)/18    = 11/18
COUNTS = np.array([[5, 2, 1], [1, 6, 0], [0, 3, 0]], dtype=np.int64)


def labels_from_counts(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The label arrays a (C, C) matrix summarises: counts[i, j] instances with true i, predicted j."""
    c = counts.shape[0]
    true = np.repeat(np.repeat(np.arange(c), c), counts.ravel())
    pred = np.repeat(np.tile(np.arange(c), c), counts.ravel())
    return true, pred


def test_label_arrays_reproduce_the_matrix() -> None:
    y_true, y_pred = labels_from_counts(COUNTS)
    assert len(y_true) == 18
    np.testing.assert_array_equal(confusion_matrix(y_true, y_pred, labels=[0, 1, 2]), COUNTS)


def test_counts_by_hand() -> None:
    np.testing.assert_array_equal(metrics.true_positives(COUNTS), [5, 6, 0])
    np.testing.assert_array_equal(metrics.support(COUNTS), [8, 7, 3])
    np.testing.assert_array_equal(metrics.predicted_totals(COUNTS), [6, 11, 1])
    np.testing.assert_array_equal(metrics.false_negatives(COUNTS), [3, 1, 3])
    np.testing.assert_array_equal(metrics.false_positives(COUNTS), [1, 5, 1])
    assert metrics.totals(COUNTS) == 18


def test_rates_by_hand() -> None:
    np.testing.assert_allclose(metrics.precision(COUNTS), [5 / 6, 6 / 11, 0.0])
    np.testing.assert_allclose(metrics.recall(COUNTS), [5 / 8, 6 / 7, 0.0])
    np.testing.assert_allclose(metrics.f1(COUNTS), [5 / 7, 2 / 3, 0.0])
    assert metrics.accuracy(COUNTS) == pytest.approx(11 / 18)


def test_rates_match_sklearn() -> None:
    y_true, y_pred = labels_from_counts(COUNTS)
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=[0, 1, 2], zero_division=0)
    np.testing.assert_allclose(metrics.precision(COUNTS), p)
    np.testing.assert_allclose(metrics.recall(COUNTS), r)
    np.testing.assert_allclose(metrics.f1(COUNTS), f)
    np.testing.assert_array_equal(metrics.support(COUNTS), s)
    assert metrics.accuracy(COUNTS) == pytest.approx(accuracy_score(y_true, y_pred))


def test_zero_division_gives_zero_like_sklearn() -> None:
    # Class d (index 3) is never true and never predicted: precision 0/0, recall 0/0, F1 0/0 -> 0.
    # Class c is true 3 times, predicted once (wrongly): precision 0/1, recall 0/3 -> 0.
    counts = np.zeros((4, 4), dtype=np.int64)
    counts[:3, :3] = COUNTS
    y_true, y_pred = labels_from_counts(counts)
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=[0, 1, 2, 3], zero_division=0)
    np.testing.assert_allclose(metrics.precision(counts), p)
    np.testing.assert_allclose(metrics.recall(counts), r)
    np.testing.assert_allclose(metrics.f1(counts), f)
    assert metrics.precision(counts)[3] == 0.0
    assert metrics.recall(counts)[3] == 0.0
    assert metrics.f1(counts)[3] == 0.0
    assert not np.isnan(metrics.f1(counts)).any()


def test_empty_matrix_has_accuracy_zero_not_nan() -> None:
    empty = np.zeros((3, 3), dtype=np.int64)
    assert metrics.accuracy(empty) == 0.0
    np.testing.assert_array_equal(metrics.precision(empty), [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(metrics.normalize(empty, "true"), np.zeros((3, 3)))


def test_metrics_broadcast_over_leading_axes() -> None:
    stacked = np.stack([COUNTS, COUNTS.T, np.eye(3, dtype=np.int64) * 4])[None]  # (1, 3, 3, 3)
    prec = metrics.precision(stacked)
    assert prec.shape == (1, 3, 3)
    np.testing.assert_allclose(prec[0, 0], [5 / 6, 6 / 11, 0.0])
    # transposed matrix: predicted totals become [8, 7, 3], TP unchanged
    np.testing.assert_allclose(prec[0, 1], [5 / 8, 6 / 7, 0.0])
    np.testing.assert_allclose(metrics.accuracy(stacked)[0], [11 / 18, 11 / 18, 1.0])


@pytest.mark.parametrize("mode", NORMALIZATIONS)
def test_normalize_matches_sklearn(mode: Normalization) -> None:
    y_true, y_pred = labels_from_counts(COUNTS)
    expected = confusion_matrix(y_true, y_pred, labels=[0, 1, 2], normalize=mode)
    np.testing.assert_allclose(metrics.normalize(COUNTS, mode), expected)


def test_normalize_by_hand() -> None:
    # 'true': row a / 8 -> [5/8, 2/8, 1/8]; 'pred': column b / 11 -> [2/11, 6/11, 3/11]; 'all': / 18
    np.testing.assert_allclose(metrics.normalize(COUNTS, "true")[0], [5 / 8, 2 / 8, 1 / 8])
    np.testing.assert_allclose(metrics.normalize(COUNTS, "pred")[:, 1], [2 / 11, 6 / 11, 3 / 11])
    assert metrics.normalize(COUNTS, "all")[2, 1] == pytest.approx(3 / 18)
    out = metrics.normalize(COUNTS, None)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, COUNTS)


def test_normalize_with_an_empty_row_matches_sklearn() -> None:
    counts = np.zeros((4, 4), dtype=np.int64)
    counts[:3, :3] = COUNTS
    y_true, y_pred = labels_from_counts(counts)
    for mode in ("true", "pred", "all"):
        expected = confusion_matrix(y_true, y_pred, labels=[0, 1, 2, 3], normalize=mode)
        np.testing.assert_allclose(metrics.normalize(counts, mode), expected, err_msg=mode)


def test_normalize_rejects_unknown_mode() -> None:
    with pytest.raises(ValueError, match="unknown normalization 'rows'"):
        metrics.normalize(COUNTS, "rows")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown normalization"):
        metrics.normalize_fn_fp(COUNTS, "rows")  # type: ignore[arg-type]


def test_normalize_fn_fp_per_mode() -> None:
    # FN = [3, 1, 3], FP = [1, 5, 1]; support = [8, 7, 3]; predicted = [6, 11, 1]; total 18
    fn, fp = metrics.normalize_fn_fp(COUNTS, None)
    np.testing.assert_array_equal(fn, [3, 1, 3])
    np.testing.assert_array_equal(fp, [1, 5, 1])
    # relative FN is over the class's support (1 - recall) and relative FP over the class's
    # predicted total (1 - precision) in both 'true' and 'pred' mode, so neither exceeds 100 %
    for mode in ("true", "pred"):
        fn, fp = metrics.normalize_fn_fp(COUNTS, mode)
        np.testing.assert_allclose(fn, [3 / 8, 1 / 7, 3 / 3])
        np.testing.assert_allclose(fp, [1 / 6, 5 / 11, 1 / 1])
        np.testing.assert_allclose(fn, 1 - metrics.recall(COUNTS))
        np.testing.assert_allclose(fp, 1 - metrics.precision(COUNTS))
        assert fn.max() <= 1 and fp.max() <= 1
    fn, fp = metrics.normalize_fn_fp(COUNTS, "all")
    np.testing.assert_allclose(fn, np.array([3, 1, 3]) / 18)
    np.testing.assert_allclose(fp, np.array([1, 5, 1]) / 18)


def test_normalize_fn_fp_zero_denominator_gives_zero() -> None:
    counts = np.zeros((2, 3, 3), dtype=np.int64)
    counts[1] = COUNTS
    for mode in ("true", "pred", "all"):
        fn, fp = metrics.normalize_fn_fp(counts, mode)
        assert fn.shape == fp.shape == (2, 3)
        np.testing.assert_array_equal(fn[0], [0.0, 0.0, 0.0])
        np.testing.assert_array_equal(fp[0], [0.0, 0.0, 0.0])


def test_tensor_metrics_nan_exactly_where_masked() -> None:
    perfect = np.eye(3, dtype=np.int64) * 2
    first = series_counts("r1", [1, 2, 3], np.stack([COUNTS, perfect, COUNTS]), ("a", "b", "c"))
    second = series_counts("r2", [2, 4], np.stack([perfect, COUNTS]), ("a", "b", "c"))
    tensor = ConfusionTensor.from_series([first, second])
    np.testing.assert_array_equal(tensor.steps, [1, 2, 3, 4])
    m = metrics.tensor_metrics(tensor)
    assert m.precision.shape == (2, 4, 3)
    assert m.accuracy.shape == (2, 4)
    # r1 has no step 4; r2 has no steps 1 and 3
    expected_missing = np.array([[False, False, False, True], [True, False, True, False]])
    np.testing.assert_array_equal(np.isnan(m.accuracy), expected_missing)
    for arr in (m.precision, m.recall, m.f1, m.support, m.predicted, m.false_negatives, m.false_positives):
        np.testing.assert_array_equal(np.isnan(arr), np.repeat(expected_missing[..., None], 3, axis=2))
    np.testing.assert_allclose(m.accuracy[0, :3], [11 / 18, 1.0, 11 / 18])
    np.testing.assert_allclose(m.accuracy[1, [1, 3]], [1.0, 11 / 18])
    np.testing.assert_allclose(m.f1[1, 3], [5 / 7, 2 / 3, 0.0])
    np.testing.assert_allclose(m.false_positives[0, 0], [1, 5, 1])
    np.testing.assert_allclose(m.total[0, :3], [18, 6, 18])
    # a logged step whose class is absent is 0.0 (zero division), not NaN
    assert m.precision[0, 0, 2] == 0.0
