"""When each step was logged, in words for hovers: ``2026-11-30 14:02:11 UTC (+3 min 10 s since epoch 1)``.

Times are Unix seconds (``confusionflow.data_access.walltime``), shown in UTC so every viewer reads
the same clock; the elapsed time is counted from the first step of the same series that has a
time. A step without a time (logs written before times were stored, or by hand) gets no words at
all: nothing is guessed. Only numbers and fixed words are produced here, never user strings.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np

from confusionflow.components.figure_style import format_step

SEPARATOR = " · "


def utc_text(seconds: float) -> str | None:
    """``"2026-11-30 14:02:11 UTC"`` for Unix ``seconds`` (fractions dropped); None if the value is
    not a time a calendar can show (NaN, infinite, beyond year 9999)."""
    if not math.isfinite(seconds):
        return None
    try:
        moment = datetime.fromtimestamp(math.floor(seconds), tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def elapsed_text(seconds: float) -> str:
    """A non-negative duration in the two largest units that matter: ``"4.2 s"`` (under 10 s),
    ``"42 s"``, ``"3 min 10 s"``, ``"2 h 5 min"``, ``"3 d 4 h"``; a whole leading unit stands
    alone (``"3 min"``, not ``"3 min 0 s"``)."""
    seconds = abs(float(seconds))
    if seconds < 10 and round(seconds, 1) != round(seconds):
        return f"{seconds:.1f} s"
    total = round(seconds)
    if total < 60:
        return f"{total} s"
    for unit, size, sub, sub_size in (("d", 86400, "h", 3600), ("h", 3600, "min", 60), ("min", 60, "s", 1)):
        if total >= size:
            whole, rest = divmod(total, size)
            part = rest // sub_size
            return f"{whole} {unit}" + (f" {part} {sub}" if part else "")
    raise AssertionError("unreachable: total >= 60 matches a unit")  # pragma: no cover


def time_note(time: float, first_step: float | None, first_time: float | None, step_name: str) -> str:
    """What a hover says about when a step was logged: ``"2026-11-30 14:02:11 UTC (+3 min 10 s
    since epoch 1)"``, counted from the series' first timed step ``first_step`` logged at
    ``first_time``; the time alone for that first step itself (``first_step`` None); ``""`` when
    ``time`` is NaN (no time known)."""
    shown = utc_text(time)
    if shown is None:
        return ""
    if first_step is None or first_time is None or utc_text(first_time) is None:
        return shown
    delta = time - first_time
    since = f"{step_name} {format_step(first_step)}"
    if delta >= 0:
        return f"{shown} (+{elapsed_text(delta)} since {since})"
    return f"{shown} ({elapsed_text(delta)} before {since})"  # a clock set back, or a resumed run


def time_notes(steps: np.ndarray, times: np.ndarray, step_name: str) -> list[list[str]]:
    """``(S, T)`` notes (:func:`time_note`) for ``times`` ``(S, T)`` Unix seconds (NaN: no time) at
    ``steps`` ``(T,)``; each series counts from its own first step that has a time."""
    steps = np.asarray(steps, dtype=np.float64)
    times = np.asarray(times, dtype=np.float64)
    if times.ndim != 2 or times.shape[1] != steps.size:
        raise ValueError(f"times must have shape (series, {steps.size}); got {times.shape}")
    out: list[list[str]] = []
    for row in times:
        timed = np.flatnonzero(np.isfinite(row))
        first = int(timed[0]) if timed.size else None
        first_step = float(steps[first]) if first is not None else None
        first_time = float(row[first]) if first is not None else None
        out.append(
            [
                time_note(float(t), None if i == first else first_step, first_time, step_name)
                for i, t in enumerate(row.tolist())
            ]
        )
    return out


def step_line(step: float, note: str, step_name: str) -> str:
    """``"epoch 5"``, followed by ``" · <note>"`` when the step has a time note."""
    head = f"{step_name} {format_step(step)}"
    return head + SEPARATOR + note if note else head
