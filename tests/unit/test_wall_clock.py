"""When each step was logged, shown in the detail chart's and the timeline's hovers.

Known Unix times give known words; a log written with known wall times gives figures whose hover
names the right step and time; steps without a time say nothing about time.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from confusionflow.app.callbacks import detail, timeline
from confusionflow.app.callbacks.common import Selection
from confusionflow.app.callbacks.inputs import parse_inputs
from confusionflow.components.charts.wall_clock import (
    elapsed_text,
    step_line,
    time_note,
    time_notes,
    utc_text,
)
from confusionflow.components.ids import SELECTION
from confusionflow.data_access import logformat as lf
from confusionflow.data_access.store import LogStore
from confusionflow.data_access.walltime import (
    series_wall_times,
    step_tail_wall_time,
    wall_time_grid,
)
from confusionflow.data_access.writer import LogWriter

T0 = 1_796_047_331.0  # 2026-11-30 14:02:11 UTC
CLASSES = ["bird", "cat", "dog"]


def test_utc_text_of_known_times() -> None:
    assert utc_text(T0) == "2026-11-30 14:02:11 UTC"
    assert utc_text(T0 + 0.999) == "2026-11-30 14:02:11 UTC"  # fractions dropped, never rounded up
    assert utc_text(0.0) == "1970-01-01 00:00:00 UTC"
    assert utc_text(float("nan")) is None and utc_text(float("inf")) is None and utc_text(1e20) is None


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 s"),
        (4.25, "4.2 s"),
        (7.0, "7 s"),
        (42, "42 s"),
        (59.6, "1 min"),
        (60, "1 min"),
        (190, "3 min 10 s"),
        (3600, "1 h"),
        (2 * 3600 + 5 * 60 + 59, "2 h 5 min"),
        (3 * 86400 + 4 * 3600 + 59, "3 d 4 h"),
        (-190, "3 min 10 s"),
    ],
)
def test_elapsed_text_of_known_durations(seconds: float, text: str) -> None:
    assert elapsed_text(seconds) == text


def test_time_note_counts_from_the_first_timed_step() -> None:
    assert time_note(T0 + 190, 1.0, T0, "step") == "2026-11-30 14:05:21 UTC (+3 min 10 s since step 1)"
    assert time_note(T0, None, None, "epoch") == "2026-11-30 14:02:11 UTC"
    assert time_note(T0 - 5, 2.5, T0, "epoch") == "2026-11-30 14:02:06 UTC (5 s before epoch 2.5)"
    assert time_note(float("nan"), 1.0, T0, "epoch") == ""
    assert step_line(5.0, time_note(T0 + 190, 1.0, T0, "step"), "step") == (
        "step 5 · 2026-11-30 14:05:21 UTC (+3 min 10 s since step 1)"
    )
    assert step_line(1234567.5, "", "labels") == "labels 1234567.5"  # no time: the step alone


def test_time_notes_of_each_series_start_at_its_own_first_timed_step() -> None:
    steps = np.array([1.0, 5.0, 6.0])
    times = np.array([[T0, T0 + 190, np.nan], [np.nan, T0 + 60, T0 + 120]])
    assert time_notes(steps, times, "step") == [
        ["2026-11-30 14:02:11 UTC", "2026-11-30 14:05:21 UTC (+3 min 10 s since step 1)", ""],
        ["", "2026-11-30 14:03:11 UTC", "2026-11-30 14:04:11 UTC (+1 min since step 5)"],
    ]
    with pytest.raises(ValueError, match="shape"):
        time_notes(steps, times[:, :2], "step")


def test_wall_time_grid_places_each_time_at_its_step() -> None:
    grid = wall_time_grid(
        [{1.0: T0, 3.0: T0 + 9}, {}, {2.0: T0 + 1, 7.0: T0 + 99}], np.array([1.0, 2.0, 3.0])
    )
    np.testing.assert_array_equal(
        grid, [[T0, np.nan, T0 + 9], [np.nan, np.nan, np.nan], [np.nan, T0 + 1, np.nan]]
    )


def _logs(root: Path) -> LogStore:
    """``r/val`` (counts) timed at steps 1 and 5, ``r/test`` (per instance) timed at steps 1 and 5,
    and ``old/val`` whose counts lines carry no time."""
    with LogWriter(root, "r", CLASSES) as w:
        for step, t in ((1, T0), (5, T0 + 190)):
            w.add_counts(step, "val", np.eye(3, dtype=int) * (step + 1), wall_time=t)
            w.add(step, "test", [0, 1, 2, 0], [0, 1, 1, 0], wall_time=t + 30)
    old = root / "old"
    with LogWriter(root, "old", CLASSES, store_instances=False) as w:
        for step in (1, 5):
            w.add_counts(step, "val", np.eye(3, dtype=int))
    counts = lf.counts_file(root, "old", "val")
    lines = [line.replace(b',"time":', b',"t":') for line in counts.read_bytes().splitlines(keepends=True)]
    counts.write_bytes(b"".join(lines))  # as logs written before times were stored
    assert old.is_dir()
    return LogStore(root)


def test_the_store_reads_each_series_times(tmp_path: Path) -> None:
    store = _logs(tmp_path)
    assert store.wall_times("r/val") == {1.0: T0, 5.0: T0 + 190}
    assert store.wall_times("r/test") == {1.0: T0 + 30, 5.0: T0 + 220}
    assert store.wall_times("old/val") == {}
    assert series_wall_times(store, ["r/val", "old/val"]) == [{1.0: T0, 5.0: T0 + 190}, {}]


def test_a_step_files_time_is_read_from_its_last_bytes(tmp_path: Path) -> None:
    _logs(tmp_path)
    data = (lf.predictions_dir(tmp_path, "r", "test") / lf.step_file_name(5.0)).read_bytes()
    assert step_tail_wall_time(data[-64 * 1024 :]) == T0 + 220
    assert step_tail_wall_time(data[-20:]) is None  # the footer is not all there
    assert step_tail_wall_time(b"not parquet at all") is None


def _page(keys: list[str]) -> dict:
    return {
        "selection": Selection(series=tuple(keys), steps=(1.0, 5.0)).to_store(),
        "slots": {},
        "step_range": None,
        "epoch": None,
    }


def test_detail_hover_names_the_step_and_its_wall_time(tmp_path: Path) -> None:
    store = _logs(tmp_path)
    figure = detail.detail_update(
        store, parse_inputs(_page(["r/val", "old/val"])), [f"{SELECTION}.data"]
    ).figure
    timed, untimed = figure.data
    assert list(timed.x) == [1.0, 5.0]
    assert list(timed.text) == [
        "epoch 1 · 2026-11-30 14:02:11 UTC",
        "epoch 5 · 2026-11-30 14:05:21 UTC (+3 min 10 s since epoch 1)",
    ]
    assert list(untimed.text) == ["epoch 1", "epoch 5"]  # no time stored: nothing said about time
    assert timed.hovertemplate.startswith("r / val<br>%{text}<br>")


def test_timeline_hover_names_each_series_time_at_the_step(tmp_path: Path) -> None:
    store = _logs(tmp_path)
    figure = timeline.timeline_figure(store, _page(["r/val", "r/test", "old/val"]), [f"{SELECTION}.data"])
    steps_layer = figure.data[0]
    at_5 = steps_layer.text[0][1]
    assert at_5.split("<br>") == [
        "epoch 5",
        "r / val: 100.0% · 2026-11-30 14:05:21 UTC (+3 min 10 s since epoch 1)",
        "r / test: 75.0% · 2026-11-30 14:05:51 UTC (+3 min 10 s since epoch 1)",
        "old / val: 100.0%",
    ]
    assert figure.data[2].text[0] == "epoch 1 · 2026-11-30 14:02:41 UTC"
    assert figure.data[3].text[1] == "epoch 5"


def test_counts_times_are_read_at_line_starts_only() -> None:
    from confusionflow.data_access.walltime import counts_wall_times

    data = (
        b'{"step":1,"time":1796047331.5,"counts":[1,2,3,4]}\n'
        b"\n"
        b'{"step":2,"counts":[1,2,3,4],"note":{"step":9,"time":5,"x":1}}\n'  # no time of its own
        b'{"step":3,"time":1796047400,"counts":[4,3,2,1]}'  # no newline at the end
    )
    assert counts_wall_times(data) == {1.0: 1796047331.5, 3.0: 1796047400.0}
    assert counts_wall_times(b"") == {}
