"""Importers: predictions table, counts table, original ConfusionFlow folder, and their command line.

Every importer is checked on real values read back through the reader, against scikit-learn where
there are labels, and for the promise that the source is never modified.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import confusion_matrix

from confusionflow.data_access.errors import LogFormatError
from confusionflow.data_access.importers import (
    import_counts_table,
    import_original_confusionflow,
    import_predictions_table,
    load_class_list,
    parse_counts_table,
    parse_original_confusionflow,
    parse_predictions_table,
)
from confusionflow.data_access.reader import read_instances, read_series

REPO = Path(__file__).resolve().parents[2]
# the reference sample lives in the shared folder next to the checkout (read-only)
SAMPLE = REPO.parent / "shared" / "samples" / "original-confusionflow-iris"


def tree_hashes(path: Path) -> dict[str, str]:
    """sha256 of every file under ``path`` (or of ``path`` itself), to prove a source is untouched."""
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


SMALL = """\
Run,Fold,Epoch,Target,Preds,instance_id
r1,test,1,cat,dog,a
r1,test,1,dog,dog,b
r1,test,1,bird,cat,c
r1,test,2,cat,cat,a
r1,test,2,dog,cat,b
r1,test,2,bird,bird,c
r1,train,0,cat,cat,a
r2,test,1,cat,cat,a
"""


# ----------------------------------------------------------------------------- predictions table
def test_predictions_round_trip_with_aliases(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "preds.csv", SMALL)
    summary = import_predictions_table(src, tmp_path / "logs")
    # classes: sorted union of labels, alphabetically since they are not numbers
    assert summary.classes == ("bird", "cat", "dog")
    assert summary.runs == ("r1", "r2")
    assert summary.folds == ("test", "train")
    assert [s.key for s in summary.series] == ["r1/test", "r1/train", "r2/test"]
    assert summary.series[0].steps == (1.0, 2.0)
    assert summary.series[0].instances == 6
    assert summary.steps_written == 4
    series = read_series(tmp_path / "logs", "r1", "test")
    np.testing.assert_array_equal(series.steps, [1, 2])
    # step 1: bird->cat, cat->dog, dog->dog ; step 2: bird->bird, cat->cat, dog->cat (rows=true)
    np.testing.assert_array_equal(series.counts[0], [[0, 1, 0], [0, 0, 1], [0, 0, 1]])
    np.testing.assert_array_equal(series.counts[1], [[1, 0, 0], [0, 1, 0], [0, 1, 0]])
    assert series.info.has_instances
    assert series.info.metadata["imported_from"] == "preds.csv"
    inst = read_instances(tmp_path / "logs", "r1", "test", 2)
    assert inst is not None
    assert sorted(inst["instance_id"].tolist()) == ["a", "b", "c"]
    by_id = dict(zip(inst["instance_id"], inst["y_pred"], strict=True))
    assert by_id == {"a": 1, "b": 1, "c": 0}  # cat, cat, bird as class indices
    assert "r1/test: 2 steps (1..2), 6 predictions" in summary.describe()


def random_predictions(rng: np.random.Generator, n_per_step: int = 300) -> pd.DataFrame:
    frames = []
    for run in ("base", "pruned lr=0.1"):
        for fold in ("train", "test"):
            for step in (0, 1, 2, 5, 9):  # gaps on purpose
                y_true = rng.integers(0, 4, n_per_step)
                y_pred = np.where(rng.random(n_per_step) < 0.6, y_true, rng.integers(0, 4, n_per_step))
                frames.append(
                    pd.DataFrame(
                        {
                            "run": run,
                            "fold": fold,
                            "step": step,
                            "y_true": y_true,
                            "y_pred": y_pred,
                            "instance_id": np.arange(n_per_step),
                        }
                    )
                )
    df = pd.concat(frames, ignore_index=True)
    return df.sample(frac=1.0, random_state=1).reset_index(drop=True)  # rows in no particular order


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_predictions_counts_match_sklearn(tmp_path: Path, fmt: str) -> None:
    df = random_predictions(np.random.default_rng(0))
    src = tmp_path / f"preds.{fmt}"
    df.to_csv(src, index=False) if fmt == "csv" else df.to_parquet(src)
    summary = import_predictions_table(src, tmp_path / "logs")
    assert summary.classes == ("0", "1", "2", "3")
    assert len(summary.series) == 4
    for run in ("base", "pruned lr=0.1"):
        for fold in ("train", "test"):
            series = read_series(tmp_path / "logs", run, fold)
            np.testing.assert_array_equal(series.steps, [0, 1, 2, 5, 9])
            for t, step in enumerate(series.steps):
                part = df[(df.run == run) & (df.fold == fold) & (df.step == step)]
                expected = confusion_matrix(part.y_true, part.y_pred, labels=[0, 1, 2, 3])
                np.testing.assert_array_equal(series.counts[t], expected)


def test_numeric_labels_sorted_numerically(tmp_path: Path) -> None:
    rows = "\n".join(f"{i % 3},{i},{(i + 1) % 12}" for i in range(12))
    src = write_csv(tmp_path / "p.csv", "step,label,prediction\n" + rows + "\n")
    parsed = parse_predictions_table(src, run="r", fold="f")
    assert parsed.classes == tuple(str(i) for i in range(12))  # '10' after '9', not after '1'


def test_class_list_fixes_order_and_keeps_unseen_classes(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "p.csv", "step,actual,predicted\n1,dog,cat\n1,cat,cat\n")
    summary = import_predictions_table(
        src, tmp_path / "logs", run="r", fold="f", classes=["dog", "cat", "bird"]
    )
    assert summary.classes == ("dog", "cat", "bird")
    series = read_series(tmp_path / "logs", "r", "f")
    np.testing.assert_array_equal(series.counts[0], [[0, 1, 0], [0, 1, 0], [0, 0, 0]])


def test_labels_as_indices_into_class_list(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "p.csv", "step,y_true,y_pred\n1,0,1\n1,2,2\n")
    parsed = parse_predictions_table(src, run="r", fold="f", classes=["a", "b", "c"], labels_are_indices=True)
    np.testing.assert_array_equal(parsed.counts[0][0], [[0, 1, 0], [0, 0, 0], [0, 0, 1]])
    bad = write_csv(tmp_path / "bad.csv", "step,y_true,y_pred\n1,0,1\n1,3,2\n")
    with pytest.raises(
        LogFormatError, match=r"bad.csv \(column 'y_true', line 3\): unknown class '3'.*0\.\.2"
    ):
        parse_predictions_table(bad, run="r", fold="f", classes=["a", "b", "c"], labels_are_indices=True)


def test_unknown_class_with_class_list_names_file_column_and_line(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "p.csv", "step,y_true,y_pred\n1,cat,cat\n2,cat,zebra\n")
    with pytest.raises(LogFormatError) as e:
        parse_predictions_table(src, run="r", fold="f", classes=["cat", "dog"])
    assert str(e.value).startswith(str(src))
    assert e.value.where == "column 'y_pred', line 3"
    assert "unknown class 'zebra'" in e.value.problem


def test_default_run_and_fold_when_columns_absent(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "p.csv", "epoch,y_true,y_pred\n0,a,b\n1,a,a\n")
    with pytest.raises(
        LogFormatError, match=r"no 'run' column; add one or give a default run name \(--run NAME\)"
    ):
        parse_predictions_table(src)
    with pytest.raises(LogFormatError, match="--fold NAME"):
        parse_predictions_table(src, run="r")
    parsed = parse_predictions_table(src, run="resnet", fold="valid")
    assert parsed.grouping.series_names == (("resnet", "valid"),)


def test_columns_override_defaults(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "p.csv", "run,fold,step,y_true,y_pred\nx,test,0,a,b\n")
    parsed = parse_predictions_table(src, run="ignored", fold="ignored")
    assert parsed.grouping.series_names == (("x", "test"),)


def test_missing_column_names_role_and_aliases(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "p.csv", "run,fold,step,truth,y_pred\nr,f,0,a,b\n")
    with pytest.raises(LogFormatError) as e:
        parse_predictions_table(src)
    msg = str(e.value)
    assert "missing column 'y_true' (accepted names: y_true, target, label, actual)" in msg
    assert "truth" in msg  # the columns found are listed
    assert e.value.where == "header"


def test_two_columns_with_the_same_meaning_refused(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "p.csv", "step,label,target,y_pred\n0,a,a,b\n")
    with pytest.raises(LogFormatError, match=r"columns \['label', 'target'\] all mean 'y_true'"):
        parse_predictions_table(src, run="r", fold="f")


def test_empty_file_and_header_only(tmp_path: Path) -> None:
    empty = write_csv(tmp_path / "empty.csv", "")
    with pytest.raises(LogFormatError, match=r"empty.csv: the file is empty"):
        parse_predictions_table(empty, run="r", fold="f")
    header = write_csv(tmp_path / "header.csv", "step,y_true,y_pred\n")
    with pytest.raises(LogFormatError, match=r"header.csv: the table has a header but no rows"):
        parse_predictions_table(header, run="r", fold="f")
    with pytest.raises(LogFormatError, match="file not found"):
        parse_predictions_table(tmp_path / "nope.csv", run="r", fold="f")


def test_non_utf8_csv_names_the_line(tmp_path: Path) -> None:
    src = tmp_path / "latin1.csv"
    src.write_bytes("step,y_true,y_pred\n0,cat,cat\n1,caf\xe9,cat\n".encode("latin-1"))
    with pytest.raises(LogFormatError) as e:
        parse_predictions_table(src, run="r", fold="f")
    assert e.value.where == "line 3"
    assert "not UTF-8" in e.value.problem
    header = tmp_path / "latin1-header.csv"
    header.write_bytes("st\xe9p,y_true,y_pred\n0,a,b\n".encode("latin-1"))
    with pytest.raises(LogFormatError, match=r"\(line 1\): not UTF-8"):
        parse_predictions_table(header, run="r", fold="f")


def test_utf8_bom_and_unicode_labels_are_fine(tmp_path: Path) -> None:
    src = tmp_path / "bom.csv"
    src.write_bytes("step,y_true,y_pred\n0,café,thé\n".encode("utf-8-sig"))
    parsed = parse_predictions_table(src, run="r", fold="f")
    assert parsed.classes == ("café", "thé")


@pytest.mark.parametrize("name", ["../x", "a/b", ".hidden", "..", "x\\y"])
def test_hostile_run_and_fold_names_refused(tmp_path: Path, name: str) -> None:
    src = tmp_path / "p.csv"
    pd.DataFrame({"run": [name], "fold": ["test"], "step": [0], "y_true": ["a"], "y_pred": ["b"]}).to_csv(
        src, index=False
    )
    logdir = tmp_path / "logs"
    with pytest.raises(LogFormatError, match="run name"):
        import_predictions_table(src, logdir)
    other = write_csv(tmp_path / "q.csv", "step,y_true,y_pred\n0,a,b\n")
    with pytest.raises(LogFormatError, match="fold name"):
        import_predictions_table(other, logdir, run="ok", fold=name)
    assert not logdir.exists()
    assert not (tmp_path / "x").exists()


def test_duplicate_instance_rows_refused_with_both_lines(tmp_path: Path) -> None:
    src = write_csv(
        tmp_path / "p.csv",
        "run,fold,step,y_true,y_pred,instance_id\n"
        "r,f,0,a,a,1\n"
        "r,f,1,a,a,1\n"  # same instance, another step: fine
        "r,g,0,a,a,1\n"  # another fold: fine
        "r,f,0,b,a,2\n"
        "r,f,0,a,b,1\n",  # duplicate of line 2
    )
    with pytest.raises(LogFormatError) as e:
        parse_predictions_table(src)
    assert e.value.where == "line 6"
    assert (
        "duplicate row: instance 1 of run 'r', fold 'f' at step 0 already appears on line 2"
        in e.value.problem
    )


def test_empty_cells_and_bad_steps_refused(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "p.csv", "step,y_true,y_pred\n0,a,b\n1,,b\n")
    with pytest.raises(LogFormatError, match=r"column 'y_true', line 3\): empty true label"):
        parse_predictions_table(src, run="r", fold="f")
    src = write_csv(tmp_path / "s.csv", "step,y_true,y_pred\n0,a,b\nlast,a,b\n")
    with pytest.raises(LogFormatError, match=r"column 'step', line 3\): step must be a number, found 'last'"):
        parse_predictions_table(src, run="r", fold="f")
    src = write_csv(tmp_path / "n.csv", "step,y_true,y_pred\n0,a,b\n,a,b\n")
    with pytest.raises(LogFormatError, match=r"column 'step', line 3\): empty step"):
        parse_predictions_table(src, run="r", fold="f")


def test_fractional_steps_kept(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "p.csv", "step,y_true,y_pred\n0.5,a,b\n1.25,a,a\n0.5,b,b\n")
    summary = import_predictions_table(src, tmp_path / "logs", run="r", fold="f")
    assert summary.series[0].steps == (0.5, 1.25)
    np.testing.assert_array_equal(read_series(tmp_path / "logs", "r", "f").counts[0], [[0, 1], [0, 1]])


def test_counts_only_import(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "preds.csv", SMALL)
    import_predictions_table(src, tmp_path / "logs", store_instances=False)
    series = read_series(tmp_path / "logs", "r1", "test")
    assert not series.info.has_instances
    np.testing.assert_array_equal(series.counts[1], [[1, 0, 0], [0, 1, 0], [0, 1, 0]])
    assert (tmp_path / "logs" / "r1" / "test.counts.jsonl").is_file()


def test_reimport_refused_before_writing_anything(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "preds.csv", SMALL)
    logdir = tmp_path / "logs"
    import_predictions_table(src, logdir)
    before = tree_hashes(logdir)
    with pytest.raises(LogFormatError, match=r"run 'r1', fold 'test' already has step\(s\) 1, 2"):
        import_predictions_table(src, logdir)
    assert tree_hashes(logdir) == before
    other = write_csv(tmp_path / "other.csv", "run,fold,step,y_true,y_pred\nr1,new,0,x,y\n")
    with pytest.raises(LogFormatError, match="run 'r1' already exists with classes"):
        import_predictions_table(other, logdir)
    assert tree_hashes(logdir) == before
    # new steps of an existing series are appended
    more = write_csv(tmp_path / "more.csv", "run,fold,step,y_true,y_pred\nr1,test,3,cat,cat\n")
    import_predictions_table(more, logdir, classes=["bird", "cat", "dog"])
    np.testing.assert_array_equal(read_series(logdir, "r1", "test").steps, [1, 2, 3])


def test_sources_never_modified(tmp_path: Path) -> None:
    csv_src = write_csv(tmp_path / "preds.csv", SMALL)
    pq_src = tmp_path / "preds.parquet"
    pd.read_csv(csv_src).to_parquet(pq_src)
    counts_src = write_csv(tmp_path / "counts.csv", "run,fold,step,y_true,y_pred,count\nr,f,0,a,b,3\n")
    bad_src = write_csv(tmp_path / "bad.csv", "step,y_true,y_pred\n0,a,b\n0,,b\n")
    sources = [csv_src, pq_src, counts_src, bad_src]
    before = {p: tree_hashes(p) for p in sources}
    stats = {p: p.stat().st_mtime_ns for p in sources}
    import_predictions_table(csv_src, tmp_path / "a")
    import_predictions_table(pq_src, tmp_path / "b")
    import_counts_table(counts_src, tmp_path / "c")
    with pytest.raises(LogFormatError):
        import_predictions_table(bad_src, tmp_path / "d", run="r", fold="f")
    assert {p: tree_hashes(p) for p in sources} == before
    assert {p: p.stat().st_mtime_ns for p in sources} == stats
    assert not (tmp_path / "d").exists()


def test_parquet_and_csv_give_identical_logs(tmp_path: Path) -> None:
    csv_src = write_csv(tmp_path / "preds.csv", SMALL)
    pq_src = tmp_path / "preds.parquet"
    pd.read_csv(csv_src).to_parquet(pq_src)
    a = parse_predictions_table(csv_src)
    b = parse_predictions_table(pq_src)
    assert a.classes == b.classes
    assert a.grouping.series_names == b.grouping.series_names
    for x, y in zip(a.counts, b.counts, strict=True):
        np.testing.assert_array_equal(x, y)


def test_tab_separated_and_gzipped(tmp_path: Path) -> None:
    tsv = write_csv(tmp_path / "p.tsv", "step\ty_true\ty_pred\n0\ta\tb\n")
    assert parse_predictions_table(tsv, run="r", fold="f").counts[0][0].tolist() == [[0, 1], [0, 0]]
    gz = tmp_path / "p.csv.gz"
    pd.DataFrame({"step": [0, 0], "y_true": ["a", "b"], "y_pred": ["a", "a"]}).to_csv(gz, index=False)
    assert parse_predictions_table(gz, run="r", fold="f").counts[0][0].tolist() == [[1, 0], [1, 0]]


def test_label_column_numeric_at_top_text_further_down(tmp_path: Path) -> None:
    # Arrow guesses column types from the first block; a label column that changes kind must still work
    n = 70_000
    y_true = ["1"] * n + ["cat"]
    src = tmp_path / "p.csv"
    pd.DataFrame({"step": 0, "y_true": y_true, "y_pred": "1"}).to_csv(src, index=False)
    parsed = parse_predictions_table(src, run="r", fold="f")
    assert parsed.classes == ("1", "cat")
    assert parsed.counts[0][0].tolist() == [[n, 0], [1, 0]]


# ----------------------------------------------------------------------------- counts table
COUNTS = """\
run,fold,epoch,actual,predicted,count
m,test,1,a,a,5
m,test,1,a,b,2
m,test,1,b,b,4
m,test,2,a,a,7
m,test,2,b,a,0
m,val,1,b,a,3
"""


def test_counts_round_trip(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "counts.csv", COUNTS)
    summary = import_counts_table(src, tmp_path / "logs")
    assert summary.classes == ("a", "b")
    assert [s.key for s in summary.series] == ["m/test", "m/val"]
    assert summary.series[0].instances == 18
    series = read_series(tmp_path / "logs", "m", "test")
    np.testing.assert_array_equal(series.steps, [1, 2])
    np.testing.assert_array_equal(series.counts, [[[5, 2], [0, 4]], [[7, 0], [0, 0]]])
    assert not series.info.has_instances
    val = read_series(tmp_path / "logs", "m", "val")
    np.testing.assert_array_equal(val.counts, [[[0, 0], [3, 0]]])
    assert series.info.metadata["importer"] == "counts table"


@pytest.mark.parametrize(
    ("value", "message"),
    [("-1", "count must not be negative, found -1"), ("2.5", "count must be a whole number, found 2.5")],
)
def test_bad_counts_rejected_with_line(tmp_path: Path, value: str, message: str) -> None:
    src = write_csv(
        tmp_path / "c.csv", f"run,fold,step,y_true,y_pred,count\nm,t,0,a,a,4\nm,t,0,a,b,{value}\n"
    )
    with pytest.raises(LogFormatError) as e:
        import_counts_table(src, tmp_path / "logs")
    assert e.value.where == "column 'count', line 3"
    assert message in e.value.problem
    assert not (tmp_path / "logs").exists()


def test_text_count_rejected(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "c.csv", "step,y_true,y_pred,count\n0,a,a,4\n0,a,b,many\n")
    with pytest.raises(LogFormatError, match=r"count"):
        parse_counts_table(src, run="m", fold="t")


def test_duplicate_cell_rejected(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "c.csv", "step,y_true,y_pred,count\n0,a,a,4\n0,a,b,1\n0,a,a,2\n")
    with pytest.raises(LogFormatError) as e:
        parse_counts_table(src, run="m", fold="t")
    assert e.value.where == "line 4"
    assert (
        "duplicate cell: true 'a', predicted 'a' of run 'm', fold 't' at step 0 is already given on line 2"
        in str(e.value)
    )


def test_counts_missing_count_column(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "c.csv", "step,y_true,y_pred\n0,a,a\n")
    with pytest.raises(LogFormatError, match=r"missing column 'count' \(accepted names: count\)"):
        parse_counts_table(src, run="m", fold="t")


# ----------------------------------------------------------------------------- original ConfusionFlow
IRIS_CLASSES = ["setosa", "versicolor", "virginica"]


def synthetic_confmat(run: int, fold: int, epoch: int) -> list[int]:
    """A distinct, valid 3x3 matrix per (run, fold, epoch), flattened row by row."""
    size = 30 if fold == 0 else 20
    wrong = (run + 2 * epoch) % 5
    return [size - wrong, wrong, 0, epoch, size - epoch, 0, 0, run, size - run]


def write_original_folder(dst: Path) -> Path:
    """A log folder laid out exactly as the original ConfusionFlow logger writes it (v0.1.x):
    two runs, folds iris_train/iris_test, epochs numbered 1..8, index files included."""
    folds = [("iris_train", 90, 30), ("iris_test", 60, 20)]
    dataset = {
        "datasetId": "iris",
        "description": "Iris",
        "numclass": 3,
        "numfolds": 2,
        "classes": IRIS_CLASSES,
        "folds": [
            {
                "foldId": f,
                "description": "",
                "dataset": "iris",
                "numinstances": n,
                "classcounts": [{"classname": c, "instancecount": k} for c in IRIS_CLASSES],
            }
            for f, n, k in folds
        ],
    }
    for sub in ("runs", "foldlogs", "foldlogdata", "datasets"):
        (dst / sub).mkdir(parents=True)
    (dst / "datasets" / "iris.json").write_text(json.dumps(dataset))
    (dst / "datasets" / "index.json").write_text(json.dumps([dataset]))
    runs = []
    for r, run_id in enumerate(("sgd_lr0.001", "sgd_lr0.1")):
        logs = []
        for fi, (fold_id, _, _) in enumerate(folds):
            log_id = f"{run_id}_{fold_id}"
            entry = {
                "foldlogId": log_id,
                "description": "",
                "runId": run_id,
                "foldId": fold_id,
                "foldlogdataId": f"{log_id}_data",
                "numepochs": 8,
            }
            logs.append(entry)
            (dst / "foldlogs" / f"{log_id}.json").write_text(json.dumps(entry))
            epochs = [{"epochId": e, "confmat": synthetic_confmat(r, fi, e)} for e in range(1, 9)]
            data = {"foldlogId": log_id, "numepochs": 8, "epochdata": epochs}
            (dst / "foldlogdata" / f"{log_id}_data.json").write_text(json.dumps(data))
        run = {"runId": run_id, "trainfoldId": "iris_train", "hyperparam": {}, "foldlogs": logs}
        runs.append(run)
        (dst / "runs" / f"{run_id}.json").write_text(json.dumps(run))
    (dst / "runs" / "index.json").write_text(json.dumps(runs))
    return dst


@pytest.fixture
def sample_copy(tmp_path: Path) -> Path:
    """A writable original log folder: the shared sample when present, else an equivalent one."""
    dst = tmp_path / "original"
    if not SAMPLE.is_dir():
        return write_original_folder(dst)
    shutil.copytree(SAMPLE, dst)
    for p in dst.rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)
    return dst


def test_original_layout_round_trip(tmp_path: Path) -> None:
    src = write_original_folder(tmp_path / "original")
    before = tree_hashes(src)
    summary = import_original_confusionflow(src, tmp_path / "logs")
    assert tree_hashes(src) == before
    assert summary.classes == tuple(IRIS_CLASSES)
    assert summary.steps_written == 32
    for r, run_id in enumerate(("sgd_lr0.001", "sgd_lr0.1")):
        for fi, fold_id in enumerate(("iris_train", "iris_test")):
            series = read_series(tmp_path / "logs", run_id, fold_id)
            np.testing.assert_array_equal(series.steps, np.arange(1, 9))
            for t, epoch in enumerate(range(1, 9)):
                expected = np.asarray(synthetic_confmat(r, fi, epoch)).reshape(3, 3)
                np.testing.assert_array_equal(series.counts[t], expected)
    # row-major, rows = true class: epoch 3 of run 1 on the test fold, true versicolor -> setosa = 3
    assert read_series(tmp_path / "logs", "sgd_lr0.1", "iris_test").counts[2, 1, 0] == 3


@pytest.mark.skipif(not SAMPLE.is_dir(), reason="sample folder not present")
def test_original_sample_imports_with_epoch_ids(tmp_path: Path) -> None:
    before = tree_hashes(SAMPLE)
    summary = import_original_confusionflow(SAMPLE, tmp_path / "logs")
    assert tree_hashes(SAMPLE) == before
    assert summary.classes == ("setosa", "versicolor", "virginica")
    assert sorted(s.key for s in summary.series) == [
        "sgd_lr0.001/iris_test",
        "sgd_lr0.001/iris_train",
        "sgd_lr0.1/iris_test",
        "sgd_lr0.1/iris_train",
    ]
    assert summary.steps_written == 32
    series = read_series(tmp_path / "logs", "sgd_lr0.1", "iris_test")
    np.testing.assert_array_equal(series.steps, np.arange(1, 9))  # epochId 1..8, not 0..7
    data = json.loads((SAMPLE / "foldlogdata" / "sgd_lr0.1_iris_test_data.json").read_text())
    for t, epoch in enumerate(data["epochdata"]):
        assert epoch["epochId"] == t + 1
        # row-major: confmat[i * K + j] = instances of true class i predicted as j
        np.testing.assert_array_equal(series.counts[t].ravel(), epoch["confmat"])
    np.testing.assert_array_equal(series.counts[0], [[20, 0, 0], [2, 18, 0], [0, 12, 8]])
    assert series.counts.sum(axis=(1, 2)).tolist() == [60] * 8  # the test fold's 60 instances
    train = read_series(tmp_path / "logs", "sgd_lr0.1", "iris_train")
    assert train.counts.sum(axis=(1, 2)).tolist() == [90] * 8
    meta = series.info.metadata
    assert meta["trainfoldId"] == "iris_train"
    assert meta["hyperparam"] == {}
    assert meta["dataset"] == "iris"
    assert meta["folds"]["iris_test"]["numinstances"] == 60


def test_original_hyperparameters_kept_as_metadata(sample_copy: Path, tmp_path: Path) -> None:
    run_file = sample_copy / "runs" / "sgd_lr0.1.json"
    run = json.loads(run_file.read_text())
    run["hyperparam"] = {"lr": 0.1, "optimizer": "sgd", "batch_size": 16}
    run["note"] = "baseline"
    run_file.write_text(json.dumps(run))
    import_original_confusionflow(sample_copy, tmp_path / "logs")
    meta = read_series(tmp_path / "logs", "sgd_lr0.1", "iris_train").info.metadata
    assert meta["hyperparam"] == {"lr": 0.1, "optimizer": "sgd", "batch_size": 16}
    assert meta["note"] == "baseline"


def test_original_wrong_confmat_length_names_file_and_epoch(sample_copy: Path, tmp_path: Path) -> None:
    data_file = sample_copy / "foldlogdata" / "sgd_lr0.1_iris_test_data.json"
    data = json.loads(data_file.read_text())
    data["epochdata"][2]["confmat"] = data["epochdata"][2]["confmat"][:8]
    data_file.write_text(json.dumps(data))
    with pytest.raises(LogFormatError) as e:
        import_original_confusionflow(sample_copy, tmp_path / "logs")
    assert e.value.path == str(data_file)
    assert e.value.where == "epoch 3"
    assert "confmat has 8 values; expected 3x3 = 9" in e.value.problem
    assert not (tmp_path / "logs").exists()  # nothing written, not even the valid runs


def test_original_negative_and_duplicate_epochs_refused(sample_copy: Path, tmp_path: Path) -> None:
    data_file = sample_copy / "foldlogdata" / "sgd_lr0.001_iris_train_data.json"
    data = json.loads(data_file.read_text())
    data["epochdata"][0]["confmat"][1] = -2
    data_file.write_text(json.dumps(data))
    with pytest.raises(
        LogFormatError, match=r"\(epoch 1\): confmat must hold non-negative whole numbers, found -2"
    ):
        parse_original_confusionflow(sample_copy)
    data["epochdata"][0]["confmat"][1] = 0
    data["epochdata"][1]["epochId"] = 1
    data_file.write_text(json.dumps(data))
    with pytest.raises(LogFormatError, match="epochId 1 appears more than once"):
        parse_original_confusionflow(sample_copy)


def test_original_unknown_train_fold(sample_copy: Path) -> None:
    run_file = sample_copy / "runs" / "sgd_lr0.1.json"
    run = json.loads(run_file.read_text())
    run["trainfoldId"] = "mnist_train"
    run_file.write_text(json.dumps(run))
    with pytest.raises(
        LogFormatError, match=r"sgd_lr0.1.json: run 'sgd_lr0.1': its trainfoldId 'mnist_train'"
    ):
        parse_original_confusionflow(sample_copy)


def test_original_index_files_only(sample_copy: Path, tmp_path: Path) -> None:
    for folder in ("runs", "datasets"):
        for p in (sample_copy / folder).glob("*.json"):
            if p.name != "index.json":
                p.unlink()
    planned = parse_original_confusionflow(sample_copy)
    assert sorted(f"{p.run}/{p.fold}" for p in planned) == [
        "sgd_lr0.001/iris_test",
        "sgd_lr0.001/iris_train",
        "sgd_lr0.1/iris_test",
        "sgd_lr0.1/iris_train",
    ]


def test_original_missing_data_and_not_a_log_folder(sample_copy: Path, tmp_path: Path) -> None:
    with pytest.raises(LogFormatError, match="no runs/ folder"):
        parse_original_confusionflow(tmp_path)
    (sample_copy / "foldlogdata" / "sgd_lr0.1_iris_test_data.json").unlink()
    with pytest.raises(LogFormatError, match=r"sgd_lr0.1_iris_test_data.json: missing"):
        parse_original_confusionflow(sample_copy)


def test_original_hostile_run_id(sample_copy: Path) -> None:
    run_file = sample_copy / "runs" / "sgd_lr0.1.json"
    run = json.loads(run_file.read_text())
    run["runId"] = "../../etc"
    run_file.write_text(json.dumps(run))
    with pytest.raises(LogFormatError, match="run name '../../etc' contains a path separator"):
        parse_original_confusionflow(sample_copy)


# ----------------------------------------------------------------------------- class lists
def test_single_label_needs_a_class_list(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "p.csv", "step,y_true,y_pred\n0,a,a\n")
    with pytest.raises(LogFormatError, match=r"only one class label found \('a'\); give the full class list"):
        parse_predictions_table(src, run="r", fold="f")
    assert parse_predictions_table(src, run="r", fold="f", classes=["a", "b"]).counts[0][0].tolist() == [
        [1, 0],
        [0, 0],
    ]


def test_class_list_sources(tmp_path: Path) -> None:
    assert load_class_list("cat, dog ,bird") == ("cat", "dog", "bird")
    txt = write_csv(tmp_path / "classes.txt", "airplane\n\nautomobile\nbird\n")
    assert load_class_list(str(txt)) == ("airplane", "automobile", "bird")
    js = write_csv(tmp_path / "classes.json", '["x", "y"]')
    assert load_class_list(js) == ("x", "y")
    with pytest.raises(LogFormatError, match="appears more than once"):
        load_class_list("a,b,a")
    with pytest.raises(LogFormatError, match="at least 2 classes"):
        load_class_list("only")


# ----------------------------------------------------------------------------- command line
def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "confusionflow.data_access.importers", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_predictions_prints_summary(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "p.csv", "epoch,y_true,y_pred\n1,a,b\n2,b,b\n")
    done = run_cli(
        "predictions", str(src), "--logdir", str(tmp_path / "logs"), "--run", "r", "--fold", "test"
    )
    assert done.returncode == 0, done.stderr
    assert "classes (2): a, b" in done.stdout
    assert "r/test: 2 steps (1..2), 2 predictions" in done.stdout
    assert read_series(tmp_path / "logs", "r", "test").counts.tolist() == [[[0, 1], [0, 0]], [[0, 0], [0, 1]]]


def test_cli_error_is_one_line_without_traceback(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "p.csv", "epoch,y_true,y_pred\n1,a,b\n")
    done = run_cli(
        "predictions",
        str(src),
        "--logdir",
        str(tmp_path / "logs"),
        "--classes",
        "a,c",
        "--run",
        "r",
        "--fold",
        "f",
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith(f"import failed: {src} (column 'y_pred', line 2): unknown class 'b'")


def test_cli_counts_and_confusionflow(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "c.csv", COUNTS)
    done = run_cli("counts", str(src), "--logdir", str(tmp_path / "logs"), "--classes", "b,a")
    assert done.returncode == 0, done.stderr
    np.testing.assert_array_equal(read_series(tmp_path / "logs", "m", "test").counts[0], [[4, 0], [2, 5]])
    if SAMPLE.is_dir():
        done = run_cli("confusionflow", str(SAMPLE), "--logdir", str(tmp_path / "orig"))
        assert done.returncode == 0, done.stderr
        assert "sgd_lr0.1/iris_test: 8 steps (1..8), 480 predictions" in done.stdout


def test_whole_number_float_instance_ids_become_ints(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "p.csv", "step,y_true,y_pred,instance_id\n0,a,b,1.0\n0,b,b,2.0\n")
    import_predictions_table(src, tmp_path / "logs", run="r", fold="f")
    inst = read_instances(tmp_path / "logs", "r", "f", 0)
    assert inst is not None and inst["instance_id"].tolist() == [1, 2]
    bad = write_csv(tmp_path / "bad.csv", "step,y_true,y_pred,instance_id\n0,a,b,1.0\n0,b,b,2.5\n")
    with pytest.raises(
        LogFormatError, match=r"column 'instance_id', line 3\): instance id 2.5 is not a whole number"
    ):
        import_predictions_table(bad, tmp_path / "logs2", run="r", fold="f")
    assert not (tmp_path / "logs2").exists()


def test_ragged_csv_line_named(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "p.csv", "step,y_true,y_pred\n0,a,b\n1,a,b\n2,a,b,extra\n")
    with pytest.raises(LogFormatError) as e:
        parse_predictions_table(src, run="r", fold="f")
    assert e.value.where == "line 4"
    assert "wrong number of fields" in e.value.problem


def test_numbers_stored_as_text_in_parquet(tmp_path: Path) -> None:
    src = tmp_path / "p.parquet"
    pd.DataFrame({"step": ["1", "2"], "y_true": [0, 1], "y_pred": [1, 1]}).to_parquet(src)
    parsed = parse_predictions_table(src, run="r", fold="f")
    np.testing.assert_array_equal(parsed.grouping.steps[0], [1.0, 2.0])
    bad = tmp_path / "bad.parquet"
    pd.DataFrame({"step": ["1", "two"], "y_true": [0, 1], "y_pred": [1, 1]}).to_parquet(bad)
    with pytest.raises(LogFormatError, match=r"\(column 'step', row 1\): step must be a number, found 'two'"):
        parse_predictions_table(bad, run="r", fold="f")


def test_class_list_file_not_found_is_not_read_as_one_class(tmp_path: Path) -> None:
    with pytest.raises(LogFormatError, match="classes.txt: class list file not found"):
        load_class_list(str(tmp_path / "classes.txt"))


def test_fold_kind_clash_refused(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "preds.csv", SMALL)
    logdir = tmp_path / "logs"
    import_predictions_table(src, logdir, store_instances=False)
    more = write_csv(tmp_path / "more.csv", "run,fold,step,y_true,y_pred\nr1,test,3,cat,cat\n")
    before = tree_hashes(logdir)
    with pytest.raises(LogFormatError, match="fold 'test' of run 'r1' already holds counts only"):
        import_predictions_table(more, logdir, classes=["bird", "cat", "dog"])
    assert tree_hashes(logdir) == before
    # the same rows as counts only are appended
    import_predictions_table(more, logdir, classes=["bird", "cat", "dog"], store_instances=False)
    np.testing.assert_array_equal(read_series(logdir, "r1", "test").steps, [1, 2, 3])


def test_import_appends_after_an_empty_or_interrupted_counts_file(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "c.csv", COUNTS)
    logdir = tmp_path / "logs"
    import_counts_table(src, logdir, classes=["a", "b"])
    # a writer killed while writing its first line of a new fold leaves an incomplete line
    (logdir / "m" / "new.counts.jsonl").write_bytes(b'{"step": 1, "coun')
    more = write_csv(tmp_path / "more.csv", "run,fold,step,y_true,y_pred,count\nm,new,1,a,b,2\n")
    with pytest.warns(UserWarning, match="incomplete last line"):
        import_counts_table(more, logdir, classes=["a", "b"])
    np.testing.assert_array_equal(read_series(logdir, "m", "new").counts, [[[0, 2], [0, 0]]])
