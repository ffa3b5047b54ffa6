"""Headless Debian Chromium for the browser tests and benchmarks: where it is and how it is started.

The flags keep Chromium off the network (no background, component-update or sync traffic) so a
benchmark touches only 127.0.0.1; Playwright's ``launch`` gives each run a fresh, empty profile.
The test fixtures in ``tests/conftest.py`` use these too.
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
