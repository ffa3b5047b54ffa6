"""Importer inputs built to cost the server: refused before the work, with a clear message, never a traceback."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from confusionflow.data_access.errors import LogFormatError
from confusionflow.data_access.importers import import_counts_table, import_predictions_table, tables
from confusionflow.data_access.importers.__main__ import main


def test_a_76_kb_table_of_4096_classes_by_14_steps_is_refused_before_counting(tmp_path: Path) -> None:
    table = tmp_path / "wide.csv"
    lines = ["step,y_true,y_pred,count"]
    lines += [f"{s},c{i},c{i},1" for s in range(14) for i in range(0, 4096, 14)]
    lines += [f"0,c{i},c{i},1" for i in range(4096)]
    table.write_text("\n".join(lines) + "\n")
    assert table.stat().st_size < 200_000
    with pytest.raises(LogFormatError, match="4,096 classes; an import takes at most 1,000"):
        import_counts_table(table, tmp_path / "logs", run="r", fold="f")
    assert not (tmp_path / "logs").exists()


def test_cells_times_steps_per_series_are_bounded(tmp_path: Path) -> None:
    table = tmp_path / "long.csv"
    classes = [f"c{i}" for i in range(900)]
    table.write_text("step,y_true,y_pred,count\n" + "".join(f"{s},c0,c0,1\n" for s in range(30)))
    with pytest.raises(LogFormatError, match=r"30 steps x 900x900 classes = 24,300,000 cells"):
        import_counts_table(table, tmp_path / "logs", run="r", fold="f", classes=classes)


def test_parquet_row_count_is_read_from_the_footer_before_any_data(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "many.parquet"
    n = 5000
    pq.write_table(pa.table({"step": np.zeros(n, np.int64), "y_true": ["a"] * n, "y_pred": ["b"] * n}), path)
    monkeypatch.setattr(tables, "MAX_ROWS", 1000)

    def no_reading(*args, **kwargs):
        raise AssertionError("the table was read although its footer says it is too long")

    monkeypatch.setattr(tables.pq, "read_table", no_reading)
    with pytest.raises(LogFormatError, match="has 5,000 rows; an import takes at most 1,000"):
        import_predictions_table(path, tmp_path / "logs", run="r", fold="f")


def test_csv_rows_are_counted_in_a_stream_before_parsing(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "many.csv.gz"
    with gzip.open(path, "wt") as f:
        f.write("step,y_true,y_pred\n" + "1,a,b\n" * 5000)
    monkeypatch.setattr(tables, "MAX_ROWS", 1000)
    monkeypatch.setattr(tables.pcsv, "read_csv", lambda *a, **k: pytest.fail("parsed a too long CSV"))
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
def test_garbage_input_gets_a_clear_error_not_a_traceback(tmp_path: Path, name: str, capsys) -> None:
    path = tmp_path / name
    path.write_bytes(GARBAGE[name])
    logdir = tmp_path / "logs"
    assert main(["predictions", str(path), "--logdir", str(logdir), "--run", "r", "--fold", "f"]) == 2
    out = capsys.readouterr()
    assert out.err.startswith("import failed: ") and name in out.err
    assert "Traceback" not in out.err and len(out.err) < 2000
    assert not logdir.exists() or not [p for p in logdir.iterdir() if not p.name.startswith(".")]
