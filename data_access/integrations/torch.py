"""Log a PyTorch model's predictions on a ``DataLoader`` after each epoch.

    from confusionflow.data_access.writer import LogWriter
    from confusionflow.data_access.integrations.torch import log_pytorch_epoch

    with LogWriter("logs", "resnet18 lr=0.1", classes=train_set.classes) as log:
        for epoch in range(1, epochs + 1):
            train_one_epoch(model, train_loader)
            log_pytorch_epoch(log, epoch, "test", model, test_loader, device="cuda")

``torch`` is imported inside the functions, so this module imports without it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from confusionflow.data_access.integrations import LoggedStep, logged_step

_INPUT_KEYS = ("input", "inputs", "x", "image", "images", "data")
_TARGET_KEYS = ("target", "targets", "label", "labels", "y")
_ID_KEYS = ("instance_id", "instance_ids", "id", "ids", "index", "indices")


def _split_batch(batch: Any) -> tuple[Any, Any, Any | None]:
    """``(inputs, targets, instance_ids or None)`` from a ``(x, y)``/``(x, y, ids)`` tuple or a dict."""
    if isinstance(batch, Mapping):

        def pick(keys: tuple[str, ...], required: bool) -> Any:
            for k in keys:
                if k in batch:
                    return batch[k]
            if required:
                raise ValueError(f"batch dict has keys {sorted(batch)}; expected one of {list(keys)}")
            return None

        return pick(_INPUT_KEYS, True), pick(_TARGET_KEYS, True), pick(_ID_KEYS, False)
    if isinstance(batch, (tuple, list)) and len(batch) in (2, 3):
        return batch[0], batch[1], batch[2] if len(batch) == 3 else None
    raise ValueError(
        "each batch must be (inputs, targets), (inputs, targets, instance_ids) or a dict with input and "
        f"target keys; got {type(batch).__name__}"
        + (f" of length {len(batch)}" if isinstance(batch, (tuple, list)) else "")
    )


def _to_device(x: Any, device: Any) -> Any:
    if hasattr(x, "to"):
        return x.to(device)
    if isinstance(x, (tuple, list)):
        return type(x)(_to_device(v, device) for v in x)
    if isinstance(x, Mapping):
        return {k: _to_device(v, device) for k, v in x.items()}
    return x


def _ids_array(ids: Any) -> np.ndarray:
    if hasattr(ids, "detach"):
        ids = ids.detach().cpu().numpy()
    arr = np.asarray(ids)
    return arr.astype(str) if arr.dtype.kind == "O" else arr


def predict_loader(
    model: Any,
    loader: Iterable,
    *,
    device: Any = "cpu",
    to_labels: Callable[[Any], Any] | None = None,
    with_scores: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Run ``model`` over ``loader`` without gradients and in eval mode (restored afterwards).

    Returns ``(y_true (N,), y_pred (N,), instance_ids (N,) or None, scores (N, C) or None)``.
    ``y_pred`` is ``outputs.argmax(1)`` for ``(batch, C)`` outputs, or ``to_labels(outputs)``;
    ``scores`` (with ``with_scores``) are the softmax of the outputs.
    """
    import torch

    was_training = bool(getattr(model, "training", False))
    trues: list[np.ndarray] = []
    preds: list[np.ndarray] = []
    ids: list[np.ndarray] = []
    scores: list[np.ndarray] = []
    missing_ids = False
    model.eval()
    try:
        with torch.no_grad():
            for batch in loader:
                inputs, targets, batch_ids = _split_batch(batch)
                outputs = model(_to_device(inputs, device))
                if to_labels is not None:
                    pred = to_labels(outputs)
                else:
                    if not hasattr(outputs, "argmax") or outputs.ndim != 2:
                        shape = tuple(getattr(outputs, "shape", ()))
                        raise ValueError(
                            f"model output has shape {shape}; expected (batch, classes) scores, or pass "
                            "to_labels= to turn outputs into class indices"
                        )
                    pred = outputs.argmax(dim=1)
                    if with_scores:
                        scores.append(torch.softmax(outputs.float(), dim=1).cpu().numpy())
                pred_np = pred.detach().cpu().numpy() if hasattr(pred, "detach") else np.asarray(pred)
                true_np = (
                    targets.detach().cpu().numpy() if hasattr(targets, "detach") else np.asarray(targets)
                )
                if true_np.shape != pred_np.shape:
                    raise ValueError(f"targets have shape {true_np.shape} but predictions {pred_np.shape}")
                trues.append(true_np.reshape(-1))
                preds.append(pred_np.reshape(-1))
                if batch_ids is None:
                    missing_ids = True
                else:
                    ids.append(_ids_array(batch_ids).reshape(-1))
    finally:
        model.train(was_training)
    y_true = np.concatenate(trues) if trues else np.zeros(0, dtype=np.int64)
    y_pred = np.concatenate(preds) if preds else np.zeros(0, dtype=np.int64)
    if ids and missing_ids:
        raise ValueError("some batches carry instance ids and some do not")
    instance_ids = np.concatenate(ids) if ids else None
    return y_true, y_pred, instance_ids, (np.concatenate(scores) if scores else None)


def _shuffles(loader: Any) -> bool:
    try:
        from torch.utils.data import RandomSampler
    except ImportError:  # pragma: no cover - torch is imported before this is called
        return False
    sampler = getattr(loader, "sampler", None)
    batch_sampler = getattr(loader, "batch_sampler", None)
    inner = getattr(batch_sampler, "sampler", None)
    return isinstance(sampler, RandomSampler) or isinstance(inner, RandomSampler)


def log_pytorch_epoch(
    writer: Any,
    step: float,
    fold: str,
    model: Any,
    loader: Iterable,
    *,
    device: Any = "cpu",
    to_labels: Callable[[Any], Any] | None = None,
    log_scores: bool = False,
) -> LoggedStep:
    """Evaluate ``model`` on ``loader`` and log the predictions as ``step`` of ``fold``.

    Targets and predictions are class indices into ``writer.classes``. Instance ids come from the
    loader when its batches carry them (``(x, y, ids)`` or an ``id``/``index`` key); otherwise an
    instance's id is its position in the loader's order, which only identifies the same instance
    across steps when the loader does not shuffle (a warning says so when it does).
    With ``log_scores`` the softmax scores are stored too. Returns the count and accuracy logged.
    """
    y_true, y_pred, instance_ids, scores = predict_loader(
        model, loader, device=device, to_labels=to_labels, with_scores=log_scores
    )
    if instance_ids is None and _shuffles(loader) and getattr(writer, "store_instances", False):
        warnings.warn(
            "the DataLoader shuffles and its batches carry no instance ids: instances are logged by "
            "position, which differs between epochs. Yield (inputs, targets, ids) or use shuffle=False "
            "to follow instances over time; the confusion counts are correct either way.",
            UserWarning,
            stacklevel=2,
        )
    writer.add(step, fold, y_true, y_pred, instance_ids=instance_ids, scores=scores)
    return logged_step(step, fold, y_true, y_pred)
