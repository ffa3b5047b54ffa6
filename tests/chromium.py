"""Headless Debian Chromium for the browser tests and the benchmarks: where it is and how it starts.

The flags keep Chromium off the network (no background, component-update or sync traffic) so a
test or benchmark touches only 127.0.0.1; Playwright's ``launch`` gives each run a fresh, empty
profile. The ``browser`` fixture in ``tests/conftest.py`` and the browser benchmarks in
``benchmarks/`` import these two names: tests own the launcher, benchmarks depend on tests.
"""

from __future__ import annotations

import os

CHROMIUM = os.environ.get("CONFUSIONFLOW_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
