"""The C x C overview: values per cell, hover names, escaping, and box selection to classes."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from confusionflow.components.overview_figure import (
    box_from_selected_data,
    classes_in_box,
    escape_name,
    overview_figure,
)
from confusionflow.data_access.metrics import normalize
from confusionflow.data_access.overview_values import overview_values
from confusionflow.data_access.strategies import StrategyError
from tests.unit.many_classes import A_STEP1, A_STEP2, B_STEP2, hand_built

NAMES = ("ant", "<b>bee</b>", "cat & co", "dog", "eel")


def test_cells_and_hover_name_the_right_classes():
    values = np.arange(25, dtype=np.float32).reshape(5, 5)  # value = 5 * true + predicted
    order = np.array([3, 0, 4, 1, 2])
    fig = overview_figure(values, NAMES, order, title="t", percent=False).figure
    heat = fig.data[0]
    z = np.asarray(heat.z)
    for p in range(5):
        for q in range(5):
            true, pred = NAMES[order[p]], NAMES[order[q]]
            assert heat.y[p] == escape_name(true) and heat.x[q] == escape_name(pred)
            assert z[p, q] == 5 * order[p] + order[q]
    assert heat.hovertemplate.startswith("true: %{y}<br>predicted: %{x}<br>%{z")
    assert fig.layout.xaxis.type == fig.layout.yaxis.type == "category"
    assert fig.layout.dragmode == "select"
    go.Figure(fig.to_dict())  # built without validation: it must still be a valid figure


def test_names_and_title_are_escaped():
    fig = overview_figure(np.zeros((5, 5)), NAMES, title="<script>x</script>").figure
    assert "&lt;b&gt;bee&lt;/b&gt;" in fig.data[0].x and "cat &amp; co" in fig.data[0].y
    assert "<" not in fig.layout.title.text


def test_signed_values_use_a_symmetric_diverging_scale():
    values = np.array([[np.nan, -0.2], [0.5, np.nan]])
    heat = overview_figure(values, ("x", "y"), title="t", signed=True).figure.data[0]
    assert (heat.zmin, heat.zmax) == (-0.5, 0.5)
    assert "%{z:+.2%}" in heat.hovertemplate


def test_shape_and_order_are_checked():
    with pytest.raises(ValueError, match="values shape"):
        overview_figure(np.zeros((2, 3)), ("x", "y"), title="t")
    with pytest.raises(ValueError, match="permutation"):
        overview_figure(np.zeros((2, 2)), ("x", "y"), np.array([0, 0]), title="t")


def test_a_box_selects_the_rows_and_columns_it_covers():
    order = np.array([3, 0, 4, 1, 2])
    # rows at positions 1..2 (classes 0, 4), columns 2..4 (classes 4, 1, 2)
    assert classes_in_box(order, (1.6, 4.4), (0.7, 2.2)).tolist() == [0, 4, 1, 2]
    assert classes_in_box(order, (-9, 99), (-9, 99)).tolist() == [3, 0, 4, 1, 2]  # clipped
    assert classes_in_box(order, (10, 12), (10, 12)).tolist() == []


@pytest.mark.parametrize(
    "bad",
    [
        None,
        {},
        {"range": {"x": [0, 1]}},
        {"range": {"x": [0, "1"], "y": [0, 1]}},
        {"range": {"x": [0, float("nan")], "y": [0, 1]}},
        {"range": {"x": [0, 1, 2], "y": [0, 1]}},
        {"range": {"x": [True, 1], "y": [0, 1]}},
        "x",
    ],
)
def test_selected_data_from_the_browser_is_validated(bad):
    assert box_from_selected_data(bad) is None


def test_selected_data_box_is_read():
    assert box_from_selected_data({"range": {"x": [3.2, 1], "y": [0.5, 2]}}) == ((1.0, 3.2), (0.5, 2.0))


def test_overview_values_of_a_step_a_change_and_a_difference():
    counts = hand_built()
    step = overview_values(counts, "step", series="r/test", step=2)
    want = normalize(np.asarray(A_STEP2), "true").astype(np.float32)
    np.fill_diagonal(want, np.nan)
    np.testing.assert_array_equal(step.values, want)
    assert not step.signed and "diagonal (correct predictions) not drawn" in step.description
    change = overview_values(counts, "change", series="r/test", step=2, start=1, normalization=None)
    np.testing.assert_array_equal(
        np.nan_to_num(change.values),
        np.asarray(A_STEP2) - np.asarray(A_STEP1) - np.diag(np.diag(A_STEP2) - 10),
    )
    diff = overview_values(
        counts,
        "difference",
        series="r2/test",
        other_series="r/test",
        step=2,
        normalization=None,
        keep_diagonal=True,
    )
    np.testing.assert_array_equal(diff.values, np.asarray(B_STEP2) - np.asarray(A_STEP2))
    assert diff.signed
    with pytest.raises(
        StrategyError, match=r"r2/test.counts.jsonl \(fold 'test' of run 'r2'\) has no step 1"
    ):
        overview_values(counts, "change", series="r2/test", step=2, start=1)
