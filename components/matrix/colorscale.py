"""Brightness scales of the matrix: value -> white overlay opacity, and the series hue scale.

Cells and the FN/FP margins each get their own ``(vmax, eps)`` (FN and FP share one so the column
and the row compare); accuracy has its own linear range. Changing gamma or linear/log replaces
only these colour scales (the traces hold the true values).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from confusionflow.components.figure_style import MISSING_COLOR
from confusionflow.components.matrix.style import MatrixStyle
from confusionflow.data_access.views import MatrixValues

TINT_AT_ZERO = 0.10  # a zero still shows a faint tint of the series colour (missing steps are grey)
N_STOPS = 33  # colour-scale stops; placed so each step of brightness is equal (exact for log/gamma)


def _finite_max(a: np.ndarray, default: float = 1.0) -> float:
    finite = a[np.isfinite(a)]
    if finite.size == 0:
        return default
    m = float(finite.max())
    return m if m > 0 else default


def _smallest_positive(a: np.ndarray) -> float | None:
    pos = a[np.isfinite(a) & (a > 0)]
    return float(pos.min()) if pos.size else None


def offdiag(values: np.ndarray) -> np.ndarray:
    """``values (S, T, C, C)`` with the diagonal set to NaN (the diagonal is not drawn)."""
    out = np.array(values, dtype=np.float64, copy=True)
    c = out.shape[-1]
    out[..., np.arange(c), np.arange(c)] = np.nan
    return out


def brightness(u: np.ndarray, style: MatrixStyle, vmax: float, eps: float) -> np.ndarray:
    """Brightness in [0, 1] of value ``u * vmax`` (``u`` in [0, 1]) under the style's scale and gamma.

    Linear: ``u ** gamma``. Log: ``(log1p(v / eps) / log1p(vmax / eps)) ** gamma`` where ``eps`` is
    the smallest positive value shown (one instance, in count mode), so a single confusion is
    already visible and the largest cell is full colour.
    """
    u = np.clip(np.asarray(u, dtype=np.float64), 0.0, 1.0)
    if style.scale == "log":
        ratio = max(vmax / eps, 1.0 + 1e-9)
        f = np.log1p(u * ratio) / math.log1p(ratio)
    else:
        f = u
    return f**style.gamma


def ramp_colorscale(style: MatrixStyle, vmax: float, eps: float) -> list[list[Any]]:
    """White-to-transparent colour scale over ``[0, vmax]`` implementing :func:`brightness`.

    Stops are placed at the values where brightness reaches ``k / (N_STOPS - 1)``, so Plotly's
    linear interpolation between stops follows the log or gamma curve closely everywhere (uniform
    stops would smear the steep start of a log curve over the first stop).
    """
    fine = np.linspace(0.0, 1.0, 4097)
    f = brightness(fine, style, vmax, eps)
    levels = np.linspace(0.0, 1.0, N_STOPS)
    pos = np.interp(levels, f, fine)
    pos[0], pos[-1] = 0.0, 1.0
    pos = np.maximum.accumulate(pos)
    keep = np.concatenate([[True], np.diff(pos) > 1e-9])
    pos = pos[keep]
    tint = TINT_AT_ZERO + (1 - TINT_AT_ZERO) * brightness(pos, style, vmax, eps)
    # alpha clamped at 0: a brightness a hair above 1 would print "-0.0000", which Plotly refuses
    return [
        [round(float(p), 6), f"rgba(255,255,255,{max(0.0, 1 - float(a)):.4f})"]
        for p, a in zip(pos, tint, strict=True)
    ]


def linear_ramp() -> list[list[Any]]:
    return [[0.0, f"rgba(255,255,255,{1 - TINT_AT_ZERO:.4f})"], [1.0, "rgba(255,255,255,0)"]]


def hue_colorscale(colors: Sequence[str]) -> list[list[Any]]:
    """Discrete scale for ``uint8`` hue: index ``s`` -> series colour, ``R`` -> missing grey,
    ``R + 1`` -> transparent (gaps, diagonal)."""
    n = len(colors) + 1
    stops = [[s / n, colors[s]] for s in range(len(colors))]
    stops.append([len(colors) / n, MISSING_COLOR])
    stops.append([1.0, "rgba(0,0,0,0)"])
    return stops


def count_dtype(counts: np.ndarray) -> np.dtype:
    return np.dtype(np.uint16) if counts.size == 0 or int(counts.max()) < 65535 else np.dtype(np.uint32)


def region_scales(values: MatrixValues) -> dict[str, tuple[float, float]]:
    """``(vmax, eps)`` per region; FN and FP share one scale so the column and row compare."""
    cells = offdiag(values.values)
    vc = _finite_max(cells)
    fnfp = np.concatenate([values.fn.ravel(), values.fp.ravel()])
    vf = _finite_max(fnfp)

    def eps(a: np.ndarray, vmax: float) -> float:
        sp = _smallest_positive(a)
        return max(sp if sp is not None else vmax * 1e-3, vmax * 1e-4)

    return {"cell": (vc, eps(cells, vc)), "fnfp": (vf, eps(fnfp, vf))}


def accuracy_range(acc: np.ndarray) -> tuple[float, float]:
    finite = acc[np.isfinite(acc)]
    if finite.size == 0:
        return 0.0, 1.0
    lo, hi = float(finite.min()), float(finite.max())
    if hi - lo < 1e-9:  # a constant accuracy: any small window around it
        lo = max(0.0, lo - 0.01)
        hi = lo + 0.02
    return lo, hi
