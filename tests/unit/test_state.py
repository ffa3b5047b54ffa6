"""The URL query string <-> view state: round trips, defaults, and tolerance of garbage."""

from __future__ import annotations

import pytest

from confusionflow.app.state import (
    DEFAULT_STATE,
    GAMMA_MAX,
    GAMMA_MIN,
    DetailTarget,
    ViewState,
    normalize_state,
    parse_query,
    to_query,
)
from confusionflow.data_access.vocabulary import format_step

FULL = ViewState(
    series=("pruned, lr=0.012/test", "dense/train"),
    classes=("T-shirt/top", "Coat", "Shirt & co"),
    other=True,
    level=2,
    group="tops & co",
    encoding="lines",
    rotate=True,
    normalization="pred",
    scale="log",
    gamma=0.35,
    step_range=(3.0, 17.5),
    epoch=12.0,
    detail=DetailTarget("cell", "Coat", "Shirt & co"),
)


def test_default_state_is_an_empty_query():
    assert to_query(DEFAULT_STATE) == ""
    assert parse_query("") == DEFAULT_STATE
    assert parse_query("?") == DEFAULT_STATE
    assert parse_query(None) == DEFAULT_STATE


def test_full_state_round_trips_through_the_query_string():
    query = to_query(FULL)
    assert query.startswith("?s=")
    assert parse_query(query) == FULL
    # the leading "?" is optional
    assert parse_query(query[1:]) == FULL


def test_query_keeps_series_slashes_readable_and_escapes_the_rest():
    query = to_query(ViewState(series=("pruned, lr=0.012/test",)))
    assert query == "?s=pruned%2C%20lr%3D0.012/test"


def test_only_non_default_values_are_written():
    assert to_query(ViewState(encoding="lines")) == "?enc=lines"
    assert to_query(ViewState(gamma=0.5, epoch=3.0)) == "?gamma=0.5&epoch=3"
    assert to_query(ViewState(step_range=(0.0, 1.5))) == "?from=0&to=1.5"


def test_series_and_classes_keep_their_order_and_drop_duplicates():
    state = parse_query("?s=b/test&s=a/train&s=b/test&c=9&c=1&c=9")
    assert state.series == ("b/test", "a/train")
    assert state.classes == ("9", "1")


@pytest.mark.parametrize(
    "query",
    [
        "?enc=pie&scale=cubic&norm=row&gamma=abc&epoch=nan&from=x&to=3&detail=bogus&dt=A",
        "?gamma=inf&epoch=inf&from=1&to=nan",
        "?detail=cell&dt=A",  # a cell needs both classes
        "?detail=fp&dt=A",  # FP names the predicted class
        "%%%&&&==?s",
    ],
)
def test_garbage_falls_back_to_defaults_without_raising(query):
    state = parse_query(query)
    assert state.encoding == "heatmap"
    assert state.scale == "linear"
    assert state.normalization is None
    assert state.gamma == 1.0
    assert state.epoch is None
    assert state.step_range is None
    assert state.detail == DetailTarget()


def test_gamma_is_clamped_to_the_slider_range():
    assert parse_query("?gamma=0.001").gamma == GAMMA_MIN
    assert parse_query("?gamma=50").gamma == GAMMA_MAX
    assert parse_query("?gamma=0.75").gamma == 0.75


def test_reversed_range_is_put_in_order():
    assert parse_query("?from=20&to=5").step_range == (5.0, 20.0)


def test_one_sided_range_is_ignored():
    assert parse_query("?from=5").step_range is None


def test_flags_accept_common_spellings():
    assert parse_query("?rot=true&other=yes&super=1").rotate is True
    assert parse_query("?rot=0").rotate is False


@pytest.mark.parametrize(
    ("target", "query"),
    [
        (DetailTarget("fn", "cat", None), "?detail=fn&dt=cat"),
        (DetailTarget("fp", None, "dog"), "?detail=fp&dp=dog"),
        (DetailTarget("f1", "cat", None), "?detail=f1&dt=cat"),
        (DetailTarget("cell", "cat", "dog"), "?detail=cell&dt=cat&dp=dog"),
    ],
)
def test_detail_targets_round_trip(target, query):
    assert to_query(ViewState(detail=target)) == query
    assert parse_query(query).detail == target


def test_detail_target_from_store_rejects_malformed_values():
    assert DetailTarget.from_dict(None) == DetailTarget()
    assert DetailTarget.from_dict({"kind": "cell", "true": 1, "pred": 2}) == DetailTarget()
    assert DetailTarget.from_dict({"kind": "fn", "true": "a", "pred": "b"}) == DetailTarget()
    assert DetailTarget.from_dict({"kind": "recall", "true": "a"}) == DetailTarget("recall", "a", None)
    assert DetailTarget("cell", "a", "b").classes() == ("a", "b")


def test_format_step_is_shortest_round_trip():
    assert format_step(12.0) == "12"
    assert format_step(0.1) == "0.1"
    assert format_step(-3.0) == "-3"
    assert float(format_step(1 / 3)) == 1 / 3


def test_normalize_state_repairs_hand_built_states():
    bad = ViewState(encoding="pie", scale="cubic", normalization="row", gamma=99, detail=DetailTarget("cell"))
    fixed = normalize_state(bad)
    assert (fixed.encoding, fixed.scale, fixed.normalization, fixed.gamma) == (
        "heatmap",
        "linear",
        None,
        GAMMA_MAX,
    )
    assert fixed.detail == DetailTarget()
