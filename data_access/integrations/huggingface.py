"""A Hugging Face ``Trainer`` callback that logs each evaluation's predictions.

    from confusionflow import HuggingFaceCallback

    cf = HuggingFaceCallback("logs", "bert-tiny lr=5e-5", classes=label_names)
    trainer = Trainer(model, args, train_dataset=train, eval_dataset=val,
                      compute_metrics=cf.compute_metrics(my_metrics),   # or cf.compute_metrics()
                      callbacks=[cf])
    trainer.train()            # with eval_strategy="epoch": fold "eval", steps 1.0, 2.0, ...
    trainer.predict(test)      # fold "test", at the epoch reached

The ``Trainer`` hands predictions only to ``compute_metrics`` (already gathered from every
process), and tells callbacks only the metrics. So :meth:`HuggingFaceCallback.compute_metrics`
wraps your metrics function (or none): it keeps the argmax of the predictions and the labels, and
returns your metrics unchanged; the callback's ``on_evaluate``/``on_predict`` then logs them as one
step, on the main process only. The fold is the metrics prefix: ``eval`` for ``trainer.evaluate()``,
``clean`` for an ``eval_dataset={"clean": ...}`` entry (prefix ``eval_clean``), ``test`` for
``trainer.predict``. The step is ``state.epoch`` (``step="global_step"``: optimizer steps).
Works with ``batch_eval_metrics=True`` too (the batches of one evaluation are joined).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from transformers import TrainerCallback

from confusionflow.data_access.integrations.callback_common import (
    WriterHandle,
    labels_from_outputs,
    targets_to_indices,
)
from confusionflow.data_access.run_identity import WriteMode
from confusionflow.data_access.writer import LogWriter


def fold_from_metrics(metrics: Mapping[str, Any] | None) -> str | None:
    """The metric key prefix of one evaluation (``eval_clean_runtime`` -> ``clean``), None if unknown."""
    for key in metrics or {}:
        if key.endswith("_runtime"):
            prefix = key[: -len("_runtime")]
            return prefix[len("eval_") :] if prefix.startswith("eval_") else prefix
    return None


class HuggingFaceCallback(TrainerCallback):
    """Log every ``Trainer`` evaluation and prediction as a step of one ConfusionFlow run.

    ``mode``: ``"new"`` (default: a run already logged is refused here, before training),
    ``"resume"`` or ``"version"``, as for ``LogWriter``.
    """

    def __init__(
        self,
        logdir: str | Path | LogWriter,
        run: str | None = None,
        classes: Sequence[Any] | None = None,
        *,
        step: str = "epoch",
        metadata: Mapping[str, Any] | None = None,
        store_instances: bool = True,
        mode: WriteMode = "new",
    ) -> None:
        if step not in ("epoch", "global_step"):
            raise ValueError(f"step must be 'epoch' or 'global_step', not {step!r}")
        self.handle = WriterHandle(
            logdir, run, classes, metadata=metadata, store_instances=store_instances, mode=mode
        )
        self.step_kind = step
        self._pending: list[tuple[np.ndarray, np.ndarray]] = []
        self._warned = False

    def compute_metrics(
        self, metrics_fn: Callable[..., Mapping[str, Any]] | None = None
    ) -> Callable[..., dict[str, Any]]:
        """A ``compute_metrics`` for the ``Trainer``: keeps the predictions, returns ``metrics_fn``'s metrics."""
        n = len(self.handle.classes)

        # ``compute_result`` is in the signature because the Trainer refuses, under
        # ``batch_eval_metrics=True``, a function without it; it then calls once per batch (tensors
        # on the device) with ``compute_result=True`` on the last. ``metrics_fn`` gets it only then.
        def compute(eval_pred: Any, compute_result: bool | None = None, **kwargs: Any) -> dict[str, Any]:
            if compute_result is not None:
                kwargs["compute_result"] = compute_result
            predictions = eval_pred.predictions
            if isinstance(predictions, (tuple, list)):  # (logits, hidden states, ...): logits first
                predictions = predictions[0]
            y_true = targets_to_indices(eval_pred.label_ids, n, "label_ids")
            self._pending.append((y_true, labels_from_outputs(predictions, n, "predictions")))
            return dict(metrics_fn(eval_pred, **kwargs)) if metrics_fn is not None else {}

        return compute

    def _log(self, state: Any, metrics: Mapping[str, Any] | None, default_fold: str) -> None:
        pending, self._pending = self._pending, []
        if not pending and not self._warned:
            self._warned = True
            warnings.warn(
                "the Trainer evaluated but no predictions reached ConfusionFlow: pass "
                "compute_metrics=callback.compute_metrics(...) to the Trainer",
                UserWarning,
                stacklevel=3,
            )
        if not pending or not state.is_world_process_zero:
            return
        y_true = np.concatenate([t for t, _ in pending])
        y_pred = np.concatenate([p for _, p in pending])
        step = round(float(state.epoch or 0.0), 6) if self.step_kind == "epoch" else int(state.global_step)
        self.handle.writer.add(step, fold_from_metrics(metrics) or default_fold, y_true, y_pred)

    def on_evaluate(
        self, args: Any, state: Any, control: Any, metrics: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> None:  # noqa: D102
        self._log(state, metrics, "eval")

    def on_predict(
        self, args: Any, state: Any, control: Any, metrics: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> None:  # noqa: D102
        self._log(state, metrics, "test")

    def close(self) -> None:
        """Close the writer's files (every logged step is already on disk)."""
        self.handle.close()
