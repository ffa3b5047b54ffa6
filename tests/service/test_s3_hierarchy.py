"""A hierarchy file beside ``run.json`` is found on object storage as in a local folder.

The local reader looks for ``hierarchy.json`` / ``hierarchy.csv`` beside each run's ``run.json``;
the object-storage store must find the same objects (not only ``metadata["hierarchy"]``), give the
same hierarchy, and name a file that does not fit by its URL, leaving the objects untouched. The
moto S3 server on 127.0.0.1 and its credentials are the fixtures of ``test_s3_logs``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.gen_many_classes import generate
from confusionflow.data_access.store import LogStore
from tests.service.test_s3_logs import BUCKET, Moto, _fs, moto_server, s3_env, upload  # noqa: F401

pytest.importorskip("s3fs")
pytest.importorskip("moto")

pytestmark = pytest.mark.timeout(180)


def test_hierarchy_files_beside_run_json_are_read_from_the_bucket(
    s3_env: Moto,  # noqa: F811
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    local = tmp_path / "logs"
    generate(local, n_classes=60, n_steps=2, seed=0)  # writes hierarchy.json beside run.json
    bad = local / "synthetic-60 pruned"
    (bad / "hierarchy.json").unlink()
    (bad / "hierarchy.csv").write_text("class,group\nc0000,g/a\nnot a class,g/b\n")
    prefix = f"hier/{request.node.name}"
    upload(local, prefix)
    url = f"s3://{BUCKET}/{prefix}"
    before = _fs().cat_file(f"{BUCKET}/{prefix}/synthetic-60 pruned/hierarchy.csv")

    here, there = LogStore(local), LogStore(url)
    dense = next(i for i in there.list_series() if i.run == "synthetic-60 dense")
    got, want = there.hierarchy(dense), here.hierarchy(dense)
    assert got is not None and want is not None
    assert got.source == f"{url}/synthetic-60 dense/hierarchy.json"
    assert got.paths == want.paths and got.depth == 2 and got.groups(2) == want.groups(2)
    assert got.groups(1) == ("group 0",) and len(got.groups(2)) == 3

    pruned = next(i for i in there.list_series() if i.run == "synthetic-60 pruned")
    assert there.hierarchy(pruned) is None  # the file does not fit: no hierarchy, a problem
    problems = [p for p in there.problems() if p.kind == "hierarchy"]
    assert [p.source for p in problems] == [f"{url}/synthetic-60 pruned/hierarchy.csv"]
    assert (
        "not a class" in problems[0].message
        and f"{url}/synthetic-60 pruned/hierarchy.csv" in problems[0].message
    )
    local_problems = [p.message for p in here.problems() if p.kind == "hierarchy"]
    assert [m.replace(str(local), url) for m in local_problems] == [p.message for p in problems]
    assert _fs().cat_file(f"{BUCKET}/{prefix}/synthetic-60 pruned/hierarchy.csv") == before
