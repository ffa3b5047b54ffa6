"""The ConfusionFlow matrix (view A) as one Plotly figure with few traces.

Layout: a C x C grid of tiles (rows = true class, columns = predicted class, scikit-learn's
convention), then, after a wider gap, a false-negative column on the right, a false-positive row at
the bottom and the accuracy corner. Diagonal tiles show the class name instead of (large) correct
counts.

**Heatmap encoding** (default, the "lasagna plot"). Both axes are *categorical*: every brick column
and row of the tiled grid has its own category label, e.g. column ``"pred: dog · epoch 12"`` and row
``"true: cat · lr=0.1 / test"``. Hover text then comes from ``%{x}``/``%{y}`` at no payload cost
(per-cell ``customdata`` strings would multiply the payload ~5x). Plotly places a heatmap on a
categorical axis uniformly from ``x0``/``dx`` (measured: it ignores the categories of a per-trace
``x`` array), so each region is a contiguous block placed by its origin. Five heatmaps in all:

* trace 0, ``hue``: the whole grid, ``uint8`` series index per brick, drawn in the series' colour.
  It is also the click target (``hoverinfo="none"``: events without a label), so a click anywhere
  in a tile (a step a series did not log, a diagonal tile) still resolves to the tile;
* traces 1-4, ``values`` of the cells, FN column, FP row and accuracy corner: the *true* values
  (``float32``) under a white colour scale whose opacity falls with the value, so brightness
  encodes the value on top of the hue. Because ``z`` holds real values, hover shows them, and
  changing gamma or linear/log only replaces the colour scales (:func:`colorscale_update`).

Categorical axes cost the browser time per trace and per brick (measured ~100 ms per extra trace
at 50 classes), hence one hue layer and no per-tile traces. Above ``CELL_BUDGET`` bricks per layer
(e.g. 50 classes x 3 series x 100 steps), consecutive steps are averaged into one time column
(``MatrixGeometry.time_bin``); labels then read ``"epochs 8–15"`` and hover says it is a mean.

A step a series did not log is NaN in ``values`` (no hover) and light grey in ``hue``, so a gap
never reads as a zero. In relative mode, ``customdata`` carries the raw counts (``uint16`` or
``uint32``) so hover shows "12.5 % of the true class (37 instances)".

``rotate`` (heatmap only) turns strips vertical: time runs top to bottom and series sit side by side,
which makes comparing along a ground-truth row easier.

**Lines encoding.** The x axis is the same categorical step axis; y is numeric and each tile row
spans one unit. One ``Scatter`` per (series, tile row) draws that row's cells with NaN breaks, plus
one per series for the FN column, the FP row and the accuracy corner, so hover names true class and
series from the trace and predicted class and epoch from ``%{x}``. Behind them, a grey heatmap
(one brick per tile) shows the selected epoch's value, the **mean over the shown series** of that
cell (each region scaled to its own maximum), and is transparent when no epoch is selected. The
line encoding is drawn up to ``LINES_MAX_CLASSES`` classes (heatmaps above, with a note), and above
``LINE_POINT_BUDGET`` points it averages steps into time columns like the heatmaps do.

Moving the epoch only changes the dashed markers (layout shapes) and, in lines mode, the grey
background: :func:`epoch_marker_update` returns exactly that, to be applied with ``dash.Patch``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import plotly.graph_objects as go

from components.figure_style import (
    EPOCH_COLOR,
    EPOCH_MARKER_NAME,
    MISSING_COLOR,
    MUTED_COLOR,
    base_layout,
    empty_figure,
    epoch_marker_meta,
    format_step,
)
from components.wording import FN_FP_DENOMINATORS
from data_access.views import MatrixValues

Encoding = Literal["heatmap", "lines"]
Region = Literal["cell", "fn", "fp", "accuracy"]
REGIONS: tuple[Region, ...] = ("cell", "fn", "fp", "accuracy")

ZW = "\u200b"  # zero-width space: makes repeated category labels unique without changing their look
GAP_FRACTION = 0.12  # gap between tiles, as a share of a tile's time extent
WIDE_GAP_FACTOR = 3  # the gap before the FN column / FP row, in normal gaps
TINT_AT_ZERO = 0.10  # a zero still shows a faint tint of the series colour (missing steps are grey)
N_STOPS = 33  # colour-scale stops; placed so each step of brightness is equal (exact for log/gamma)
LINES_MAX_CLASSES = 25  # measured: 30 classes x 50 steps is already 5.8 MB and ~0.5-0.8 s to draw
# Bricks per heatmap layer above which steps are averaged into wider time columns. Measured: the
# browser's draw time grows with bricks and category count (see docs/PERFORMANCE.md); a tile of a
# 100-class matrix is ~10 px wide on screen, so more columns than that cannot be seen anyway.
CELL_BUDGET = 600_000
# Line points per figure above which the line encoding averages steps too (payload ~30 bytes/point).
LINE_POINT_BUDGET = 120_000
LINE_TILE_HEIGHT = 1.0
LINE_MARGIN = 0.06  # share of a tile's height kept free above and below the lines

RELATIVE_PHRASE = {
    "true": "of the true class (row total)",
    "pred": "of the predicted class (column total)",
    "all": "of all instances",
}
# FN is over the class's instances and FP over the class's predictions whatever the cells' mode
# (see data_access.metrics.normalize_fn_fp), so each has its own phrase.
RELATIVE_PHRASE_FN = {mode: fn for mode, (fn, _) in FN_FP_DENOMINATORS.items()}
RELATIVE_PHRASE_FP = {mode: fp for mode, (_, fp) in FN_FP_DENOMINATORS.items()}


# --------------------------------------------------------------------------------------------- style
@dataclass(frozen=True)
class MatrixStyle:
    """How the matrix is drawn. ``epoch`` is a logged step number (not an index) or None."""

    encoding: Encoding = "heatmap"
    rotate: bool = False
    scale: Literal["linear", "log"] = "linear"
    gamma: float = 1.0
    epoch: float | None = None

    def __post_init__(self) -> None:
        if self.encoding not in ("heatmap", "lines"):
            raise ValueError(f"encoding must be 'heatmap' or 'lines', not {self.encoding!r}")
        if self.scale not in ("linear", "log"):
            raise ValueError(f"scale must be 'linear' or 'log', not {self.scale!r}")
        if not (math.isfinite(self.gamma) and self.gamma > 0):
            raise ValueError(f"gamma must be a positive number, not {self.gamma!r}")


@dataclass(frozen=True)
class CellTarget:
    """What a click or hover landed on.

    ``kind`` ``"cell"``: tile (``true``, ``pred``), the diagonal included (``true == pred``);
    ``"fn"``: false negatives of class ``true``; ``"fp"``: false positives of class ``pred``;
    ``"accuracy"``: the corner. ``series``/``step_index`` are set when the point was on one
    series' strip or line at one step (indices into ``MatrixValues.series_labels``/``.steps``).
    """

    kind: Literal["cell", "fn", "fp", "accuracy"]
    true: int | None
    pred: int | None
    series: int | None = None
    step_index: int | None = None


# ------------------------------------------------------------------------------------------ geometry
@dataclass(frozen=True)
class AxisLayout:
    """Positions of tiles along one axis, in axis units (category index, or data units for lines).

    ``n_tiles`` regular tiles of ``inner`` units each separated by ``gap``, then after ``wide`` one
    extra tile (FN column or FP row) of the same size.
    """

    n_tiles: int
    inner: float
    gap: float
    wide: float

    @property
    def pitch(self) -> float:
        return self.inner + self.gap

    @property
    def main_extent(self) -> float:
        """Units covered by the regular tiles (without a trailing gap)."""
        return self.n_tiles * self.pitch - self.gap if self.n_tiles else 0

    def start(self, tile: int) -> float:
        """First unit of ``tile``; ``tile == n_tiles`` is the extra (FN/FP) tile."""
        if tile < self.n_tiles:
            return tile * self.pitch
        return self.main_extent + self.wide

    @property
    def total(self) -> float:
        return self.start(self.n_tiles) + self.inner

    def center(self, tile: int) -> float:
        """Centre of ``tile`` in axis coordinates (bricks are centred on integer positions)."""
        return self.start(tile) + (self.inner - 1) / 2

    def locate(self, pos: float) -> tuple[int, float] | None:
        """``(tile, offset within the tile)`` for a position in units, None if it is in a gap."""
        if pos < 0:
            return None
        extra = self.start(self.n_tiles)
        if pos >= extra:
            off = pos - extra
            return (self.n_tiles, off) if off < self.inner else None
        tile = int(pos // self.pitch)
        off = pos - tile * self.pitch
        if tile < self.n_tiles and off < self.inner:
            return tile, off
        return None


@dataclass(frozen=True)
class TraceRole:
    """What trace number ``n`` of the figure holds (the order is fixed by the geometry).

    ``kind``: ``hue`` (heatmap mode: the whole grid, also the click target), ``values`` (heatmap
    mode, one per region), ``background`` (lines mode, grey epoch values) or ``line``. ``row`` is
    the tile row of a ``line`` trace in the cell region. ``x0``/``y0`` are the grid units of the
    trace's first brick column/row.
    """

    kind: Literal["hue", "values", "background", "line"]
    region: Region
    series: int | None = None
    row: int | None = None
    x0: float = 0
    y0: float = 0


@dataclass(frozen=True)
class MatrixGeometry:
    """Where everything sits: tile positions on both axes and the meaning of each trace."""

    n_classes: int
    n_series: int
    n_steps: int
    encoding: Encoding
    rotate: bool
    strip_rows: int  # grid rows per series strip (>1 only when few series, to keep tiles square)
    x: AxisLayout
    y: AxisLayout
    traces: tuple[TraceRole, ...]
    time_bin: int = 1  # logged steps averaged into one time column (1 = every step has its column)

    @property
    def n_time_columns(self) -> int:
        """Time columns (rows, when rotated) per tile: ``ceil(n_steps / time_bin)``."""
        return -(-self.n_steps // self.time_bin) if self.n_steps else 0

    @property
    def empty(self) -> bool:
        return self.n_classes == 0 or self.n_series == 0 or self.n_steps == 0

    def trace_index(
        self, kind: str, region: Region, series: int | None = None, row: int | None = None
    ) -> int:
        for i, t in enumerate(self.traces):
            if t.kind == kind and t.region == region and t.series == series and t.row == row:
                return i
        raise KeyError(f"no {kind} trace for region {region} series {series} row {row}")

    def region_shape(self, region: Region, kind: str) -> tuple[int, int]:
        """``(rows, cols)`` of a trace's ``z``: tiles for ``background``, grid units else."""
        c = self.n_classes
        if kind == "hue":
            return int(self.y.total), int(self.x.total)
        if kind == "background":
            return (c if region in ("cell", "fn") else 1), (c if region in ("cell", "fp") else 1)
        rows = self.y.main_extent if region in ("cell", "fn") else self.y.inner
        cols = self.x.main_extent if region in ("cell", "fp") else self.x.inner
        return int(rows), int(cols)

    def target_at(self, col: float, row: float) -> CellTarget | None:
        """The tile under grid position (``col``, ``row``), with series/step if inside a strip."""
        lx, ly = self.x.locate(col), self.y.locate(row)
        if lx is None or ly is None:
            return None
        (j, xoff), (i, yoff) = lx, ly
        c = self.n_classes
        series = step = None
        if self.encoding == "heatmap":
            series_off, step_off = (xoff, yoff) if self.rotate else (yoff, xoff)
            series = int(series_off // self.strip_rows)
            step = int(step_off) * self.time_bin  # the first logged step of the time column
        else:
            step = int(xoff)
        return _target(i, j, c, series, step)


def _target(i: int, j: int, c: int, series: int | None, step: int | None) -> CellTarget:
    if i < c and j < c:
        return CellTarget("cell", i, j, series, step)
    if i < c:
        return CellTarget("fn", i, None, series, step)
    if j < c:
        return CellTarget("fp", None, j, series, step)
    return CellTarget("accuracy", None, None, series, step)


def _strip_rows(n_series: int) -> int:
    """Rows per series strip: one series gets 3 rows, two get 2, so a tile is not a thin sliver."""
    return max(1, math.ceil(3 / n_series)) if n_series else 1


def _gap(inner: float) -> int:
    return max(1, round(GAP_FRACTION * inner))


def _time_bin(c: int, r: int, k: int, t: int) -> int:
    """Smallest number of steps per time column that keeps a heatmap layer within CELL_BUDGET."""
    rows = (c + 1) * (r * k + 1)
    for b in range(1, max(t, 1) + 1):
        cols_t = -(-t // b)
        if rows * (c + 1) * (cols_t + _gap(cols_t)) <= CELL_BUDGET:
            return b
    return max(t, 1)


def _line_bin(c: int, r: int, t: int) -> int:
    """Smallest number of steps per line point that keeps the lines within LINE_POINT_BUDGET."""
    for b in range(1, max(t, 1) + 1):
        if r * (c + 1) * (c + 1) * (-(-t // b) + 1) <= LINE_POINT_BUDGET:
            return b
    return max(t, 1)


def matrix_geometry(n_classes: int, n_series: int, n_steps: int, style: MatrixStyle) -> MatrixGeometry:
    """Tile sizes, offsets and trace roles for a matrix of this shape (cheap, deterministic).

    Heatmap mode: units are grid bricks. Not rotated, a tile is ``n_series * strip_rows`` rows by
    ``n_time_columns`` columns; rotated, the transpose. When the grid would exceed
    ``CELL_BUDGET`` bricks (large matrices over many steps), ``time_bin`` consecutive steps share a
    column holding their mean. Lines mode: x units are steps (categorical), y units are data units
    with one tile row per unit.
    """
    c, r, t_steps = int(n_classes), int(n_series), int(n_steps)
    k = _strip_rows(r)
    b = _time_bin(c, r, k, t_steps) if style.encoding == "heatmap" else _line_bin(c, r, t_steps)
    t = -(-t_steps // b)
    if style.encoding == "lines":
        gx = _gap(t)
        x = AxisLayout(c, t, gx, WIDE_GAP_FACTOR * gx)
        gy = GAP_FRACTION * LINE_TILE_HEIGHT * 1.5
        y = AxisLayout(c, LINE_TILE_HEIGHT, gy, WIDE_GAP_FACTOR * gy)
    elif style.rotate:  # strips vertical: time top to bottom, series side by side
        x = AxisLayout(c, r * k, 1, WIDE_GAP_FACTOR)
        gy = _gap(t)
        y = AxisLayout(c, t, gy, WIDE_GAP_FACTOR * gy)
    else:  # strips horizontal: time left to right, series stacked
        gx = _gap(t)
        x = AxisLayout(c, t, gx, WIDE_GAP_FACTOR * gx)
        y = AxisLayout(c, r * k, 1, WIDE_GAP_FACTOR)
    traces: list[TraceRole] = []
    if c and r and t:
        origins = {
            "cell": (0.0, 0.0),
            "fn": (x.start(c), 0.0),
            "fp": (0.0, y.start(c)),
            "accuracy": (x.start(c), y.start(c)),
        }
        if style.encoding == "heatmap":
            traces.append(TraceRole("hue", "cell"))
            for reg in REGIONS:
                ox, oy = origins[reg]
                traces.append(TraceRole("values", reg, x0=ox, y0=oy))
        else:
            for reg in REGIONS:
                ox, oy = origins[reg]
                traces.append(TraceRole("background", reg, x0=ox, y0=oy))
            for s in range(r):
                for i in range(c):
                    traces.append(TraceRole("line", "cell", series=s, row=i, y0=y.start(i)))
                traces.append(TraceRole("line", "fn", series=s, x0=x.start(c)))
                traces.append(TraceRole("line", "fp", series=s, y0=y.start(c)))
                traces.append(TraceRole("line", "accuracy", series=s, x0=x.start(c), y0=y.start(c)))
    return MatrixGeometry(c, r, t_steps, style.encoding, bool(style.rotate), k, x, y, tuple(traces), b)


# ------------------------------------------------------------------------------- labels and scales
def _uniquify(labels: list[str]) -> list[str]:
    """Make category labels unique by appending zero-width spaces (invisible in hover and ticks)."""
    seen: set[str] = set()
    out = []
    for lab in labels:
        while lab in seen:
            lab += ZW
        seen.add(lab)
        out.append(lab)
    return out


def _axis_labels(
    axis: AxisLayout,
    tile_names: Sequence[str],
    extra_name: str | None,
    inner_labels: Sequence[str],
    gap_tag: str,
) -> list[str]:
    """One label per grid unit along a categorical axis.

    Regular tile ``j`` gets ``f"{tile_names[j]} · {inner}"`` for each inner unit; the extra tile gets
    ``inner`` alone (its meaning is in the hover template); gap units get unique filler labels that
    are never shown (gaps are NaN and do not hover).
    """
    n = int(axis.total)
    labels = [""] * n
    for pos in range(n):
        labels[pos] = f"{gap_tag}{pos}"
    for j, name in enumerate(tile_names):
        s = int(axis.start(j))
        for u, lab in enumerate(inner_labels):
            labels[s + u] = f"{name} · {lab}"
    s = int(axis.start(axis.n_tiles))
    for u, lab in enumerate(inner_labels):
        labels[s + u] = lab if extra_name is None else f"{extra_name} · {lab}"
    return _uniquify(labels)


def _finite_max(a: np.ndarray, default: float = 1.0) -> float:
    finite = a[np.isfinite(a)]
    if finite.size == 0:
        return default
    m = float(finite.max())
    return m if m > 0 else default


def _smallest_positive(a: np.ndarray) -> float | None:
    pos = a[np.isfinite(a) & (a > 0)]
    return float(pos.min()) if pos.size else None


def _offdiag(values: np.ndarray) -> np.ndarray:
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
    return [
        [round(float(p), 6), f"rgba(255,255,255,{1 - float(a):.4f})"] for p, a in zip(pos, tint, strict=True)
    ]


def _linear_ramp() -> list[list[Any]]:
    return [[0.0, f"rgba(255,255,255,{1 - TINT_AT_ZERO:.4f})"], [1.0, "rgba(255,255,255,0)"]]


def _hue_colorscale(colors: Sequence[str]) -> list[list[Any]]:
    """Discrete scale for ``uint8`` hue: index ``s`` -> series colour, ``R`` -> missing grey,
    ``R + 1`` -> transparent (gaps, diagonal)."""
    n = len(colors) + 1
    stops = [[s / n, colors[s]] for s in range(len(colors))]
    stops.append([len(colors) / n, MISSING_COLOR])
    stops.append([1.0, "rgba(0,0,0,0)"])
    return stops


def _count_dtype(counts: np.ndarray) -> np.dtype:
    return np.dtype(np.uint16) if counts.size == 0 or int(counts.max()) < 65535 else np.dtype(np.uint32)


def _scales(values: MatrixValues) -> dict[str, tuple[float, float]]:
    """``(vmax, eps)`` per region; FN and FP share one scale so the column and row compare."""
    cells = _offdiag(values.values)
    vc = _finite_max(cells)
    fnfp = np.concatenate([values.fn.ravel(), values.fp.ravel()])
    vf = _finite_max(fnfp)

    def eps(a: np.ndarray, vmax: float) -> float:
        sp = _smallest_positive(a)
        return max(sp if sp is not None else vmax * 1e-3, vmax * 1e-4)

    return {"cell": (vc, eps(cells, vc)), "fnfp": (vf, eps(fnfp, vf))}


def _accuracy_range(acc: np.ndarray) -> tuple[float, float]:
    finite = acc[np.isfinite(acc)]
    if finite.size == 0:
        return 0.0, 1.0
    lo, hi = float(finite.min()), float(finite.max())
    if hi - lo < 1e-9:  # a constant accuracy: any small window around it
        lo = max(0.0, lo - 0.01)
        hi = lo + 0.02
    return lo, hi


def _nearest_step(steps: np.ndarray, epoch: float | None) -> int | None:
    """Index of the logged step the epoch marker sits on (the nearest one; None if no steps)."""
    if epoch is None or len(steps) == 0:
        return None
    e = float(epoch)
    if e < steps[0] - 1e-9 or e > steps[-1] + 1e-9:
        return None
    return int(np.argmin(np.abs(steps - e)))


# ------------------------------------------------------------------------------------- tiled blocks
def _tile(
    block: np.ndarray, geo_y: AxisLayout, geo_x: AxisLayout, fill: float | int, dtype: Any
) -> np.ndarray:
    """Lay a ``(A, inner_y, B, inner_x)`` block out as a 2-D grid with gap rows/columns of ``fill``.

    ``A``/``B`` are the tile counts of the region (C for the main grid, 1 for FN/FP/corner).
    """
    a, iy, b, ix = block.shape
    py = int(geo_y.pitch) if a > 1 else iy
    px = int(geo_x.pitch) if b > 1 else ix
    out = np.full((a, py, b, px), fill, dtype=dtype)
    out[:, :iy, :, :ix] = block
    out = out.reshape(a * py, b * px)
    return out[: a * py - (py - iy), : b * px - (px - ix)]


def _arrange(per_tile: np.ndarray, rotate: bool, k: int) -> np.ndarray:
    """``(A, S, B, T)`` -> ``(A, inner_y, B, inner_x)`` with each series repeated ``k`` times."""
    if k > 1:
        per_tile = np.repeat(per_tile, k, axis=1)
    if rotate:
        return per_tile.transpose(0, 3, 2, 1)
    return per_tile


def _bin_last(a: np.ndarray, b: int) -> np.ndarray:
    """Mean over consecutive groups of ``b`` along the last axis, ignoring NaN (all NaN -> NaN)."""
    if b == 1:
        return a
    a = np.asarray(a, dtype=np.float64)
    t = a.shape[-1]
    n = -(-t // b)
    if n * b != t:
        a = np.concatenate([a, np.full((*a.shape[:-1], n * b - t), np.nan)], axis=-1)
    a = a.reshape(*a.shape[:-1], n, b)
    finite = np.isfinite(a)
    count = finite.sum(axis=-1)
    total = np.where(finite, a, 0.0).sum(axis=-1)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _region_blocks(values: MatrixValues, time_bin: int = 1) -> dict[Region, tuple[np.ndarray, np.ndarray]]:
    """Values and counts per region as ``(A, S, B, T')`` (tile row, series, tile col, time column).

    With ``time_bin > 1`` both are means over each group of steps, counts only over logged steps.
    """
    v = _offdiag(values.values)  # (S, T, C, C)
    s, t = v.shape[:2]
    raw = {
        "cell": (v.transpose(2, 0, 3, 1), values.counts.transpose(2, 0, 3, 1)),
        "fn": (
            values.fn.transpose(2, 0, 1)[:, :, None, :],
            values.fn_counts.transpose(2, 0, 1)[:, :, None, :],
        ),
        "fp": (values.fp.transpose(0, 2, 1)[None], values.fp_counts.transpose(0, 2, 1)[None]),
        "accuracy": (values.accuracy[None, :, None, :], np.zeros((1, s, 1, t), dtype=np.int64)),
    }
    if time_bin == 1:
        return raw  # type: ignore[return-value]
    out = {}
    for reg, (vals, cnts) in raw.items():
        logged = np.where(np.isnan(vals), np.nan, cnts.astype(np.float64))
        out[reg] = (_bin_last(vals, time_bin), _bin_last(logged, time_bin))
    return out  # type: ignore[return-value]


# ------------------------------------------------------------------------------------------- labels
def _time_labels(steps: np.ndarray, time_bin: int, step_name: str) -> list[str]:
    """``"epoch 12"`` per step, or ``"epochs 8–15"`` per time column when steps are averaged."""
    if time_bin == 1:
        return [f"{step_name} {format_step(s)}" for s in steps]
    out = []
    for lo in range(0, len(steps), time_bin):
        group = steps[lo : lo + time_bin]
        out.append(f"{step_name}s {format_step(group[0])}–{format_step(group[-1])}")
    return out


def _labels(values: MatrixValues, geo: MatrixGeometry, step_name: str) -> tuple[list[str], list[str]]:
    classes = list(values.classes)
    steps = _time_labels(values.steps, geo.time_bin, step_name)
    series = [lab for lab in values.series_labels for _ in range(geo.strip_rows)]
    pred = [f"pred: {c}" for c in classes]
    true = [f"true: {c}" for c in classes]
    if geo.encoding == "heatmap" and geo.rotate:
        x = _axis_labels(geo.x, pred, None, series, "\u2063x")
        y = _axis_labels(geo.y, true, None, steps, "\u2063y")
    elif geo.encoding == "heatmap":
        x = _axis_labels(geo.x, pred, None, steps, "\u2063x")
        y = _axis_labels(geo.y, true, None, series, "\u2063y")
    else:
        x = _axis_labels(geo.x, pred, None, steps, "\u2063x")
        y = []
    return x, y


def _value_text(
    normalization: str | None,
    region: Region,
    value: str = "%{z",
    count: str = "%{customdata",
    *,
    binned: bool = False,
    step_name: str = "epoch",
) -> tuple[str, bool]:
    """Hover text for a value and whether the trace needs counts in ``customdata``.

    ``value``/``count`` are the opening of the placeholders holding the value and the count
    (``"%{z"``/``"%{customdata"`` for heatmaps, ``"%{customdata[0]"``/``"%{customdata[1]"`` for lines).
    ``binned``: the value is a mean over several steps, and the text says so.
    """
    mean = f" (mean over the {step_name}s)" if binned else ""
    if region == "accuracy":
        return "accuracy " + value + ":.1%}" + mean, False
    if normalization is None:
        return value + (":,.1f}" if binned else ":,.0f}") + " instances" + mean, False
    phrases = {"cell": RELATIVE_PHRASE, "fn": RELATIVE_PHRASE_FN, "fp": RELATIVE_PHRASE_FP}[region]
    phrase = phrases[normalization]
    n = count + (":,.1f}" if binned else ":,}")
    return value + ":.1%} " + phrase + " (" + n + " instances)" + mean, True


def _heatmap_hovertemplate(region: Region, value: str) -> str:
    if region == "cell":
        body = "%{y}<br>%{x}"
    elif region == "fn":
        body = "false negatives of %{y}<br>%{x}"
    elif region == "fp":
        body = "false positives of %{x}<br>%{y}"
    else:
        body = "%{y}<br>%{x}"
    return body + "<br>" + value + "<extra></extra>"


# ----------------------------------------------------------------------------------------- builders
def _check_colors(colors: Sequence[str], n_series: int) -> list[str]:
    colors = list(colors)
    if len(colors) < n_series:
        raise ValueError(f"{n_series} series need {n_series} colours, got {len(colors)}")
    return colors[:n_series]


def _tile_px(n_classes: int) -> int:
    """On-screen size of one tile: large for a few classes, readable down to 100 classes."""
    return int(np.clip(720 / (n_classes + 1), 10, 110))


def _margins(classes: Sequence[str]) -> dict[str, int]:
    longest = max((len(c) for c in classes), default=4)
    side = int(np.clip(24 + 6.5 * longest, 60, 220))
    return {"l": side + 24, "r": 16, "t": side + 24, "b": 16}


def _class_axis(
    labels: list[str], axis: AxisLayout, names: Sequence[str], extra: str, title: str, tile_px: int
) -> dict:
    # Category axes take fractional positions: a tile of an even number of bricks has its centre
    # between two categories, and snapping to one of them (Python rounds half to even) would
    # stagger the class names up and down.
    ticks = [axis.center(j) for j in range(axis.n_tiles + 1)]
    return {
        "type": "category",
        "categoryorder": "array",
        "categoryarray": labels,
        "tickmode": "array",
        "tickvals": ticks,
        "ticktext": [*names, extra],
        "showgrid": False,
        "zeroline": False,
        "ticks": "",
        "tickfont": {"size": int(np.clip(tile_px * 0.8, 7, 12))},  # 100 class names must not overlap
        "title": {"text": title},
    }


CHAR_WIDTH = 0.6  # average glyph width of the UI font, in font sizes
MIN_LABEL_PX = 7


def fit_label(name: str, tile_px: int) -> tuple[str, int]:
    """The text and font size (px) that make ``name`` fit inside a tile ``tile_px`` wide.

    The font shrinks from ``tile_px / 4.5`` (at most 13 px) until the name fits in 90 % of the
    tile; at the 7 px floor a name that still does not fit is cut with an ellipsis. The axes
    always carry the full name, so a cut label only has to say which tile is which.
    """
    room = 0.9 * tile_px
    font_px = int(np.clip(tile_px / 4.5, MIN_LABEL_PX, 13))
    font_px = max(MIN_LABEL_PX, min(font_px, int(room / (CHAR_WIDTH * max(len(name), 1)))))
    fits = int(room / (CHAR_WIDTH * font_px))
    text = name if len(name) <= fits else name[: max(fits - 1, 1)] + "…"
    return text, font_px


def _diagonal_annotations(names: Sequence[str], geo: MatrixGeometry, tile_px: int) -> list[dict]:
    """Class names in the diagonal tiles; none when tiles are too small to hold readable text
    (the axes still name every class, and the empty diagonal stays visible)."""
    if tile_px < 24:
        return []
    out = []
    for i, name in enumerate(names):
        text, font_px = fit_label(name, tile_px)
        out.append(
            {
                "x": geo.x.center(i),
                "y": geo.y.center(i) if geo.encoding == "heatmap" else geo.y.start(i) + geo.y.inner / 2,
                "xref": "x",
                "yref": "y",
                "text": text,
                "showarrow": False,
                "font": {"size": font_px, "color": MUTED_COLOR},
            }
        )
    return out


def build_matrix_figure(
    values: MatrixValues,
    colors: Sequence[str],
    style: MatrixStyle,
    *,
    step_name: str = "epoch",
    uirevision: str | None = None,
) -> go.Figure:
    """The ConfusionFlow matrix for ``values`` (see the module docstring for the encoding).

    ``colors``: one hex colour per series, in ``values.series_labels`` order. ``step_name`` names
    the time axis in hover text ("epoch", "iteration"). ``uirevision`` keeps the user's zoom across
    updates; by default it changes only when the classes, series or encoding change.
    Empty input (no series, steps or classes) gives a figure saying nothing is selected.
    """
    n_s, n_t = values.values.shape[:2]
    n_c = len(values.classes)
    if n_s == 0 or n_t == 0 or n_c == 0:
        return empty_figure()
    colors = _check_colors(colors, n_s)
    if style.encoding == "lines" and n_c > LINES_MAX_CLASSES:
        fig = build_matrix_figure(
            values,
            colors,
            MatrixStyle("heatmap", False, style.scale, style.gamma, style.epoch),
            step_name=step_name,
            uirevision=uirevision,
        )
        fig.add_annotation(
            text=f"Line encoding shows up to {LINES_MAX_CLASSES} classes; showing heatmaps. Select fewer classes.",
            xref="paper", yref="paper", x=0, y=1, yanchor="bottom", xanchor="left", showarrow=False,
            yshift=4, font={"color": MUTED_COLOR},
        )  # fmt: skip
        return fig
    geo = matrix_geometry(n_c, n_s, n_t, style)
    if uirevision is None:
        uirevision = "|".join(
            ["matrix", style.encoding, str(style.rotate), *values.classes, *values.series_keys]
        )
    if style.encoding == "lines":
        return _build_lines(values, colors, style, geo, step_name, uirevision)
    return _build_heatmap(values, colors, style, geo, step_name, uirevision)


def _build_heatmap(
    values: MatrixValues,
    colors: list[str],
    style: MatrixStyle,
    geo: MatrixGeometry,
    step_name: str,
    uirev: str,
) -> go.Figure:
    x_labels, y_labels = _labels(values, geo, step_name)
    n_s, k, c = geo.n_series, geo.strip_rows, geo.n_classes
    binned = geo.time_bin > 1
    blocks = _region_blocks(values, geo.time_bin)
    scales = _scales(values)
    acc_lo, acc_hi = _accuracy_range(values.accuracy)
    missing, transparent = n_s, n_s + 1
    # one hue layer for the whole grid: series colour, grey where a series did not log, transparent
    # in gaps and on the diagonal. It is also the click target (hoverinfo "none": events, no label).
    hue_dtype = np.uint8 if transparent < 255 else np.uint16  # 0xFF bytes base64 to escaped "/"
    hue_grid = np.full((int(geo.y.total), int(geo.x.total)), transparent, dtype=hue_dtype)
    data: list[dict] = [
        {
            "type": "heatmap",
            "z": hue_grid,
            "x0": 0,
            "dx": 1,
            "y0": 0,
            "dy": 1,
            "zmin": 0,
            "zmax": n_s + 1,
            "colorscale": _hue_colorscale(colors),
            "showscale": False,
            "hoverinfo": "none",
            "name": "series",
        }
    ]
    names = {"cell": "confusion", "fn": "false negatives", "fp": "false positives", "accuracy": "accuracy"}
    for reg in REGIONS:
        vals, cnts = blocks[reg]
        a, _, b, _ = vals.shape
        gy = geo.y if a > 1 else AxisLayout(1, geo.y.inner, 0, 0)
        gx = geo.x if b > 1 else AxisLayout(1, geo.x.inner, 0, 0)
        z = _tile(_arrange(vals, geo.rotate, k), gy, gx, np.nan, np.float32)
        series_idx = np.broadcast_to(np.arange(n_s, dtype=hue_dtype)[None, :, None, None], vals.shape)
        hue = _tile(_arrange(series_idx, geo.rotate, k), gy, gx, transparent, hue_dtype)
        hue = np.where((hue != transparent) & np.isnan(z), missing, hue)
        if reg == "cell":  # the diagonal is drawn as a label, not a strip
            for i in range(c):
                r0, c0 = int(geo.y.start(i)), int(geo.x.start(i))
                hue[r0 : r0 + int(geo.y.inner), c0 : c0 + int(geo.x.inner)] = transparent
        role = geo.traces[geo.trace_index("values", reg)]
        y0, x0 = int(role.y0), int(role.x0)
        hue_grid[y0 : y0 + hue.shape[0], x0 : x0 + hue.shape[1]] = hue
        value_text, with_counts = _value_text(values.normalization, reg, binned=binned, step_name=step_name)
        trace: dict[str, Any] = {
            "type": "heatmap",
            "z": z,
            "x0": role.x0,
            "dx": 1,
            "y0": role.y0,
            "dy": 1,
            "showscale": False,
            "hoverongaps": False,
            "hovertemplate": _heatmap_hovertemplate(reg, value_text),
            "name": names[reg],
        }
        if reg == "accuracy":
            trace.update(zmin=acc_lo, zmax=acc_hi, colorscale=_linear_ramp())
        else:
            vmax, eps = scales["cell" if reg == "cell" else "fnfp"]
            trace.update(zmin=0.0, zmax=vmax, colorscale=ramp_colorscale(style, vmax, eps))
        if with_counts:
            dtype = np.float32 if binned else _count_dtype(cnts)
            trace["customdata"] = _tile(_arrange(cnts, geo.rotate, k), gy, gx, 0, dtype)
        data.append(trace)
    tile = _tile_px(c)
    plot_h = geo.y.total * tile / geo.y.pitch
    margins = _margins(values.classes)
    x_axis = _class_axis(x_labels, geo.x, values.classes, "FN", "predicted class", tile)
    x_axis.update(
        side="top", range=[-0.5, geo.x.total - 0.5], tickangle=-60 if c > 6 else 0, constrain="domain"
    )
    y_axis = _class_axis(y_labels, geo.y, values.classes, "FP", "true class", tile)
    y_axis.update(
        range=[geo.y.total - 0.5, -0.5],
        scaleanchor="x",
        scaleratio=geo.x.pitch / geo.y.pitch,
        constrain="domain",
    )
    annotations = _diagonal_annotations(values.classes, geo, tile)
    if binned:
        annotations.append(
            {
                "text": f"{c} classes × {geo.n_steps} {step_name}s: each column is the mean of "
                f"{geo.time_bin} {step_name}s (select a shorter range to see every {step_name})",
                "xref": "paper",
                "yref": "paper",
                "x": 0,
                "y": 0,
                "xanchor": "left",
                "yanchor": "top",
                "yshift": -4,
                "showarrow": False,
                "font": {"color": MUTED_COLOR, "size": 11},
            }
        )
    return go.Figure(
        data=data,
        layout=base_layout(
            height=int(plot_h + margins["t"] + margins["b"]),
            margin=margins,
            xaxis=x_axis,
            yaxis=y_axis,
            annotations=annotations,
            shapes=_epoch_shapes(values.steps, style, geo),
            meta=epoch_marker_recipe(values.steps, geo),
            uirevision=uirev,
            dragmode="zoom",
        ),
    )


def epoch_marker_positions(steps: np.ndarray, style: MatrixStyle, geo: MatrixGeometry) -> list[float]:
    """Axis positions of the epoch markers: x of each tile column (y of each tile row if rotated).

    Empty when no epoch is selected or it lies outside the shown steps. The marker sits on the
    nearest logged step (on its time column when steps are averaged).
    """
    t = _nearest_step(np.asarray(steps, dtype=np.float64), style.epoch)
    if t is None or geo.empty:
        return []
    t //= geo.time_bin
    axis = geo.y if (geo.encoding == "heatmap" and geo.rotate) else geo.x
    return [float(axis.start(j) + t) for j in range(geo.n_classes + 1)]


def _epoch_shapes(steps: np.ndarray, style: MatrixStyle, geo: MatrixGeometry) -> list[dict]:
    """The dashed epoch markers as ONE path shape (one segment per tile column, or tile row when
    rotated): a single shape keeps the figure light and the epoch ``Patch`` to one short string."""
    positions = epoch_marker_positions(steps, style, geo)
    if not positions:
        return []
    if geo.encoding == "heatmap" and geo.rotate:
        x0, x1 = -0.5, geo.x.total - 0.5
        path = "".join(f"M{x0:g},{y:g}H{x1:g}" for y in positions)
    else:
        y0, y1 = (-0.5, geo.y.total - 0.5) if geo.encoding == "heatmap" else (0.0, geo.y.total)
        path = "".join(f"M{x:g},{y0:g}V{y1:g}" for x in positions)
    return [
        {
            "type": "path",
            "xref": "x",
            "yref": "y",
            "path": path,
            "line": {"color": EPOCH_COLOR, "width": 1, "dash": "dash"},
            "layer": "above",
            "name": EPOCH_MARKER_NAME,
        }
    ]


def epoch_marker_recipe(steps: np.ndarray, geo: MatrixGeometry) -> dict:
    """``layout.meta`` from which the browser redraws :func:`_epoch_shapes` for any epoch (see
    :func:`components.figure_style.epoch_marker_meta`); empty for an empty matrix."""
    if geo.empty:
        return {}
    rotated = geo.encoding == "heatmap" and geo.rotate
    axis = geo.y if rotated else geo.x
    if rotated:
        span = (-0.5, geo.x.total - 0.5)
    else:
        span = (-0.5, geo.y.total - 0.5) if geo.encoding == "heatmap" else (0.0, geo.y.total)
    return epoch_marker_meta(
        kind="path",
        offsets=[axis.start(j) for j in range(geo.n_classes + 1)],
        span=span,
        line={"color": EPOCH_COLOR, "width": 1, "dash": "dash"},
        snap_steps=np.asarray(steps, dtype=np.float64).tolist(),
        time_bin=geo.time_bin,
        axis="y" if rotated else "x",
    )


# -------------------------------------------------------------------------------------------- lines
def _line_y(v: np.ndarray, tile_start: float, style: MatrixStyle, vmax: float, eps: float) -> np.ndarray:
    """Data-space y of values in a tile row starting at ``tile_start`` (y axis points down)."""
    f = brightness(np.asarray(v, dtype=np.float64) / vmax, style, vmax, eps)
    usable = LINE_TILE_HEIGHT * (1 - 2 * LINE_MARGIN)
    y = tile_start + LINE_TILE_HEIGHT * LINE_MARGIN + usable * (1 - f)
    return np.where(np.isfinite(v), y, np.nan)


def _background(
    values: MatrixValues,
    style: MatrixStyle,
    scales: Mapping[str, tuple[float, float]],
    step_name: str = "epoch",
) -> dict[Region, tuple[np.ndarray, np.ndarray]]:
    """Grey background per region for the selected epoch: (z in [0, 1] or NaN, hover text)."""
    classes = list(values.classes)
    c = len(classes)
    t = _nearest_step(np.asarray(values.steps, dtype=np.float64), style.epoch)
    step = f" at {step_name} {format_step(values.steps[t])}" if t is not None else ""

    def mean_at(a: np.ndarray) -> np.ndarray:
        """Mean over the series that logged step ``t`` (NaN if none did)."""
        if t is None:
            return np.full(a.shape[2:], np.nan)
        sl = a[:, t]
        finite = np.isfinite(sl)
        n = finite.sum(axis=0)
        return np.where(n > 0, np.where(finite, sl, 0.0).sum(axis=0) / np.maximum(n, 1), np.nan)

    cell_v = mean_at(_offdiag(values.values))
    fn_v, fp_v = mean_at(values.fn), mean_at(values.fp)
    acc_v = mean_at(values.accuracy[:, :, None])
    vc, _ = scales["cell"]
    vf, _ = scales["fnfp"]
    fmt = (lambda x: f"{x:.1%}") if values.normalization else (lambda x: f"{x:,.1f}")

    def txt(prefix: str, v: float, pct: bool = False) -> str:
        if not math.isfinite(v):
            return prefix
        shown = f"{v:.1%}" if pct else fmt(v)
        return f"{prefix}<br>mean over series{step}: {shown}"

    cell_text = np.empty((c, c), dtype=object)
    for i in range(c):
        for j in range(c):
            cell_text[i, j] = (
                f"{classes[i]}: correct predictions"
                if i == j
                else txt(f"true: {classes[i]} → pred: {classes[j]}", cell_v[i, j])
            )
    return {
        "cell": (cell_v / vc, cell_text),
        "fn": ((fn_v / vf)[:, None], np.array([[txt(f"false negatives of {n}", v)] for n, v in zip(classes, fn_v, strict=True)], dtype=object)),
        "fp": ((fp_v / vf)[None, :], np.array([[txt(f"false positives of {n}", v) for n, v in zip(classes, fp_v, strict=True)]], dtype=object)),
        "accuracy": (acc_v.reshape(1, 1), np.array([[txt("accuracy", float(acc_v[0]), pct=True)]], dtype=object)),
    }  # fmt: skip


def _background_traces(
    values: MatrixValues,
    style: MatrixStyle,
    geo: MatrixGeometry,
    scales: Mapping[str, tuple[float, float]],
    step_name: str,
) -> list[dict]:
    bg = _background(values, style, scales, step_name)
    out = []
    for reg in REGIONS:
        role = geo.traces[geo.trace_index("background", reg)]
        z, text = bg[reg]
        a, b = z.shape
        out.append(
            {
                "type": "heatmap",
                "z": z.astype(np.float32),
                "x0": role.x0 + (geo.x.inner - 1) / 2,
                "dx": geo.x.pitch if b > 1 else geo.x.inner,
                "y0": role.y0 + geo.y.inner / 2,
                "dy": geo.y.pitch if a > 1 else geo.y.inner,
                "xgap": 3,
                "ygap": 3,
                "text": text,
                "hoverinfo": "text",
                "hoverongaps": True,  # the tile's names show even with no epoch selected (z all NaN)
                "zmin": 0,
                "zmax": 1,
                "colorscale": [[0, "rgba(154,154,154,0.06)"], [1, "rgba(154,154,154,0.85)"]],
                "showscale": False,
                "name": f"{reg} background",
            }
        )
    return out


def _build_lines(
    values: MatrixValues,
    colors: list[str],
    style: MatrixStyle,
    geo: MatrixGeometry,
    step_name: str,
    uirev: str,
) -> go.Figure:
    x_labels, _ = _labels(values, geo, step_name)
    classes = list(values.classes)
    c, n_t, b = geo.n_classes, geo.n_time_columns, geo.time_bin
    scales = _scales(values)
    vc, ec = scales["cell"]
    vf, ef = scales["fnfp"]
    data: list[dict] = _background_traces(values, style, geo, scales, step_name)
    relative = values.normalization is not None

    def by_step(a: np.ndarray, like: np.ndarray | None = None) -> np.ndarray:
        """``(S, T, ...)`` -> ``(S, T', ...)``: mean over each time column's logged steps."""
        if b == 1:
            return a
        if like is not None:  # counts: only where the series logged the step
            a = np.where(np.isnan(like), np.nan, a.astype(np.float64))
        return np.moveaxis(_bin_last(np.moveaxis(a, 1, -1), b), -1, 1)

    mean = f" (mean over the {step_name}s)" if b > 1 else ""
    cells = by_step(_offdiag(values.values))
    counts = by_step(values.counts, _offdiag(values.values))
    fn, fn_counts = by_step(values.fn), by_step(values.fn_counts, values.fn)
    fp, fp_counts = by_step(values.fp), by_step(values.fp_counts, values.fp)
    accuracy = by_step(values.accuracy)

    # x labels of each tile column, each followed by one separator point (x None, y NaN)
    def cols(j: int) -> list[str | None]:
        s = int(geo.x.start(j))
        return [*x_labels[s : s + n_t], None]

    main_x = [lab for j in range(c) for lab in cols(j)]
    extra_x = cols(c)
    sep = np.full((1,), np.nan)

    def join(rows: Sequence[np.ndarray]) -> np.ndarray:
        return np.concatenate([np.concatenate([r, sep]) for r in rows]) if rows else np.empty(0)

    def custom(vals: Sequence[np.ndarray], cnts: Sequence[np.ndarray]) -> np.ndarray:
        v = join(vals).astype(np.float32)
        if not relative:
            return v
        return np.stack([v, join([x.astype(np.float64) for x in cnts]).astype(np.float32)], axis=1)

    refs = ("%{customdata[0]", "%{customdata[1]") if relative else ("%{customdata", "")
    value_cell, _ = _value_text(values.normalization, "cell", *refs, binned=b > 1, step_name=step_name)
    value_fn, _ = _value_text(values.normalization, "fn", *refs, binned=b > 1, step_name=step_name)
    value_fp, _ = _value_text(values.normalization, "fp", *refs, binned=b > 1, step_name=step_name)

    for s in range(geo.n_series):
        color = colors[s]
        label = values.series_labels[s]
        line = {"color": color, "width": 1.5}
        for i in range(c):
            vals = [cells[s, :, i, j] for j in range(c)]
            cnts = [counts[s, :, i, j] for j in range(c)]
            y = join([_line_y(v, geo.y.start(i), style, vc, ec) for v in vals])
            data.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "x": main_x,
                    "y": y.astype(np.float32),
                    "customdata": custom(vals, cnts),
                    "line": line,
                    "hovertemplate": f"true: {classes[i]} · {label}<br>%{{x}}<br>"
                    + value_cell
                    + "<extra></extra>",
                    "name": label,
                }
            )
        fn_vals = [fn[s, :, i] for i in range(c)]
        fn_y = join([_line_y(fn[s, :, i], geo.y.start(i), style, vf, ef) for i in range(c)])
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": extra_x * c,
                "y": fn_y.astype(np.float32),
                "customdata": custom(fn_vals, [fn_counts[s, :, i] for i in range(c)]),
                "text": [f"true: {n}" for n in classes for _ in range(n_t + 1)],
                "line": line,
                "hovertemplate": f"false negatives of %{{text}} · {label}<br>%{{x}}<br>"
                + value_fn
                + "<extra></extra>",
                "name": label,
            }
        )
        fp_vals = [fp[s, :, j] for j in range(c)]
        fp_y = join([_line_y(v, geo.y.start(c), style, vf, ef) for v in fp_vals])
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": main_x,
                "y": fp_y.astype(np.float32),
                "customdata": custom(fp_vals, [fp_counts[s, :, j] for j in range(c)]),
                "line": line,
                "hovertemplate": f"false positives of %{{x}}<br>{label}<br>" + value_fp + "<extra></extra>",
                "name": label,
            }
        )
        acc = accuracy[s]
        acc_style = MatrixStyle("lines")
        acc_y = join([_line_y(acc, geo.y.start(c), acc_style, 1.0, 1e-3)])
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": extra_x,
                "y": acc_y.astype(np.float32),
                "customdata": join([acc]).astype(np.float32),
                "line": line,
                "hovertemplate": f"accuracy · {label}<br>%{{x}}<br>%{{customdata:.1%}}{mean}<extra></extra>",
                "name": label,
            }
        )
    tile = _tile_px(c)
    margins = _margins(classes)
    plot_h = geo.y.total * tile / geo.y.pitch
    x_axis = _class_axis(x_labels, geo.x, classes, "FN", "predicted class", tile)
    x_axis.update(
        side="top", range=[-0.5, geo.x.total - 0.5], tickangle=-60 if c > 6 else 0, constrain="domain"
    )
    y_axis = {
        "range": [geo.y.total, 0.0],
        "tickmode": "array",
        "tickvals": [geo.y.start(i) + geo.y.inner / 2 for i in range(c + 1)],
        "ticktext": [*classes, "FP"],
        "showgrid": False,
        "zeroline": False,
        "title": {"text": "true class"},
    }
    # Plotly refuses scaleanchor between a categorical and a linear axis, so square tiles come from
    # an explicit width here (the heatmap encoding uses scaleanchor and stays responsive).
    plot_w = geo.x.total * tile / geo.x.pitch
    return go.Figure(
        data=data,
        layout=base_layout(
            height=int(plot_h + margins["t"] + margins["b"]),
            width=int(plot_w + margins["l"] + margins["r"]),
            margin=margins,
            xaxis=x_axis,
            yaxis=y_axis,
            annotations=_diagonal_annotations(classes, geo, tile),
            shapes=_epoch_shapes(values.steps, style, geo),
            meta=epoch_marker_recipe(values.steps, geo),
            uirevision=uirev,
            dragmode="zoom",
            hoverdistance=8,  # a line point wins only when really under the pointer, else the tile's names
        ),
    )


# ------------------------------------------------------------------------------------- interaction
def decode_click(point: Mapping[str, Any], geometry: MatrixGeometry) -> CellTarget | None:
    """The tile a Dash ``clickData["points"][i]`` (or hoverData point) refers to, or None.

    Uses ``curveNumber`` and ``pointNumber``/``pointIndex`` (never the label strings), so it works
    for any trace: the transparent tile bricks, a series strip, the grey background or a line point.
    A point in a gap between tiles, or on a trace that is not part of the grid, gives None.
    """
    if geometry.empty or not isinstance(point, Mapping):
        return None
    cn = point.get("curveNumber")
    if not isinstance(cn, int) or not 0 <= cn < len(geometry.traces):
        return None
    role = geometry.traces[cn]
    idx = point.get("pointNumber", point.get("pointIndex"))
    c = geometry.n_classes
    if role.kind in ("background", "hue", "values"):
        if not isinstance(idx, (list, tuple)) or len(idx) != 2:
            return None
        r, k = int(idx[0]), int(idx[1])
        rows, cols = geometry.region_shape(role.region, role.kind)
        if not (0 <= r < rows and 0 <= k < cols):
            return None  # Plotly reports bricks past the end of z on categorical axes: not ours
        if role.kind in ("hue", "values"):
            return geometry.target_at(role.x0 + k, role.y0 + r)
        i = r if role.region in ("cell", "fn") else c
        j = k if role.region in ("cell", "fp") else c
        return _target(i, j, c, None, None)
    if role.kind == "line":
        if isinstance(idx, (list, tuple)) or idx is None:
            return None
        n = int(idx)
        per = geometry.n_time_columns + 1
        block, t = divmod(n, per)
        if t >= geometry.n_time_columns:
            return None  # the NaN separator between tiles
        t *= geometry.time_bin  # the first logged step of the time column
        if role.region == "cell":
            return _target(int(role.row or 0), block, c, role.series, t)
        if role.region == "fn":
            return _target(block, c, c, role.series, t)
        if role.region == "fp":
            return _target(c, block, c, role.series, t)
        return _target(c, c, c, role.series, t)
    return None


def epoch_marker_update(
    values: MatrixValues, style: MatrixStyle, geometry: MatrixGeometry, *, step_name: str = "epoch"
) -> dict:
    """What changes when the selected epoch (``style.epoch``) moves, without resending the matrix.

    Returns ``{"shapes": [...], "data": {trace_index: {"z": ..., "text": ...}}}``:

    * ``shapes``: the complete new ``layout.shapes`` list (the dashed markers; empty when
      ``style.epoch`` is None). The matrix uses no other shapes, so replacing the list is safe.
    * ``data``: per trace index, properties to overwrite. Empty in heatmap mode; in lines mode the
      four grey background traces get their new ``z`` and hover ``text``.

    Apply it with :func:`apply_update` to a ``dash.Patch()`` (or a figure dict, in tests)::

        patch = apply_update(Patch(), epoch_marker_update(values, style, geometry))
    """
    update: dict[str, Any] = {"shapes": _epoch_shapes(values.steps, style, geometry), "data": {}}
    if geometry.encoding == "lines" and not geometry.empty:
        bg = _background(values, style, _scales(values), step_name)
        for reg in REGIONS:
            z, text = bg[reg]
            update["data"][geometry.trace_index("background", reg)] = {
                "z": z.astype(np.float32),
                "text": text,
            }
    return update


def colorscale_update(values: MatrixValues, style: MatrixStyle, geometry: MatrixGeometry) -> dict | None:
    """New colour scales after a gamma or linear/log change, or None if the figure must be rebuilt.

    Heatmap mode: ``{"shapes": [...], "data": {trace_index: {"colorscale": ...}}}`` for the
    value traces of cells, FN and FP (accuracy keeps its linear scale): ``z`` holds true values, so
    only the mapping from value to brightness changes. ``shapes`` are the epoch markers of
    ``style.epoch``: the browser moves markers without telling the server's copy of the figure
    (see ``epoch_marker_meta``), so every update re-states them. Lines mode moves the lines
    themselves, so it returns None and the caller rebuilds the figure.
    """
    if geometry.encoding != "heatmap" or geometry.empty:
        return None
    scales = _scales(values)
    out: dict[int, dict] = {}
    for reg in ("cell", "fn", "fp"):
        vmax, eps = scales["cell" if reg == "cell" else "fnfp"]
        out[geometry.trace_index("values", reg)] = {"colorscale": ramp_colorscale(style, vmax, eps)}
    return {"shapes": _epoch_shapes(values.steps, style, geometry), "data": out}


def geometry_for(values: MatrixValues, style: MatrixStyle) -> MatrixGeometry:
    """The geometry :func:`build_matrix_figure` used for ``values`` drawn in ``style``.

    Mirrors the builder's fallback: the line encoding above ``LINES_MAX_CLASSES`` is drawn as
    heatmaps, so its geometry is the heatmap one.
    """
    n_s, n_t = values.values.shape[:2]
    n_c = len(values.classes)
    if style.encoding == "lines" and n_c > LINES_MAX_CLASSES:
        style = MatrixStyle("heatmap", False, style.scale, style.gamma, style.epoch)
    return matrix_geometry(n_c, n_s, n_t, style)


@dataclass(frozen=True)
class DetailSpec:
    """What the detail chart shows for a clicked target: ``values``/``counts`` are ``(S, T)``."""

    title: str
    y_title: str
    percent: bool
    values: np.ndarray
    counts: np.ndarray | None


def detail_spec(target: CellTarget, values: MatrixValues) -> DetailSpec:
    """Title, axis title and the ``(S, T)`` numbers of a matrix target, for the detail chart.

    The title names exactly what is plotted, including the denominator of relative values.
    """
    classes = values.classes
    norm = values.normalization
    mask = np.isfinite(values.accuracy)
    if target.kind == "accuracy":
        return DetailSpec("Overall accuracy", "accuracy", True, values.accuracy, None)
    if norm is None:
        unit, share = "instances", ""
    else:
        share = {"true": " (share of the true class)", "pred": " (share of the predicted class)"}.get(
            norm, " (share of all instances)"
        )
        unit = "share"
    if target.kind == "cell" and target.true is not None and target.pred is not None:
        i, j = target.true, target.pred
        what = f"{classes[i]} correctly classified" if i == j else f"{classes[i]} predicted as {classes[j]}"
        counts = np.where(mask, values.counts[:, :, i, j], np.nan)
        return DetailSpec(what + share, unit, norm is not None, values.values[:, :, i, j], counts)
    if target.kind == "fn" and target.true is not None:
        i = target.true
        fn_share = "" if norm is None else " (share " + RELATIVE_PHRASE_FN[norm] + ")"
        counts = np.where(mask, values.fn_counts[:, :, i], np.nan)
        return DetailSpec(
            f"False negatives of {classes[i]}: {classes[i]} predicted as another class" + fn_share,
            unit,
            norm is not None,
            values.fn[:, :, i],
            counts,
        )
    if target.kind == "fp" and target.pred is not None:
        j = target.pred
        fp_share = "" if norm is None else " (share " + RELATIVE_PHRASE_FP[norm] + ")"
        counts = np.where(mask, values.fp_counts[:, :, j], np.nan)
        return DetailSpec(
            f"False positives of {classes[j]}: other classes predicted as {classes[j]}" + fp_share,
            unit,
            norm is not None,
            values.fp[:, :, j],
            counts,
        )
    raise ValueError(f"incomplete target {target}")


def apply_update(target: Any, update: Mapping[str, Any]) -> Any:
    """Apply an update from :func:`epoch_marker_update` or :func:`colorscale_update`.

    ``target`` is anything indexable like a figure: a ``dash.Patch()``, a ``go.Figure`` or a
    figure dict. Returns ``target``.
    """
    if "shapes" in update:
        target["layout"]["shapes"] = update["shapes"]
    for index, props in update.get("data", {}).items():
        for key, value in props.items():
            target["data"][int(index)][key] = value
    return target
