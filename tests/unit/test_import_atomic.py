"""Imports are all-or-nothing: a bad table or folder, or a ``kill -9`` mid-way, leaves the log folder as it was."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from confusionflow.data_access.errors import LogFormatError
from confusionflow.data_access.importers import (
    import_counts_table,
    import_original_confusionflow,
    import_predictions_table,
)
from confusionflow.data_access.importers.__main__ import main
from confusionflow.data_access.reader import read_series
from confusionflow.data_access.writer import LogWriter
from tests.unit.test_importers import tree_hashes, write_original_folder

REPO = str(Path(__file__).resolve().parents[2])


def visible_tree(root: Path) -> dict[str, str]:
    """Hashes of every file a reader sees (hidden staging/temporary entries excluded)."""
    hashes = tree_hashes(root) if root.exists() else {}
    return {
        p: h
        for p, h in hashes.items()
        if not any(part.startswith(".") for part in Path(p).relative_to(root).parts)
    }


@pytest.fixture
def logdir(tmp_path: Path) -> Path:
    d = tmp_path / "logs"
    with LogWriter(d, "existing", ["a", "b"]) as w:
        w.add_counts(1, "val", np.eye(2, dtype=int))
    return d


def test_steps_1_and_1e300_write_nothing(tmp_path: Path, logdir: Path, capsys) -> None:
    table = tmp_path / "t.csv"
    table.write_text("run,fold,step,y_true,y_pred\nnew,test,1,a,b\nnew,test,1e300,a,a\n")
    before = tree_hashes(logdir)
    assert main(["predictions", str(table), "--logdir", str(logdir)]) == 2
    err = capsys.readouterr().err
    assert "import failed" in err and "1e+300" in err and "too large" in err
    assert tree_hashes(logdir) == before and sorted(p.name for p in logdir.iterdir()) == ["existing"]
    table.write_text("run,fold,step,y_true,y_pred\nnew,test,1,a,b\nnew,test,2,a,a\n")
    summary = import_predictions_table(table, logdir)  # the corrected table then imports
    assert read_series(logdir, "new", "test").steps.tolist() == [1.0, 2.0] and summary.steps_written == 2


@pytest.mark.parametrize("defect", ["count 1e20", "nested hyperparameters"])
def test_a_bad_later_run_of_an_original_folder_writes_no_earlier_run(
    tmp_path: Path, logdir: Path, defect: str
) -> None:
    src = write_original_folder(tmp_path / "original")
    run_file = src / "runs" / "sgd_lr0.1.json"  # the second run, in the order they are imported
    if defect == "count 1e20":
        data_file = src / "foldlogdata" / "sgd_lr0.1_iris_test_data.json"
        data = json.loads(data_file.read_text())
        data["epochdata"][3]["confmat"][0] = 1e20
        data_file.write_text(json.dumps(data))
    else:
        run = json.loads(run_file.read_text())
        nested: dict = {}
        for _ in range(300):
            nested = {"inner": nested}
        run["hyperparam"] = nested
        run_file.write_text(json.dumps(run))
    (src / "runs" / "index.json").unlink()
    before = tree_hashes(logdir)
    with pytest.raises(LogFormatError) as err:
        import_original_confusionflow(src, logdir)
    assert ("2**53" in str(err.value)) if defect == "count 1e20" else ("JSON" in str(err.value))
    assert tree_hashes(logdir) == before
    assert sorted(p.name for p in logdir.iterdir()) == ["existing"]
    write_original_folder(tmp_path / "fixed")
    summary = import_original_confusionflow(tmp_path / "fixed", logdir)  # a corrected re-run succeeds
    assert summary.runs == ("sgd_lr0.001", "sgd_lr0.1")


def test_a_failed_import_into_an_existing_run_changes_nothing(tmp_path: Path, logdir: Path) -> None:
    table = tmp_path / "c.csv"
    table.write_text(
        "run,fold,step,y_true,y_pred,count\nexisting,new,1,a,a,3\nexisting,new,2,a,a,9007199254740993\n"
    )
    before = tree_hashes(logdir)
    with pytest.raises(LogFormatError, match="too large"):
        import_counts_table(table, logdir)
    assert tree_hashes(logdir) == before
    table.write_text("run,fold,step,y_true,y_pred,count\nexisting,new,1,a,a,3\nexisting,val,2,b,b,4\n")
    import_counts_table(table, logdir, classes=["a", "b"])  # new fold + new step of an existing one
    assert read_series(logdir, "existing", "val").steps.tolist() == [1.0, 2.0]
    assert read_series(logdir, "existing", "new").counts[0].tolist() == [[3, 0], [0, 0]]
    assert not [p for p in logdir.rglob(".*")]  # no staging folder or lock file left


KILLED_IMPORT = """
import sys
sys.path.insert(0, {repo!r})
from confusionflow.data_access.importers.__main__ import main
sys.exit(main(["predictions", {table!r}, "--logdir", {logdir!r}]))
"""


def test_kill_9_of_an_importer_mid_way_leaves_the_destination_as_it_was(tmp_path: Path, logdir: Path) -> None:
    rng = np.random.default_rng(0)
    n_steps, n = 400, 2000
    table = tmp_path / "big.csv"
    with table.open("w") as f:
        f.write("run,fold,step,y_true,y_pred\n")
        for step in range(n_steps):
            labels = rng.integers(0, 2, (n, 2))
            f.writelines(
                f"{r},test,{step},{'ab'[t]},{'ab'[p]}\n" for r in ("k1", "k2") for t, p in labels[: n // 2]
            )
    before = visible_tree(logdir)
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_IMPORT.format(repo=REPO, table=str(table), logdir=str(logdir))],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )

    def staged_steps() -> int:
        return sum(1 for _ in logdir.glob(".import-*/*/test.predictions/step-*.parquet"))

    deadline = time.monotonic() + 120
    while staged_steps() < 20:  # the import is writing its steps: kill it there
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert time.monotonic() < deadline, "the importer never started writing"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    assert visible_tree(logdir) == before
    assert sorted(p.name for p in logdir.iterdir() if not p.name.startswith(".")) == ["existing"]
    # the next import is not confused by what the killed one left, and completes
    small = tmp_path / "small.csv"
    small.write_text("run,fold,step,y_true,y_pred\nk1,test,1,a,b\n")
    import_predictions_table(small, logdir)
    assert read_series(logdir, "k1", "test").steps.tolist() == [1.0]
