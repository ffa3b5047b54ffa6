"""The one value per cell that the C x C overview draws, computed from sparse counts.

Three kinds (``OverviewKind``), each a ``(C, C)`` float32 array in class order (rows = true):

- ``"step"``: the confusion of one series at one step;
- ``"change"``: the confusion of one series at ``end`` minus at ``start``;
- ``"difference"``: series ``a`` minus series ``b`` at one step.

Values are counts (``normalize=None``) or shares with :func:`confusionflow.data_access.metrics.normalize`'s
meaning (``"true"``: of the true class's instances, the default, so folds and classes of different
sizes compare). Only the one or two ``(C, C)`` matrices involved are densified (4 MB as float32 at
1000 classes). The diagonal (correct predictions) dwarfs every confusion, so by default it is NaN
(not drawn); the figure's title says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from confusionflow.data_access.metrics import Normalization, normalize
from confusionflow.data_access.sparse_counts import SparseCounts
from confusionflow.data_access.strategies import needs, series_index, step_index
from confusionflow.data_access.vocabulary import format_step

OverviewKind = Literal["step", "change", "difference"]
VALUE_PHRASES: dict[str | None, str] = {
    None: "instances",
    "true": "share of the true class",
    "pred": "share of the predicted class",
    "all": "share of all instances",
}


@dataclass(frozen=True)
class OverviewValues:
    """values: ``(C, C)`` float32 (NaN on the diagonal unless kept); ``signed``: a change or a
    difference (draw with a diverging scale around 0); ``description``: what the values are."""

    values: np.ndarray
    signed: bool
    description: str
    normalization: Normalization | None


def _cells(
    counts: SparseCounts, series: str, step: float, norm: Normalization | None, need: str | None = None
) -> np.ndarray:
    s = series_index(counts, series)
    return normalize(counts.matrix(s, step_index(counts, s, step, need)), norm)


def overview_values(
    counts: SparseCounts,
    kind: OverviewKind,
    *,
    series: str,
    step: float,
    start: float | None = None,
    other_series: str | None = None,
    normalization: Normalization | None = "true",
    keep_diagonal: bool = False,
) -> OverviewValues:
    """Values of the overview; see the module docstring.

    ``step`` is the step shown (the range's end for ``"change"``); ``start`` the range's start
    (``"change"`` only); ``other_series`` the subtracted series (``"difference"`` only). A series
    without the step raises :class:`~confusionflow.data_access.strategies.StrategyError` naming fold and step.
    """
    what = VALUE_PHRASES[normalization]
    if kind == "step":
        vals = _cells(counts, series, step, normalization, needs("the overview at the epoch", step))
        desc, signed = f"{series} at step {format_step(step)} ({what})", False
    elif kind == "change":
        if start is None:
            raise ValueError("a change needs the range's start step")
        need = needs("the overview of the change over the range", start, step)
        vals = _cells(counts, series, step, normalization, need) - _cells(
            counts, series, start, normalization, need
        )
        desc, signed = f"{series}: step {format_step(step)} minus step {format_step(start)} ({what})", True
    elif kind == "difference":
        if other_series is None:
            raise ValueError("a difference needs a second series")
        need = needs(f"the overview of {series} minus {other_series}", step)
        vals = _cells(counts, series, step, normalization, need) - _cells(
            counts, other_series, step, normalization, need
        )
        desc, signed = f"{series} minus {other_series} at step {format_step(step)} ({what})", True
    else:
        raise ValueError(f"unknown overview kind {kind!r}; expected 'step', 'change' or 'difference'")
    out = vals.astype(np.float32)
    if not keep_diagonal:
        np.fill_diagonal(out, np.nan)
        desc += "; diagonal (correct predictions) not drawn"
    return OverviewValues(out, signed, desc, normalization)
