"""Many series: strips keep a legible height, and past the palette the matrix says so instead of
repeating colours."""

from __future__ import annotations

import json

import numpy as np
import pytest

from confusionflow.app.callbacks import matrix
from confusionflow.app.callbacks.common import Selection
from confusionflow.app.callbacks.inputs import parse_inputs
from confusionflow.components.colors import PALETTE
from confusionflow.components.matrix import MatrixStyle, build_matrix_figure, matrix_geometry
from confusionflow.components.matrix.labels import MIN_STRIP_PX
from confusionflow.data_access.store import LogStore
from confusionflow.data_access.views import matrix_values
from tests.factories import make_tensor, random_counts, write_run

CLASSES = [f"k{i}" for i in range(10)]


def test_nine_series_strips_are_at_least_the_minimum_height() -> None:
    s, t, c = 9, 5, len(CLASSES)
    tensor = make_tensor(random_counts((s, t, c, c), seed=2), np.arange(t, dtype=float), tuple(CLASSES))
    style = MatrixStyle()
    fig = build_matrix_figure(matrix_values(tensor), PALETTE, style)
    geo = matrix_geometry(c, s, t, style)
    margin = fig.layout.margin
    px_per_unit = (fig.layout.height - margin.t - margin.b) / geo.y.total
    assert px_per_unit * geo.strip_rows >= MIN_STRIP_PX - 0.01  # one series strip, in px


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> LogStore:
    root = tmp_path_factory.mktemp("many-series")
    folds = {
        f"f{i:02d}": {1: np.eye(3, dtype=np.int64) + 1, 2: np.eye(3, dtype=np.int64) * 2 + 1}
        for i in range(13)
    }
    write_run(root, "run", ["a", "b", "c"], counts=folds)
    return LogStore(root)


def _page(n: int):
    series = tuple(f"run/f{i:02d}" for i in range(n))
    selection = Selection(series=series, steps=(1.0, 2.0)).to_store()
    return parse_inputs({"selection": selection, "slots": {}, "step_range": None, "epoch": None})


def test_past_the_palette_the_matrix_says_how_many_it_shows(store) -> None:
    out = matrix.matrix_update(store, _page(len(PALETTE) + 1), None)
    text = json.dumps(out.figure.to_plotly_json(), default=str)
    assert out.meta is None
    assert f"up to {len(PALETTE)} series" in text and "13 are chosen; remove 1" in text
    drawn = matrix.matrix_update(store, _page(len(PALETTE)), None)
    assert drawn.meta is not None and drawn.meta["n_series"] == len(PALETTE)
