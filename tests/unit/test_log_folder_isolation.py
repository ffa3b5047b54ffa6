"""Every entry of a log folder is isolated: a hostile one is a listed problem, the others still load.

Also: symbolic links leading out of the log folder are refused, leftovers are warned about once,
and the catalogue is scanned once per change of the folder.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import numpy as np
import orjson
import pytest

from confusionflow.data_access import catalog
from confusionflow.data_access.errors import LogFormatError
from confusionflow.data_access.file_bytes import LogRecoveryWarning
from confusionflow.data_access.store import LogStore
from confusionflow.data_access.writer import LogWriter

CLASSES = ["cat", "dog", "car"]


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    root = tmp_path / "logs"
    with LogWriter(root, "good", CLASSES) as w:
        w.add_counts(1, "val", np.eye(3, dtype=int))
        w.add(1, "test", [0, 1, 2], [0, 1, 1])
    return root


def run_json(metadata: object = None) -> bytes:
    doc = {"format": "confusionflow-dash-log", "version": 1, "classes": CLASSES}
    if metadata is not None:
        doc["metadata"] = metadata
    return json.dumps(doc).encode()


def assert_good_still_loads(store: LogStore) -> None:
    assert [s.key for s in store.list_series()] == ["good/test", "good/val"]
    result = store.load(["good/val", "good/test"])
    assert result.problems == ()
    assert result.tensor is not None and result.tensor.counts[0, 0].trace() == 3


def assert_serialisable(problems) -> None:
    """What a page shows must encode as JSON (orjson, as Dash does, refuses lone surrogates)."""
    for p in problems:
        orjson.dumps({"source": p.source, "message": p.message})


def test_run_folder_named_with_invalid_utf8_is_a_listed_problem(logs):
    bad = os.fsencode(logs) + b"/bad-\xff-run"
    os.mkdir(bad)
    with open(bad + b"/run.json", "wb") as f:
        f.write(run_json())
    with open(bad + b"/val.counts.jsonl", "wb") as f:
        f.write(b'{"step": 1, "counts": [1,0,0,0,1,0,0,0,1]}\n')
    store = LogStore(logs)
    problems = store.problems()
    assert len(problems) == 1 and "bad-" in problems[0].message
    assert "\\udcff" in problems[0].message  # the byte is shown, escaped
    assert_serialisable(problems)
    assert_good_still_loads(store)
    assert len(store.fingerprint()) == 32


def test_metadata_nested_a_thousand_deep_is_a_listed_problem(logs):
    deep = '{"k": ' * 1000 + '"leaf"' + "}" * 1000  # json.dumps itself could not write it
    (logs / "deep").mkdir()
    (logs / "deep" / "run.json").write_bytes(run_json({"nest": 0}).replace(b"0}", deep.encode() + b"}"))
    (logs / "deep" / "val.counts.jsonl").write_bytes(b'{"step": 1, "counts": [1,0,0,0,1,0,0,0,1]}\n')
    store = LogStore(logs)
    problems = store.problems()
    assert len(problems) == 1 and "nests more than 32 levels" in problems[0].message
    assert str(logs / "deep" / "run.json") in problems[0].message
    assert_good_still_loads(store)
    loaded = store.load(["deep/val", "good/val"])
    assert [p.source for p in loaded.problems] == ["deep/val"]
    assert loaded.tensor is not None and loaded.tensor.series_keys == ("good/val",)


def test_shallow_metadata_is_kept(logs):
    (logs / "ok").mkdir()
    (logs / "ok" / "run.json").write_bytes(run_json({"a": {"b": [1, {"c": 2}]}}))
    (logs / "ok" / "val.counts.jsonl").write_bytes(b'{"step": 1, "counts": [1,0,0,0,1,0,0,0,1]}\n')
    info = {s.key: s for s in LogStore(logs).list_series()}["ok/val"]
    assert info.metadata == {"a": {"b": [1, {"c": 2}]}}


def test_an_unexpected_error_in_one_entry_does_not_stop_the_listing(logs, monkeypatch):
    (logs / "boom").mkdir()
    (logs / "boom" / "run.json").write_bytes(run_json())
    original = catalog.read_run

    def read_run(root, run):
        if run == "boom":
            raise RecursionError("maximum recursion depth exceeded")
        return original(root, run)

    monkeypatch.setattr(catalog, "read_run", read_run)
    store = LogStore(logs)
    assert [p.source for p in store.problems()] == [str(logs / "boom")]
    assert_good_still_loads(store)


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A complete run outside the log folder."""
    root = tmp_path / "elsewhere"
    with LogWriter(root, "secret", CLASSES) as w:
        w.add_counts(1, "val", 5 * np.eye(3, dtype=int))
        w.add(1, "test", [0, 0], [0, 0])
    return root / "secret"


def test_symlinked_run_folder_leading_outside_is_refused_unless_allowed(logs, outside):
    os.symlink(outside, logs / "linked")
    store = LogStore(logs)
    problems = store.problems()
    assert [p.source for p in problems] == [str(logs / "linked")]
    assert "symbolic link leading outside the log folder" in problems[0].message
    assert_good_still_loads(store)
    result = store.load(["linked/val"])
    assert result.tensor is None and "symbolic link" in result.problems[0].message
    allowed = LogStore(logs, follow_symlinks=True)
    assert "linked/val" in [s.key for s in allowed.list_series()]
    assert allowed.load(["linked/val"]).tensor.counts[0, 0, 0, 0] == 5


def test_symlinked_fold_and_step_files_leading_outside_are_refused(logs, outside):
    os.symlink(outside / "val.counts.jsonl", logs / "good" / "stolen.counts.jsonl")
    step = next((outside / "test.predictions").glob("step-*.parquet"))
    os.symlink(step, logs / "good" / "test.predictions" / "step-7.parquet")
    store = LogStore(logs)
    assert [p.source for p in store.problems()] == [str(logs / "good" / "stolen.counts.jsonl")]
    assert "stolen" not in [s.fold for s in store.list_series()]
    loaded = store.load(["good/stolen", "good/test"])
    assert {p.source for p in loaded.problems} == {"good/stolen", "good/test"}
    assert all("symbolic link" in p.message for p in loaded.problems)
    with pytest.raises(LogFormatError, match="symbolic link"):
        store.instances("good/test", 7)
    allowed = LogStore(logs, follow_symlinks=True)
    assert allowed.load(["good/test"]).tensor.steps.tolist() == [1.0, 7.0]


def test_symlink_inside_the_log_folder_is_served(logs):
    os.symlink(logs / "good", logs / "alias")
    assert "alias/val" in [s.key for s in LogStore(logs).list_series()]


def test_instances_through_a_refused_link_raise_a_named_error(logs, outside):
    os.symlink(outside, logs / "linked")
    with pytest.raises(LogFormatError, match="symbolic link"):
        LogStore(logs).instances("linked/test", 1)


def test_a_leftover_temporary_file_is_warned_about_once(logs):
    leftover = logs / "good" / "test.predictions" / ".step-2.parquet.4242.deadbeef.tmp"
    leftover.write_bytes(b"PAR1 half")
    store = LogStore(logs)
    with pytest.warns(LogRecoveryWarning, match="unfinished step file"):
        store.load_series("good/test")
    with warnings.catch_warnings():
        warnings.simplefilter("error", LogRecoveryWarning)
        for _ in range(3):
            assert store.load_series("good/test").steps.tolist() == [1.0]


def test_the_catalogue_is_scanned_once_per_change(logs):
    store = LogStore(logs)
    for _ in range(5):
        store.list_series()
        store.problems()
        store.catalog()
    assert store.scans == 1
    with LogWriter(logs, "second", CLASSES) as w:
        w.add_counts(1, "val", np.eye(3, dtype=int))
    assert "second/val" in [s.key for s in store.list_series()]
    store.problems()
    assert store.scans == 2


def test_fingerprint_ttl_reuses_the_walk(logs):
    store = LogStore(logs, fingerprint_ttl=3600)
    first = store.fingerprint()
    with LogWriter(logs, "second", CLASSES) as w:
        w.add_counts(1, "val", np.eye(3, dtype=int))
    assert store.fingerprint() == first  # within the ttl: the same walk
    assert LogStore(logs).fingerprint() != first


def test_instance_level_refuses_a_linked_run_too(logs, outside):
    from confusionflow.data_access.instances import cell_members, instance_series

    os.symlink(outside, logs / "linked")
    store = LogStore(logs)
    with pytest.raises(LogFormatError, match="symbolic link"):
        instance_series(store, "linked/test")
    with pytest.raises(LogFormatError, match="symbolic link"):
        cell_members(store, "linked/test", "cat", "cat", 1)
    allowed = LogStore(logs, follow_symlinks=True)
    assert cell_members(allowed, "linked/test", "cat", "cat", 1).count == 2


def test_the_first_step_file_is_checked_too(logs, outside):
    step = next((outside / "test.predictions").glob("step-*.parquet"))
    os.symlink(step, logs / "good" / "test.predictions" / "step-0.parquet")
    loaded = LogStore(logs).load(["good/test"])
    assert loaded.tensor is None and "step-0.parquet" in loaded.problems[0].message


def test_a_provably_abandoned_temporary_file_is_removed_by_the_first_read(logs):
    import subprocess
    import sys

    from confusionflow.data_access import tempfiles

    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    pid = int(dead.stdout)  # that process has exited
    pred_dir = logs / "good" / "test.predictions"
    abandoned = pred_dir / f".step-2.parquet.{pid}@{tempfiles.host_tag()}.ab12cd34.tmp"
    abandoned.write_bytes(b"PAR1 half")
    old = abandoned.stat().st_mtime - 2 * tempfiles.DEFAULT_MIN_AGE_SECONDS
    os.utime(abandoned, (old, old))
    recent = pred_dir / f".step-3.parquet.{pid}@{tempfiles.host_tag()}.ef56ab78.tmp"
    recent.write_bytes(b"PAR1 half")  # too young to be called abandoned: kept, warned about once
    with pytest.warns(LogRecoveryWarning) as record:
        assert LogStore(logs).load_series("good/test").steps.tolist() == [1.0]
    assert not abandoned.exists() and recent.exists()
    assert [str(recent) in str(w.message) for w in record] == [True]


def test_threads_asking_at_once_share_one_scan(logs):
    import threading

    store = LogStore(logs)
    barrier = threading.Barrier(8)
    results = []

    def ask() -> None:
        barrier.wait()
        results.append(store.list_series())

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.scans == 1 and all(r == results[0] for r in results) and len(results) == 8
