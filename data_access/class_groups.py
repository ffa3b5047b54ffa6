"""Class groups: which of a run's classes make up each class the matrix shows.

The matrix may show fewer classes than a run has: classes summed into their *superclasses* (a
run's ``{"class": "superclass"}`` metadata), a *selection* of classes (the others dropped), or a
selection plus one trailing ``"(other)"`` class holding everything not selected. This module is the
one place those rules live; :class:`~confusionflow.data_access.tensor.ConfusionTensor` regroups its counts with
the :class:`ClassGrouping` made here, and the instance level (``confusionflow.data_access.instances``) uses the
same grouping to know which member classes a shown cell stands for. Pure functions, no I/O.

Rules (the paper's, kept by the app since its first version):

1. Superclasses first: groups ordered by their first member in class order; a class the mapping
   does not name stays a group of its own, so nothing is dropped silently.
2. Then the selection, in the order given (unknown names and repeats ignored), when it names two or
   more shown classes and either leaves some out or asks for ``other``: without ``other`` only the
   selected groups are drawn; with it the rest are merged into ``"(other)"`` (absent when nothing is
   left over), a *lump* whose inner confusions stay errors. Either way the numbers around the drawn
   cells (shares of a class, FN, FP, accuracy) count whole classes: ``confusionflow.data_access.class_totals``.

Examples
--------
>>> g = display_grouping(["cat", "dog", "fox", "owl"], selected=["fox", "cat"], other=True)
>>> g.names
('fox', 'cat', '(other)')
>>> g.group.tolist()
[1, 2, 0, 2]
>>> display_groups(["cat", "dog", "fox"], mapping={"cat": "pet", "dog": "pet"})
{'pet': ('cat', 'dog'), 'fox': ('fox',)}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

OTHER_CLASS = "(other)"
SUPERCLASS_KEY = "superclasses"
DROPPED = -1
"""Group index of a class that the view leaves out (selected away without ``other``)."""


class HasMetadata(Protocol):
    """Anything with run metadata (a ``SeriesInfo``)."""

    @property
    def metadata(self) -> Mapping[str, object]: ...


@dataclass(frozen=True, eq=False)
class ClassGrouping:
    """How ``C`` run classes become ``G`` shown classes.

    classes: the run's ``C`` class names, in class order.
    names:   the ``G`` shown class names, in the order shown.
    group:   ``(C,)`` intp, the shown index of each run class, or :data:`DROPPED`.
    lumps:   ``G`` flags, True for a shown class that is a lump of unrelated classes (``"(other)"``):
             a confusion between two of its members is an error, not a correct prediction. Empty
             means no lumps (a superclass is a class: confusions inside it are correct).
    """

    classes: tuple[str, ...]
    names: tuple[str, ...]
    group: np.ndarray
    lumps: tuple[bool, ...] = ()

    def __post_init__(self) -> None:
        if self.group.shape != (len(self.classes),):
            raise ValueError(f"group has shape {self.group.shape}, expected ({len(self.classes)},)")
        if len(self.group) and (self.group.min() < DROPPED or self.group.max() >= len(self.names)):
            raise ValueError(f"group indices must lie in -1..{len(self.names) - 1}")
        if self.lumps and len(self.lumps) != len(self.names):
            raise ValueError(f"{len(self.lumps)} lump flags for {len(self.names)} shown classes")

    def lump_mask(self) -> tuple[bool, ...]:
        """``G`` flags: which shown classes are lumps (see ``lumps``).

        >>> select_grouping(["a", "b", "c", "d"], [0, 1], other=True).lump_mask()
        (False, False, True)
        """
        return self.lumps or (False,) * len(self.names)

    @property
    def is_partial(self) -> bool:
        """True when the shown matrix is not the whole matrix of its classes: a class is dropped or
        lumped, so whole-class totals differ from the drawn rows and columns."""
        return bool((self.group == DROPPED).any()) or any(self.lumps)

    @property
    def is_identity(self) -> bool:
        """True when the shown classes are exactly the run's classes, in class order."""
        return self.names == self.classes and bool(np.array_equal(self.group, np.arange(len(self.classes))))

    @property
    def is_selection(self) -> bool:
        """True when every shown class is exactly one run class (no sums): indexing suffices."""
        kept = self.group[self.group != DROPPED]
        return len(kept) == len(self.names) and len(set(kept.tolist())) == len(kept)

    def members(self) -> dict[str, tuple[str, ...]]:
        """``{shown class: the run classes it is made of}``, in the order shown.

        >>> display_grouping(["a", "b", "c"], mapping={"a": "x", "c": "x"}).members()
        {'x': ('a', 'c'), 'b': ('b',)}
        """
        out: dict[str, list[str]] = {name: [] for name in self.names}
        for cls_name, g in zip(self.classes, self.group.tolist(), strict=True):
            if g != DROPPED:
                out[self.names[g]].append(cls_name)
        return {k: tuple(v) for k, v in out.items()}

    def source_indices(self) -> np.ndarray:
        """For a pure selection, ``(G,)`` the run class index of each shown class."""
        if not self.is_selection:
            raise ValueError("the grouping sums classes; it is not a plain selection")
        out = np.empty(len(self.names), dtype=np.intp)
        kept = np.nonzero(self.group != DROPPED)[0]
        out[self.group[kept]] = kept
        return out

    def onehot(self) -> np.ndarray:
        """``(C, G)`` int64 with a 1 where run class ``i`` belongs to shown class ``g``."""
        out = np.zeros((len(self.classes), len(self.names)), dtype=np.int64)
        kept = np.nonzero(self.group != DROPPED)[0]
        out[kept, self.group[kept]] = 1
        return out


def identity_grouping(classes: Sequence[str]) -> ClassGrouping:
    """Every class shown as itself."""
    return ClassGrouping(tuple(classes), tuple(classes), np.arange(len(classes), dtype=np.intp))


def superclass_mapping(info: HasMetadata | None) -> dict[str, str] | None:
    """A run's ``{"class": "superclass"}`` metadata, or None if it has none (or not a flat mapping).

    >>> class Info:
    ...     metadata = {"superclasses": {"cat": "pet", "dog": "pet"}}
    >>> superclass_mapping(Info())
    {'cat': 'pet', 'dog': 'pet'}
    >>> Info.metadata = {"superclasses": {"cat": {"nested": 1}}}
    >>> superclass_mapping(Info()) is None
    True
    """
    if info is None:
        return None
    metadata = info.metadata
    mapping = metadata.get(SUPERCLASS_KEY) if isinstance(metadata, Mapping) else None
    if not isinstance(mapping, Mapping) or not mapping:
        return None
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()):
        return None
    return dict(mapping)


def class_indices(classes: Sequence[str], wanted: Sequence[int | str]) -> np.ndarray:
    """Indices into ``classes`` of class names or indices, in the order given, ``(K,)`` intp.

    Unknown names and out-of-range indices raise KeyError. The dense and the sparse tensor both
    resolve a class selection here.

    >>> class_indices(["a", "b", "c"], ["c", 0]).tolist()
    [2, 0]
    """
    lookup = {name: i for i, name in enumerate(classes)}
    out = []
    for c in wanted:
        if isinstance(c, (int, np.integer)):
            if not 0 <= int(c) < len(classes):
                raise KeyError(f"class index {c} out of range 0..{len(classes) - 1}")
            out.append(int(c))
        elif c in lookup:
            out.append(lookup[c])
        else:
            raise KeyError(f"unknown class {c!r}")
    return np.asarray(out, dtype=np.intp)


def aggregate_grouping(classes: Sequence[str], mapping: Mapping[str, str]) -> ClassGrouping:
    """Classes summed into ``mapping``'s groups (rule 1).

    >>> aggregate_grouping(["a", "b", "c"], {"b": "y", "c": "y"}).names
    ('a', 'y')
    """
    names: list[str] = []
    position: dict[str, int] = {}
    group = np.empty(len(classes), dtype=np.intp)
    for i, cls_name in enumerate(classes):
        g = mapping.get(cls_name, cls_name)
        if g not in position:
            position[g] = len(names)
            names.append(g)
        group[i] = position[g]
    return ClassGrouping(tuple(classes), tuple(names), group)


def select_grouping(classes: Sequence[str], chosen: Sequence[int], *, other: bool = False) -> ClassGrouping:
    """The classes at indices ``chosen`` (in that order), the rest dropped or merged into ``"(other)"``.

    Raises ValueError for fewer than two classes or a class chosen twice; with ``other`` and nothing
    left over the result is the plain selection (no empty ``"(other)"``).

    >>> select_grouping(["a", "b", "c"], [2, 0]).names
    ('c', 'a')
    >>> select_grouping(["a", "b", "c"], [2, 0], other=True).group.tolist()
    [1, 2, 0]
    """
    idx = [int(i) for i in chosen]
    if len(idx) < 2:
        raise ValueError("select at least two classes")
    if len(set(idx)) != len(idx):
        raise ValueError("a class was selected twice")
    if not all(0 <= i < len(classes) for i in idx):
        raise ValueError(f"class index out of range 0..{len(classes) - 1}")
    rest = len(classes) - len(idx)
    merge = other and rest > 0
    group = np.full(len(classes), len(idx) if merge else DROPPED, dtype=np.intp)
    group[idx] = np.arange(len(idx))
    names = tuple(classes[i] for i in idx) + ((OTHER_CLASS,) if merge else ())
    lumps = (False,) * len(idx) + ((True,) if merge else ())
    return ClassGrouping(tuple(classes), names, group, lumps)


def compose(first: ClassGrouping, then: ClassGrouping) -> ClassGrouping:
    """Apply ``first`` and then ``then`` (whose classes are ``first.names``)."""
    if then.classes != first.names:
        raise ValueError("the second grouping does not start from the first one's classes")
    group = np.where(first.group == DROPPED, DROPPED, then.group[np.maximum(first.group, 0)])
    lumps = list(then.lump_mask())
    for h, is_lump in enumerate(first.lump_mask()):
        g = int(then.group[h])
        if is_lump and g != DROPPED:
            lumps[g] = True
    return ClassGrouping(first.classes, then.names, group.astype(np.intp), tuple(lumps) if any(lumps) else ())


def display_grouping(
    classes: Sequence[str],
    *,
    mapping: Mapping[str, str] | None = None,
    selected: Sequence[str] = (),
    other: bool = False,
) -> ClassGrouping:
    """What the matrix shows of a run with ``classes``: superclasses (``mapping``), then the selection.

    ``selected`` names shown classes (after aggregation); names not present and repeats are ignored,
    and a selection that keeps fewer than two classes, or all of them without ``other``, shows
    every class. Never raises for user input.
    """
    grouping = aggregate_grouping(classes, mapping) if mapping else identity_grouping(classes)
    position = {name: i for i, name in enumerate(grouping.names)}
    present = [position[c] for c in dict.fromkeys(selected) if c in position]
    if len(present) < 2 or (not other and len(present) == len(grouping.names)):
        return grouping
    return compose(grouping, select_grouping(grouping.names, present, other=other))


def display_groups(
    classes: Sequence[str],
    *,
    mapping: Mapping[str, str] | None = None,
    selected: Sequence[str] = (),
    other: bool = False,
) -> dict[str, tuple[str, ...]]:
    """``{class shown in the matrix: the run's classes it is made of}``, in the matrix's order.

    The member lists of :func:`display_grouping` (same arguments, same rules).
    """
    return display_grouping(classes, mapping=mapping, selected=selected, other=other).members()


def regroup_counts(counts: np.ndarray, grouping: ClassGrouping) -> np.ndarray:
    """Counts ``(..., C, C)`` as ``(..., G, G)``: rows and columns summed per shown class, dropped
    classes left out (their instances and the predictions into them vanish from the view).

    >>> c = np.arange(9).reshape(3, 3)
    >>> regroup_counts(c, select_grouping(["a", "b", "c"], [0, 2], other=True)).tolist()
    [[0, 2, 1], [6, 8, 7], [3, 5, 4]]
    """
    if grouping.is_identity:
        return counts
    if grouping.is_selection:
        idx = grouping.source_indices()
        return counts[..., idx[:, None], idx[None, :]]
    onehot = grouping.onehot()
    # two matrix products over the class axes, no Python loops
    return np.einsum("...ij,ia,jb->...ab", counts, onehot, onehot, optimize=True)
