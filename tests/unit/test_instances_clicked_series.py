"""The instance panel lists the series whose strip was clicked, not always the first one."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from confusionflow.app.callbacks import instances as inst_cb
from confusionflow.app.callbacks.common import Selection
from confusionflow.app.callbacks.detail import drawn_geometry
from confusionflow.app.callbacks.inputs import Bounds, parse_inputs
from confusionflow.data_access.store import LogStore
from confusionflow.data_access.writer import LogWriter

CLASSES = ["cat", "dog", "fox"]


def write_two_series(root: Path) -> LogStore:
    rng = np.random.default_rng(0)
    for run in ("base", "shifted"):
        with LogWriter(root, run, CLASSES) as w:
            for step in (1, 2, 3):
                y = rng.integers(0, 3, 60)
                w.add(step, "test", y, rng.integers(0, 3, 60))
    return LogStore(root)


def strip_point(store: LogStore, page, series: int, true: int, pred: int) -> dict:
    """A click (as the browser sends it: axis position, no grid trace) inside ``series``' strip of
    the cell (true, pred), found by scanning the drawn geometry."""
    drawn = drawn_geometry(store, page)
    assert drawn is not None, "the page shows no matrix"
    _, geometry = drawn
    for col in np.arange(0, 60, 0.25):
        for row in np.arange(0, 60, 0.25):
            cell = geometry.target_at(float(col), float(row))
            if cell and cell.kind == "cell" and (cell.true, cell.pred, cell.series) == (true, pred, series):
                return {"points": [{"curveNumber": 10_000, "col": float(col), "row": float(row)}]}
    raise AssertionError("no such strip")


def test_a_click_on_the_second_series_strip_lists_that_series(tmp_path: Path):
    store = write_two_series(tmp_path)
    selection = Selection(series=("base/test", "shifted/test")).to_store()
    page = parse_inputs({"selection": selection}, Bounds.of(store.list_series()))
    for series, key in [(1, "shifted/test"), (0, "base/test")]:
        click = strip_point(store, page, series, 0, 2)
        assert inst_cb.clicked_series(store, page, click) == series
        out = inst_cb.instance_series_update(
            store,
            selection,
            "base/test" if series else "shifted/test",
            inst_cb.clicked_series(store, page, click),
        )
        assert out["value"] == key


def test_a_click_beside_the_strips_keeps_the_chosen_series(tmp_path: Path):
    store = write_two_series(tmp_path)
    selection = Selection(series=("base/test", "shifted/test")).to_store()
    page = parse_inputs({"selection": selection}, Bounds.of(store.list_series()))
    assert inst_cb.clicked_series(store, page, {"points": [{"curveNumber": 10_000}]}) is None
    assert inst_cb.clicked_series(store, page, {"points": [{"col": -5.0, "row": -5.0}]}) is None
    assert inst_cb.instance_series_update(store, selection, "shifted/test", None)["value"] == "shifted/test"
