"""``run.json``: a run's class list and metadata, and the one place a :class:`SeriesInfo` is built."""

from __future__ import annotations

import codecs
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from confusionflow.data_access import logformat as lf
from confusionflow.data_access.errors import LogFormatError
from confusionflow.data_access.file_bytes import read_file_bytes, text_problem
from confusionflow.data_access.tensor import SeriesInfo
from confusionflow.data_access.vocabulary import DEFAULT_STEP_NAME, check_step_name


@dataclass(frozen=True)
class RunFile:
    """The parsed ``run.json`` of one run. ``run`` is the folder name (the key users see)."""

    run: str
    classes: tuple[str, ...]
    metadata: Mapping[str, Any] = field(default_factory=dict)
    path: Path = Path()
    step_name: str = DEFAULT_STEP_NAME


def series_info(run_file: RunFile, fold: str, kind: lf.FoldKind) -> SeriesInfo:
    """The :class:`SeriesInfo` of one fold of a run: every series description is made here."""
    return SeriesInfo(
        run=run_file.run,
        fold=fold,
        classes=run_file.classes,
        metadata=run_file.metadata,
        has_instances=kind == "predictions",
        step_name=run_file.step_name,
    )


def nesting_depth(value: object, limit: int) -> int:
    """How deep JSON containers nest in ``value`` (a scalar is 0), counting no further than
    ``limit + 1``; iterative, so a hostile document cannot exhaust the interpreter's stack.

    >>> nesting_depth({"a": [1, {"b": 2}]}, 10), nesting_depth(3, 10)
    (3, 0)
    """
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: list[object] = list(item.values())
        elif isinstance(item, list):
            children = item
        else:
            continue
        depth += 1
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        stack.extend((child, depth) for child in children)
    return deepest


def parse_run_file(path: Path, data: bytes, run: str) -> RunFile:
    """Validate the bytes of a ``run.json``. Raises LogFormatError naming ``path``."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]  # some Windows editors add one; it carries no content
    if not data.strip():
        raise LogFormatError(path, "is empty (expected a JSON object with the run's classes)")
    problem = text_problem(data)
    if problem:
        raise LogFormatError(path, problem)
    try:
        obj = orjson.loads(data)
    except orjson.JSONDecodeError as e:
        raise LogFormatError(path, f"is not valid JSON: {e}") from None
    if not isinstance(obj, dict):
        raise LogFormatError(path, f"must be a JSON object, found a JSON {type(obj).__name__}")
    fmt = obj.get("format")
    if fmt != lf.FORMAT_NAME:
        raise LogFormatError(
            path, f'"format" is {fmt!r}; expected {lf.FORMAT_NAME!r} (is this a ConfusionFlow log?)'
        )
    version = obj.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise LogFormatError(path, f'"version" must be an integer, found {version!r}')
    if version > lf.FORMAT_VERSION:
        raise LogFormatError(
            path,
            f"was written in format version {version}; this program reads up to version "
            f"{lf.FORMAT_VERSION} (upgrade it)",
        )
    if version < 1:
        raise LogFormatError(path, f"unknown format version {version}")
    try:
        classes = lf.check_classes(obj.get("classes"))
    except ValueError as e:
        raise LogFormatError(path, f'"classes": {e}') from None
    metadata = obj.get("metadata", {})
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        raise LogFormatError(path, f'"metadata" must be a JSON object, found {type(metadata).__name__}')
    depth = nesting_depth(metadata, lf.MAX_METADATA_DEPTH)
    if depth > lf.MAX_METADATA_DEPTH:
        raise LogFormatError(
            path, f'"metadata" nests more than {lf.MAX_METADATA_DEPTH} levels deep; flatten it'
        )
    step_name = obj.get("step_name", DEFAULT_STEP_NAME)
    try:
        step_name = check_step_name(step_name)
    except ValueError as e:
        raise LogFormatError(path, f'"step_name": {e}') from None
    return RunFile(run=run, classes=classes, metadata=metadata, path=path, step_name=step_name)


def read_run(logdir: str | Path, run: str) -> RunFile:
    """Read and validate ``<logdir>/<run>/run.json``."""
    try:
        path = lf.run_file(logdir, run)
    except ValueError as e:
        raise LogFormatError(Path(logdir), str(e)) from None
    return parse_run_file(path, read_file_bytes(path, lf.MAX_RUN_FILE_BYTES, "a run.json"), run)
