"""The shared test builders hold the values their docstrings promise (other tests rely on them)."""

from __future__ import annotations

import numpy as np
from dash import dcc, html

from confusionflow.data_access.store import LogStore
from tests.factories import (
    find_id,
    improving_counts,
    make_tensor,
    numbered_counts,
    random_counts,
    tree_text,
    unique_counts,
    walk,
    write_broken_run,
    write_run,
)


def test_numbered_and_unique_counts_say_where_each_value_sits() -> None:
    n = numbered_counts(3, c=4, start=5000)
    assert n.shape == (3, 4, 4) and n.dtype == np.int64
    assert n[2, 1, 3] == 5213
    u = unique_counts(2, 4, c=3)
    assert u.shape == (2, 4, 3, 3)
    assert u[1, 3, 2, 0] == 1000 + 300 + 20 + 0 + 1
    assert len(np.unique(u)) == u.size and u.min() == 1


def test_random_counts_are_seeded() -> None:
    np.testing.assert_array_equal(random_counts((2, 3, 3), seed=4), random_counts((2, 3, 3), seed=4))
    assert not np.array_equal(random_counts((2, 3, 3), seed=4), random_counts((2, 3, 3), seed=5))
    assert random_counts((50,), seed=1, high=3).max() == 2


def test_make_tensor_zeroes_what_the_mask_says_was_not_logged() -> None:
    mask = np.array([[True, False], [True, True]])
    t = make_tensor(unique_counts(2, 2), [1.0, 3.0], ("a", "b", "c"), ("x", "y"), mask=mask)
    assert t.series_keys == ("x/test", "y/test")
    np.testing.assert_array_equal(t.steps, [1.0, 3.0])
    assert t.counts[0, 1].sum() == 0
    np.testing.assert_array_equal(t.counts[1, 1], unique_counts(2, 2)[1, 1])


def test_write_run_logs_what_it_is_given(tmp_path) -> None:
    write_run(
        tmp_path,
        "alpha",
        ["cat", "dog", "fox"],
        counts={"train": {1: improving_counts(1), 2: improving_counts(2)}},
        predictions={"test": {1: ([0, 1, 2], [0, 2, 2])}},
        metadata={"lr": 0.1},
    )
    write_broken_run(tmp_path)
    store = LogStore(tmp_path)
    assert [s.key for s in store.list_series()] == ["alpha/test", "alpha/train"]
    train = store.load(["alpha/train"]).tensor
    test = store.load(["alpha/test"]).tensor
    assert train is not None and test is not None
    np.testing.assert_array_equal(train.counts[0, 1], [[12, 3, 1], [2, 10, 2], [1, 1, 7]])
    np.testing.assert_array_equal(test.counts[0, 0], [[1, 0, 0], [0, 0, 1], [0, 0, 1]])


def test_tree_readers_find_ids_and_text_at_any_depth() -> None:
    tree = html.Div([html.H3("Title"), html.Div(html.Span(["a ", dcc.Input(id="deep")], id="span"))])
    assert find_id(tree, "deep").id == "deep"
    assert find_id(tree, "span").children[0] == "a "
    assert find_id(tree, "missing") is None
    assert tree_text(tree).split() == ["Title", "a"]
    assert [type(c).__name__ for c in walk(tree)] == ["Div", "H3", "Div", "Span", "Input"]
