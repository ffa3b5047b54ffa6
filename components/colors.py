"""Series colours: colour-blind safe and stable while series come and go.

The first eight are Okabe & Ito's palette (distinguishable under the common colour-vision
deficiencies), reordered so the first few are also far apart in lightness and none is too pale to
read as a thin strip on white; yellow comes late because it vanishes on white. The next four are
from Paul Tol's "muted" scheme. Past twelve, colours repeat: the chip legend still names every
series, and the README says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#444444",  # near black
    "#C9B800",  # darkened yellow, readable on white
    "#882255",  # wine
    "#332288",  # indigo
    "#999933",  # olive
    "#44AA99",  # teal
)


def assign_slots(keys: Iterable[str], previous: Mapping[str, int] | None = None) -> dict[str, int]:
    """Palette slot per series key.

    A key that already had a slot keeps it, so adding or removing another series never recolours
    this one; a new key takes the lowest free slot.
    """
    previous = dict(previous or {})
    keys = list(dict.fromkeys(keys))
    out = {k: previous[k] for k in keys if k in previous}
    used = set(out.values())
    slot = 0
    for k in keys:
        if k in out:
            continue
        while slot in used:
            slot += 1
        out[k] = slot
        used.add(slot)
    return out


def slot_color(slot: int) -> str:
    return PALETTE[slot % len(PALETTE)]


def hex_to_rgb(color: str) -> tuple[int, int, int]:
    c = color.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def rgba(color: str, alpha: float) -> str:
    r, g, b = hex_to_rgb(color)
    return f"rgba({r},{g},{b},{alpha:.3g})"
