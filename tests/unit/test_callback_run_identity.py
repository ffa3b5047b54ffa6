"""A training script run twice: the framework callbacks decide at construction, before any training.

The callbacks open their ``LogWriter`` when the first step is logged (on the main process only);
what that would refuse must still be refused when the callback is made, and ``mode=`` must reach
the writer: ``"new"`` refuses, ``"resume"`` appends after the logged steps, ``"version"`` starts
``<run>-v2``. Nothing logged before is ever rewritten.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

from confusionflow.data_access.reader import read_run, read_series
from confusionflow.data_access.run_identity import RunExistsError, check_run_identity
from confusionflow.data_access.storage import StorageError
from confusionflow.data_access.writer import LogWriter

CLASSES = ["left", "middle", "right"]


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _logged(logdir: Path, run: str = "dense") -> None:
    with LogWriter(logdir, run, CLASSES) as log:
        log.add_counts(1, "test", np.eye(3, dtype=np.int64) * 4)


def test_check_refuses_what_the_writer_would_and_writes_nothing(tmp_path: Path) -> None:
    _logged(tmp_path)
    before = _digest(tmp_path)
    with pytest.raises(RunExistsError, match=r"run 'dense' already exists .*mode='resume'.*'dense-v2'"):
        check_run_identity(tmp_path, "dense", CLASSES)
    with pytest.raises(
        ValueError, match=r"was logged with classes \['left', 'middle', 'right'\], not \['a', 'b'\]"
    ):
        check_run_identity(tmp_path, "dense", ["a", "b"], mode="resume")
    with pytest.raises(ValueError, match="mode must be one of new, resume, version"):
        check_run_identity(tmp_path, "dense", CLASSES, mode="append")  # type: ignore[arg-type]
    with pytest.raises(StorageError, match="only be written to a local folder"):
        check_run_identity("s3://bucket/logs", "dense", CLASSES)
    with pytest.raises(ValueError, match="class"):
        check_run_identity(tmp_path, "other", ["same", "same"])
    check_run_identity(tmp_path, "dense", CLASSES, mode="resume")
    check_run_identity(tmp_path, "dense", CLASSES, mode="version")
    check_run_identity(tmp_path, "other", list(range(3)))
    assert _digest(tmp_path) == before and not (tmp_path / "other").exists()


# ------------------------------------------------------------------ Keras

os.environ.setdefault("KERAS_BACKEND", "torch")  # before Keras is first imported


def _keras_fit(callback, initial_epoch: int, epochs: int) -> None:
    keras = pytest.importorskip("keras")
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 4)).astype("float32")
    y = (x[:, 0] > -0.4).astype(int) + (x[:, 0] > 0.4).astype(int)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="sparse_categorical_crossentropy")
    model.fit(
        x, y, initial_epoch=initial_epoch, epochs=epochs, batch_size=20, verbose=0, callbacks=[callback]
    )


def _keras_callback(logdir: Path, **kwargs):
    pytest.importorskip("keras")
    from confusionflow import KerasCallback

    rng = np.random.default_rng(1)
    x = rng.normal(size=(30, 4)).astype("float32")
    y = (x[:, 0] > -0.4).astype(int) + (x[:, 0] > 0.4).astype(int)
    return KerasCallback(logdir, "dense", CLASSES, folds={"test": (x, y)}, **kwargs)


def test_keras_run_twice_fails_at_the_callback_then_resumes_or_versions(tmp_path: Path) -> None:
    first = _keras_callback(tmp_path)
    _keras_fit(first, 0, 2)
    first.close()
    before = _digest(tmp_path)
    with pytest.raises(RunExistsError, match="run 'dense' already exists"):
        _keras_callback(tmp_path)  # before model.fit: no epoch is trained for nothing
    with pytest.raises(ValueError, match="was logged with classes"):
        from confusionflow import KerasCallback

        KerasCallback(
            tmp_path, "dense", ["a", "b"], folds={"test": (np.zeros((2, 4)), [0, 1])}, mode="resume"
        )
    assert _digest(tmp_path) == before

    resumed = _keras_callback(tmp_path, mode="resume")
    _keras_fit(resumed, 2, 4)  # Keras epochs 2 and 3: steps 3 and 4
    resumed.close()
    np.testing.assert_array_equal(read_series(tmp_path, "dense", "test").steps, [1, 2, 3, 4])
    assert _digest(tmp_path).items() >= before.items()  # steps 1 and 2 are the files they were

    versioned = _keras_callback(tmp_path, mode="version")
    _keras_fit(versioned, 0, 1)
    assert versioned.handle.writer.run == "dense-v2"
    versioned.close()
    np.testing.assert_array_equal(read_series(tmp_path, "dense-v2", "test").steps, [1])
    assert read_run(tmp_path, "dense-v2").classes == tuple(CLASSES)


# ------------------------------------------------------------------ Lightning and Hugging Face


def test_lightning_run_twice_fails_at_the_callback_and_version_starts_v2(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("lightning.pytorch")
    import lightning.pytorch as pl
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    from confusionflow import LightningCallback
    from tests.unit.test_integration_lightning import TinyModule

    _logged(tmp_path, "tiny")
    before = _digest(tmp_path)
    with pytest.raises(RunExistsError, match="run 'tiny' already exists"):
        LightningCallback(tmp_path, "tiny", CLASSES)
    assert _digest(tmp_path) == before

    torch.manual_seed(0)
    x = torch.randn(40, 4)
    y = (x[:, 0] > -0.4).long() + (x[:, 0] > 0.4).long()
    callback = LightningCallback(tmp_path, "tiny", CLASSES, mode="version")
    trainer = pl.Trainer(
        max_epochs=2, callbacks=[callback], accelerator="cpu", devices=1, logger=False,
        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
    )  # fmt: skip
    loader = DataLoader(TensorDataset(x, y), batch_size=20)
    trainer.fit(TinyModule(), loader, loader)
    callback.close()
    np.testing.assert_array_equal(read_series(tmp_path, "tiny-v2", "val").steps, [1, 2])
    assert int(read_series(tmp_path, "tiny-v2", "val").counts[0].sum()) == 40
    assert _digest(tmp_path).items() >= before.items()  # the first run is untouched


def test_huggingface_run_twice_fails_at_the_callback(tmp_path: Path) -> None:
    pytest.importorskip("transformers")
    from confusionflow import HuggingFaceCallback

    _logged(tmp_path, "bert")
    before = _digest(tmp_path)
    with pytest.raises(RunExistsError, match="run 'bert' already exists"):
        HuggingFaceCallback(tmp_path, "bert", CLASSES)
    with pytest.raises(ValueError, match="mode must be one of"):
        HuggingFaceCallback(tmp_path, "bert", CLASSES, mode="overwrite")
    callback = HuggingFaceCallback(tmp_path, "bert", CLASSES, mode="resume")
    assert not callback.handle.is_open  # opened when the first evaluation is logged
    assert callback.handle.writer.last_step("test") == 1.0
    callback.close()
    assert _digest(tmp_path) == before
