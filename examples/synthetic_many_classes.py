"""Many classes (SYNTHETIC): a 100-class log with 20 superclasses, for scale and aggregation.

Stands in for the ConfusionFlow paper's CIFAR-100 scalability evaluation without training a
CIFAR-100 model (no data set download, minutes instead of hours). The class and superclass NAMES
are CIFAR-100's public taxonomy (20 superclasses of 5 classes, listed superclass by superclass so
the matrix shows the blocks); every COUNT is simulated, never measured. Run names start with
``synthetic`` and the metadata says ``"synthetic": true``.

How the counts are simulated (fixed seed, so the bundle is reproducible):

- Per run, fold and class ``i``, the probability of a correct prediction rises over the steps
  ``t = 1..100`` towards a class-specific plateau: ``a_i(t) = a_i - (a_i - 0.01) * exp(-t / tau)``.
- The error mass ``1 - a_i(t)`` goes 70% to the 4 other classes of ``i``'s superclass and 30% to
  the 95 classes outside it, split by fixed per-class Dirichlet weights: confusion concentrates
  inside superclasses, as it does in real CIFAR-100 models. The six overfitting pairs below get at
  least half of their row's within-superclass errors (look-alike siblings from the start).
- Overfitting: in ``synthetic-cifar100 baseline`` six within-superclass pairs (e.g. ``maple tree``
  predicted as ``oak tree``) pick up extra confusion on the ``test`` fold from step 40 on (growing
  linearly to 30% of the true class's instances at step 100), while on the ``train`` fold the same
  pairs keep shrinking as training accuracy approaches 95%. The ``regularized`` run learns more
  slowly and has no overfitting pairs.
- Each step's matrix is a multinomial draw of 100 (test) or 500 (train) instances per class, like
  CIFAR-100's test and train splits.

Series: ``synthetic-cifar100 baseline`` on ``train`` and ``test``, ``synthetic-cifar100
regularized`` on ``test``; counts only (there are no real instances to drill down to). The
class -> superclass mapping is in each run's ``metadata["superclasses"]``.

Time here: 2 s; ``--tiny`` writes 10 steps.

    python examples/synthetic_many_classes.py --out demo_logs
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from confusionflow.data_access.writer import LogWriter  # noqa: E402
from examples.common import Stopwatch, check_new_runs, parse_args  # noqa: E402

SUPERCLASSES: dict[str, tuple[str, ...]] = {
    "aquatic mammals": ("beaver", "dolphin", "otter", "seal", "whale"),
    "fish": ("aquarium fish", "flatfish", "ray", "shark", "trout"),
    "flowers": ("orchid", "poppy", "rose", "sunflower", "tulip"),
    "food containers": ("bottle", "bowl", "can", "cup", "plate"),
    "fruit and vegetables": ("apple", "mushroom", "orange", "pear", "sweet pepper"),
    "household electrical devices": ("clock", "keyboard", "lamp", "telephone", "television"),
    "household furniture": ("bed", "chair", "couch", "table", "wardrobe"),
    "insects": ("bee", "beetle", "butterfly", "caterpillar", "cockroach"),
    "large carnivores": ("bear", "leopard", "lion", "tiger", "wolf"),
    "large man-made outdoor things": ("bridge", "castle", "house", "road", "skyscraper"),
    "large natural outdoor scenes": ("cloud", "forest", "mountain", "plain", "sea"),
    "large omnivores and herbivores": ("camel", "cattle", "chimpanzee", "elephant", "kangaroo"),
    "medium-sized mammals": ("fox", "porcupine", "possum", "raccoon", "skunk"),
    "non-insect invertebrates": ("crab", "lobster", "snail", "spider", "worm"),
    "people": ("baby", "boy", "girl", "man", "woman"),
    "reptiles": ("crocodile", "dinosaur", "lizard", "snake", "turtle"),
    "small mammals": ("hamster", "mouse", "rabbit", "shrew", "squirrel"),
    "trees": ("maple tree", "oak tree", "palm tree", "pine tree", "willow tree"),
    "vehicles 1": ("bicycle", "bus", "motorcycle", "pickup truck", "train"),
    "vehicles 2": ("lawn mower", "rocket", "streetcar", "tank", "tractor"),
}
CLASSES: tuple[str, ...] = tuple(c for members in SUPERCLASSES.values() for c in members)
SUPERCLASS_OF: dict[str, str] = {c: group for group, members in SUPERCLASSES.items() for c in members}
OVERFIT_PAIRS: tuple[tuple[str, str], ...] = (
    ("maple tree", "oak tree"),
    ("boy", "girl"),
    ("leopard", "tiger"),
    ("otter", "seal"),
    ("bus", "train"),
    ("mouse", "shrew"),
)
assert all(SUPERCLASS_OF[a] == SUPERCLASS_OF[b] for a, b in OVERFIT_PAIRS), "overfitting pairs are siblings"
RUN_BASELINE = "synthetic-cifar100 baseline"
RUN_REGULARIZED = "synthetic-cifar100 regularized"
RUNS = (RUN_BASELINE, RUN_REGULARIZED)
STEPS, TINY_STEPS = 100, 10
OVERFIT_START, OVERFIT_MAX = 40, 0.30
WITHIN_SHARE = 0.7
PER_CLASS = {"train": 500, "test": 100}


@dataclass(frozen=True)
class SeriesModel:
    """Parameters of one simulated series; probabilities are per true class ``(C,)``."""

    plateau: np.ndarray  # a_i: final probability of a correct prediction
    tau: float  # learning time constant, in steps
    overfit: float  # test-fold overfitting strength (0 = none); negative = pairs shrink (train)


def error_weights(rng: np.random.Generator) -> np.ndarray:
    """``(C, C)`` where errors of true class ``i`` go: rows sum to 1, zero diagonal.

    70% of each row inside the superclass, 30% outside; Dirichlet weights so some sibling pairs
    are much more confusable than others (fixed for the whole log).
    """
    c = len(CLASSES)
    group = np.array([list(SUPERCLASSES).index(SUPERCLASS_OF[name]) for name in CLASSES])
    weights = np.zeros((c, c))
    for i in range(c):
        inside = np.flatnonzero((group == group[i]) & (np.arange(c) != i))
        outside = np.flatnonzero(group != group[i])
        weights[i, inside] = WITHIN_SHARE * rng.dirichlet(np.full(len(inside), 0.8))
        weights[i, outside] = (1 - WITHIN_SHARE) * rng.dirichlet(np.full(len(outside), 0.2))
    # The overfitting pairs are look-alike siblings from the start: at least half of their row's
    # within-superclass errors, so the app shows an existing confusion that later grows on test.
    index = {name: k for k, name in enumerate(CLASSES)}
    for a, b in OVERFIT_PAIRS:
        i, j = index[a], index[b]
        inside = (group == group[i]) & (np.arange(c) != i)
        weights[i, j] = max(weights[i, j], WITHIN_SHARE / 2)
        others = inside & (np.arange(c) != j)
        weights[i, others] *= (WITHIN_SHARE - weights[i, j]) / weights[i, others].sum()
    return weights


def probabilities(model: SeriesModel, weights: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """``(T, C, C)`` row-stochastic prediction probabilities of one series."""
    c = len(CLASSES)
    t = steps[:, None].astype(float)
    correct = model.plateau[None, :] - (model.plateau[None, :] - 0.01) * np.exp(-t / model.tau)  # (T, C)
    probs = (1 - correct)[:, :, None] * weights[None, :, :]
    probs[:, np.arange(c), np.arange(c)] = correct
    if model.overfit != 0:
        index = {name: k for k, name in enumerate(CLASSES)}
        ramp = np.clip(
            (steps - OVERFIT_START) / (steps.max() - OVERFIT_START if steps.max() > OVERFIT_START else 1),
            0,
            1,
        )
        for a, b in OVERFIT_PAIRS:
            i, j = index[a], index[b]
            if model.overfit > 0:  # test: correct mass leaks into the pair
                moved = model.overfit * ramp
                probs[:, i, j] += np.minimum(moved, probs[:, i, i] - 0.05)
                probs[:, i, i] = 1 - (probs[:, i].sum(axis=1) - probs[:, i, i])
            else:  # train: the pair is memorised away
                moved = probs[:, i, j] * np.clip(-model.overfit * ramp, 0, 1)
                probs[:, i, j] -= moved
                probs[:, i, i] += moved
    return probs


def sample_counts(probs: np.ndarray, per_class: int, rng: np.random.Generator) -> np.ndarray:
    """``(T, C, C)`` int64: each row a multinomial draw of ``per_class`` instances."""
    flat = probs.reshape(-1, probs.shape[-1])
    flat = np.clip(flat, 0, None)
    flat = flat / flat.sum(axis=1, keepdims=True)
    return rng.multinomial(per_class, flat).reshape(probs.shape).astype(np.int64)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(__doc__.splitlines()[0], argv, default_seed=100)
    check_new_runs(args.out, RUNS)
    clock = Stopwatch()
    rng = np.random.default_rng(args.seed)
    c = len(CLASSES)
    n_steps = TINY_STEPS if args.tiny else STEPS
    steps = np.arange(1, n_steps + 1)
    # Steps are always simulated on the full 1..100 axis so --tiny is a prefix of the real log.
    full = np.arange(1, STEPS + 1)
    weights = error_weights(rng)
    test_plateau = rng.uniform(0.45, 0.88, size=c)
    series = {
        (RUN_BASELINE, "train"): SeriesModel(np.minimum(test_plateau + 0.35, 0.995), tau=18.0, overfit=-1.0),
        (RUN_BASELINE, "test"): SeriesModel(test_plateau, tau=12.0, overfit=OVERFIT_MAX),
        (RUN_REGULARIZED, "test"): SeriesModel(np.minimum(test_plateau + 0.03, 0.95), tau=25.0, overfit=0.0),
    }
    common_meta = {
        "synthetic": True,
        "scenario": "many classes (synthetic)",
        "superclasses": dict(SUPERCLASS_OF),
        "seed": args.seed,
        "step": "epoch (simulated)",
        "instances_per_class": dict(PER_CLASS),
        "overfitting_pairs": [f"{a} -> {b}" for a, b in OVERFIT_PAIRS],
    }
    descriptions = {
        RUN_BASELINE: (
            "SYNTHETIC counts with CIFAR-100's class names: a model that overfits six within-superclass pairs "
            f"after step {OVERFIT_START} (test confusion grows while train confusion shrinks)."
        ),
        RUN_REGULARIZED: "SYNTHETIC counts with CIFAR-100's class names: slower learning, no overfitting pairs.",
    }
    writers = {
        run: LogWriter(
            args.out,
            run,
            CLASSES,
            metadata={
                **common_meta,
                "description": descriptions[run],
                **({"tiny": True} if args.tiny else {}),
            },
        )
        for run in RUNS
    }
    try:
        for (run, fold), model in series.items():
            counts = sample_counts(probabilities(model, weights, full), PER_CLASS[fold], rng)[: len(steps)]
            for step, matrix in zip(steps, counts, strict=True):
                writers[run].add_counts(int(step), fold, matrix)
            acc = np.trace(counts, axis1=1, axis2=2) / counts.sum(axis=(1, 2))
            print(f"{run} / {fold}: accuracy step 1 {acc[0]:.3f}, max {acc.max():.3f}, last {acc[-1]:.3f}")
    finally:
        for w in writers.values():
            w.close()
    print(f"done in {clock.seconds:.1f}s -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
