"""Listing and loading one log folder from disk and from an S3-compatible server (moto, loopback).

    .venv/bin/python benchmarks/bench_object_storage.py [--runs 4] [--steps 30]

Writes ``runs`` runs (a per-instance fold of ``steps`` Parquet steps and a counts fold each) with
``LogWriter``, uploads them to a moto server started on 127.0.0.1, and times, for the local folder
and the bucket: the catalogue (cold), loading every series without a cache, and the fingerprint
poll. Dummy credentials, no metadata service: nothing but loopback is contacted.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from confusionflow.data_access.store import LogStore  # noqa: E402
from confusionflow.data_access.writer import LogWriter  # noqa: E402

CLASSES = [f"c{i}" for i in range(10)]


def write(local: Path, runs: int, steps: int) -> None:
    rng = np.random.default_rng(0)
    y = np.arange(2000) % len(CLASSES)
    for r in range(runs):
        with LogWriter(local, f"run{r}", CLASSES) as w:
            for s in range(1, steps + 1):
                w.add(s, "test", y, np.where(rng.random(len(y)) < 0.5 / s, (y + 1) % 10, y))
                w.add_counts(s, "train", rng.integers(0, 100, (10, 10)))


def timed(fn: Any) -> tuple[float, Any]:
    t = time.perf_counter()
    out = fn()
    return (time.perf_counter() - t) * 1000, out


def measure(location: str | Path) -> dict[str, float]:
    store = LogStore(location)
    cat_ms, cat = timed(store.list_series)
    keys = [i.key for i in cat]
    load_ms, result = timed(lambda: store.load(keys))
    assert result.tensor is not None and not result.problems, result.problems
    store._fingerprint = None  # one fresh poll, not a reused one
    fp_ms, _ = timed(store.fingerprint)
    return {"catalogue_ms": cat_ms, "load_all_ms": load_ms, "fingerprint_ms": fp_ms, "series": len(keys)}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=4)
    p.add_argument("--steps", type=int, default=30)
    args = p.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ENDPOINT_URL_S3=f"http://127.0.0.1:{port}",
        AWS_EC2_METADATA_DISABLED="true",
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).close()
                break
            except OSError:
                time.sleep(0.2)
        import s3fs

        with tempfile.TemporaryDirectory() as tmp:
            local = Path(tmp)
            write(local, args.runs, args.steps)
            fs = s3fs.S3FileSystem(skip_instance_cache=True)
            fs.mkdir("bench")
            files = [f for f in local.rglob("*") if f.is_file() and not f.name.startswith(".")]
            for f in files:
                fs.pipe_file(f"bench/logs/{f.relative_to(local).as_posix()}", f.read_bytes())
            print(
                f"{len(files)} files, {sum(f.stat().st_size for f in files) / 1e6:.1f} MB; "
                f"load {os.getloadavg()[0]:.2f}"
            )
            for name, where in (("local", local), ("s3 (moto, loopback)", "s3://bench/logs")):
                print(name, {k: round(v, 1) for k, v in measure(where).items()})
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
