"""Damaged, hostile and absurd log files: each gives an error naming the file, none is modified.

Part of the hostile corpus with ``test_hostile_imports``: every case runs inside
``tests.unit.hostile_corpus.hostile_case``, which records the SHA-256 (and mtime) of every file of
the log folder before, asserts them unchanged after, and checks that the app on that folder still
serves the page and answers the live poll, listing the series that still load.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from confusionflow.data_access.errors import LogFormatError
from confusionflow.data_access.reader import read_instances, read_series
from confusionflow.data_access.store import LogStore, UnknownSeriesError
from confusionflow.data_access.writer import LogWriter
from tests.unit.hostile_corpus import hostile_case

CLASSES = ["cat", "dog", "car"]
GOOD = ["good/val"]  # the series that loads whatever is done to run "r"
GOOD_LINE = b'{"step": 9, "counts": [1,0,0,0,1,0,0,0,1]}\n'


@pytest.fixture(scope="module")
def app_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache folder for the apps the corpus builds (outside every log folder)."""
    return tmp_path_factory.mktemp("app-cache")


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    """A good run "r" with a counts fold "val" (steps 1-3) and a per-instance fold "test" (1-2)."""
    with LogWriter(tmp_path, "r", CLASSES) as w:
        for step in (1, 2, 3):
            w.add_counts(step, "val", step * np.eye(3, dtype=int))
        for step in (1, 2):
            w.add(step, "test", [0, 1, 2, 2], [0, 1, 1, 2])
    with LogWriter(tmp_path, "good", CLASSES) as w:
        w.add_counts(1, "val", np.ones((3, 3), dtype=int))
    return tmp_path


def names(path: Path, message: str) -> bool:
    """The message names the file, or its folder and its name (a duplicate names both files)."""
    return str(path) in message or (str(path.parent) in message and path.name in message)


def _write(rel: str, data: bytes) -> Callable[[Path], Path]:
    def mutate(root: Path) -> Path:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    return mutate


def _replace_line(index: int, data: bytes) -> Callable[[Path], Path]:
    def mutate(root: Path) -> Path:
        path = root / "r" / "val.counts.jsonl"
        lines = path.read_bytes().split(b"\n")
        lines[index] = data
        path.write_bytes(b"\n".join(lines))
        return path

    return mutate


def _parquet(table: pa.Table, name: str = "step-1.parquet") -> Callable[[Path], Path]:
    def mutate(root: Path) -> Path:
        path = root / "r" / "test.predictions" / name
        path.unlink(missing_ok=True)
        pq.write_table(table, path)
        return path

    return mutate


def _sparse(rel: str) -> Callable[[Path], Path]:
    def mutate(root: Path) -> Path:
        path = root / rel
        path.unlink(missing_ok=True)
        with open(path, "wb") as f:
            f.truncate(2 * 1024**3)  # sparse: costs no disk
        return path

    return mutate


RUN_JSON = "r/run.json"
VAL = "r/val.counts.jsonl"
STEP1 = "r/test.predictions/step-1.parquet"

# (id, mutation, fold to read, message pattern)
CASES = [
    (
        "run-json-truncated",
        lambda r: _write(RUN_JSON, (r / RUN_JSON).read_bytes()[:30])(r),
        "val",
        "not valid JSON",
    ),
    ("run-json-empty", _write(RUN_JSON, b""), "val", "is empty"),
    ("run-json-list", _write(RUN_JSON, b'["cat", "dog"]'), "val", "must be a JSON object, found a JSON list"),
    (
        "run-json-non-string-classes",
        _write(RUN_JSON, b'{"format": "confusionflow-dash-log", "version": 1, "classes": ["cat", 2, "car"]}'),
        "val",
        "class 1 must be a string, got int",
    ),
    (
        "run-json-duplicate-classes",
        _write(RUN_JSON, b'{"format": "confusionflow-dash-log", "version": 1, "classes": ["cat", "cat"]}'),
        "val",
        "class 'cat' appears more than once",
    ),
    (
        "run-json-other-format",
        _write(RUN_JSON, b'{"format": "tensorboard", "version": 1}'),
        "val",
        "is this a ConfusionFlow log",
    ),
    (
        "run-json-newer-version",
        _write(RUN_JSON, b'{"format": "confusionflow-dash-log", "version": 7, "classes": ["a", "b", "c"]}'),
        "val",
        "format version 7; this program reads up to version 1",
    ),
    (
        "run-json-non-utf8",
        _write(RUN_JSON, b'{"format": "confusionflow-dash-log", "x": "\xff\xfe"}'),
        "val",
        "not valid UTF-8",
    ),
    ("run-json-nul", _write(RUN_JSON, b'{"format":\0 1}'), "val", "NUL byte"),
    ("run-json-2gb-sparse", _sparse(RUN_JSON), "val", "more than the 16,777,216-byte limit"),
    ("counts-empty", _write(VAL, b""), "val", "is empty: no step has been logged"),
    ("counts-only-garbage", _write(VAL, b"\x89PNG\r\n\x1a\n\0\0binary"), "val", "line 1"),
    (
        "counts-non-utf8-line",
        _replace_line(1, b'{"step": 2, "counts": "\xc3\x28"}'),
        "val",
        r"\(line 2\): is not valid UTF-8",
    ),
    (
        "counts-nul-line",
        _replace_line(1, b'{"step": 2,\0 "counts": []}'),
        "val",
        r"\(line 2\): contains a NUL byte",
    ),
    (
        "counts-wrong-shape",
        _replace_line(0, b'{"step": 1, "counts": [1, 2, 3, 4]}'),
        "val",
        r"\(line 1\): step 1: 4 counts, expected 9",
    ),
    (
        "counts-nested",
        _replace_line(0, b'{"step": 1, "counts": [[1,0,0],[0,1,0],[0,0,1]]}'),
        "val",
        "3 counts, expected 9",
    ),
    (
        "counts-negative",
        _replace_line(1, b'{"step": 2, "counts": [1,0,0,0,1,-5,0,0,1]}'),
        "val",
        r"\(line 2\): step 2: negative count -5 at row 1, column 2",
    ),
    (
        "counts-float",
        _replace_line(0, b'{"step": 1, "counts": [1.5,0,0,0,1,0,0,0,1]}'),
        "val",
        "counts must be integers, found 1.5",
    ),
    (
        "counts-nan",
        _replace_line(0, b'{"step": 1, "counts": [NaN,0,0,0,1,0,0,0,1]}'),
        "val",
        r"\(line 1\): is not valid JSON",
    ),
    (
        "counts-bool",
        _replace_line(0, b'{"step": 1, "counts": [true,0,0,0,1,0,0,0,1]}'),
        "val",
        "found a boolean",
    ),
    (
        "counts-string",
        _replace_line(0, b'{"step": 1, "counts": ["1",0,0,0,1,0,0,0,1]}'),
        "val",
        "counts must be integers, found '1'",
    ),
    (
        "counts-line-is-list",
        _replace_line(0, b"[1, 2, 3]"),
        "val",
        "expected a JSON object, found a JSON list",
    ),
    (
        "counts-missing-key",
        _replace_line(0, b'{"epoch": 1, "counts": []}'),
        "val",
        'expected keys "step" and "counts"',
    ),
    (
        "counts-step-string",
        _replace_line(0, b'{"step": "1", "counts": [1,0,0,0,1,0,0,0,1]}'),
        "val",
        "step must be a number",
    ),
    (
        "counts-duplicate-step",
        _replace_line(2, GOOD_LINE.strip().replace(b"9", b"2", 1)),
        "val",
        r"step 2 is logged twice \(lines 2 and 3\)",
    ),
    ("counts-2gb-sparse", _sparse(VAL), "val", "more than the 1,073,741,824-byte limit for a counts log"),
    (
        "parquet-not-parquet",
        _write("r/test.predictions/step-1.parquet", b"this is not parquet at all"),
        "test",
        "not a readable Parquet file",
    ),
    (
        "parquet-truncated",
        lambda r: _write(STEP1, (r / STEP1).read_bytes()[: (r / STEP1).stat().st_size // 2])(r),
        "test",
        "not a readable Parquet file",
    ),
    (
        "parquet-2gb-sparse",
        _sparse("r/test.predictions/step-1.parquet"),
        "test",
        "not a readable Parquet file",
    ),
    (
        "parquet-index-out-of-range",
        _parquet(pa.table({"y_true": pa.array([0, 7], pa.int8()), "y_pred": pa.array([0, 1], pa.int8())})),
        "test",
        r"column 'y_true' holds class index 7, outside 0..2",
    ),
    (
        "parquet-class-names-instead-of-indices",
        _parquet(pa.table({"y_true": ["cat", "cow"], "y_pred": ["cat", "dog"]})),
        "test",
        "column 'y_true' must hold integer class indices, found string",
    ),
    ("parquet-missing-column", _parquet(pa.table({"y_true": [0, 1]})), "test", "has no 'y_pred' column"),
    (
        "parquet-nulls",
        _parquet(pa.table({"y_true": pa.array([0, None], pa.int8()), "y_pred": pa.array([0, 1], pa.int8())})),
        "test",
        "column 'y_true' has 1 missing values",
    ),
    (
        "parquet-duplicate-step",
        _parquet(
            pa.table({"y_true": pa.array([0], pa.int8()), "y_pred": pa.array([0], pa.int8())}),
            "step-2.0.parquet",
        ),
        "test",
        r"step 2 is logged twice \(step-2.0.parquet and step-2.parquet\)",
    ),
]


@pytest.mark.parametrize(("mutate", "fold", "pattern"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_file_is_an_error_naming_it_and_is_left_untouched(logs, mutate, fold, pattern, app_cache):
    bad = mutate(logs)
    listed = [s.key for s in LogStore(logs).list_series()]
    with hostile_case([logs], logs, app_cache, series=listed):
        assert "good/val" in listed
        started = time.perf_counter()
        with pytest.raises(LogFormatError, match=pattern) as err:
            read_series(logs, "r", fold)
        assert time.perf_counter() - started < 2.0  # a 2 GB file must fail from its size, not be read
        assert names(bad, str(err.value)), f"message does not name {bad}: {err.value}"

        # In the app the same file is a LoadProblem beside the series that still load.
        store = LogStore(logs)
        result = store.load([f"r/{fold}", "good/val"])
        assert result.tensor is not None and result.tensor.series_keys == ("good/val",)
        assert len(result.problems) == 1 and result.problems[0].source == f"r/{fold}"
        assert names(bad, result.problems[0].message)
        if bad.name == "run.json":  # the scan reports a broken run.json too
            assert any(str(bad) in p.message for p in store.problems())


ALL = ["good/val", "r/test", "r/val"]  # what the "logs" fixture holds


@pytest.mark.parametrize(
    "key", ["../etc/val", "r/../val", "r/..", "/r/val", "r/val/x", "r", ".r/val", "r/\0val"]
)
def test_hostile_keys_are_problems_not_paths(logs, key, app_cache):
    with hostile_case([logs], logs, app_cache, series=ALL):
        store = LogStore(logs / "r")  # a root below which ../ would reach real files
        result = store.load([key])
        assert result.tensor is None and len(result.problems) == 1
        assert "unknown series" in result.problems[0].message
        with pytest.raises(UnknownSeriesError):
            store.load_series(key)
        assert store.instances(key, 1) is None


@pytest.mark.parametrize(("run", "fold"), [("../r", "val"), ("r", "../r/val"), ("r", "val/../val")])
def test_reader_refuses_names_that_escape_the_folder(logs, run, fold, app_cache):
    with (
        hostile_case([logs], logs, app_cache, series=ALL),
        pytest.raises(LogFormatError, match="path separator|'..'"),
    ):
        read_series(logs, run, fold)


def test_badly_named_files_on_disk_are_reported_by_the_scan(logs, app_cache):
    (logs / "r" / "semi;colon.counts.jsonl").write_bytes(GOOD_LINE)
    (logs / "orphan").mkdir()
    (logs / "orphan" / "val.counts.jsonl").write_bytes(GOOD_LINE)
    (logs / "r" / "both.counts.jsonl").write_bytes(GOOD_LINE)
    (logs / "r" / "both.predictions").mkdir()
    with hostile_case([logs], logs, app_cache, series=ALL):
        store = LogStore(logs)
        messages = [p.message for p in store.problems()]
        assert any("semi;colon.counts.jsonl" in m and "';'" in m for m in messages)
        assert any(str(logs / "orphan") in m and "no run.json" in m for m in messages)
        assert any("'both' exists both as counts and as predictions" in m for m in messages)
        assert [s.key for s in store.list_series()] == ALL


def test_series_with_other_classes_are_left_out_with_a_problem(logs, app_cache):
    with LogWriter(logs, "other", ["a", "b"]) as w:
        w.add_counts(1, "val", np.eye(2, dtype=int))
    with hostile_case([logs], logs, app_cache, series=[*ALL, "other/val"]):
        result = LogStore(logs).load(["r/val", "other/val"])
        assert result.tensor.series_keys == ("r/val",)
        assert "other/val: its 2 classes differ from the 3 classes of r/val" in result.problems[0].message


def test_unknown_run_and_fold_are_problems(logs, app_cache):
    with hostile_case([logs], logs, app_cache, series=ALL):
        result = LogStore(logs).load(["nope/val", "r/nope", "r/val"])
        assert result.tensor.series_keys == ("r/val",)
        assert [p.source for p in result.problems] == ["nope/val", "r/nope"]


def test_special_files_are_refused_without_blocking(logs, app_cache):
    fifo = logs / "r" / "val.counts.jsonl"
    fifo.unlink()
    os.mkfifo(fifo)  # reading a FIFO would block forever
    (logs / "r" / "run.json").rename(logs / "r" / "real.json")
    (logs / "r" / "run.json").symlink_to("/dev/zero")  # endless zeros
    with (
        hostile_case([logs], logs, app_cache, series=GOOD),
        pytest.raises(LogFormatError, match="run.json: is not a regular file"),
    ):
        read_series(logs, "r", "val")
    (logs / "r" / "run.json").unlink()
    (logs / "r" / "real.json").rename(logs / "r" / "run.json")
    with hostile_case([logs], logs, app_cache, series=["good/val", "r/test"]):
        result = LogStore(logs).load(["r/val", "r/test"])
        assert result.tensor.series_keys == ("r/test",)
        assert "unknown series 'r/val'" in result.problems[0].message  # a FIFO is not a log


def test_run_json_with_a_byte_order_mark_is_read(logs, app_cache):
    path = logs / "r" / "run.json"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    with hostile_case([logs], logs, app_cache, series=ALL):
        assert read_series(logs, "r", "val").info.classes == tuple(CLASSES)


def test_instances_of_a_damaged_step_name_the_file(logs, app_cache):
    bad = logs / "r" / "test.predictions" / "step-2.parquet"
    bad.write_bytes(b"garbage")
    with hostile_case([logs], logs, app_cache, series=ALL):
        with pytest.raises(LogFormatError, match="not a readable Parquet file") as err:
            read_instances(logs, "r", "test", 2)
        assert err.value.path == str(bad)


def test_instances_with_missing_scores_name_the_file(logs, app_cache):
    bad = logs / "r" / "test.predictions" / "step-2.parquet"
    scores = pa.array([[0.1, 0.2, 0.7], None], pa.list_(pa.float32(), 3))
    pq.write_table(
        pa.table(
            {"y_true": pa.array([0, 1], pa.uint8()), "y_pred": pa.array([0, 1], pa.uint8()), "scores": scores}
        ),
        bad,
    )
    with hostile_case([logs], logs, app_cache, series=ALL):
        with pytest.raises(LogFormatError, match="column 'scores' has missing rows") as err:
            read_instances(logs, "r", "test", 2)
        assert err.value.path == str(bad)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files regardless of permissions")
def test_unreadable_file_is_an_error(logs, app_cache):
    path = logs / "r" / "val.counts.jsonl"
    with hostile_case([logs], logs, app_cache, series=ALL):  # hashed before the chmod, after it is undone
        path.chmod(0)
        try:
            with pytest.raises(LogFormatError, match="cannot be read"):
                read_series(logs, "r", "val")
        finally:
            path.chmod(0o644)
