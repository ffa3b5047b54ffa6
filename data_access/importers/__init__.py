"""Importers: bring existing results into a log folder. Each reads its source without modifying it.

- :func:`import_predictions_table`: per-instance predictions (CSV or Parquet).
- :func:`import_counts_table`: ready-made confusion counts (CSV or Parquet).
- :func:`import_original_confusionflow`: a log folder of the original ConfusionFlow.

Each returns an :class:`ImportSummary`; ``python -m confusionflow.data_access.importers`` is the command line.
"""

from confusionflow.data_access.importers.common import ImportSummary, SeriesSummary, load_class_list
from confusionflow.data_access.importers.counts_table import import_counts_table, parse_counts_table
from confusionflow.data_access.importers.original_confusionflow import (
    import_original_confusionflow,
    parse_original_confusionflow,
)
from confusionflow.data_access.importers.predictions_table import (
    import_predictions_table,
    parse_predictions_table,
)

__all__ = [
    "ImportSummary",
    "SeriesSummary",
    "import_counts_table",
    "import_original_confusionflow",
    "import_predictions_table",
    "load_class_list",
    "parse_counts_table",
    "parse_original_confusionflow",
    "parse_predictions_table",
]
