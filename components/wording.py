"""The words the screen uses for the data layer's codes (denominators, units, normalisations).

``data_access`` returns codes and literals only (``data_access.vocabulary``,
``data_access.metrics.fn_fp_denominators``, ``data_access.views.DetailUnit``); this module is the
one place that turns them into text, so every title and hover names its denominator the same way.
"""

from __future__ import annotations

from data_access.metrics import fn_fp_denominators
from data_access.views import DetailUnit
from data_access.vocabulary import NORMALIZATIONS, Normalization

NORMALIZATION_DESCRIPTIONS: dict[Normalization, str] = {
    "true": "share of the true class's instances (row total)",
    "pred": "share of the instances predicted as that class (column total)",
    "all": "share of all instances in the fold",
}
"""One sentence per relative mode: what a cell's value is a share of."""

DENOMINATOR_PHRASES: dict[str, str] = {
    "support": "of the class's instances",
    "predicted": "of the predictions of the class",
    "total": "of all instances",
}
"""Words for the denominator codes of :func:`data_access.metrics.fn_fp_denominators`."""

FN_FP_DENOMINATORS: dict[Normalization, tuple[str, str]] = {
    mode: (DENOMINATOR_PHRASES[fn_fp_denominators(mode)[0]], DENOMINATOR_PHRASES[fn_fp_denominators(mode)[1]])
    for mode in NORMALIZATIONS
}
"""``{mode: (what relative FN is a share of, what relative FP is a share of)}``, for hovers and legends."""

DETAIL_UNIT_TITLES: dict[DetailUnit, str] = {
    "instances": "instances",
    "share_true": "share of the true class (row)",
    "share_pred": "share of the predicted class (column)",
    "share_all": "share of all instances",
    "accuracy": "accuracy",
    "precision": "precision",
    "recall": "recall",
    "f1": "F1",
}


def detail_unit_title(unit: DetailUnit) -> str:
    """The y-axis title of a detail series of ``unit`` (a ``DetailValues.unit`` code).

    >>> detail_unit_title("share_true"), detail_unit_title("f1")
    ('share of the true class (row)', 'F1')
    """
    return DETAIL_UNIT_TITLES[unit]
