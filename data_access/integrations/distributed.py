"""Predictions collected on every process of a distributed evaluation, merged into one fold.

Under DDP each process evaluates a share of the data. ``gather_ranks`` collects every process's
arrays with a framework's ``all_gather`` (which needs equal shapes, so shorter shares are padded
and trimmed again); ``merge_ranks`` joins them so each instance is counted once:

- with instance ids (batches that carry them): duplicates of an id are dropped;
- with PyTorch's ``DistributedSampler`` without shuffling (what Lightning uses for evaluation):
  process ``r`` saw dataset items ``r, r + W, r + 2W, ...``, and the sampler repeated the first
  few items to give every process the same count. Item ``i`` of process ``r`` is dataset item
  ``i * W + r``; items past the dataset's length are the repeats and are dropped, and the dataset
  index becomes the instance id;
- otherwise the shares are concatenated in process order (counts may include repeated items; the
  caller warns).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np


def gather_ranks(
    local: Mapping[str, Any], all_gather: Callable[[Any], Any], world_size: int
) -> list[dict[str, np.ndarray]]:
    """Every process's arrays, in rank order: ``[{name: (n_r, ...) array}, ...]`` (length ``world_size``).

    ``local``: this process's torch tensors, all of the same length ``n`` along dim 0.
    ``all_gather``: e.g. ``LightningModule.all_gather``; given a tensor of shape ``s`` it returns
    ``(world_size, *s)`` (every process must call this function, in the same order).
    """
    import torch

    tensors = {k: torch.as_tensor(v) for k, v in local.items()}
    lengths = {int(t.shape[0]) for t in tensors.values()}
    if len(lengths) > 1:
        raise ValueError(
            f"arrays to gather differ in length: { {k: int(t.shape[0]) for k, t in tensors.items()} }"
        )
    n = lengths.pop() if lengths else 0
    if world_size <= 1:
        return [{k: t.detach().cpu().numpy() for k, t in tensors.items()}]
    device = next(iter(tensors.values())).device if tensors else "cpu"
    sizes = all_gather(torch.tensor([n], dtype=torch.int64, device=device)).reshape(world_size).tolist()
    longest = max(sizes)
    gathered: dict[str, np.ndarray] = {}
    for key, t in tensors.items():
        padded = torch.zeros((longest, *t.shape[1:]), dtype=t.dtype, device=t.device)
        padded[:n] = t
        gathered[key] = all_gather(padded).reshape(world_size, longest, *t.shape[1:]).detach().cpu().numpy()
    return [{k: g[r, : sizes[r]] for k, g in gathered.items()} for r in range(world_size)]


def merge_ranks(
    per_rank: list[dict[str, np.ndarray]],
    *,
    id_key: str | None = None,
    interleaved_length: int | None = None,
) -> tuple[dict[str, np.ndarray], bool]:
    """One set of arrays from every process's, each instance once where that can be known.

    ``id_key``: the array holding instance ids (duplicates dropped, first kept).
    ``interleaved_length``: the dataset's length when it was split by a non-shuffling
    ``DistributedSampler`` (items reordered to dataset order, repeats dropped, ``"instance_id"``
    set to the dataset index). Returns ``(arrays, exact)``; ``exact`` is False when neither applied
    and there was more than one process.
    """
    keys = list(per_rank[0]) if per_rank else []
    if len(per_rank) == 1:
        return dict(per_rank[0]), True
    if id_key is not None:
        joined = {k: np.concatenate([p[k] for p in per_rank]) for k in keys}
        _, first = np.unique(joined[id_key], return_index=True)
        keep = np.sort(first)
        return {k: v[keep] for k, v in joined.items()}, True
    if interleaved_length is not None:
        world = len(per_rank)
        positions = np.concatenate([np.arange(len(p[keys[0]])) * world + r for r, p in enumerate(per_rank)])
        joined = {k: np.concatenate([p[k] for p in per_rank]) for k in keys}
        order = np.argsort(positions, kind="stable")
        order = order[positions[order] < interleaved_length]
        merged = {k: v[order] for k, v in joined.items()}
        merged["instance_id"] = positions[order].astype(np.int64)
        return merged, True
    return {k: np.concatenate([p[k] for p in per_rank]) for k in keys}, False
