"""The Keras 3 callback on a tiny CPU model, on the backend ``KERAS_BACKEND`` names (PyTorch by default;
``test_integration_keras_backends.py`` runs these tests on JAX too)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")  # before Keras is first imported
pytest.importorskip("keras")
import keras  # noqa: E402

from confusionflow.data_access.reader import read_instances, read_series  # noqa: E402

CLASSES = ["left", "middle", "right"]


def _data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    return x, ((x[:, 0] > -0.4).astype(int) + (x[:, 0] > 0.4).astype(int))


def _model(outputs: int = 3, activation: str = "softmax"):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(outputs, activation=activation)])
    loss = "sparse_categorical_crossentropy" if outputs > 1 else "binary_crossentropy"
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss=loss)
    return model


class Reference(keras.callbacks.Callback):
    def __init__(self, x, y) -> None:
        super().__init__()
        self.x, self.y = x, y
        self.matrices: list[np.ndarray] = []

    def on_epoch_end(self, epoch, logs=None):
        pred = self.model.predict(self.x, verbose=0).argmax(1)
        m = np.zeros((3, 3), dtype=np.int64)
        np.add.at(m, (self.y, pred), 1)
        self.matrices.append(m)


def test_each_epoch_logs_every_fold(tmp_path: Path) -> None:
    from confusionflow import KerasCallback

    assert keras.backend.backend() == os.environ["KERAS_BACKEND"]
    x, y = _data(120, 0)
    xt, yt = _data(50, 1)
    ids = np.arange(1000, 1050)
    onehot = np.eye(3)[y]
    callback = KerasCallback(
        tmp_path, "dense", CLASSES, folds={"train": (x, onehot), "test": (xt, yt, ids)}, batch_size=16
    )
    reference = Reference(xt, yt)
    _model().fit(x, y, epochs=3, batch_size=16, verbose=0, callbacks=[callback, reference])

    test = read_series(tmp_path, "dense", "test")
    np.testing.assert_array_equal(test.steps, [1, 2, 3])
    np.testing.assert_array_equal(test.counts, np.stack(reference.matrices))
    train = read_series(tmp_path, "dense", "train")
    assert train.counts.sum(axis=(1, 2)).tolist() == [120, 120, 120]
    np.testing.assert_array_equal(
        train.counts[0].sum(axis=1), np.bincount(y, minlength=3)
    )  # one-hot read right
    test_instances = read_instances(tmp_path, "dense", "test", 2)
    assert test_instances is not None
    np.testing.assert_array_equal(test_instances["instance_id"], ids)
    callback.close()


def test_binary_sigmoid_model_and_bad_arguments(tmp_path: Path) -> None:
    from confusionflow import KerasCallback

    x, y = _data(40, 2)
    y2 = (y > 0).astype(int)
    callback = KerasCallback(tmp_path, "binary", ["no", "yes"], folds={"val": (x, y2)})
    model = _model(outputs=1, activation="sigmoid")
    model.fit(x, y2, epochs=1, verbose=0, callbacks=[callback])
    probs = model.predict(x, verbose=0)[:, 0]
    expected = np.zeros((2, 2), dtype=np.int64)
    np.add.at(expected, (y2, (probs > 0.5).astype(int)), 1)
    np.testing.assert_array_equal(read_series(tmp_path, "binary", "val").counts[0], expected)

    with pytest.raises(ValueError, match="at least one"):
        KerasCallback(tmp_path, "x", CLASSES, folds={})
    with pytest.raises(ValueError, match=r"must be \(x, y\)"):
        KerasCallback(tmp_path, "x", CLASSES, folds={"test": x})
    bad = KerasCallback(tmp_path, "wrong-width", CLASSES, folds={"test": (x, y)})
    with pytest.raises(ValueError, match=r"shape \(40, 2\)"):
        _model(outputs=2).fit(x, y2, epochs=1, verbose=0, callbacks=[bad])
