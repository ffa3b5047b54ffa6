"""The PyTorch Lightning callback on a tiny CPU model, and the DDP gather/merge logic with two fake ranks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from confusionflow.data_access.integrations.distributed import gather_ranks, merge_ranks
from confusionflow.data_access.reader import read_instances, read_series

pytest.importorskip("torch")
pytest.importorskip("lightning.pytorch")
import lightning.pytorch as pl  # noqa: E402
import torch  # noqa: E402

CLASSES = ["low", "mid", "high"]


def _data(n: int = 90, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 4, generator=g)
    y = (x[:, 0] > -0.4).long() + (x[:, 0] > 0.4).long()
    return x, y


class TinyModule(pl.LightningModule):
    def __init__(self, test_returns_dict: bool = False) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(4, 3)
        self.test_returns_dict = test_returns_dict

    def forward(self, x):
        return self.layer(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        return torch.nn.functional.cross_entropy(self(x), y)

    def validation_step(self, batch, batch_idx, dataloader_idx=0):
        x, y = batch[0], batch[1]
        return torch.nn.functional.cross_entropy(self(x), y)

    def test_step(self, batch, batch_idx):
        x, y = batch
        return {"logits": self(x), "target": y} if self.test_returns_dict else None

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.3)


class ReferenceConfusion(pl.Callback):
    """Independently: the model's confusion on the whole validation set after each epoch."""

    def __init__(self, x, y) -> None:
        self.x, self.y = x, y
        self.matrices: list[np.ndarray] = []

    def on_validation_epoch_end(self, trainer, pl_module):
        if trainer.sanity_checking:
            return
        with torch.no_grad():
            pred = pl_module(self.x).argmax(1)
        m = np.zeros((3, 3), dtype=np.int64)
        np.add.at(m, (self.y.numpy(), pred.numpy()), 1)
        self.matrices.append(m)


def _trainer(callbacks, epochs: int = 3):
    return pl.Trainer(
        max_epochs=epochs, callbacks=callbacks, accelerator="cpu", devices=1, logger=False,
        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
    )  # fmt: skip


def test_logs_each_validation_epoch_and_the_test(tmp_path: Path) -> None:
    from torch.utils.data import DataLoader, TensorDataset

    from confusionflow import LightningCallback

    torch.manual_seed(0)
    x, y = _data()
    xv, yv = _data(45, seed=1)
    callback = LightningCallback(tmp_path, "tiny", CLASSES, metadata={"lr": 0.3})
    reference = ReferenceConfusion(xv, yv)
    trainer = _trainer([callback, reference])
    model = TinyModule(test_returns_dict=True)
    trainer.fit(model, DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True),
                DataLoader(TensorDataset(xv, yv), batch_size=16))  # fmt: skip
    trainer.test(model, DataLoader(TensorDataset(xv, yv), batch_size=10))

    val = read_series(tmp_path, "tiny", "val")
    np.testing.assert_array_equal(val.steps, [1, 2, 3])  # the sanity check before training is not logged
    np.testing.assert_array_equal(val.counts, np.stack(reference.matrices))
    assert not np.array_equal(val.counts[0], val.counts[-1])  # the model learned between epochs
    test = read_series(tmp_path, "tiny", "test")
    np.testing.assert_array_equal(test.steps, [3])
    np.testing.assert_array_equal(test.counts[0], reference.matrices[-1])  # same weights, same data
    inst = read_instances(tmp_path, "tiny", "val", 3)
    assert inst is not None
    np.testing.assert_array_equal(inst["y_true"], yv.numpy())
    callback.close()


def test_batches_with_ids_and_several_loaders_and_bad_outputs(tmp_path: Path) -> None:
    from torch.utils.data import DataLoader, TensorDataset

    from confusionflow import LightningCallback

    x, y = _data(30)
    ids = torch.arange(100, 130)
    callback = LightningCallback(tmp_path, "ids", CLASSES, val_fold=["clean", "shifted"], step="global_step")
    trainer = _trainer([callback], epochs=1)
    loaders = [
        DataLoader(TensorDataset(x, y, ids), batch_size=8),
        DataLoader(TensorDataset(x + 2, y), batch_size=8),
    ]
    trainer.fit(TinyModule(), DataLoader(TensorDataset(x, y), batch_size=8), loaders)
    steps = trainer.global_step
    clean, shifted = read_series(tmp_path, "ids", "clean"), read_series(tmp_path, "ids", "shifted")
    np.testing.assert_array_equal(clean.steps, [steps])
    assert clean.counts.sum() == shifted.counts.sum() == 30
    clean_instances = read_instances(tmp_path, "ids", "clean", steps)
    assert clean_instances is not None
    np.testing.assert_array_equal(clean_instances["instance_id"], ids.numpy())

    with pytest.raises(ValueError, match="step must be"):
        LightningCallback(tmp_path, "x", CLASSES, step="batch")
    with pytest.raises(ValueError, match="run= and classes="):
        LightningCallback(tmp_path)


# ------------------------------------------------------------------ DDP: two ranks, faked collectives


def fake_two_rank_gather(other_rank_calls: list):
    """``all_gather`` as rank 0 of two sees it: its own tensor stacked with rank 1's from the same call."""
    calls = iter(other_rank_calls)

    def all_gather(tensor):
        theirs = torch.as_tensor(next(calls))
        assert theirs.shape == tensor.shape, "every rank passes the same shape to all_gather"
        return torch.stack([tensor, theirs])

    return all_gather


def _shard(values: np.ndarray, rank: int) -> np.ndarray:
    from torch.utils.data import TensorDataset
    from torch.utils.data.distributed import DistributedSampler

    dataset = TensorDataset(torch.arange(len(values)))  # the sampler reads only its length
    sampler: DistributedSampler[int] = DistributedSampler(dataset, num_replicas=2, rank=rank, shuffle=False)
    return values[list(sampler)]


def test_gather_and_merge_follow_the_distributed_sampler_split() -> None:
    # 9 items on 2 ranks: rank 0 gets items 0,2,4,6,8 and rank 1 gets 1,3,5,7 and a repeat of 0.
    y_true = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2])
    y_pred = np.array([0, 1, 1, 0, 2, 2, 0, 0, 2])
    mine = {"y_true": torch.as_tensor(_shard(y_true, 0)), "y_pred": torch.as_tensor(_shard(y_pred, 0))}
    theirs = [torch.tensor([5]), _shard(y_true, 1), _shard(y_pred, 1)]
    per_rank = gather_ranks(mine, fake_two_rank_gather(theirs), world_size=2)
    assert [len(r["y_true"]) for r in per_rank] == [5, 5]
    merged, exact = merge_ranks(per_rank, interleaved_length=9)
    assert exact
    np.testing.assert_array_equal(merged["y_true"], y_true)  # dataset order, the repeat dropped
    np.testing.assert_array_equal(merged["y_pred"], y_pred)
    np.testing.assert_array_equal(merged["instance_id"], np.arange(9))


def test_gather_pads_unequal_shares_and_merge_drops_repeated_ids() -> None:
    mine = {
        "y_true": torch.tensor([0, 1, 2]),
        "y_pred": torch.tensor([0, 1, 1]),
        "ids": torch.tensor([10, 11, 12]),
    }
    # rank 1 has two items (padded to three for the collective); its id 10 repeats one of rank 0's
    theirs = [torch.tensor([2]), [2, 0, 0], [2, 0, 0], [13, 10, 0]]
    per_rank = gather_ranks(mine, fake_two_rank_gather(theirs), world_size=2)
    np.testing.assert_array_equal(per_rank[1]["ids"], [13, 10])  # trimmed back to its own length
    merged, exact = merge_ranks(per_rank, id_key="ids")
    assert exact
    np.testing.assert_array_equal(merged["ids"], [10, 11, 12, 13])
    np.testing.assert_array_equal(merged["y_pred"], [0, 1, 1, 2])
    joined, exact = merge_ranks(per_rank)
    assert not exact and len(joined["y_true"]) == 5
    single, exact = merge_ranks(gather_ranks(mine, fake_two_rank_gather([]), world_size=1))
    assert exact and single["y_true"].tolist() == [0, 1, 2]


def test_several_validations_per_epoch_need_global_steps(tmp_path: Path) -> None:
    from torch.utils.data import DataLoader, TensorDataset

    from confusionflow import LightningCallback

    x, y = _data()
    train, val = DataLoader(TensorDataset(x, y), batch_size=10), DataLoader(TensorDataset(x[:30], y[:30]))

    def trainer(callback):
        return pl.Trainer(
            max_epochs=2, callbacks=[callback], accelerator="cpu", devices=1, logger=False, val_check_interval=0.5,
            enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
        )  # fmt: skip

    per_epoch = trainer(LightningCallback(tmp_path, "halves", CLASSES))
    with pytest.raises(
        ValueError, match=r"validates every 4 of the 9 training batches .* step='global_step'"
    ):
        per_epoch.fit(TinyModule(), train, val)
    assert per_epoch.global_step == 0 and not (tmp_path / "halves").exists()  # refused before training

    callback = LightningCallback(tmp_path, "halves", CLASSES, step="global_step")
    trainer(callback).fit(TinyModule(), train, val)
    callback.close()
    series = read_series(tmp_path, "halves", "val")
    np.testing.assert_array_equal(series.steps, [4, 8, 13, 17])  # twice per epoch of 9 batches
    assert series.counts.sum(axis=(1, 2)).tolist() == [30] * 4
