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
    GAP_W,
    METRIC_TITLES,
    METRICS,
    TILE_H,
    TILE_W,
    ClassGridScale,
    Metric,
    build_class_performance_figure,
    class_performance_epoch_meta,
    class_performance_epoch_shapes,
    decode_class_click,
)
from confusionflow.components.charts.class_sizes import build_distribution_figure
from confusionflow.components.charts.detail import build_detail_figure
from confusionflow.components.charts.timeline import build_timeline_figure, timeline_shapes
from confusionflow.components.figure_style import epoch_line_meta

__all__ = [
    "CLASS_POINT_BUDGET",
    "GAP_H",
    "GAP_W",
    "METRICS",
    "METRIC_TITLES",
    "TILE_H",
    "TILE_W",
    "ClassGridScale",
    "Metric",
    "build_class_performance_figure",
    "build_detail_figure",
    "build_distribution_figure",
    "build_timeline_figure",
    "class_performance_epoch_meta",
    "class_performance_epoch_shapes",
    "decode_class_click",
    "epoch_line_meta",
    "timeline_shapes",
]
