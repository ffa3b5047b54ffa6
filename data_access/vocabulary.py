"""The words every layer shares: normalisation modes, detail kinds, and how a step is written.

One literal type and one parser per vocabulary, so a value is checked once at the boundary (URL,
browser store, function argument) and trusted afterwards.

Two kinds of parser, never mixed up:

* ``parse_*`` read a value that came from outside (a URL, a ``dcc.Store``). They **never raise**:
  anything not understood returns ``None`` and the caller falls back to its default.
* ``check_*`` guard a library function's argument. They **raise** :class:`ValueError` naming the
  allowed values, because a wrong argument there is a programming error.

Examples
--------
>>> parse_normalization("pred")
'pred'
>>> parse_normalization("abs") is None  # absolute counts, or anything unknown
True
>>> parse_detail_kind("fn")
'fn'
>>> format_step(1234567.5)
'1234567.5'
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Literal, TypeGuard, get_args

# ----------------------------------------------------------------------------- normalisation
Normalization = Literal["true", "pred", "all"]
"""scikit-learn's ``normalize`` modes, named by their denominator; ``None`` means absolute counts."""

NORMALIZATIONS: tuple[Normalization, ...] = get_args(Normalization)
"""Every relative mode, in the order the toolbar offers them (absolute counts come first there)."""


def is_normalization(value: object) -> TypeGuard[Normalization]:
    """Whether ``value`` is one of :data:`NORMALIZATIONS`.

    >>> is_normalization("all"), is_normalization("ALL"), is_normalization(None)
    (True, False, False)
    """
    return isinstance(value, str) and value in NORMALIZATIONS


def parse_normalization(value: object) -> Normalization | None:
    """A normalisation from outside (URL, store, radio value); ``None`` (absolute) otherwise.

    Never raises.

    >>> parse_normalization("true")
    'true'
    >>> [parse_normalization(v) for v in (None, "", "abs", 3, ["true"])]
    [None, None, None, None, None]
    """
    return value if is_normalization(value) else None


def check_normalization(value: object) -> Normalization | None:
    """A normalisation argument: one of :data:`NORMALIZATIONS` or ``None``; ValueError otherwise.

    >>> check_normalization(None) is None
    True
    >>> check_normalization("rows")
    Traceback (most recent call last):
    ...
    ValueError: unknown normalization 'rows'; expected one of ('true', 'pred', 'all') or None
    """
    if value is None or is_normalization(value):
        return value
    raise ValueError(f"unknown normalization {value!r}; expected one of {NORMALIZATIONS} or None")


# ----------------------------------------------------------------------------- detail kinds
ClassMetric = Literal["precision", "recall", "f1"]
CLASS_METRICS: tuple[ClassMetric, ...] = get_args(ClassMetric)
"""Per-class metrics the class-performance view and the detail view show."""

DetailKind = Literal["accuracy", "cell", "fn", "fp", "precision", "recall", "f1"]
"""What the detail view shows: overall accuracy, one cell (true and predicted class), the false
negatives of a true class, the false positives of a predicted class, or a per-class metric."""

DETAIL_KINDS: tuple[DetailKind, ...] = get_args(DetailKind)


def is_detail_kind(value: object) -> TypeGuard[DetailKind]:
    """Whether ``value`` is one of :data:`DETAIL_KINDS`.

    >>> is_detail_kind("cell"), is_detail_kind("Cell")
    (True, False)
    """
    return isinstance(value, str) and value in DETAIL_KINDS


def parse_detail_kind(value: object) -> DetailKind | None:
    """A detail kind from outside; ``None`` if it is not one. Never raises.

    >>> parse_detail_kind("f1"), parse_detail_kind("sum"), parse_detail_kind(None)
    ('f1', None, None)
    """
    return value if is_detail_kind(value) else None


def check_detail_kind(value: object) -> DetailKind:
    """A detail kind argument; ValueError naming the allowed kinds otherwise.

    >>> check_detail_kind("fp")
    'fp'
    >>> check_detail_kind("tp")
    Traceback (most recent call last):
    ...
    ValueError: unknown detail 'tp'; expected one of ('accuracy', 'cell', 'fn', 'fp', 'precision', 'recall', 'f1')
    """
    if is_detail_kind(value):
        return value
    raise ValueError(f"unknown detail {value!r}; expected one of {DETAIL_KINDS}")


def needs_classes(kind: DetailKind) -> tuple[bool, bool]:
    """Which classes a detail kind refers to: ``(needs a true class, needs a predicted class)``.

    >>> needs_classes("cell"), needs_classes("fp"), needs_classes("recall"), needs_classes("accuracy")
    ((True, True), (False, True), (True, False), (False, False))
    """
    if kind == "accuracy":
        return (False, False)
    if kind == "cell":
        return (True, True)
    if kind == "fp":
        return (False, True)
    return (True, False)


# ----------------------------------------------------------------------------- steps
def format_step(step: float) -> str:
    """A logged step as text, exactly: ``3`` for integral steps, else the shortest decimal that
    reads back to the same float (``repr``). Used in file names, messages, labels and hovers.

    Never rounds: two different logged steps never print alike.

    >>> format_step(3.0), format_step(0.5), format_step(-2)
    ('3', '0.5', '-2')
    >>> format_step(1234567.5)
    '1234567.5'
    >>> format_step(0.1 + 0.2)
    '0.30000000000000004'
    >>> format_step(float("nan"))
    'nan'
    """
    value = float(step)
    if math.isfinite(value) and value.is_integer():
        return str(int(value))
    return repr(value)


DEFAULT_STEP_NAME = "epoch"
MAX_STEP_NAME = 24
_STEP_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_")


def check_step_name(value: object) -> str:
    """What a run's steps count (``"epoch"``, ``"labels"``, ``"iteration"``): 1–24 letters,
    digits, spaces, ``-`` or ``_``, without surrounding spaces. Raises ValueError naming the rule.

    >>> check_step_name("labels")
    'labels'
    >>> check_step_name("<b>")
    Traceback (most recent call last):
    ...
    ValueError: step name must be 1-24 letters, digits, spaces, '-' or '_', got '<b>'
    """
    if (
        not isinstance(value, str)
        or not 0 < len(value) <= MAX_STEP_NAME
        or value != value.strip()
        or not set(value) <= _STEP_NAME_CHARS
    ):
        raise ValueError(
            f"step name must be 1-{MAX_STEP_NAME} letters, digits, spaces, '-' or '_', got {str(value)[:40]!r}"
        )
    return value


def shared_step_name(names: Iterable[str]) -> str:
    """The word for the steps of several series: their common step name, ``"step"`` when they
    differ (a view comparing epochs with label counts can only call them steps), the default
    when there are none.

    >>> shared_step_name(["labels", "labels"]), shared_step_name(["epoch", "labels"]), shared_step_name([])
    ('labels', 'step', 'epoch')
    """
    distinct = set(names)
    if not distinct:
        return DEFAULT_STEP_NAME
    return distinct.pop() if len(distinct) == 1 else "step"
