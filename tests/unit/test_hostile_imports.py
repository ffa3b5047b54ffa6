"""Importer inputs built to cost the server: refused before the work, with a clear message, never a traceback.

Part of the hostile corpus with ``test_hostile_files``: every case checks, through
``tests.unit.hostile_corpus.hostile_case``, that the SHA-256 of every source file (the table, and
the log folder's files where it has any) is unchanged, and that the app still answers the page
and the live poll afterwards.
"""

from __future__ import annotations

import gzip
import os
import threading
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from confusionflow.data_access.errors import LogFormatError
from confusionflow.data_access.importers import import_counts_table, import_predictions_table, tables
from confusionflow.data_access.importers.__main__ import main
from tests.unit.hostile_corpus import hostile_case


@pytest.fixture(scope="module")
def app_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache folder for the apps the corpus builds (outside every log folder)."""
    return tmp_path_factory.mktemp("app-cache")


def test_a_76_kb_table_of_4096_classes_by_14_steps_is_refused_before_counting(
    tmp_path: Path, app_cache: Path
) -> None:
    table = tmp_path / "wide.csv"
    lines = ["step,y_true,y_pred,count"]
    lines += [f"{s},c{i},c{i},1" for s in range(14) for i in range(0, 4096, 14)]
    lines += [f"0,c{i},c{i},1" for i in range(4096)]
    table.write_text("\n".join(lines) + "\n")
    assert table.stat().st_size < 200_000
    with hostile_case([table], tmp_path / "logs", app_cache):
        with pytest.raises(LogFormatError, match="4,096 classes; an import takes at most 1,000"):
            import_counts_table(table, tmp_path / "logs", run="r", fold="f")
        assert not (tmp_path / "logs").exists()


def test_cells_times_steps_per_series_are_bounded(tmp_path: Path, app_cache: Path) -> None:
    table = tmp_path / "long.csv"
    classes = [f"c{i}" for i in range(900)]
    table.write_text("step,y_true,y_pred,count\n" + "".join(f"{s},c0,c0,1\n" for s in range(30)))
    with (
        hostile_case([table], tmp_path / "logs", app_cache),
        pytest.raises(LogFormatError, match=r"30 steps x 900x900 classes = 24,300,000 cells"),
    ):
        import_counts_table(table, tmp_path / "logs", run="r", fold="f", classes=classes)


def test_parquet_row_count_is_read_from_the_footer_before_any_data(
    tmp_path: Path, monkeypatch, app_cache: Path
) -> None:
    path = tmp_path / "many.parquet"
    n = 5000
    pq.write_table(pa.table({"step": np.zeros(n, np.int64), "y_true": ["a"] * n, "y_pred": ["b"] * n}), path)
    monkeypatch.setattr(tables, "MAX_ROWS", 1000)

    def no_reading(*args, **kwargs):
        raise AssertionError("the table was read although its footer says it is too long")

    with hostile_case([path], tmp_path / "logs", app_cache), monkeypatch.context() as patched:
        patched.setattr(tables.pq, "read_table", no_reading)
        with pytest.raises(LogFormatError, match="has 5,000 rows; an import takes at most 1,000"):
            import_predictions_table(path, tmp_path / "logs", run="r", fold="f")


def test_csv_rows_are_counted_in_a_stream_before_parsing(
    tmp_path: Path, monkeypatch, app_cache: Path
) -> None:
    path = tmp_path / "many.csv.gz"
    with gzip.open(path, "wt") as f:
        f.write("step,y_true,y_pred\n" + "1,a,b\n" * 5000)
    monkeypatch.setattr(tables, "MAX_ROWS", 1000)
    with hostile_case([path], tmp_path / "logs", app_cache), monkeypatch.context() as patched:
        patched.setattr(tables.pcsv, "read_csv", lambda *a, **k: pytest.fail("parsed a too long CSV"))
        with pytest.raises(LogFormatError, match="more than 1,000 rows"):
            import_predictions_table(path, tmp_path / "logs", run="r", fold="f")


GARBAGE = {
    "random.csv": bytes(range(256)) * 40,
    "random.parquet": b"PAR1" + bytes(range(256)) * 4 + b"PAR1",
    "not-gzip.csv.gz": b"step,y_true,y_pred\n1,a,b\n",
    "truncated.csv.gz": gzip.compress(
        b"step,y_true,y_pred\n" + b"".join(b"%d,a%d,b\n" % (i, i * 7919 % 997) for i in range(5000))
    )[:-40],
    "ragged.csv": b"step,y_true,y_pred\n1,a\n2,a,b,c,d\n",
    "nul.csv": b"step,y_true,y_pred\n\0\0\0\0\n",
    "header-only.tsv": b"step\ty_true\ty_pred\n",
    "quote.csv": b'step,y_true,y_pred\n1,"a,b\n',
}


@pytest.mark.parametrize("name", sorted(GARBAGE))
def test_garbage_input_gets_a_clear_error_not_a_traceback(
    tmp_path: Path, name: str, capsys, app_cache: Path
) -> None:
    path = tmp_path / name
    path.write_bytes(GARBAGE[name])
    logdir = tmp_path / "logs"
    with hostile_case([path], logdir, app_cache):
        assert main(["predictions", str(path), "--logdir", str(logdir), "--run", "r", "--fold", "f"]) == 2
        out = capsys.readouterr()
        assert out.err.startswith("import failed: ") and name in out.err
        assert "Traceback" not in out.err and len(out.err) < 2000
        assert not logdir.exists() or not [p for p in logdir.iterdir() if not p.name.startswith(".")]


def test_a_gzip_whose_first_line_never_ends_is_refused_from_its_first_64_kib(
    tmp_path: Path, capsys, app_cache: Path
) -> None:
    """16 MiB of one 'line' in a 16 KB file: the header is read at most 64 KiB far."""
    path = tmp_path / "bomb.csv.gz"
    path.write_bytes(gzip.compress(b"step" + b"a" * (16 * 1024**2), compresslevel=9))
    assert path.stat().st_size < 100_000
    logdir = tmp_path / "logs"
    with hostile_case([path], logdir, app_cache):
        assert main(["predictions", str(path), "--logdir", str(logdir), "--run", "r", "--fold", "f"]) == 2
        err = capsys.readouterr().err
        assert "the first line (the header) is longer than 65,536 bytes" in err and "Traceback" not in err
        assert not logdir.exists()


def test_a_fifo_or_a_device_given_as_the_table_is_refused_without_reading(
    tmp_path: Path, app_cache: Path
) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)  # opening it to read would wait for a writer forever
    zeros = tmp_path / "zeros.csv"
    zeros.symlink_to("/dev/zero")  # endless bytes, no line end
    good = tmp_path / "good.csv"
    good.write_text("step,y_true,y_pred\n1,a,b\n")
    logdir = tmp_path / "logs"
    with hostile_case([good], logdir, app_cache):
        for table in (fifo, zeros):
            errors: list[BaseException] = []

            def attempt(table: Path = table, errors: list[BaseException] = errors) -> None:
                try:
                    import_predictions_table(table, logdir, run="r", fold="f")
                except BaseException as e:  # noqa: BLE001 - handed to the test
                    errors.append(e)

            worker = threading.Thread(target=attempt, daemon=True)
            worker.start()
            worker.join(60)  # a guard against a blocked read, not a speed check
            assert not worker.is_alive(), f"importing {table.name} blocked"
            assert len(errors) == 1 and isinstance(errors[0], LogFormatError), errors
            assert "is not a regular file; refused" in str(errors[0])
        assert not logdir.exists()


def test_an_uploaded_file_name_cannot_place_anything_outside_the_log_folder(
    tmp_path: Path, app_cache: Path
) -> None:
    from confusionflow.app.config import Settings
    from confusionflow.app.importing import ImportRequest, run_import

    logdir = tmp_path / "logs"
    logdir.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("unchanged")
    settings = Settings(logdir=logdir, cache_dir=tmp_path / "cache", allow_upload=True)
    with hostile_case([outside], logdir, app_cache, series=["evil/test"]):
        name = f"{logdir}/../outside/../../evil.csv"
        request = ImportRequest(name, content=b"step,y_true,y_pred,count\n1,a,a,1\n1,b,b,1\n", fold="test")
        out = run_import(request, settings, lambda _p, _t: None)
        assert out.ok and out.series == ("evil/test",), out.message  # the name's last part, inside
        assert sorted(p.name for p in tmp_path.iterdir()) == ["logs", "outside"]
        assert sorted(p.name for p in outside.iterdir()) == ["keep.txt"]


def _one_run_per_row(path: Path, n_runs: int, counts: bool = True) -> Path:
    """A table naming ``n_runs`` runs, one row (one cell or one prediction) each."""
    if counts:
        path.write_text("run,step,y_true,y_pred,count\n" + "".join(f"r{i},1,a,b,1\n" for i in range(n_runs)))
    else:
        path.write_text("run,step,y_true,y_pred\n" + "".join(f"r{i},1,a,b\n" for i in range(n_runs)))
    return path


def test_a_table_of_one_row_per_run_is_refused_before_anything_is_written(
    tmp_path: Path, capsys, app_cache: Path
) -> None:
    """201 runs of one cell each are 804 cells, far inside the cell limits: the run limit stops them."""
    from confusionflow.data_access.importers.limits import MAX_RUNS

    assert MAX_RUNS == 200
    table = _one_run_per_row(tmp_path / "runs.csv", MAX_RUNS + 1)
    logdir = tmp_path / "logs"
    message = "the import holds 201 runs, more than the import limit of 200 runs per import"
    with hostile_case([table], logdir, app_cache):
        with pytest.raises(LogFormatError, match=message):
            import_counts_table(table, logdir, fold="f")
        with pytest.raises(LogFormatError, match=message):
            import_predictions_table(
                _one_run_per_row(tmp_path / "p.csv", 201, counts=False), logdir, fold="f"
            )
        assert not logdir.exists()
        assert main(["counts", str(table), "--logdir", str(logdir), "--fold", "f"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("import failed: ") and message in err and "Traceback" not in err
        assert not logdir.exists()


def test_the_run_limit_is_the_callers_and_the_import_stays_all_or_nothing(tmp_path: Path) -> None:
    table = _one_run_per_row(tmp_path / "runs.csv", 3)
    logdir = tmp_path / "logs"
    with pytest.raises(LogFormatError, match="3 runs, more than the import limit of 2 runs"):
        import_counts_table(table, logdir, fold="f", max_runs=2)
    assert not logdir.exists()
    summary = import_counts_table(table, logdir, fold="f", max_runs=3)
    assert summary.runs == ("r0", "r1", "r2")


def test_every_importer_is_held_to_the_run_limit_where_it_writes(tmp_path: Path) -> None:
    """The original-ConfusionFlow, W&B and MLflow importers plan series without a table: the
    limit is checked again with everything else before the staging folder is made."""
    from confusionflow.data_access.importers.writing import PlannedSeries, write_planned

    planned = [
        PlannedSeries(f"r{i}", "f", ("a", "b"), np.array([1.0]), np.ones((1, 2, 2), dtype=np.int64), {})
        for i in range(3)
    ]
    logdir = tmp_path / "logs"

    def write_step(writer, s: int, t: int, step: int | float) -> None:
        writer.add_counts(step, planned[s].fold, planned[s].counts[t])

    with pytest.raises(LogFormatError, match="3 runs, more than the import limit of 2 runs"):
        write_planned(tmp_path / "src", logdir, planned, write_step, kind="counts", max_runs=2)
    assert not logdir.exists()
