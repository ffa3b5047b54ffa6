"""A PyTorch Lightning callback that logs validation and test predictions once per epoch.

    from confusionflow import LightningCallback

    cf = LightningCallback("logs", "resnet lr=0.1", classes=train_set.classes)
    trainer = lightning.Trainer(max_epochs=10, callbacks=[cf])
    trainer.fit(model, train_loader, val_loader)   # fold "val", steps 1..10
    trainer.test(model, test_loader)               # fold "test", step 10

Predictions come from what ``validation_step``/``test_step`` return when that is a dict with
``"preds"`` (or ``"logits"``) and ``"target"``, or else from running the module on the batch's
inputs (``(x, y)``, ``(x, y, ids)`` or a dict, as in :mod:`confusionflow.data_access.integrations.torch`).
The step is the number of epochs trained (``step="global_step"``: optimizer steps), so a
validation after epoch 3 is step 3. Under DDP every process's predictions are gathered with
``all_gather`` (see :mod:`confusionflow.data_access.integrations.distributed`) and only global
rank zero writes. The sanity-check validation before training is not logged.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence, Sized
from pathlib import Path
from typing import Any

import numpy as np

try:
    import lightning.pytorch as pl
except ImportError:  # the standalone package name
    import pytorch_lightning as pl  # type: ignore[no-redef]

from confusionflow.data_access.integrations.callback_common import (
    WriterHandle,
    labels_from_outputs,
    targets_to_indices,
    to_numpy,
)
from confusionflow.data_access.integrations.distributed import gather_ranks, merge_ranks
from confusionflow.data_access.integrations.torch import _split_batch, _to_device
from confusionflow.data_access.run_identity import WriteMode
from confusionflow.data_access.writer import LogWriter

_PRED_KEYS = ("preds", "pred", "y_pred", "logits", "scores", "probs")
_TARGET_KEYS = ("target", "targets", "y", "y_true", "labels", "label")


def _pick(mapping: Mapping[str, Any], keys: Sequence[str]) -> Any | None:
    return next((mapping[k] for k in keys if k in mapping), None)


class LightningCallback(pl.Callback):
    """Log each validation (and test) epoch's confusion as one step of a ConfusionFlow run.

    ``logdir``/``run``/``classes``: where and what to log (or pass a ready ``LogWriter`` as
    ``logdir``). ``val_fold``/``test_fold``: fold names, one per dataloader when there are several
    (default ``"val"``, ``"test"``; further loaders get ``"val-1"``, ...). ``step``: ``"epoch"``
    (epochs trained) or ``"global_step"``. ``mode``: ``"new"`` (default: a run already logged is
    refused here, before training), ``"resume"`` or ``"version"``, as for ``LogWriter``.
    """

    def __init__(
        self,
        logdir: str | Path | LogWriter,
        run: str | None = None,
        classes: Sequence[Any] | None = None,
        *,
        val_fold: str | Sequence[str] = "val",
        test_fold: str | Sequence[str] = "test",
        step: str = "epoch",
        metadata: Mapping[str, Any] | None = None,
        store_instances: bool = True,
        mode: WriteMode = "new",
    ) -> None:
        super().__init__()
        if step not in ("epoch", "global_step"):
            raise ValueError(f"step must be 'epoch' or 'global_step', not {step!r}")
        self.handle = WriterHandle(
            logdir, run, classes, metadata=metadata, store_instances=store_instances, mode=mode
        )
        self.folds = {"validate": _fold_names(val_fold), "test": _fold_names(test_fold)}
        self.step_kind = step
        self._batches: dict[int, list[dict[str, Any]]] = {}

    # ------------------------------------------------------------------ batches
    def _collect(self, pl_module: Any, outputs: Any, batch: Any, dataloader_idx: int) -> None:
        returned = outputs if isinstance(outputs, Mapping) else {}
        preds, targets = _pick(returned, _PRED_KEYS), _pick(returned, _TARGET_KEYS)
        if targets is not None and preds is not None:
            ids = _pick(returned, ("instance_id", "instance_ids", "ids"))
        else:
            inputs, targets, ids = _split_batch(batch)
            if preds is None:
                import torch

                with torch.no_grad():
                    preds = pl_module(_to_device(inputs, pl_module.device))
        n = len(self.handle.classes)
        record = {
            "y_true": targets_to_indices(targets, n, "targets"),
            "y_pred": labels_from_outputs(preds, n, "predictions"),
        }
        if ids is not None:
            record["ids"] = to_numpy(ids).reshape(-1)
        self._batches.setdefault(dataloader_idx, []).append(record)

    def on_validation_batch_end(  # noqa: D102
        self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int, dataloader_idx: int = 0
    ) -> None:
        if not trainer.sanity_checking:
            self._collect(pl_module, outputs, batch, dataloader_idx)

    def on_test_batch_end(  # noqa: D102
        self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int, dataloader_idx: int = 0
    ) -> None:
        self._collect(pl_module, outputs, batch, dataloader_idx)

    # ------------------------------------------------------------------ epochs
    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        """Refuse, before the first training batch, a schedule that validates several times per
        epoch under ``step="epoch"``: its second validation would repeat the step and stop the
        training mid-epoch."""
        every = getattr(trainer, "val_check_batch", None)
        batches = getattr(trainer, "num_training_batches", None)
        if (
            self.step_kind == "epoch"
            and getattr(trainer, "enable_validation", True)
            and isinstance(every, (int, float))
            and isinstance(batches, (int, float))
            and math.isfinite(every)
            and every < batches
        ):
            raise ValueError(
                f"the Trainer validates every {int(every)} of the {int(batches)} training batches of an "
                "epoch, so several times per epoch, but LightningCallback(step='epoch') logs one step per "
                "epoch: pass step='global_step' to log each validation at its optimizer step"
            )

    def on_validation_epoch_start(self, trainer: Any, pl_module: Any) -> None:  # noqa: D102
        self._batches = {}

    def on_test_epoch_start(self, trainer: Any, pl_module: Any) -> None:  # noqa: D102
        self._batches = {}

    def on_validation_epoch_end(self, trainer: Any, pl_module: Any) -> None:  # noqa: D102
        if not trainer.sanity_checking:
            self._log_epoch(trainer, pl_module, "validate", trainer.current_epoch + 1)

    def on_test_epoch_end(self, trainer: Any, pl_module: Any) -> None:  # noqa: D102
        self._log_epoch(trainer, pl_module, "test", trainer.current_epoch)

    def _log_epoch(self, trainer: Any, pl_module: Any, stage: str, epochs_trained: int) -> None:
        import torch

        step = epochs_trained if self.step_kind == "epoch" else trainer.global_step
        loaders = trainer.val_dataloaders if stage == "validate" else trainer.test_dataloaders
        loaders = loaders if isinstance(loaders, (list, tuple)) else [loaders]
        for idx in sorted(self._batches):
            records = self._batches[idx]
            local = {k: np.concatenate([r[k] for r in records]) for k in records[0]}
            with_ids = "ids" in local
            local_t = {k: torch.as_tensor(v).to(pl_module.device) for k, v in local.items()}
            per_rank = gather_ranks(local_t, pl_module.all_gather, trainer.world_size)
            loader = loaders[idx] if idx < len(loaders) else None
            merged, exact = merge_ranks(
                per_rank,
                id_key="ids" if with_ids else None,
                interleaved_length=_unshuffled_distributed_length(loader),
            )
            if trainer.is_global_zero:
                if not exact:
                    warnings.warn(
                        f"{len(per_rank)} processes evaluated {stage} data with an unknown split: the logged "
                        "counts may include items the sampler repeated. Yield (inputs, targets, ids) "
                        "batches to have each instance counted once.",
                        UserWarning,
                        stacklevel=2,
                    )
                ids = merged.get("ids", merged.get("instance_id"))
                self.handle.writer.add(
                    step,
                    _fold_for(self.folds[stage], idx),
                    merged["y_true"],
                    merged["y_pred"],
                    instance_ids=ids,
                )
        self._batches = {}

    def close(self) -> None:
        """Close the writer's files (every logged step is already on disk)."""
        self.handle.close()


def _fold_names(folds: str | Sequence[str]) -> list[str]:
    return [folds] if isinstance(folds, str) else [str(f) for f in folds]


def _fold_for(names: list[str], idx: int) -> str:
    return names[idx] if idx < len(names) else f"{names[0]}-{idx}"


def _unshuffled_distributed_length(loader: Any) -> int | None:
    """The dataset's length when ``loader`` splits it with a non-shuffling ``DistributedSampler``."""
    from torch.utils.data.distributed import DistributedSampler

    sampler = getattr(loader, "sampler", None)
    inner = getattr(sampler, "_sampler", sampler)  # Lightning wraps custom samplers
    if isinstance(inner, DistributedSampler) and not inner.shuffle and not inner.drop_last:
        dataset = inner.dataset
        return len(dataset) if isinstance(dataset, Sized) else None
    return None
