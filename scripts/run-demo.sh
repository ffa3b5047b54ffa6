#!/usr/bin/env bash
# The one command that installs ConfusionFlow and starts it on the bundled demo logs:
#   bash scripts/run-demo.sh [--port 8050] [any other `confusionflow serve` option, e.g. --dev]
# Makes .venv (Python 3.11) if needed, installs requirements.txt, then serves demo_logs/ with
# gunicorn (--dev: Flask's single-process server) and prints the URL to open. Ctrl-C stops it.
set -euo pipefail

cd "$(dirname "$0")/.."
PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null 2>&1 || PY=python3
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || { echo "scripts/run-demo.sh: Python 3.11 or newer is needed ($PY is $("$PY" --version 2>&1))" >&2; exit 1; }

if [ ! -x .venv/bin/python ]; then
    echo "==> creating .venv"
    "$PY" -m venv .venv
fi
echo "==> installing requirements.txt"
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt

if [ ! -d demo_logs ]; then
    echo "scripts/run-demo.sh: demo_logs/ is missing from this checkout" >&2
    exit 1
fi
echo "==> starting ConfusionFlow on demo_logs/"
exec .venv/bin/python -m confusionflow serve --logdir demo_logs "$@"
