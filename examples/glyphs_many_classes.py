"""Many classes (REAL): glyph recognition over ~400 characters, a classifier trained on the CPU.

Every image is rendered here, offline, from the DejaVu fonts the system has installed
(``/usr/share/fonts/truetype/dejavu``; Debian package ``fonts-dejavu-core``/``-extra``); the
classifier is really trained and every logged prediction is really made. The classes are the
characters of Basic Latin letters and digits, ASCII punctuation, Latin-1 and Latin Extended-A
letters, Greek and Cyrillic, each named by its character and code point (``A U+0041``,
``А U+0410``, ``Α U+0391``): Latin, Cyrillic and Greek capitals A, B, E, H, K, M, O, P, T, X look
the same in these fonts, so some confusion can never be learnt away; accented letters are
confused with their base letter at small sizes. This is the many-class workflow of the
ConfusionFlow paper on data anyone can regenerate.

Images: 24 x 24 grey, one of 21 DejaVu faces (sans, serif, mono, condensed; regular, bold,
oblique/italic) drawn at a random size (11-20 px), offset (up to 3 px), rotation (up to 10
degrees) and Gaussian noise (sd 25 of 255); a glyph a face does not have is never drawn in it.
Per class: 40 training and 12 test images.

Runs (PyTorch on the CPU, one thread by default, fixed seeds, Adam at lr 0.002, batches of 128,
15 epochs):

- ``glyphs cnn``: two 3x3 convolutions (16 and 32 channels, each followed by 2x2 max pooling)
  and a 256-unit hidden layer; ``test`` logged per instance (drill-down works), ``train`` as
  counts;
- ``glyphs mlp``: one hidden layer of 256 units on the raw pixels; ``test`` per instance. It
  has no translation invariance, so it stays far behind the CNN: "the classes on which two
  series differ most" compares them.

Hierarchy (``hierarchy.json`` beside each ``run.json``): script (``latin``, ``greek``,
``cyrillic``, ``digit``, ``symbol``) / script and case (``latin capital``) / for Latin letters
their base letter (``A family``: A, À, Á, Â, ..., Ā, Ă, Ą).

    python examples/glyphs_many_classes.py --out demo_logs        # a few minutes
    python examples/glyphs_many_classes.py --out /tmp/g --tiny    # seconds, 60 classes
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # torch is imported when training starts, so --help and the tests stay fast
    import torch

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import orjson  # noqa: E402
from PIL import Image, ImageDraw, ImageFont  # noqa: E402

from confusionflow.data_access.writer import LogWriter  # noqa: E402
from examples.common import Stopwatch, accuracy, check_new_runs, parse_args, seed_everything  # noqa: E402

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
SIZE = 24
RUN_CNN = "glyphs cnn"
RUN_MLP = "glyphs mlp"
EPOCHS = 15
BATCH = 128
LR = 0.002


def font_files(folder: Path = FONT_DIR) -> list[Path]:
    """The DejaVu text faces (the math and extra-light faces are left out)."""
    files = sorted(
        p for p in folder.glob("DejaVu*.ttf") if "Math" not in p.name and "ExtraLight" not in p.name
    )
    if not files:
        raise FileNotFoundError(f"{folder}: no DejaVu fonts (install the Debian package fonts-dejavu-core)")
    return files


def candidate_characters() -> list[str]:
    """Letters, digits and punctuation of the blocks named in the module docstring, in code point order."""
    ranges = [(0x21, 0x7E), (0xC0, 0xFF), (0x100, 0x17F), (0x391, 0x3A9), (0x3B1, 0x3C9), (0x410, 0x44F)]
    out = []
    for lo, hi in ranges:
        for cp in range(lo, hi + 1):
            ch = chr(cp)
            cat = unicodedata.category(ch)
            if cat[0] in "LNP" or cat in ("Sm", "Sc", "Sk"):
                out.append(ch)
    return out


def class_name(ch: str) -> str:
    return f"{ch} U+{ord(ch):04X}"


def group_path(ch: str) -> str:
    """``script/script case[/base family]`` for the hierarchy file."""
    name = unicodedata.name(ch)
    if ch.isdigit():
        return "digit"
    if not ch.isalpha():
        return "symbol"
    script = name.split()[0].lower()
    if script not in ("latin", "greek", "cyrillic"):  # e.g. MICRO SIGN, FEMININE ORDINAL INDICATOR
        return "symbol"
    case = "capital" if ch.isupper() else "small"
    if script != "latin":
        return f"{script}/{script} {case}"
    base = unicodedata.normalize("NFD", ch)[0]
    return f"latin/latin {case}/{base} family"


class Renderer:
    """Draws characters in every face that has them; faces are loaded once per size."""

    def __init__(self, fonts: Sequence[Path], sizes: Sequence[int]) -> None:
        self.fonts = list(fonts)
        self.faces = {(f, s): ImageFont.truetype(str(f), s) for f in self.fonts for s in sizes}
        self.sizes = list(sizes)
        # what each face draws for a private-use code point: its "no glyph" box
        self._missing = {f: self._mask(f, "\ue000") for f in self.fonts}

    def _mask(self, font: Path, ch: str) -> tuple[tuple[int, int], bytes]:
        mask = self.faces[(font, self.sizes[-1])].getmask(ch)
        return mask.size, bytes(mask)

    def has_glyph(self, font: Path, ch: str) -> bool:
        size, data = self._mask(font, ch)
        return size != (0, 0) and (size, data) != self._missing[font]

    def draw(self, ch: str, font: Path, rng: np.random.Generator) -> np.ndarray:
        """``(SIZE, SIZE)`` uint8, white glyph on black, with random size, offset, rotation, noise."""
        face = self.faces[(font, int(rng.choice(self.sizes)))]
        img = Image.new("L", (SIZE * 2, SIZE * 2), 0)
        draw = ImageDraw.Draw(img)
        left, top, right, bottom = draw.textbbox((0, 0), ch, font=face)
        dx, dy = rng.integers(-3, 4, size=2)
        x = SIZE - (left + right) / 2 + dx
        y = SIZE - (top + bottom) / 2 + dy
        draw.text((x, y), ch, fill=255, font=face)
        img = img.rotate(float(rng.uniform(-10, 10)), resample=Image.Resampling.BILINEAR)
        crop = np.asarray(
            img.crop((SIZE // 2, SIZE // 2, SIZE // 2 + SIZE, SIZE // 2 + SIZE)), dtype=np.float32
        )
        noisy = crop + rng.normal(0, 25, crop.shape)
        return np.clip(noisy, 0, 255).astype(np.uint8)


def make_data(
    chars: Sequence[str], renderer: Renderer, per_class: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """``(images (N, SIZE, SIZE) uint8, labels (N,) int64)``, ``per_class`` images per character."""
    faces = {ch: [f for f in renderer.fonts if renderer.has_glyph(f, ch)] for ch in chars}
    images = np.empty((len(chars) * per_class, SIZE, SIZE), dtype=np.uint8)
    labels = np.repeat(np.arange(len(chars)), per_class)
    for n, k in enumerate(labels):
        ch = chars[int(k)]
        images[n] = renderer.draw(ch, faces[ch][int(rng.integers(len(faces[ch])))], rng)
    return images, labels


def usable_characters(renderer: Renderer, limit: int | None) -> list[str]:
    """Candidates that at least three faces can draw (so test images vary in face)."""
    chars = [
        ch for ch in candidate_characters() if sum(renderer.has_glyph(f, ch) for f in renderer.fonts) >= 3
    ]
    return chars[:: max(1, len(chars) // limit)][:limit] if limit else chars


def build_model(kind: str, n_classes: int, seed: int) -> torch.nn.Sequential:
    """``"cnn"`` or ``"mlp"`` (see the module docstring); inputs ``(N, 1, SIZE, SIZE)`` in [0, 1]."""
    import torch
    from torch import nn

    torch.manual_seed(seed)
    if kind == "cnn":
        return nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(32 * (SIZE // 4) ** 2, 256), nn.ReLU(), nn.Linear(256, n_classes),
        )  # fmt: skip
    return nn.Sequential(nn.Flatten(), nn.Linear(SIZE * SIZE, 256), nn.ReLU(), nn.Linear(256, n_classes))


def train_epoch(
    model: torch.nn.Sequential, opt: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor, *, seed: int
) -> None:
    """One epoch of Adam on cross-entropy, batches in an order fixed by ``seed``."""
    import torch
    from torch import nn

    model.train()
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    for start in range(0, len(x), BATCH):
        idx = order[start : start + BATCH]
        opt.zero_grad()
        nn.functional.cross_entropy(model(x[idx]), y[idx]).backward()
        opt.step()


def predict(model: torch.nn.Sequential, x: torch.Tensor) -> np.ndarray:
    """``(N,)`` int64 predicted classes."""
    import torch

    model.eval()
    with torch.no_grad():
        return torch.cat([model(x[i : i + 2048]).argmax(1) for i in range(0, len(x), 2048)]).numpy()


def as_tensor(images: np.ndarray) -> torch.Tensor:
    """``(N, SIZE, SIZE)`` uint8 -> ``(N, 1, SIZE, SIZE)`` float32 tensor in [0, 1]."""
    import torch

    return torch.from_numpy(images[:, None].astype(np.float32) / 255.0)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(__doc__.splitlines()[0], argv)
    check_new_runs(args.out, [RUN_CNN, RUN_MLP])
    import torch

    from examples.torch_mlp import configure_torch

    clock = Stopwatch()
    rng = seed_everything(args.seed)
    configure_torch(args.seed, args.threads)
    renderer = Renderer(font_files(), sizes=range(11, 21))
    chars = usable_characters(renderer, 60 if args.tiny else None)
    per_train, per_test = (10, 3) if args.tiny else (40, 12)
    epochs = 2 if args.tiny else EPOCHS
    x_train, y_train = make_data(chars, renderer, per_train, rng)
    x_test, y_test = make_data(chars, renderer, per_test, rng)
    classes = [class_name(ch) for ch in chars]
    c = len(classes)
    hierarchy = orjson.dumps({class_name(ch): group_path(ch) for ch in chars}, option=orjson.OPT_INDENT_2)
    print(f"{c} classes, {len(x_train)} training / {len(x_test)} test images in {clock.seconds:.0f} s")
    xt, yt, xs = as_tensor(x_train), torch.from_numpy(y_train), as_tensor(x_test)
    test_ids = np.arange(len(x_test))
    for run, kind in ((RUN_CNN, "cnn"), (RUN_MLP, "mlp")):
        meta = {
            "synthetic": False,
            "description": "glyphs rendered from the installed DejaVu fonts; a real classifier trained on the CPU",
            "model": kind,
            "generator": "examples/glyphs_many_classes.py",
            "seed": args.seed,
        }
        model = build_model(kind, c, args.seed)
        opt = torch.optim.Adam(model.parameters(), lr=LR)
        with LogWriter(args.out, run, classes, metadata=meta) as log:
            tmp = log.path / ".hierarchy.json.tmp"
            tmp.write_bytes(hierarchy)
            tmp.replace(log.path / "hierarchy.json")  # appears complete or not at all
            for epoch in range(1, epochs + 1):
                train_epoch(model, opt, xt, yt, seed=args.seed * 1000 + epoch)
                pred_test = predict(model, xs)
                log.add(epoch, "test", y_test, pred_test, instance_ids=test_ids)
                if run == RUN_CNN:
                    pred_train = predict(model, xt)
                    counts = np.bincount(y_train * c + pred_train, minlength=c * c).reshape(c, c)
                    log.add_counts(epoch, "train", counts)
            print(
                f"{run}: test accuracy {accuracy(y_test, pred_test):.3f} after {epochs} epochs ({clock.seconds:.0f} s)"
            )


if __name__ == "__main__":
    main()
