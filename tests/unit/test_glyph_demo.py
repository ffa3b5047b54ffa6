"""The glyph-recognition demo: real characters from the installed fonts, a valid hierarchy, a tiny run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("PIL")
pytest.importorskip("torch")

from confusionflow.data_access.hierarchy import Hierarchy, run_hierarchy  # noqa: E402
from confusionflow.data_access.run_file import read_run  # noqa: E402
from confusionflow.data_access.store import LogStore  # noqa: E402
from examples import glyphs_many_classes as glyphs  # noqa: E402

needs_fonts = pytest.mark.skipif(not glyphs.FONT_DIR.is_dir(), reason="DejaVu fonts are not installed")


def test_several_hundred_unique_classes_with_a_valid_hierarchy():
    chars = glyphs.candidate_characters()
    assert 350 <= len(chars) <= 450
    names = [glyphs.class_name(ch) for ch in chars]
    assert len(set(names)) == len(names)
    assert glyphs.class_name("А") == "А U+0410" and glyphs.class_name("A") == "A U+0041"
    entries = [(glyphs.class_name(ch), tuple(glyphs.group_path(ch).split("/")), "") for ch in chars]
    h = Hierarchy.from_entries("test", entries, names)
    assert set(h.groups(1)) == {"symbol", "digit", "latin", "greek", "cyrillic"}
    assert glyphs.group_path("À") == "latin/latin capital/A family"
    assert glyphs.group_path("ж") == "cyrillic/cyrillic small"
    assert glyphs.group_path("µ") == "symbol"


@needs_fonts
def test_renderer_draws_varied_images_and_knows_missing_glyphs():
    renderer = glyphs.Renderer(glyphs.font_files()[:2], sizes=range(11, 21))
    font = renderer.fonts[0]
    assert renderer.has_glyph(font, "A") and not renderer.has_glyph(font, "\ue001")
    rng = np.random.default_rng(0)
    a1, a2 = renderer.draw("A", font, rng), renderer.draw("A", font, rng)
    assert a1.shape == (glyphs.SIZE, glyphs.SIZE) and a1.dtype == np.uint8
    assert not np.array_equal(a1, a2)  # random size, offset, rotation and noise
    assert a1.mean() > 20  # something was drawn on the black background


@needs_fonts
@pytest.mark.slow
def test_tiny_run_logs_three_real_series_with_the_hierarchy(tmp_path: Path):
    glyphs.main(["--out", str(tmp_path), "--tiny"])
    store = LogStore(tmp_path)
    keys = [s.key for s in store.list_series()]
    assert keys == ["glyphs cnn/test", "glyphs cnn/train", "glyphs mlp/test"] and not store.problems()
    tensor = store.load(keys).tensor
    assert tensor is not None
    assert tensor.n_classes == 60 and tensor.n_steps == 2
    assert (tensor.counts.sum(axis=3)[0] == 3).all()  # 3 test images per class, every step
    run = read_run(tmp_path, "glyphs cnn")
    assert run.metadata["synthetic"] is False
    hierarchy = run_hierarchy(tmp_path / "glyphs cnn", run.classes, run.metadata)
    assert hierarchy is not None and hierarchy.depth == 3
