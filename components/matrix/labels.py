"""Axis labels, hover texts, margins and diagonal class names of the matrix.

Every class and series name passes through :func:`confusionflow.components.text.plain` here, before it becomes
a category, tick, hover or annotation text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import combinations

import numpy as np

from confusionflow.components.figure_style import MUTED_COLOR, format_step
from confusionflow.components.matrix.geometry import AxisLayout, MatrixGeometry
from confusionflow.components.matrix.style import Region
from confusionflow.components.text import plain, plain_all
from confusionflow.components.wording import (
    accuracy_description,
    error_sentence,
    other_diagonal_text,
    share_phrase,
)
from confusionflow.data_access.tensor import OTHER_CLASS
from confusionflow.data_access.views import MatrixValues

ZW = "\u200b"  # zero-width space: makes repeated category labels unique without changing their look


def _uniquify(labels: list[str]) -> list[str]:
    """Make category labels unique by appending zero-width spaces (invisible in hover and ticks)."""
    seen: set[str] = set()
    out = []
    for lab in labels:
        while lab in seen:
            lab += ZW
        seen.add(lab)
        out.append(lab)
    return out


def _axis_labels(
    axis: AxisLayout,
    tile_names: Sequence[str],
    extra_name: str | None,
    inner_labels: Sequence[str],
    gap_tag: str,
) -> list[str]:
    """One label per grid unit along a categorical axis.

    Regular tile ``j`` gets ``f"{tile_names[j]} · {inner}"`` for each inner unit; the extra tile gets
    ``inner`` alone (its meaning is in the hover template); gap units get unique filler labels that
    are never shown (gaps are NaN and do not hover).
    """
    n = int(axis.total)
    labels = [""] * n
    for pos in range(n):
        labels[pos] = f"{gap_tag}{pos}"
    for j, name in enumerate(tile_names):
        s = int(axis.start(j))
        for u, lab in enumerate(inner_labels):
            labels[s + u] = f"{name} · {lab}"
    s = int(axis.start(axis.n_tiles))
    for u, lab in enumerate(inner_labels):
        labels[s + u] = lab if extra_name is None else f"{extra_name} · {lab}"
    return _uniquify(labels)


def time_labels(steps: np.ndarray, time_bin: int, step_name: str) -> list[str]:
    """``"epoch 12"`` per step, or ``"epochs 8–15"`` per time column when steps are averaged."""
    if time_bin == 1:
        return [f"{step_name} {format_step(s)}" for s in steps]
    out = []
    for lo in range(0, len(steps), time_bin):
        group = steps[lo : lo + time_bin]
        out.append(f"{step_name}s {format_step(group[0])}–{format_step(group[-1])}")
    return out


def grid_labels(values: MatrixValues, geo: MatrixGeometry, step_name: str) -> tuple[list[str], list[str]]:
    """Category labels ``(x, y)``, one per grid unit (y empty in lines mode), names escaped."""
    classes = plain_all(values.classes)
    steps = time_labels(values.steps, geo.time_bin, step_name)
    series = [plain(lab) for lab in values.series_labels for _ in range(geo.strip_rows)]
    pred = [f"pred: {c}" for c in classes]
    true = [f"true: {c}" for c in classes]
    if geo.encoding == "heatmap" and geo.rotate:
        x = _axis_labels(geo.x, pred, None, series, "\u2063x")
        y = _axis_labels(geo.y, true, None, steps, "\u2063y")
    elif geo.encoding == "heatmap":
        x = _axis_labels(geo.x, pred, None, steps, "\u2063x")
        y = _axis_labels(geo.y, true, None, series, "\u2063y")
    else:
        x = _axis_labels(geo.x, pred, None, steps, "\u2063x")
        y = []
    return x, y


def value_text(
    normalization: str | None,
    region: Region,
    value: str = "%{z",
    count: str = "%{customdata",
    *,
    binned: bool = False,
    step_name: str = "epoch",
) -> tuple[str, bool]:
    """Hover text for a value and whether the trace needs counts in ``customdata``.

    ``value``/``count`` are the opening of the placeholders holding the value and the count
    (``"%{z"``/``"%{customdata"`` for heatmaps, ``"%{customdata[0]"``/``"%{customdata[1]"`` for lines).
    ``binned``: the value is a mean over several steps, and the text says so.
    """
    mean = f" (mean over the {step_name}s)" if binned else ""
    if region == "accuracy":
        return "accuracy " + value + ":.1%}" + mean, False
    if region in ("fn", "fp"):
        return error_text(region, normalization, value, count, binned=binned, mean=mean)
    if normalization is None:
        return value + (":,.1f}" if binned else ":,.0f}") + " instances" + mean, False
    # the denominator each region is divided by (confusionflow.data_access.metrics.denominator_codes), in words
    phrase = share_phrase("cell", normalization)  # type: ignore[arg-type]
    n = count + (":,.1f}" if binned else ":,}")
    return value + ":.1%} " + phrase + " (" + n + " instances)" + mean, True


def accuracy_note(values: MatrixValues, superclasses: bool = False) -> str:
    """What the accuracy corner counts, for its hover: the share of *every* instance of the fold
    that is correct at the level of the classes shown (``confusionflow.data_access.class_totals``).

    At a hierarchy level (``superclasses``: the shown classes are groups, superclasses or deeper) a
    prediction of another class of the same group is correct; a class selection keeps the correct predictions of the
    classes not drawn; ``(other)`` is no class, so a confusion between two of the classes merged
    into it stays an error. Plain text (no user strings).
    """
    words = [("group-level accuracy: " if superclasses else "") + accuracy_description(superclasses)]
    if values.tensor.is_partial:
        words.append("every instance of the fold counts, drawn or not")
    if any(values.lumps):
        level = "groups" if superclasses else "classes"
        words.append(f"a confusion between two {level} merged into {OTHER_CLASS} stays an error")
    return "; ".join(words)


CLASS_REF = "%{text}"
"""The hover placeholder of an FN/FP point's class name (the trace's ``text``)."""


def error_text(
    region: str,
    normalization: str | None,
    value: str,
    count: str,
    *,
    binned: bool = False,
    mean: str = "",
) -> tuple[str, bool]:
    """A class's FN or FP as a sentence that names the class (the trace's ``text``) and, when
    relative, its denominator: ``"Pullover: 12 false negatives (instances of Pullover predicted as
    another class), 1.2% of the true class's instances (row total)"``."""
    sentence = error_sentence(region, CLASS_REF)
    if normalization is None:
        return f"{CLASS_REF}: {value}{':,.1f}' if binned else ':,.0f}'} {sentence}{mean}", False
    n = count + (":,.1f}" if binned else ":,}")
    share = share_phrase("fn" if region == "fn" else "fp", normalization)  # type: ignore[arg-type]
    return f"{CLASS_REF}: {n} {sentence}, {value}:.1%}} {share}{mean}", True


def heatmap_hovertemplate(region: Region, value: str) -> str:
    """A heatmap hover: the tile's sentence for FN and FP (it names the class), then where it is."""
    if region in ("fn", "fp"):
        return value + "<br>%{y}<br>%{x}<extra></extra>"
    return "%{y}<br>%{x}<br>" + value + "<extra></extra>"


MATRIX_PLOT_PX = 500  # px the C + 1 tiles share: the matrix fits beside the detail view at 1280 px
ROTATE_LABELS_ABOVE = 6  # classes above which the column names are drawn at -60 degrees


MIN_STRIP_PX = 8  # a series strip is never thinner than this: with many series the matrix grows


def tile_size_px(n_classes: int, strips: int = 1) -> int:
    """On-screen size of one tile (px): the whole matrix (C tiles, the FN/FP tile and the gaps)
    takes about ``MATRIX_PLOT_PX``, so a 3-class selection is small and 10 classes fit one screen
    with the detail view and the timeline; at least 10 px (100 classes scroll), and at least
    ``MIN_STRIP_PX`` per strip of the ``strips`` a tile is cut into (series x rows per series)."""
    return max(int(np.clip(MATRIX_PLOT_PX / (n_classes + 1.3), 10, 84)), MIN_STRIP_PX * int(strips))


def column_label_angle(n_classes: int) -> int:
    """Tick angle of the predicted-class names (degrees): flat while they fit, else -60."""
    return -60 if n_classes > ROTATE_LABELS_ABOVE else 0


MAX_TICK_CHARS = 30  # characters of a class name the margins hold (a 220 px margin at 12 px)


def tick_name(name: str) -> str:
    """A class name as its axis tick says it: whole up to ``MAX_TICK_CHARS`` characters, else cut
    with an ellipsis (every tile's hover names its classes in full). Not escaped."""
    return name if len(name) <= MAX_TICK_CHARS else name[: MAX_TICK_CHARS - 1] + "…"


def matrix_margins(classes: Sequence[str]) -> dict[str, int]:
    """Margins (px) that hold the class names: the left one the longest row name; the top one
    the column names (their height at -60 degrees, one line when flat) and the axis title. Names
    longer than ``MAX_TICK_CHARS`` are cut on the axes (:func:`tick_name`), so the margins never
    grow past that."""
    longest = max((len(tick_name(c)) for c in classes), default=4)
    side = int(np.clip(24 + 6.5 * longest, 60, 220))
    rotated = column_label_angle(len(classes)) != 0
    top = int(0.87 * (side - 24)) + 8 if rotated else 16
    return {"l": side + 24, "r": 16, "t": top + 26, "b": 16}


def class_axis(
    labels: list[str], axis: AxisLayout, names: Sequence[str], extra: str, title: str, tile_px: int
) -> dict:
    # Category axes take fractional positions: a tile of an even number of bricks has its centre
    # between two categories, and snapping to one of them (Python rounds half to even) would
    # stagger the class names up and down.
    ticks = [axis.center(j) for j in range(axis.n_tiles + 1)]
    return {
        "type": "category",
        "categoryorder": "array",
        "categoryarray": labels,
        "tickmode": "array",
        "tickvals": ticks,
        "ticktext": [*plain_all(tick_name(n) for n in names), extra],
        "showgrid": False,
        "zeroline": False,
        "ticks": "",
        "ticklabelstandoff": 6,  # names never touch the cells, whatever the width
        "tickfont": {"size": int(np.clip(tile_px * 0.8, 7, 12))},  # 100 class names must not overlap
        "title": {"text": title},
    }


CHAR_WIDTH = 0.6  # average glyph width of the UI font, in font sizes
MIN_LABEL_PX = 7


def fit_label(name: str, tile_px: int) -> tuple[str, int]:
    """The text and font size (px) that make ``name`` fit inside a tile ``tile_px`` wide.

    The font shrinks from ``tile_px / 4.5`` (at most 13 px) until the name fits in 90 % of the
    tile; at the 7 px floor a name that still does not fit is cut with an ellipsis. The axes
    always carry the full name, so a cut label only has to say which tile is which.
    """
    room = 0.9 * tile_px
    font_px = int(np.clip(tile_px / 4.5, MIN_LABEL_PX, 13))
    font_px = max(MIN_LABEL_PX, min(font_px, int(room / (CHAR_WIDTH * max(len(name), 1)))))
    fits = int(room / (CHAR_WIDTH * font_px))
    text = name if len(name) <= fits else name[: max(fits - 1, 1)] + "…"
    return text, font_px


LINE_HEIGHT = 1.25  # a text line's height, in font sizes
MAX_LINES = 3
MAX_WRAPPED_WORDS = 12  # names of more pieces are not wrapped (bounded work per name)


def _pieces(name: str) -> list[tuple[str, bool]]:
    """``name`` as the pieces a line may break between: words, and the parts of a hyphenated word
    (the hyphen stays at the end of its line). Each with whether a space comes before it."""
    out: list[tuple[str, bool]] = []
    for word in name.split():
        parts = re.findall(r"[^-]+-*|-+", word)
        out.extend((part, k == 0 and bool(out)) for k, part in enumerate(parts))
    return out


def _wrappings(pieces: list[tuple[str, bool]], n_lines: int) -> list[list[str]]:
    """Every way of breaking ``pieces`` into ``n_lines`` lines, in order."""
    out = []
    for cuts in combinations(range(1, len(pieces)), n_lines - 1):
        bounds = (0, *cuts, len(pieces))
        out.append(
            [
                "".join(
                    (" " if space and k > a else "") + text for k, (text, space) in enumerate(pieces[a:b], a)
                )
                for a, b in zip(bounds, bounds[1:], strict=False)
            ]
        )
    return out


def fit_lines(name: str, tile_px: int, tile_h_px: float | None = None) -> tuple[list[str], int, bool]:
    """The lines, font size (px) and whether the name was cut, to show ``name`` inside a tile
    ``tile_px`` wide and ``tile_h_px`` high (default: square).

    One line when :func:`fit_label` shows the whole name; else the name broken into
    2..``MAX_LINES`` lines at spaces and after hyphens (the break that keeps the longest line
    shortest), in the largest font that fits the tile's width and height, at least the 7 px
    floor. Only when no break fits is the name cut (:func:`fit_label`'s single line with an ellipsis, ``cut`` True): the caller then
    puts the whole name in the label's hover.
    """
    text, font_px = fit_label(name, tile_px)
    if text == name:
        return [name], font_px, False
    words = _pieces(name)
    if 1 < len(words) <= MAX_WRAPPED_WORDS:
        room_w, room_h = 0.9 * tile_px, 0.9 * (tile_h_px if tile_h_px is not None else tile_px)
        start = int(np.clip(tile_px / 4.5, MIN_LABEL_PX, 13))
        for n_lines in range(2, min(len(words), MAX_LINES) + 1):
            lines = min(_wrappings(words, n_lines), key=lambda ls: max(len(x) for x in ls))
            longest = max(len(x) for x in lines)
            size = min(start, int(room_w / (CHAR_WIDTH * longest)), int(room_h / (LINE_HEIGHT * n_lines)))
            if size >= MIN_LABEL_PX:
                return lines, size, False
    return [text], font_px, True


def diagonal_text(name: str, lump: bool) -> str:
    """What a diagonal tile holds (``name`` already escaped): correct predictions of the class, or
    for a lump such as ``(other)`` its members' correct predictions *and* their confusions."""
    return other_diagonal_text(name) if lump else f"{name}: correct predictions"


def diagonal_annotations(
    names: Sequence[str], geo: MatrixGeometry, tile_px: int, lumps: Sequence[bool] = ()
) -> list[dict]:
    """Class names in the diagonal tiles, whole (on up to ``MAX_LINES`` lines) wherever the tile
    holds them (:func:`fit_lines`); none when tiles are too small to hold readable text (the axes
    still name every class, and the empty diagonal stays visible). A lump's label (``(other)``)
    says on hover what its tile holds, a cut name its whole self."""
    if tile_px < 24:
        return []
    # ``tile_px`` is a tile's pitch on screen; the tile's own height is its share of the pitch
    # along y (the series strips, or the line tile, without the gap)
    height_px = tile_px * geo.y.inner / geo.y.pitch
    out = []
    for i, name in enumerate(names):
        lines, font_px, cut = fit_lines(name, int(tile_px), height_px)
        annotation: dict[str, object] = {
            "x": geo.x.center(i),
            "y": geo.y.center(i) if geo.encoding == "heatmap" else geo.y.start(i) + geo.y.inner / 2,
            "xref": "x",
            "yref": "y",
            "text": "<br>".join(plain(line) for line in lines),
            "showarrow": False,
            "font": {"size": font_px, "color": MUTED_COLOR},
        }
        if i < len(lumps) and lumps[i]:
            annotation["hovertext"] = diagonal_text(plain(name), True)
        elif cut:  # a name cut to fit its tile: the whole name on hover
            annotation["hovertext"] = plain(name)
        out.append(annotation)
    return out
