"""Round trips through the native log format: what the writer writes, the reader gives back."""

from __future__ import annotations

import json
import select
import signal
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import IO

import numpy as np
import pytest

from confusionflow.data_access import logformat as lf
from confusionflow.data_access.counting import counts_from_predictions
from confusionflow.data_access.counts_file import read_counts_file
from confusionflow.data_access.errors import LogFormatError
from confusionflow.data_access.file_bytes import LogRecoveryWarning
from confusionflow.data_access.reader import read_instances, read_series
from confusionflow.data_access.writer import LogWriter

CLASSES = ["cat", "dog", "car"]


def confusion(y_true, y_pred, c=3) -> np.ndarray:
    """Reference confusion matrix by a plain loop (independent of the code under test)."""
    m = np.zeros((c, c), dtype=np.int64)
    for t, p in zip(y_true, y_pred, strict=True):
        m[t, p] += 1
    return m


# ----------------------------------------------------------------------------- counting
def test_counts_from_predictions_matches_a_loop_per_step():
    rng = np.random.default_rng(1)
    steps = rng.integers(0, 4, 500)
    yt, yp = rng.integers(0, 3, 500), rng.integers(0, 3, 500)
    out = counts_from_predictions(steps, yt, yp, 4, 3)
    assert out.shape == (4, 3, 3) and out.dtype == np.int64
    for s in range(4):
        np.testing.assert_array_equal(out[s], confusion(yt[steps == s], yp[steps == s]))
    assert out.sum() == 500


@pytest.mark.parametrize("sort", [True, False])
def test_counts_from_predictions_in_chunks_matches_a_loop(monkeypatch, sort):
    from confusionflow.data_access import counting

    monkeypatch.setattr(counting, "_CHUNK", 7)  # many chunks, some spanning several steps
    rng = np.random.default_rng(5)
    steps = rng.integers(0, 6, 300)
    if sort:
        steps.sort()
    yt, yp = rng.integers(0, 4, 300), rng.integers(0, 4, 300)
    out = counts_from_predictions(steps, yt, yp, 6, 4)
    for s in range(6):
        np.testing.assert_array_equal(out[s], confusion(yt[steps == s], yp[steps == s], 4))


def test_counts_from_predictions_scalar_step_and_empty_input():
    out = counts_from_predictions(1, [0, 1, 1], [0, 0, 1], 2, 2)
    np.testing.assert_array_equal(out, [[[0, 0], [0, 0]], [[1, 0], [1, 1]]])
    assert counts_from_predictions(0, [], [], 1, 3).sum() == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([0, 0], [0, 3], [0, 1], 1, 3), "y_true contains 3, outside the valid range 0..2"),
        (([0, 0], [0, 1], [-1, 1], 1, 3), "y_pred contains -1"),
        (([0, 2], [0, 1], [0, 1], 2, 3), "step_index contains 2"),
        (([0, 0], [0, 1], [0], 1, 3), "y_true has 2 values but y_pred has 1"),
        (([0, 0], [0.0, 1.0], [0, 1], 1, 3), "y_true must hold integers"),
    ],
)
def test_counts_from_predictions_rejects_bad_input(args, message):
    with pytest.raises(ValueError, match=message):
        counts_from_predictions(*args)


# ----------------------------------------------------------------------------- names
@pytest.mark.parametrize("name", ["resnet lr=0.1", "a.b_c-d+e,f@g", "x", "Ünïcode 2", "a" * 128])
def test_validate_name_accepts_reasonable_names(name):
    assert lf.validate_name("run", name) == name


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("../etc", "path separator"),
        ("a/b", "path separator"),
        ("a\\b", "path separator"),
        ("..", "'..'"),
        ("a..b", "'..'"),
        (".hidden", "starts with a dot"),
        ("", "empty"),
        (" padded", "space"),
        ("nul\0byte", "control character"),
        ("tab\there", "control character"),
        ("a" * 129, "129 characters"),
        ("semi;colon", "';'"),
        (3, "must be a string"),
    ],
)
def test_validate_name_refuses_dangerous_names(name, why):
    with pytest.raises(ValueError, match=why):
        lf.validate_name("fold", name)


# ----------------------------------------------------------------------------- round trips
def test_counts_only_round_trip_with_float_steps_gaps_and_unsorted_order(tmp_path):
    mats = {0.5: np.arange(9).reshape(3, 3), 3: np.eye(3, dtype=int) * 7, 1.25: np.full((3, 3), 2)}
    with LogWriter(tmp_path, "run", CLASSES, metadata={"lr": 0.1}) as w:
        for step, m in mats.items():
            w.add_counts(step, "val", m)
    s = read_series(tmp_path, "run", "val")
    np.testing.assert_array_equal(s.steps, [0.5, 1.25, 3.0])
    np.testing.assert_array_equal(s.counts[0], mats[0.5])
    np.testing.assert_array_equal(s.counts[1], mats[1.25])
    np.testing.assert_array_equal(s.counts[2], mats[3])
    assert s.counts.dtype == np.int64
    assert s.info.classes == tuple(CLASSES) and s.info.metadata == {"lr": 0.1}
    assert not s.info.has_instances
    lines = (tmp_path / "run" / "val.counts.jsonl").read_text().splitlines()
    record = json.loads(lines[1])
    assert abs(record.pop("time") - time.time()) < 600  # wall-clock seconds of the step
    assert record == {"step": 3, "counts": [7, 0, 0, 0, 7, 0, 0, 0, 7]}


@pytest.mark.parametrize("first_step", [0, 1])
def test_per_instance_round_trip_with_int_labels(tmp_path, first_step):
    rng = np.random.default_rng(first_step)
    truth = rng.integers(0, 3, 200)
    preds = {first_step + k: rng.integers(0, 3, 200) for k in (0, 1, 5)}  # a gap after step +1
    with LogWriter(tmp_path, "run", CLASSES) as w:
        for step, p in preds.items():
            w.add(step, "test", truth, p)
    s = read_series(tmp_path, "run", "test")
    np.testing.assert_array_equal(s.steps, [first_step, first_step + 1, first_step + 5])
    for i, (_, p) in enumerate(preds.items()):
        np.testing.assert_array_equal(s.counts[i], confusion(truth, p))
    assert s.info.has_instances
    frame = read_instances(tmp_path, "run", "test", first_step + 5)
    assert list(frame.columns) == ["instance_id", "y_true", "y_pred"]
    np.testing.assert_array_equal(frame["instance_id"], np.arange(200))
    np.testing.assert_array_equal(frame["y_true"], truth)
    np.testing.assert_array_equal(frame["y_pred"], preds[first_step + 5])
    assert read_instances(tmp_path, "run", "test", first_step + 2) is None  # the gap


def test_class_name_labels_ids_and_scores_round_trip(tmp_path):
    truth = ["cat", "dog", "car", "dog", "dog"]
    pred = ["cat", "cat", "car", "dog", "car"]
    scores = np.linspace(0, 1, 15).reshape(5, 3)
    with LogWriter(tmp_path, "r", CLASSES) as w:
        w.add(2.5, "test", truth, pred, instance_ids=["a", "b", "c", "d", "e"], scores=scores)
    s = read_series(tmp_path, "r", "test")
    np.testing.assert_array_equal(s.counts[0], [[1, 0, 0], [1, 1, 1], [0, 0, 1]])
    frame = read_instances(tmp_path, "r", "test", 2.5)
    assert frame["instance_id"].tolist() == ["a", "b", "c", "d", "e"]
    assert frame["y_pred"].tolist() == [0, 0, 2, 1, 2]
    np.testing.assert_allclose(np.stack(frame["scores"]), scores.astype(np.float32))
    assert (tmp_path / "r" / "test.predictions" / "step-2.5.parquet").is_file()


class FakeDeviceTensor:
    """Quacks like a torch tensor on a GPU: only ``.detach().cpu()`` gives host memory."""

    def __init__(self, values, on_host=False):
        self.values, self.on_host = np.asarray(values), on_host

    def detach(self):
        return self

    def cpu(self):
        return FakeDeviceTensor(self.values, on_host=True)

    def __array__(self, dtype=None, copy=None):
        if not self.on_host:
            raise TypeError("can't convert a device tensor to numpy; use .cpu() first")
        return self.values if dtype is None else self.values.astype(dtype)


def test_framework_tensors_on_a_device_are_accepted(tmp_path):
    with LogWriter(tmp_path, "r", CLASSES) as w:
        w.add(
            1,
            "test",
            FakeDeviceTensor([0, 1, 2]),
            FakeDeviceTensor([0, 2, 2]),
            scores=FakeDeviceTensor(np.eye(3)),
        )
        w.add_counts(1, "val", FakeDeviceTensor(np.eye(3, dtype=np.int64)))
    np.testing.assert_array_equal(
        read_series(tmp_path, "r", "test").counts[0], [[1, 0, 0], [0, 0, 1], [0, 0, 1]]
    )
    np.testing.assert_array_equal(read_series(tmp_path, "r", "val").counts[0], np.eye(3))


def test_store_instances_false_writes_counts_computed_from_predictions(tmp_path):
    truth, pred = [0, 1, 2, 2], [0, 2, 2, 1]
    with LogWriter(tmp_path, "r", CLASSES, store_instances=False) as w:
        w.add(1, "test", truth, pred)
    assert not (tmp_path / "r" / "test.predictions").exists()
    s = read_series(tmp_path, "r", "test")
    np.testing.assert_array_equal(s.counts[0], confusion(truth, pred))
    assert read_instances(tmp_path, "r", "test", 1) is None


def test_reopening_a_run_appends_and_keeps_metadata(tmp_path):
    with LogWriter(tmp_path, "r", CLASSES, metadata={"seed": 1}) as w:
        w.add_counts(1, "val", np.eye(3, dtype=int))
    run_json = (tmp_path / "r" / "run.json").read_bytes()
    with LogWriter(tmp_path, "r", CLASSES, metadata={"seed": 2}, mode="resume") as w:
        assert w.metadata == {"seed": 1}
        w.add_counts(2, "val", 2 * np.eye(3, dtype=int))
        with pytest.raises(ValueError, match="step 1 of fold 'val' in run 'r' is already logged"):
            w.add_counts(1, "val", np.eye(3, dtype=int))
    assert (tmp_path / "r" / "run.json").read_bytes() == run_json
    np.testing.assert_array_equal(read_series(tmp_path, "r", "val").counts[:, 0, 0], [1, 2])


def test_reopening_with_other_classes_is_refused(tmp_path):
    LogWriter(tmp_path, "r", CLASSES).close()
    with pytest.raises(ValueError, match=r"was logged with classes \['cat', 'dog', 'car'\]"):
        LogWriter(tmp_path, "r", ["cat", "car", "dog"], mode="resume")


def test_duplicate_per_instance_step_is_refused_even_across_writers(tmp_path):
    with LogWriter(tmp_path, "r", CLASSES) as w:
        w.add(3, "test", [0, 1], [0, 1])
        with pytest.raises(ValueError, match="step 3 .* already logged"):
            w.add(3.0, "test", [0, 1], [1, 1])
    with (
        LogWriter(tmp_path, "r", CLASSES, mode="resume") as w,
        pytest.raises(ValueError, match="already logged"),
    ):
        w.add(3, "test", [0, 1], [1, 1])


@pytest.mark.parametrize(
    ("truth", "pred", "message"),
    [
        ([0, 1], [0], "y_true has 2 labels but y_pred has 1"),
        ([0, 3], [0, 1], r"class index 3, outside 0..2"),
        (["cat", "cow"], ["cat", "dog"], r"unknown class name\(s\) \['cow'\]"),
        ([0.0, 1.0], [0, 1], "holds floats"),
        ([[0, 1]], [[0, 1]], "one-dimensional"),
        ([True, False], [0, 1], "dtype bool"),
    ],
)
def test_add_rejects_bad_labels_and_writes_nothing(tmp_path, truth, pred, message):
    with LogWriter(tmp_path, "r", CLASSES) as w, pytest.raises(ValueError, match=message):
        w.add(1, "test", truth, pred)
    assert not (tmp_path / "r" / "test.predictions").exists()


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        (np.eye(2, dtype=int), r"shape \(2, 2\), expected \(3, 3\)"),
        (-np.eye(3, dtype=int), "non-negative"),
        (np.full((3, 3), 0.5), "whole numbers"),
        (np.array([["a"] * 3] * 3), "integers"),
    ],
)
def test_add_counts_rejects_bad_matrices(tmp_path, counts, message):
    with LogWriter(tmp_path, "r", CLASSES) as w, pytest.raises(ValueError, match=message):
        w.add_counts(1, "val", counts)


def test_a_fold_keeps_one_kind(tmp_path):
    with LogWriter(tmp_path, "r", CLASSES) as w:
        w.add(1, "test", [0], [0])
        with pytest.raises(ValueError, match="already holds per-instance predictions"):
            w.add_counts(2, "test", np.eye(3, dtype=int))
        w.add_counts(1, "val", np.eye(3, dtype=int))
        with pytest.raises(ValueError, match="already holds counts only"):
            w.add(2, "val", [0], [0])


@pytest.mark.parametrize("step", [float("nan"), float("inf"), "3", True, None, 2.0**60])
def test_bad_steps_are_refused(tmp_path, step):
    with LogWriter(tmp_path, "r", CLASSES) as w, pytest.raises(ValueError, match="step"):
        w.add_counts(step, "val", np.eye(3, dtype=int))


@pytest.mark.parametrize(
    ("classes", "message"),
    [
        ("cat", "must be a list"),
        (["cat"], "at least 2"),
        (["a", "a"], "more than once"),
        (["a", ""], "empty"),
    ],
)
def test_bad_class_lists_are_refused(tmp_path, classes, message):
    with pytest.raises(ValueError, match=message):
        LogWriter(tmp_path, "r", classes)
    assert not (tmp_path / "r" / "run.json").exists()


def test_writers_leave_no_temporary_files_and_racing_creators_agree(tmp_path):
    errors = []

    def create(i):
        try:
            with LogWriter(tmp_path, "r", CLASSES, metadata={"writer": i}, mode="resume") as w:
                w.add_counts(i, f"val{i}", np.eye(3, dtype=int))
                w.add(i, f"test{i}", [0, 1], [1, 1])
        except Exception as e:  # noqa: BLE001 - collected and asserted below
            errors.append(e)

    threads = [threading.Thread(target=create, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [p.name for p in tmp_path.rglob(".*")] == []
    meta = json.loads((tmp_path / "r" / "run.json").read_text())["metadata"]
    assert meta["writer"] in range(6)
    for i in range(6):
        assert read_series(tmp_path, "r", f"val{i}").steps.tolist() == [i]
        np.testing.assert_array_equal(
            read_series(tmp_path, "r", f"test{i}").counts[0], [[0, 1, 0], [0, 1, 0], [0, 0, 0]]
        )


def test_closed_writer_refuses_more_steps(tmp_path):
    w = LogWriter(tmp_path, "r", CLASSES)
    w.close()
    w.close()
    with pytest.raises(ValueError, match="closed"):
        w.add_counts(1, "val", np.eye(3, dtype=int))


# ----------------------------------------------------------------------------- crash safety
def _three_steps(tmp_path: Path) -> Path:
    with LogWriter(tmp_path, "r", CLASSES) as w:
        for step in (1, 2, 3):
            w.add_counts(step, "val", step * np.eye(3, dtype=int))
    return tmp_path / "r" / "val.counts.jsonl"


def test_truncated_last_line_loses_only_that_step_and_warns(tmp_path):
    path = _three_steps(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 12])  # killed in the middle of writing step 3
    with pytest.warns(LogRecoveryWarning, match=r"val.counts.jsonl: ignoring its last line.*line 3"):
        s = read_series(tmp_path, "r", "val")
    np.testing.assert_array_equal(s.steps, [1, 2])
    np.testing.assert_array_equal(s.counts[1], 2 * np.eye(3))


def test_nul_filled_tail_after_power_loss_is_skipped(tmp_path):
    path = _three_steps(tmp_path)
    with open(path, "ab") as f:
        f.write(b"\0" * 40 + b"\n")
    with pytest.warns(LogRecoveryWarning, match="NUL byte"):
        s = read_series(tmp_path, "r", "val")
    np.testing.assert_array_equal(s.steps, [1, 2, 3])


def test_writer_resumes_after_a_crash_by_cutting_only_the_partial_line(tmp_path):
    path = _three_steps(tmp_path)
    data = path.read_bytes()
    complete = data[: data.rindex(b"\n", 0, len(data) - 1) + 1]  # steps 1 and 2
    path.write_bytes(data[:-12])
    with (
        pytest.warns(LogRecoveryWarning, match="removing"),
        LogWriter(tmp_path, "r", CLASSES, mode="resume") as w,
    ):
        w.add_counts(3, "val", 30 * np.eye(3, dtype=int))  # step 3 was lost: log it again
    assert path.read_bytes().startswith(complete)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = read_series(tmp_path, "r", "val")
    np.testing.assert_array_equal(s.counts[:, 0, 0], [1, 2, 30])


def test_writer_refuses_to_cut_a_damaged_line_that_is_not_a_crash_remnant(tmp_path):
    path = _three_steps(tmp_path)
    with open(path, "ab") as f:
        f.write(b"some,csv,header\n")  # complete line, not JSON: a person's edit, not a crash
    before = path.read_bytes()
    with (
        LogWriter(tmp_path, "r", CLASSES, mode="resume") as w,
        pytest.raises(LogFormatError, match=r"\(line 4\): its last line"),
    ):
        w.add_counts(4, "val", np.eye(3, dtype=int))
    assert path.read_bytes() == before


def test_writer_cuts_a_nul_filled_tail(tmp_path):
    path = _three_steps(tmp_path)
    good = path.read_bytes()
    with open(path, "ab") as f:
        f.write(b"\0" * 100 + b"\n")
    with (
        pytest.warns(LogRecoveryWarning, match="removing 101 bytes"),
        LogWriter(tmp_path, "r", CLASSES, mode="resume") as w,
    ):
        w.add_counts(4, "val", np.eye(3, dtype=int))
    assert path.read_bytes().startswith(good)
    assert read_counts_file(path, 3).steps.tolist() == [1, 2, 3, 4]


def test_hand_written_file_without_final_newline_is_read_and_appended_safely(tmp_path):
    LogWriter(tmp_path, "r", CLASSES).close()
    path = tmp_path / "r" / "val.counts.jsonl"
    path.write_text('{"step": 1, "counts": [1,0,0,0,1,0,0,0,1]}')
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_series(tmp_path, "r", "val").steps.tolist() == [1.0]
        with LogWriter(tmp_path, "r", CLASSES, mode="resume") as w:
            w.add_counts(2, "val", np.eye(3, dtype=int))
        assert read_series(tmp_path, "r", "val").steps.tolist() == [1.0, 2.0]


def test_leftover_temp_parquet_is_ignored_with_a_warning(tmp_path):
    with LogWriter(tmp_path, "r", CLASSES) as w:
        w.add(1, "test", [0, 1, 2], [0, 1, 1])
    pred_dir = tmp_path / "r" / "test.predictions"
    (pred_dir / ".step-2.parquet.4242.deadbeef.tmp").write_bytes(b"PAR1 half written")
    with pytest.warns(
        LogRecoveryWarning, match=r"\.step-2\.parquet\.4242\.deadbeef\.tmp: ignoring an unfinished"
    ):
        s = read_series(tmp_path, "r", "test")
    np.testing.assert_array_equal(s.steps, [1])
    np.testing.assert_array_equal(s.counts[0], confusion([0, 1, 2], [0, 1, 1]))


def test_middle_line_damage_is_an_error_naming_file_and_line(tmp_path):
    path = _three_steps(tmp_path)
    lines = path.read_bytes().split(b"\n")
    lines[1] = lines[1][:20]
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(LogFormatError, match=r"val\.counts\.jsonl \(line 2\): is not valid JSON") as e:
        read_counts_file(path, 3)
    assert e.value.path == str(path) and e.value.where == "line 2"


def test_blank_lines_are_tolerated(tmp_path):
    path = _three_steps(tmp_path)
    path.write_bytes(path.read_bytes().replace(b"\n", b"\n\n", 1))
    assert read_counts_file(path, 3).steps.tolist() == [1.0, 2.0, 3.0]


# ----------------------------------------------------------------------------- real crashes
KILLED_WRITER = """
import sys, numpy as np
sys.path.insert(0, {repo!r})
from confusionflow.data_access.writer import LogWriter
w = LogWriter({root!r}, "r", ["cat", "dog", "car"])
rng = np.random.default_rng(0)
step = 0
print("ready", flush=True)
while True:
    w.add_counts(step, "val", np.full((3, 3), step))
    w.add(step, "test", rng.integers(0, 3, 20000), rng.integers(0, 3, 20000))
    step += 1
    if step == 2:
        print("two steps written", flush=True)
"""


def _line_within(stream: IO[bytes], seconds: float) -> bytes:
    """The next line a child process prints (stripped), or a test failure after ``seconds``."""
    ready, _, _ = select.select([stream], [], [], seconds)
    assert ready, f"the writer printed nothing for {seconds} s"
    return stream.readline().strip()


def test_writer_killed_with_sigkill_leaves_a_readable_log(tmp_path):

    repo = str(Path(__file__).resolve().parents[2])
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER.format(repo=repo, root=str(tmp_path))],
        stdout=subprocess.PIPE,
        bufsize=0,  # unbuffered: a line read leaves the next one in the pipe, where select sees it
    )
    assert proc.stdout is not None
    try:
        assert _line_within(proc.stdout, 60.0) == b"ready"
        # killed once two whole steps are written, while it writes the third: however slow the machine
        assert _line_within(proc.stdout, 60.0) == b"two steps written"
    finally:
        proc.send_signal(signal.SIGKILL)  # also when it never got there: no writer left behind
        proc.wait(10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LogRecoveryWarning)  # the step being written may be cut
        val = read_series(tmp_path, "r", "val")
        test = read_series(tmp_path, "r", "test")
    n = len(val.steps)
    assert n >= 2
    np.testing.assert_array_equal(val.steps, np.arange(n))  # a clean prefix: nothing lost before the kill
    np.testing.assert_array_equal(val.counts[:, 1, 2], np.arange(n))
    assert len(test.steps) in (n - 1, n)
    np.testing.assert_array_equal(test.steps, np.arange(len(test.steps)))
    assert (test.counts.sum(axis=(1, 2)) == 20000).all()
    # and a new writer continues where the killed one stopped
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LogRecoveryWarning)
        with LogWriter(tmp_path, "r", CLASSES, mode="resume") as w:
            w.add_counts(n, "val", np.eye(3, dtype=int))
        assert read_series(tmp_path, "r", "val").steps.tolist() == list(range(n + 1))


def test_reading_while_a_writer_appends_always_sees_complete_steps(tmp_path):

    big = [f"c{i}" for i in range(100)]
    stop = threading.Event()

    def write():
        with LogWriter(tmp_path, "live", big, mode="resume") as w:
            for step in range(300):
                w.add_counts(step, "val", np.full((100, 100), step))
                if stop.is_set():
                    break
        stop.set()

    with LogWriter(tmp_path, "live", big) as w:
        w.add_counts(-1, "val", np.zeros((100, 100), dtype=int))
    thread = threading.Thread(target=write)
    thread.start()
    reads = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LogRecoveryWarning)  # a read may catch a line half-written
        while not stop.is_set() or reads == 0:
            s = read_series(tmp_path, "live", "val")
            np.testing.assert_array_equal(s.steps, np.arange(-1, len(s.steps) - 1))
            np.testing.assert_array_equal(s.counts[:, 5, 7], s.steps.clip(0))
            reads += 1
    thread.join()
    assert reads > 1
    assert read_series(tmp_path, "live", "val").steps[-1] == 299
