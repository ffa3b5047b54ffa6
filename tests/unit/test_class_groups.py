"""Class groups: one grouping shared by the tensor and the instance level."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from confusionflow.data_access.class_groups import (
    DROPPED,
    OTHER_CLASS,
    ClassGrouping,
    aggregate_grouping,
    display_grouping,
    display_groups,
    regroup_counts,
    select_grouping,
    superclass_mapping,
)
from confusionflow.data_access.tensor import ConfusionTensor
from tests.factories import make_tensor, random_counts

CLASSES = ("cat", "dog", "fox", "owl")
SUPER = {"cat": "pet", "dog": "pet", "fox": "wild", "owl": "wild"}


def class_tensor(metadata: dict | None = None) -> ConfusionTensor:
    """One series ``r/f`` over steps 1, 2, 3 of seeded counts in ``[0, 50)``, ``(1, 3, 4, 4)``."""
    counts = random_counts((1, 3, 4, 4), seed=7, high=50).astype(np.int64)
    return make_tensor(counts, [1.0, 2.0, 3.0], CLASSES, runs=("r",), fold="f", metadata=metadata)


def reference_shape(tensor: ConfusionTensor, classes, other: bool, superclasses: bool) -> ConfusionTensor:
    """The two-stage rule the app used before (aggregate, then select), written out again."""
    mapping = superclass_mapping(tensor.series[0]) if superclasses else None
    if mapping:
        tensor = tensor.aggregate(mapping)
    present = [c for c in dict.fromkeys(classes) if c in tensor.classes]
    if len(present) >= 2 and (other or len(present) < tensor.n_classes):
        tensor = tensor.select_classes(present, other=other)
    return tensor


SELECTIONS = [(), ("fox", "cat"), ("owl", "dog", "cat"), CLASSES, ("pet", "wild"), ("wild", "cat"), ("cat",)]


@pytest.mark.parametrize(
    ("classes", "other", "superclasses"), list(itertools.product(SELECTIONS, (False, True), (False, True)))
)
def test_for_display_equals_aggregate_then_select(classes, other, superclasses):
    tensor = class_tensor({"superclasses": SUPER})
    shaped = tensor.for_display(classes, other=other, superclasses=superclasses)
    expected = reference_shape(tensor, classes, other, superclasses)
    assert shaped.classes == expected.classes
    np.testing.assert_array_equal(shaped.counts, expected.counts)
    groups = display_groups(CLASSES, mapping=SUPER if superclasses else None, selected=classes, other=other)
    assert tuple(groups) == shaped.classes
    # every shown cell is the sum of its member cells
    for i, gi in enumerate(shaped.classes):
        for j, gj in enumerate(shaped.classes):
            rows = [CLASSES.index(c) for c in groups[gi]]
            cols = [CLASSES.index(c) for c in groups[gj]]
            np.testing.assert_array_equal(
                shaped.counts[:, :, i, j], tensor.counts[:, :, rows][:, :, :, cols].sum(axis=(2, 3))
            )


def test_other_keeps_every_instance_and_selection_drops_the_rest():
    tensor = class_tensor()
    total = tensor.counts.sum(axis=(2, 3))
    with_other = tensor.for_display(("owl", "cat"), other=True)
    assert with_other.classes == ("owl", "cat", OTHER_CLASS)
    np.testing.assert_array_equal(with_other.counts.sum(axis=(2, 3)), total)
    without = tensor.for_display(("owl", "cat"))
    assert without.classes == ("owl", "cat")
    assert without.counts[0, 0, 0, 1] == tensor.counts[0, 0, 3, 0]


def test_repeated_and_unknown_names_are_ignored_not_raised():
    tensor = class_tensor()
    assert tensor.for_display(("dog", "dog", "emu", "cat")).classes == ("dog", "cat")
    assert tensor.for_display(("emu",)).classes == CLASSES


def test_select_grouping_refuses_what_the_tensor_refuses():
    with pytest.raises(ValueError, match="at least two"):
        select_grouping(CLASSES, [1])
    with pytest.raises(ValueError, match="twice"):
        select_grouping(CLASSES, [1, 1])
    g = select_grouping(CLASSES, [3, 0])
    assert g.group.tolist() == [1, DROPPED, DROPPED, 0]


def test_grouping_checks_its_shape_and_regroups_any_leading_axes():
    with pytest.raises(ValueError):
        ClassGrouping(CLASSES, ("a",), np.zeros(3, dtype=np.intp))
    counts = np.arange(2 * 16).reshape(2, 4, 4)
    out = regroup_counts(counts, aggregate_grouping(CLASSES, SUPER))
    assert out.shape == (2, 2, 2)
    assert out[1, 0, 1] == counts[1, :2, 2:].sum()
    assert display_grouping(CLASSES, selected=("fox", "cat")).members() == {"fox": ("fox",), "cat": ("cat",)}
