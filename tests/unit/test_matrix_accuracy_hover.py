"""The accuracy corner's hover says what the corner counts, at the level of the classes shown:
checked against the numbers drawn, for every classes, a selection, ``(other)`` and superclasses."""

from __future__ import annotations

import numpy as np
import pytest

from confusionflow.components.colors import PALETTE
from confusionflow.components.matrix import (
    MatrixStyle,
    build_matrix_figure,
    epoch_marker_update,
    matrix_geometry,
)
from confusionflow.data_access.views import matrix_values
from tests.factories import make_tensor

CLASSES = ("beaver", "otter", "rose", "tulip")
SUPER = {"beaver": "aquatic mammals", "otter": "aquatic mammals", "rose": "flowers", "tulip": "flowers"}
# one step, one series: rows true, columns predicted
COUNTS = np.array(
    [
        [[[10, 4, 1, 0], [3, 8, 0, 1], [0, 2, 9, 5], [1, 0, 6, 7]]],
    ]
)
TOTAL = COUNTS.sum()


def corner_hover(values, superclasses: bool = False, style: MatrixStyle | None = None) -> tuple[float, str]:
    """The accuracy drawn in the corner and its hover template (heatmap encoding)."""
    style = style or MatrixStyle()
    fig = build_matrix_figure(values, PALETTE, style, superclasses=superclasses)
    geo = matrix_geometry(len(values.classes), 1, 1, style)
    corner = fig.data[geo.trace_index("values", "accuracy")]
    return float(np.asarray(corner.z)[0, 0]), corner.hovertemplate


def test_every_class_shown_the_corner_is_the_share_classified_correctly() -> None:
    drawn, hover = corner_hover(matrix_values(make_tensor(COUNTS, [1.0], CLASSES)))
    assert drawn == pytest.approx((10 + 8 + 9 + 7) / TOTAL)
    assert "share of all instances classified correctly" in hover
    assert "(other)" not in hover and "superclass" not in hover


def test_with_other_the_confusions_inside_it_stay_errors_and_the_hover_says_so() -> None:
    tensor = make_tensor(COUNTS, [1.0], CLASSES).select_classes(["beaver", "otter"], other=True)
    values = matrix_values(tensor)
    drawn, hover = corner_hover(values)
    # rose/tulip merged: their 5 + 6 confusions with each other are not counted as correct
    assert drawn == pytest.approx((10 + 8 + 9 + 7) / TOTAL)
    assert drawn < (10 + 8 + (9 + 5 + 6 + 7)) / TOTAL
    assert "a confusion between two classes merged into (other) stays an error" in hover
    assert "every instance of the fold counts, drawn or not" in hover


def test_a_selection_counts_the_correct_predictions_of_the_classes_not_drawn() -> None:
    values = matrix_values(make_tensor(COUNTS, [1.0], CLASSES).select_classes(["beaver", "rose"]))
    drawn, hover = corner_hover(values)
    assert drawn == pytest.approx((10 + 8 + 9 + 7) / TOTAL)
    assert "every instance of the fold counts, drawn or not" in hover and "(other)" not in hover


def test_with_superclasses_a_confusion_inside_a_superclass_is_correct_and_the_hover_says_so() -> None:
    values = matrix_values(make_tensor(COUNTS, [1.0], CLASSES).aggregate(SUPER))
    drawn, hover = corner_hover(values, superclasses=True)
    assert drawn == pytest.approx((10 + 4 + 3 + 8 + 9 + 5 + 6 + 7) / TOTAL)
    assert hover.count("group-level accuracy") == 1
    assert "a confusion inside one group counts as correct" in hover


def test_superclasses_and_other_name_both_rules() -> None:
    classes = (*CLASSES, "bus", "train", "shark", "trout")
    counts = np.zeros((1, 1, 8, 8), dtype=np.int64)
    counts[0, 0, :4, :4] = COUNTS[0, 0]
    counts[0, 0, 4:6, 4:6] = [[6, 2], [3, 5]]
    counts[0, 0, 6:, 6:] = [[4, 1], [2, 6]]
    mapping = {**SUPER, "bus": "vehicles", "train": "vehicles", "shark": "fish", "trout": "fish"}
    shown = make_tensor(counts, [1.0], classes).aggregate(mapping)
    values = matrix_values(shown.select_classes(["vehicles", "fish"], other=True))
    drawn, hover = corner_hover(values, superclasses=True)
    # (other) holds both the aquatic mammals and the flowers: a beaver taken for a rose (1) stays
    # an error, a beaver taken for an otter (4) is correct at the superclass level
    correct = (10 + 4 + 3 + 8) + (9 + 5 + 6 + 7) + (6 + 2 + 3 + 5) + (4 + 1 + 2 + 6)
    assert drawn == pytest.approx(correct / counts.sum())
    assert "a confusion inside one group counts as correct" in hover
    assert "a confusion between two groups merged into (other) stays an error" in hover


def test_the_line_encoding_says_it_on_the_line_and_on_the_epoch_band() -> None:
    tensor = make_tensor(COUNTS, [1.0], CLASSES).select_classes(["beaver", "otter"], other=True)
    values = matrix_values(tensor)
    style = MatrixStyle(encoding="lines", epoch=1)
    geo = matrix_geometry(3, 1, 1, style)
    fig = build_matrix_figure(values, PALETTE, style)
    line = fig.data[geo.trace_index("line", "accuracy", series=0)]
    assert "merged into (other) stays an error" in line.hovertemplate
    band = epoch_marker_update(values, style, geo)["data"][geo.trace_index("background", "accuracy")]
    assert "merged into (other) stays an error" in band["text"][0][0]
