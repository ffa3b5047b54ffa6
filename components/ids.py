"""Every component id of the page, in one place.

Layout builders and callbacks import these names instead of repeating strings, so a renamed id
cannot leave a callback wired to nothing. This module imports nothing: panels (the import panel,
the instance panel) take their ids from here.

Ids ``assets/confusionflow.js`` relies on (rename them there too):

* ``EPOCH_PREV``, ``EPOCH_NEXT``, ``EPOCH_CLEAR``: the timeline's keyboard shortcuts click these
  buttons by id (inside the element with class ``cf-timeline``); a press on ``TIMELINE_GRAPH``
  focuses that element, and a double-click there clicks ``FULL_RANGE``;
* the graph ids of ``GRAPHS``: ``exportSvg`` finds the chart of an ``SVG_BUTTON`` by its ``graph``
  key, ``clickPosition`` the graph whose ``clickData`` fired (``MATRIX_GRAPH``,
  ``CLASS_PERF_GRAPH``), and ``moveEpochMarkers`` receives the graph ids as its arguments (the
  four with epoch markers and ``DISTRIBUTION_GRAPH``, whose bars it redraws at the epoch).
"""

from __future__ import annotations

# ---------------------------------------------------------------- page, URL, data freshness
URL = "url"
URL_STATE = "url-state"  # the view state parsed from the URL when the page opened
URL_QUERY = "url-query"  # the query string of the view on screen (written into the address bar)
URL_WRITTEN = "url-written"  # dummy output of the clientside address-bar update
URL_ADDRESS = "url-address"  # the address when it changed from outside the page (Back, Forward, opening)
FIRST_VIEW_QUERY = "first-view-query"  # the query the layout's first view was built from
FIRST_VIEW_RETRY = "first-view-retry"  # the page's query, set only when the layout was built from another
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
CLASS_OPTIONS = "class-options"  # checklist: "other"
LEVEL = "class-level"  # dropdown: classes, or a level of the class hierarchy (its depth)
DRILL = "class-drill"  # dropdown: one group at that level shown as its member classes
CLASS_MESSAGE = "class-message"
SELECTION = "selection"  # effective selection: series, classes, steps (dcc.Store)
MATRIX_GRAPH = "matrix-graph"
MATRIX_META = "matrix-meta"  # what the drawn matrix shows, to decode clicks (dcc.Store)
# the epoch, copied by the browser only while the matrix is drawn as lines (its epoch background
# is data); a heatmap's epoch is only its markers, which the browser moves itself
MATRIX_EPOCH = "matrix-epoch"
# the epoch, copied by the browser only when the class sizes' figure carries no sizes per step
# (too many to send): then the server draws them at each epoch
SIZES_EPOCH = "class-distribution-epoch"
MATRIX_CAPTION = "matrix-caption"
# a server-drawn PNG of the first matrix, shown until the interactive figure is drawn (html.Img)
MATRIX_PREVIEW = "matrix-preview"
MATRIX_CLICK = "matrix-click"  # clickData plus each point's axis position (dcc.Store)

# ---------------------------------------------------------------- B: class performance
CLASS_PERF_GRAPH = "class-performance-graph"
CLASS_PERF_META = "class-performance-meta"
CLASS_PERF_CLICK = "class-performance-click"  # clickData plus axis positions (dcc.Store)
DISTRIBUTION_GRAPH = "class-distribution-graph"
DISTRIBUTION_META = "class-distribution-meta"  # what the drawn class sizes show (dcc.Store)
DETAIL_META = "detail-meta"  # the series and frame the detail chart was drawn from (dcc.Store)
TIMELINE_META = "timeline-meta"  # the series and frame the timeline was drawn from (dcc.Store)

# ---------------------------------------------------------------- C: detail
DETAIL_GRAPH = "detail-graph"
DETAIL_TITLE = "detail-title"
DETAIL_TARGET = "detail-target"  # DetailTarget.to_dict() (dcc.Store)
DETAIL_RESET = "detail-reset"

# ---------------------------------------------------------------- D: timeline
TIMELINE_GRAPH = "timeline-graph"
# the timeline's relayoutData when it changes the x range (dcc.Store, assets/timeline_zoom.js)
TIMELINE_ZOOM = "timeline-zoom"
# the timeline's selectedData when it is a brush or its deselect (dcc.Store, assets/timeline_zoom.js)
TIMELINE_BRUSH = "timeline-brush"
# the range slider's value when it differs from the stored range (dcc.Store, same file): the
# value the range callback sets on the slider is not asked for again
SLIDER_ASKED = "range-slider-asked"
RANGE_SLIDER = "range-slider"
RANGE_STORE = "step-range"  # [lo, hi] logged step numbers, or None for every step (dcc.Store)
RANGE_LABEL = "step-range-label"
FULL_RANGE = "full-range-button"
EPOCH_STORE = "epoch"  # the selected step, or None (dcc.Store)
EPOCH_PREV = "epoch-prev"
EPOCH_NEXT = "epoch-next"
EPOCH_CLEAR = "epoch-clear"
EPOCH_LABEL = "epoch-label"

# ---------------------------------------------------------------- import panel
IMPORT_PANEL = "import-panel"
IMPORT_UPLOAD = "import-upload"
IMPORT_PATH = "import-path"
IMPORT_RUN = "import-run"
IMPORT_FOLD = "import-fold"
IMPORT_KIND = "import-kind"
IMPORT_BUTTON = "import-button"
IMPORT_PROGRESS = "import-progress"
IMPORT_PROGRESS_LABEL = "import-progress-label"
IMPORT_STATUS = "import-status"
IMPORT_RESULT = "import-result"

# ---------------------------------------------------------------- instance panel (L3 drill-down)
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

# ---------------------------------------------------------------- exports
SVG_BUTTON = "svg-export"  # pattern-matching type: {"type": SVG_BUTTON, "graph": graph id}
SVG_DONE = "svg-export-done"  # dummy output of the clientside export

GRAPHS: tuple[str, ...] = (MATRIX_GRAPH, DETAIL_GRAPH, CLASS_PERF_GRAPH, DISTRIBUTION_GRAPH, TIMELINE_GRAPH)

# ---------------------------------------------------------------- many classes: overview + strategies
OVERVIEW_PANEL = "overview-panel"  # shown above OVERVIEW_MIN_CLASSES classes only
OVERVIEW_GRAPH = "overview-graph"
# holds the overview graph on a many-class page; a plain stand-in with the graph's id otherwise
OVERVIEW_GRAPH_SLOT = "overview-graph-slot"
OVERVIEW_KIND = "overview-kind"  # radio: value at the epoch / change over the range / difference
OVERVIEW_OTHER = "overview-other"  # dropdown: the series subtracted for a difference
OVERVIEW_ORDER = "overview-order"  # radio: class order (as logged / by hierarchy group / by confusion)
OVERVIEW_CAPTION = "overview-caption"
# [step range, epoch, normalisation] copied in the browser while the overview is shown (dcc.Store):
# a hidden overview (a small page, or the sub-matrix chosen) sends no request when they move
OVERVIEW_STEPS = "overview-steps"
# [range, epoch], copied by the browser only while the detail target is a tile whose instances
# the panel lists (a cell, an FN or FP tile); otherwise the panel says "click a cell" whatever
# the range and the epoch
INSTANCES_STEPS = "instances-steps"
# the matrix panel's many-class views: one of the overview and the sub-matrix at a time
MATRIX_VIEWS = "matrix-views"  # wraps the switch, the overview and the sub-matrix; its class says which
MATRIX_VIEW = "matrix-view"  # dcc.Store: "overview" or "classes" (browser-side, not in the URL)
VIEW_SWITCH = "matrix-view-switch"  # the two buttons, shown on many-class pages only
VIEW_OVERVIEW = "view-overview"  # button: show the overview
VIEW_CLASSES = "view-classes"  # button: show the selected classes' sub-matrix
VIEW_CLASSES_COUNT = "view-classes-count"  # in that button: " (N)", the classes the sub-matrix shows
# the overview's selectedData when it is a box (dcc.Store): the empty selection a redraw reports
# sends no request
OVERVIEW_BOX = "overview-box"
# the picture overview's hovered position {x, y, bbox} (dcc.Store, filled in the browser) and the
# tooltip the server fills for it
OVERVIEW_HOVER = "overview-hover"
OVERVIEW_TOOLTIP = "overview-tooltip"
STRATEGY = "strategy"  # dropdown: which class-selection strategy
STRATEGY_K = "strategy-k"  # number of classes the strategy picks
STRATEGY_APPLY = "strategy-apply"
STRATEGY_MESSAGE = "strategy-message"
