"""Figures of views B (class performance, class sizes), C (detail chart) and D (timeline).

One module per view; pure builders: arrays in, ``go.Figure`` out. They never compute a metric;
callers pass ``confusionflow.data_access.metrics.TensorMetrics`` or arrays sliced from it. Arrays are ``(S, T)``
or ``(S, T, C)`` with NaN where a series did not log a step; NaN stays a gap in every line. Steps
are the real logged step numbers (x axes show them, not indices). Consecutive steps are averaged
with :mod:`confusionflow.components.downsample` when a figure would exceed its budget.
"""

from confusionflow.components.charts.class_performance import (
    CLASS_POINT_BUDGET,
    GAP_H,
    METRIC_TITLES,
    METRICS,
    TILE_H,
    TILE_WIDTH_PX,
    Metric,
    apply_view,
    build_class_performance_figure,
    class_performance_epoch_meta,
    class_performance_epoch_shapes,
    class_performance_series_traces,
    class_performance_view,
    decode_class_click,
    holds_every_step,
    points_per_class,
)
from confusionflow.components.charts.class_sizes import (
    build_distribution_figure,
    distribution_title,
    distribution_trace,
    sizes_recipe,
)
from confusionflow.components.charts.detail import build_detail_figure
from confusionflow.components.charts.timeline import build_timeline_figure, timeline_shapes
from confusionflow.components.figure_style import epoch_line_meta

__all__ = [
    "CLASS_POINT_BUDGET",
    "TILE_WIDTH_PX",
    "GAP_H",
    "METRICS",
    "METRIC_TITLES",
    "TILE_H",
    "Metric",
    "apply_view",
    "build_class_performance_figure",
    "build_detail_figure",
    "build_distribution_figure",
    "build_timeline_figure",
    "class_performance_epoch_meta",
    "class_performance_epoch_shapes",
    "class_performance_series_traces",
    "class_performance_view",
    "decode_class_click",
    "distribution_title",
    "distribution_trace",
    "sizes_recipe",
    "holds_every_step",
    "points_per_class",
    "epoch_line_meta",
    "timeline_shapes",
]
