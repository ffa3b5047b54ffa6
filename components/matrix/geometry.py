"""Where every part of the matrix sits, and what each trace holds.

The geometry is computed from the server's own data (classes, series, steps) and the style, never
from anything the browser sends. :func:`drawn_style` is the one place that decides whether the
line encoding falls back to heatmaps (above ``LINES_MAX_CLASSES`` classes); it returns the note
that says so, for the figure to show.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from confusionflow.components.downsample import n_columns, smallest_bin
from confusionflow.components.matrix.style import REGIONS, Encoding, MatrixStyle, Region

GAP_FRACTION = 0.12  # gap between tiles, as a share of a tile's time extent
WIDE_GAP_FACTOR = 3  # the gap before the FN column / FP row, in normal gaps
LINES_MAX_CLASSES = 25  # measured: 30 classes x 50 steps is already 5.8 MB and ~0.5-0.8 s to draw
# Bricks per heatmap layer above which steps are averaged into wider time columns. Measured: the
# browser's draw time grows with bricks and category count (see docs/PERFORMANCE.md); a tile of a
# 100-class matrix is ~10 px wide on screen, so more columns than that cannot be seen anyway.
CELL_BUDGET = 600_000
# Above LINES_MAX_CLASSES classes (the sub-matrix of a many-class run), a tile is narrower than
# MATRIX_WIDTH_PX / (C + 1) px (~20 px for 40 classes at 1600x1000), so its time columns are also
# capped at that many: more would be sub-pixel, and they cost bytes and draw time (40 classes x
# 3 series x 50 steps was 2.9 MB and ~0.9 s to draw). Labels and hover say which steps a column means.
MATRIX_WIDTH_PX = 800
MIN_TILE_COLUMNS = 10  # a tile keeps at least this many columns (a 100-class matrix of 10 steps: all)
# Line points per figure above which the line encoding averages steps too (payload ~30 bytes/point).
LINE_POINT_BUDGET = 120_000
LINE_TILE_HEIGHT = 1.0


def drawn_style(n_classes: int, style: MatrixStyle) -> tuple[MatrixStyle, str | None]:
    """The style the matrix is really drawn in, and the note to show when it differs.

    The line encoding is drawn up to ``LINES_MAX_CLASSES`` classes; above, the matrix is drawn as
    (unrotated) heatmaps and the note says why.
    """
    if style.encoding == "lines" and n_classes > LINES_MAX_CLASSES:
        note = (
            f"Line encoding shows up to {LINES_MAX_CLASSES} classes; showing heatmaps. Select fewer classes."
        )
        return replace(style, encoding="heatmap", rotate=False), note
    return style, None


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
        return n_columns(self.n_steps, self.time_bin)

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
        """``(rows, cols)`` of a trace's ``z``: grid units, or for ``background`` one row per series
        band of each tile row with a gap row between tile rows, and one column per tile."""
        c = self.n_classes
        if kind == "hue":
            return int(self.y.total), int(self.x.total)
        if kind == "background":
            tile_rows = c if region in ("cell", "fn") else 1
            return tile_rows * (self.n_series + 1) - 1, (c if region in ("cell", "fp") else 1)
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
        return make_target(i, j, c, series, step)


def make_target(i: int, j: int, c: int, series: int | None, step: int | None) -> CellTarget:
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
    visible = max(MIN_TILE_COLUMNS, MATRIX_WIDTH_PX // (c + 1)) if c > LINES_MAX_CLASSES else t

    def cost(cols: int) -> float:
        return rows * (c + 1) * (cols + _gap(cols)) if cols <= visible else math.inf

    return smallest_bin(t, cost, CELL_BUDGET)


def _line_bin(c: int, r: int, t: int) -> int:
    """Smallest number of steps per line point that keeps the lines within LINE_POINT_BUDGET."""
    return smallest_bin(t, lambda cols: r * (c + 1) * (c + 1) * (cols + 1), LINE_POINT_BUDGET)


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


def nearest_step(steps: np.ndarray, epoch: float | None) -> int | None:
    """Index of the logged step the epoch marker sits on (the nearest one; None if no steps)."""
    if epoch is None or len(steps) == 0:
        return None
    e = float(epoch)
    if e < steps[0] - 1e-9 or e > steps[-1] + 1e-9:
        return None
    return int(np.argmin(np.abs(steps - e)))
