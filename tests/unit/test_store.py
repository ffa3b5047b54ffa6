"""LogStore: listing, loading, caching keyed by file identity, cheap change detection."""

from __future__ import annotations

import builtins
import os
import threading

import numpy as np
import pytest

from confusionflow.data_access.cache import DiskArrayCache, MemoryArrayCache
from confusionflow.data_access.errors import LogFormatError
from confusionflow.data_access.file_bytes import LogRecoveryWarning
from confusionflow.data_access.store import LoadResult, LogStore
from confusionflow.data_access.tensor import ConfusionTensor
from confusionflow.data_access.writer import LogWriter

CLASSES = ["cat", "dog", "car"]


@pytest.fixture
def logs(tmp_path):
    root = tmp_path / "logs"
    with LogWriter(root, "b run", CLASSES, metadata={"lr": 0.01}) as w:
        for step in (0, 1, 2):
            w.add_counts(step, "val", (step + 1) * np.eye(3, dtype=int))
        for step in (1, 3):
            w.add(step, "test", [0, 1, 2, 2], [0, 1, 1, 2] if step == 1 else [0, 1, 2, 2])
    with LogWriter(root, "a run", CLASSES) as w:
        w.add_counts(0.5, "val", np.ones((3, 3), dtype=int))
    return root


def test_list_series_is_sorted_and_describes_each_series(logs):
    series = LogStore(logs).list_series()
    assert [s.key for s in series] == ["a run/val", "b run/test", "b run/val"]
    test = series[1]
    assert test.classes == tuple(CLASSES) and test.has_instances and test.metadata == {"lr": 0.01}
    assert not series[2].has_instances
    assert LogStore(logs).problems() == []


def test_missing_root_is_a_problem_not_an_exception(tmp_path):
    store = LogStore(tmp_path / "nowhere")
    assert store.list_series() == []
    assert "nowhere: log folder does not exist" in store.problems()[0].message
    assert store.fingerprint() == "missing"


def test_load_aligns_series_on_the_union_of_steps(logs):
    result = LogStore(logs).load(["b run/val", "a run/val", "b run/test", "b run/val"])
    assert isinstance(result, LoadResult) and result.problems == ()
    t = result.tensor
    assert t.series_keys == ("b run/val", "a run/val", "b run/test")  # duplicates dropped, order kept
    np.testing.assert_array_equal(t.steps, [0, 0.5, 1, 2, 3])
    np.testing.assert_array_equal(t.mask[0], [True, False, True, True, False])
    np.testing.assert_array_equal(t.mask[2], [False, False, True, False, True])
    np.testing.assert_array_equal(t.counts[0, 3], 3 * np.eye(3))
    np.testing.assert_array_equal(t.counts[2, 2], [[1, 0, 0], [0, 1, 0], [0, 1, 1]])
    np.testing.assert_array_equal(t.counts[1, 1], np.ones((3, 3)))


def test_load_builds_the_same_tensor_as_from_series_cached_or_not(logs):
    keys = ["b run/test", "a run/val", "b run/val"]
    reference = ConfusionTensor.from_series([LogStore(logs).load_series(k) for k in keys])
    cache = MemoryArrayCache()
    for store in (LogStore(logs), LogStore(logs, cache=cache), LogStore(logs, cache=cache)):
        t = store.load(keys).tensor
        assert t.counts.dtype == np.int64 and t.series == reference.series and t.classes == reference.classes
        np.testing.assert_array_equal(t.counts, reference.counts)
        np.testing.assert_array_equal(t.mask, reference.mask)
        np.testing.assert_array_equal(t.steps, reference.steps)
    assert store.stats["cache_hits"] == 3


def test_load_of_nothing_gives_no_tensor(logs):
    assert LogStore(logs).load([]) == LoadResult(tensor=None, problems=())


def test_second_load_is_served_from_the_cache_with_identical_arrays(logs, tmp_path):
    cache = DiskArrayCache(tmp_path / "cache")
    first = LogStore(logs, cache=cache).load_series("b run/test")
    store = LogStore(logs, cache=cache)  # another process would see the same folder
    second = store.load_series("b run/test")
    assert store.stats["parsed"] == 0 and store.stats["cache_hits"] == 1
    np.testing.assert_array_equal(first.steps, second.steps)
    np.testing.assert_array_equal(first.counts, second.counts)
    assert second.counts.dtype == np.int64 and second.counts.flags.writeable
    assert second.info == first.info


@pytest.mark.parametrize("fold", ["val", "test"])
def test_appended_steps_are_picked_up_through_the_cache(logs, tmp_path, fold):
    store = LogStore(logs, cache=DiskArrayCache(tmp_path / "cache"))
    before = store.load_series(f"b run/{fold}")
    assert store.load_series(f"b run/{fold}").steps.tolist() == before.steps.tolist()
    assert store.stats == {
        "parsed": 1,
        "incremental": 0,
        "cache_hits": 1,
        "cache_misses": 1,
        "cache_errors": 0,
    }
    with LogWriter(logs, "b run", CLASSES, mode="resume") as w:
        if fold == "val":
            w.add_counts(10, "val", 9 * np.eye(3, dtype=int))
        else:
            w.add(10, "test", [2, 2, 2], [0, 0, 0])
    after = store.load_series(f"b run/{fold}")
    assert store.stats["parsed"] == 2 and store.stats["incremental"] == 1  # only the new step was read
    assert after.steps.tolist() == [*before.steps.tolist(), 10.0]
    expected = 9 * np.eye(3) if fold == "val" else [[0, 0, 0], [0, 0, 0], [3, 0, 0]]
    np.testing.assert_array_equal(after.counts[-1], expected)
    store.load_series(f"b run/{fold}")
    assert store.stats["cache_hits"] == 2


def grow(logs, step, counts):
    with LogWriter(logs, "b run", CLASSES, mode="resume") as w:
        w.add_counts(step, "val", counts)


def test_incremental_parse_equals_a_full_parse_over_many_appends(logs):
    store = LogStore(logs, cache=MemoryArrayCache())
    rng = np.random.default_rng(3)
    for step in range(3, 30):
        grow(logs, step if step % 5 else step - 0.5, rng.integers(0, 9, (3, 3)))
        got = store.load_series("b run/val")
        want = LogStore(logs).load_series("b run/val")
        np.testing.assert_array_equal(got.steps, want.steps)
        np.testing.assert_array_equal(got.counts, want.counts)
    assert store.stats["incremental"] == 26 and store.stats["parsed"] == 27


def test_incremental_parse_skips_a_half_written_line_then_reads_it_complete(logs):
    store = LogStore(logs, cache=MemoryArrayCache())
    store.load_series("b run/val")
    path = logs / "b run" / "val.counts.jsonl"
    line = b'{"step": 7, "counts": [7,0,0,0,7,0,0,0,7]}\n'
    with open(path, "ab") as f:
        f.write(line[:15])
    with pytest.warns(LogRecoveryWarning, match="line 4"):
        assert store.load_series("b run/val").steps.tolist() == [0, 1, 2]
    with open(path, "ab") as f:
        f.write(line[15:])
    assert store.load_series("b run/val").steps.tolist() == [0, 1, 2, 7]
    assert store.stats["incremental"] == 2


def test_rewritten_counts_file_is_parsed_in_full(logs):
    store = LogStore(logs, cache=MemoryArrayCache())
    store.load_series("b run/val")
    path = logs / "b run" / "val.counts.jsonl"
    data = path.read_bytes()
    with open(path, "r+b") as f:  # same inode, first line changed, file longer
        f.write(
            data.replace(b'"counts":[1,', b'"counts":[5,', 1) + b'{"step":9,"counts":[0,0,0,0,0,0,0,0,0]}\n'
        )
    s = store.load_series("b run/val")
    assert s.counts[0, 0, 0] == 5 and s.steps.tolist() == [0, 1, 2, 9]
    assert store.stats["incremental"] == 0


def test_errors_in_an_appended_tail_name_the_true_line_and_duplicates_both_lines(logs):
    store = LogStore(logs, cache=MemoryArrayCache())
    store.load_series("b run/val")
    path = logs / "b run" / "val.counts.jsonl"
    with open(path, "ab") as f:
        f.write(b'{"step": 1, "counts": [0,0,0,0,0,0,0,0,0]}\n')
    with pytest.raises(LogFormatError, match=r"step 1 is logged twice \(lines 2 and 4\)"):
        store.load_series("b run/val")
    with open(path, "ab") as f:
        f.write(b'{"step": 8, "counts": [0,0,0,0,0,-1,0,0,0]}\n{"step": 9}\n')
    with pytest.raises(LogFormatError, match=r"\(line 5\): step 8: negative count"):
        store.load_series("b run/val")


def test_step_files_are_read_once_each(logs, monkeypatch):
    import confusionflow.data_access.series_cache as store_module

    reads = []
    original = store_module.read_step_counts
    monkeypatch.setattr(store_module, "read_step_counts", lambda p, c: reads.append(p.name) or original(p, c))
    store = LogStore(logs, cache=MemoryArrayCache())
    store.load_series("b run/test")
    with LogWriter(logs, "b run", CLASSES, mode="resume") as w:
        w.add(4, "test", [0, 0], [1, 1])
    s = store.load_series("b run/test")
    assert reads == ["step-1.parquet", "step-3.parquet", "step-4.parquet"]
    np.testing.assert_array_equal(s.counts[-1], [[0, 2, 0], [0, 0, 0], [0, 0, 0]])


def test_a_failing_cache_never_stops_loading(logs):
    class Broken:
        def get_arrays(self, key):
            raise ConnectionError("cache server down")

        def set_arrays(self, key, arrays):
            raise ConnectionError("cache server down")

    store = LogStore(logs, cache=Broken())
    series = store.load_series("b run/val")
    np.testing.assert_array_equal(series.counts[:, 0, 0], [1, 2, 3])
    # two reads (series, resume point) and two writes failed
    assert store.stats["cache_errors"] == 4 and store.stats["parsed"] == 1


def test_a_cache_entry_of_the_wrong_shape_is_ignored(logs):
    class Lying(MemoryArrayCache):
        def get_arrays(self, key):
            return {"steps": np.zeros(2), "counts": np.zeros((2, 5, 5), dtype=np.int64)}

    store = LogStore(logs, cache=Lying())
    assert store.load_series("b run/val").counts.shape == (3, 3, 3)
    assert store.stats["parsed"] == 1 and store.stats["cache_hits"] == 0


def test_instances_through_the_store(logs):
    store = LogStore(logs)
    frame = store.instances("b run/test", 1)
    assert frame["y_pred"].tolist() == [0, 1, 1, 2]
    assert store.instances("b run/test", 2) is None
    assert store.instances("b run/val", 1) is None
    assert store.instances("nope/test", 1) is None


def test_fingerprint_is_stable_and_changes_with_every_kind_of_change(logs):
    store = LogStore(logs)
    seen = {store.fingerprint()}
    assert store.fingerprint() in seen

    def changed() -> bool:
        fp = store.fingerprint()
        new = fp not in seen
        seen.add(fp)
        return new

    with LogWriter(logs, "b run", CLASSES, mode="resume") as w:
        w.add_counts(5, "val", np.eye(3, dtype=int))
        assert changed()  # appended line
        w.add(5, "test", [0], [0])
        assert changed()  # new step file
        w.add_counts(1, "new fold", np.eye(3, dtype=int))
        assert changed()  # new fold
    (logs / "b run" / "test.predictions" / ".step-6.parquet.1.ab.tmp").write_bytes(b"x")
    assert not changed()  # temporary files do not count until renamed into place
    LogWriter(logs, "c run", CLASSES).close()
    assert changed()  # new run
    (logs / "b run" / "new fold.counts.jsonl").unlink()
    assert changed()  # deleted file


def test_fingerprint_reads_no_file(logs, monkeypatch):
    store = LogStore(logs)
    expected = store.fingerprint()

    def refuse(*args, **kwargs):
        raise AssertionError(f"fingerprint opened a file: {args}")

    monkeypatch.setattr(builtins, "open", refuse)
    monkeypatch.setattr(os, "open", refuse)
    assert store.fingerprint() == expected


def test_concurrent_loads_from_many_threads_agree(logs, tmp_path):
    store = LogStore(logs, cache=DiskArrayCache(tmp_path / "cache"))
    reference = store.load(["b run/val", "b run/test", "a run/val"]).tensor
    results, errors = [], []

    def work():
        try:
            for _ in range(5):
                results.append(store.load(["b run/val", "b run/test", "a run/val"]).tensor)
        except Exception as e:  # noqa: BLE001 - collected and asserted below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(results) == 40
    for t in results:
        np.testing.assert_array_equal(t.counts, reference.counts)
        np.testing.assert_array_equal(t.mask, reference.mask)
    stats = store.stats
    assert stats["parsed"] == 3 and stats["cache_hits"] == 120
