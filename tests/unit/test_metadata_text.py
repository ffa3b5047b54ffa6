"""A run's metadata in tooltips: readable key/value lines, never Python reprs."""

from __future__ import annotations

from confusionflow.components.layout import series_option
from confusionflow.components.metadata_text import metadata_lines
from confusionflow.components.series_chips import chip
from confusionflow.data_access.tensor import SeriesInfo

NESTED = {
    "folds": {"synth-c20_train": {"foldlogId": 7, "size": 1000}},
    "lr": 0.01,
    "tags": ["a", "b"],
    "note": None,
    "superclasses": {"cat": "animal"},
}
EXPECTED = [
    "folds.synth-c20_train.foldlogId: 7",
    "folds.synth-c20_train.size: 1000",
    "lr: 0.01",
    "note: none",
    "tags: a, b",
]


def test_nested_metadata_reads_as_dotted_key_value_lines():
    assert metadata_lines(NESTED) == EXPECTED


def test_chip_and_picker_tooltips_carry_no_reprs():
    info = SeriesInfo("run", "test", ("cat", "dog"), metadata=NESTED)
    for title in (chip(info, info.key, "#000000").title, series_option(info)["title"]):
        assert "{" not in title and "[" not in title and "'" not in title and "None" not in title
        assert title.splitlines()[1:] == EXPECTED
    assert series_option(info)["title"].splitlines()[0] == "run / test — 2 classes"


def test_long_metadata_is_bounded_and_says_what_was_left_out():
    lines = metadata_lines({f"k{i:02d}": "x" * 500 for i in range(30)}, max_lines=5, max_chars=40)
    assert len(lines) == 6 and all(len(line) <= 40 for line in lines[:5])
    assert lines[-1] == "… and 25 more"
