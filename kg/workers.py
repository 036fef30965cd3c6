"""Queries in child processes, so that a runaway query can be stopped.

Neither rdflib nor pyoxigraph can interrupt a running query, so each worker process holds
its own copy of the graph and does all the work on a query text (checking it included);
when a query overruns its time limit, or its memory limit kills the worker, the worker is
replaced in the background and the caller gets :class:`QueryTimeout` or :class:`QueryFailed`.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import queue
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from kg.engine import Outcome, ResultTooLarge, Term
from kg.sparql import QueryError, QueryRefused

__all__ = ["QueryFailed", "QueryTimeout", "WorkerPool"]

log = logging.getLogger("kg.workers")
_CONTEXT = mp.get_context("spawn")  # no fork of a threaded server


class QueryTimeout(RuntimeError):
    """The query ran past its time limit and was stopped."""


class QueryFailed(RuntimeError):
    """The engine raised something other than a syntax, refusal or size error."""


@dataclass(frozen=True)
class _Job:
    text: str
    bindings: dict[str, Term]
    max_results: int | None
    max_chars: int | None
    allow_remote: bool


@dataclass(frozen=True)
class _Setup:
    files: list[str]
    ontology: bool
    engine: str
    memory_mb: int | None


def _limit_memory(megabytes: int | None) -> None:
    if not megabytes:
        return
    try:
        import resource
    except ImportError:  # not on this platform
        return
    limit = megabytes * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _serve(conn: Connection, setup: _Setup) -> None:
    """Child process: load the graph once, then answer jobs until the pipe closes."""
    from kg.api import KnowledgeGraph  # imported here: the child starts from scratch
    from kg.engine import load_engine

    # rdflib's parser recurses per triple pattern: the default limit refuses ~200 patterns;
    # a worker may go deeper (should its stack overflow, the pool replaces it)
    sys.setrecursionlimit(20_000)
    try:
        _limit_memory(setup.memory_mb)
        files = [Path(f) for f in setup.files]
        engine = KnowledgeGraph(load_engine(files, setup.engine), ontology=setup.ontology).engine
    except Exception as error:  # reported to the parent, which raises it
        conn.send(("load-error", f"{type(error).__name__}: {error}"))
        return
    conn.send(("ready", engine.triple_count()))
    while True:
        try:
            job: _Job = conn.recv()
        except EOFError:
            return
        try:
            outcome = engine.run(
                job.text,
                job.bindings,
                max_results=job.max_results,
                max_chars=job.max_chars,
                allow_remote=job.allow_remote,
            )
        except QueryError as error:
            conn.send(("syntax", (error.message, error.line, error.column)))
        except QueryRefused as error:
            conn.send(("refused", str(error)))
        except ResultTooLarge as error:
            conn.send(("too-large", (error.cap, error.unit)))
        except MemoryError:
            conn.send(("failed", "the query needed more memory than this service allows"))
        except Exception as error:
            conn.send(("failed", f"{type(error).__name__}: {error}"))
        else:
            conn.send(("ok", outcome))


class _Worker:
    def __init__(self, setup: _Setup, load_timeout: float) -> None:
        self.setup, self.load_timeout = setup, load_timeout
        self.triples = 0
        self._start()

    def _start(self) -> None:
        parent, child = _CONTEXT.Pipe()
        self.process = _CONTEXT.Process(target=_serve, args=(child, self.setup), daemon=True)
        self.process.start()
        child.close()
        self.conn = parent
        if not parent.poll(self.load_timeout):
            self.stop()
            raise RuntimeError(f"the query worker did not load the graph in {self.load_timeout} s")
        try:
            status, payload = parent.recv()
        except EOFError:
            self.stop()
            raise RuntimeError("the query worker died while loading the graph") from None
        if status != "ready":
            self.stop()
            raise RuntimeError(payload)
        self.triples = payload

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()

    def restart(self) -> None:
        self.stop()
        self._start()

    def run(self, job: _Job, timeout: float) -> Outcome:
        """The outcome; on QueryTimeout or QueryFailed from a dead worker, call restart()."""
        try:
            self.conn.send(job)
            if not self.conn.poll(timeout):
                self.stop()
                raise QueryTimeout(
                    f"the query ran past the time limit of {timeout:g} s and was stopped"
                )
            status, payload = self.conn.recv()
        except (EOFError, BrokenPipeError, ConnectionResetError):
            self.stop()
            raise _WorkerDied("the query stopped its worker (out of memory?)") from None
        if status == "ok":
            return payload
        if status == "syntax":
            raise QueryError(*payload)
        if status == "refused":
            raise QueryRefused(payload)
        if status == "too-large":
            raise ResultTooLarge(*payload)
        raise QueryFailed(payload)


class _WorkerDied(QueryFailed):
    pass


class WorkerPool:
    """A fixed set of worker processes over the same graph files (``engine``: see ENGINES).

    ``memory_mb`` limits each worker's address space (None: no limit).
    """

    def __init__(
        self,
        files: Sequence[Path],
        *,
        size: int = 2,
        ontology: bool = True,
        load_timeout: float = 300.0,
        engine: str = "pyoxigraph",
        memory_mb: int | None = None,
    ) -> None:
        setup = _Setup([str(f) for f in files], ontology, engine, memory_mb)
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: list[_Worker] = []
        self._closed = False
        for _ in range(max(1, size)):
            worker = _Worker(setup, load_timeout)
            self._all.append(worker)
            self._idle.put(worker)

    @property
    def triples(self) -> int:
        return self._all[0].triples

    def run(
        self,
        text: str,
        bindings: dict[str, Term] | None = None,
        *,
        timeout: float = 10.0,
        max_results: int | None = None,
        max_chars: int | None = None,
        allow_remote: bool = False,
        wait: float = 30.0,
    ) -> Outcome:
        """Run a query on the next free worker; QueryTimeout after ``timeout`` seconds."""
        try:
            worker = self._idle.get(timeout=wait)
        except queue.Empty:
            raise QueryTimeout(f"all query workers stayed busy for {wait:g} s") from None
        job = _Job(text, dict(bindings or {}), max_results, max_chars, allow_remote)
        try:
            outcome = worker.run(job, timeout)
        except (QueryTimeout, _WorkerDied):
            # answer now; the replacement loads the graph in the background
            threading.Thread(target=self._replace, args=(worker,), daemon=True).start()
            raise
        except BaseException:
            self._idle.put(worker)
            raise
        self._idle.put(worker)
        return outcome

    def _replace(self, worker: _Worker) -> None:
        if self._closed:
            return
        try:
            worker.restart()
        except Exception:
            log.exception("could not restart a query worker; the pool is one worker smaller")
            return
        self._idle.put(worker)

    def close(self) -> None:
        self._closed = True
        for worker in self._all:
            worker.stop()
        self._all.clear()
