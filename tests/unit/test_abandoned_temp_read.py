"""A read of a fold removes a provably abandoned temporary file, and nothing is warned about then
or on later reads (by this or another process's store)."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np

from confusionflow.data_access import tempfiles
from confusionflow.data_access.file_bytes import LogRecoveryWarning
from confusionflow.data_access.store import LogStore
from confusionflow.data_access.writer import LogWriter


def _dead_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    return int(done.stdout)  # that process has exited


def test_a_read_removes_an_abandoned_temp_file_and_warns_no_more(tmp_path: Path) -> None:
    root = tmp_path / "logs"
    with LogWriter(root, "run", ["a", "b", "c"]) as w:
        w.add(1, "test", np.array([0, 1, 2]), np.array([0, 1, 1]))
    pred_dir = root / "run" / "test.predictions"
    leftover = pred_dir / f".step-2.parquet.{_dead_pid()}@{tempfiles.host_tag()}.0badf00d.tmp"
    leftover.write_bytes(b"PAR1 cut short by kill -9")
    old = leftover.stat().st_mtime - 2 * tempfiles.DEFAULT_MIN_AGE_SECONDS
    os.utime(leftover, (old, old))

    for _ in range(3):  # the first read cleans up; no read warns
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert LogStore(root).load_series("run/test").steps.tolist() == [1.0]
        assert not [w for w in caught if issubclass(w.category, LogRecoveryWarning)]
        assert not leftover.exists()
    assert sorted(p.name for p in pred_dir.iterdir()) == ["step-1.parquet"]
