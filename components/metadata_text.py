"""A run's metadata as readable key/value text, for tooltips (never Python reprs).

Nested mappings are flattened into dotted keys (``folds.train.size: 1000``), lists are joined
with commas, numbers keep their usual short form, ``None`` reads "none". The result is bounded:
at most ``max_lines`` lines of at most ``max_chars`` characters each, with a last line saying how
many were left out.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

SKIPPED_KEYS = ("superclasses",)  # shown by the class options, not as text
MAX_LINES = 20
MAX_CHARS = 120


def _value_text(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(_value_text(v) for v in value) if value else "(empty)"
    return str(value)


def _pairs(metadata: Mapping[Any, object], prefix: str, depth: int) -> Iterator[tuple[str, str]]:
    for key in sorted(metadata, key=str):
        name = f"{prefix}{key}"
        value = metadata[key]
        if isinstance(value, Mapping) and value and depth < 4:
            yield from _pairs(value, f"{name}.", depth + 1)
        elif isinstance(value, Mapping):
            yield name, "(empty)" if not value else "…"
        else:
            yield name, _value_text(value)


def metadata_lines(
    metadata: Mapping[str, object],
    *,
    skip: Sequence[str] = SKIPPED_KEYS,
    max_lines: int = MAX_LINES,
    max_chars: int = MAX_CHARS,
) -> list[str]:
    """``["key: value", ...]`` sorted by key, nested keys dotted, bounded as the module says.

    >>> metadata_lines({"lr": 0.01, "folds": {"train": {"size": 1000}}, "tags": ["a", "b"]})
    ['folds.train.size: 1000', 'lr: 0.01', 'tags: a, b']
    """
    shown = {k: v for k, v in metadata.items() if k not in skip}
    lines: list[str] = []
    pairs = list(_pairs(shown, "", 0))
    for name, value in pairs[:max_lines]:
        line = f"{name}: {value}"
        lines.append(line if len(line) <= max_chars else line[: max_chars - 1] + "…")
    if len(pairs) > max_lines:
        lines.append(f"… and {len(pairs) - max_lines} more")
    return lines


def metadata_tooltip(label: str, n_classes: int | None, metadata: Mapping[str, object]) -> str:
    """A series' tooltip: its label (and class count), then one ``key: value`` line each.

    >>> print(metadata_tooltip("a / test", 3, {"lr": 0.1}))
    a / test — 3 classes
    lr: 0.1
    """
    head = label if n_classes is None else f"{label} — {n_classes} classes"
    return "\n".join([head, *metadata_lines(metadata)])
