"""Regenerate every bundled demo log: ``python examples/generate_all.py --out demo_logs --force``.

Runs the four scenario generators one after another (they share the machine's cores, so never in
parallel) into a hidden temporary folder next to ``--out`` and moves it into place only when all of
them succeeded: a failed or interrupted regeneration leaves the previous demo logs untouched.
``--force`` replaces an existing ``--out``, but only if it holds nothing except the demo runs (it
never deletes a folder of someone's own logs). Prints a markdown table of the generation times.

Time here: 295-317 s on 2 shared cores (see docs/demo.md for the per-scenario breakdown); ``--tiny``
under a minute.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from examples import (  # noqa: E402
    active_learning_digits,
    fashion_mnist,
    pruning_fashion_mnist,
    shift_fashion_mnist,
    synthetic_many_classes,
)
from examples.common import Stopwatch  # noqa: E402

GENERATORS: dict[str, tuple[Callable[[Sequence[str] | None], int], tuple[str, ...]]] = {
    "active learning": (active_learning_digits.main, active_learning_digits.RUNS),
    "pruning": (pruning_fashion_mnist.main, pruning_fashion_mnist.RUNS),
    "shift": (shift_fashion_mnist.main, (shift_fashion_mnist.RUN,)),
    "many classes": (synthetic_many_classes.main, synthetic_many_classes.RUNS),
}
NEEDS_FASHION_MNIST = ("pruning", "shift")
DEMO_RUNS = frozenset(run for _, runs in GENERATORS.values() for run in runs)


def _replaceable(out: Path) -> bool:
    """True if ``out`` holds only demo runs (so replacing it cannot delete anyone's own logs)."""
    return all(entry.name in DEMO_RUNS and entry.is_dir() for entry in out.iterdir())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=Path("demo_logs"), help="demo log folder (default demo_logs)"
    )
    parser.add_argument("--tiny", action="store_true", help="seconds-long runs (for tests)")
    parser.add_argument(
        "--force", action="store_true", help="replace an existing --out that holds only demo runs"
    )
    parser.add_argument("--threads", type=int, choices=(1, 2), default=1, help="CPU threads for PyTorch")
    args = parser.parse_args(argv)
    out: Path = args.out
    if out.exists() and any(out.iterdir()):
        if not args.force:
            print(f"error: {out} is not empty; pass --force to replace the demo logs in it", file=sys.stderr)
            return 2
        if not _replaceable(out):
            print(
                f"error: {out} holds folders other than the demo runs {sorted(DEMO_RUNS)}; refusing to replace it",
                file=sys.stderr,
            )
            return 2
    if not fashion_mnist.available():
        print(f"error: {fashion_mnist.missing_message(fashion_mnist.DEFAULT_DIR)}", file=sys.stderr)
        return 2
    partial = out.parent / f".{out.name}.partial-{os.getpid()}"
    partial.mkdir(parents=True)
    times: list[tuple[str, float]] = []
    try:
        for name, (generate, _) in GENERATORS.items():
            clock = Stopwatch()
            print(f"== {name}", flush=True)
            extra = ["--tiny"] if args.tiny else []
            if name in NEEDS_FASHION_MNIST:
                extra += ["--threads", str(args.threads)]
            code = generate(["--out", str(partial), *extra])
            if code != 0:
                print(
                    f"error: the {name} generator failed (exit code {code}); {out} is unchanged",
                    file=sys.stderr,
                )
                return code
            times.append((name, clock.seconds))
        if out.exists():
            shutil.rmtree(out)
        partial.rename(out)
    finally:
        if partial.exists():
            shutil.rmtree(partial)
    print("\n| scenario | generation time (s) |\n|---|---|")
    for name, seconds in times:
        print(f"| {name} | {seconds:.0f} |")
    print(f"| total | {sum(s for _, s in times):.0f} |")
    print(f"demo logs written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
