"""The choices the toolbar offers, shared by the layout and the URL state (which validates them).

Kept in ``components`` so the layout does not import ``app``; ``confusionflow.app.state`` imports these.
"""

from __future__ import annotations

ENCODINGS: tuple[str, ...] = ("heatmap", "lines")
SCALES: tuple[str, ...] = ("linear", "log")
# None = absolute counts; the others are confusionflow.data_access.vocabulary.NORMALIZATIONS, named by denominator.
NORMALIZATION_LABELS: dict[str | None, str] = {
    None: "absolute counts",
    "true": "% of true class (row)",
    "pred": "% of predicted class (column)",
    "all": "% of all instances",
}
# The radio button value for absolute counts (a radio item cannot carry None).
ABSOLUTE = "abs"
# Contrast exponent: values are drawn as value ** gamma, so gamma < 1 brings out small values.
GAMMA_MIN, GAMMA_MAX, GAMMA_DEFAULT = 0.1, 2.0, 1.0
