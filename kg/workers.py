"""Queries in child processes, so that a runaway query can be stopped.

Neither rdflib nor pyoxigraph can interrupt a running query, so each worker process holds
its own copy of the graph; when a query overruns its time limit the worker is killed and a
fresh one started, and the caller gets :class:`QueryTimeout`.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from kg.engine import Outcome, ResultTooLarge, Term
from kg.sparql import QueryError, QueryRefused

__all__ = ["QueryFailed", "QueryTimeout", "WorkerPool"]

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
    allow_remote: bool


def _serve(conn: Connection, files: list[str], ontology: bool, kind: str) -> None:
    """Child process: load the graph once, then answer jobs until the pipe closes."""
    from kg.api import KnowledgeGraph  # imported here: the child starts from scratch
    from kg.engine import load_engine

    try:
        engine = KnowledgeGraph(load_engine(list(map(Path, files)), kind), ontology=ontology).engine
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
                allow_remote=job.allow_remote,
            )
        except QueryError as error:
            conn.send(("syntax", (error.message, error.line, error.column)))
        except QueryRefused as error:
            conn.send(("refused", str(error)))
        except ResultTooLarge as error:
            conn.send(("too-large", (error.cap, error.unit)))
        except Exception as error:
            conn.send(("failed", f"{type(error).__name__}: {error}"))
        else:
            conn.send(("ok", outcome))


class _Worker:
    def __init__(
        self, files: Sequence[Path], ontology: bool, load_timeout: float, kind: str
    ) -> None:
        self.files = [str(f) for f in files]
        self.ontology, self.load_timeout, self.kind = ontology, load_timeout, kind
        self.triples = 0
        self._start()

    def _start(self) -> None:
        parent, child = _CONTEXT.Pipe()
        self.process = _CONTEXT.Process(
            target=_serve, args=(child, self.files, self.ontology, self.kind), daemon=True
        )
        self.process.start()
        child.close()
        self.conn = parent
        if not parent.poll(self.load_timeout):
            self.stop()
            raise RuntimeError(f"the query worker did not load the graph in {self.load_timeout} s")
        status, payload = parent.recv()
        if status != "ready":
            self.stop()
            raise RuntimeError(payload)
        self.triples = payload

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()

    def run(self, job: _Job, timeout: float) -> Outcome:
        self.conn.send(job)
        if not self.conn.poll(timeout):
            self.stop()
            self._start()
            raise QueryTimeout(
                f"the query ran past the time limit of {timeout:g} s and was stopped"
            )
        status, payload = self.conn.recv()
        if status == "ok":
            return payload
        if status == "syntax":
            raise QueryError(*payload)
        if status == "refused":
            raise QueryRefused(payload)
        if status == "too-large":
            raise ResultTooLarge(*payload)
        raise QueryFailed(payload)


class WorkerPool:
    """A fixed set of worker processes over the same graph files (``engine``: see ENGINES)."""

    def __init__(
        self,
        files: Sequence[Path],
        *,
        size: int = 2,
        ontology: bool = True,
        load_timeout: float = 300.0,
        engine: str = "pyoxigraph",
    ) -> None:
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: list[_Worker] = []
        self._lock = threading.Lock()
        for _ in range(max(1, size)):
            worker = _Worker(files, ontology, load_timeout, engine)
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
        allow_remote: bool = False,
        wait: float = 30.0,
    ) -> Outcome:
        """Run a query on the next free worker; QueryTimeout after ``timeout`` seconds."""
        try:
            worker = self._idle.get(timeout=wait)
        except queue.Empty:
            raise QueryTimeout(f"all query workers stayed busy for {wait:g} s") from None
        try:
            return worker.run(_Job(text, dict(bindings or {}), max_results, allow_remote), timeout)
        finally:
            self._idle.put(worker)

    def close(self) -> None:
        with self._lock:
            for worker in self._all:
                worker.stop()
            self._all.clear()
