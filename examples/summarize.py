"""Print the figures docs/demo.md quotes, computed from a demo log folder (markdown tables).

    python examples/summarize.py --logdir demo_logs

Everything is read back through ``LogStore``, so the numbers are those the app shows. Rates of a
class pair are row-normalised: instances of the true class predicted as the other class, divided
by all instances of the true class (the app's "relative to true class" setting).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from confusionflow.data_access.store import LogStore  # noqa: E402
from confusionflow.data_access.tensor import SeriesCounts  # noqa: E402


def accuracy(counts: np.ndarray) -> np.ndarray:
    """``(T, C, C)`` -> ``(T,)`` fraction on the diagonal."""
    return np.trace(counts, axis1=1, axis2=2) / counts.sum(axis=(1, 2))


def row_rates(counts: np.ndarray) -> np.ndarray:
    """``(..., C, C)`` counts -> share of each true class (rows sum to 1)."""
    return counts / np.maximum(counts.sum(axis=-1, keepdims=True), 1)


def top_changes(a: np.ndarray, b: np.ndarray, classes: Sequence[str], k: int) -> list[str]:
    """The ``k`` off-diagonal pairs whose row rate grows most from ``a`` to ``b`` (both ``(C, C)``)."""
    delta = row_rates(b) - row_rates(a)
    np.fill_diagonal(delta, -np.inf)
    flat = np.argsort(delta, axis=None)[::-1][:k]
    ra, rb = row_rates(a), row_rates(b)
    out = []
    for i, j in zip(*np.unravel_index(flat, delta.shape), strict=True):
        out.append(f"{classes[i]} -> {classes[j]} ({ra[i, j]:.1%} -> {rb[i, j]:.1%})")
    return out


def at(series: SeriesCounts, step: float) -> np.ndarray:
    return series.counts[int(np.flatnonzero(series.steps == step)[0])]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logdir", type=Path, default=Path("demo_logs"))
    args = parser.parse_args(argv)
    store = LogStore(args.logdir)
    keys = {info.key for info in store.list_series()}
    load = store.load_series

    print("## Series\n\n| series | steps | first | last | per instance |\n|---|---|---|---|---|")
    for info in store.list_series():
        s = load(info.key)
        print(
            f"| `{info.key}` | {len(s.steps)} | {s.steps[0]:g} | {s.steps[-1]:g} | {'yes' if info.has_instances else 'no'} |"
        )

    al = [k for k in sorted(keys) if k.startswith("logreg-al ")]
    if al:
        print("\n## Active learning: test accuracy by number of labelled images\n")
        marks = (10, 20, 30, 40, 50, 60)
        print("| strategy | " + " | ".join(map(str, marks)) + " |\n|---|" + "---|" * len(marks))
        for key in al:
            s = load(key)
            acc = accuracy(s.counts)
            row = " | ".join(
                f"{acc[np.flatnonzero(s.steps == m)[0]]:.1%}" if m in s.steps else "" for m in marks
            )
            print(f"| {key} | {row} |")
        for key in al:
            s = load(key)
            c = at(s, s.steps[-1]).copy()
            np.fill_diagonal(c, 0)
            i, j = np.unravel_index(np.argmax(c), c.shape)
            print(
                f"- {key}: largest cell at step {s.steps[-1]:g}: {s.info.classes[i]} -> {s.info.classes[j]} ({c[i, j]})"
            )
        if {"logreg-al greedy/test", "logreg-al smallest margin/test"} <= keys:
            greedy, margin = load("logreg-al greedy/test"), load("logreg-al smallest margin/test")
            print(
                f"- smallest margin vs greedy at 50 labels, most grown pairs: "
                f"{'; '.join(top_changes(at(greedy, 50), at(margin, 50), greedy.info.classes, 3))}"
            )

    fm = [k for k in sorted(keys) if k.startswith("fmnist-mlp ")]
    if fm:
        print("\n## Fashion-MNIST runs\n\n| series | epoch 1 | best (epoch) | last |\n|---|---|---|---|")
        for key in fm:
            s = load(key)
            acc = accuracy(s.counts)
            best = int(np.argmax(acc))
            print(f"| {key} | {acc[0]:.1%} | {acc[best]:.1%} ({s.steps[best]:g}) | {acc[-1]:.1%} |")
        pairs = [
            ("fmnist-mlp 6x200 dense/test", "fmnist-mlp 6x200 pruned/test", "pruned vs dense, last epoch"),
            (
                "fmnist-mlp 6x200 pruned/test",
                "fmnist-mlp 6x200 lottery ticket/test",
                "lottery ticket vs pruned, last epoch",
            ),
            (
                "fmnist-mlp 256-128/test",
                "fmnist-mlp 256-128/test-shifted",
                "test-shifted vs test, last epoch",
            ),
        ]
        for a, b, label in pairs:
            if {a, b} <= keys:
                sa, sb = load(a), load(b)
                print(
                    f"- {label}, most grown pairs: {'; '.join(top_changes(sa.counts[-1], sb.counts[-1], sa.info.classes, 5))}"
                )
        if {"fmnist-mlp 256-128/test", "fmnist-mlp 256-128/test-shifted"} <= keys:
            sa, sb = load("fmnist-mlp 256-128/test"), load("fmnist-mlp 256-128/test-shifted")
            ra, rb = row_rates(sa.counts[-1]).diagonal(), row_rates(sb.counts[-1]).diagonal()
            per_class = ", ".join(
                f"{c} {x:.0%}->{y:.0%}" for c, x, y in zip(sa.info.classes, ra, rb, strict=True)
            )
            print(f"- recall per class, test -> test-shifted: {per_class}")

    syn = [k for k in sorted(keys) if k.startswith("synthetic-")]
    if syn:
        print(
            "\n## Synthetic 100 classes\n\n| series | step 1 | best (step) | last | errors inside superclass (last) |\n|---|---|---|---|---|"
        )
        for key in syn:
            s = load(key)
            acc = accuracy(s.counts)
            groups = s.info.metadata["superclasses"]
            g = np.array([groups[c] for c in s.info.classes])
            inside = (g[:, None] == g[None, :]) & ~np.eye(len(g), dtype=bool)
            last = s.counts[-1]
            share = last[inside].sum() / (last.sum() - np.trace(last))
            best = int(np.argmax(acc))
            print(
                f"| {key} | {acc[0]:.1%} | {acc[best]:.1%} ({s.steps[best]:g}) | {acc[-1]:.1%} | {share:.0%} |"
            )
        if {"synthetic-cifar100 baseline/test", "synthetic-cifar100 baseline/train"} <= keys:
            te, tr = load("synthetic-cifar100 baseline/test"), load("synthetic-cifar100 baseline/train")
            classes = list(te.info.classes)
            for pair in te.info.metadata["overfitting_pairs"]:
                t, p = (classes.index(n) for n in pair.split(" -> "))
                print(
                    f"- {pair}: test {at(te, 40)[t, p]} -> {at(te, 100)[t, p]} of 100, "
                    f"train {at(tr, 40)[t, p]} -> {at(tr, 100)[t, p]} of 500 (step 40 -> 100)"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
