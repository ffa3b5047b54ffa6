"""Step windows on uneven logged steps."""

from __future__ import annotations

import numpy as np

from confusionflow.data_access.step_windows import (
    clamp_range,
    move_step,
    nearest_step,
    step_index,
    window_indices,
    window_mask,
    window_steps,
)

STEPS = [0.0, 1.0, 2.0, 5.0, 10.0]


def test_window_indices_are_inclusive_and_none_between_steps():
    assert window_indices(STEPS, 1.0, 5.0) == (1, 3)
    assert window_indices(STEPS, 5.5, 9.5) is None
    assert window_indices(STEPS, 11, 20) is None
    assert window_indices([], 0, 1) is None
    assert window_indices(np.asarray(STEPS), -5, 0) == (0, 0)


def test_clamp_snaps_to_logged_steps_and_drops_full_ranges():
    assert clamp_range(STEPS, (0.5, 7.0)) == (1.0, 5.0)
    assert clamp_range(STEPS, (-1.0, 10.0)) is None
    assert clamp_range(STEPS, (6.0, 7.0)) is None
    assert clamp_range(STEPS, None) is None
    assert clamp_range([], (0.0, 1.0)) is None


def test_window_steps_and_mask_agree():
    np.testing.assert_array_equal(window_steps(STEPS, (1.0, 5.0)), [1.0, 2.0, 5.0])
    np.testing.assert_array_equal(window_steps(STEPS, (6.0, 7.0)), STEPS)  # empty range: all steps
    assert window_mask(STEPS, 1.0, 5.0).tolist() == [False, True, True, True, False]
    assert window_mask(STEPS, None, 1.0).tolist() == [True, True, False, False, False]


def test_nearest_and_exact_steps():
    assert nearest_step(STEPS, 7.4) == 5.0
    assert nearest_step(STEPS, 7.6) == 10.0
    assert nearest_step(STEPS, 3.5) == 2.0  # tie goes to the lower step
    assert nearest_step(STEPS, -100) == 0.0
    assert nearest_step([], 1.0) is None
    assert step_index(STEPS, 5.0) == 3 and step_index(STEPS, 4.0) is None and step_index([], 1.0) is None


def test_move_step_stays_inside_the_range():
    assert move_step(STEPS, 2.0, 1, None) == 5.0
    assert move_step(STEPS, 2.0, -1, None) == 1.0
    assert move_step(STEPS, 10.0, 1, None) == 10.0
    assert move_step(STEPS, 0.0, -1, None) == 0.0
    assert move_step(STEPS, 3.0, 1, None) == 5.0  # from an unlogged step
    assert move_step(STEPS, None, 1, (1.0, 5.0)) == 1.0
    assert move_step(STEPS, None, -1, (1.0, 5.0)) == 5.0
    assert move_step(STEPS, 5.0, 1, (1.0, 5.0)) == 5.0
    assert move_step([], None, 1, None) is None
