"""Every component id of the page, in one place.

Layout builders and callbacks import these names instead of repeating strings, so a renamed id
cannot leave a callback wired to nothing. Ids of the import panel (``components.import_panel``) and
of the instance panel (``components.ids_instances``) live next to those panels and are re-exported
here.
"""

from __future__ import annotations

from components.ids_instances import (  # noqa: F401 - re-exported
    INSTANCES_BODY,
    INSTANCES_DOWNLOAD,
    INSTANCES_DOWNLOAD_BUTTON,
    INSTANCES_PANEL,
    INSTANCES_SERIES,
)
from components.import_panel import (  # noqa: F401 - re-exported
    IMPORT_BUTTON,
    IMPORT_FOLD,
    IMPORT_KIND,
    IMPORT_PATH,
    IMPORT_PROGRESS,
    IMPORT_PROGRESS_LABEL,
    IMPORT_RESULT,
    IMPORT_RUN,
    IMPORT_STATUS,
    IMPORT_UPLOAD,
)

# ---------------------------------------------------------------- page, URL, data freshness
URL = "url"
URL_STATE = "url-state"  # the view state parsed from the URL when the page opened
URL_QUERY = "url-query"  # the query string of the view on screen (written into the address bar)
URL_WRITTEN = "url-written"  # dummy output of the clientside address-bar update
POLL = "live-poll"  # dcc.Interval of the live update
FINGERPRINT = "log-fingerprint"  # last seen LogStore.fingerprint()
DATA_VERSION = "data-version"  # bumped when the logs change; every data view listens to it
PROBLEMS = "load-problems"  # the "logs that failed to load" alert
LIVE_BADGE = "live-badge"
IMPORT_TOGGLE = "import-toggle"
IMPORT_DRAWER = "import-drawer"
DOWNLOAD_BUTTON = "download-csv-button"
DOWNLOAD = "download-csv"

# ---------------------------------------------------------------- E: series picker
SERIES_DROPDOWN = "series-dropdown"
SERIES_CHIPS = "series-chips"
SERIES_MESSAGE = "series-message"
SERIES_KEYS = "series-keys"  # accepted series keys, in order (dcc.Store)
SLOTS = "series-slots"  # {series key: palette slot} (dcc.Store)
CHIP_REMOVE = "chip-remove"  # pattern-matching type: {"type": CHIP_REMOVE, "key": series key}

# ---------------------------------------------------------------- A: matrix and its toolbar
ENCODING = "matrix-encoding"
ROTATE = "matrix-rotate"
NORMALIZATION = "matrix-normalization"
NORMALIZATION_NOTE = "matrix-normalization-note"
SCALE = "matrix-scale"
GAMMA = "matrix-gamma"
CLASS_DROPDOWN = "class-dropdown"
CLASS_OPTIONS = "class-options"  # checklist: "other", "super"
CLASS_MESSAGE = "class-message"
SELECTION = "selection"  # effective selection: series, classes, steps (dcc.Store)
MATRIX_GRAPH = "matrix-graph"
MATRIX_META = "matrix-meta"  # what the drawn matrix shows, to decode clicks (dcc.Store)
MATRIX_CAPTION = "matrix-caption"
MATRIX_CLICK = "matrix-click"  # clickData plus each point's axis position (dcc.Store)

# ---------------------------------------------------------------- B: class performance
CLASS_PERF_GRAPH = "class-performance-graph"
CLASS_PERF_META = "class-performance-meta"
CLASS_PERF_CLICK = "class-performance-click"  # clickData plus axis positions (dcc.Store)
DISTRIBUTION_GRAPH = "class-distribution-graph"

# ---------------------------------------------------------------- C: detail
DETAIL_GRAPH = "detail-graph"
DETAIL_TITLE = "detail-title"
DETAIL_TARGET = "detail-target"  # DetailTarget.to_dict() (dcc.Store)
DETAIL_RESET = "detail-reset"

# ---------------------------------------------------------------- D: timeline
TIMELINE_GRAPH = "timeline-graph"
RANGE_SLIDER = "range-slider"
RANGE_STORE = "step-range"  # [lo, hi] logged step numbers, or None for every step (dcc.Store)
RANGE_LABEL = "step-range-label"
FULL_RANGE = "full-range-button"
EPOCH_STORE = "epoch"  # the selected step, or None (dcc.Store)
EPOCH_PREV = "epoch-prev"
EPOCH_NEXT = "epoch-next"
EPOCH_CLEAR = "epoch-clear"
EPOCH_LABEL = "epoch-label"

# ---------------------------------------------------------------- exports
SVG_BUTTON = "svg-export"  # pattern-matching type: {"type": SVG_BUTTON, "graph": graph id}
SVG_DONE = "svg-export-done"  # dummy output of the clientside export

GRAPHS: tuple[str, ...] = (MATRIX_GRAPH, DETAIL_GRAPH, CLASS_PERF_GRAPH, DISTRIBUTION_GRAPH, TIMELINE_GRAPH)
