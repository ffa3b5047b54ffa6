"""A long detail title is wrapped onto lines, never cut: every class name and the denominator stay
readable in the chart, and the screen-reader copy holds the whole title on one line."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from confusionflow.app.callbacks import detail
from confusionflow.app.callbacks.common import Selection
from confusionflow.app.callbacks.inputs import parse_inputs
from confusionflow.app.state import DetailTarget
from confusionflow.components.charts.detail import (
    HEIGHT,
    TITLE_LINE_CHARS,
    TITLE_LINE_PX,
    TOP_MARGIN,
    title_lines,
    title_markup,
)
from confusionflow.components.ids import DETAIL_TARGET, SELECTION
from confusionflow.components.text import plain
from confusionflow.data_access.store import LogStore
from confusionflow.data_access.writer import LogWriter

LONG_TRUE = "golden retriever puppy (outdoor, low light)"
LONG_PRED = "labrador & <retriever> in snow"
NO_SPACES = "Canis_lupus_familiaris_subspecies_with_a_very_long_identifier_name"


def _store(root: Path) -> LogStore:
    with LogWriter(
        root, "a run with a long name", [LONG_TRUE, LONG_PRED, NO_SPACES], store_instances=False
    ) as w:
        for step in (1, 2):
            w.add_counts(step, "validation", [[5, 2, 1], [1, 6, 0], [0, 2, 7]])
    return LogStore(root)


def _update(store: LogStore, target: DetailTarget, normalization: str | None) -> detail.DetailUpdate:
    keys = [info.key for info in store.list_series()]
    raw = {
        "selection": Selection(series=tuple(keys), steps=(1.0, 2.0)).to_store(),
        "slots": {},
        "step_range": None,
        "epoch": None,
        "detail": target.to_dict(),
        "normalization": normalization,
    }
    return detail.detail_update(store, parse_inputs(raw), [f"{SELECTION}.data", f"{DETAIL_TARGET}.data"])


def test_title_lines_break_at_spaces_and_split_only_words_longer_than_a_line() -> None:
    title = f"False negatives of class “{LONG_TRUE}” (instances of it predicted as another class)"
    lines = title_lines(title)
    assert len(lines) > 1 and all(len(line) <= TITLE_LINE_CHARS for line in lines)
    assert " ".join(lines) == title  # broken at single spaces: nothing lost, nothing added
    long_word = title_lines(f"Recall of class “{NO_SPACES}”")
    assert all(len(line) <= TITLE_LINE_CHARS for line in long_word)
    assert "".join(long_word).replace(" ", "") == f"Recall of class “{NO_SPACES}”".replace(" ", "")
    assert title_lines("Overall accuracy") == ["Overall accuracy"]
    assert title_markup("one <b> two", width=8) == "one &lt;b&gt;<br>two"  # escaped line by line


def test_a_long_cell_title_is_wrapped_whole_with_classes_and_denominator(tmp_path: Path) -> None:
    store = _store(tmp_path)
    update = _update(store, DetailTarget("cell", LONG_TRUE, LONG_PRED), "true")
    full = update.title
    assert (
        full
        == f"True class “{LONG_TRUE}” predicted as “{LONG_PRED}”: share of the true class's instances (row total)"
    )
    shown = update.figure.layout.title.text
    lines = shown.split("<br>")
    assert len(lines) == len(title_lines(full)) >= 3
    assert " ".join(lines) == plain(full)  # the chart's title reads as the whole title
    assert all(len(line) <= TITLE_LINE_CHARS for line in title_lines(full))
    extra = TITLE_LINE_PX * (len(lines) - 1)
    assert (
        update.figure.layout.margin.t == TOP_MARGIN + extra and update.figure.layout.height == HEIGHT + extra
    )
    # the series is named in every hover, exactly
    assert update.figure.data[0].hovertemplate.startswith("a run with a long name / validation<br>")


def test_fn_fp_and_metric_titles_of_long_class_names_stay_whole(tmp_path: Path) -> None:
    store = _store(tmp_path)
    for target, normalization, denominator in (
        (DetailTarget("fn", LONG_TRUE), "true", "share of the true class's instances (row total)"),
        (DetailTarget("fp", None, NO_SPACES), "pred", "share of the class's predictions (column total)"),
        (DetailTarget("recall", NO_SPACES), None, ""),
    ):
        update = _update(store, target, normalization)
        joined = update.figure.layout.title.text.replace("<br>", " ")
        assert update.title.endswith(denominator) and plain(target.true or target.pred) in update.title
        if any(len(word) > TITLE_LINE_CHARS for word in update.title.split(" ")):
            # a class name longer than a line is split inside it: its pieces follow one another
            assert joined.replace(" ", "") == plain(update.title).replace(" ", "")
        else:
            assert joined == plain(update.title)
        assert all(len(line) <= TITLE_LINE_CHARS for line in title_lines(update.title))
    np.testing.assert_array_equal(update.figure.data[0].x, [1.0, 2.0])
