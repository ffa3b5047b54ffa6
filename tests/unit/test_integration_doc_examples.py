"""The complete examples of docs/integrations.md run as they are printed, and log what they say.

The Lightning, Keras and Hugging Face sections each show a whole training script. Each is taken
from the page, run in its own process in an empty folder (as a user would paste it), and the run,
folds and steps its comments promise are then read back from ``logs/``.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from confusionflow.data_access.reader import read_run, read_series
from tests.conftest import REPO

pytestmark = pytest.mark.slow

DOC = REPO / "docs" / "integrations.md"


def example(section: str) -> str:
    """The one ``python`` code block of the ``## <section>`` part of the page."""
    parts = re.split(r"^## ", DOC.read_text(), flags=re.M)
    (part,) = [p for p in parts if p.startswith(section)]
    (code,) = re.findall(r"```python\n(.*?)```", part, flags=re.S)
    return code


def run_example(section: str, folder: Path) -> Path:
    script = folder / "example.py"
    script.write_text(example(section))
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "KERAS_BACKEND": "torch"}
    done = subprocess.run(
        [sys.executable, str(script)], cwd=folder, env=env, capture_output=True, text=True, timeout=280
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return folder / "logs"


def test_the_lightning_example(tmp_path: Path) -> None:
    pytest.importorskip("lightning.pytorch")
    logs = run_example("PyTorch Lightning", tmp_path)
    run = "mlp lr=1e-2"
    assert read_run(logs, run).metadata == {"lr": 1e-2}
    val = read_series(logs, run, "val")
    np.testing.assert_array_equal(val.steps, np.arange(1, 11))  # "fold val, steps 1..10"
    assert val.counts.sum(axis=(1, 2)).tolist() == [100] * 10
    test = read_series(logs, run, "test")
    np.testing.assert_array_equal(test.steps, [10])  # "fold test, step 10"
    np.testing.assert_array_equal(test.counts[0], val.counts[-1])  # same weights, same loader


def test_the_keras_example(tmp_path: Path) -> None:
    if importlib.util.find_spec("keras") is None:  # importing it here would fix its backend
        pytest.skip(
            "keras is an optional integration (requirements-integrations.txt, which the test command installs): without it there is no Keras example to run"
        )
    logs = run_example("Keras 3", tmp_path)
    for fold, n in (("train", 500), ("test", 100)):
        series = read_series(logs, "dense 16", fold)
        np.testing.assert_array_equal(series.steps, np.arange(1, 11))  # "steps 1..10"
        assert series.counts.sum(axis=(1, 2)).tolist() == [n] * 10


def test_the_hugging_face_example(tmp_path: Path) -> None:
    pytest.importorskip("transformers")
    pytest.importorskip("accelerate")
    logs = run_example("Hugging Face", tmp_path)
    run = "bert-tiny lr=5e-3"
    for fold in ("val", "shifted"):
        series = read_series(logs, run, fold)
        np.testing.assert_array_equal(series.steps, [1.0, 2.0, 3.0, 4.0, 5.0])  # "steps 1.0 .. 5.0"
        assert series.counts.sum(axis=(1, 2)).tolist() == [100] * 5
    test = read_series(logs, run, "test")
    np.testing.assert_array_equal(test.steps, [5.0])  # "fold test, step 5.0"
    assert int(test.counts.sum()) == 100
