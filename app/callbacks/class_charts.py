"""View B: precision, recall and F1 per class over time, and instances per class.

Line charts keep every step and zoom to the range through their x axis; the bars show the class
sizes at the selected epoch (or each series' last step in the range).
"""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, ctx

from app.callbacks.common import Selection, epoch_of, series_colors, view_tensor, x_range_of
from components import ids
from components.charts import (
    build_class_performance_figure,
    build_distribution_figure,
)
from components.figure_style import empty_figure
from data_access import metrics
from data_access.views import support_at


def register(app: dash.Dash, store: Any) -> None:
    @app.callback(
        Output(ids.CLASS_PERF_GRAPH, "figure"),
        Output(ids.CLASS_PERF_META, "data"),
        Input(ids.SELECTION, "data"),
        Input(ids.SLOTS, "data"),
        Input(ids.RANGE_STORE, "data"),
        Input(ids.EPOCH_STORE, "data"),
    )
    def update_class_performance(selection, slots, step_range, epoch):
        sel = Selection.from_store(selection)
        tensor = view_tensor(store, sel)
        if tensor is not None and set(ctx.triggered_prop_ids or {}) == {f"{ids.EPOCH_STORE}.data"}:
            # only the epoch moved: the browser moved the dashed markers (moveEpochMarkers); a
            # Patch would make dcc.Graph recompute every line. Every rebuild draws the markers.
            return dash.no_update, dash.no_update
        if tensor is None:
            return empty_figure("Choose a series to see precision, recall and F1 per class."), None
        figure = build_class_performance_figure(
            metrics.tensor_metrics(tensor),
            tensor.steps,
            tensor.classes,
            [s.label for s in tensor.series],
            series_colors(sel.series, slots),
            epoch=epoch_of(epoch),
            x_range=x_range_of(step_range),
        )
        return figure, {"classes": list(tensor.classes)}

    @app.callback(
        Output(ids.DISTRIBUTION_GRAPH, "figure"),
        Input(ids.SELECTION, "data"),
        Input(ids.SLOTS, "data"),
        Input(ids.RANGE_STORE, "data"),
        Input(ids.EPOCH_STORE, "data"),
    )
    def update_distribution(selection, slots, step_range, epoch):
        sel = Selection.from_store(selection)
        tensor = view_tensor(store, sel)
        if tensor is None:
            return empty_figure("Choose a series to see its class sizes.")
        rng = x_range_of(step_range)
        if rng is not None:
            tensor = tensor.step_window(*rng)
        support, label = support_at(tensor, epoch_of(epoch))
        return build_distribution_figure(
            support,
            tensor.classes,
            [s.label for s in tensor.series],
            series_colors(sel.series, slots),
            step_label=label,
        )
