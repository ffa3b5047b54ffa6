"""``build_matrix_figure``: picks the encoding, computes the geometry and adds the epoch markers."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import plotly.graph_objects as go

from confusionflow.components.figure_style import MUTED_COLOR, check_colors, empty_figure
from confusionflow.components.matrix.geometry import CellTarget, drawn_style, matrix_geometry
from confusionflow.components.matrix.heatmap import build_heatmap
from confusionflow.components.matrix.lines import build_lines
from confusionflow.components.matrix.style import MatrixStyle
from confusionflow.components.matrix.updates import epoch_marker_recipe, matrix_shapes
from confusionflow.data_access.views import MatrixValues


def build_matrix_figure(
    values: MatrixValues,
    colors: Sequence[str],
    style: MatrixStyle,
    *,
    step_name: str = "epoch",
    uirevision: str | None = None,
    outline: CellTarget | None = None,
    superclasses: bool = False,
) -> go.Figure:
    """The ConfusionFlow matrix for ``values`` (see :mod:`confusionflow.components.matrix` for the encoding).

    ``colors``: one hex colour per series, in ``values.series_labels`` order. ``step_name`` names
    the time axis in hover text ("epoch", "iteration"). ``uirevision`` keeps the user's zoom across
    updates; by default it changes only when the classes, series or encoding change. ``outline``:
    the tile the detail view shows, outlined (:mod:`confusionflow.components.matrix.outline`).
    ``superclasses``: the classes are superclasses, so the accuracy corner counts a prediction
    inside the true superclass as correct, and says so.
    Empty input (no series, steps or classes) gives a figure saying nothing is selected. When the
    requested encoding cannot be drawn (:func:`~confusionflow.components.matrix.geometry.drawn_style`), the
    figure is drawn in the fallback and carries the note saying so.
    """
    n_s, n_t = values.values.shape[:2]
    n_c = len(values.classes)
    if n_s == 0 or n_t == 0 or n_c == 0:
        return empty_figure()
    colors = check_colors(colors, n_s)
    style, note = drawn_style(n_c, style)
    geo = matrix_geometry(n_c, n_s, n_t, style)
    if uirevision is None:
        # a digest, not the names: short, and no user string in a property nothing escapes
        key = "\0".join(["matrix", style.encoding, str(style.rotate), *values.classes, *values.series_keys])
        uirevision = hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    build = build_lines if style.encoding == "lines" else build_heatmap
    fig = build(
        values,
        colors,
        style,
        geo,
        step_name,
        uirevision,
        matrix_shapes(values.steps, style, geo, outline),
        epoch_marker_recipe(values.steps, geo),
        superclasses=superclasses,
    )
    if note is not None:
        fig.add_annotation(
            text=note, xref="paper", yref="paper", x=0, y=1, yanchor="bottom", xanchor="left",
            showarrow=False, yshift=4, font={"color": MUTED_COLOR},
        )  # fmt: skip
    return fig
