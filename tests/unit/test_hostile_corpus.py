"""The corpus's own checks can fail: a changed source file, or an app that lists other series."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from confusionflow.data_access.writer import LogWriter
from tests.unit.hostile_corpus import hostile_case, source_hashes


@pytest.fixture
def logdir(tmp_path: Path) -> Path:
    with LogWriter(tmp_path / "logs", "r", ["a", "b"]) as w:
        w.add_counts(1, "val", np.eye(2, dtype=int))
    return tmp_path / "logs"


def test_a_case_that_changes_a_source_file_fails(logdir: Path, tmp_path: Path) -> None:
    counts = logdir / "r" / "val.counts.jsonl"
    with pytest.raises(AssertionError), hostile_case([logdir], logdir, tmp_path / "cache", series=["r/val"]):
        counts.write_bytes(counts.read_bytes().replace(b"1", b"2", 1))  # same size, other bytes


def test_a_case_after_which_the_app_lists_other_series_fails(logdir: Path, tmp_path: Path) -> None:
    with pytest.raises(AssertionError), hostile_case([logdir], logdir, tmp_path / "cache", series=["r/test"]):
        pass


def test_a_passing_case_hashes_every_file_with_sha256(logdir: Path, tmp_path: Path) -> None:
    hashes = source_hashes(logdir)
    assert sorted(Path(p).relative_to(logdir).as_posix() for p in hashes) == [
        "r/run.json",
        "r/val.counts.jsonl",
    ]
    assert all(len(h.split(":")[0]) == 64 for h in hashes.values())
    with hostile_case([logdir], logdir, tmp_path / "cache", series=["r/val"]):
        pass
