"""The class sizes an epoch move draws in the browser (``epochSizes`` in assets/confusionflow.js,
from the figure's ``layout.meta.epoch_sizes``) are the server's: the bars and the title
``support_at`` gives for every step of the view, for no epoch, and for a step nobody logged."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from confusionflow.components.charts import distribution_title, sizes_recipe
from confusionflow.data_access.views import support_at, support_by_step
from confusionflow.data_access.vocabulary import format_step
from tests.factories import make_tensor

ASSET = Path(__file__).resolve().parents[2] / "assets" / "confusionflow.js"


def in_page(calls: list[list[object]]) -> list[object]:
    """``epochSizes(recipe, epoch, n_traces)`` of assets/confusionflow.js for each call, in Node."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    script = (
        "global.window = {addEventListener() {}}; global.document = {addEventListener() {}};"
        "const vm = require('vm');"
        f"vm.runInThisContext(require('fs').readFileSync({json.dumps(str(ASSET))}, 'utf8'));"
        f"process.stdout.write(JSON.stringify({json.dumps(calls)}.map(a => epochSizes(...a))));"
    )
    out = subprocess.run([node, "-e", script], capture_output=True, text=True, timeout=30, check=True)
    return json.loads(out.stdout)


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
