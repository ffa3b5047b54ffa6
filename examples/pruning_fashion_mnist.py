"""Pruning on Fashion-MNIST: a dense MLP, an online-pruned one and its lottery ticket.

Reproduces the ConfusionFlow paper's third evaluation (after Frankle & Carbin's lottery ticket
experiments). Three runs of one architecture, all from the same initial weights and the same batch
order, each logged on the ``train`` and ``test`` folds after every epoch:

- ``fmnist-mlp 6x200 dense``: 784-200x6-10 ReLU MLP (He-normal init, zero biases), plain SGD, lr 0.012,
  batch 60, cross-entropy, 20 epochs on all 60,000 training images.
- ``fmnist-mlp 6x200 pruned``: the same, but after each epoch has been trained and evaluated, the 20%
  smallest-magnitude weights still alive are removed **per layer** (the output layer loses 10% per
  epoch, as in the lottery ticket paper, so the 10 logits keep enough inputs); biases are never
  pruned. Epoch e therefore shows a network trained for one epoch at weight density 0.8^(e-1):
  epoch 20 runs with 1.4% of the hidden weights (13.5% of the output layer's). Evaluating right
  after each cut instead would mostly show the damage of the cut (test accuracy jumping between
  34% and 70% from epoch 10 on), not what the sparse network can learn.
- ``fmnist-mlp 6x200 lottery ticket``: the final sparse mask of the pruned run (the one its epoch 20
  trained with) applied to the ORIGINAL initial weights, then trained for 20 epochs with that
  mask fixed.

Logged: ``test`` per instance (10,000 images, instance id = index in the official test split, so
the app can drill down to images) and ``train`` as counts only (all 60,000 images; per-instance
train predictions would make the bundle ~6x larger for no extra story). Step = epoch (1..20).

Time here: 230 s on 2 shared cores (Intel Xeon, torch 2.13 CPU, one thread: 4-8 s per epoch);
``--tiny`` (600 train / 300 test images, 3 epochs) takes a few seconds. Needs the Debian package
``dataset-fashion-mnist``; nothing is downloaded. All 60,000 training images are used (no
subsampling was needed to stay far below 30 minutes).

    python examples/pruning_fashion_mnist.py --out demo_logs
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from confusionflow.data_access.writer import LogWriter  # noqa: E402
from examples import fashion_mnist as fm  # noqa: E402
from examples import torch_mlp  # noqa: E402
from examples.common import (  # noqa: E402
    GeneratorArgs,
    Stopwatch,
    accuracy,
    check_new_runs,
    confusion_counts,
    parse_args,
    seed_everything,
)

RUN_DENSE = "fmnist-mlp 6x200 dense"
RUN_PRUNED = "fmnist-mlp 6x200 pruned"
RUN_TICKET = "fmnist-mlp 6x200 lottery ticket"
RUNS = (RUN_DENSE, RUN_PRUNED, RUN_TICKET)
HIDDEN = (200,) * 6
LR = 0.012
BATCH = 60
EPOCHS = 20
HIDDEN_PRUNE_FRACTION = 0.2
OUTPUT_PRUNE_FRACTION = 0.1
TINY_TRAIN, TINY_TEST, TINY_EPOCHS = 600, 300, 3


def _subsample(split: fm.Split, n: int | None, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(images, labels, ids)``: all of the split, or ``n`` of it drawn without replacement."""
    ids = np.arange(len(split.labels))
    if n is not None and n < len(ids):
        ids = np.sort(np.random.default_rng(seed).choice(ids, size=n, replace=False))
    return split.images[ids], split.labels[ids], ids


def main(argv: Sequence[str] | None = None) -> int:
    args: GeneratorArgs = parse_args(__doc__.splitlines()[0], argv, default_seed=0)
    try:
        train, test = fm.load("train"), fm.load("test")
    except fm.DatasetMissing as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    check_new_runs(args.out, RUNS)
    clock = Stopwatch()
    seed_everything(args.seed)
    torch_mlp.configure_torch(args.seed, args.threads)
    epochs = TINY_EPOCHS if args.tiny else EPOCHS
    x_tr_img, y_tr_np, _ = _subsample(train, TINY_TRAIN if args.tiny else None, args.seed)
    x_te_img, y_te_np, te_ids = _subsample(test, TINY_TEST if args.tiny else None, args.seed + 1)
    x_tr, y_tr = torch_mlp.as_inputs(x_tr_img), torch.from_numpy(y_tr_np)
    x_te = torch_mlp.as_inputs(x_te_img)
    n_classes = len(fm.CLASSES)

    initial = torch_mlp.build_mlp(784, HIDDEN, n_classes, seed=args.seed)
    n_layers = len(torch_mlp.linear_layers(initial))
    fractions = [HIDDEN_PRUNE_FRACTION] * (n_layers - 1) + [OUTPUT_PRUNE_FRACTION]
    full_masks = [torch.ones_like(layer.weight) for layer in torch_mlp.linear_layers(initial)]
    base_meta = {
        "scenario": "pruning",
        "dataset": "Fashion-MNIST",
        "model": "MLP 784-200x6-10, ReLU, He-normal init",
        "optimizer": f"SGD lr={LR}, batch {BATCH}, cross-entropy",
        "epochs": epochs,
        "seed": args.seed,
        "train_instances": len(y_tr_np),
        "test_instances": len(y_te_np),
        "step": "epoch",
        "folds": "test: per instance (id = index in the Fashion-MNIST test split); train: counts only",
    }
    if args.tiny:
        base_meta["tiny"] = True

    def run(name: str, model: torch.nn.Sequential, masks: list[torch.Tensor] | None, prune: bool, meta: dict):
        """Train ``model`` for ``epochs``, logging both folds each epoch; return the final masks."""
        densities = []
        with LogWriter(args.out, name, fm.CLASSES, metadata=meta) as log:
            for epoch in range(1, epochs + 1):
                loss = torch_mlp.train_epoch(
                    model,
                    x_tr,
                    y_tr,
                    lr=LR,
                    batch_size=BATCH,
                    order_seed=args.seed * 1000 + epoch,
                    masks=masks,
                )
                p_tr, p_te = torch_mlp.predict(model, x_tr), torch_mlp.predict(model, x_te)
                log.add_counts(epoch, "train", confusion_counts(y_tr_np, p_tr, n_classes))
                log.add(epoch, "test", y_te_np, p_te, instance_ids=te_ids)
                dens = torch_mlp.density(masks) if masks is not None else 1.0
                densities.append(dens)
                if prune and epoch < epochs:  # nothing trains after the last epoch: no cut there
                    assert masks is not None
                    masks = torch_mlp.magnitude_prune(model, masks, fractions)
                print(
                    f"{name:28s} epoch {epoch:2d}  loss {loss:.3f}  train {accuracy(y_tr_np, p_tr):.4f}  "
                    f"test {accuracy(y_te_np, p_te):.4f}  density {dens:.4f}  ({clock.seconds:.0f}s)",
                    flush=True,
                )
        return masks, densities

    run(
        RUN_DENSE,
        copy.deepcopy(initial),
        None,
        False,
        {**base_meta, "description": "Dense baseline: no pruning.", "pruning": "none"},
    )
    pruned_meta = {
        **base_meta,
        "description": (
            "Online magnitude pruning: after each epoch (evaluated first), the 20% smallest-magnitude "
            "surviving weights of each hidden layer (10% of the output layer) are removed."
        ),
        "pruning": "per layer, by magnitude, 20%/epoch hidden, 10%/epoch output, biases kept",
    }
    # Densities depend on the layer sizes only, so they can be stated before training.
    sizes = [m.numel() for m in full_masks]
    alive = list(map(float, sizes))
    expected = [1.0]
    for _ in range(epochs - 1):
        alive = [a - round(a * f) for a, f in zip(alive, fractions, strict=True)]
        expected.append(round(sum(alive) / sum(sizes), 5))
    pruned_meta["weight_density_by_epoch"] = expected
    final_masks, _ = run(RUN_PRUNED, copy.deepcopy(initial), list(full_masks), True, pruned_meta)
    assert final_masks is not None
    ticket = copy.deepcopy(initial)
    with torch.no_grad():
        for layer, mask in zip(torch_mlp.linear_layers(ticket), final_masks, strict=True):
            layer.weight.mul_(mask)
    run(
        RUN_TICKET,
        ticket,
        [m.clone() for m in final_masks],
        False,
        {
            **base_meta,
            "description": (
                "Lottery ticket: the pruned run's final mask applied to the original initial weights, "
                "then retrained with the mask fixed."
            ),
            "pruning": f"fixed mask, weight density {torch_mlp.density(final_masks):.4f}",
        },
    )
    print(f"done in {clock.seconds:.0f}s -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
