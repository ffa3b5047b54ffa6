"""Step windows: which logged steps a range covers, snapping ranges and points to logged steps.

``steps`` is always a sorted sequence of the logged step numbers (a tensor's ``steps``, or the
selection's union of steps), ``(T,)`` float. Ranges are inclusive ``(lo, hi)`` in step numbers.
:meth:`ConfusionTensor.step_window` slices a tensor with :func:`window_indices`.

Examples
--------
>>> steps = [0.0, 1.0, 2.0, 5.0, 10.0]
>>> window_indices(steps, 0.5, 5.0)
(1, 3)
>>> clamp_range(steps, (0.5, 7.0))
(1.0, 5.0)
>>> nearest_step(steps, 7.4)
5.0
>>> move_step(steps, 2.0, +1, None)
5.0
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

StepRange = tuple[float, float]


def _array(steps: Sequence[float] | np.ndarray) -> np.ndarray:
    return np.asarray(steps, dtype=np.float64).reshape(-1)


def window_indices(steps: Sequence[float] | np.ndarray, lo: float, hi: float) -> tuple[int, int] | None:
    """First and last positions of ``steps`` inside ``[lo, hi]``, or None if no step is inside.

    >>> window_indices([1.0, 2.0, 3.0], 2.5, 2.7) is None
    True
    >>> window_indices([1.0, 2.0, 3.0], -1, 99)
    (0, 2)
    """
    arr = _array(steps)
    i0 = int(np.searchsorted(arr, lo, side="left"))
    i1 = int(np.searchsorted(arr, hi, side="right")) - 1
    return (i0, i1) if i0 <= i1 and i0 < len(arr) else None


def window_mask(
    steps: Sequence[float] | np.ndarray, lo: float | None = None, hi: float | None = None
) -> np.ndarray:
    """``(T,)`` bool, True for steps with ``lo <= step <= hi`` (either bound may be None)."""
    arr = _array(steps)
    keep = np.ones(len(arr), dtype=bool)
    if lo is not None:
        keep &= arr >= lo
    if hi is not None:
        keep &= arr <= hi
    return keep


def clamp_range(steps: Sequence[float] | np.ndarray, step_range: StepRange | None) -> StepRange | None:
    """Snap a range to the logged steps it covers; None when it covers every step or none at all.

    >>> clamp_range([1.0, 2.0, 3.0], (0.0, 9.0)) is None  # everything: no range
    True
    >>> clamp_range([1.0, 2.0, 3.0], (1.5, 3.0))
    (2.0, 3.0)
    """
    arr = _array(steps)
    if step_range is None or len(arr) == 0:
        return None
    idx = window_indices(arr, *step_range)
    if idx is None or (idx[0] == 0 and idx[1] == len(arr) - 1):
        return None
    return (float(arr[idx[0]]), float(arr[idx[1]]))


def window_steps(steps: Sequence[float] | np.ndarray, step_range: StepRange | None) -> np.ndarray:
    """The steps inside ``step_range`` (all of them for None, or when the range holds no step)."""
    arr = _array(steps)
    if step_range is None:
        return arr
    idx = window_indices(arr, *step_range)
    return arr[idx[0] : idx[1] + 1] if idx else arr


def nearest_step(steps: Sequence[float] | np.ndarray, x: float) -> float | None:
    """The logged step closest to ``x`` (the lower one on a tie), None if there are no steps.

    >>> nearest_step([1.0, 3.0], 2.0), nearest_step([], 2.0)
    (1.0, None)
    """
    arr = _array(steps)
    if len(arr) == 0:
        return None
    i = int(np.searchsorted(arr, x, side="left"))
    candidates = [j for j in (i - 1, i) if 0 <= j < len(arr)]
    return float(min((arr[j] for j in candidates), key=lambda s: abs(s - x)))


def move_step(
    steps: Sequence[float] | np.ndarray, current: float | None, direction: int, step_range: StepRange | None
) -> float | None:
    """The previous (``direction < 0``) or next logged step within the range, stopping at its ends;
    the first or last step of the window when ``current`` is None.

    >>> move_step([1.0, 2.0, 3.0], None, -1, None), move_step([1.0, 2.0, 3.0], 3.0, 1, None)
    (3.0, 3.0)
    >>> move_step([1.0, 2.0, 3.0, 4.0], 1.0, 1, (2.0, 3.0))
    2.0
    """
    window = window_steps(steps, step_range)
    if len(window) == 0:
        return None
    if current is None:
        return float(window[0] if direction > 0 else window[-1])
    if direction > 0:
        i = int(np.searchsorted(window, current, side="right"))
        return float(window[min(i, len(window) - 1)])
    i = int(np.searchsorted(window, current, side="left")) - 1
    return float(window[max(i, 0)])


def step_index(steps: Sequence[float] | np.ndarray, step: float) -> int | None:
    """Position of an exact logged step, or None if it was not logged.

    >>> step_index([1.0, 2.5], 2.5), step_index([1.0, 2.5], 2.0)
    (1, None)
    """
    arr = _array(steps)
    i = int(np.searchsorted(arr, step))
    if i < len(arr) and arr[i] == step:
        return i
    return None
