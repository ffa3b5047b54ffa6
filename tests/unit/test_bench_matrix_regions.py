"""The subplots-per-region variant that ``benchmarks/bench_matrix.py --regions`` draws holds the
same tiles and colour bars as the matrix as built, so the benchmark compares like with like (it
broke once when the matrix gained its colour-bar traces)."""

from __future__ import annotations

import numpy as np

from benchmarks.bench_matrix import make_values, region_subplots
from confusionflow.components.colors import PALETTE
from confusionflow.components.matrix import MatrixStyle, build_matrix_figure, matrix_geometry


def test_every_region_gets_a_hue_and_a_value_heatmap_and_the_scales_stay():
    c, s, t = 6, 2, 4
    style = MatrixStyle()
    geo = matrix_geometry(c, s, t, style)
    built = build_matrix_figure(make_values(c, s, t, None), PALETTE, style)
    one = built.to_dict()
    grid = region_subplots(one, np.asarray(built.data[0].z), geo, own_categories=True)
    heatmaps = [d for d in grid["data"] if d["type"] == "heatmap"]
    scales = [d["name"] for d in grid["data"] if d["type"] == "scatter"]
    # four regions (matrix, FN, FP, accuracy), each with its hue slice and its value trace
    assert sorted({(d["xaxis"], d["yaxis"]) for d in heatmaps}) == [
        ("x", "y"),
        ("x", "y2"),
        ("x2", "y"),
        ("x2", "y2"),
    ]
    assert len(heatmaps) == 8
    assert scales == [d["name"] for d in one["data"] if d["type"] == "scatter"] and len(scales) == 3
    # the matrix region's hue slice is the main block of the whole grid
    main = next(d for d in heatmaps if (d["xaxis"], d["yaxis"]) == ("x", "y"))
    rows, cols = np.asarray(main["z"]).shape
    assert (rows, cols) == (int(geo.y.main_extent), int(geo.x.main_extent))
