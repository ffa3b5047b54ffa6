"""A plain multilayer perceptron in PyTorch, trained on the CPU, with optional weight masks.

Shared by the Fashion-MNIST scenarios. Everything is deterministic for a given seed: the weights
come from one ``torch.Generator`` and each epoch's batch order from another, so two models given
the same seeds see the same batches in the same order (the pruning comparison relies on it).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

MAX_THREADS = 2  # the machines these demos are generated on are shared; never take more


def configure_torch(seed: int, threads: int = 1) -> None:
    """Cap CPU threads (at most 2) and make kernels deterministic.

    One thread is the default: on the shared 2-core machine the demos were generated on (load ~9),
    an epoch took 10 s with one thread and 12-176 s with two, whose threads wait on each other.
    """
    torch.set_num_threads(max(1, min(MAX_THREADS, threads)))
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)


def build_mlp(n_inputs: int, hidden: Sequence[int], n_classes: int, *, seed: int) -> nn.Sequential:
    """``Linear -> ReLU`` per hidden width, then a linear output layer (logits).

    Weights are He-normal (fan-in, gain for ReLU) and biases zero: with PyTorch's default
    initialisation a 6-hidden-layer ReLU net under plain SGD at lr 0.012 barely moves in its first
    epochs (22% test accuracy after one epoch on Fashion-MNIST, against 81% with He init).
    """
    gen = torch.Generator().manual_seed(seed)
    layers: list[nn.Module] = []
    width = n_inputs
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    layers.append(nn.Linear(width, n_classes))
    model = nn.Sequential(*layers)
    with torch.no_grad():
        for layer in linear_layers(model):
            std = (2.0 / layer.in_features) ** 0.5
            layer.weight.copy_(torch.randn(layer.weight.shape, generator=gen) * std)
            layer.bias.zero_()
    return model


def linear_layers(model: nn.Sequential) -> list[nn.Linear]:
    return [m for m in model if isinstance(m, nn.Linear)]


def as_inputs(images: np.ndarray) -> torch.Tensor:
    """``(N, 28, 28)`` uint8 (or already float in [0, 1]) -> ``(N, 784)`` float32 in [0, 1]."""
    flat = images.reshape(len(images), -1)
    if flat.dtype == np.uint8:
        return torch.from_numpy(flat.astype(np.float32) / 255.0)
    return torch.from_numpy(np.ascontiguousarray(flat, dtype=np.float32))


def train_epoch(
    model: nn.Sequential,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    lr: float,
    batch_size: int,
    order_seed: int,
    masks: Sequence[torch.Tensor] | None = None,
) -> float:
    """One epoch of plain SGD on cross-entropy; returns the mean training loss.

    ``masks`` (one 0/1 tensor per linear layer's weight) keep pruned weights at exactly zero: they
    are re-applied after every optimiser step.
    """
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    layers = linear_layers(model)
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(order_seed))
    total, batches = 0.0, 0
    for start in range(0, len(x), batch_size):
        idx = order[start : start + batch_size]
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x[idx]), y[idx])
        loss.backward()
        opt.step()
        if masks is not None:
            with torch.no_grad():
                for layer, mask in zip(layers, masks, strict=True):
                    layer.weight.mul_(mask)
        total += loss.item()
        batches += 1
    return total / max(batches, 1)


@torch.no_grad()
def predict(model: nn.Sequential, x: torch.Tensor, *, batch_size: int = 10_000) -> np.ndarray:
    """Predicted class indices, ``(N,)`` int64."""
    model.eval()
    out = [model(x[i : i + batch_size]).argmax(1) for i in range(0, len(x), batch_size)]
    return torch.cat(out).numpy().astype(np.int64)


@torch.no_grad()
def magnitude_prune(
    model: nn.Sequential, masks: Sequence[torch.Tensor], fractions: Sequence[float]
) -> list[torch.Tensor]:
    """Per-layer magnitude pruning: in each layer, drop ``fraction`` of the weights still alive.

    The surviving weights with the smallest ``|w|`` in that layer are removed (ties broken by
    position, so the result is deterministic); biases are never pruned. Returns the new masks and
    zeroes the pruned weights in ``model``.
    """
    new_masks = []
    for layer, mask, fraction in zip(linear_layers(model), masks, fractions, strict=True):
        alive = mask.bool().reshape(-1)
        n_alive = int(alive.sum())
        n_drop = int(round(n_alive * fraction))
        flat = layer.weight.abs().reshape(-1).clone()
        flat[~alive] = float("inf")  # already pruned: never chosen again
        drop = torch.argsort(flat, stable=True)[:n_drop]
        new = mask.clone().reshape(-1)
        new[drop] = 0.0
        new = new.reshape(mask.shape)
        layer.weight.mul_(new)
        new_masks.append(new)
    return new_masks


def density(masks: Sequence[torch.Tensor]) -> float:
    """Fraction of weights (all layers together, biases excluded) that are still alive."""
    alive = sum(float(m.sum()) for m in masks)
    total = sum(m.numel() for m in masks)
    return alive / total
