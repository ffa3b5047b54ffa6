"""The Lightning callback under real DDP: two CPU processes (gloo on 127.0.0.1), one run written.

A training script is run as users run it (``python train.py``); Lightning's ``strategy="ddp"``
starts the second process by running the same script again. Each process evaluates its share of
the validation set (Lightning's ``DistributedSampler``, which repeats an item to give both the
same count); the callback must gather both shares, drop the repeat, and write from rank zero
only. The logged matrices are compared with the confusion of the same weights on the whole
validation set, computed on rank zero alone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from confusionflow.data_access.reader import read_instances, read_run, read_series
from tests.conftest import REPO, free_port

pytest.importorskip("torch")
pytest.importorskip("lightning.pytorch")

pytestmark = [pytest.mark.service, pytest.mark.slow, pytest.mark.timeout(280)]

SCRIPT = """
import json, sys
import lightning.pytorch as pl
import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from confusionflow import LightningCallback

logdir, out, with_ids = sys.argv[1], sys.argv[2], sys.argv[3] == "ids"
g = torch.Generator().manual_seed(0)
x = torch.randn(120, 4, generator=g)
y = (x[:, 0] > -0.4).long() + (x[:, 0] > 0.4).long()
xv, yv = x[:45], y[:45]  # 45 items on 2 processes: 23 each, one of them a repeat


class Tiny(pl.LightningModule):
    def __init__(self):
        super().__init__()
        self.layer = torch.nn.Linear(4, 3)

    def forward(self, x):
        return self.layer(x)

    def training_step(self, batch, batch_idx):
        return torch.nn.functional.cross_entropy(self(batch[0]), batch[1])

    def validation_step(self, batch, batch_idx):
        return None

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.5)


class Reference(pl.Callback):
    def __init__(self):
        self.matrices = []

    def on_validation_epoch_end(self, trainer, pl_module):
        if trainer.sanity_checking or not trainer.is_global_zero:
            return
        with torch.no_grad():
            pred = pl_module(xv).argmax(1)
        m = np.zeros((3, 3), dtype=np.int64)
        np.add.at(m, (yv.numpy(), pred.numpy()), 1)
        self.matrices.append(m.tolist())


torch.manual_seed(0)
callback = LightningCallback(logdir, "ddp tiny", ["low", "mid", "high"])
reference = Reference()
trainer = pl.Trainer(
    max_epochs=3, accelerator="cpu", devices=2, strategy="ddp", callbacks=[callback, reference],
    logger=False, enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
)
val = TensorDataset(xv, yv, torch.arange(500, 545)) if with_ids else TensorDataset(xv, yv)
trainer.fit(Tiny(), DataLoader(TensorDataset(x[45:], y[45:]), batch_size=15, shuffle=True),
            DataLoader(val, batch_size=8))
callback.close()
if trainer.is_global_zero:
    with open(out, "w") as f:
        json.dump({"matrices": reference.matrices, "world_size": trainer.world_size}, f)
"""


def _train(tmp_path: Path, batches: str) -> tuple[Path, dict]:
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(SCRIPT))
    logdir, out = tmp_path / "logs", tmp_path / "reference.json"
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "MASTER_ADDR": "127.0.0.1",
        "MASTER_PORT": str(free_port()),
        "OMP_NUM_THREADS": "1",
        "PL_DISABLE_FORK": "1",
    }
    for name in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "NODE_RANK"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, str(script), str(logdir), str(out), batches],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    return logdir, json.loads(out.read_text())


@pytest.mark.parametrize("batches", ["plain", "ids"])
def test_two_processes_log_the_whole_validation_set_once_from_rank_zero(tmp_path: Path, batches: str) -> None:
    logdir, reference = _train(tmp_path, batches)
    assert reference["world_size"] == 2
    series = read_series(logdir, "ddp tiny", "val")
    np.testing.assert_array_equal(series.steps, [1, 2, 3])
    expected = np.array(reference["matrices"], dtype=np.int64)
    np.testing.assert_array_equal(series.counts, expected)  # 45 items each epoch, none twice
    assert series.counts.sum(axis=(1, 2)).tolist() == [45, 45, 45]
    assert not np.array_equal(series.counts[0], series.counts[-1])  # the model learned
    inst = read_instances(logdir, "ddp tiny", "val", 3)
    assert inst is not None
    first_id = 500 if batches == "ids" else 0  # the dataset index when batches carry no ids
    np.testing.assert_array_equal(np.sort(inst["instance_id"]), np.arange(first_id, first_id + 45))
    assert read_run(logdir, "ddp tiny").classes == ("low", "mid", "high")
    assert sorted(p.name for p in logdir.iterdir()) == ["ddp tiny"]  # one run: rank 1 wrote nothing
