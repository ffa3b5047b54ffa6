"""Log a scikit-learn estimator's predictions, once or along a ``partial_fit`` training loop.

    from confusionflow.data_access.writer import LogWriter
    from confusionflow.data_access.integrations.sklearn import fit_incrementally

    with LogWriter("logs", "sgd hinge", classes=[str(c) for c in np.unique(y)]) as log:
        fit_incrementally(log, SGDClassifier(), X_train, y_train, epochs=20,
                          eval_sets={"train": (X_train, y_train), "test": (X_test, y_test)})

Labels are matched to the writer's class names by their text (``7`` -> ``"7"``); integer labels
that are not class names are taken as positions in the class list. scikit-learn is only needed by
the estimator itself: nothing here imports it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from confusionflow.data_access.integrations import LoggedStep, logged_step


def labels_to_indices(labels: Any, classes: Sequence[str], *, what: str = "labels") -> np.ndarray:
    """``(N,)`` class indices into ``classes`` for labels given as names/values or as indices."""
    arr = np.asarray(labels).reshape(-1)
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    lookup = {name: i for i, name in enumerate(classes)}
    uniques, inverse = np.unique(arr, return_inverse=True)
    as_text = [str(u.item() if hasattr(u, "item") else u) for u in uniques]
    if all(t in lookup for t in as_text):
        return np.asarray([lookup[t] for t in as_text], dtype=np.int64)[inverse]
    if arr.dtype.kind in "iu" and uniques.min() >= 0 and uniques.max() < len(classes):
        return arr.astype(np.int64)
    unknown = [t for t in as_text if t not in lookup][:5]
    raise ValueError(f"{what} {unknown} are not among the writer's classes {list(classes)[:10]}")


def _scores_in_writer_order(estimator: Any, X: Any, classes: Sequence[str]) -> np.ndarray | None:
    """``predict_proba`` with columns reordered from ``estimator.classes_`` to the writer's order."""
    proba = np.asarray(estimator.predict_proba(X), dtype=np.float32)
    cols = labels_to_indices(np.asarray(estimator.classes_), classes, what="estimator.classes_")
    out = np.zeros((proba.shape[0], len(classes)), dtype=np.float32)
    out[:, cols] = proba
    return out


def log_estimator(
    writer: Any,
    step: float,
    fold: str,
    estimator: Any,
    X: Any,
    y: Any,
    *,
    instance_ids: Any | None = None,
    log_scores: bool = False,
) -> LoggedStep:
    """Predict ``X`` with a fitted ``estimator`` and log it against ``y`` as ``step`` of ``fold``.

    ``instance_ids`` default to row positions (stable when ``X`` is the same array every step).
    With ``log_scores`` and an estimator that has ``predict_proba``, the class probabilities are
    stored too. Returns the count and accuracy logged.
    """
    classes = writer.classes
    y_true = labels_to_indices(y, classes, what="y")
    y_pred = labels_to_indices(estimator.predict(X), classes, what="predictions")
    scores = _scores_in_writer_order(estimator, X, classes) if log_scores else None
    writer.add(step, fold, y_true, y_pred, instance_ids=instance_ids, scores=scores)
    return logged_step(step, fold, y_true, y_pred)


def fit_incrementally(
    writer: Any,
    estimator: Any,
    X: Any,
    y: Any,
    *,
    epochs: int,
    eval_sets: Mapping[str, tuple[Any, Any]],
    batch_size: int | None = None,
    classes: Sequence[Any] | None = None,
    shuffle: bool = True,
    random_state: int | None = 0,
    first_step: int = 1,
) -> list[LoggedStep]:
    """Train with ``partial_fit`` for ``epochs`` passes over ``(X, y)``, logging every fold after each.

    Each epoch visits the training rows in mini-batches of ``batch_size`` (all rows at once when
    None), shuffled with ``random_state`` unless ``shuffle`` is False; then every ``eval_sets``
    fold (``name -> (X, y)``) is predicted and logged at step ``first_step + epoch``. ``classes``
    (for ``partial_fit``'s first call) defaults to the labels of ``y`` and of the eval folds.
    Returns one :class:`LoggedStep` per fold per epoch, in logging order.
    """
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}")
    if not eval_sets:
        raise ValueError("eval_sets is empty: name at least one fold to log, e.g. {'test': (X_test, y_test)}")
    X_arr = X
    y_arr = np.asarray(y)
    n = len(y_arr)
    if batch_size is not None and batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    size = n if batch_size is None else batch_size
    all_classes = classes
    if all_classes is None:
        all_classes = np.unique(
            np.concatenate([y_arr.reshape(-1), *[np.asarray(v[1]).reshape(-1) for v in eval_sets.values()]])
        ).tolist()
    rng = np.random.default_rng(random_state)
    logged: list[LoggedStep] = []
    for epoch in range(epochs):
        order = rng.permutation(n) if shuffle else np.arange(n)
        for start in range(0, n, size):
            rows = order[start : start + size]
            estimator.partial_fit(_take(X_arr, rows), y_arr[rows], classes=all_classes)
        step = first_step + epoch
        for fold, (X_eval, y_eval) in eval_sets.items():
            logged.append(log_estimator(writer, step, fold, estimator, X_eval, y_eval))
    return logged


def _take(X: Any, rows: np.ndarray) -> Any:
    """Rows of an array, a sparse matrix or a DataFrame."""
    if hasattr(X, "iloc"):
        return X.iloc[rows]
    return X[rows]
