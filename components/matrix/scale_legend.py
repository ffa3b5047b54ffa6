"""Colour bars that say what brightness means: one per value scale of the matrix.

The heatmap encoding draws each series in its own hue and the value as brightness (a white overlay
whose opacity falls with the value, :mod:`confusionflow.components.matrix.colorscale`). Three scales are in use:
the cells, the FN column and FP row (one shared scale) and the accuracy corner. Each gets a colour
bar in neutral grey (brightness applies the same way to every series' hue) whose title names the
unit and the scale ("linear · γ 1.00", "log · γ 0.50").

The bars are drawn by marker-only scatter traces with no points, appended after the traces the
geometry lays out (:attr:`~confusionflow.components.matrix.geometry.MatrixGeometry.traces`), so trace numbers
the click decoder and the Patches rely on do not move.
"""

from __future__ import annotations

import re
from typing import Any

from confusionflow.components.matrix.colorscale import (
    accuracy_range,
    linear_ramp,
    ramp_colorscale,
    region_scales,
)
from confusionflow.components.matrix.style import MatrixStyle
from confusionflow.components.options import NORMALIZATION_LABELS
from confusionflow.data_access.views import MatrixValues

LEGEND_GREY = (68, 68, 68)  # the bars' hue: brightness over a neutral dark grey
SCALES = ("cell", "fnfp", "accuracy")
TITLES = {"cell": "cells", "fnfp": "FN / FP", "accuracy": "accuracy"}
_ALPHA = re.compile(r"rgba\(255,255,255,([0-9.]+)\)")


def _on_grey(colorscale: list[list[Any]]) -> list[list[Any]]:
    """A white-overlay colour scale as the colours it gives over ``LEGEND_GREY`` (opaque)."""
    out = []
    for pos, color in colorscale:
        m = _ALPHA.fullmatch(str(color).replace(" ", ""))
        white = float(m.group(1)) if m else 0.0
        r, g, b = (round(255 * white + c * (1 - white)) for c in LEGEND_GREY)
        out.append([pos, f"rgb({r},{g},{b})"])
    return out


def scale_words(style: MatrixStyle) -> str:
    """``"linear · γ 1.00"`` or ``"log · γ 0.50"``: how values map to brightness."""
    return f"{style.scale} · γ {style.gamma:.2f}"


def unit_words(scale: str, normalization: str | None) -> str:
    """What the numbers on one bar are: the cells' normalisation, FN/FP as counts or shares."""
    if scale == "accuracy":
        return "share correct"
    if normalization is None:
        return "instances"
    if scale == "cell":
        return NORMALIZATION_LABELS[normalization]
    return "share (see the note above)"


def legend_props(values: MatrixValues, style: MatrixStyle) -> dict[str, dict[str, Any]]:
    """Per scale: the marker properties of its colour bar (colour scale, range, title, ticks)."""
    scales = region_scales(values)
    acc_lo, acc_hi = accuracy_range(values.accuracy)
    relative = values.normalization is not None
    out: dict[str, dict[str, Any]] = {}
    for k, scale in enumerate(SCALES):
        if scale == "accuracy":
            lo, hi, ramp, words, fmt = acc_lo, acc_hi, linear_ramp(), "linear", ".0%"
        else:
            vmax, eps = scales[scale]
            lo, hi, ramp, words = 0.0, vmax, ramp_colorscale(style, vmax, eps), scale_words(style)
            fmt = ".0%" if relative else "~s"
        out[scale] = {
            "colorscale": _on_grey(ramp),
            "cmin": lo,
            "cmax": hi,
            "colorbar": {
                "title": {
                    "text": f"{TITLES[scale]}<br>{unit_words(scale, values.normalization)}<br>{words}",
                    "side": "top",
                    "font": {"size": 10},
                },
                "tickformat": fmt,
                "tickfont": {"size": 10},
                "thickness": 10,
                "len": 0.27,
                "lenmode": "fraction",
                "x": 1.0,
                "xanchor": "left",
                "xpad": 8,
                "y": 1.0 - 0.36 * k,
                "yanchor": "top",
                "outlinewidth": 0,
            },
        }
    return out


def legend_traces(values: MatrixValues, style: MatrixStyle) -> list[dict[str, Any]]:
    """The colour-bar traces, in ``SCALES`` order (to append after the geometry's traces)."""
    return [
        {
            "type": "scatter",
            "x": [None],
            "y": [None],
            "mode": "markers",
            "hoverinfo": "skip",
            "showlegend": False,
            "name": f"{TITLES[scale]} scale",
            "marker": {**props, "color": [props["cmin"]], "showscale": True},
        }
        for scale, props in legend_props(values, style).items()
    ]


def legend_update(values: MatrixValues, style: MatrixStyle, first_index: int) -> dict[int, dict[str, Any]]:
    """Patch recipe for the bars after a gamma or linear/log change: trace index -> ``marker``."""
    traces = legend_traces(values, style)
    return {first_index + k: {"marker": t["marker"]} for k, t in enumerate(traces)}
