"""How the matrix is drawn: encoding, orientation, brightness scale and the selected epoch."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

Encoding = Literal["heatmap", "lines"]
Scale = Literal["linear", "log"]
Region = Literal["cell", "fn", "fp", "accuracy"]
REGIONS: tuple[Region, ...] = ("cell", "fn", "fp", "accuracy")


@dataclass(frozen=True)
class MatrixStyle:
    """How the matrix is drawn. ``epoch`` is a logged step number (not an index) or None."""

    encoding: Encoding = "heatmap"
    rotate: bool = False
    scale: Scale = "linear"
    gamma: float = 1.0
    epoch: float | None = None

    def __post_init__(self) -> None:
        if self.encoding not in ("heatmap", "lines"):
            raise ValueError(f"encoding must be 'heatmap' or 'lines', not {self.encoding!r}")
        if self.scale not in ("linear", "log"):
            raise ValueError(f"scale must be 'linear' or 'log', not {self.scale!r}")
        if not (math.isfinite(self.gamma) and self.gamma > 0):
            raise ValueError(f"gamma must be a positive number, not {self.gamma!r}")


def parse_encoding(value: object) -> Encoding:
    """A toolbar or URL value as an encoding: ``"lines"``, else the default ``"heatmap"``."""
    return "lines" if value == "lines" else "heatmap"


def parse_scale(value: object) -> Scale:
    """A toolbar or URL value as a brightness scale: ``"log"``, else the default ``"linear"``."""
    return "log" if value == "log" else "linear"
