"""The matrix says what brightness means: a colour bar per value scale, naming unit and scale."""

from __future__ import annotations

import numpy as np

from confusionflow.components.colors import PALETTE
from confusionflow.components.matrix import (
    MatrixStyle,
    apply_update,
    build_matrix_figure,
    colorscale_update,
    matrix_geometry,
)
from confusionflow.components.matrix.scale_legend import SCALES
from confusionflow.data_access.views import matrix_values
from tests.factories import make_tensor, random_counts


def _values(normalization=None):
    tensor = make_tensor(random_counts((2, 4, 3, 3), seed=1), np.arange(4, dtype=float), ("a", "b", "c"))
    return matrix_values(tensor, normalization)


def _bars(fig) -> list[dict]:
    return [t["marker"] for t in fig.to_plotly_json()["data"] if t.get("marker", {}).get("showscale")]


def test_one_colour_bar_per_scale_names_unit_and_scale() -> None:
    style = MatrixStyle(scale="log", gamma=0.5)
    bars = _bars(build_matrix_figure(_values("true"), PALETTE, style))
    assert len(bars) == len(SCALES) == 3
    titles = [b["colorbar"]["title"]["text"] for b in bars]
    assert titles[0].startswith("cells<br>% of true class (row)<br>log · γ 0.50")
    assert titles[1].startswith("FN / FP<br>") and "log · γ 0.50" in titles[1]
    assert titles[2] == "accuracy<br>share correct<br>linear"
    counts = _bars(build_matrix_figure(_values(None), PALETTE, MatrixStyle()))
    assert "instances" in counts[0]["colorbar"]["title"]["text"]
    assert counts[0]["cmax"] == float(np.nanmax(np.where(np.eye(3, dtype=bool), np.nan, _values().values)))


def test_a_gamma_change_restates_the_bars() -> None:
    values = _values("true")
    geo = matrix_geometry(3, 2, 4, MatrixStyle())
    fig = build_matrix_figure(values, PALETTE, MatrixStyle()).to_plotly_json()
    update = colorscale_update(values, MatrixStyle(gamma=0.3), geo)
    assert update is not None, "a gamma change restyles the figure in place"
    patched = apply_update(fig, update)
    bar = patched["data"][len(geo.traces)]["marker"]
    assert "γ 0.30" in bar["colorbar"]["title"]["text"]
    assert bar["colorscale"] != _bars(build_matrix_figure(values, PALETTE, MatrixStyle()))[0]["colorscale"]
