"""One vocabulary: literals, parsers and the step formatter every layer uses; the data layer's
documented examples run as tests."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

from confusionflow.components import figure_style, wording
from confusionflow.data_access import logformat, metrics, overview_values, strategies, views
from confusionflow.data_access.vocabulary import (
    DETAIL_KINDS,
    NORMALIZATIONS,
    check_detail_kind,
    check_normalization,
    format_step,
    parse_detail_kind,
    parse_normalization,
)

HOSTILE = [None, "", "TRUE", " true", "true\0", 1, 1.5, True, [], ["true"], {"k": "true"}, b"true", object()]


REPO = Path(__file__).resolve().parents[2]
# Every module of the package whose docstrings hold an example: found, not listed, so a new example
# cannot be left out (what ``pytest --doctest-modules`` would collect from these folders).
DOCUMENTED = sorted(
    "confusionflow." + ".".join(path.relative_to(REPO).with_suffix("").parts)
    for folder in ("app", "components", "data_access")
    for path in (REPO / folder).rglob("*.py")
    if ">>> " in path.read_text(encoding="utf-8")
)


def test_the_documented_modules_are_found():
    assert {"confusionflow.data_access.metrics", "confusionflow.data_access.vocabulary"} <= set(DOCUMENTED)


@pytest.mark.parametrize("module", DOCUMENTED)
def test_documented_examples_hold(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_every_layer_writes_steps_with_the_one_formatter():
    assert figure_style.format_step is format_step
    assert logformat.format_step is format_step
    assert strategies.format_step is format_step and overview_values.format_step is format_step
    assert format_step(1234567.5) == "1234567.5"
    assert format_step(12.0) == "12" and format_step(0.25) == "0.25"
    assert logformat.step_file_name(1234567.5) == "step-1234567.5.parquet"
    for step in (0.1, 1e-7, 2.0**52 + 0.5, 123456789.125):
        assert float(format_step(step)) == step  # exact: reads back to the same float


def test_parsers_never_raise_and_accept_only_the_literals():
    for value in HOSTILE:
        assert parse_normalization(value) is None
        assert parse_detail_kind(value) is None
    assert [parse_normalization(v) for v in NORMALIZATIONS] == list(NORMALIZATIONS)
    assert [parse_detail_kind(v) for v in DETAIL_KINDS] == list(DETAIL_KINDS)


def test_checks_raise_naming_the_allowed_values():
    assert check_normalization(None) is None and check_normalization("all") == "all"
    for value in HOSTILE[1:]:
        with pytest.raises(ValueError, match="expected one of"):
            check_normalization(value)
        with pytest.raises(ValueError, match="expected one of"):
            check_detail_kind(value)


def test_one_definition_of_each_vocabulary():
    assert metrics.NORMALIZATIONS is NORMALIZATIONS and views.DETAIL_KINDS is DETAIL_KINDS
    assert NORMALIZATIONS == ("true", "pred", "all")
    assert DETAIL_KINDS == ("accuracy", "cell", "fn", "fp", "precision", "recall", "f1")


def test_wording_names_every_code_the_data_layer_returns():
    assert set(wording.NORMALIZATION_DESCRIPTIONS) == set(NORMALIZATIONS)
    assert set(wording.FN_FP_DENOMINATORS) == set(NORMALIZATIONS)
    assert wording.FN_FP_DENOMINATORS["true"] == (
        "of the true class's instances (row total)",
        "of the class's predictions (column total)",
    )
    assert wording.FN_FP_DENOMINATORS["all"] == (
        "of all instances of the fold",
        "of all instances of the fold",
    )
    units = set(views.DetailUnit.__args__)
    assert set(wording.DETAIL_UNIT_TITLES) == units
