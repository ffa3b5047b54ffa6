"""W&B and MLflow imports, on files the real ``wandb`` (offline) and ``mlflow`` (local file store) write.

Each tracker runs in its own subprocess (as a training script would), in a temporary folder,
with nothing sent anywhere: W&B in offline mode, MLflow on a ``file:`` store.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from confusionflow.data_access.errors import LogFormatError
from confusionflow.data_access.importers.__main__ import main as import_main
from confusionflow.data_access.reader import read_run, read_series

pytestmark = pytest.mark.slow

CLASSES = ["cat", "dog", "bird"]
Y_TRUE = [0, 1, 2, 0, 1, 2, 0, 1, 2, 2, 2, 0]
PREDS = {  # epoch -> predictions: better with every epoch
    1: [1, 1, 0, 2, 0, 2, 1, 1, 0, 2, 1, 0],
    2: [0, 1, 0, 0, 1, 2, 1, 1, 2, 2, 1, 0],
    3: [0, 1, 2, 0, 1, 2, 0, 1, 2, 2, 2, 1],
}


def expected(epoch: int) -> np.ndarray:
    m = np.zeros((3, 3), dtype=np.int64)
    np.add.at(m, (Y_TRUE, PREDS[epoch]), 1)
    return m


def _run_script(folder: Path, script: str, **env: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        cwd=folder, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": "", **env},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# ------------------------------------------------------------------ Weights & Biases


@pytest.fixture(scope="module")
def wandb_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("wandb")
    folder = tmp_path_factory.mktemp("wandb-project")
    _run_script(
        folder,
        f"""
        import wandb
        run = wandb.init(project="cf", name="wb mlp", dir=".", mode="offline", config={{"lr": 0.1}})
        for epoch, preds in {PREDS!r}.items():
            wandb.log({{
                "val_cm": wandb.plot.confusion_matrix(y_true={Y_TRUE!r}, preds=preds, class_names={CLASSES!r}),
                "samples": wandb.Table(columns=["a"], data=[[1]]),
                "epoch": epoch,
            }})
        run.finish()
        """,
        WANDB_MODE="offline",
        WANDB_SILENT="true",
    )
    (run_dir,) = (folder / "wandb").glob("offline-run-*")
    return run_dir


def test_wandb_offline_run_imports_every_epoch(wandb_run: Path, tmp_path: Path) -> None:
    before = _tree_digest(wandb_run)
    assert import_main(["wandb", str(wandb_run), "--logdir", str(tmp_path / "logs")]) == 0
    series = read_series(tmp_path / "logs", "wb mlp", "val_cm")  # fold = the logged key
    np.testing.assert_array_equal(series.steps, [1, 2, 3])  # the logged epoch, not W&B's _step
    np.testing.assert_array_equal(series.counts, np.stack([expected(e) for e in (1, 2, 3)]))
    run = read_run(tmp_path / "logs", "wb mlp")
    assert run.classes == tuple(CLASSES)
    assert run.metadata["config"] == {"lr": 0.1} and run.metadata["imported_from"] == "wandb"
    assert _tree_digest(wandb_run) == before  # the run folder is only read

    # W&B's own step, a chosen key, another run name; importing the same steps again is refused
    from confusionflow.data_access.importers.wandb_run import import_wandb_run

    import_wandb_run(wandb_run, tmp_path / "logs", run="by step", key="val_cm", step_key="_step")
    np.testing.assert_array_equal(read_series(tmp_path / "logs", "by step", "val_cm").steps, [0, 1, 2])
    with pytest.raises(LogFormatError, match="already has step"):
        import_wandb_run(wandb_run, tmp_path / "logs")


def _copy(run_dir: Path, dest: Path) -> Path:
    import shutil

    shutil.copytree(run_dir, dest)
    return dest


def test_wandb_bad_input_is_named_and_nothing_is_written(
    wandb_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from confusionflow.data_access.importers.wandb_run import import_wandb_run

    logs = tmp_path / "logs"
    # a record log of a format version this importer does not know
    newer = _copy(wandb_run, tmp_path / "newer")
    (log_file,) = newer.glob("*.wandb")
    data = bytearray(log_file.read_bytes())
    data[6] = 1
    log_file.write_bytes(bytes(data))
    source = _tree_digest(newer)
    assert import_main(["wandb", str(newer), "--logdir", str(logs)]) == 2
    assert "record log version 1 is not supported" in capsys.readouterr().err
    assert _tree_digest(newer) == source  # a refused source is left as it was
    # a damaged record
    data[6] = 0
    data[len(data) // 2] ^= 0xFF
    log_file.write_bytes(bytes(data))
    source = _tree_digest(newer)
    with pytest.raises(LogFormatError, match="checksum mismatch|not a W&B record"):
        import_wandb_run(newer, logs)
    assert _tree_digest(newer) == source
    # a table the history names is gone
    missing = _copy(wandb_run, tmp_path / "missing")
    next((missing / "files" / "media" / "table").glob("val_cm_table_1_*")).unlink()
    source = _tree_digest(missing)
    with pytest.raises(LogFormatError, match="table file named in the run's history is missing"):
        import_wandb_run(missing, logs)
    assert _tree_digest(missing) == source
    source = _tree_digest(wandb_run)
    # no confusion matrix under the asked key; not a run folder
    with pytest.raises(LogFormatError, match="no confusion-matrix table .* under key 'loss'"):
        import_wandb_run(wandb_run, logs, key="loss")
    with pytest.raises(LogFormatError, match="expected one run-<id>.wandb file"):
        import_wandb_run(tmp_path, logs)
    assert not logs.exists() and _tree_digest(wandb_run) == source


def test_wandb_fractional_counts_are_refused(wandb_run: Path, tmp_path: Path) -> None:
    from confusionflow.data_access.importers.wandb_run import import_wandb_run

    fractional = _copy(wandb_run, tmp_path / "fractional")
    table_path = next((fractional / "files" / "media" / "table").glob("val_cm_table_0_*"))
    table = json.loads(table_path.read_text())
    table["data"][0][2] = 0.5  # what probs= logs
    table_path.write_text(json.dumps(table))
    with pytest.raises(LogFormatError, match="not a whole number"):
        import_wandb_run(fractional, tmp_path / "logs")
    assert not (tmp_path / "logs").exists()


# ------------------------------------------------------------------ MLflow


@pytest.fixture(scope="module")
def mlflow_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, Path]:
    pytest.importorskip("mlflow")
    folder = tmp_path_factory.mktemp("mlflow-project")
    uri = f"file:{folder / 'mlruns'}"
    out = _run_script(
        folder,
        f"""
        import mlflow, pandas as pd
        mlflow.set_tracking_uri({uri!r})
        with mlflow.start_run(run_name="ml mlp") as run:
            mlflow.log_params({{"lr": 0.1}})
            for epoch, preds in {PREDS!r}.items():
                table = pd.DataFrame({{"epoch": epoch, "y_true": {Y_TRUE!r}, "y_pred": preds}})
                mlflow.log_table(table, artifact_file=f"predictions/epoch-{{epoch}}.json")
            counts = pd.DataFrame([
                {{"step": 3, "fold": "test", "y_true": t, "y_pred": p, "count": 2}} for t in "ab" for p in "ab"
            ])
            counts.to_csv("counts.csv", index=False)
            mlflow.log_artifact("counts.csv", artifact_path="counts")
            mlflow.log_dict({{"not": "a table"}}, "notes/config.json")
            print(run.info.run_id)
        """,
        MLFLOW_ALLOW_FILE_STORE="true",
    )
    return uri, out.strip().splitlines()[-1], folder / "mlruns"


def test_mlflow_predictions_artifacts_import(mlflow_store, tmp_path: Path) -> None:
    uri, run_id, store = mlflow_store
    before = _tree_digest(store)
    args = ["mlflow", run_id, "--tracking-uri", uri, "--logdir", str(tmp_path / "logs"), "--artifact", "predictions",
            "--fold", "val", "--classes", ",".join(CLASSES), "--labels-are-indices"]  # fmt: skip
    assert import_main(args) == 0
    series = read_series(tmp_path / "logs", "ml mlp", "val")
    np.testing.assert_array_equal(series.steps, [1, 2, 3])
    np.testing.assert_array_equal(series.counts, np.stack([expected(e) for e in (1, 2, 3)]))
    meta = read_run(tmp_path / "logs", "ml mlp").metadata
    assert meta["params"] == {"lr": "0.1"} and meta["mlflow_run_id"] == run_id
    assert _tree_digest(store) == before  # the store is only read

    from confusionflow.data_access.importers.mlflow_run import import_mlflow_run

    summary = import_mlflow_run(run_id, tmp_path / "logs", tracking_uri=uri, artifact="counts", run="counted")
    assert [s.key for s in summary.series] == ["counted/test"]
    np.testing.assert_array_equal(
        read_series(tmp_path / "logs", "counted", "test").counts[0], [[2, 2], [2, 2]]
    )


def test_mlflow_bad_input_is_named_and_nothing_is_written(
    mlflow_store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from confusionflow.data_access.importers.mlflow_run import import_mlflow_run

    uri, run_id, store = mlflow_store
    logs = tmp_path / "logs"
    source = _tree_digest(store)
    assert import_main(["mlflow", "0" * 32, "--tracking-uri", uri, "--logdir", str(logs)]) == 2
    assert f"MLflow run {'0' * 32}: not found" in capsys.readouterr().err
    with pytest.raises(LogFormatError, match="no table .* under 'nowhere/'"):
        import_mlflow_run(run_id, logs, tracking_uri=uri, artifact="nowhere/")
    with pytest.raises(LogFormatError, match="not an mlflow.log_table file"):
        import_mlflow_run(run_id, logs, tracking_uri=uri, artifact="notes/config.json")
    with pytest.raises(LogFormatError, match="different columns"):
        import_mlflow_run(run_id, logs, tracking_uri=uri)  # predictions and counts tables together
    with pytest.raises(LogFormatError, match=r"MLflow run .*predictions/epoch-1.json.*fold"):
        import_mlflow_run(run_id, logs, tracking_uri=uri, artifact="predictions")  # no fold column, no --fold
    assert not logs.exists() and _tree_digest(store) == source  # the store is only read
