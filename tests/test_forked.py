"""kg.forked: a build step in a forked process, its progress relayed and its result or error
taken back as if it ran here."""

from __future__ import annotations

import os
from typing import Any

import pytest

from kg.forked import in_forked_process


def _step(progress: Any, advance: Any, n: int) -> tuple[int, int]:
    progress(f"working on {n}")
    advance(1, 2)
    advance(2, 2)
    return n * 2, os.getpid()


def _fails(progress: Any, advance: Any) -> None:
    progress("about to fail")
    raise ValueError("the base IRI must end with '/' or '#'")


def _unpicklable(progress: Any, advance: Any) -> None:
    class Local(Exception):  # a class defined here cannot be pickled
        pass

    raise Local("lost on the way")


def test_the_step_runs_in_another_process_and_its_progress_is_relayed() -> None:
    said: list[str] = []
    ticks: list[tuple[int, int]] = []
    value, pid = in_forked_process(_step, said.append, lambda d, t: ticks.append((d, t)), 21)
    assert value == 42 and pid != os.getpid()
    assert said == ["working on 21"] and ticks == [(1, 2), (2, 2)]


def test_what_the_step_raised_is_raised_here() -> None:
    said: list[str] = []
    with pytest.raises(ValueError, match="must end with"):
        in_forked_process(_fails, said.append, lambda d, t: None)
    assert said == ["about to fail"]
    with pytest.raises(RuntimeError, match="Local: lost on the way"):
        in_forked_process(_unpicklable, lambda m: None, lambda d, t: None)


def test_without_fork_the_step_runs_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KG_NO_FORK", "1")
    _, pid = in_forked_process(_step, lambda m: None, lambda d, t: None, 1)
    assert pid == os.getpid()
