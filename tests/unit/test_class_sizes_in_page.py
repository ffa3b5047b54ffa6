"""The class sizes an epoch move draws in the browser (``epochSizes`` in assets/confusionflow.js,
from the figure's ``layout.meta.epoch_sizes``) are the server's: the bars and the title
``support_at`` gives for every step of the view, for no epoch, and for a step nobody logged."""

from __future__ import annotations

import json

import numpy as np
from plotly.io.json import to_json_plotly

from confusionflow.components.charts import build_distribution_figure, distribution_title, sizes_recipe
from confusionflow.data_access.views import support_at, support_by_step
from confusionflow.data_access.vocabulary import format_step
from tests.clientside import in_page
from tests.factories import make_tensor


def tensor_with_gaps():
    rng = np.random.default_rng(5)
    counts = rng.integers(0, 9, size=(2, 5, 3, 3))
    counts[:, 3] = counts[:, 2]  # two steps with the same sizes share one vector
    mask = np.ones((2, 5), dtype=bool)
    mask[1, 4] = False  # the second series did not log the last step
    mask[0, 0] = False
    return make_tensor(counts, [1.0, 2.0, 2.5, 4.0, 1234567.5], ["a", "b", "c"], mask=mask)


def test_the_browser_draws_the_sizes_and_title_support_at_gives_at_every_step():
    tensor = tensor_with_gaps()
    vectors, index = support_by_step(tensor)
    assert len(vectors) < int(tensor.mask.sum())  # repeated sizes are sent once
    recipe = sizes_recipe([format_step(s) for s in tensor.steps], tensor.steps, vectors, index)
    epochs: list[float | None] = [*(float(s) for s in tensor.steps), None, 3.0]
    got = in_page([[recipe, e, tensor.n_series] for e in epochs])
    for epoch, drawn in zip(epochs, got, strict=True):
        support, label = support_at(tensor, epoch)
        want = [[None if np.isnan(v) else float(v) for v in row] for row in support]
        assert drawn["y"] == want, epoch
        assert drawn["title"] == distribution_title(label)["text"], epoch
    # the last step differs between the series: no single step in the title
    assert got[-2]["title"] == "Instances per class · last step"
    assert got[-1]["title"] == "Instances per class · step 3 (not logged)"
    assert got[4]["title"] == "Instances per class · step 1234567.5"


def test_a_recipe_that_does_not_fit_the_figure_changes_nothing():
    tensor = tensor_with_gaps()
    vectors, index = support_by_step(tensor)
    recipe = sizes_recipe([format_step(s) for s in tensor.steps], tensor.steps, vectors, index)
    assert in_page([[recipe, 2.0, 3]]) == [None]  # three bar traces, two series in the recipe


def test_too_many_sizes_travel_as_no_recipe_and_the_server_draws_each_epoch():
    steps = np.arange(1.0, 801.0)
    vectors = np.arange(800 * 30, dtype=float).reshape(800, 30)  # sizes that change every step
    index = np.arange(800)[None, :]
    assert sizes_recipe([format_step(s) for s in steps], steps, vectors, index) is None
    small = sizes_recipe(["1"], np.array([1.0]), np.ones((1, 3)), np.zeros((1, 1), dtype=int))
    figure = build_distribution_figure(
        np.ones((1, 3)), ["a", "b", "c"], ["s"], ["#111111"], step_label="x", recipe=small
    )
    with_recipe = json.loads(to_json_plotly(figure))
    without = json.loads(
        to_json_plotly(
            build_distribution_figure(np.ones((1, 3)), ["a", "b", "c"], ["s"], ["#111111"], step_label="x")
        )
    )
    # the browser asks the server for the epoch only for the figure without a recipe
    assert in_page([[4.0, with_recipe], [4.0, without], [None, None]], "sizesEpoch") == ["NO", 4.0, None]


def test_the_matrix_and_the_instance_list_hear_the_epoch_only_when_they_show_it():
    # a heatmap's epoch is its markers; lines draw the epoch's background as data
    got = in_page([[3.0, {"encoding": "heatmap"}], [3.0, {"encoding": "lines"}], [None, None]], "matrixEpoch")
    assert got == ["NO", 3.0, "NO"]
    cell = {"kind": "cell", "true": "a", "pred": "b"}
    calls = [
        [[1.0, 5.0], 3.0, cell],
        [[1.0, 5.0], None, {"kind": "fn", "true": "a", "pred": None}],
        [[1.0, 5.0], 3.0, {"kind": "accuracy", "true": None, "pred": None}],
        [[1.0, 5.0], 3.0, {"kind": "precision", "true": "a", "pred": None}],
        [None, 3.0, None],
    ]
    assert in_page(calls, "instancesSteps") == [[[1.0, 5.0], 3.0], [[1.0, 5.0], None], "NO", "NO", "NO"]
