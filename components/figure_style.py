"""Shared look of every figure: fonts, margins, the empty-state figure, epoch and range markers.

Figures use the built-in ``"none"`` template rather than plotly's default so each figure does not
carry ~8 kB of unused template JSON to the browser, and so the look is set in one place (here).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from confusionflow.components.text import plain
from confusionflow.data_access.vocabulary import format_step  # noqa: F401 - re-exported: the one step formatter

FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
FONT_SIZE = 12
TEXT_COLOR = "#222222"
MUTED_COLOR = "#777777"
GRID_COLOR = "#e6e6e6"
AXIS_LINE_COLOR = "#bbbbbb"
MISSING_COLOR = "#ececec"  # a step the series did not log: visibly not "zero"
EPOCH_COLOR = "#333333"
RANGE_BAND_COLOR = "rgba(0, 114, 178, 0.12)"
TEMPLATE = "none"
EPOCH_MARKER_NAME = "epoch-marker"  # every epoch-marker shape carries it, so the browser can swap them
EPOCH_META_KEY = "epoch_marker"  # layout.meta key of the marker recipe (see epoch_marker_meta)
NOTHING_SELECTED = "Nothing selected: choose at least one series with logged steps."


def base_layout(*, height: int | None = None, margin: dict[str, int] | None = None, **extra: Any) -> dict:
    """Layout keys every figure shares; ``extra`` overrides or adds keys."""
    layout: dict[str, Any] = {
        "template": TEMPLATE,
        "font": {"family": FONT_FAMILY, "size": FONT_SIZE, "color": TEXT_COLOR},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "margin": margin or {"l": 60, "r": 20, "t": 40, "b": 50},
        "showlegend": False,
        "hovermode": "closest",
        "hoverlabel": {"font": {"family": FONT_FAMILY, "size": FONT_SIZE}},
    }
    if height is not None:
        layout["height"] = int(height)
    layout.update(extra)
    return layout


def empty_figure(message: str = NOTHING_SELECTED, *, height: int = 300) -> go.Figure:
    """A blank figure that says why it is blank (no series chosen, no steps in the range, ...)."""
    layout = base_layout(
        height=height,
        xaxis={"visible": False},
        yaxis={"visible": False},
        annotations=[
            {
                "text": plain(message),
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 0.5,
                "showarrow": False,
                "font": {"size": FONT_SIZE + 2, "color": MUTED_COLOR},
            }
        ],
    )
    return go.Figure(layout=layout)


def as_2d(values: np.ndarray, name: str) -> np.ndarray:
    """``values`` as a float64 ``(S, T)`` array, with a clear error naming the argument otherwise."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError(f"{name} must have shape (series, steps); got {arr.shape}")
    return arr


def epoch_line_shape(epoch: float, *, xref: str = "x", yref: str = "paper") -> dict:
    """A dashed vertical line at ``epoch`` spanning the whole plot height."""
    return {
        "type": "line",
        "xref": xref,
        "yref": yref,
        "x0": float(epoch),
        "x1": float(epoch),
        "y0": 0,
        "y1": 1,
        "line": {"color": EPOCH_COLOR, "width": 1.5, "dash": "dash"},
        "layer": "above",
        "name": EPOCH_MARKER_NAME,
    }


def epoch_marker_meta(
    *,
    kind: str,
    offsets: Sequence[float],
    span: tuple[float, float],
    line: dict,
    snap_steps: Sequence[float] | None = None,
    time_bin: int = 1,
    origin: float = 0.0,
    scale: float = 1.0,
    visible: tuple[float, float] | None = None,
    axis: str = "x",
    xref: str = "x",
    yref: str = "y",
    segments: Sequence[Sequence[tuple[float, float]]] | None = None,
) -> dict:
    """The recipe, stored in ``layout.meta``, from which the browser draws a figure's epoch markers.

    Why: ``dcc.Graph`` applies any new figure (even a ``Patch`` of one shape) with
    ``Plotly.react``, which decodes every base64 array again and recomputes every trace (200-300 ms
    for a 50-class matrix). ``assets/confusionflow.js`` (``moveEpochMarkers``) instead builds the
    marker shapes from this recipe and swaps them in with ``Plotly.update`` (a few ms).

    Marker coordinates along ``axis`` (data units): ``offsets[k] + v``, where ``v`` is
    ``floor(i / time_bin)`` with ``i`` the index of the step in ``snap_steps`` nearest the epoch
    (markers on discrete time columns), or ``(epoch - origin) * scale`` when ``snap_steps`` is None.
    No marker when the epoch lies outside ``snap_steps`` or ``visible`` (inclusive step numbers).
    ``kind="path"``: one path shape, one segment per offset from ``span[0]`` to ``span[1]`` on the
    other axis, or with ``segments`` (one list of ``(from, to)`` spans per offset) one segment per
    span; ``kind="lines"``: one line shape per offset. Must match the server's own shapes.
    """
    if kind not in ("path", "lines") or axis not in ("x", "y"):
        raise ValueError(f"kind must be 'path' or 'lines' and axis 'x' or 'y', not {kind!r}/{axis!r}")
    return {
        EPOCH_META_KEY: {
            "name": EPOCH_MARKER_NAME,
            "kind": kind,
            "offsets": [float(o) for o in offsets],
            "span": [float(span[0]), float(span[1])],
            "line": dict(line),
            "snap": None if snap_steps is None else [float(s) for s in snap_steps],
            "bin": int(time_bin),
            "origin": float(origin),
            "scale": float(scale),
            "visible": None if visible is None else [float(visible[0]), float(visible[1])],
            "axis": axis,
            "xref": xref,
            "yref": yref,
            "segments": None
            if segments is None
            else [[[float(a), float(b)] for a, b in s] for s in segments],
        }
    }


def range_band_shape(lo: float, hi: float, *, xref: str = "x") -> dict:
    """A shaded band between two steps (the timeline's selected range)."""
    return {
        "type": "rect",
        "xref": xref,
        "yref": "paper",
        "x0": float(lo),
        "x1": float(hi),
        "y0": 0,
        "y1": 1,
        "fillcolor": RANGE_BAND_COLOR,
        "line": {"width": 0},
        "layer": "below",
    }


def step_axis(title: str | None, *, x_range: tuple[float, float] | None = None, **extra: Any) -> dict:
    """A linear x axis for steps, optionally zoomed to ``x_range`` (inclusive step numbers)."""
    axis: dict[str, Any] = {
        "title": {"text": title} if title else None,
        "showgrid": True,
        "gridcolor": GRID_COLOR,
        "zeroline": False,
        "linecolor": AXIS_LINE_COLOR,
        "showline": True,
        "ticks": "outside",
    }
    if x_range is not None:
        lo, hi = float(x_range[0]), float(x_range[1])
        pad = (hi - lo) * 0.02 if hi > lo else 0.5
        axis["range"] = [lo - pad, hi + pad]
    axis.update(extra)
    return {k: v for k, v in axis.items() if v is not None}


def epoch_line_meta() -> dict:
    """``layout.meta`` for a figure whose only epoch marker is :func:`epoch_line_shape` (timeline,
    detail chart): one dashed line at x = epoch spanning the plot height."""
    return epoch_marker_meta(
        kind="lines",
        offsets=[0.0],
        span=(0.0, 1.0),
        line={"color": EPOCH_COLOR, "width": 1.5, "dash": "dash"},
        yref="paper",
    )


def check_colors(colors: Sequence[str], n_series: int) -> list[str]:
    """The first ``n_series`` colours (one per series); a ValueError when there are fewer."""
    colors = list(colors)
    if len(colors) < n_series:
        raise ValueError(f"{n_series} series need {n_series} colours, got {len(colors)}")
    return colors[:n_series]
