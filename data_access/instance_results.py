"""What the instance level answers: the members of a cell and how they changed, as tables.

Class columns hold class names; see :mod:`confusionflow.data_access.instances` for how they are computed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

# Columns of the result frames. Class columns hold class names; a "previous"/"next" class is None
# when the instance was not in the fold at that step (e.g. it moved from the unlabelled pool to the
# training set in active learning).
ID = "instance_id"
TRUE = "true"
PRED = "pred"
PREV_TRUE = "previous_true"
PREV_PRED = "previous_pred"
NEXT_PRED = "next_pred"


def empty_frame(columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})


@dataclass(frozen=True, eq=False)
class CellMembers:
    """Instances of ``true_classes`` predicted as one of ``pred_classes`` at ``step``.

    members: one row per instance, sorted by id: ``instance_id``, ``true``, ``pred`` (class names).
    total:   instances the fold holds at that step (the denominator of "12 of 1,797").
    problem: why there is no answer (counts-only series, step not logged, unknown class), or None.
    """

    key: str
    step: float
    true_classes: tuple[str, ...]
    pred_classes: tuple[str, ...]
    members: pd.DataFrame
    total: int = 0
    problem: str | None = None

    @property
    def count(self) -> int:
        return len(self.members)

    @property
    def ids(self) -> list:
        """Instance ids as plain Python values (ints or strings), sorted."""
        return self.members[ID].tolist()


@dataclass(frozen=True, eq=False)
class CellTransitions:
    """How a cell's membership changed from ``previous_step`` to ``step``.

    entered: in the cell at ``step`` but not at ``previous_step``: ``instance_id``, ``true``, ``pred``
             (now), ``previous_true``, ``previous_pred`` (None if the instance was not in the fold).
    left:    in the cell at ``previous_step`` but not at ``step``: ``instance_id``, ``previous_true``,
             ``previous_pred``, ``true``, ``next_pred`` (None if the instance is no longer in the fold).
    stayed:  in the cell at both steps, same columns as ``entered`` (an aggregated cell's instances
             may change class inside it).
    All sorted by instance id. ``previous_step`` is None when there is no earlier step.
    """

    key: str
    step: float
    previous_step: float | None
    true_classes: tuple[str, ...]
    pred_classes: tuple[str, ...]
    entered: pd.DataFrame
    left: pd.DataFrame
    stayed: pd.DataFrame
    problem: str | None = None


ENTERED_COLUMNS = (ID, TRUE, PRED, PREV_TRUE, PREV_PRED)
LEFT_COLUMNS = (ID, PREV_TRUE, PREV_PRED, TRUE, NEXT_PRED)
MEMBER_COLUMNS = (ID, TRUE, PRED)


def sort_by_id(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(ID, kind="stable", ignore_index=True)


def cell_table(members: CellMembers, transitions: CellTransitions | None = None) -> pd.DataFrame:
    """The full list as one long table (for CSV export): every instance in the cell at the step and
    every instance that left it since the previous step.

    Columns: ``series``, ``step``, ``previous_step``, ``instance_id``, ``status`` ("entered",
    "stayed", "left", or "in cell" when there is no previous step), ``true``, ``pred`` (at ``step``;
    empty if the instance is no longer in the fold), ``previous_true``, ``previous_pred``.
    """
    columns = ["series", "step", "previous_step", ID, "status", TRUE, PRED, PREV_TRUE, PREV_PRED]
    if members.problem:
        return pd.DataFrame({c: [] for c in columns})
    if transitions is None or transitions.problem is not None:
        frame = members.members.assign(status="in cell", **{PREV_TRUE: None, PREV_PRED: None})
        previous = None
    else:
        previous = transitions.previous_step
        frame = pd.concat(
            [
                transitions.entered.assign(status="entered"),
                transitions.stayed.assign(status="stayed"),
                transitions.left.rename(columns={NEXT_PRED: PRED}).assign(status="left"),
            ],
            ignore_index=True,
        )
    frame = frame.assign(series=members.key, step=members.step, previous_step=previous)
    return sort_by_id(frame[columns])
