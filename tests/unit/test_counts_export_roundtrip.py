"""The counts CSV the page exports imports back unchanged with the project's counts importer, and
carries the values the matrix shows next to the counts."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest

from confusionflow.app.config import Settings
from confusionflow.app.counts_export import csv_cell
from confusionflow.app.factory import create_app
from confusionflow.components import wording
from confusionflow.data_access.errors import LogFormatError
from confusionflow.data_access.importers.counts_table import import_counts_table
from confusionflow.data_access.store import LogStore
from tests.factories import write_run

CLASSES = ("zebra", "ant", "mole")  # not sorted: the order must survive the round trip
STEPS = (1, 2, 1234567.5)


def matrix(step: float) -> np.ndarray:
    base = np.array([[50, 3, 7], [2, 40, 8], [9, 1, 30]], dtype=np.int64)
    return base + np.eye(3, dtype=np.int64) * int(step % 7)


@pytest.fixture()
def logdir(tmp_path: Path) -> Path:
    root = tmp_path / "logs"
    write_run(root, "net", CLASSES, counts={"test": {s: matrix(s) for s in STEPS}})
    return root


def export(logdir: Path, tmp_path: Path, query: str) -> str:
    app = create_app(logdir, settings=Settings(cache_dir=tmp_path / "cache", poll_seconds=0))
    response = app.server.test_client().get("/_export/counts.csv?" + query)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_export_imports_back_into_a_new_log_folder_unchanged(logdir: Path, tmp_path: Path) -> None:
    text = export(logdir, tmp_path, "s=net/test")
    source = tmp_path / "exported.csv"
    source.write_text(text)
    again = tmp_path / "again"
    import_counts_table(source, again)
    original = LogStore(logdir).load(["net/test"]).tensor
    imported = LogStore(again).load(["net/test"]).tensor
    assert original is not None and imported is not None
    assert imported.classes == CLASSES
    np.testing.assert_array_equal(imported.steps, original.steps)
    np.testing.assert_array_equal(imported.counts, original.counts)
    # the steps are written exactly in the new log folder: 1, not 1.0; 1234567.5 in full
    lines = (again / "net" / "test.counts.jsonl").read_text().splitlines()
    steps = [json.loads(line)["step"] for line in lines]
    assert steps == [1, 2, 1234567.5] and isinstance(steps[0], int)
    assert "1234567.5" in lines[2] and "1.0" not in lines[0]


def test_relative_export_names_its_denominator_and_carries_the_shown_values(
    logdir: Path, tmp_path: Path
) -> None:
    text = export(logdir, tmp_path, "s=net/test&norm=true&c=zebra&c=ant")
    rows = list(csv.DictReader(io.StringIO(text)))
    column = "share_of_" + wording.DENOMINATOR_SLUGS["support"]
    assert column == "share_of_true_class_instances" and column in rows[0]
    zebra_ant = next(r for r in rows if r["step"] == "1" and r["y_true"] == "zebra" and r["y_pred"] == "ant")
    # a share of the whole zebra class (50 + 1 + 3 + 7 = 61 at step 1), the mole column included
    assert int(zebra_ant["count"]) == 3 and float(zebra_ant[column]) == 3 / 61
    assert {r["y_true"] for r in rows} == {"zebra", "ant"}
    columns = export(logdir, tmp_path, "s=net/test&norm=pred").splitlines()[0].split(",")
    assert columns[-1] == "share_of_" + wording.DENOMINATOR_SLUGS["predicted"]
    assert export(logdir, tmp_path, "s=net/test").splitlines()[0].split(",")[-1] == "count"


def test_formula_prefixes_stay_neutralised() -> None:
    assert csv_cell("=HYPERLINK()") == "'=HYPERLINK()" and csv_cell("a,b") == '"a,b"'


def test_contradicting_class_indices_are_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "run,fold,step,y_true,y_pred,true_index,pred_index,count\n"
        "r,f,1,a,a,0,0,1\nr,f,1,a,b,0,1,1\nr,f,1,b,a,0,0,1\n"
    )
    with pytest.raises(LogFormatError, match="contradicts"):
        import_counts_table(bad, tmp_path / "out")
    assert not (tmp_path / "out" / "r").exists()


def test_an_export_aggregated_to_superclasses_says_so_in_its_file_name(tmp_path: Path) -> None:
    root = tmp_path / "logs"
    write_run(
        root,
        "net",
        CLASSES,
        counts={"test": {s: matrix(s) for s in STEPS}},
        metadata={"superclasses": {"zebra": "mammal", "mole": "mammal", "ant": "insect"}},
    )
    client = create_app(
        root, settings=Settings(cache_dir=tmp_path / "cache", poll_seconds=0)
    ).server.test_client()
    by_class = client.get("/_export/counts.csv?s=net/test")
    grouped = client.get("/_export/counts.csv?s=net/test&level=1")
    assert 'filename="confusionflow-net.csv"' in by_class.headers["Content-Disposition"]
    assert 'filename="confusionflow-net-superclasses.csv"' in grouped.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(grouped.get_data(as_text=True))))
    assert {r["y_true"] for r in rows} == {"mammal", "insect"}
