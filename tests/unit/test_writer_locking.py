"""One writer per fold, run identity (mode=), integer classes, wall time, count totals, temp clean-up."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from confusionflow.data_access import tempfiles
from confusionflow.data_access.errors import LogFormatError
from confusionflow.data_access.foldlock import FoldBusyError
from confusionflow.data_access.reader import read_series
from confusionflow.data_access.walltime import read_wall_times
from confusionflow.data_access.writer import LogWriter, RunExistsError

CLASSES = ["cat", "dog", "car"]
REPO = str(Path(__file__).resolve().parents[2])

HOLDER = """
import sys, time, numpy as np
sys.path.insert(0, {repo!r})
from confusionflow.data_access.writer import LogWriter
w = LogWriter({root!r}, "r", ["cat", "dog", "car"], mode="resume")
w.add_counts(1, "val", np.eye(3, dtype=int))
print("holding", flush=True)
time.sleep(60)
"""


def test_a_second_process_on_the_same_fold_is_refused_naming_the_holder(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER.format(repo=REPO, root=str(tmp_path))], stdout=subprocess.PIPE
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == b"holding"
        with LogWriter(tmp_path, "r", CLASSES, mode="resume") as w:
            with pytest.raises(FoldBusyError, match=rf"fold 'val' of run 'r' .*pid {proc.pid}"):
                w.add_counts(2, "val", np.eye(3, dtype=int))
            w.add_counts(2, "test", np.eye(3, dtype=int))  # another fold of the run is free
    finally:
        proc.kill()
        proc.wait(10)
    # the kernel released the killed holder's lock: the fold is readable and writable again
    with LogWriter(tmp_path, "r", CLASSES, mode="resume") as w:
        w.add_counts(2, "val", 2 * np.eye(3, dtype=int))
    assert read_series(tmp_path, "r", "val").steps.tolist() == [1, 2]
    assert not list(tmp_path.rglob(".*"))  # no lock or temp file left behind


def test_two_writers_in_one_process_cannot_share_a_fold(tmp_path: Path) -> None:
    a = LogWriter(tmp_path, "r", CLASSES)
    b = LogWriter(tmp_path, "r", CLASSES, mode="resume")
    a.add(1, "test", [0, 1, 2], [0, 1, 1])
    with pytest.raises(FoldBusyError, match=f"pid {os.getpid()}"):
        b.add(1, "test", [0, 1, 2], [0, 0, 0])
    a.close()
    with pytest.raises(ValueError, match="step 1 .* already logged"):
        b.add(1, "test", [0, 1, 2], [0, 0, 0])  # refused, never a duplicated step
    b.add(2, "test", [0, 1, 2], [0, 0, 0])
    b.close()
    s = read_series(tmp_path, "r", "test")
    assert s.steps.tolist() == [1, 2]
    np.testing.assert_array_equal(s.counts[0], [[1, 0, 0], [0, 1, 0], [0, 1, 0]])


def test_a_run_logged_twice_fails_at_the_constructor_by_default(tmp_path: Path) -> None:
    with LogWriter(tmp_path, "r", CLASSES) as w:
        w.add_counts(1, "val", np.eye(3, dtype=int))
    before = sorted((p, p.read_bytes()) for p in tmp_path.rglob("*") if p.is_file())
    with pytest.raises(RunExistsError, match=r"run 'r' already exists .*mode='resume'.*'r-v2'"):
        LogWriter(tmp_path, "r", CLASSES)
    assert sorted((p, p.read_bytes()) for p in tmp_path.rglob("*") if p.is_file()) == before


def test_resume_appends_after_the_last_step_and_refuses_logged_ones(tmp_path: Path) -> None:
    with LogWriter(tmp_path, "r", CLASSES, metadata={"seed": 1}) as w:
        for step in (1, 2):
            w.add_counts(step, "val", step * np.eye(3, dtype=int))
    with LogWriter(tmp_path, "r", CLASSES, mode="resume", metadata={"seed": 2}) as w:
        assert w.last_step("val") == 2
        assert w.last_step("new fold") is None
        with pytest.raises(ValueError, match="step 2 .* already logged"):
            w.add_counts(2, "val", np.eye(3, dtype=int))
        w.add_counts(3, "val", 3 * np.eye(3, dtype=int))
        assert w.metadata == {"seed": 1}  # nothing earlier is rewritten
    s = read_series(tmp_path, "r", "val")
    np.testing.assert_array_equal(s.counts[:, 0, 0], [1, 2, 3])


def test_version_starts_a_new_run_and_says_its_name(tmp_path: Path) -> None:
    for expected in ("r", "r-v2", "r-v3"):
        with LogWriter(tmp_path, "r", CLASSES, mode="version") as w:
            assert w.run == expected
            w.add_counts(1, "val", np.eye(3, dtype=int))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r", "r-v2", "r-v3"]
    with pytest.raises(ValueError, match="mode must be one of"):
        LogWriter(tmp_path, "x", CLASSES, mode="overwrite")  # type: ignore[arg-type]


def test_integer_classes_are_stored_as_text(tmp_path: Path) -> None:
    with LogWriter(tmp_path, "digits", list(range(10))) as w:
        assert w.classes == tuple(str(i) for i in range(10))
        w.add(1, "test", np.arange(10), (np.arange(10) + 1) % 10)
    s = read_series(tmp_path, "digits", "test")
    assert s.info.classes == tuple("0123456789")
    assert s.counts[0, 9, 0] == 1 and s.counts[0, 0, 0] == 0


def test_wall_time_is_stored_per_step_for_both_fold_kinds(tmp_path: Path) -> None:
    before = time.time()
    with LogWriter(tmp_path, "r", CLASSES) as w:
        w.add_counts(1, "val", np.eye(3, dtype=int), wall_time=1_700_000_000.5)
        w.add_counts(2, "val", np.eye(3, dtype=int))
        w.add(1, "test", [0, 1], [0, 1], wall_time=1_700_000_100.0)
    val = read_wall_times(tmp_path, "r", "val")
    assert val[1.0] == 1_700_000_000.5
    assert before - 1 <= val[2.0] <= time.time() + 1
    assert read_wall_times(tmp_path, "r", "test") == {1.0: 1_700_000_100.0}


def test_files_without_wall_time_still_read(tmp_path: Path) -> None:
    LogWriter(tmp_path, "old", CLASSES).close()
    (tmp_path / "old" / "val.counts.jsonl").write_text('{"step": 1, "counts": [1,0,0,0,1,0,0,0,1]}\n')
    assert read_series(tmp_path, "old", "val").steps.tolist() == [1.0]
    assert read_wall_times(tmp_path, "old", "val") == {}


def test_counts_whose_sums_could_overflow_are_refused(tmp_path: Path) -> None:
    big = np.zeros((3, 3), dtype=np.int64)
    big[0, 0] = big[1, 1] = 2**62  # each cell fits int64; the total 2**63 does not
    with LogWriter(tmp_path, "r", CLASSES) as w:
        with pytest.raises(ValueError, match=r"at most 2\*\*53"):
            w.add_counts(1, "val", big)
        w.add_counts(1, "val", np.full((3, 3), 2**49))  # 9 * 2**49 < 2**53: fine
    path = tmp_path / "r" / "hand.counts.jsonl"
    path.write_text(f'{{"step": 1, "counts": [{2**62},0,0,0,{2**62},0,0,0,0]}}\n')
    with pytest.raises(LogFormatError, match=r"line 1.*more than 2\*\*53"):
        read_series(tmp_path, "r", "hand")


def test_only_provably_abandoned_temp_files_are_removed(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True)
    dead_pid = int(dead.stdout)
    host = tempfiles.host_tag()
    old = time.time() - 3600
    names = {
        "abandoned": f".step-3.parquet.{dead_pid}@{host}.ab12cd34.tmp",
        "recent": f".step-4.parquet.{dead_pid}@{host}.ab12cd35.tmp",
        "alive": f".step-5.parquet.{os.getpid()}@{host}.ab12cd36.tmp",
        "other host": f".step-6.parquet.{dead_pid}@{'0' * 8 if host != '0' * 8 else '1' * 8}.ab12cd37.tmp",
        "legacy young": f".step-7.parquet.{dead_pid}.ab12cd38.tmp",
    }
    for key, name in names.items():
        path = tmp_path / name
        path.write_bytes(b"x")
        if key != "recent":
            os.utime(path, (old, old))
    (tmp_path / "step-1.parquet").write_bytes(b"y")
    removed = tempfiles.remove_abandoned_temp_files(tmp_path)
    assert [p.name for p in removed] == [names["abandoned"]]
    left = {p.name for p in tmp_path.iterdir()}
    assert left == {n for k, n in names.items() if k != "abandoned"} | {"step-1.parquet"}
