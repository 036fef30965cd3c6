"""Queries in child processes that have no network and can be stopped.

Neither rdflib nor pyoxigraph can interrupt a running query, so each worker process holds
its own copy of the graph and does all the work on a query text: checking, evaluating and
writing the answer in the negotiated format, all within the caller's time limit. A worker
loads the graph, then gives up its network (:func:`kg.sandbox.isolate_network`), then
answers jobs on a thread with a large stack, so that no query text can overflow the stack
of a recursive parser. A worker that overruns its limit is killed and replaced in the
background (:class:`QueryTimeout`); one that dies is replaced and the job is retried once
on another worker, and a second death is :class:`WorkerDied` (a server fault).
"""

from __future__ import annotations

import asyncio
import collections
import faulthandler
import logging
import multiprocessing as mp
import os
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

from kg.engine import Dataset, Engine, ResultTooLarge, Term
from kg.sparql import QueryError, QueryRefused

__all__ = ["Answer", "Job", "PoolBusy", "QueryFailed", "QueryTimeout", "WorkerDied", "WorkerPool"]

log = logging.getLogger("kg.workers")
_CONTEXT = mp.get_context("spawn")  # no fork of a threaded server
_STACK = 512 * 1024 * 1024  # virtual; only the pages a deep parse touches are used


class QueryTimeout(RuntimeError):
    """The query ran past its time limit and was stopped."""


class QueryFailed(RuntimeError):
    """The engine raised something other than a syntax, refusal or size error."""


class WorkerDied(RuntimeError):
    """A worker process died under the job twice (a server fault, not the query's)."""


class PoolBusy(RuntimeError):
    """Too many requests are already waiting for a worker."""


@dataclass(frozen=True)
class Job:
    """One query for a worker; with ``accept`` set, the answer comes back serialised."""

    text: str
    bindings: dict[str, Term] = field(default_factory=dict)
    max_results: int | None = None
    max_chars: int | None = None
    allow_remote: bool = False
    dataset: Dataset | None = None
    accept: str | None = None  # the Accept header; None: return the Outcome itself
    format: str | None = None  # the protocol's format= parameter


@dataclass(frozen=True)
class Answer:
    """A serialised answer: its results format name, media type and bytes."""

    format: str
    media_type: str
    body: bytes


@dataclass(frozen=True)
class _Setup:
    files: list[str]
    ontology: bool
    engine: str
    memory_mb: int | None
    isolate: bool


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
    """Child process: load the graph, drop the network, then answer jobs on a big stack."""
    from kg.api import KnowledgeGraph  # imported here: the child starts from scratch
    from kg.engine import load_engine
    from kg.sandbox import NONE, isolate_network

    faulthandler.enable()  # a crash leaves its stack in the server's log
    try:
        _limit_memory(setup.memory_mb)
        files = [Path(f) for f in setup.files]
        engine = KnowledgeGraph(load_engine(files, setup.engine), ontology=setup.ontology).engine
        sandbox = isolate_network() if setup.isolate else NONE
    except Exception as error:  # reported to the parent, which raises it
        conn.send(("load-error", f"{type(error).__name__}: {error}"))
        return
    conn.send(("ready", (_data_triples(engine, setup.ontology), sandbox, engine.graph_names())))
    # rdflib's parser recurses per nesting level; the large stack lets the limit be high
    # enough for real queries while a RecursionError still comes long before the stack ends
    sys.setrecursionlimit(50_000)
    threading.stack_size(_STACK)
    loop = threading.Thread(target=_answer_jobs, args=(conn, engine), name="queries")
    loop.start()
    loop.join()


def _data_triples(engine: Engine, ontology: bool) -> int:
    """Triples of the served graph files, without the ontology the worker adds itself."""
    if not ontology:
        return engine.triple_count()
    from kg.api import ONTOLOGY_GRAPH

    count = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{ONTOLOGY_GRAPH}> {{ ?s ?p ?o }} }}"
    added = engine.run(count).rows[0][0]
    return engine.triple_count() - int(added.value if added is not None else 0)


def _answer_jobs(conn: Connection, engine: object) -> None:
    from kg.api import display_prefixes
    from kg.protocol import MEDIA, NotAcceptable, choose_format
    from kg.results import QueryResult

    prefixes = display_prefixes()
    while True:
        try:
            job: Job = conn.recv()
        except EOFError:
            return
        try:
            outcome = engine.run(  # type: ignore[attr-defined]
                job.text,
                job.bindings,
                max_results=job.max_results,
                max_chars=job.max_chars,
                allow_remote=job.allow_remote,
                dataset=job.dataset,
            )
            if job.accept is None:
                conn.send(("ok", outcome))
                continue
            fmt = choose_format(outcome.form, job.accept, job.format)
            body = QueryResult(outcome, prefixes).serialize(fmt)
            conn.send(("ok", Answer(fmt, MEDIA[fmt], body)))
        except QueryError as error:
            conn.send(("syntax", (error.message, error.line, error.column)))
        except QueryRefused as error:
            conn.send(("refused", str(error)))
        except ResultTooLarge as error:
            conn.send(("too-large", (error.cap, error.unit)))
        except NotAcceptable as error:
            conn.send(("not-acceptable", str(error)))
        except MemoryError:
            conn.send(("failed", "the query needed more memory than this service allows"))
        except Exception as error:
            conn.send(("failed", f"{type(error).__name__}: {error}"))


def _raise(status: str, payload: object) -> None:
    from kg.protocol import NotAcceptable

    if status == "syntax":
        raise QueryError(*payload)  # type: ignore[misc]
    if status == "refused":
        raise QueryRefused(payload)
    if status == "too-large":
        raise ResultTooLarge(*payload)  # type: ignore[misc]
    if status == "not-acceptable":
        raise NotAcceptable(payload)
    raise QueryFailed(payload)


class _Died(Exception):
    pass


class _Worker:
    def __init__(self, setup: _Setup, load_timeout: float) -> None:
        self.setup, self.load_timeout = setup, load_timeout
        self.triples = 0
        self.sandbox = "none"
        self.graph_names: set[str] = set()
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
        self.triples, self.sandbox, self.graph_names = payload

    @property
    def alive(self) -> bool:
        return self.process.is_alive()

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()

    def restart(self) -> None:
        self.stop()
        self._start()

    async def run(self, job: Job, timeout: float) -> object:
        """The worker's result for ``job``; QueryTimeout, or _Died if the process ended."""
        loop = asyncio.get_running_loop()
        ready = loop.create_future()
        fd = self.conn.fileno()
        try:
            self.conn.send(job)
            loop.add_reader(fd, lambda: ready.done() or ready.set_result(None))
            late = loop.call_later(
                timeout, lambda: ready.done() or ready.set_exception(asyncio.TimeoutError())
            )
            try:
                await ready  # no wait_for: it would cost a task per query
            finally:
                late.cancel()
                loop.remove_reader(fd)
                os.set_blocking(fd, True)  # uvloop made it non-blocking; recv reads it whole
            status, payload = self.conn.recv()
        except asyncio.TimeoutError:
            raise QueryTimeout(
                f"the query ran past the time limit of {timeout:g} s and was stopped"
            ) from None
        except (EOFError, OSError) as error:
            log.warning("lost the query worker: %r", error)
            raise _Died() from None
        if status == "ok":
            return payload
        _raise(status, payload)
        raise AssertionError("unreachable")


class WorkerPool:
    """A fixed set of worker processes over the same graph files (``engine``: see ENGINES).

    ``memory_mb`` limits each worker's address space (None: no limit); ``isolate`` takes
    the network away from each worker once it has loaded the graph; at most
    ``max_waiting`` requests wait for a free worker, beyond that :class:`PoolBusy`.
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
        isolate: bool = True,
        max_waiting: int = 256,
    ) -> None:
        setup = _Setup([str(f) for f in files], ontology, engine, memory_mb, isolate)
        self.size, self.max_waiting = max(1, size), max_waiting
        self._all = [_Worker(setup, load_timeout) for _ in range(self.size)]
        self._idle: collections.deque[_Worker] = collections.deque(self._all)
        self._waiting: collections.deque[asyncio.Future[_Worker]] = collections.deque()
        self._lock = threading.Lock()
        self._closed = False

    @property
    def triples(self) -> int:
        return self._all[0].triples

    @property
    def graph_names(self) -> set[str]:
        """The named graphs the workers hold (the protocol may choose among them)."""
        return self._all[0].graph_names

    @property
    def sandbox(self) -> str:
        """How the workers are cut off from the network ("none" if they are not)."""
        kinds = {w.sandbox for w in self._all}
        return "none" if "none" in kinds else kinds.pop()

    @property
    def alive(self) -> int:
        return sum(w.alive for w in self._all)

    async def run(self, job: Job, timeout: float = 10.0, wait: float = 30.0) -> object:
        """``job``'s Outcome (or Answer, when ``job.accept`` is set) from the next free worker.

        QueryTimeout after ``timeout`` seconds of work or ``wait`` seconds of waiting.
        """
        for attempt in (1, 2):
            worker = await self._acquire(wait)
            try:
                result = await worker.run(job, timeout)
            except (QueryTimeout, asyncio.CancelledError):  # it may still be busy: replace it
                self._replace(worker)
                raise
            except _Died:
                self._replace(worker)
                log.warning("a query worker died under a job (attempt %d)", attempt)
                continue
            except Exception:  # the query's own error: the worker is ready for the next
                self._release(worker)
                raise
            self._release(worker)
            return result
        raise WorkerDied("the query stopped two worker processes (too much memory?)")

    def run_sync(self, job: Job, timeout: float = 10.0, wait: float = 30.0) -> object:
        """:meth:`run` for callers without an event loop (benchmarks)."""
        return asyncio.run(self.run(job, timeout, wait))

    async def _acquire(self, wait: float) -> _Worker:
        with self._lock:
            if self._idle:
                return self._idle.popleft()
            if len(self._waiting) >= self.max_waiting:
                raise PoolBusy(f"{len(self._waiting)} queries are already waiting; try later")
            future: asyncio.Future[_Worker] = asyncio.get_running_loop().create_future()
            self._waiting.append(future)
        try:
            return await asyncio.wait_for(asyncio.shield(future), wait)
        except asyncio.TimeoutError:
            with self._lock:
                if future in self._waiting:
                    self._waiting.remove(future)
            if future.done() and not future.cancelled():  # handed over as time ran out
                self._release(future.result())
            raise QueryTimeout(f"all query workers stayed busy for {wait:g} s") from None

    def _release(self, worker: _Worker) -> None:
        """Give ``worker`` to the longest waiting request, or put it back (any thread)."""
        with self._lock:
            while self._waiting:
                future = self._waiting.popleft()
                if future.done():
                    continue
                try:
                    future.get_loop().call_soon_threadsafe(_hand_over, future, worker, self)
                except RuntimeError:  # that loop has closed
                    continue
                return
            self._idle.append(worker)

    def _replace(self, worker: _Worker) -> None:
        def restart() -> None:
            if self._closed:
                return
            try:
                worker.restart()
            except Exception:
                log.exception("could not restart a query worker; the pool is one worker smaller")
                return
            self._release(worker)

        threading.Thread(target=restart, daemon=True).start()

    def close(self) -> None:
        self._closed = True
        for worker in self._all:
            worker.stop()


def _hand_over(future: asyncio.Future[_Worker], worker: _Worker, pool: WorkerPool) -> None:
    if future.done():  # the waiter gave up meanwhile: the next one gets it
        pool._release(worker)
    else:
        future.set_result(worker)
