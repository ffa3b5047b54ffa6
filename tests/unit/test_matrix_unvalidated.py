"""The heatmap matrix is built without plotly's property validation (``unvalidated_figure``, for
speed); its JSON must be exactly what the validated figure sends, in every heatmap variant."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import pytest
from plotly.io.json import to_json_plotly

import confusionflow.components.matrix.heatmap as heatmap
from confusionflow.components.matrix import CellTarget, MatrixStyle, build_matrix_figure
from confusionflow.data_access.views import matrix_values
from tests.factories import make_tensor


def validated(data, layout):
    return go.Figure(data=data, layout=layout)


@pytest.mark.parametrize(
    ("normalization", "style", "steps", "outline"),
    [
        (None, MatrixStyle(), 6, None),
        ("true", MatrixStyle(epoch=3.0), 6, CellTarget("cell", 0, 1)),
        ("pred", MatrixStyle(rotate=True, scale="log", gamma=2.0), 6, CellTarget("fn", 1, None)),
        (None, MatrixStyle(), 4000, None),  # steps averaged into time columns
    ],
)
def test_the_unvalidated_matrix_sends_the_json_of_the_validated_one(
    monkeypatch, normalization, style, steps, outline
) -> None:
    rng = np.random.default_rng(1)
    counts = rng.integers(0, 30, size=(2, steps, 4, 4))
    mask = np.ones((2, steps), dtype=bool)
    mask[1, 2] = False
    tensor = make_tensor(counts, np.arange(1, steps + 1, dtype=float), ["a", "<b>", "c & d", "e"], mask=mask)
    values = matrix_values(tensor, normalization)
    fast = build_matrix_figure(values, ["#1f77b4", "#ff7f0e"], style, outline=outline)
    monkeypatch.setattr(heatmap, "unvalidated_figure", validated)
    slow = build_matrix_figure(values, ["#1f77b4", "#ff7f0e"], style, outline=outline)
    assert json.loads(to_json_plotly(fast)) == json.loads(to_json_plotly(slow))
