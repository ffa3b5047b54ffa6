"""The Keras callback's tests again on a second Keras 3 backend, JAX (pinned for CI).

``tests/unit/test_integration_keras.py`` runs on the backend ``KERAS_BACKEND`` names (PyTorch by
default). Keras fixes its backend when it is first imported, so each further backend runs those
tests in a fresh process with ``KERAS_BACKEND=jax`` (skipped where jax is not installed; it is
pinned in ``requirements-integrations.txt``). TensorFlow is the third backend; it is not installed
for the tests (its CPU wheel alone is several hundred MB).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("backend", ["jax"])
def test_the_keras_callback_tests_pass_on_the_backend(backend: str) -> None:
    if importlib.util.find_spec("keras") is None or importlib.util.find_spec(backend) is None:
        pytest.skip(
            f"keras and {backend} are optional (requirements-integrations.txt, which the test command "
            f"installs): without both, the Keras callback cannot be run on the {backend} backend"
        )
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/unit/test_integration_keras.py", "-q", "-p", "no:cacheprovider"],
        cwd=REPO, env={**os.environ, "KERAS_BACKEND": backend, "JAX_PLATFORMS": "cpu"},
        capture_output=True, text=True, timeout=280,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and " skipped" not in done.stdout, done.stdout[-1000:]
