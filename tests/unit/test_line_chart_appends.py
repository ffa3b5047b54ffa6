"""The detail and timeline charts answer an added series with a Patch that appends its line, and
the chart on screen then equals a fresh build; anything but an appended series is a new figure.

Each Patch is applied to the JSON of the figure it follows, as dash-renderer applies it (the
helpers of ``test_class_chart_updates``), and compared with the JSON of a fresh build."""

from __future__ import annotations

import dash
import plotly.graph_objects as go
import pytest

from confusionflow.app.callbacks import detail, timeline
from confusionflow.app.callbacks.common import Selection
from confusionflow.app.callbacks.inputs import parse_inputs
from confusionflow.components import ids
from confusionflow.data_access.store import LogStore
from tests.factories import alpha_beta_logs
from tests.unit.test_class_chart_updates import applied, as_json, locations

CLASSES = ("cat", "dog", "fox")
STEPS = (1, 2, 3, 5)
SELECTION = [f"{ids.SELECTION}.data", f"{ids.SLOTS}.data"]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> LogStore:
    return LogStore(alpha_beta_logs(tmp_path_factory.mktemp("logs"), CLASSES, STEPS))


def raw(series: tuple[str, ...], epoch: float | None = 2.0, **more: object) -> dict:
    slots = {k: i for i, k in enumerate(series)}
    return {
        "selection": Selection(series=series).to_store(),
        "slots": slots,
        "step_range": None,
        "epoch": epoch,
        **more,
    }


def detail_of(store: LogStore, values: dict, drawn: object = None) -> detail.DetailUpdate:
    return detail.detail_update(store, parse_inputs(values), SELECTION, drawn)


APPEND = {("Extend", ("data",)), ("Assign", ("layout",))}


@pytest.mark.parametrize("target", [None, {"kind": "fn", "true": "dog", "pred": None}])
def test_an_added_series_appends_its_line_to_the_detail_chart(store: LogStore, target) -> None:
    more = {"detail": target} if target else {}
    one = detail_of(store, raw(("alpha/test",), **more))
    assert isinstance(one.figure, go.Figure) and one.meta["series"] == ["alpha/test"]
    # the epoch moved in the browser since (the figure prop still has the old marker)
    both = raw(("alpha/test", "alpha/train"), epoch=3.0, **more)
    added = detail_of(store, both, one.meta)
    assert isinstance(added.figure, dash.Patch)
    assert locations(added.figure) == APPEND
    traces = next(
        o["params"]["value"] for o in as_json(added.figure)["operations"] if o["operation"] == "Extend"
    )
    assert [t["name"] for t in traces] == ["alpha / train"]
    rebuilt = detail_of(store, both).figure
    assert applied(one.figure, added.figure) == as_json(rebuilt)
    assert added.meta["series"] == ["alpha/test", "alpha/train"]


def test_an_added_series_appends_its_line_to_the_timeline(store: LogStore) -> None:
    one = timeline.timeline_update(store, raw(("alpha/test",)), SELECTION)
    assert isinstance(one["figure"], go.Figure)
    both = raw(("alpha/test", "alpha/train"), epoch=3.0)
    added = timeline.timeline_update(store, both, SELECTION, one["meta"])
    assert isinstance(added["figure"], dash.Patch)
    # the hover layer (trace 0) lists every series at each step: re-sent; the first line is not
    assert locations(added["figure"]) == APPEND | {("Assign", ("data", 0))}
    rebuilt = timeline.timeline_update(store, both, SELECTION)["figure"]
    assert applied(one["figure"], added["figure"]) == as_json(rebuilt)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (("alpha/test", "alpha/train"), ("alpha/test",)),  # a series removed
        (("alpha/train",), ("alpha/test", "alpha/train")),  # added in front
        (("alpha/test",), ("alpha/test", "beta/test")),  # the new series logs another step: new x
    ],
)
def test_anything_but_an_appended_series_is_a_new_figure(store: LogStore, before, after) -> None:
    first = detail_of(store, raw(before))
    assert isinstance(detail_of(store, raw(after), first.meta).figure, go.Figure)
    line = timeline.timeline_update(store, raw(before), SELECTION)
    assert isinstance(
        timeline.timeline_update(store, raw(after), SELECTION, line["meta"])["figure"], go.Figure
    )


def test_another_target_or_normalisation_is_a_new_detail_chart(store: LogStore) -> None:
    one = detail_of(store, raw(("alpha/test",)))
    other = raw(("alpha/test", "alpha/train"), detail={"kind": "fp", "true": None, "pred": "cat"})
    assert isinstance(detail_of(store, other, one.meta).figure, go.Figure)
    relative = raw(("alpha/test", "alpha/train"), normalization="true")
    assert isinstance(detail_of(store, relative, one.meta).figure, go.Figure)
    # a store sent back malformed reads as nothing drawn
    assert isinstance(detail_of(store, raw(("alpha/test", "alpha/train")), {"frame": 5}).figure, go.Figure)
