"""Read Fashion-MNIST from the Debian package ``dataset-fashion-mnist`` (never downloaded).

The package installs the original gzip'd IDX files under ``/usr/share/datasets/fashion-mnist/``.
IDX is a tiny big-endian format: a magic number whose last byte is the number of dimensions, one
uint32 per dimension, then the raw uint8 data.
"""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DEFAULT_DIR = Path(os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist"))
CLASSES: tuple[str, ...] = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}


class DatasetMissing(RuntimeError):
    """The Fashion-MNIST files are not installed; the message says how to install them."""


@dataclass(frozen=True)
class Split:
    """One split. images: ``(N, 28, 28)`` uint8 (0 = background); labels: ``(N,)`` int64 in 0..9."""

    images: np.ndarray
    labels: np.ndarray


def _read_idx(path: Path) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path}: not an IDX file of unsigned bytes (magic {raw[:4].hex()})")
    ndim = raw[3]
    dims = np.frombuffer(raw, dtype=">u4", count=ndim, offset=4).astype(np.int64)
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise ValueError(
            f"{path}: header says {tuple(dims)} ({np.prod(dims)} bytes), found {data.size} bytes"
        )
    return data.reshape(tuple(dims))


def missing_message(folder: Path) -> str:
    return (
        f"Fashion-MNIST not found in {folder}. Install it with `apt-get install dataset-fashion-mnist` "
        "(or point FASHION_MNIST_DIR at a folder holding the four *-ubyte.gz files). "
        "This script never downloads data."
    )


def load(split: str, folder: Path | None = None) -> Split:
    """Load ``split`` ('train': 60,000 images, 'test': 10,000) from ``folder`` (default DEFAULT_DIR).

    Raises DatasetMissing with the install command if the files are absent.
    """
    folder = DEFAULT_DIR if folder is None else folder
    image_name, label_name = FILES[split]
    image_path, label_path = folder / image_name, folder / label_name
    if not image_path.is_file() or not label_path.is_file():
        raise DatasetMissing(missing_message(folder))
    images = _read_idx(image_path)
    labels = _read_idx(label_path).astype(np.int64)
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"{image_path}: {images.shape[0]} images but {labels.shape[0]} labels")
    return Split(images=images, labels=labels)


def available(folder: Path | None = None) -> bool:
    """True when all four files are installed in ``folder`` (default DEFAULT_DIR)."""
    folder = DEFAULT_DIR if folder is None else folder
    return all((folder / name).is_file() for pair in FILES.values() for name in pair)
