"""Long class names in the matrix: whole wherever the tile or the margin holds them, and where one
must be cut, the whole name is on hover."""

from __future__ import annotations

import numpy as np
import pytest

from confusionflow.components.colors import PALETTE
from confusionflow.components.matrix import MatrixStyle, build_matrix_figure
from confusionflow.components.matrix.labels import CHAR_WIDTH, LINE_HEIGHT, MAX_TICK_CHARS, fit_lines
from confusionflow.data_access.views import matrix_values
from tests.factories import make_tensor, random_counts

# CIFAR-100's superclasses (the demo's), and one ImageNet class name
SUPERCLASSES = (
    "aquatic mammals",
    "fish",
    "large man-made outdoor things",
    "insects",
    "people",
    "trees",
    "flowers",
    "medium-sized mammals",
)
IMAGENET = "Staffordshire bullterrier, Staffordshire bull terrier"


def diagonal(fig) -> list[tuple[str, str | None]]:
    """Per diagonal label, in order of the classes: its text and hover text."""
    return [(a.text, a.hovertext) for a in fig.layout.annotations if a.xref == "x"]


def figure(names: tuple[str, ...], n_series: int = 1, style: MatrixStyle | None = None):
    c = len(names)
    counts = random_counts((n_series, 3, c, c), seed=4)
    runs = tuple(f"run{i}" for i in range(n_series))
    tensor = make_tensor(counts, np.arange(3, dtype=float), names, runs)
    return build_matrix_figure(matrix_values(tensor), PALETTE, style or MatrixStyle())


@pytest.mark.parametrize("n_series", [1, 2])
@pytest.mark.parametrize("style", [MatrixStyle(), MatrixStyle(encoding="lines")])
def test_a_two_word_superclass_is_shown_whole_on_two_lines(n_series: int, style: MatrixStyle) -> None:
    labels = diagonal(figure(SUPERCLASSES, n_series, style))
    assert labels[0] == ("aquatic<br>mammals", None)  # not "aquati…"
    assert labels[1] == ("fish", None)
    assert labels[7] == ("medium-<br>sized<br>mammals", None)  # broken after its hyphen


def test_a_name_no_tile_can_hold_is_cut_and_hovers_its_whole_name() -> None:
    text, hover = diagonal(figure(SUPERCLASSES))[2]
    assert text.endswith("…") and "large man-made outdoor things".startswith(text[:-1])
    assert hover == "large man-made outdoor things"


@pytest.mark.parametrize("tile_px", [24, 40, 53, 84])
@pytest.mark.parametrize("name", ["aquatic mammals", "large man-made outdoor things", IMAGENET, "cat"])
def test_wrapped_lines_fit_the_tile_width_and_height(name: str, tile_px: int) -> None:
    height = 0.8 * tile_px
    lines, font_px, cut = fit_lines(name, tile_px, height)
    assert 7 <= font_px <= 13
    assert all(len(line) * CHAR_WIDTH * font_px <= 0.9 * tile_px for line in lines)
    assert len(lines) * LINE_HEIGHT * font_px <= 0.9 * height or len(lines) == 1
    if cut:
        assert lines[0].endswith("…") and name.startswith(lines[0][:-1])
    else:
        assert "".join(lines).replace(" ", "") == name.replace(" ", "")  # every character, in order


def test_axis_names_are_whole_up_to_what_the_margin_holds_and_tile_hovers_name_them_all() -> None:
    names = (*SUPERCLASSES[:3], IMAGENET)
    fig = figure(names)
    ticks = list(fig.layout.yaxis.ticktext)
    assert ticks[:3] == list(SUPERCLASSES[:3])  # 29 characters: whole
    assert len(IMAGENET) > MAX_TICK_CHARS
    assert ticks[3] == IMAGENET[: MAX_TICK_CHARS - 1] + "…"
    assert list(fig.layout.xaxis.ticktext)[3] == ticks[3]
    # the tiles' hover labels (the categories) carry the whole name
    assert any(IMAGENET in label for label in fig.layout.yaxis.categoryarray)
    assert any(IMAGENET in label for label in fig.layout.xaxis.categoryarray)
    # the margin is sized for the cut name, not the whole one
    assert fig.layout.margin.l == figure((*SUPERCLASSES[:3], IMAGENET[:MAX_TICK_CHARS])).layout.margin.l
