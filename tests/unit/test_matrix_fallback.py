"""Lines asked for above ``LINES_MAX_CLASSES`` classes: the page says heatmaps are drawn, and why.

The fallback is decided once (``confusionflow.components.matrix.geometry.drawn_style``); the callback must not
decide it again, or the builder's note is lost and the toolbar keeps claiming "lines".
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from confusionflow.app.callbacks import matrix
from confusionflow.app.callbacks.common import Selection
from confusionflow.app.callbacks.inputs import parse_inputs
from confusionflow.components.matrix import LINES_MAX_CLASSES
from confusionflow.data_access.store import LogStore
from tests.factories import write_run

MANY = [f"c{i:02d}" for i in range(LINES_MAX_CLASSES + 1)]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> LogStore:
    root = tmp_path_factory.mktemp("many-classes")
    c = len(MANY)
    counts = {s: np.eye(c, dtype=np.int64) * 10 + 1 for s in (1, 2, 3)}
    write_run(root, "wide", MANY, counts={"test": counts})
    write_run(
        root, "narrow", MANY[:4], counts={"test": {s: np.eye(4, dtype=np.int64) * 5 + 1 for s in (1, 2)}}
    )
    return LogStore(root)


def _page(series: str, steps: tuple[float, ...], encoding: str):
    selection = Selection(series=(series,), steps=steps).to_store()
    return parse_inputs(
        {"selection": selection, "slots": {}, "step_range": None, "epoch": None, "encoding": encoding}
    )


def test_lines_above_the_limit_show_the_note_and_mark_heatmap_as_drawn(store) -> None:
    out = matrix.matrix_update(store, _page("wide/test", (1.0, 2.0, 3.0), "lines"), None)
    note = f"Line encoding shows up to {LINES_MAX_CLASSES} classes; showing heatmaps."
    assert note in out.caption
    figure = json.dumps(out.figure.to_plotly_json(), default=str)
    assert note in figure  # the builder's own note, drawn on the figure (and so in exports)
    drawn = out.figure.to_plotly_json()["data"]
    assert {t["type"] for t in drawn if not t.get("name", "").endswith(" scale")} == {"heatmap"}
    assert out.meta["encoding"] == "heatmap"
    assert out.encoding_class == matrix.FELL_BACK


def test_lines_within_the_limit_draw_lines_without_a_note(store) -> None:
    out = matrix.matrix_update(store, _page("narrow/test", (1.0, 2.0), "lines"), None)
    assert "Line encoding shows up to" not in out.caption
    assert out.meta["encoding"] == "lines" and out.encoding_class == matrix.SEGMENTED
