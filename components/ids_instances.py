"""Component ids of the instance panel (L3 drill-down), next to ``components.ids``."""

from __future__ import annotations

INSTANCES_PANEL = "instances-panel"
INSTANCES_SERIES = "instances-series"  # dropdown: which chosen series to list instances of
INSTANCES_BODY = "instances-body"  # what the panel shows for the clicked cell and step
INSTANCES_TITLE = "instances-title"
INSTANCES_COUNT = "instances-count"
INSTANCES_IDS = "instances-ids"
INSTANCES_SHOWING = "instances-showing"
INSTANCES_ENTERED = "instances-entered"
INSTANCES_LEFT = "instances-left"
INSTANCES_CHANGES = "instances-changes"
INSTANCES_MESSAGE = "instances-message"
INSTANCES_DOWNLOAD_BUTTON = "instances-download-button"
INSTANCES_DOWNLOAD = "instances-download"
