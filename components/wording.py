"""The words the screen uses for the data layer's codes (denominators, units, normalisations).

``data_access`` returns codes and literals only (``confusionflow.data_access.vocabulary``,
``confusionflow.data_access.metrics.denominator_codes``, ``confusionflow.data_access.views.DetailUnit``); this module is the
one place that turns them into text. The note under the toolbar, the matrix hovers, the detail
chart's axis and the CSV export's column names all take the denominator of a value from
:func:`confusionflow.data_access.metrics.denominator_codes` — the same table the numbers are divided by — and its
words from :data:`DENOMINATOR_NOUNS`, so no text can name another denominator than the one used.
"""

from __future__ import annotations

from confusionflow.data_access.metrics import DenominatorCode, DenominatorRegion, denominator_codes
from confusionflow.data_access.views import DetailUnit
from confusionflow.data_access.vocabulary import NORMALIZATIONS, Normalization

DENOMINATOR_NOUNS: dict[DenominatorCode, str] = {
    "support": "the true class's instances (row total)",
    "predicted": "the class's predictions (column total)",
    "total": "all instances of the fold",
}
"""What each denominator code of :func:`confusionflow.data_access.metrics.denominator_codes` counts."""

DENOMINATOR_SLUGS: dict[DenominatorCode, str] = {
    "support": "true_class_instances",
    "predicted": "predicted_as_class",
    "total": "all_instances",
}
"""The same denominators as column-name parts (CSV export)."""

NORMALIZATION_DESCRIPTIONS: dict[Normalization, str] = {
    mode: f"share of {DENOMINATOR_NOUNS[denominator_codes(mode)['cell']]}" for mode in NORMALIZATIONS
}
"""One phrase per relative mode: what a cell's value is a share of."""


def share_phrase(region: DenominatorRegion, mode: Normalization) -> str:
    """``"of <denominator>"``: what a relative value of ``region`` is a share of in ``mode``.

    >>> share_phrase("fp", "true")
    "of the class's predictions (column total)"
    """
    return f"of {DENOMINATOR_NOUNS[denominator_codes(mode)[region]]}"


FN_FP_DENOMINATORS: dict[Normalization, tuple[str, str]] = {
    mode: (share_phrase("fn", mode), share_phrase("fp", mode)) for mode in NORMALIZATIONS
}
"""``{mode: (what relative FN is a share of, what relative FP is a share of)}``, for hovers and legends."""

COUNTS_NOTE = (
    "Counts of instances per cell. FN column: instances of the row's class predicted as another "
    "class; FP row: instances predicted as the column's class that belong to another."
)
PARTIAL_NOTE = (
    " A class's totals are the whole class, including its instances and predictions in classes "
    "that are not drawn; accuracy counts every instance of the fold."
)
OTHER_NOTE = (
    " The (other) diagonal tile holds the unselected classes' correct predictions and their "
    "confusions with each other; only the correct ones count as correct."
)


def normalization_note(mode: Normalization | None, *, partial: bool = False, other: bool = False) -> str:
    """The note under the toolbar: what each cell, the FN column and the FP row are divided by.

    ``partial``: the matrix shows part of the classes (a selection), so totals are whole classes;
    ``other``: an ``(other)`` class is drawn.

    >>> normalization_note("true")  # doctest: +NORMALIZE_WHITESPACE
    "Each cell: share of the true class's instances (row total). FN: share of the true class's
    instances (row total); FP: share of the class's predictions (column total)."
    """
    if mode is None:
        text = COUNTS_NOTE
    else:
        text = (
            f"Each cell: share {share_phrase('cell', mode)}. FN: share {share_phrase('fn', mode)}; "
            f"FP: share {share_phrase('fp', mode)}."
        )
    return text + (PARTIAL_NOTE if partial else "") + (OTHER_NOTE if other else "")


DETAIL_UNIT_TITLES: dict[DetailUnit, str] = {
    "instances": "instances",
    "share_support": f"share of {DENOMINATOR_NOUNS['support']}",
    "share_predicted": f"share of {DENOMINATOR_NOUNS['predicted']}",
    "share_total": f"share of {DENOMINATOR_NOUNS['total']}",
    "accuracy": "accuracy",
    "precision": "precision",
    "recall": "recall",
    "f1": "F1",
}


def detail_unit_title(unit: DetailUnit) -> str:
    """The y-axis title of a detail series of ``unit`` (a ``DetailValues.unit`` code).

    >>> detail_unit_title("share_predicted"), detail_unit_title("f1")
    ("share of the class's predictions (column total)", 'F1')
    """
    return DETAIL_UNIT_TITLES[unit]


ERROR_SENTENCES: dict[str, str] = {
    "fn": "false negatives (instances of {name} predicted as another class)",
    "fp": "false positives (instances of another class predicted as {name})",
}
"""What a class's FN and FP are, with ``{name}`` the class (already escaped, or a hover placeholder)."""


def error_sentence(region: str, name: str) -> str:
    """``"false negatives (instances of Pullover predicted as another class)"`` for ``region`` fn/fp.

    >>> error_sentence("fp", "Bag")
    'false positives (instances of another class predicted as Bag)'
    """
    return ERROR_SENTENCES[region].format(name=name)


def accuracy_description(grouped: bool) -> str:
    """What overall accuracy counts: when the shown classes are groups of a hierarchy level
    (``grouped``; superclasses, or any level of a deeper tree: the matrix caption names which), a
    prediction of another class of the same group is correct (the diagonal is the group)."""
    if grouped:
        return (
            "share of all instances predicted as a class of their own group "
            "(a confusion inside one group counts as correct)"
        )
    return "share of all instances classified correctly"


def other_diagonal_text(other: str) -> str:
    """What the ``(other)`` diagonal tile holds (it is not a count of correct predictions)."""
    return (
        f"{other} → {other}: instances of the unselected classes predicted as an unselected class "
        "(their correct predictions and their confusions with each other)"
    )
