#!/usr/bin/env bash
# The one command that installs what the tests need and runs the whole suite:
#   bash scripts/test.sh [extra pytest arguments]
# Installs Debian's chromium, redis-server, nodejs and dataset-fashion-mnist if missing, makes .venv (Python 3.11), installs
# requirements-test.txt (and torch 2.13.0 when it is on this machine's local wheel store), then
# runs the checks — `ruff check`, `ruff format --check`, `mypy` (configured in pyproject.toml) —
# and every test: unit, browser and service. Every step runs even when an earlier one failed;
# exits non-zero if any failed, including "no tests ran" (pytest's exit 5).
# `make lint` runs the same three checks alone.
set -uo pipefail

cd "$(dirname "$0")/.."
PY="${PYTHON:-python3.11}"
VENV=".venv"

step() { printf '\n==> %s\n' "$*"; }
die() { printf 'scripts/test.sh: %s\n' "$*" >&2; exit 1; }

need_apt=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need_apt+=(chromium)
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
# Unit tests run the page's clientside functions (assets/confusionflow.js) in Node (tests/clientside.py).
command -v node >/dev/null 2>&1 || need_apt+=(nodejs)
# The Fashion-MNIST demo generators are tested at a tiny size on the real data set.
[ -d /usr/share/datasets/fashion-mnist ] || need_apt+=(dataset-fashion-mnist)
if [ "${#need_apt[@]}" -gt 0 ]; then
    step "installing ${need_apt[*]} (Debian packages)"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -q || die "apt-get update failed"
    $SUDO apt-get install -y -q --no-install-recommends "${need_apt[@]}" || die "apt-get install ${need_apt[*]} failed"
fi
# Debian's package starts a redis-server on :6379 as a system service; the tests start their own on
# free ports and never use that one.

if [ ! -x "$VENV/bin/python" ]; then
    step "creating $VENV with $PY"
    command -v "$PY" >/dev/null 2>&1 || PY=python3
    "$PY" -m venv "$VENV" || die "could not create $VENV with $PY"
fi
step "installing requirements-test.txt"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -r requirements-test.txt \
    || die "pip install -r requirements-test.txt failed"
# PyTorch is optional (its integration tests skip without it). Only install it when pip can take
# the CPU wheel from this machine's local store; never pull a multi-GB build from the network.
if ! "$VENV/bin/python" -c "import torch" >/dev/null 2>&1; then
    if ls /opt/wheels/torch-2.13.0*.whl >/dev/null 2>&1; then
        step "installing torch==2.13.0 from the local wheel store"
        "$VENV/bin/python" -m pip install -q --disable-pip-version-check \
            --find-links /opt/wheels torch==2.13.0 \
            || echo "torch not installed: the PyTorch tests will be skipped"
    else
        echo "torch 2.13.0 wheel not on this machine: the PyTorch tests will be skipped"
    fi
fi

failed=()

step "ruff check"
"$VENV/bin/ruff" check . || failed+=("ruff check found problems")

step "ruff format --check"
"$VENV/bin/ruff" format --check . || failed+=("ruff format --check: files are not formatted (run: make format)")

step "mypy"
"$VENV/bin/python" -m mypy || failed+=("mypy found type errors")

step "pytest (unit, browser and service tests)"
"$VENV/bin/python" -m pytest "$@"
pytest_status=$?
if [ "$pytest_status" -eq 5 ]; then
    failed+=("pytest collected no tests")
elif [ "$pytest_status" -ne 0 ]; then
    failed+=("pytest exited with $pytest_status")
fi

if [ "${#failed[@]}" -gt 0 ]; then
    for f in "${failed[@]}"; do echo "scripts/test.sh: FAILED: $f (above)" >&2; done
    # pytest's own code when it failed (1 tests failed, 2 interrupted, ...); 1 for everything else
    if [ "$pytest_status" -ne 0 ] && [ "$pytest_status" -ne 5 ]; then exit "$pytest_status"; fi
    exit 1
fi
echo "scripts/test.sh: all checks and tests passed"
