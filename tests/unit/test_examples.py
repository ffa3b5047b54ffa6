"""The demo generators, run at --tiny size: they log through LogWriter what the docs promise.

Fashion-MNIST generators need the Debian package ``dataset-fashion-mnist``; their tests skip
(saying so) only when its folder is missing.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from confusionflow.data_access.store import LogStore
from confusionflow.data_access.tensor import SeriesInfo
from examples import (
    active_learning_digits,
    fashion_mnist,
    generate_all,
    pruning_fashion_mnist,
    shift_fashion_mnist,
    synthetic_many_classes,
)
from examples.common import RunExistsError, confusion_counts

REPO = Path(__file__).resolve().parents[2]
needs_fashion_mnist = pytest.mark.skipif(
    not fashion_mnist.available(),
    reason=f"Fashion-MNIST is not installed in {fashion_mnist.DEFAULT_DIR} (apt-get install dataset-fashion-mnist)",
)
FASHION_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)


def _series(root: Path) -> dict[str, SeriesInfo]:
    store = LogStore(root)
    assert store.problems() == []
    return {info.key: info for info in store.list_series()}


def _steps_and_counts(root: Path, key: str) -> tuple[np.ndarray, np.ndarray]:
    s = LogStore(root).load_series(key)
    return s.steps, s.counts


def test_confusion_counts_puts_truth_in_rows() -> None:
    counts = confusion_counts(np.array([0, 0, 1, 2]), np.array([0, 1, 1, 0]), 3)
    assert counts.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 0]]


def test_active_learning_tiny_logs_three_strategies_label_by_label(tmp_path: Path) -> None:
    assert active_learning_digits.main(["--out", str(tmp_path), "--tiny"]) == 0
    series = _series(tmp_path)
    assert sorted(series) == sorted(f"{run}/test" for run in active_learning_digits.RUNS)
    for run in active_learning_digits.RUNS:
        info = series[f"{run}/test"]
        assert info.classes == tuple("0123456789")
        assert info.has_instances
        assert info.metadata["strategy"] == run.removeprefix("logreg-al ")
        steps, counts = _steps_and_counts(tmp_path, f"{run}/test")
        # step = labelled images: 10 to start, one more per iteration
        assert steps.tolist() == [10.0, 11.0, 12.0, 13.0, 14.0, 15.0]
        assert (counts.sum(axis=(1, 2)) == 540).all()  # the whole held-out test fold every step
        # each strategy adds 5 distinct pool images after the 10 shared starting ones
        order = info.metadata["labelled_order"]
        assert len(order) == 15 and len(set(order)) == 15
    # all strategies start from the same labelled set, so their first matrices are identical
    first = [_steps_and_counts(tmp_path, f"{run}/test")[1][0] for run in active_learning_digits.RUNS]
    assert np.array_equal(first[0], first[1]) and np.array_equal(first[0], first[2])
    instances = LogStore(tmp_path).instances(f"{active_learning_digits.RUNS[0]}/test", 10)
    assert instances is not None and len(instances) == 540
    assert instances["instance_id"].max() < 1797  # ids are indices into load_digits


def test_active_learning_strategies_pick_what_they_promise() -> None:
    d = active_learning_digits.load_split(0)
    labelled = d.start.copy()
    unlabelled = np.setdiff1d(d.pool, labelled)
    model = active_learning_digits.fit(d, labelled)
    rng = np.random.default_rng(0)
    margin_pick = active_learning_digits.pick_smallest_margin(d, labelled, unlabelled, model, rng)
    top2 = np.sort(model.predict_proba(d.x[unlabelled]), axis=1)[:, -2:]
    margins = top2[:, 1] - top2[:, 0]
    assert margins[np.flatnonzero(unlabelled == margin_pick)[0]] == margins.min()
    dense_pick = active_learning_digits.pick_dense_areas_first(d, labelled, unlabelled, model, rng)
    dist = np.linalg.norm(d.x[unlabelled][:, None] - d.x[unlabelled][None], axis=2)
    mean_knn = np.sort(dist, axis=1)[:, 1:11].mean(axis=1)
    assert np.isclose(mean_knn[np.flatnonzero(unlabelled == dense_pick)[0]], mean_knn.min())
    assert margin_pick in unlabelled and dense_pick in unlabelled


def test_generator_refuses_to_append_to_an_existing_run(tmp_path: Path) -> None:
    (tmp_path / active_learning_digits.RUNS[1]).mkdir()
    with pytest.raises(RunExistsError, match="already exist"):
        active_learning_digits.main(["--out", str(tmp_path), "--tiny"])


def test_synthetic_tiny_logs_100_classes_in_20_labelled_superclasses(tmp_path: Path) -> None:
    assert synthetic_many_classes.main(["--out", str(tmp_path), "--tiny"]) == 0
    series = _series(tmp_path)
    assert sorted(series) == [
        "synthetic-cifar100 baseline/test",
        "synthetic-cifar100 baseline/train",
        "synthetic-cifar100 regularized/test",
    ]
    info = series["synthetic-cifar100 baseline/test"]
    assert len(info.classes) == 100 and info.metadata["synthetic"] is True
    groups = info.metadata["superclasses"]
    assert set(groups) == set(info.classes)
    assert sorted(np.unique(list(groups.values()), return_counts=True)[1].tolist()) == [5] * 20
    steps, counts = _steps_and_counts(tmp_path, "synthetic-cifar100 baseline/test")
    assert steps.tolist() == list(map(float, range(1, 11)))
    assert (counts.sum(axis=2) == 100).all()  # 100 test instances per class, every step


def test_synthetic_confusion_concentrates_inside_superclasses() -> None:
    rng = np.random.default_rng(0)
    weights = synthetic_many_classes.error_weights(rng)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0)
    group = np.array([synthetic_many_classes.SUPERCLASS_OF[c] for c in synthetic_many_classes.CLASSES])
    inside = (group[:, None] == group[None, :]) & ~np.eye(100, dtype=bool)
    np.testing.assert_allclose((weights * inside).sum(axis=1), 0.7)  # 4 siblings get 70% of the errors


@needs_fashion_mnist
def test_pruning_tiny_logs_dense_pruned_and_ticket(tmp_path: Path) -> None:
    assert pruning_fashion_mnist.main(["--out", str(tmp_path), "--tiny"]) == 0
    series = _series(tmp_path)
    assert sorted(series) == sorted(
        f"{run}/{fold}" for run in pruning_fashion_mnist.RUNS for fold in ("test", "train")
    )
    for run in pruning_fashion_mnist.RUNS:
        assert series[f"{run}/test"].classes == FASHION_CLASSES
        assert series[f"{run}/test"].has_instances and not series[f"{run}/train"].has_instances
        for fold, n in (("train", 600), ("test", 300)):
            steps, counts = _steps_and_counts(tmp_path, f"{run}/{fold}")
            assert steps.tolist() == [1.0, 2.0, 3.0]
            assert (counts.sum(axis=(1, 2)) == n).all()
    density = series["fmnist-mlp 6x200 pruned/test"].metadata["weight_density_by_epoch"]
    # evaluated before each cut: full density at epoch 1, then 20% fewer weights per epoch
    assert density[0] == 1.0 and density[1] == pytest.approx(0.8, abs=0.002)
    assert density[2] == pytest.approx(0.64, abs=0.003)


def test_magnitude_pruning_removes_the_smallest_fifth_of_live_weights() -> None:
    import torch

    from examples import torch_mlp

    model = torch_mlp.build_mlp(4, (5,), 3, seed=0)
    masks = [torch.ones_like(layer.weight) for layer in torch_mlp.linear_layers(model)]
    before = [layer.weight.detach().abs().clone() for layer in torch_mlp.linear_layers(model)]
    masks = torch_mlp.magnitude_prune(model, masks, [0.2, 0.2])
    for layer, mask, w in zip(torch_mlp.linear_layers(model), masks, before, strict=True):
        n = w.numel()
        assert int(mask.sum()) == n - round(0.2 * n)
        assert w[mask == 0].max() <= w[mask == 1].min()  # the removed ones are the smallest
        assert (layer.weight[mask == 0] == 0).all()
    masks2 = torch_mlp.magnitude_prune(model, masks, [0.2, 0.2])
    assert int(masks2[0].sum()) == 16 - round(0.2 * 16)  # 20% of the 16 still alive, not of 20


@needs_fashion_mnist
def test_shift_tiny_logs_three_folds_of_one_model(tmp_path: Path) -> None:
    assert shift_fashion_mnist.main(["--out", str(tmp_path), "--tiny"]) == 0
    series = _series(tmp_path)
    assert sorted(series) == [
        "fmnist-mlp 256-128/test",
        "fmnist-mlp 256-128/test-shifted",
        "fmnist-mlp 256-128/train",
    ]
    store = LogStore(tmp_path)
    a = store.instances("fmnist-mlp 256-128/test", 3)
    b = store.instances("fmnist-mlp 256-128/test-shifted", 3)
    assert a is not None and b is not None
    assert a["instance_id"].tolist() == b["instance_id"].tolist()  # the same images in both folds
    assert a["y_true"].tolist() == b["y_true"].tolist()


def test_shift_perturbs_every_image_deterministically() -> None:
    images = np.zeros((3, 28, 28), dtype=np.uint8)
    images[:, 10:18, 10:18] = 255
    a, b = shift_fashion_mnist.shift_images(images, 1), shift_fashion_mnist.shift_images(images, 1)
    assert np.array_equal(a, b) and a.dtype == np.float32 and a.min() >= 0 and a.max() <= 1
    assert a.max() < 0.95  # contrast lowered to 70% (plus noise): no pixel keeps full white
    # the centre of the 8x8 block stays inside it after a <= 2 px move: ~0.7 of white, give or take noise
    assert 0.5 < a[:, 13:15, 13:15].mean() < 0.85
    # the background only gets clipped noise (mean of max(0, N(0, 0.08)) is ~0.03)
    assert a[:, :5, :5].mean() < 0.06


def test_top_pair_changes_ranks_by_growth_of_row_share() -> None:
    ref = np.array([[90, 10, 0], [0, 100, 0], [0, 0, 50]])
    shifted = np.array([[60, 40, 0], [0, 90, 10], [0, 0, 50]])
    pairs = shift_fashion_mnist.top_pair_changes(ref, shifted, ["a", "b", "c"], k=2)
    assert pairs == [("a", "b", 0.1, 0.4), ("b", "c", 0.0, 0.1)]


def test_fashion_mnist_missing_says_how_to_install(tmp_path: Path) -> None:
    with pytest.raises(fashion_mnist.DatasetMissing, match="apt-get install dataset-fashion-mnist"):
        fashion_mnist.load("test", tmp_path)


@pytest.mark.parametrize("generator", [pruning_fashion_mnist, shift_fashion_mnist], ids=["pruning", "shift"])
def test_fashion_generators_exit_with_the_install_command_when_the_data_is_missing(
    generator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(fashion_mnist, "DEFAULT_DIR", tmp_path / "nowhere")
    assert generator.main(["--out", str(tmp_path / "out"), "--tiny"]) == 2
    assert "apt-get install dataset-fashion-mnist" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()  # nothing written


def test_generate_all_never_replaces_a_folder_of_other_logs(tmp_path: Path) -> None:
    (tmp_path / "my own run").mkdir()
    assert generate_all.main(["--out", str(tmp_path), "--tiny", "--force"]) == 2
    assert (tmp_path / "my own run").is_dir()
    assert generate_all.main(["--out", str(tmp_path), "--tiny"]) == 2  # not empty, no --force


@needs_fashion_mnist
@pytest.mark.slow
def test_generate_all_tiny_as_a_script_writes_every_scenario(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    proc = subprocess.run(
        [sys.executable, "examples/generate_all.py", "--out", str(out), "--tiny"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "| total |" in proc.stdout
    keys = set(_series(out))
    assert len(keys) == 3 + 6 + 3 + 3
    assert {
        "logreg-al greedy/test",
        "fmnist-mlp 6x200 lottery ticket/train",
        "fmnist-mlp 256-128/test-shifted",
    } <= keys
    assert not list(tmp_path.glob(".*partial*"))  # the temporary folder was moved into place
