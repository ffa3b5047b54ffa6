"""Class hierarchies from CSV / JSON: validation messages, levels, drill-down, storage with a run."""

from __future__ import annotations

import numpy as np
import orjson
import pytest

from confusionflow.data_access.hierarchy import HierarchyError, read_hierarchy, run_hierarchy
from confusionflow.data_access.sparse_counts import SparseCounts
from tests.unit.many_classes import tensor_of

CLASSES = ("dog", "cat", "trout", "car", "bus", "rose")
CSV = "class,group\ndog,animal/mammal\ncat,animal/mammal\ntrout,animal/fish\ncar,vehicle\nbus,vehicle\nrose,plant\n"
PAIRS = [(c, g) for c, g in (line.split(",") for line in CSV.splitlines()[1:])]  # (class, group path)


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_class_group_levels_and_mappings(tmp_path):
    h = read_hierarchy(write(tmp_path, "h.csv", CSV), CLASSES)
    assert h.depth == 2
    assert h.groups(1) == ("animal", "vehicle", "plant")
    assert h.groups(2) == ("mammal", "fish")
    assert h.mapping(1) == {
        "dog": "animal",
        "cat": "animal",
        "trout": "animal",
        "car": "vehicle",
        "bus": "vehicle",
        "rose": "plant",
    }
    # level 2: classes whose path is shorter stay classes
    assert h.mapping(2) == {"dog": "mammal", "cat": "mammal", "trout": "fish"}
    assert h.mapping(0) == {}


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("p.csv", "path\n" + "".join(f"{g}/{c}\n" for c, g in PAIRS)),
        ("h.json", orjson.dumps(dict(PAIRS)).decode()),
        ("l.json", orjson.dumps([f"{g}/{c}" for c, g in PAIRS]).decode()),
    ],
)
def test_every_accepted_form_gives_the_same_hierarchy(tmp_path, name, text):
    want = read_hierarchy(write(tmp_path, "h.csv", CSV), CLASSES)
    got = read_hierarchy(write(tmp_path, name, text), CLASSES)
    assert got.paths == want.paths


def test_drill_expands_one_group_and_keeps_the_rest_aggregated(tmp_path):
    h = read_hierarchy(write(tmp_path, "h.csv", CSV), CLASSES)
    assert h.drill("animal", 1) == {"car": "vehicle", "bus": "vehicle", "rose": "plant"}
    assert h.drill("animal", 1, member_level=2) == {
        "dog": "mammal",
        "cat": "mammal",
        "trout": "fish",
        "car": "vehicle",
        "bus": "vehicle",
        "rose": "plant",
    }
    with pytest.raises(ValueError, match="level 2, below the aggregation level 1"):
        h.drill("mammal", 1)
    with pytest.raises(ValueError, match="no group named 'tree'"):
        h.drill("tree", 1)


def test_the_mapping_feeds_both_aggregations(tmp_path):
    h = read_hierarchy(write(tmp_path, "h.csv", CSV), CLASSES)
    rng = np.random.default_rng(0)
    tensor = tensor_of({"r/test": {1: rng.integers(0, 5, (6, 6)), 2: rng.integers(0, 5, (6, 6))}}, CLASSES)
    for mapping in (h.mapping(1), h.drill("animal", 1)):
        dense, sparse = tensor.aggregate(mapping), SparseCounts.from_tensor(tensor).aggregate(mapping)
        assert dense.classes == sparse.classes
        np.testing.assert_array_equal(dense.counts, sparse.counts)
    assert tensor.aggregate(h.mapping(1)).classes == ("animal", "vehicle", "plant")
    assert tensor.aggregate(h.drill("animal", 1)).classes == ("dog", "cat", "trout", "vehicle", "plant")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            CSV + "horse,animal/mammal\nzebra,animal\n",
            r"h\.csv: names 2 classes the run does not have: 'horse', 'zebra'",
        ),
        (
            CSV.replace("rose,plant\n", "").replace("bus,vehicle\n", ""),
            r"h\.csv: does not place 2 of the run's classes: 'bus', 'rose'",
        ),
        (
            CSV + "cat,vehicle\n",
            r"h\.csv \(line 8\): class 'cat' is in two groups: 'animal/mammal' and 'vehicle'",
        ),
        (
            CSV.replace("car,vehicle", "car,animal/vehicle"),
            r"group 'vehicle' is in more than one group: '\(top level\)', 'animal'|group 'vehicle' is in more than one group: 'animal', \(top level\)",
        ),
        (
            CSV.replace("trout,animal/fish", "trout,mammal/animal"),
            r"h\.csv: cycle between groups: 'animal' -> 'mammal' -> 'animal'",
        ),
        (
            CSV.replace("rose,plant", "rose,plant/x/plant"),
            r"cycle: 'plant' is its own ancestor in 'plant/x/plant/rose'",
        ),
        (CSV.replace("rose,plant", "rose,dog"), r"names used both as a class and as a group: 'dog'"),
        ("name,parent\ndog,animal\n", r"first line must be the header 'class,group' or 'path'"),
        (CSV.replace("rose,plant", "rose,plant//x"), r"line 7\): path 'plant//x' has an empty level"),
    ],
)
def test_bad_mappings_name_the_file_and_the_classes(tmp_path, text, message):
    path = write(tmp_path, "h.csv", text)
    before = path.read_bytes()
    with pytest.raises(HierarchyError, match=message):
        read_hierarchy(path, CLASSES)
    assert path.read_bytes() == before  # never touched


def test_bad_json_and_kinds(tmp_path):
    with pytest.raises(HierarchyError, match=r"h\.json: is not valid JSON"):
        read_hierarchy(write(tmp_path, "h.json", "{"), CLASSES)
    with pytest.raises(HierarchyError, match="expected a JSON object"):
        read_hierarchy(write(tmp_path, "h.json", "3"), CLASSES)
    with pytest.raises(HierarchyError, match=r"must end in \.csv or \.json"):
        read_hierarchy(write(tmp_path, "h.txt", CSV), CLASSES)


def test_stored_with_a_run_as_a_file_or_metadata(tmp_path):
    assert run_hierarchy(tmp_path, CLASSES, {}) is None
    meta = {"hierarchy": dict(PAIRS)}
    assert run_hierarchy(tmp_path, CLASSES, meta).groups(1) == ("animal", "vehicle", "plant")
    write(tmp_path, "hierarchy.csv", CSV)
    assert run_hierarchy(tmp_path, CLASSES, {}).source.endswith("hierarchy.csv")
    with pytest.raises(HierarchyError, match="more than one hierarchy"):
        run_hierarchy(tmp_path, CLASSES, meta)
    meta_bad = {"hierarchy": {"dog": "animal"}}
    with pytest.raises(HierarchyError, match=r"run\.json \(metadata\.hierarchy\): does not place 5"):
        run_hierarchy(tmp_path / "elsewhere", CLASSES, meta_bad)
