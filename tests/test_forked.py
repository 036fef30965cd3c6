"""kg.forked: a build step in a forked process, its progress relayed and its result or error
taken back as if it ran here."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sources_helpers import make_corpus  # tests/ is on sys.path

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


@pytest.mark.slow
@pytest.mark.parametrize("whole_group", [True, False], ids=["ctrl-c", "kill-int-main"])
def test_an_interrupted_build_stops_at_once_and_leaves_no_process(
    tmp_path: Path, whole_group: bool
) -> None:
    """Ctrl-C (SIGINT to the whole process group), or SIGINT to the build alone, while the
    fragments are built: the build ends within seconds, and no worker is left behind."""
    (tmp_path / "copies").mkdir()
    make_corpus(9, tmp_path / "copies")
    command = [sys.executable, "-m", "kg", "build", "--sources", str(tmp_path / "copies")]
    build = subprocess.Popen(
        [*command, "--out", str(tmp_path / "out"), "--reasoner", "none", "--jobs", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, as a terminal gives a command
        # Ctrl-C's default handling, even where the tests run with SIGINT ignored (a
        # background job of a shell): the build would then inherit the ignoring
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert build.stdout is not None
    for line in build.stdout:  # progress lines come as each stage starts
        if "building" in line and "fragments" in line:
            break
    time.sleep(1.5)  # the workers are busy with the first fragments
    (os.killpg if whole_group else os.kill)(build.pid, signal.SIGINT)
    started = time.monotonic()
    build.wait(timeout=60)
    assert time.monotonic() - started < 15
    assert build.returncode != 0
    time.sleep(1)
    left = subprocess.run(["pgrep", "-g", str(build.pid)], capture_output=True, text=True)
    assert left.stdout.split() == [], "processes of the interrupted build are still running"
