"""Command line: ``python -m confusionflow.data_access.importers {predictions,counts,confusionflow,wandb,mlflow} SRC --logdir DEST``.

Prints what was written; on a problem prints one line naming the file and what is wrong, and exits
with status 2 (nothing is written when the problem is found before writing, which is the rule).
"""

from __future__ import annotations

import argparse
import sys
import zlib
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa

from confusionflow.data_access.errors import LogFormatError
from confusionflow.data_access.importers.common import ImportSummary, load_class_list
from confusionflow.data_access.importers.counts_table import import_counts_table
from confusionflow.data_access.importers.mlflow_run import import_mlflow_run
from confusionflow.data_access.importers.original_confusionflow import import_original_confusionflow
from confusionflow.data_access.importers.predictions_table import import_predictions_table
from confusionflow.data_access.importers.wandb_run import import_wandb_run


def build_parser(prog: str = "python -m confusionflow.data_access.importers") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Import existing results into a ConfusionFlow log folder. The source is only read.",
    )
    sub = parser.add_subparsers(
        dest="kind", required=True, metavar="{predictions,counts,confusionflow,wandb,mlflow}"
    )

    def table_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("src", type=Path, help="CSV (.csv, .tsv, .csv.gz) or Parquet (.parquet) file")
        p.add_argument(
            "--logdir", type=Path, required=True, help="log folder to write into (created if needed)"
        )
        p.add_argument("--run", help="run name for every row when the table has no 'run' column")
        p.add_argument("--fold", help="fold name for every row when the table has no 'fold' column")
        p.add_argument(
            "--classes",
            help="ordered class list: comma-separated names, or a file with one name per line (or a "
            ".json list). Default: the sorted labels found (numerically when all are numbers)",
        )
        p.add_argument(
            "--labels-are-indices",
            action="store_true",
            help="labels are 0-based positions in --classes rather than class names",
        )
        p.add_argument(
            "--step-name",
            default="epoch",
            help='what a step counts, used in every view\'s wording (default "epoch"; e.g. "labels" '
            'for active learning, "iteration")',
        )

    p = sub.add_parser(
        "predictions", help="per-instance predictions: run, fold, step, y_true, y_pred[, instance_id]"
    )
    table_options(p)
    p.add_argument(
        "--counts-only",
        action="store_true",
        help="store only confusion counts (smaller; no instance drill-down)",
    )
    p = sub.add_parser("counts", help="confusion counts: run, fold, step, y_true, y_pred, count")
    table_options(p)
    p = sub.add_parser(
        "confusionflow", help="a log folder of the original ConfusionFlow (runs/, foldlogdata/, ...)"
    )
    p.add_argument("src", type=Path, help="the original log folder")
    p.add_argument("--logdir", type=Path, required=True, help="log folder to write into (created if needed)")
    p = sub.add_parser("wandb", help="confusion matrices (wandb.plot.confusion_matrix) of a W&B run folder")
    p.add_argument(
        "src", type=Path, help="a run folder (wandb/run-... or wandb/offline-run-...) or its .wandb file"
    )
    p.add_argument("--logdir", type=Path, required=True, help="log folder to write into (created if needed)")
    p.add_argument("--run", help="run name (default: the W&B run's display name)")
    p.add_argument("--key", help="only this logged key (default: every confusion-matrix key; each is a fold)")
    p.add_argument("--step-key", help="history key of the step (default: epoch when logged, else _step)")
    p.add_argument("--classes", help="ordered class list (default: the order of the logged class_names)")
    p = sub.add_parser("mlflow", help="predictions or counts tables logged as artifacts of an MLflow run")
    p.add_argument("src", help="the MLflow run id")
    p.add_argument("--logdir", type=Path, required=True, help="log folder to write into (created if needed)")
    p.add_argument(
        "--tracking-uri", help="e.g. file:./mlruns or sqlite:///mlflow.db (default: MLFLOW_TRACKING_URI)"
    )
    p.add_argument("--artifact", help="a table file or folder of the run's artifacts (default: every table)")
    p.add_argument("--run", help="run name (default: the MLflow run name)")
    p.add_argument("--fold", help="fold name for every row when the tables have no 'fold' column")
    p.add_argument("--classes", help="ordered class list: comma-separated names, or a file (as for tables)")
    p.add_argument(
        "--labels-are-indices", action="store_true", help="labels are 0-based positions in --classes"
    )
    p.add_argument("--counts-only", action="store_true", help="store only confusion counts")
    return parser


def run_import(args: argparse.Namespace) -> ImportSummary:
    if args.kind == "confusionflow":
        return import_original_confusionflow(args.src, args.logdir)
    if args.kind == "wandb":
        return import_wandb_run(
            args.src, args.logdir, run=args.run, key=args.key, step_key=args.step_key, classes=args.classes
        )
    if args.kind == "mlflow":
        return import_mlflow_run(
            args.src,
            args.logdir,
            tracking_uri=args.tracking_uri,
            artifact=args.artifact,
            run=args.run,
            fold=args.fold,
            classes=args.classes,
            labels_are_indices=args.labels_are_indices,
            store_instances=not args.counts_only,
        )
    classes = load_class_list(args.classes) if args.classes else None
    options = {
        "run": args.run,
        "fold": args.fold,
        "classes": classes,
        "labels_are_indices": args.labels_are_indices,
        "step_name": args.step_name,
    }
    if args.kind == "predictions":
        return import_predictions_table(
            args.src, args.logdir, store_instances=not args.counts_only, **options
        )
    return import_counts_table(args.src, args.logdir, **options)


def main(argv: Sequence[str] | None = None, *, prog: str | None = None) -> int:
    """Run one import; ``prog`` names the command in messages (``confusionflow import`` reuses it)."""
    args = (build_parser(prog) if prog else build_parser()).parse_args(argv)
    try:
        summary = run_import(args)
    except (LogFormatError, ValueError, OSError) as e:
        # OSError: unreadable source or unwritable log folder; its text usually names the path
        text = str(e)
        if isinstance(e, OSError) and not getattr(e, "filename", None) and str(args.src) not in text:
            text = f"{args.src}: {text}"
        print(f"import failed: {text}", file=sys.stderr)
        return 2
    except (pa.ArrowException, EOFError, zlib.error, RecursionError, MemoryError) as e:
        print(f"import failed: {args.src}: cannot be read ({type(e).__name__}: {e})", file=sys.stderr)
        return 2
    print(summary.describe())
    return 0


if __name__ == "__main__":
    sys.exit(main())
