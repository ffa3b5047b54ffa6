"""Two imports creating the same run at the same moment: exactly one wins and its run appears
whole; the other is told the run already exists and writes nothing (no folds mixed into the
winner's run, no staging folder or lock file left behind).

Each trial starts two real processes (or threads) that wait at one barrier and then import a
table into the same run name of an empty log folder, each into its own fold, so a run holding
both folds would show that the loser was merged into the winner's run. In the main test a second
barrier holds each import just after it has checked the destination (both have seen no run and
plan to create it), so every trial is a real race, not two imports one after the other (which
for the command line, merging into existing runs, would rightly give one run with both folds).
"""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from confusionflow.app.config import Settings
from confusionflow.app.importing import ImportRequest, run_import
from confusionflow.data_access.errors import LogFormatError
from confusionflow.data_access.importers import import_counts_table, writing
from confusionflow.data_access.reader import read_series

RUN = "race"
# each contender's table: its own fold and counts, so the winner's run can be told apart
TABLES = {
    fold: "step,y_true,y_pred,count\n"
    + "".join(f"{s},a,a,{n + s}\n{s},b,b,{n}\n{s},a,b,1\n" for s in range(1, 31))
    for fold, n in (("left", 5), ("right", 9))
}
TRIALS = {"processes": 30, "threads": 10}


def _page(logdir: Path, fold: str) -> tuple[bool, str]:
    settings = Settings(logdir=logdir, cache_dir=logdir.parent / "cache", allow_upload=True)
    request = ImportRequest("race.csv", content=TABLES[fold].encode(), run=RUN, fold=fold)
    out = run_import(request, settings, lambda _p, _t: None)
    return out.ok, out.message


def _command_line(logdir: Path, fold: str) -> tuple[bool, str]:
    table = logdir.parent / f"{fold}.csv"
    try:
        import_counts_table(table, logdir, run=RUN, fold=fold)  # the default: merge into existing runs
    except LogFormatError as e:
        return False, str(e)
    return True, ""


IMPORTS: dict[str, Callable[[Path, str], tuple[bool, str]]] = {"page": _page, "command line": _command_line}


def _hold_after_the_first_destination_check(barrier: Any) -> None:
    """Make each import wait at ``barrier`` once it has checked the destination (before staging)."""
    original = writing.check_destination
    checked: set[int] = set()  # threads share the module: one first check per thread

    def check_then_wait(*args: Any, **kwargs: Any) -> frozenset[str]:
        result = original(*args, **kwargs)
        if threading.get_ident() not in checked:
            checked.add(threading.get_ident())
            barrier.wait(60)
        return result

    writing.check_destination = check_then_wait


def _contender(how: str, logdir: Path, fold: str, barrier: Any, results: Any) -> None:
    barrier.wait()
    try:
        ok, message = IMPORTS[how](logdir, fold)
    except Exception as e:  # noqa: BLE001 - reported to the test, which fails on it
        ok, message = False, f"raised {e!r}"
    results.put((fold, ok, message))


def _held_contender(how: str, logdir: Path, fold: str, barrier: Any, results: Any) -> None:
    _hold_after_the_first_destination_check(barrier)  # in this child process only
    _contender(how, logdir, fold, barrier, results)


_CHECK_DESTINATION = writing.check_destination


def _trial(how: str, runner: str, root: Path, *, hold: bool = True) -> list[tuple[str, bool, str]]:
    logdir = root / "logs"
    logdir.mkdir(parents=True)
    for fold, text in TABLES.items():
        (root / f"{fold}.csv").write_text(text)
    if runner == "processes":
        ctx = multiprocessing.get_context("fork")
        barrier: Any = ctx.Barrier(2)
        results: Any = ctx.Queue()
        target = _held_contender if hold else _contender
        workers: list[Any] = [
            ctx.Process(target=target, args=(how, logdir, fold, barrier, results)) for fold in TABLES
        ]
    else:
        import queue

        barrier, results = threading.Barrier(2), queue.Queue()
        workers = [
            threading.Thread(target=_contender, args=(how, logdir, fold, barrier, results)) for fold in TABLES
        ]
    if hold and runner == "threads":
        _hold_after_the_first_destination_check(barrier)
    try:
        for w in workers:
            w.start()
        outcomes = [results.get(timeout=120) for _ in workers]
        for w in workers:
            w.join(120)
    finally:
        writing.check_destination = _CHECK_DESTINATION
    return sorted(outcomes)


def _expected_counts(fold: str) -> list[list[list[int]]]:
    n = 5 if fold == "left" else 9
    return [[[n + s, 1], [0, n]] for s in range(1, 31)]


@pytest.mark.parametrize("runner", sorted(TRIALS))
@pytest.mark.parametrize("how", sorted(IMPORTS))
def test_of_two_imports_racing_for_one_run_exactly_one_wins_whole(
    tmp_path: Path, how: str, runner: str
) -> None:
    for trial in range(TRIALS[runner]):
        root = tmp_path / f"trial-{trial}"
        outcomes = _trial(how, runner, root)
        winners = [fold for fold, ok, _ in outcomes if ok]
        assert len(winners) == 1, (trial, outcomes)
        (loser_message,) = [m for _, ok, m in outcomes if not ok]
        assert f"run '{RUN}' already exists" in loser_message, (trial, loser_message)
        # both had checked the destination first: the loser is refused as the runs move in
        assert "while this import was being written" in loser_message, (trial, loser_message)
        logdir = root / "logs"
        (winner,) = winners
        assert sorted(p.name for p in logdir.iterdir()) == [RUN]  # no staging folder, no lock file
        run_dir = logdir / RUN
        assert sorted(p.name for p in run_dir.iterdir()) == sorted(["run.json", f"{winner}.counts.jsonl"])
        _assert_only_the_winners_run(root / "logs", winner)


def _assert_only_the_winners_run(logdir: Path, winner: str) -> None:
    assert sorted(p.name for p in logdir.iterdir()) == [RUN]  # no staging folder, no lock file
    run_dir = logdir / RUN
    assert sorted(p.name for p in run_dir.iterdir()) == sorted(["run.json", f"{winner}.counts.jsonl"])
    assert read_series(logdir, RUN, winner).counts.tolist() == _expected_counts(winner)


def test_page_imports_started_together_never_both_create_the_run(tmp_path: Path, capsys) -> None:
    """Without the second barrier: whichever check refuses the loser (before staging or as the
    runs move in), page imports, which make new runs only, never both succeed."""
    refused_by: Counter[str] = Counter()
    trials = TRIALS["processes"]
    for trial in range(trials):
        root = tmp_path / f"trial-{trial}"
        outcomes = _trial("page", "processes", root, hold=False)
        assert [ok for _, ok, _ in outcomes].count(True) == 1, (trial, outcomes)
        ((winner, _, _),) = [o for o in outcomes if o[1]]
        ((_, _, loser_message),) = [o for o in outcomes if not o[1]]
        assert f"run '{RUN}' already exists" in loser_message, (trial, loser_message)
        refused_by["moving" if "while this import was being written" in loser_message else "first check"] += 1
        _assert_only_the_winners_run(root / "logs", winner)
    with capsys.disabled():
        print(
            f"\npage imports started together, {trials} trials: the loser was refused at {dict(refused_by)}"
        )
