"""``--logdir`` with an fsspec URL other than ``s3://``: the in-memory filesystem (``memory://``).

The S3 path is tested against a real S3 server (``tests/service/test_s3_logs.py``); this checks
that nothing in the object-storage store is S3-only: a log folder written by ``LogWriter`` and
copied object by object to ``memory://`` lists, loads, sees a new step once the fingerprint
changes, and an unknown scheme is a clear error.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import numpy as np
import pytest

from confusionflow.data_access.storage import StorageError
from confusionflow.data_access.store import LogStore
from confusionflow.data_access.writer import LogWriter

fsspec = pytest.importorskip("fsspec")

CLASSES = ["cat", "dog"]


def _copy(local: Path, root: str) -> None:
    fs = fsspec.filesystem("memory")
    for path in sorted(local.rglob("*")):
        rel = path.relative_to(local)
        if path.is_file() and not any(part.startswith(".") for part in rel.parts):
            fs.pipe_file(f"{root}/{rel.as_posix()}", path.read_bytes())


def test_a_memory_url_reads_what_the_local_folder_holds(tmp_path: Path) -> None:
    with LogWriter(tmp_path, "r", CLASSES) as w:
        w.add(1, "test", [0, 1, 1, 0], [0, 1, 0, 0], instance_ids=[7, 8, 9, 10])
        w.add_counts(1, "val", np.array([[2, 1], [0, 3]]))
    root = f"/cf-{uuid.uuid4().hex}"
    _copy(tmp_path, root)
    store, local = LogStore(f"memory://{root}", fingerprint_ttl=0), LogStore(tmp_path)
    assert type(store).__name__ == "ObjectLogStore"
    assert [s.key for s in store.list_series()] == [s.key for s in local.list_series()] == ["r/test", "r/val"]
    assert store.problems() == []
    np.testing.assert_array_equal(store.load_series("r/val").counts, [[[2, 1], [0, 3]]])
    np.testing.assert_array_equal(store.load_series("r/test").counts, [[[2, 0], [1, 1]]])
    inst = store.instances("r/test", 1)
    assert inst is not None and inst.equals(local.instances("r/test", 1))

    before = store.fingerprint()
    with LogWriter(tmp_path, "r", CLASSES, mode="resume") as w:
        w.add_counts(2, "val", np.array([[3, 0], [0, 3]]))
    _copy(tmp_path, root)
    store._fingerprint = None  # skip the listing's reuse time rather than sleep through it
    assert store.fingerprint() != before
    np.testing.assert_array_equal(store.load_series("r/val").steps, [1, 2])
    assert store.catalog() is store.catalog()  # one scan per fingerprint


def test_an_unknown_scheme_names_itself() -> None:
    with pytest.raises(
        StorageError, match=r"unknown URL scheme 'nosuch': no fsspec filesystem handles nosuch://"
    ):
        LogStore("nosuch://bucket/logs")
