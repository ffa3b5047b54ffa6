"""What the screen says a value is divided by is what it is divided by.

Known tensors in, the value computed by the data layer, and the words every place uses for it
(the note under the toolbar, the matrix hovers, the detail chart's axis and title): each must name
the denominator the value was actually divided by. Also the whole-class rule of class selections,
``(other)`` and superclasses, with known values.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from confusionflow.app.callbacks import detail as detail_cb
from confusionflow.app.callbacks import matrix as matrix_cb
from confusionflow.app.state import DetailTarget
from confusionflow.components import wording
from confusionflow.components.colors import PALETTE
from confusionflow.components.matrix import MatrixStyle, build_matrix_figure, matrix_geometry
from confusionflow.data_access import metrics
from confusionflow.data_access.tensor import ConfusionTensor, SeriesInfo
from confusionflow.data_access.views import detail_values, matrix_values
from confusionflow.data_access.vocabulary import NORMALIZATIONS
from tests.factories import make_tensor

# Bag on a shifted test fold: 1000 bags, 1844 predictions of Bag of which 879 are wrong
FASHION = ("Pullover", "Coat", "Shirt", "Bag")
COUNTS = np.array(
    [
        [374, 65, 211, 350],  # Pullover: 1000, 65 predicted as Coat
        [50, 800, 100, 50],  # Coat: 1000
        [20, 30, 471, 479],  # Shirt: 1000
        [10, 20, 5, 965],  # Bag: 1000
    ],
    dtype=np.int64,
)
NOUN_OF = {code: noun for code, noun in wording.DENOMINATOR_NOUNS.items()}


def fashion(classes: tuple[str, ...] = FASHION, counts: np.ndarray = COUNTS) -> ConfusionTensor:
    return make_tensor(counts[None, None], [8.0], classes, ("shifted",))


def test_bag_fp_is_a_share_of_its_predictions_and_every_text_says_so():
    bag = FASHION.index("Bag")
    predicted = int(COUNTS[:, bag].sum())
    assert predicted == 1844 and predicted - COUNTS[bag, bag] == 879
    mv = matrix_values(fashion(), "true")
    assert mv.fp[0, 0, bag] == pytest.approx(879 / 1844)  # 47.7 %, not 879 / 1000
    note = matrix_cb.normalization_note("true", fashion())
    fp_part = note.split("FP:")[1]
    assert NOUN_OF["predicted"] in fp_part and NOUN_OF["support"] not in fp_part
    dv = detail_values(fashion(), "fp", pred=bag, normalization="true")
    assert wording.detail_unit_title(dv.unit) == f"share of {NOUN_OF['predicted']}"


def test_fn_in_column_mode_is_a_share_of_the_class_instances_and_every_text_says_so():
    pullover = 0
    mv = matrix_values(fashion(), "pred")
    assert mv.fn[0, 0, pullover] == pytest.approx(626 / 1000)
    fn_part = matrix_cb.normalization_note("pred", fashion()).split("FN:")[1].split("FP:")[0]
    assert NOUN_OF["support"] in fn_part and NOUN_OF["predicted"] not in fn_part
    dv = detail_values(fashion(), "fn", true=pullover, normalization="pred")
    assert wording.detail_unit_title(dv.unit) == f"share of {NOUN_OF['support']}"


@pytest.mark.parametrize("mode", NORMALIZATIONS)
def test_every_relative_value_is_its_count_over_the_named_denominator(mode):
    tensor = fashion()
    mv = matrix_values(tensor, mode)
    codes = metrics.denominator_codes(mode)
    row, col, total = COUNTS.sum(axis=1), COUNTS.sum(axis=0), COUNTS.sum()
    arrays = {"support": row, "predicted": col, "total": np.full(4, total)}
    fn = row - np.diag(COUNTS)
    fp = col - np.diag(COUNTS)
    np.testing.assert_allclose(mv.fn[0, 0], fn / arrays[codes["fn"]])
    np.testing.assert_allclose(mv.fp[0, 0], fp / arrays[codes["fp"]])
    cell_den = {"support": row[:, None], "predicted": col[None, :], "total": total}[codes["cell"]]
    np.testing.assert_allclose(mv.values[0, 0], COUNTS / cell_den)
    # the words: note, hovers, detail axis and title name exactly these denominators
    note = wording.normalization_note(mode)
    cell_part, rest = note.split("FN:")
    fn_part, fp_part = rest.split("FP:")
    for part, region in ((cell_part, "cell"), (fn_part, "fn"), (fp_part, "fp")):
        assert NOUN_OF[codes[region]] in part
        assert all(NOUN_OF[c] not in part for c in NOUN_OF if c != codes[region])
    style = MatrixStyle()
    fig = build_matrix_figure(mv, PALETTE[:1], style)
    geo = matrix_geometry(4, 1, 1, style)
    for region in ("cell", "fn", "fp"):
        hover = fig.data[geo.trace_index("values", region)].hovertemplate
        assert wording.share_phrase(region, mode) in hover
        assert all(NOUN_OF[c] not in hover for c in NOUN_OF if c != codes[region])
    for kind, region, true, pred in (("cell", "cell", 0, 1), ("fn", "fn", 0, None), ("fp", "fp", None, 3)):
        dv = detail_values(tensor, kind, true=true, pred=pred, normalization=mode)
        assert wording.detail_unit_title(dv.unit) == f"share of {NOUN_OF[codes[region]]}"
        title = detail_cb.detail_title(DetailTarget(kind, FASHION[true or 0], FASHION[pred or 0]), mode)
        assert title.endswith(NOUN_OF[codes[region]])


# ----------------------------------------------------------------------------- class selections
def test_a_selected_row_is_a_share_of_the_whole_class():
    sub = fashion().select_classes(["Pullover", "Coat"])
    mv = matrix_values(sub, "true")
    assert mv.values[0, 0, 0, 1] == pytest.approx(65 / 1000)  # not 65 / 439 of the drawn sub-row
    assert mv.fn[0, 0, 0] == pytest.approx(626 / 1000)  # predictions into unshown classes included
    assert mv.counts[0, 0, 0, 1] == 65
    dv = detail_values(sub, "cell", true=0, pred=1, normalization="true")
    assert dv.values[0, 0] == pytest.approx(0.065) and dv.counts[0, 0] == 65
    column = matrix_values(sub, "pred")
    assert column.values[0, 0, 0, 1] == pytest.approx(65 / 915)  # Coat's whole column
    assert matrix_values(sub, "all").values[0, 0, 0, 1] == pytest.approx(65 / 4000)
    assert matrix_values(sub, None).accuracy[0, 0] == pytest.approx(np.trace(COUNTS) / 4000)
    # and the note says the totals reach past the drawn classes
    assert "not drawn" in matrix_cb.normalization_note("true", sub)
    assert "not drawn" not in matrix_cb.normalization_note("true", fashion())


def test_a_selection_keeps_whole_class_totals_through_series_and_step_windows():
    counts = np.stack([COUNTS, 2 * COUNTS])[None]  # one series, two steps
    tensor = make_tensor(counts, [1.0, 2.0], FASHION, ("r",)).select_classes(["Pullover", "Coat"])
    window = tensor.step_window(2.0, 2.0).select_series(["r/test"])
    assert matrix_values(window, "true").values[0, 0, 0, 1] == pytest.approx(130 / 2000)


# ----------------------------------------------------------------------------- "(other)"
def test_confusions_inside_other_are_errors_and_accuracy_is_the_folds():
    tensor = fashion()
    with_other = tensor.select_classes(["Pullover", "Coat"], other=True)
    assert with_other.classes == ("Pullover", "Coat", "(other)")
    full = matrix_values(tensor, None).accuracy[0, 0]
    assert full == pytest.approx(np.trace(COUNTS) / 4000)
    mv = matrix_values(with_other, None)
    assert mv.accuracy[0, 0] == pytest.approx(full)
    # the (other) diagonal cell holds Shirt and Bag, correct or confused with each other
    assert mv.counts[0, 0, 2, 2] == 471 + 479 + 5 + 965
    assert mv.fn[0, 0, 2] == (1000 - 471) + (1000 - 965)  # Shirt -> Bag and Bag -> Shirt included
    style = MatrixStyle()
    fig = build_matrix_figure(mv, PALETTE[:1], style)
    hovers = [a.hovertext for a in fig.layout.annotations if a.text == "(other)"]
    assert hovers == [wording.other_diagonal_text("(other)")]
    assert "confusions with each other" in hovers[0]
    assert "(other) diagonal tile" in matrix_cb.normalization_note(None, with_other)


def test_a_class_really_named_other_in_a_full_matrix_is_a_class():
    tensor = fashion(("Pullover", "Coat", "Shirt", "(other)"))
    assert matrix_values(tensor, None).lumps == (False, False, False, False)


def test_superclass_accuracy_counts_confusions_inside_a_superclass_as_correct():
    info = SeriesInfo(
        "shifted",
        "test",
        FASHION,
        metadata={"superclasses": {"Pullover": "tops", "Coat": "tops", "Shirt": "tops"}},
    )
    tensor = dataclasses.replace(fashion(), series=(info,))
    coarse = tensor.for_display(superclasses=True)
    assert coarse.classes == ("tops", "Bag")
    tops = COUNTS[:3, :3].sum()
    assert matrix_values(coarse, None).accuracy[0, 0] == pytest.approx((tops + 965) / 4000)
    # a superclass selection with (other): confusions inside a superclass still count as correct
    info4 = SeriesInfo(
        "shifted", "test", FASHION, metadata={"superclasses": {"Pullover": "tops", "Coat": "tops"}}
    )
    four = dataclasses.replace(fashion(), series=(info4,)).for_display(
        ["Shirt", "Bag"], other=True, superclasses=True
    )
    assert four.classes == ("Shirt", "Bag", "(other)")
    expected = (COUNTS[:2, :2].sum() + 471 + 965) / 4000
    assert matrix_values(four, None).accuracy[0, 0] == pytest.approx(expected)
    # and the accuracy title says which accuracy this is
    title = detail_cb.detail_title(DetailTarget(), None, superclasses=True)
    assert "own group" in title and "inside one group counts as correct" in title
    assert detail_cb.detail_title(DetailTarget(), None) == (
        "Overall accuracy (share of all instances classified correctly)"
    )


# ----------------------------------------------------------------------------- hovers read naturally
def test_fn_hover_names_the_class_in_a_sentence():
    mv = matrix_values(fashion(), None)
    style = MatrixStyle()
    fig = build_matrix_figure(mv, PALETTE[:1], style)
    geo = matrix_geometry(4, 1, 1, style)
    fn = fig.data[geo.trace_index("values", "fn")]
    row = int(geo.y.start(0))
    assert fn.text[row][0] == "Pullover" and np.asarray(fn.z)[row, 0] == 626
    # what Plotly fills in for the Pullover tile
    filled = fn.hovertemplate.split("<br>")[0].replace("%{text}", "Pullover").replace("%{z:,.0f}", "626")
    assert filled == "Pullover: 626 false negatives (instances of Pullover predicted as another class)"
    lines = build_matrix_figure(mv, PALETTE[:1], MatrixStyle("lines"))
    fn_lines = [t for t in lines.data if "false negatives" in (t.hovertemplate or "")]
    assert fn_lines and fn_lines[0].hovertemplate.startswith("%{text}: ")
    assert fn_lines[0].text[0] == "Pullover"
