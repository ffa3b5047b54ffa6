"""The series chips: one per shown series, in order, with its slot's colour and a remove button."""

from __future__ import annotations

from confusionflow.components import ids
from confusionflow.components.colors import slot_color
from confusionflow.components.series_chips import NO_LOGS, NOTHING_CHOSEN, chip, chips
from confusionflow.data_access.tensor import SeriesInfo

CLASSES = ("cat", "dog")


def test_chips_follow_the_keys_and_their_slots():
    infos = {i.key: i for i in (SeriesInfo("a", "test", CLASSES), SeriesInfo("b", "train", CLASSES))}
    out = chips(["b/train", "a/test"], infos, {"a/test": 0, "b/train": 3})
    assert [c.children[1].children for c in out] == ["b / train", "a / test"]
    assert [getattr(c, "data-color") for c in out] == [slot_color(3), slot_color(0)]
    assert out[0].children[2].id == {"type": ids.CHIP_REMOVE, "key": "b/train"}


def test_chips_say_why_there_are_none():
    assert chips([], {}, {})[0].children == NO_LOGS
    infos = {"a/test": SeriesInfo("a", "test", CLASSES)}
    assert chips([], infos, {})[0].children == NOTHING_CHOSEN


def test_an_unknown_series_keeps_its_key_as_label():
    c = chip(None, "gone/test", "#000000")
    assert c.children[1].children == "gone/test" and c.title == "gone/test"
