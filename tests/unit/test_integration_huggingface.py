"""The Hugging Face Trainer callback on a tiny BERT built from a config (nothing downloaded)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from confusionflow.data_access.integrations.huggingface import fold_from_metrics
from confusionflow.data_access.reader import read_series

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("accelerate")
import torch  # noqa: E402

CLASSES = ["neg", "neu", "pos"]


class Tokens(torch.utils.data.Dataset):
    """Sequences of 6 token ids whose class is set by the first token (0-9 / 10-19 / 20-29)."""

    def __init__(self, n: int, seed: int) -> None:
        g = torch.Generator().manual_seed(seed)
        self.ids = torch.randint(0, 30, (n, 6), generator=g)
        self.labels = self.ids[:, 0] // 10

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> dict:
        return {
            "input_ids": self.ids[i],
            "attention_mask": torch.ones(6, dtype=torch.long),
            "labels": self.labels[i],
        }


def _trainer(tmp_path: Path, callback, compute_metrics, eval_dataset, epochs: int = 2, **more_args):
    from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments

    torch.manual_seed(0)
    # num_labels is a PretrainedConfig keyword that BertConfig passes on through **kwargs; its typed
    # signature leaves it out
    config = BertConfig(  # type: ignore[call-arg]
        vocab_size=30, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
        max_position_embeddings=8, num_labels=3,
    )  # fmt: skip
    args = TrainingArguments(
        output_dir=str(tmp_path / "out"), num_train_epochs=epochs, per_device_train_batch_size=16,
        per_device_eval_batch_size=16, learning_rate=5e-3, eval_strategy="epoch", save_strategy="no",
        report_to="none", use_cpu=True, disable_tqdm=True, logging_strategy="no", seed=0, **more_args,
    )  # fmt: skip
    return Trainer(
        model=BertForSequenceClassification(config), args=args, train_dataset=Tokens(96, 0),
        eval_dataset=eval_dataset, compute_metrics=compute_metrics, callbacks=[callback],
    )  # fmt: skip


def _confusion(labels: np.ndarray, logits: np.ndarray) -> np.ndarray:
    m = np.zeros((3, 3), dtype=np.int64)
    np.add.at(m, (labels, logits.argmax(1)), 1)
    return m


def test_each_evaluation_and_the_prediction_are_logged(tmp_path: Path) -> None:
    from confusionflow import HuggingFaceCallback

    seen: list[np.ndarray] = []

    def accuracy(eval_pred) -> dict:
        seen.append(_confusion(eval_pred.label_ids, eval_pred.predictions))
        return {"accuracy": float((eval_pred.predictions.argmax(1) == eval_pred.label_ids).mean())}

    callback = HuggingFaceCallback(tmp_path / "logs", "bert-tiny", CLASSES, metadata={"lr": 5e-3})
    val, test = Tokens(40, 1), Tokens(24, 2)
    trainer = _trainer(tmp_path, callback, callback.compute_metrics(accuracy), val)
    trainer.train()
    metrics = trainer.evaluate(metric_key_prefix="final")
    assert "final_accuracy" in metrics  # the wrapped metrics still reach the Trainer
    output = trainer.predict(test)

    logged = read_series(tmp_path / "logs", "bert-tiny", "eval")
    np.testing.assert_array_equal(logged.steps, [1.0, 2.0])
    np.testing.assert_array_equal(logged.counts, np.stack(seen[:2]))
    final = read_series(tmp_path / "logs", "bert-tiny", "final")
    np.testing.assert_array_equal(final.counts[0], seen[2])
    predicted = read_series(tmp_path / "logs", "bert-tiny", "test")
    np.testing.assert_array_equal(predicted.steps, [2.0])
    np.testing.assert_array_equal(predicted.counts[0], _confusion(output.label_ids, output.predictions))
    assert predicted.counts[0].sum() == 24
    callback.close()


def test_named_eval_sets_become_folds_and_a_missing_wrapper_warns(tmp_path: Path) -> None:
    from confusionflow import HuggingFaceCallback

    callback = HuggingFaceCallback(tmp_path / "logs", "named", CLASSES, step="global_step")
    trainer = _trainer(
        tmp_path,
        callback,
        callback.compute_metrics(),
        {"clean": Tokens(20, 3), "other": Tokens(12, 4)},
        epochs=1,
    )
    trainer.train()
    steps = trainer.state.global_step
    clean, other = (
        read_series(tmp_path / "logs", "named", "clean"),
        read_series(tmp_path / "logs", "named", "other"),
    )
    np.testing.assert_array_equal(clean.steps, [steps])
    assert (clean.counts.sum(), other.counts.sum()) == (20, 12)

    unwired = HuggingFaceCallback(tmp_path / "logs", "unwired", CLASSES)
    with pytest.warns(UserWarning, match="compute_metrics=callback.compute_metrics"):
        _trainer(tmp_path, unwired, None, Tokens(10, 5), epochs=1).train()
    assert not (tmp_path / "logs" / "unwired").exists()


def test_batch_eval_metrics_joins_the_batches_of_each_evaluation(tmp_path: Path) -> None:
    from confusionflow import HuggingFaceCallback

    calls: list[bool] = []

    def per_batch(eval_pred, compute_result: bool) -> dict:
        calls.append(compute_result)
        return {"batches": float(len(calls))} if compute_result else {}

    callback = HuggingFaceCallback(tmp_path / "logs", "batched", CLASSES)
    val = Tokens(40, 1)  # 3 batches of at most 16
    trainer = _trainer(tmp_path, callback, callback.compute_metrics(per_batch), val, batch_eval_metrics=True)
    trainer.train()
    assert calls == [False, False, True] * 2  # the Trainer did call it once per batch
    logged = read_series(tmp_path / "logs", "batched", "eval")
    np.testing.assert_array_equal(logged.steps, [1.0, 2.0])
    assert logged.counts.sum(axis=(1, 2)).tolist() == [40, 40]  # every batch, once
    output = trainer.predict(val)  # the same weights on the same data; the output holds all of it
    np.testing.assert_array_equal(logged.counts[-1], _confusion(output.label_ids, output.predictions))
    np.testing.assert_array_equal(
        read_series(tmp_path / "logs", "batched", "test").counts, logged.counts[-1:]
    )
    callback.close()


def test_fold_from_metrics_prefix() -> None:
    assert fold_from_metrics({"eval_loss": 1.0, "eval_runtime": 0.1}) == "eval"
    assert fold_from_metrics({"eval_clean_runtime": 0.1}) == "clean"
    assert fold_from_metrics({"test_runtime": 0.1}) == "test"
    assert fold_from_metrics({"loss": 1.0}) is None
