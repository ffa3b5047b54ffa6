"""What a run's steps count is stored with the run and read back: ``LogWriter(step_name=)``,
``run.json`` ``"step_name"``, the importers' ``--step-name``; "epoch" when a run does not say."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import orjson
import pytest

from confusionflow.data_access.errors import LogFormatError
from confusionflow.data_access.importers.__main__ import main as import_main
from confusionflow.data_access.run_file import read_run
from confusionflow.data_access.store import LogStore
from confusionflow.data_access.vocabulary import shared_step_name
from confusionflow.data_access.writer import LogWriter

CLASSES = ["cat", "dog"]
COUNTS = np.array([[3, 1], [0, 4]])


def test_writer_stores_the_step_name_and_the_store_reads_it(tmp_path: Path):
    with LogWriter(tmp_path, "al", CLASSES, step_name="labels") as w:
        w.add_counts(100, "test", COUNTS)
    with LogWriter(tmp_path, "plain", CLASSES) as w:
        w.add_counts(1, "test", COUNTS)
    assert orjson.loads((tmp_path / "al" / "run.json").read_bytes())["step_name"] == "labels"
    names = {i.key: i.step_name for i in LogStore(tmp_path).list_series()}
    assert names == {"al/test": "labels", "plain/test": "epoch"}


def test_resuming_keeps_the_step_name_first_written(tmp_path: Path):
    with LogWriter(tmp_path, "al", CLASSES, step_name="labels") as w:
        w.add_counts(100, "test", COUNTS)
    with LogWriter(tmp_path, "al", CLASSES, mode="resume") as w:
        assert w.step_name == "labels"


def test_a_run_file_without_the_field_reads_as_epochs_and_a_bad_one_is_named(tmp_path: Path):
    with LogWriter(tmp_path, "old", CLASSES) as w:
        w.add_counts(1, "test", COUNTS)
    path = tmp_path / "old" / "run.json"
    body = orjson.loads(path.read_bytes())
    del body["step_name"]
    path.write_bytes(orjson.dumps(body))
    assert read_run(tmp_path, "old").step_name == "epoch"
    body["step_name"] = "<b>x</b>"
    path.write_bytes(orjson.dumps(body))
    with pytest.raises(LogFormatError, match='"step_name": step name must be'):
        read_run(tmp_path, "old")


def test_writer_refuses_a_step_name_that_is_not_a_plain_word(tmp_path: Path):
    for bad in ["", " labels", "a" * 25, "<script>", 3]:
        with pytest.raises(ValueError, match="step name must be"):
            LogWriter(tmp_path, "bad", CLASSES, step_name=bad)  # type: ignore[arg-type]
    assert not (tmp_path / "bad").exists()


def test_importer_option_step_name(tmp_path: Path):
    table = tmp_path / "counts.csv"
    table.write_text("run,fold,step,y_true,y_pred,count\nal,test,50,cat,cat,3\nal,test,50,dog,cat,1\n")
    logs = tmp_path / "logs"
    assert import_main(["counts", str(table), "--logdir", str(logs), "--step-name", "labels"]) == 0
    assert read_run(logs, "al").step_name == "labels"
    assert import_main(["counts", str(table), "--logdir", str(tmp_path / "l2")]) == 0
    assert read_run(tmp_path / "l2", "al").step_name == "epoch"


def test_views_comparing_different_step_names_call_them_steps():
    assert shared_step_name(["labels"]) == "labels"
    assert shared_step_name(["labels", "epoch"]) == "step"


# ----------------------------------------------------------------------------- every view's words
def _views_of(tmp_path: Path, runs: dict[str, str]) -> dict[str, str]:
    """Every view's figure for ``runs`` ({run: step name}) as one JSON text per view."""
    from confusionflow.app.callbacks import class_charts, detail, matrix, timeline
    from confusionflow.app.callbacks.common import Selection
    from confusionflow.app.callbacks.inputs import Bounds, parse_inputs
    from confusionflow.app.state import DetailTarget

    for run, name in runs.items():
        with LogWriter(tmp_path, run, CLASSES, step_name=name) as w:
            for step in (10, 20, 30):
                w.add_counts(step, "test", COUNTS + step)
    store = LogStore(tmp_path)
    selection = Selection(series=tuple(f"{r}/test" for r in runs)).to_store()
    raw = {"selection": selection, "slots": {}, "step_range": None, "epoch": 20.0}
    page = parse_inputs(
        {**raw, "detail": DetailTarget("cell", "cat", "dog").to_dict()}, Bounds.of(store.list_series())
    )
    figures = {
        "matrix": matrix.matrix_update(store, page, None).figure,
        "detail": detail.detail_update(store, page, None).figure,
        "class performance": class_charts.class_performance_update(store, raw, None)["figure"],
        "timeline": timeline.timeline_figure(store, raw, None),
    }
    return {view: f.to_json() for view, f in figures.items()}


def named(word: str, text: str) -> bool:
    """Whether ``text`` calls a step ``word``: the word before a step number, a range of steps or
    a hover's step placeholder ("labels 20", "labels 10–30", "labels %{x}", "labels (mean")."""
    return re.search(rf"\b{word}s? (\d|%\{{|\()", text) is not None or f'"text":"{word}"' in text


def test_every_view_names_the_runs_steps(tmp_path: Path):
    for view, text in _views_of(tmp_path, {"al": "labels"}).items():
        assert named("labels", text) and not named("epoch", text), view


def test_views_mixing_step_names_say_step(tmp_path: Path):
    for view, text in _views_of(tmp_path, {"al": "labels", "sgd": "epoch"}).items():
        assert named("step", text), view
        assert not named("labels", text) and not named("epoch", text), view


def test_the_timeline_controls_speak_of_steps_for_every_run():
    from confusionflow.components.timeline_panel import timeline_panel
    from tests.factories import tree_text

    panel = timeline_panel()
    words = tree_text(panel) + " " + str(getattr(panel, "aria-label", ""))
    assert "Selected step" in words and "epoch" not in words.lower()
