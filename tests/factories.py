"""Builders the tests share: count arrays with known values, tensors, small log folders, and
readers of Dash component trees.

Every count array here is deterministic, so a test can name the number it expects to see drawn:
``numbered_counts`` and ``unique_counts`` give every cell a value that says where it came from;
``random_counts`` is seeded. Shapes follow the code's conventions: one matrix ``(C, C)`` (rows are
the true class, columns the predicted one), one series ``(T, C, C)``, a tensor ``(S, T, C, C)``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from confusionflow.data_access.tensor import ConfusionTensor, SeriesCounts, SeriesInfo
from confusionflow.data_access.writer import LogWriter

# ----------------------------------------------------------------------------- count arrays


def numbered_counts(n_steps: int, c: int = 4, start: int = 0) -> np.ndarray:
    """``(T, C, C)`` int64 with ``value = start + 100*t + 10*i + j``: every moved cell is traceable."""
    t = np.arange(n_steps)[:, None, None] * 100
    i = np.arange(c)[None, :, None] * 10
    j = np.arange(c)[None, None, :]
    return (start + t + i + j).astype(np.int64)


def unique_counts(n_series: int, n_steps: int, c: int = 3) -> np.ndarray:
    """``(S, T, C, C)`` int64 with ``value = 1000*s + 100*t + 10*i + j + 1``: all distinct, none zero."""
    s = np.arange(n_series)[:, None, None, None] * 1000
    return (s + numbered_counts(n_steps, c, start=1)[None]).astype(np.int64)


def random_counts(shape: tuple[int, ...], seed: int, high: int = 20) -> np.ndarray:
    """Seeded counts in ``[0, high)`` of any ``shape`` (numpy's ``default_rng(seed).integers``)."""
    return np.random.default_rng(seed).integers(0, high, size=shape)


def improving_counts(step: float, scale: int = 1) -> np.ndarray:
    """A ``(3, 3)`` matrix that gets better with the step: the diagonal grows by 1 a step, the
    confusions stay (``[[10+s, 3, 1], [2, 8+s, 2], [1, 1, 5+s]]`` times ``scale``, ``s = int(step)``)."""
    s = int(step)
    return scale * np.array([[10 + s, 3, 1], [2, 8 + s, 2], [1, 1, 5 + s]], dtype=np.int64)


# ----------------------------------------------------------------------------- series and tensors


def series_counts(
    run: str, steps: Sequence[float], counts: np.ndarray, classes: Sequence[str], fold: str = "test"
) -> SeriesCounts:
    """One series ``run/fold`` with its own ``steps`` ``(T,)`` and ``counts`` ``(T, C, C)``."""
    info = SeriesInfo(run=run, fold=fold, classes=tuple(classes))
    return SeriesCounts(info=info, steps=np.asarray(steps, dtype=np.float64), counts=counts)


def make_tensor(
    counts: np.ndarray,
    steps: Sequence[float] | np.ndarray,
    classes: Sequence[str],
    runs: Sequence[str] | None = None,
    *,
    fold: str = "test",
    mask: np.ndarray | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> ConfusionTensor:
    """A tensor straight from ``counts`` ``(S, T, C, C)`` on ``steps`` ``(T,)``.

    ``runs`` names the series (default ``r0, r1, ...``), all on ``fold``. ``mask`` ``(S, T)``
    (default all logged) marks what each series logged; counts where it is False are set to zero,
    as the tensor requires. ``metadata`` is every series' run metadata (e.g. ``superclasses``).
    """
    counts = np.asarray(counts)
    n_s, n_t = counts.shape[:2]
    runs = tuple(runs) if runs is not None else tuple(f"r{i}" for i in range(n_s))
    mask = np.ones((n_s, n_t), dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    counts = np.where(mask[:, :, None, None], counts, 0)
    series = tuple(SeriesInfo(run, fold, tuple(classes), metadata=dict(metadata or {})) for run in runs)
    return ConfusionTensor(counts, mask, np.array(steps, dtype=np.float64), tuple(classes), series)


# ----------------------------------------------------------------------------- log folders


def write_run(
    root: Path,
    run: str,
    classes: Sequence[str],
    *,
    counts: Mapping[str, Mapping[Any, ArrayLike]] | None = None,
    predictions: Mapping[str, Mapping[Any, tuple[ArrayLike, ArrayLike]]] | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> Path:
    """Write one run with the real ``LogWriter``; returns its folder ``root/run``.

    ``counts`` maps fold -> step (a number) -> ``(C, C)`` matrix; ``predictions`` maps fold -> step
    -> ``(y_true, y_pred)`` (labels or class indices, one entry per instance).
    """
    with LogWriter(root, run, list(classes), metadata=dict(metadata) if metadata else None) as w:
        for fold, matrices in (counts or {}).items():
            for step, matrix in matrices.items():
                w.add_counts(step, fold, np.asarray(matrix))
        for fold, labels in (predictions or {}).items():
            for step, (y_true, y_pred) in labels.items():
                w.add(step, fold, y_true, y_pred)
    return root / run


def alpha_beta_logs(root: Path, classes: Sequence[str], steps: Sequence[int]) -> Path:
    """Two runs for the chart-update tests: ``alpha`` on ``test`` and ``train`` (train three times
    the counts) at ``steps``, ``beta`` on ``test`` one step ahead and with an extra step 8."""
    folds = {
        fold: {s: improving_counts(s, scale) for s in steps} for fold, scale in (("test", 1), ("train", 3))
    }
    write_run(root, "alpha", classes, counts=folds)
    write_run(root, "beta", classes, counts={"test": {s: improving_counts(s + 1) for s in (*steps, 8)}})
    return root


def write_broken_run(root: Path, run: str = "broken") -> Path:
    """A run folder whose ``run.json`` is not JSON: a listed problem, never a down page."""
    folder = root / run
    folder.mkdir(parents=True)
    (folder / "run.json").write_text("{not json")
    return folder


# ----------------------------------------------------------------------------- component trees


def walk(component: object) -> Iterator[object]:
    """Every component of a Dash tree, depth first, parents before children (strings skipped)."""
    if component is None or isinstance(component, (str, int, float)):
        return
    if isinstance(component, (list, tuple)):
        for c in component:
            yield from walk(c)
        return
    yield component
    yield from walk(getattr(component, "children", None))


def find_id(component: object, wanted: object) -> Any:
    """The first component with id ``wanted`` inside a tree, or None."""
    return next((c for c in walk(component) if getattr(c, "id", None) == wanted), None)


def layout_props(node: object, wanted: str) -> dict | None:
    """The ``props`` of the component of id ``wanted`` in a ``/_dash-layout`` JSON answer (the tree
    as the browser receives it: ``{"type", "namespace", "props": {...}}`` nodes), or None."""
    if isinstance(node, dict):
        props = node.get("props")
        if isinstance(props, dict) and props.get("id") == wanted:
            return props
        for value in node.values():
            if (found := layout_props(value, wanted)) is not None:
                return found
    elif isinstance(node, list):
        for value in node:
            if (found := layout_props(value, wanted)) is not None:
                return found
    return None


def layout_ids(node: object) -> dict[str, dict]:
    """``{id: props}`` of every component with a string id in a ``/_dash-layout`` JSON answer."""
    found: dict[str, dict] = {}

    def visit(n: object) -> None:
        if isinstance(n, list):
            for child in n:
                visit(child)
        elif isinstance(n, dict) and isinstance(n.get("props"), dict):
            props = n["props"]
            if isinstance(props.get("id"), str):
                found[props["id"]] = props
            visit(props.get("children"))

    visit(node)
    return found


def tree_text(component: object) -> str:
    """All text of a Dash component tree, space-separated (what a user would read)."""
    if component is None:
        return ""
    if isinstance(component, (str, int, float)):
        return str(component)
    if isinstance(component, (list, tuple)):
        return " ".join(tree_text(c) for c in component)
    return tree_text(getattr(component, "children", None))


def callback_request(
    app: Any, output_key: str, values: Mapping[str, object] | None = None, changed: Sequence[str] = ()
) -> dict[str, Any]:
    """The ``_dash-update-component`` body the page sends for the callback whose output key (as in
    ``app.callback_map``) contains ``output_key`` (e.g. ``"matrix-graph.figure"``), built from the
    app's own callback map so it cannot drift from the callbacks. ``values``: input and state values
    by component id (absent ones are None); a pattern-matching input is the empty list of the
    components it matches; ``changed``: the ``changedPropIds``."""
    found = values or {}
    for output, cb in app.callback_map.items():
        if output_key not in output:
            continue
        declared = cb["output"] if isinstance(cb["output"], (list, tuple)) else [cb["output"]]
        outputs = [{"id": o.component_id, "property": o.component_property} for o in declared]

        def item(d: dict) -> object:
            return [] if d["id"].startswith("{") else {**d, "value": found.get(d["id"])}

        return {
            "output": output,
            "outputs": outputs if isinstance(cb["output"], (list, tuple)) else outputs[0],
            "inputs": [item(d) for d in cb["inputs"]],
            "state": [item(d) for d in cb.get("state", [])],
            "changedPropIds": list(changed),
        }
    raise AssertionError(f"no callback has an output {output_key!r}")
