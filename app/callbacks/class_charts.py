"""View B: precision, recall and F1 per class over time, and instances per class.

Line charts keep every step and zoom to the range through their x axis; the bars show the class
sizes at the selected epoch (or each series' last step in the range).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dash
from dash import Output, ctx

from confusionflow.app.callbacks.common import series_colors, view_tensor
from confusionflow.app.callbacks.inputs import VIEW_INPUTS, Bounds, epoch_only, outputs_of, parse_inputs
from confusionflow.components import ids
from confusionflow.components.charts import build_class_performance_figure, build_distribution_figure
from confusionflow.components.figure_style import empty_figure
from confusionflow.data_access import metrics
from confusionflow.data_access.store import LogStore
from confusionflow.data_access.views import support_at
from confusionflow.data_access.vocabulary import shared_step_name

PERF_OUTPUTS = {"figure": Output(ids.CLASS_PERF_GRAPH, "figure"), "meta": Output(ids.CLASS_PERF_META, "data")}
SIZES_OUTPUTS = {"figure": Output(ids.DISTRIBUTION_GRAPH, "figure")}


def class_performance_update(store: LogStore, raw: Mapping[str, object], triggered: object) -> dict[str, Any]:
    """Precision, recall and F1 per class over time, for the page's view inputs."""
    page = parse_inputs(raw, Bounds.of(store.list_series()))
    tensor = view_tensor(store, page.selection)
    if tensor is not None and epoch_only(triggered):
        # only the epoch moved: the browser moved the dashed markers (moveEpochMarkers); a
        # Patch would make dcc.Graph recompute every line. Every rebuild draws the markers.
        return {"figure": dash.no_update, "meta": dash.no_update}
    if tensor is None:
        return {
            "figure": empty_figure("Choose a series to see precision, recall and F1 per class."),
            "meta": None,
        }
    figure = build_class_performance_figure(
        metrics.tensor_metrics(tensor),
        tensor.steps,
        tensor.classes,
        [s.label for s in tensor.series],
        series_colors(page.selection.series, page.slots),
        epoch=page.epoch,
        x_range=page.step_range,
        step_name=shared_step_name(s.step_name for s in tensor.series),
    )
    return {"figure": figure, "meta": {"classes": list(tensor.classes)}}


def class_sizes_update(store: LogStore, raw: Mapping[str, object]) -> dict[str, Any]:
    """Instances per class at the epoch (or each series' last step in the range)."""
    page = parse_inputs(raw, Bounds.of(store.list_series()))
    tensor = view_tensor(store, page.selection)
    if tensor is None:
        return {"figure": empty_figure("Choose a series to see its class sizes.")}
    if page.step_range is not None:
        tensor = tensor.step_window(*page.step_range)
    support, label = support_at(tensor, page.epoch)
    figure = build_distribution_figure(
        support,
        tensor.classes,
        [s.label for s in tensor.series],
        series_colors(page.selection.series, page.slots),
        step_label=label,
    )
    return {"figure": figure}


def register(app: dash.Dash, store: LogStore) -> None:
    @app.callback(output=PERF_OUTPUTS, inputs=VIEW_INPUTS)
    def update_class_performance(**raw):
        return outputs_of(class_performance_update(store, raw, ctx.triggered_prop_ids), PERF_OUTPUTS)

    @app.callback(output=SIZES_OUTPUTS, inputs=VIEW_INPUTS)
    def update_distribution(**raw):
        return outputs_of(class_sizes_update(store, raw), SIZES_OUTPUTS)
