"""Active learning on handwritten digits: three labelling strategies compared label by label.

Reproduces the ConfusionFlow paper's first evaluation (there on MNIST; here on scikit-learn's
bundled 8x8 digits, 1,797 images, so nothing is downloaded). The data set is split once
(stratified, fixed seed) into a held-out **test** fold (30%, 540 images), a **validation** set
(300 images, only the Greedy strategy looks at it) and an unlabelled **pool** (957 images). Every
strategy starts from the same 10 labelled images, one per class, drawn from the pool, and then
asks for one more label per iteration for 50 iterations. After each new label the same classifier
(multinomial logistic regression, C=10, lbfgs) is retrained from scratch on the labelled set and
its predictions on the test fold are logged.

Strategies (one run each; step = number of labelled images, 10..60):

- ``logreg-al greedy``: uses the ground truth. From 150 random pool candidates it picks the one
  whose addition gives the highest accuracy on the labelled + validation images (ties broken by
  the mean log-probability of the true class). An upper bound no real labeller can reach.
- ``logreg-al smallest margin``: the pool image with the smallest difference between the two
  highest class probabilities of the current model.
- ``logreg-al dense areas first``: the pool image with the highest k-NN density among the
  still-unlabelled images (smallest mean Euclidean distance to its 10 nearest unlabelled
  neighbours); ignores the model entirely.

Per-instance predictions are logged (instance id = index in ``sklearn.datasets.load_digits``),
so the app can show which test images enter or leave a cell between iterations.

Time here: 113 s on 2 shared cores (Greedy dominates: 7,500 fits; 330 s when the machine was
busier); ``--tiny`` (5 iterations, 20 candidates) takes a few seconds.

    python examples/active_learning_digits.py --out demo_logs
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.neighbors import NearestNeighbors  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from confusionflow.data_access.writer import LogWriter  # noqa: E402
from examples.common import (  # noqa: E402
    Stopwatch,
    accuracy,
    check_new_runs,
    parse_args,
    seed_everything,
)

CLASSES = tuple(str(d) for d in range(10))
RUN_PREFIX = "logreg-al"
STRATEGIES = ("greedy", "smallest margin", "dense areas first")
RUNS = tuple(f"{RUN_PREFIX} {s}" for s in STRATEGIES)
TEST_FRACTION = 0.3
VALIDATION_SIZE = 300
ITERATIONS = 50
GREEDY_CANDIDATES = 150
DENSITY_NEIGHBOURS = 10
LOGREG_C = 10.0
TINY_ITERATIONS, TINY_CANDIDATES = 5, 20


@dataclass(frozen=True)
class Digits:
    """The data and its fixed split. x: ``(1797, 64)`` float in [0, 1]; index arrays into it."""

    x: np.ndarray
    y: np.ndarray
    test: np.ndarray
    validation: np.ndarray
    pool: np.ndarray
    start: np.ndarray  # the 10 initially labelled images (one per class), a subset of pool


def load_split(seed: int) -> Digits:
    x, y = load_digits(return_X_y=True)
    x = x / 16.0  # pixel intensities are 0..16
    idx = np.arange(len(y))
    rest, test = train_test_split(idx, test_size=TEST_FRACTION, stratify=y, random_state=seed)
    pool, validation = train_test_split(rest, test_size=VALIDATION_SIZE, stratify=y[rest], random_state=seed)
    rng = np.random.default_rng(seed)
    start = np.array([rng.choice(np.sort(pool[y[pool] == c])) for c in range(len(CLASSES))])
    return Digits(
        x=x, y=y, test=np.sort(test), validation=np.sort(validation), pool=np.sort(pool), start=start
    )


def fit(d: Digits, labelled: np.ndarray) -> LogisticRegression:
    """The classifier every strategy retrains after each new label."""
    model = LogisticRegression(C=LOGREG_C, max_iter=500)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(d.x[labelled], d.y[labelled])
    return model


Picker = Callable[[Digits, np.ndarray, np.ndarray, LogisticRegression, np.random.Generator], int]


def pick_greedy(
    d: Digits,
    labelled: np.ndarray,
    unlabelled: np.ndarray,
    model: LogisticRegression,
    rng: np.random.Generator,
    *,
    candidates: int = GREEDY_CANDIDATES,
) -> int:
    """Among ``candidates`` random pool images, the one whose addition scores best on the labelled
    and validation images (uses the ground truth). Retrains once per candidate."""
    n = min(len(unlabelled), candidates)
    chosen = rng.choice(unlabelled, size=n, replace=False)
    judge = np.concatenate([labelled, d.validation])
    best_key, best = (-1.0, -np.inf), int(chosen[0])
    for c in chosen:
        trial = fit(d, np.append(labelled, c))
        proba = trial.predict_proba(d.x[judge])
        # predict_proba columns follow trial.classes_, which may miss classes early on
        cols = np.searchsorted(trial.classes_, d.y[judge])
        known = np.isin(d.y[judge], trial.classes_)
        p_true = np.where(known, proba[np.arange(len(judge)), np.minimum(cols, proba.shape[1] - 1)], 0.0)
        acc = accuracy(d.y[judge], trial.classes_[proba.argmax(1)])
        key = (acc, float(np.mean(np.log(p_true + 1e-12))))
        if key > best_key:
            best_key, best = key, int(c)
    return best


def pick_smallest_margin(
    d: Digits,
    labelled: np.ndarray,
    unlabelled: np.ndarray,
    model: LogisticRegression,
    rng: np.random.Generator,
) -> int:
    """The unlabelled image the current model is least sure about (top-2 probability gap)."""
    top2 = np.sort(model.predict_proba(d.x[unlabelled]), axis=1)[:, -2:]
    return int(unlabelled[np.argmin(top2[:, 1] - top2[:, 0])])


def pick_dense_areas_first(
    d: Digits,
    labelled: np.ndarray,
    unlabelled: np.ndarray,
    model: LogisticRegression,
    rng: np.random.Generator,
) -> int:
    """The unlabelled image in the densest area of the unlabelled images (k-NN density)."""
    k = min(DENSITY_NEIGHBOURS, len(unlabelled) - 1)
    nn = NearestNeighbors(n_neighbors=k + 1).fit(d.x[unlabelled])
    dist, _ = nn.kneighbors(d.x[unlabelled])  # column 0 is the image itself
    return int(unlabelled[np.argmin(dist[:, 1:].mean(axis=1))])


PICKERS: dict[str, Picker] = {
    "greedy": pick_greedy,
    "smallest margin": pick_smallest_margin,
    "dense areas first": pick_dense_areas_first,
}

DESCRIPTIONS = {
    "greedy": (
        "Upper bound: uses the ground truth to pick, among random pool candidates, the image whose label "
        "most improves accuracy on the labelled + validation images."
    ),
    "smallest margin": "Uncertainty sampling: the image with the smallest gap between the top-2 class probabilities.",
    "dense areas first": "The image with the highest k-NN density among the unlabelled images.",
}


@dataclass(frozen=True)
class Iteration:
    """One logged state: ``labels`` labelled images, predictions ``(n_test,)`` on the test fold."""

    labels: int
    picked: int | None  # dataset index labelled *after* this state (None at the last one)
    test_pred: np.ndarray


def simulate(
    d: Digits, strategy: str, iterations: int, seed: int, *, greedy_candidates: int = GREEDY_CANDIDATES
) -> list[Iteration]:
    """Run one strategy; ``iterations + 1`` states (the start and one per new label)."""
    rng = np.random.default_rng(seed)
    picker = partial(pick_greedy, candidates=greedy_candidates) if strategy == "greedy" else PICKERS[strategy]
    labelled = d.start.copy()
    unlabelled = np.setdiff1d(d.pool, labelled)
    states: list[Iteration] = []
    for it in range(iterations + 1):
        model = fit(d, labelled)
        pred = model.predict(d.x[d.test]).astype(np.int64)
        picked = None if it == iterations else picker(d, labelled, unlabelled, model, rng)
        states.append(Iteration(labels=len(labelled), picked=picked, test_pred=pred))
        if picked is not None:
            labelled = np.append(labelled, picked)
            unlabelled = unlabelled[unlabelled != picked]
    return states


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(__doc__.splitlines()[0], argv, default_seed=0)
    check_new_runs(args.out, RUNS)
    clock = Stopwatch()
    seed_everything(args.seed)
    iterations = TINY_ITERATIONS if args.tiny else ITERATIONS
    candidates = TINY_CANDIDATES if args.tiny else GREEDY_CANDIDATES
    d = load_split(args.seed)
    y_test = d.y[d.test]
    for strategy, run in zip(STRATEGIES, RUNS, strict=True):
        # One BLAS thread: these fits are tiny (<= 60 x 64), and a multi-threaded BLAS on a busy
        # machine made each one 25x slower (0.38 s instead of 0.014 s) from thread contention.
        with threadpool_limits(limits=1):
            states = simulate(d, strategy, iterations, args.seed, greedy_candidates=candidates)
        meta = {
            "scenario": "active learning",
            "dataset": "scikit-learn digits (8x8)",
            "strategy": strategy,
            "classifier": f"LogisticRegression(C={LOGREG_C}, lbfgs), retrained after every label",
            "seed": args.seed,
            "description": DESCRIPTIONS[strategy],
            "step": "number of labelled images (10 at the start, one new label per iteration)",
            "test_instances": len(d.test),
            "validation_instances": len(d.validation),
            "pool_instances": len(d.pool),
            "labelled_order": [int(i) for i in d.start] + [s.picked for s in states if s.picked is not None],
            "folds": "test: per instance (id = index in sklearn.datasets.load_digits)",
        }
        if strategy == "greedy":
            meta["greedy_candidates_per_step"] = candidates
        if args.tiny:
            meta["tiny"] = True
        with LogWriter(args.out, run, CLASSES, metadata=meta, step_name="labels") as log:
            for s in states:
                log.add(s.labels, "test", y_test, s.test_pred, instance_ids=d.test)
        curve = " ".join(f"{s.labels}:{accuracy(y_test, s.test_pred):.3f}" for s in states[::10])
        print(f"{run:32s} {curve}  ({clock.seconds:.0f}s)", flush=True)
    print(f"done in {clock.seconds:.0f}s -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
