"""Rewrite references to the top-level ``app``/``components``/``data_access`` modules to ``confusionflow.*``.

    python scripts/rewrite_imports.py           # rewrite in place, list the files changed
    python scripts/rewrite_imports.py --check   # change nothing; exit 1 if a file would change

The installed package is ``confusionflow`` (``confusionflow.app`` is the ``app/`` folder, and so on),
so every module of the source tree refers to the others by their ``confusionflow.`` names; in a
checkout ``confusionflow/__init__.py`` maps them to the folders beside it. Running the script again
changes nothing (it is idempotent), so it can be re-run after any merge.

What it rewrites, in every tracked text file (Python, Markdown, shell, YAML, Dockerfile, CI script):

- Python import statements: ``from app.x import y``, ``from data_access import z``,
  ``import components.ids as ids`` -> ``from confusionflow.app.x import y`` and so on. A bare
  ``import app.x`` without ``as`` cannot be rewritten without changing the code that uses it: the
  script names it and exits with status 2, changing nothing.
- Dotted module names in strings, comments, docstrings and documents: ``app.wsgi:application``,
  ``celery -A app.jobs``, ``python -m data_access.importers``, ``:mod:`data_access.writer```. A name
  is rewritten only when its module exists in the tree (and, after ``app.``, only when the whole
  dotted name is a module or a module's top-level name, so ``app.config.routes_pathname_prefix`` —
  Dash's attribute — stays). In Python files, code outside strings and comments is never touched
  except for import statements (``app.server`` there is a variable).
- ``python -m app`` / ``[..., "-m", "app", ...]`` -> ``python -m confusionflow.app``.

Then ``ruff check --select I --fix`` re-sorts and re-wraps the imports of the files it changed.
"""

from __future__ import annotations

import argparse
import ast
import io
import re
import shutil
import subprocess
import sys
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "confusionflow"
TOP = ("app", "components", "data_access")
TEXT_SUFFIXES = {".py", ".md", ".sh", ".yml", ".yaml", ".toml", ".txt", ".cfg", ".ini", ".rst"}
TEXT_NAMES = {"Dockerfile", "run"}
SKIP_PREFIXES = ("demo_logs/", ".venv/")
SELF = Path(__file__).resolve()

_TOP_RE = "|".join(TOP)
_FROM_IMPORT = re.compile(
    rf"^(?P<indent>[ \t]*)from[ \t]+(?P<mod>(?:{_TOP_RE})(?:\.\w+)*)[ \t]+import\b", re.M
)
_IMPORT = re.compile(
    rf"^(?P<indent>[ \t]*)import[ \t]+(?P<mod>(?:{_TOP_RE})(?:\.\w+)*)(?!\w)(?P<rest>[^\n]*)", re.M
)
_DOTTED = re.compile(rf"(?<![\w./\-])(?P<name>(?:{_TOP_RE})(?:\.\w+)+)")
_DASH_M = re.compile(r"(?P<pre>-m[ \t]+)app(?![\w./\-])")
_DASH_M_LIST = re.compile(r"""(?P<pre>(["'])-m\2,[ \t]*)(?P<q>["'])app(?P=q)""")


@dataclass(frozen=True)
class ModuleIndex:
    """Dotted module names of the tree (``app``, ``app.config``, ...) and each module's top-level names."""

    modules: frozenset[str]
    top_names: dict[str, frozenset[str]]

    def resolve(self, dotted: str) -> str | None:
        """The rewritten form of ``dotted``, or None to leave it as it is."""
        parts = dotted.split(".")
        longest = 0
        for i in range(len(parts), 0, -1):
            if ".".join(parts[:i]) in self.modules:
                longest = i
                break
        if longest == 0:
            return None
        module = ".".join(parts[:longest])
        rest = parts[longest:]
        if parts[0] == "app":
            if longest == 1:
                return None  # ``app.server``, ``app.layout``: the Dash object, not a module
            if rest and rest[0] not in self.top_names.get(module, frozenset()):
                return None  # ``app.config.routes_pathname_prefix``: an attribute of a Dash app
        return f"{PACKAGE}.{dotted}"


def build_index(root: Path = ROOT) -> ModuleIndex:
    modules: set[str] = set()
    top_names: dict[str, frozenset[str]] = {}
    for top in TOP:
        base = root / top
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*.py")):
            rel = path.relative_to(root).with_suffix("")
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            name = ".".join(parts)
            modules.add(name)
            top_names[name] = _top_level_names(path)
    return ModuleIndex(frozenset(modules), top_names)


def _top_level_names(path: Path) -> frozenset[str]:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (SyntaxError, UnicodeDecodeError):
        return frozenset()
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return frozenset(names)


def rewrite_prose(text: str, index: ModuleIndex) -> str:
    """Dotted module names and ``-m app`` in free text (a document, a string, a comment)."""

    def dotted(m: re.Match[str]) -> str:
        return index.resolve(m.group("name")) or m.group(0)

    text = _DOTTED.sub(dotted, text)
    text = _DASH_M.sub(lambda m: f"{m.group('pre')}{PACKAGE}.app", text)
    return _DASH_M_LIST.sub(lambda m: f"{m.group('pre')}{m.group('q')}{PACKAGE}.app{m.group('q')}", text)


class UnsafeImport(ValueError):
    """A bare ``import app.x`` (no ``as``): rewriting it would break the code that uses ``app.x``."""


def rewrite_python(text: str, index: ModuleIndex, where: str = "<text>") -> str:
    """Import statements in code, and prose rewriting inside strings and comments only."""
    out: list[str] = []
    pos = 0
    for start, end, after_dash_m in _string_and_comment_spans(text):
        out.append(_rewrite_code(text[pos:start], where))
        literal = text[start:end]
        if after_dash_m and literal in ('"app"', "'app'"):  # [python, "-m", "app", ...]
            out.append(f"{literal[0]}{PACKAGE}.app{literal[0]}")
        else:
            out.append(rewrite_prose(literal, index))
        pos = end
    out.append(_rewrite_code(text[pos:], where))
    return "".join(out)


def _rewrite_code(code: str, where: str) -> str:
    for m in _IMPORT.finditer(code):
        if not re.match(r"[ \t]+as[ \t]+\w+[ \t]*(#.*)?$", m.group("rest")):
            raise UnsafeImport(f"{where}: `{m.group(0).strip()}` needs `import ... as NAME` to be rewritten")
    code = _FROM_IMPORT.sub(lambda m: f"{m.group('indent')}from {PACKAGE}.{m.group('mod')} import", code)
    return _IMPORT.sub(
        lambda m: f"{m.group('indent')}import {PACKAGE}.{m.group('mod')}{m.group('rest')}", code
    )


def _string_and_comment_spans(text: str) -> list[tuple[int, int, bool]]:
    """``(start, end, after_dash_m)`` of every string literal and comment, in order.

    ``after_dash_m``: the literal is the next item after a ``"-m"`` literal in a list or call.
    """
    line_starts = [0]
    for line in text.splitlines(keepends=True):
        line_starts.append(line_starts[-1] + len(line))

    def offset(row_col: tuple[int, int]) -> int:
        return line_starts[row_col[0] - 1] + row_col[1]

    skip = {tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT}
    spans = []
    previous: list[str] = []  # the last two significant tokens
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type in (tokenize.STRING, tokenize.COMMENT):
            after_dash_m = tok.type == tokenize.STRING and previous[-2:] in (['"-m"', ","], ["'-m'", ","])
            spans.append((offset(tok.start), offset(tok.end), after_dash_m))
        if tok.type not in skip:
            previous = [*previous[-1:], tok.string]
    return spans


def rewrite_file(path: Path, index: ModuleIndex) -> str | None:
    """The new text of ``path``, or None when it does not change."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None
    rel = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
    new = rewrite_python(text, index, rel) if path.suffix == ".py" else rewrite_prose(text, index)
    return None if new == text else new


def candidate_files(root: Path = ROOT) -> Iterable[Path]:
    listed = (
        subprocess.run(["git", "ls-files", "-z"], cwd=root, check=True, capture_output=True)
        .stdout.decode()
        .split("\0")
    )
    for rel in sorted(filter(None, listed)):
        if rel.startswith(SKIP_PREFIXES):
            continue
        path = root / rel
        if path.resolve() == SELF or not path.is_file() or path.is_symlink():
            continue
        if path.suffix in TEXT_SUFFIXES or path.name in TEXT_NAMES:
            yield path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file would change")
    parser.add_argument(
        "paths", nargs="*", type=Path, help="files to rewrite (default: every tracked text file)"
    )
    args = parser.parse_args(argv)
    index = build_index()
    files = [p.resolve() for p in args.paths] or list(candidate_files())
    try:
        changes = {p: new for p in files if (new := rewrite_file(p, index)) is not None}
    except UnsafeImport as e:
        print(f"rewrite_imports: {e}; nothing was changed", file=sys.stderr)
        return 2
    for path, new in changes.items():
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
        if not args.check:
            path.write_text(new, encoding="utf-8")
    if not args.check:
        sort_imports([p for p in changes if p.suffix == ".py"])
    return 1 if args.check and changes else 0


def sort_imports(paths: list[Path]) -> None:
    """Re-sort and re-wrap the rewritten imports (longer names can pass the line limit) with ruff."""
    if not paths:
        return
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        print("rewrite_imports: ruff not found; run `ruff check --select I --fix` on the files above")
        return
    subprocess.run(
        [ruff, "check", "--quiet", "--select", "I", "--fix", *map(str, paths)], cwd=ROOT, check=False
    )


if __name__ == "__main__":
    sys.exit(main())
