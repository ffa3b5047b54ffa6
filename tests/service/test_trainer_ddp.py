"""The Hugging Face callback under real DDP: ``torchrun`` with two CPU processes (gloo on 127.0.0.1).

The Trainer gathers every process's predictions (dropping the sampler's repeats) before it calls
``compute_metrics``, so the wrapper sees the whole evaluation set on every process; only the main
process may write. 45 evaluation items on 2 processes: each step must hold all 45 once, equal to
what the wrapped metrics function saw on the main process, in one run written once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from confusionflow.data_access.reader import read_series
from tests.conftest import REPO, free_port

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("accelerate")

pytestmark = [pytest.mark.service, pytest.mark.slow, pytest.mark.timeout(280)]

SCRIPT = """
import json, sys
import numpy as np
import torch
from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments

from confusionflow import HuggingFaceCallback

logdir, out = sys.argv[1], sys.argv[2]


class Tokens(torch.utils.data.Dataset):
    def __init__(self, n, seed):
        g = torch.Generator().manual_seed(seed)
        self.ids = torch.randint(0, 30, (n, 6), generator=g)
        self.labels = self.ids[:, 0] // 10

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return {"input_ids": self.ids[i], "attention_mask": torch.ones(6, dtype=torch.long), "labels": self.labels[i]}


seen = []


def confusion(eval_pred):
    m = np.zeros((3, 3), dtype=np.int64)
    np.add.at(m, (eval_pred.label_ids, eval_pred.predictions.argmax(1)), 1)
    seen.append(m.tolist())
    return {}


torch.manual_seed(0)
config = BertConfig(vocab_size=30, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                    intermediate_size=32, max_position_embeddings=8, num_labels=3)
callback = HuggingFaceCallback(logdir, "bert ddp", ["neg", "neu", "pos"])
args = TrainingArguments(output_dir="out", num_train_epochs=2, per_device_train_batch_size=8,
                         per_device_eval_batch_size=8, learning_rate=5e-3, eval_strategy="epoch",
                         save_strategy="no", report_to="none", use_cpu=True, disable_tqdm=True,
                         logging_strategy="no", seed=0)
trainer = Trainer(model=BertForSequenceClassification(config), args=args, train_dataset=Tokens(96, 0),
                  eval_dataset=Tokens(45, 1), compute_metrics=callback.compute_metrics(confusion),
                  callbacks=[callback])
trainer.train()
callback.close()
if trainer.is_world_process_zero():
    with open(out, "w") as f:
        json.dump({"matrices": seen, "world_size": trainer.args.world_size}, f)
"""


def test_two_processes_log_each_evaluation_once_from_the_main_process(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    for name in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--master_addr=127.0.0.1",
         f"--master_port={free_port()}", "train.py", "logs", "reference.json"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    reference = json.loads((tmp_path / "reference.json").read_text())
    assert reference["world_size"] == 2
    series = read_series(tmp_path / "logs", "bert ddp", "eval")
    np.testing.assert_array_equal(series.steps, [1.0, 2.0])
    np.testing.assert_array_equal(series.counts, np.array(reference["matrices"], dtype=np.int64))
    assert series.counts.sum(axis=(1, 2)).tolist() == [45, 45]  # every item once, none repeated
    assert sorted(p.name for p in (tmp_path / "logs").iterdir()) == ["bert ddp"]
