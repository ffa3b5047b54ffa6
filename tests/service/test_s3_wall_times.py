"""Wall-clock times of logs on object storage: the same as from the local folder.

A counts log's times come from its bytes, a step object's from its last bytes (its footer) only.
The moto S3 server on 127.0.0.1 and its credentials are the fixtures of ``test_s3_logs``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from confusionflow.data_access.store import LogStore
from tests.service.test_s3_logs import BUCKET, Moto, moto_server, s3_env, upload  # noqa: F401

pytest.importorskip("s3fs")
pytest.importorskip("moto")

pytestmark = pytest.mark.timeout(120)
T0 = 1_796_047_331.0  # 2026-11-30 14:02:11 UTC


def test_wall_times_from_the_bucket_equal_the_folders(
    s3_env: Moto,  # noqa: F811
    tmp_path: Path,
) -> None:
    from confusionflow.data_access.writer import LogWriter

    local = tmp_path / "logs"
    with LogWriter(local, "r", ["a", "b", "c"]) as w:
        for step in (1, 2, 3):
            w.add_counts(step, "val", np.eye(3, dtype=int) * step, wall_time=T0 + 60 * step)
            w.add(step, "test", [0, 1, 2], [0, 1, 1], wall_time=T0 + 61 * step)
    upload(local, "timed")
    here, there = LogStore(local), LogStore(f"s3://{BUCKET}/timed")
    for key, start in (("r/val", 60), ("r/test", 61)):
        want = {float(s): T0 + start * s for s in (1, 2, 3)}
        assert here.wall_times(key) == want
        assert there.wall_times(key) == want
