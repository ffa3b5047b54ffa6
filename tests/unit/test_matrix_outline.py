"""The outline around the tile the detail view shows: where it sits, and that a new detail target
moves only it (a Patch of the shapes, never a new figure)."""

from __future__ import annotations

from pathlib import Path

import dash
import numpy as np
import pytest

from confusionflow.app.callbacks import matrix
from confusionflow.app.callbacks.common import Selection
from confusionflow.app.callbacks.inputs import parse_inputs
from confusionflow.app.state import DetailTarget
from confusionflow.components.colors import PALETTE
from confusionflow.components.matrix import (
    OUTLINE_NAME,
    CellTarget,
    MatrixStyle,
    build_matrix_figure,
    colorscale_update,
    epoch_marker_update,
    matrix_geometry,
    outline_shapes,
)
from confusionflow.components.matrix.outline import outlined_position
from confusionflow.data_access.store import LogStore
from confusionflow.data_access.views import matrix_values
from tests.factories import improving_counts, make_tensor, unique_counts, write_run

CLASSES = ("cat", "dog", "owl")
STEPS = np.array([1.0, 2.0, 5.0, 10.0])


def values():
    tensor = make_tensor(unique_counts(2, len(STEPS)), STEPS, CLASSES, ("runA", "runB"))
    return matrix_values(tensor, None)


def outlines(shapes) -> list[dict]:
    plain = [s.to_plotly_json() if hasattr(s, "to_plotly_json") else dict(s) for s in shapes]
    return [s for s in plain if s.get("name") == OUTLINE_NAME]


@pytest.mark.parametrize("style", [MatrixStyle(), MatrixStyle(rotate=True), MatrixStyle(encoding="lines")])
def test_the_outline_surrounds_its_tile_and_stays_in_the_gaps(style: MatrixStyle) -> None:
    geo = matrix_geometry(3, 2, len(STEPS), style)
    shift_y = -0.5 if style.encoding == "heatmap" else 0.0
    [shape] = outline_shapes(CellTarget("cell", 2, 1), geo)  # true owl, predicted dog
    assert shape["type"] == "rect" and shape["name"] == OUTLINE_NAME and shape["layer"] == "above"
    # the tile (column 1, row 2) lies inside, and the neighbouring tiles outside
    assert shape["x0"] < geo.x.start(1) - 0.5 and shape["x1"] > geo.x.start(1) + geo.x.inner - 0.5
    assert shape["x0"] > geo.x.start(0) + geo.x.inner - 0.5 and shape["x1"] < geo.x.start(2) - 0.5
    assert shape["y0"] < geo.y.start(2) + shift_y and shape["y1"] > geo.y.start(2) + geo.y.inner + shift_y
    assert shape["y0"] > geo.y.start(1) + geo.y.inner + shift_y and shape["y1"] < geo.y.start(3) + shift_y
    # exactly half a gap out on each side
    assert shape["x0"] == pytest.approx(geo.x.start(1) - 0.5 - geo.x.gap / 2)
    assert shape["y1"] == pytest.approx(geo.y.start(2) + geo.y.inner + shift_y + geo.y.gap / 2)


def test_fn_fp_and_accuracy_tiles_are_outlined_in_the_extra_column_and_row() -> None:
    geo = matrix_geometry(3, 2, len(STEPS), MatrixStyle())
    assert outlined_position(CellTarget("fn", 1, None), 3) == (3, 1)
    assert outlined_position(CellTarget("fp", None, 2), 3) == (2, 3)
    assert outlined_position(CellTarget("accuracy", None, None), 3) == (3, 3)
    [fn] = outline_shapes(CellTarget("fn", 1, None), geo)
    assert fn["x0"] == pytest.approx(geo.x.start(3) - 0.5 - geo.x.gap / 2)
    assert fn["y0"] == pytest.approx(geo.y.start(1) - 0.5 - geo.y.gap / 2)
    # no tile, no outline: nothing targeted, a class past the matrix, a cell in the FN column
    assert outline_shapes(None, geo) == []
    assert outline_shapes(CellTarget("cell", 0, 5), geo) == []
    assert outline_shapes(CellTarget("cell", 0, 3), geo) == []
    assert outline_shapes(CellTarget("fn", None, None), geo) == []


def test_the_figure_carries_the_outline_beside_the_epoch_markers_and_every_patch_restates_it() -> None:
    v = values()
    target = CellTarget("cell", 0, 2)
    style = MatrixStyle(epoch=5)
    fig = build_matrix_figure(v, PALETTE, style, outline=target)
    names = [s.name for s in fig.layout.shapes]
    assert sorted(names) == ["detail-tile", "epoch-marker"]
    geo = matrix_geometry(3, 2, len(STEPS), style)
    [drawn] = outlines(fig.layout.shapes)
    assert drawn["x0"] == pytest.approx(outline_shapes(target, geo)[0]["x0"])
    assert outlines(build_matrix_figure(v, PALETTE, MatrixStyle()).layout.shapes) == []
    # a gamma change replaces layout.shapes: the outline comes with it
    recoloured = colorscale_update(v, MatrixStyle(epoch=5, gamma=0.5), geo, target)
    assert recoloured is not None and len(outlines(recoloured["shapes"])) == 1
    # the line encoding's epoch Patch replaces them too
    lines = MatrixStyle(encoding="lines", epoch=2)
    moved = epoch_marker_update(v, lines, matrix_geometry(3, 2, len(STEPS), lines), outline=target)
    assert len(outlines(moved["shapes"])) == 1 and moved["data"]


# ----------------------------------------------------------------------------- the callback
@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> LogStore:
    root: Path = tmp_path_factory.mktemp("outline-logs")
    write_run(root, "alpha", list(CLASSES), counts={"test": {s: improving_counts(s) for s in (1, 2, 3)}})
    return LogStore(root)


def page(detail: DetailTarget, classes: tuple[str, ...] = ()) -> dict:
    selection = Selection(series=("alpha/test",), classes=classes, steps=(1.0, 2.0, 3.0)).to_store()
    return {
        "selection": selection,
        "slots": {},
        "step_range": None,
        "epoch": None,
        "detail": detail.to_dict(),
    }


def patched_shapes(patch: dash.Patch) -> list[dict]:
    """The ``layout.shapes`` a Patch sets (its one operation)."""
    [operation] = patch.to_plotly_json()["operations"]
    assert operation["location"] == ["layout", "shapes"] and operation["operation"] == "Assign"
    return operation["params"]["value"]


def test_a_new_detail_target_moves_the_outline_with_a_patch(store: LogStore) -> None:
    first = matrix.matrix_update(store, parse_inputs(page(DetailTarget())), None)
    [corner] = outlines(first.figure.layout.shapes)  # overall accuracy: the corner
    geo = matrix_geometry(3, 1, 3, MatrixStyle())
    assert corner["x0"] == pytest.approx(geo.x.start(3) - 0.5 - geo.x.gap / 2)

    cell = matrix.matrix_update(store, parse_inputs(page(DetailTarget("cell", "owl", "cat"))), first.meta)
    assert isinstance(cell.figure, dash.Patch) and cell.caption is dash.no_update
    [moved] = outlines(patched_shapes(cell.figure))
    assert moved["x0"] == pytest.approx(geo.x.start(0) - 0.5 - geo.x.gap / 2)
    assert moved["y0"] == pytest.approx(geo.y.start(2) - 0.5 - geo.y.gap / 2)
    assert cell.meta["outline"] == ["cell", 2, 0]

    # a class-performance target names no tile: the outline goes
    recall = matrix.matrix_update(store, parse_inputs(page(DetailTarget("recall", "dog"))), cell.meta)
    assert isinstance(recall.figure, dash.Patch) and outlines(patched_shapes(recall.figure)) == []
    # the same target again changes nothing on screen
    again = matrix.matrix_update(store, parse_inputs(page(DetailTarget("recall", "dog"))), recall.meta)
    assert not isinstance(again.figure, dash.Patch) or outlines(patched_shapes(again.figure)) == []


def test_a_target_whose_class_is_not_drawn_has_no_outline(store: LogStore) -> None:
    assert matrix.outlined_tile(DetailTarget("fn", "owl"), ("cat", "dog")) is None
    assert matrix.outlined_tile(DetailTarget("cell", "cat", "owl"), ("cat", "dog")) is None
    assert matrix.outlined_tile(DetailTarget("fp", None, "dog"), ("cat", "dog")) == CellTarget("fp", None, 1)
    two = matrix.matrix_update(store, parse_inputs(page(DetailTarget("fn", "owl"), ("cat", "dog"))), None)
    assert outlines(two.figure.layout.shapes) == []
