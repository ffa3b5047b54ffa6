"""The ConfusionFlow matrix (view A) as one Plotly figure with few traces.

Modules: ``style`` (how it is drawn), ``geometry`` (where everything sits, the line -> heatmap
fallback), ``colorscale``, ``labels``, ``heatmap`` and ``lines`` (the two encodings), ``updates``
(click decoding, epoch-marker and colour-scale Patches) and ``figure`` (the builder).

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
  changing gamma or linear/log only replaces the colour scales (:func:`~confusionflow.components.matrix.updates.colorscale_update`).

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
gives every tile one band per series (in series order, top to bottom) showing **that series'**
value at the selected epoch (each region scaled to its own maximum); the bands are transparent
when no epoch is selected. The
line encoding is drawn up to ``LINES_MAX_CLASSES`` classes (heatmaps above, with a note), and above
``LINE_POINT_BUDGET`` points it averages steps into time columns like the heatmaps do.

The tile the detail view shows is outlined (``outline``); a new detail target only moves the
outline (:func:`~confusionflow.components.matrix.updates.outline_update`, a ``Patch``).

Moving the epoch only changes the dashed markers (layout shapes) and, in lines mode, the grey
background: :func:`~confusionflow.components.matrix.updates.epoch_marker_update` returns exactly that, to be applied with ``dash.Patch``.
"""

from confusionflow.components.matrix.colorscale import brightness, ramp_colorscale
from confusionflow.components.matrix.figure import build_matrix_figure
from confusionflow.components.matrix.geometry import (
    CELL_BUDGET,
    LINES_MAX_CLASSES,
    CellTarget,
    MatrixGeometry,
    drawn_style,
    matrix_geometry,
)
from confusionflow.components.matrix.labels import CHAR_WIDTH, ZW, fit_label
from confusionflow.components.matrix.outline import OUTLINE_NAME, outline_shapes
from confusionflow.components.matrix.style import MatrixStyle
from confusionflow.components.matrix.updates import (
    apply_update,
    colorscale_update,
    decode_click,
    epoch_marker_recipe,
    epoch_marker_update,
    epoch_shapes,
    matrix_shapes,
    outline_update,
)

__all__ = [
    "CELL_BUDGET",
    "CHAR_WIDTH",
    "LINES_MAX_CLASSES",
    "OUTLINE_NAME",
    "ZW",
    "CellTarget",
    "MatrixGeometry",
    "MatrixStyle",
    "apply_update",
    "brightness",
    "build_matrix_figure",
    "colorscale_update",
    "decode_click",
    "drawn_style",
    "epoch_marker_recipe",
    "epoch_marker_update",
    "epoch_shapes",
    "fit_label",
    "matrix_geometry",
    "matrix_shapes",
    "outline_shapes",
    "outline_update",
    "ramp_colorscale",
]
