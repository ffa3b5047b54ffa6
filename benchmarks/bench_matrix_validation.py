"""What plotly's property validation would cost the heatmap matrix: ``build_matrix_figure`` (which
builds its figure unvalidated, ``components/matrix/heatmap.py``) against ``go.Figure`` validating
the same figure dict. SYNTHETIC values (``bench_matrix.make_values``), 10 classes x 1 series x 100
steps by default; best of ``--repeat`` (15), ms.

Run: ``.venv/bin/python benchmarks/bench_matrix_validation.py [--classes 10 --series 1 --steps 100]``
"""

from __future__ import annotations

import argparse
import sys
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import plotly.graph_objects as go  # noqa: E402

from benchmarks.bench_matrix import make_values  # noqa: E402
from confusionflow.components.colors import PALETTE  # noqa: E402
from confusionflow.components.matrix import MatrixStyle, build_matrix_figure  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--series", type=int, default=1)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    values = make_values(args.classes, args.series, args.steps, None)

    def build() -> go.Figure:
        return build_matrix_figure(values, PALETTE, MatrixStyle(encoding="heatmap"))

    as_dict = build().to_dict()
    built = min(timeit.repeat(build, number=1, repeat=args.repeat)) * 1000
    validated = min(timeit.repeat(lambda: go.Figure(as_dict), number=1, repeat=args.repeat)) * 1000
    print(
        f"{args.classes} classes x {args.series} series x {args.steps} steps: build_matrix_figure "
        f"{built:.1f} ms; go.Figure validating the same figure {validated:.1f} ms"
    )


if __name__ == "__main__":
    main()
