"""A class name cut to fit its diagonal tile keeps its whole name on hover."""

from __future__ import annotations

import numpy as np

from confusionflow.components.colors import PALETTE
from confusionflow.components.matrix import MatrixStyle, build_matrix_figure
from confusionflow.data_access.views import matrix_values
from tests.factories import make_tensor, random_counts


def test_a_cut_diagonal_name_hovers_its_whole_name() -> None:
    names = (
        "aquatic mammals",
        "fish",
        "large carnivores",
        "insects",
        "people",
        "trees",
        "flowers",
        "reptiles",
    )
    c = len(names)
    tensor = make_tensor(random_counts((1, 3, c, c), seed=4), np.arange(3, dtype=float), names)
    fig = build_matrix_figure(matrix_values(tensor), PALETTE, MatrixStyle())
    diag = {a.hovertext: a.text for a in fig.layout.annotations if a.xref == "x"}
    assert "aquatic mammals" in diag and diag["aquatic mammals"].endswith("…")
    shown = [a.text for a in fig.layout.annotations if a.xref == "x"]
    assert "fish" in shown
    assert all(a.hovertext is None for a in fig.layout.annotations if a.text == "fish")
