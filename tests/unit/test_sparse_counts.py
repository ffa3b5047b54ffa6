"""Sparse counts give exactly the dense path's metrics, sub-matrices and groups; reading and caching."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

from confusionflow.data_access.cache import MemoryArrayCache, decode_arrays, encode_arrays
from confusionflow.data_access.errors import LogFormatError
from confusionflow.data_access.file_bytes import LogRecoveryWarning
from confusionflow.data_access.metrics import tensor_metrics
from confusionflow.data_access.reader import read_series
from confusionflow.data_access.sparse_counts import SparseCounts, SparseSeries
from confusionflow.data_access.sparse_reader import load_sparse
from confusionflow.data_access.writer import LogWriter
from tests.unit.many_classes import instances, random_tensor

METRIC_FIELDS = (
    "precision",
    "recall",
    "f1",
    "support",
    "predicted",
    "false_negatives",
    "false_positives",
    "accuracy",
    "total",
)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_metrics_equal_the_dense_path(seed):
    tensor = random_tensor(seed)
    dense, sparse = tensor_metrics(tensor), SparseCounts.from_tensor(tensor).metrics()
    for name in METRIC_FIELDS:
        np.testing.assert_array_equal(getattr(sparse, name), getattr(dense, name), err_msg=name)
    assert np.isnan(sparse.f1[~tensor.mask]).all()  # masked steps are missing, not zero


def test_metrics_match_sklearn_on_instances():
    tensor = random_tensor(5, n_series=1, n_classes=6, n_steps=2)
    sparse = SparseCounts.from_tensor(tensor)
    m = sparse.metrics()
    t = int(np.flatnonzero(tensor.mask[0])[0])
    y_true, y_pred = instances(tensor.counts[0, t])
    labels = list(range(6))
    np.testing.assert_array_equal(sparse.matrix(0, t), confusion_matrix(y_true, y_pred, labels=labels))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    np.testing.assert_allclose(m.precision[0, t], p)
    np.testing.assert_allclose(m.recall[0, t], r)
    np.testing.assert_allclose(m.f1[0, t], f)
    np.testing.assert_array_equal(m.support[0, t], s)
    assert m.accuracy[0, t] == pytest.approx(accuracy_score(y_true, y_pred))


@pytest.mark.parametrize("other", [False, True])
def test_select_classes_equals_dense(other):
    tensor = random_tensor(3, n_classes=9)
    sparse = SparseCounts.from_tensor(tensor)
    want = tensor.select_classes([7, 2, 4], other=other)
    got = sparse.select_classes(["k7", 2, "k4"], other=other)
    np.testing.assert_array_equal(got.counts, want.counts)
    assert got.classes == want.classes == (("k7", "k2", "k4", "(other)") if other else ("k7", "k2", "k4"))
    np.testing.assert_array_equal(got.mask, tensor.mask)


def test_select_classes_refuses_bad_choices():
    sparse = SparseCounts.from_tensor(random_tensor(0))
    with pytest.raises(ValueError, match="at least two"):
        sparse.select_classes([1])
    with pytest.raises(ValueError, match="twice"):
        sparse.select_classes([1, "k1"])
    with pytest.raises(KeyError, match="unknown class"):
        sparse.select_classes(["k1", "nope"])


def test_aggregate_equals_dense_including_unmapped_classes():
    tensor = random_tensor(4, n_classes=8)
    mapping = {"k0": "g1", "k5": "g1", "k2": "g2", "k3": "g2", "k7": "g1"}  # k1, k4, k6 unmapped
    got, want = SparseCounts.from_tensor(tensor).aggregate(mapping), tensor.aggregate(mapping)
    assert got.classes == want.classes == ("g1", "k1", "g2", "k4", "k6")
    np.testing.assert_array_equal(got.counts, want.counts)
    assert got.counts.sum() == tensor.counts.sum()  # nothing lost


def test_select_series_equals_dense():
    tensor = random_tensor(6)
    keys = ["run2/test", "run0/test"]
    got = SparseCounts.from_tensor(tensor).select_series(keys)
    want = tensor.select_series(keys)
    np.testing.assert_array_equal(got.steps, want.steps)
    np.testing.assert_array_equal(got.mask, want.mask)
    np.testing.assert_array_equal(got.select_classes(list(range(7))).counts, want.counts)


def test_entries_are_only_the_non_zero_cells():
    tensor = random_tensor(7)
    sparse = SparseCounts.from_tensor(tensor)
    assert sparse.nnz == int(np.count_nonzero(tensor.counts))
    for s in range(tensor.n_series):
        for t in range(tensor.n_steps):
            np.testing.assert_array_equal(sparse.matrix(s, t), tensor.counts[s, t])


def test_cache_encoding_round_trip_without_copy():
    tensor = random_tensor(8)
    sparse = SparseCounts.from_tensor(tensor)
    arrays = decode_arrays(encode_arrays(sparse.to_arrays()))
    back = SparseCounts.from_arrays(arrays, sparse.classes, sparse.series)
    assert not back.count.flags.writeable  # a view on the cached bytes
    for name in METRIC_FIELDS:
        np.testing.assert_array_equal(getattr(back.metrics(), name), getattr(sparse.metrics(), name))
    with pytest.raises(ValueError, match="do not match"):
        SparseCounts.from_arrays(arrays, sparse.classes[:-1], sparse.series)


def test_from_series_aligns_steps_like_the_dense_tensor():
    tensor = random_tensor(9)
    items = [
        SparseSeries.from_dense(info, tensor.steps[tensor.mask[s]], tensor.counts[s][tensor.mask[s]])
        for s, info in enumerate(tensor.series)
    ]
    got = SparseCounts.from_series(items)
    np.testing.assert_array_equal(got.mask, tensor.mask)
    np.testing.assert_array_equal(got.select_classes(list(range(7))).counts, tensor.counts)


def test_from_entries_rejects_counts_at_masked_steps():
    with pytest.raises(ValueError, match="masked"):
        SparseCounts.from_entries(
            [1],
            [0],
            [0],
            [3],
            mask=np.array([[True, False]]),
            steps=np.array([1.0, 2.0]),
            classes=("x", "y"),
            series=random_tensor(0, n_series=1).series,
        )


def _write_logs(root, rng):
    classes = [f"c{i}" for i in range(6)]
    with LogWriter(root, "run", classes, store_instances=False) as log:
        for step in (3, 1, 2):
            log.add_counts(step, "val", rng.integers(0, 4, (6, 6)))
    with LogWriter(root, "run", classes, mode="resume") as log:
        for step in (1, 2):
            y = rng.integers(0, 6, 50)
            log.add(step, "test", y, np.where(rng.random(50) < 0.7, y, rng.integers(0, 6, 50)))
    return classes


def test_load_sparse_equals_the_dense_reader_and_caches(tmp_path):
    _write_logs(tmp_path, np.random.default_rng(0))
    cache = MemoryArrayCache()
    keys = ["run/val", "run/test"]
    for _ in range(2):  # parse, then a cache hit
        sparse = load_sparse(tmp_path, keys, cache=cache, chunk_steps=2)
        for s, key in enumerate(keys):
            dense = read_series(tmp_path, *key.split("/"))
            t = np.searchsorted(sparse.steps, dense.steps)
            for k, tt in enumerate(t):
                np.testing.assert_array_equal(sparse.matrix(s, tt), dense.counts[k])
        assert sparse.series[1].has_instances and not sparse.series[0].has_instances
    assert not sparse.slot.flags.writeable  # the second load came from the cache


def test_a_damaged_line_inside_a_counts_file_names_its_line(tmp_path):
    _write_logs(tmp_path, np.random.default_rng(1))
    path = tmp_path / "run" / "val.counts.jsonl"
    lines = path.read_bytes().split(b"\n")
    lines[1] = lines[1][:-5]  # line 2 of 3 cut short: not an interrupted write
    path.write_bytes(b"\n".join(lines))
    for chunk in (1, 2, 8):
        with pytest.raises(LogFormatError, match=r"val\.counts\.jsonl \(line 2\)"):
            load_sparse(tmp_path, ["run/val"], chunk_steps=chunk)


def test_an_interrupted_last_line_is_skipped_with_a_warning(tmp_path):
    _write_logs(tmp_path, np.random.default_rng(2))
    path = tmp_path / "run" / "val.counts.jsonl"
    before = path.read_bytes()
    path.write_bytes(before + b'{"step": 9, "counts": [1, 2')
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sparse = load_sparse(tmp_path, ["run/val"], chunk_steps=2)
    assert sparse.steps.tolist() == [1.0, 2.0, 3.0]
    assert any(issubclass(w.category, LogRecoveryWarning) for w in caught)


def test_a_step_logged_twice_is_an_error(tmp_path):
    _write_logs(tmp_path, np.random.default_rng(3))
    path = tmp_path / "run" / "val.counts.jsonl"
    first = path.read_bytes().split(b"\n")[0]
    path.write_bytes(path.read_bytes() + first + b"\n")
    with pytest.raises(LogFormatError, match="logged twice"):
        load_sparse(tmp_path, ["run/val"], chunk_steps=1)


def test_an_appended_step_parses_only_the_new_lines(tmp_path, monkeypatch):
    from confusionflow.data_access import sparse_reader

    rng = np.random.default_rng(4)
    classes = [f"c{i}" for i in range(5)]
    cache = MemoryArrayCache()
    with LogWriter(tmp_path, "run", classes, store_instances=False) as log:
        for step in (1, 2, 3):
            log.add_counts(step, "val", rng.integers(0, 4, (5, 5)))
        log.add_counts(1, "train", rng.integers(0, 4, (5, 5)))
    keys = ["run/val", "run/train"]
    load_sparse(tmp_path, keys, cache=cache)
    seen: list[tuple[str, int]] = []
    real = sparse_reader.parse_counts_tail

    def spy(path, data, n_classes, *, first_line):
        seen.append((path.name, first_line))
        return real(path, data, n_classes, first_line=first_line)

    monkeypatch.setattr(sparse_reader, "parse_counts_tail", spy)
    with LogWriter(tmp_path, "run", classes, store_instances=False, mode="resume") as log:
        log.add_counts(4, "val", rng.integers(0, 4, (5, 5)))
        log.add_counts(0.5, "val", rng.integers(0, 4, (5, 5)))  # an earlier step, appended later
    got = load_sparse(tmp_path, keys, cache=cache, chunk_steps=1)
    assert seen == [("val.counts.jsonl", 4), ("val.counts.jsonl", 5)]  # train: its own cache entry
    dense = read_series(tmp_path, "run", "val")
    assert got.steps[got.mask[0]].tolist() == dense.steps.tolist() == [0.5, 1, 2, 3, 4]
    for k, step in enumerate(dense.steps):
        np.testing.assert_array_equal(got.matrix(0, int(np.searchsorted(got.steps, step))), dense.counts[k])
    # an edit of an earlier line is not an append: the whole file is parsed again, correctly
    path = tmp_path / "run" / "val.counts.jsonl"
    path.write_bytes(path.read_bytes().replace(b'{"step":1,', b'{"step":1.5,', 1))
    seen.clear()
    again = load_sparse(tmp_path, keys, cache=cache, chunk_steps=8)
    assert seen == [("val.counts.jsonl", 1)]
    assert again.steps[again.mask[0]].tolist() == [0.5, 1.5, 2, 3, 4]


@pytest.mark.parametrize(("content", "message"), [(b"", "is empty"), (b"\n\n \n", "has no steps")])
def test_empty_counts_files_are_named(tmp_path, content, message):
    _write_logs(tmp_path, np.random.default_rng(5))
    (tmp_path / "run" / "val.counts.jsonl").write_bytes(content)
    for cache in (None, MemoryArrayCache()):
        with pytest.raises(LogFormatError, match=rf"val\.counts\.jsonl: {message}"):
            load_sparse(tmp_path, ["run/val"], cache=cache)
