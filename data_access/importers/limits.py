"""What one import may cost the server, checked before the work it bounds starts.

- ``MAX_ROWS``: rows of a table, from the Parquet footer or a streamed line count of a CSV
  (before the table is parsed; ~100 bytes of memory per row while importing).
- ``MAX_CLASSES``: classes of an imported run (a matrix of C x C cells is drawn per step).
- ``MAX_SERIES_CELLS``: steps x C x C of one series (its log and its in-memory tensor: 8 bytes
  per cell, so 20 M cells = 160 MB), ``MAX_IMPORT_CELLS`` the same summed over every series.
- ``MAX_RUNS``: runs one import writes (new or added to). Each is a folder, a ``run.json`` and a
  file per fold, and a line in every page's series picker; without this a 4 MB table of one row
  per run would make 100,000 folders. Callers may pass their own ``max_runs`` (the page takes
  ``Settings.max_import_runs``).

A 4,096-class table of 14 steps (235 M cells) is refused at once, however small its file.
"""

from __future__ import annotations

MAX_ROWS = 20_000_000
MAX_CLASSES = 1_000
MAX_SERIES_CELLS = 20_000_000
MAX_IMPORT_CELLS = 50_000_000
MAX_RUNS = 200


def runs_problem(n_runs: int, max_runs: int = MAX_RUNS) -> str | None:
    """Why an import of ``n_runs`` runs is refused, or None."""
    if n_runs <= max_runs:
        return None
    return (
        f"the import holds {n_runs:,} runs, more than the import limit of {max_runs:,} runs per import; "
        "split it into several imports"
    )


def cells_problem(series: str, n_steps: int, n_classes: int, total_so_far: int) -> str | None:
    """Why a series of ``n_steps`` C x C matrices is too big to import, or None."""
    cells = n_steps * n_classes * n_classes
    if cells > MAX_SERIES_CELLS:
        return (
            f"series {series}: {n_steps} steps x {n_classes}x{n_classes} classes = {cells:,} cells, "
            f"more than the import limit of {MAX_SERIES_CELLS:,} cells per series (fewer steps or classes)"
        )
    if total_so_far + cells > MAX_IMPORT_CELLS:
        return (
            f"the import holds more than {MAX_IMPORT_CELLS:,} matrix cells (steps x classes x classes "
            "summed over its series); split it into several imports"
        )
    return None
