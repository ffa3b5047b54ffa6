"""Instance level (L3): which instances sit in a confusion cell at a step, and which entered or left it.

Only per-instance folds (``<fold>.predictions/``) can answer this; a counts-only fold logged the
matrix alone. Every function here returns a result carrying a ``problem`` sentence instead of
raising when the answer does not exist (a counts-only series, a step that was not logged, a class
the series does not have), so the app can show it as is. Damaged files still raise
:class:`~confusionflow.data_access.errors.LogFormatError` naming the file.

Cells are addressed by class *names*. A cell of the matrix the user sees may be a group of classes
(a superclass, or the "(other)" bucket of the class selection): pass the member class names as a
collection for the true side and/or the predicted side. :func:`confusionflow.data_access.class_groups.display_groups`
turns the app's class selection into exactly those collections, from the same grouping the tensor is
regrouped with (``ConfusionTensor.for_display``).

Instances are matched across steps by ``instance_id``. All work is vectorised: membership is a
lookup of ``(y_true, y_pred)`` in two boolean class masks, matching across steps is one hash join
(``pandas.Index.get_indexer``); results are sorted by instance id.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from confusionflow.data_access import logformat as lf
from confusionflow.data_access.class_groups import display_groups  # noqa: F401 - re-exported for callers
from confusionflow.data_access.errors import LogFormatError
from confusionflow.data_access.instance_results import (  # noqa: F401 - re-exported: the results' names
    ENTERED_COLUMNS,
    ID,
    LEFT_COLUMNS,
    MEMBER_COLUMNS,
    NEXT_PRED,
    PRED,
    PREV_PRED,
    PREV_TRUE,
    TRUE,
    CellMembers,
    CellTransitions,
    cell_table,
    empty_frame,
    sort_by_id,
)
from confusionflow.data_access.reader import fold_source
from confusionflow.data_access.run_file import read_run
from confusionflow.data_access.step_files import list_step_files


class InstanceStore(Protocol):
    """What the instance level needs of a ``LogStore``."""

    @property
    def root(self) -> Path: ...

    def instances(self, key: str, step: float) -> pd.DataFrame | None: ...

    def check_inside(self, *paths: str | Path) -> None: ...


ClassSpec = str | Collection[str]


# ----------------------------------------------------------------------------- series lookup
@dataclass(frozen=True)
class InstanceSeries:
    """What a series offers at the instance level.

    classes: the run's class list (indices in the step files index it).
    steps:   logged steps that have per-instance predictions, sorted; empty for a counts-only fold.
    problem: why there is nothing to show (unknown series, counts only), or None.
    """

    key: str
    classes: tuple[str, ...] = ()
    steps: tuple[float, ...] = ()
    pred_dir: Path | None = None
    problem: str | None = None

    @property
    def has_instances(self) -> bool:
        return self.problem is None

    def previous_step(self, step: float) -> float | None:
        """The logged step just before ``step`` (which need not be logged itself), or None."""
        i = int(np.searchsorted(np.asarray(self.steps, dtype=np.float64), float(step), side="left"))
        return float(self.steps[i - 1]) if i > 0 else None

    def last_step_within(self, lo: float | None, hi: float | None) -> float | None:
        """The last logged step with ``lo <= step <= hi`` (either bound may be None), or None."""
        inside = [s for s in self.steps if (lo is None or s >= lo) and (hi is None or s <= hi)]
        return inside[-1] if inside else None


def instance_series(store: InstanceStore, key: str) -> InstanceSeries:
    """Look ``key`` (``"run/fold"``) up under ``store.root``: its classes and per-instance steps.

    Reads ``run.json`` and lists the predictions folder; no step file is opened.
    """
    try:
        run, fold = lf.split_key(key)
    except ValueError as e:
        return InstanceSeries(key, problem=f"unknown series {key!r}: {e}")
    root = Path(store.root)
    if not (root / run / lf.RUN_FILE).is_file():
        return InstanceSeries(key, problem=f"unknown series {key!r}: no run {run!r} in {root}")
    store.check_inside(root / run / lf.RUN_FILE)  # resolving it covers its run folder too
    run_file = read_run(root, run)
    source = fold_source(root, run, fold)
    if source is None:
        return InstanceSeries(key, run_file.classes, problem=f"unknown series {key!r}: no fold {fold!r}")
    store.check_inside(source.path)
    if source.kind != "predictions":
        return InstanceSeries(
            key,
            run_file.classes,
            problem=f"{run} / {fold} logged counts only (no per-instance predictions), "
            "so its instances cannot be listed",
        )
    steps = tuple(float(s) for s, _ in list_step_files(source.path))
    if not steps:
        return InstanceSeries(key, run_file.classes, (), source.path, f"{source.path} holds no step file yet")
    return InstanceSeries(key, run_file.classes, steps, source.path)


def _class_mask(
    classes: Sequence[str], spec: ClassSpec, side: str
) -> tuple[np.ndarray, tuple[str, ...], str]:
    """Boolean mask over class indices for a name or a collection of names; a problem if unknown."""
    names = (spec,) if isinstance(spec, str) else tuple(dict.fromkeys(spec))
    mask = np.zeros(len(classes), dtype=bool)
    lookup = {c: i for i, c in enumerate(classes)}
    unknown = [n for n in names if n not in lookup]
    if not names:
        return mask, names, f"no {side} class given"
    if unknown:
        return mask, names, f"{side} class {unknown[0]!r} is not one of this series' {len(classes)} classes"
    mask[[lookup[n] for n in names]] = True
    return mask, names, ""


def _step_text(step: float) -> str:
    return lf.format_step(float(step))


def _missing_step(series: InstanceSeries, step: float) -> str:
    span = f"{_step_text(series.steps[0])}–{_step_text(series.steps[-1])}"
    return (
        f"step {_step_text(step)} is not logged for {series.key} "
        f"({len(series.steps)} steps with per-instance predictions, {span})"
    )


def _read_step(store: InstanceStore, series: InstanceSeries, step: float) -> pd.DataFrame | None:
    """The step's predictions (``instance_id``, ``y_true``, ``y_pred``), ids checked to be unique."""
    frame = store.instances(series.key, step)
    if frame is None:
        return None
    ids = frame[lf.COL_INSTANCE]
    if not ids.is_unique:
        dup = ids[ids.duplicated()].tolist()[0]
        path = (series.pred_dir or Path(series.key)) / lf.step_file_name(float(step))
        raise LogFormatError(
            path,
            f"instance_id {dup!r} appears {int((ids == dup).sum())} times; ids must be unique within a step",
        )
    return frame


def _names(classes: Sequence[str], idx: np.ndarray) -> pd.Series:
    """Class names for class indices; -1 (not in the fold) becomes None.

    An object Series: pandas would otherwise infer its string dtype and turn None into NaN.
    """
    lookup = np.asarray([*classes, None], dtype=object)
    return pd.Series(lookup[np.where(idx < 0, len(classes), idx)], dtype=object)


def _prepare(
    series: InstanceSeries, true_class: ClassSpec, pred_class: ClassSpec, steps: Sequence[float | None]
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...], tuple[str, ...], str | None]:
    """Shared checks: ``(true mask (C,), pred mask (C,), true names, pred names, problem)``; the
    masks are all False when there is a problem."""
    t_names = (true_class,) if isinstance(true_class, str) else tuple(true_class)
    p_names = (pred_class,) if isinstance(pred_class, str) else tuple(pred_class)
    if series.problem:
        none = np.zeros(len(series.classes), dtype=bool)
        return none, none, t_names, p_names, series.problem
    t_mask, t_names, t_problem = _class_mask(series.classes, true_class, "true")
    p_mask, p_names, p_problem = _class_mask(series.classes, pred_class, "predicted")
    problem = t_problem or p_problem
    if not problem:
        for s in steps:
            if s is not None and float(s) not in series.steps:
                problem = _missing_step(series, float(s))
                break
    return t_mask, p_mask, t_names, p_names, problem or None


def cell_members(
    store: InstanceStore, key: str, true_class: ClassSpec, pred_class: ClassSpec, step: float
) -> CellMembers:
    """Which instances of ``key`` have a true class in ``true_class`` and are predicted as one of
    ``pred_class`` at ``step`` (class names; a collection of names for an aggregated cell).

    A counts-only series, an unlogged step or an unknown class gives a result with ``problem`` set
    and no members.
    """
    series = instance_series(store, key)
    t_mask, p_mask, t_names, p_names, problem = _prepare(series, true_class, pred_class, [step])
    if problem:
        return CellMembers(key, float(step), t_names, p_names, empty_frame(MEMBER_COLUMNS), 0, problem)
    frame = _read_step(store, series, step)
    if frame is None:  # the file vanished between listing and reading
        return CellMembers(
            key, float(step), t_names, p_names, empty_frame(MEMBER_COLUMNS), 0, _missing_step(series, step)
        )
    yt, yp = frame[lf.COL_TRUE].to_numpy(), frame[lf.COL_PRED].to_numpy()
    inside = t_mask[yt] & p_mask[yp]
    members = pd.DataFrame(
        {
            ID: frame[lf.COL_INSTANCE].to_numpy()[inside],
            TRUE: _names(series.classes, yt[inside]),
            PRED: _names(series.classes, yp[inside]),
        }
    )
    return CellMembers(key, float(step), t_names, p_names, sort_by_id(members), len(frame))


def cell_transitions(
    store: InstanceStore,
    key: str,
    true_classes: ClassSpec,
    pred_classes: ClassSpec,
    step: float,
    previous_step: float | None = None,
) -> CellTransitions:
    """Instances that entered, left or stayed in a cell between ``previous_step`` and ``step``.

    ``previous_step`` defaults to the series' logged step just before ``step``. Entered instances
    carry where they were before (``previous_true``/``previous_pred``), left ones where they went
    (``next_pred``); None means "not in the fold at that step". At the first logged step there is
    nothing to compare with: the result says so in ``problem``.
    """
    series = instance_series(store, key)
    if previous_step is None and series.has_instances:
        previous_step = series.previous_step(step)
    t_mask, p_mask, t_names, p_names, problem = _prepare(
        series, true_classes, pred_classes, [step, previous_step]
    )
    if not problem and previous_step is None:
        problem = (
            f"step {_step_text(step)} is the first logged step of {key}: there is no earlier step to compare"
        )

    def empty(message: str) -> CellTransitions:
        return CellTransitions(
            key,
            float(step),
            None if previous_step is None else float(previous_step),
            t_names,
            p_names,
            empty_frame(ENTERED_COLUMNS),
            empty_frame(LEFT_COLUMNS),
            empty_frame(ENTERED_COLUMNS),
            message,
        )

    if problem or previous_step is None:
        return empty(problem or "no previous step")
    now = _read_step(store, series, step)
    before = _read_step(store, series, previous_step)
    if now is None or before is None:
        return empty(_missing_step(series, step if now is None else previous_step))

    ids_now, ids_before = now[lf.COL_INSTANCE].to_numpy(), before[lf.COL_INSTANCE].to_numpy()
    yt_now, yp_now = now[lf.COL_TRUE].to_numpy(), now[lf.COL_PRED].to_numpy()
    yt_before, yp_before = before[lf.COL_TRUE].to_numpy(), before[lf.COL_PRED].to_numpy()
    in_now = t_mask[yt_now] & p_mask[yp_now]
    in_before = t_mask[yt_before] & p_mask[yp_before]

    # members now -> their row at the previous step (-1: not in the fold then)
    cur = np.flatnonzero(in_now)
    pos = pd.Index(ids_before).get_indexer(ids_now[cur])
    was_inside = np.zeros(len(cur), dtype=bool)
    was_inside[pos >= 0] = in_before[pos[pos >= 0]]
    prev_true = np.where(pos >= 0, yt_before[np.maximum(pos, 0)], -1)
    prev_pred = np.where(pos >= 0, yp_before[np.maximum(pos, 0)], -1)
    new = cur[~was_inside]
    entered = pd.DataFrame(
        {
            ID: ids_now[new],
            TRUE: _names(series.classes, yt_now[new]),
            PRED: _names(series.classes, yp_now[new]),
            PREV_TRUE: _names(series.classes, prev_true[~was_inside]),
            PREV_PRED: _names(series.classes, prev_pred[~was_inside]),
        }
    )
    kept = cur[was_inside]
    stayed = pd.DataFrame(
        {
            ID: ids_now[kept],
            TRUE: _names(series.classes, yt_now[kept]),
            PRED: _names(series.classes, yp_now[kept]),
            PREV_TRUE: _names(series.classes, prev_true[was_inside]),
            PREV_PRED: _names(series.classes, prev_pred[was_inside]),
        }
    )

    # members before -> their row now (-1: no longer in the fold)
    old = np.flatnonzero(in_before)
    pos_now = pd.Index(ids_now).get_indexer(ids_before[old])
    still = np.zeros(len(old), dtype=bool)
    still[pos_now >= 0] = in_now[pos_now[pos_now >= 0]]
    gone = old[~still]
    gone_pos = pos_now[~still]
    left = pd.DataFrame(
        {
            ID: ids_before[gone],
            PREV_TRUE: _names(series.classes, yt_before[gone]),
            PREV_PRED: _names(series.classes, yp_before[gone]),
            TRUE: _names(series.classes, np.where(gone_pos >= 0, yt_now[np.maximum(gone_pos, 0)], -1)),
            NEXT_PRED: _names(series.classes, np.where(gone_pos >= 0, yp_now[np.maximum(gone_pos, 0)], -1)),
        }
    )
    return CellTransitions(
        key,
        float(step),
        float(previous_step),
        t_names,
        p_names,
        sort_by_id(entered),
        sort_by_id(left),
        sort_by_id(stayed),
    )
