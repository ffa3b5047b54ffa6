"""Logging integrations on real models: scikit-learn on the bundled digits, a tiny PyTorch network."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.metrics import accuracy_score, confusion_matrix

from confusionflow.data_access.integrations import LoggedStep
from confusionflow.data_access.integrations.sklearn import fit_incrementally, labels_to_indices, log_estimator
from confusionflow.data_access.reader import read_instances, read_series
from confusionflow.data_access.writer import LogWriter

REPO = Path(__file__).resolve().parents[2]
DIGIT_CLASSES = [str(i) for i in range(10)]


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    x, y = load_digits(return_X_y=True)
    x = x / 16.0
    return x[:1200], y[:1200], x[1200:], y[1200:]


def test_integrations_import_without_frameworks() -> None:
    code = (
        "import sys, confusionflow.data_access.integrations, confusionflow.data_access.integrations.torch, confusionflow.data_access.integrations.sklearn;"
        "print('torch' in sys.modules, 'sklearn' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False False"


# ----------------------------------------------------------------------------- scikit-learn
def test_labels_to_indices_by_name_then_position() -> None:
    np.testing.assert_array_equal(labels_to_indices([7, 3, 7], ["3", "7"]), [1, 0, 1])  # by text
    np.testing.assert_array_equal(labels_to_indices(["b", "a"], ["a", "b"]), [1, 0])
    np.testing.assert_array_equal(labels_to_indices([0, 2], ["zero", "one", "two"]), [0, 2])  # positions
    with pytest.raises(ValueError, match=r"y \['9'\] are not among the writer's classes"):
        labels_to_indices([9], ["a", "b"], what="y")


def test_log_estimator_matches_sklearn_confusion_matrix(tmp_path: Path, digits) -> None:
    x_train, y_train, x_test, y_test = digits
    model = LogisticRegression(max_iter=300).fit(x_train, y_train)
    with LogWriter(tmp_path, "logreg", DIGIT_CLASSES) as log:
        result = log_estimator(log, 1, "test", model, x_test, y_test, log_scores=True)
    pred = model.predict(x_test)
    assert isinstance(result, LoggedStep)
    assert (result.step, result.fold, result.instances) == (1.0, "test", len(y_test))
    assert result.accuracy == pytest.approx(accuracy_score(y_test, pred))
    assert result.accuracy > 0.85  # a real model, not noise
    series = read_series(tmp_path, "logreg", "test")
    np.testing.assert_array_equal(series.counts[0], confusion_matrix(y_test, pred, labels=range(10)))
    inst = read_instances(tmp_path, "logreg", "test", 1)
    assert inst is not None
    np.testing.assert_array_equal(inst["instance_id"], np.arange(len(y_test)))
    np.testing.assert_array_equal(inst["y_pred"], pred)


def test_log_estimator_with_string_labels_in_another_order(tmp_path: Path, digits) -> None:
    x_train, y_train, x_test, y_test = digits
    names = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])
    model = LogisticRegression(max_iter=300).fit(x_train, names[y_train])
    order = list(names)  # digit order; the estimator sorts its classes_ alphabetically
    with LogWriter(tmp_path, "named", order) as log:
        log_estimator(log, 0, "test", model, x_test, names[y_test], log_scores=True)
    series = read_series(tmp_path, "named", "test")
    expected = confusion_matrix(names[y_test], model.predict(x_test), labels=order)
    np.testing.assert_array_equal(series.counts[0], expected)
    # scores are stored in the writer's class order, not the estimator's
    inst = read_instances(tmp_path, "named", "test", 0)
    assert inst is not None
    scores = np.stack(inst["scores"].to_list())
    proba = model.predict_proba(x_test)
    assert list(model.classes_) != order  # so the reordering is really exercised
    for j, name in enumerate(order):
        np.testing.assert_allclose(scores[:, j], proba[:, list(model.classes_).index(name)], rtol=1e-6)
    assert scores.argmax(1).tolist() == [order.index(p) for p in model.predict(x_test)]


def test_fit_incrementally_logs_every_fold_every_epoch(tmp_path: Path, digits) -> None:
    x_train, y_train, x_test, y_test = digits
    model = SGDClassifier(random_state=0)
    with LogWriter(tmp_path, "sgd", DIGIT_CLASSES) as log:
        logged = fit_incrementally(
            log,
            model,
            x_train,
            y_train,
            epochs=3,
            batch_size=200,
            eval_sets={"train": (x_train, y_train), "test": (x_test, y_test)},
        )
    assert [(s.step, s.fold) for s in logged] == [
        (1, "train"),
        (1, "test"),
        (2, "train"),
        (2, "test"),
        (3, "train"),
        (3, "test"),
    ]
    test = read_series(tmp_path, "sgd", "test")
    np.testing.assert_array_equal(test.steps, [1, 2, 3])
    assert test.counts.sum(axis=(1, 2)).tolist() == [len(y_test)] * 3
    # the last step is the final model's confusion matrix
    np.testing.assert_array_equal(
        test.counts[-1], confusion_matrix(y_test, model.predict(x_test), labels=range(10))
    )
    assert logged[-1].accuracy == pytest.approx(accuracy_score(y_test, model.predict(x_test)))
    assert logged[-1].accuracy > 0.8
    train = read_series(tmp_path, "sgd", "train")
    assert train.counts.sum(axis=(1, 2)).tolist() == [len(y_train)] * 3


def test_fit_incrementally_refuses_bad_arguments(tmp_path: Path, digits) -> None:
    x_train, y_train, _, _ = digits
    with LogWriter(tmp_path, "sgd", DIGIT_CLASSES) as log:
        with pytest.raises(ValueError, match="eval_sets is empty"):
            fit_incrementally(log, SGDClassifier(), x_train, y_train, epochs=1, eval_sets={})
        with pytest.raises(ValueError, match="epochs must be at least 1"):
            fit_incrementally(
                log, SGDClassifier(), x_train, y_train, epochs=0, eval_sets={"t": (x_train, y_train)}
            )


# ----------------------------------------------------------------------------- PyTorch
@pytest.fixture(scope="module")
def torch():
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a tiny model: threads only contend on a shared machine
    yield torch
    torch.set_num_threads(threads)


def make_recorder(torch):
    class Recorder(torch.nn.Module):
        """A tiny classifier that records, at each forward, whether it ran in eval mode without grad."""

        def __init__(self, n_in: int = 64, n_out: int = 10) -> None:
            super().__init__()
            self.net = torch.nn.Sequential(torch.nn.Linear(n_in, 32), torch.nn.ReLU(), torch.nn.Dropout(0.5))
            self.head = torch.nn.Linear(32, n_out)
            self.calls: list[tuple[bool, bool]] = []

        def forward(self, x):
            self.calls.append((self.training, torch.is_grad_enabled()))
            return self.head(self.net(x))

    return Recorder()


@pytest.fixture(scope="module")
def trained(torch, digits):
    """A small network trained on the digits (about 0.9 test accuracy), shared by the tests."""
    x_train, y_train, _, _ = digits
    torch.manual_seed(0)
    model = make_recorder(torch)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    xt, yt = torch.tensor(x_train, dtype=torch.float32), torch.tensor(y_train)
    for _ in range(60):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(xt), yt).backward()
        opt.step()
    return model


@pytest.fixture
def model(trained):
    trained.calls.clear()
    trained.train()
    return trained


def test_log_pytorch_epoch_counts_ids_and_modes(tmp_path: Path, digits, torch, model) -> None:
    from torch.utils.data import DataLoader, TensorDataset

    from confusionflow.data_access.integrations.torch import log_pytorch_epoch

    x_train, y_train, x_test, y_test = digits
    xt = torch.tensor(x_test, dtype=torch.float32)
    ids = torch.arange(len(y_test)) * 10 + 7  # ids the loader yields, not positions
    loader = DataLoader(TensorDataset(xt, torch.tensor(y_test), ids), batch_size=64)
    model.train()
    with LogWriter(tmp_path, "mlp", DIGIT_CLASSES) as log:
        result = log_pytorch_epoch(log, 1, "test", model, loader)
    assert model.training  # train mode restored
    assert model.calls and all(call == (False, False) for call in model.calls)  # eval mode, no grad
    model.eval()
    with torch.no_grad():
        expected_pred = model(xt).argmax(1).numpy()
    series = read_series(tmp_path, "mlp", "test")
    np.testing.assert_array_equal(series.counts[0], confusion_matrix(y_test, expected_pred, labels=range(10)))
    assert result.instances == len(y_test)
    assert result.accuracy == pytest.approx(accuracy_score(y_test, expected_pred))
    assert result.accuracy > 0.8
    inst = read_instances(tmp_path, "mlp", "test", 1)
    assert inst is not None
    np.testing.assert_array_equal(np.sort(inst["instance_id"].to_numpy()), ids.numpy())
    # eval mode restored as well when the model was in eval mode
    with LogWriter(tmp_path, "mlp", DIGIT_CLASSES, mode="resume") as log:
        log_pytorch_epoch(log, 2, "test", model, loader)
    assert not model.training


def test_log_pytorch_epoch_by_position_and_dict_batches(tmp_path: Path, digits, torch, model) -> None:
    from torch.utils.data import DataLoader

    from confusionflow.data_access.integrations.torch import log_pytorch_epoch

    x_train, y_train, x_test, y_test = digits
    items = [
        {"image": torch.tensor(x, dtype=torch.float32), "label": int(t)}
        for x, t in zip(x_test, y_test, strict=True)
    ]
    # a list is a map-style dataset (len and indexing), which the DataLoader stub does not admit
    loader: DataLoader[dict[str, Any]] = DataLoader(items, batch_size=50)  # type: ignore[arg-type]
    with LogWriter(tmp_path, "mlp", DIGIT_CLASSES) as log:
        log_pytorch_epoch(log, 0, "test", model, loader)
    inst = read_instances(tmp_path, "mlp", "test", 0)
    assert inst is not None
    np.testing.assert_array_equal(inst["instance_id"], np.arange(len(y_test)))
    np.testing.assert_array_equal(inst["y_true"], y_test)


def test_shuffling_loader_without_ids_warns(tmp_path: Path, digits, torch, model) -> None:
    from torch.utils.data import DataLoader, TensorDataset

    from confusionflow.data_access.integrations.torch import log_pytorch_epoch

    x_train, y_train, x_test, y_test = digits
    loader = DataLoader(
        TensorDataset(torch.tensor(x_test, dtype=torch.float32), torch.tensor(y_test)), shuffle=True
    )
    with LogWriter(tmp_path, "mlp", DIGIT_CLASSES) as log, pytest.warns(UserWarning, match="shuffles"):
        log_pytorch_epoch(log, 0, "test", model, loader)
    # the counts are right regardless of the order
    assert read_series(tmp_path, "mlp", "test").counts.sum() == len(y_test)


def test_non_classifier_output_explained(tmp_path: Path, torch) -> None:
    from torch.utils.data import DataLoader, TensorDataset

    from confusionflow.data_access.integrations.torch import log_pytorch_epoch

    linear = torch.nn.Linear(4, 1).train()
    loader = DataLoader(TensorDataset(torch.zeros(6, 4), torch.zeros(6, dtype=torch.long)), batch_size=3)
    with LogWriter(tmp_path, "reg", ["a", "b"]) as log:
        with pytest.raises(ValueError, match=r"model output has shape \(3,\); expected \(batch, classes\)"):
            log_pytorch_epoch(log, 0, "test", torch.nn.Sequential(linear, torch.nn.Flatten(0)), loader)
        # to_labels turns a one-logit binary model into class indices
        result = log_pytorch_epoch(
            log, 0, "test", linear, loader, to_labels=lambda out: (out[:, 0] > 1e9).long()
        )
    assert linear.training
    assert result.accuracy == 1.0
