"""Run one step of the build in a forked process and take back its result: what the step held
(a large corpus, read and resolved) is given back to the system when the process ends, which
a Python process cannot do for memory its objects fragmented. The step's progress calls are
relayed to the caller's as they happen. Where processes cannot be forked (Windows), or with
``KG_NO_FORK=1``, the step runs in this process.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["in_forked_process"]

T = TypeVar("T")
Progress = Callable[[str], None]
Advance = Callable[[int, int], None]


def in_forked_process(
    step: Callable[..., T], progress: Progress, advance: Advance, *args: Any
) -> T:
    """``step(progress, advance, *args)`` in a forked process: its value (pickled back), or
    what it raised."""
    import multiprocessing

    if os.environ.get("KG_NO_FORK") or "fork" not in multiprocessing.get_all_start_methods():
        return step(progress, advance, *args)
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(send, step, args), name="kg-build-step")
    process.start()
    send.close()
    try:
        while True:
            try:
                kind, value = receive.recv()
            except EOFError:
                process.join()
                raise RuntimeError(
                    f"the build step ended (exit code {process.exitcode}) without a result"
                ) from None
            if kind == "progress":
                progress(value)
            elif kind == "advance":
                advance(*value)
            else:
                process.join()
                if kind == "raised":
                    raise value
                return value  # type: ignore[no-any-return]
    finally:
        receive.close()
        if process.is_alive():  # the caller was interrupted (on Ctrl-C, the step was too)
            process.join(timeout=_GRACE)
            if process.is_alive():  # interrupted alone: the step stops its workers likewise
                os.kill(process.pid, signal.SIGINT)
                process.join(timeout=_GRACE)
            if process.is_alive():
                process.kill()
                process.join()


_GRACE = 5.0  # seconds an interrupted step has to stop its workers


def _child(send: Any, step: Callable[..., Any], args: tuple[Any, ...]) -> None:
    def progress(message: str) -> None:
        send.send(("progress", message))

    def advance(done: int, total: int) -> None:
        send.send(("advance", (done, total)))

    try:
        send.send(("returned", step(progress, advance, *args)))
    except BaseException as error:  # handed to the caller, as if the step ran there
        try:
            send.send(("raised", error))
        except Exception:  # an exception that cannot be pickled: its text
            send.send(("raised", RuntimeError(f"{type(error).__name__}: {error}")))
    finally:
        send.close()
