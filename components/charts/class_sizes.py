"""View B, class sizes: instances per class per series at one step, as grouped bars.

One bar trace per series, in series order, so an added series is one appended trace
(:func:`distribution_trace`) and a new title (:func:`distribution_title`).

The figure carries the sizes at every step of the view in ``layout.meta.epoch_sizes``
(:func:`sizes_recipe`), so an epoch move redraws the bars and the title in the browser
(``moveEpochMarkers`` in assets/confusionflow.js) without a request.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from confusionflow.components.figure_style import (
    AXIS_LINE_COLOR,
    GRID_COLOR,
    base_layout,
    check_colors,
    empty_figure,
)
from confusionflow.components.text import plain, plain_all


def distribution_title(step_label: str) -> dict:
    """The chart title (``layout.title``): which step the bars count."""
    return {
        "text": f"{TITLE_PREFIX}{plain(step_label)}",
        "x": 0,
        "xanchor": "left",
        "font": {"size": 13},
    }


TITLE_PREFIX = "Instances per class · "


# Numbers a recipe may hold (distinct size vectors x classes, plus series x steps). A fixed fold
# needs S x C + S x T (220 at 10 classes, 2 series, 100 steps); sizes that change at every step of
# a long run would need S x T x C, and then the figure carries no recipe: the browser asks the
# server at each epoch move instead (``sizesEpoch`` in assets/confusionflow.js).
MAX_RECIPE_NUMBERS = 20_000


def sizes_recipe(
    step_labels: Sequence[str], steps: np.ndarray, vectors: np.ndarray, index: np.ndarray
) -> dict | None:
    """The sizes at every step, for the browser: ``steps`` (the view's logged steps) with their
    labels (``format_step``), the distinct support ``vectors`` ``(K, C)`` and, per series, the
    vector of each step (``index`` ``(S, T)``, -1 where the series did not log it), and the
    title's words. The browser picks the bars and the title :func:`build_distribution_figure`
    would draw for an epoch (or for no epoch: each series' last logged step). None above
    ``MAX_RECIPE_NUMBERS``."""
    if np.size(vectors) + np.size(index) > MAX_RECIPE_NUMBERS:
        return None
    return {
        "steps": [float(x) for x in steps],
        "labels": [plain(x) for x in step_labels],
        "vectors": [[None if not np.isfinite(v) else float(v) for v in row] for row in vectors],
        "index": np.asarray(index, dtype=np.int64).tolist(),
        "title": TITLE_PREFIX,
    }


def distribution_trace(support: np.ndarray, classes: Sequence[str], label: str, color: str) -> dict:
    """The bars of one series: ``support`` ``(C,)`` instances per class, NaN drawing no bar; the
    hover names class, series and count."""
    name = plain(label)
    return {
        "type": "bar",
        "x": plain_all(classes),
        "y": np.asarray(support, dtype=np.float64),
        "name": name,
        "marker": {"color": color},
        "hovertemplate": f"class %{{x}}<br>{name}<br>%{{y:,.0f}} instances<extra></extra>",
    }


def build_distribution_figure(
    support: np.ndarray,
    classes: Sequence[str],
    series_labels: Sequence[str],
    colors: Sequence[str],
    *,
    step_label: str,
    recipe: dict | None = None,
) -> go.Figure:
    """Instances per class per series as grouped bars, at the step named by ``step_label``.

    ``support``: ``(S, C)`` instance counts; NaN (a series without a record at that step) draws no
    bar. Hover shows class, series and count. ``recipe``: the sizes at every step
    (:func:`sizes_recipe`), carried as ``layout.meta.epoch_sizes`` for the browser.
    """
    sup = np.asarray(support, dtype=np.float64)
    n_s, n_c = len(series_labels), len(classes)
    if n_s == 0 or n_c == 0:
        return empty_figure(height=260)
    if sup.shape != (n_s, n_c):
        raise ValueError(f"support must have shape (series, classes) = {(n_s, n_c)}; got {sup.shape}")
    colors = check_colors(colors, n_s)
    data = [distribution_trace(sup[s], classes, series_labels[s], colors[s]) for s in range(n_s)]
    layout = base_layout(
        height=280,
        margin={"l": 60, "r": 10, "t": 40, "b": 60},
        title=distribution_title(step_label),
        barmode="group",
        bargap=0.2,
        bargroupgap=0.05,
        xaxis={"type": "category", "tickangle": -45 if n_c > 8 else 0, "linecolor": AXIS_LINE_COLOR},
        yaxis={
            "title": {"text": "instances"},
            "gridcolor": GRID_COLOR,
            "zeroline": False,
            "rangemode": "tozero",
        },
        uirevision="distribution",
    )
    if recipe is not None:
        layout["meta"] = {"epoch_sizes": recipe}
    return go.Figure(data=data, layout=layout)
