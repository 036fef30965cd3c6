"""A read-only SPARQL 1.1 Protocol endpoint over the built graph (Starlette + uvicorn).

Safe by default. Queries run in worker processes (:mod:`kg.workers`) that have no network:
whatever a query says, the process that executes it cannot open a connection; the query
guard (:mod:`kg.sparql`) still refuses SERVICE, FROM and SPARQL Update, and bounds nesting
before any recursive parser runs. Each query is checked, evaluated and serialised inside its
worker's time limit; answers larger than the cap are refused; every bad request gets a 4xx
with a message, a server fault a 5xx. Identical requests are answered from a cache (the
graph is read-only). Connections that send nothing, or dribble their headers, are closed
(:mod:`kg.serving`) and never count against real requests.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs

import anyio
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kg import paths
from kg.catalog import load_catalog
from kg.engine import Dataset, ResultTooLarge
from kg.protocol import NotAcceptable
from kg.sparql import QueryError, QueryRefused
from kg.workers import (
    Answer,
    Job,
    PoolBusy,
    QueryFailed,
    QueryTimeout,
    WorkerDied,
    WorkerPool,
)

__all__ = ["EndpointSettings", "create_app"]

log = logging.getLogger("kg.endpoint")

_PAGE_CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_DATASET_PARAMS = ("default-graph-uri", "named-graph-uri")
_SERVICE_FORMATS = (
    "SPARQL_Results_JSON",
    "SPARQL_Results_XML",
    "SPARQL_Results_CSV",
    "SPARQL_Results_TSV",
    "Turtle",
    "N-Triples",
    "JSON-LD",
    "RDF_XML",
)


@dataclass
class EndpointSettings:
    """What the operator chose; the defaults are the safe ones."""

    graph_files: list[Path]
    timeout: float = 10.0
    max_results: int = 10_000
    max_chars: int = 16_000_000  # characters in all terms of one answer
    memory_mb: int | None = 4096  # address space of each worker
    max_query_bytes: int = 64 * 1024
    workers: int = 2
    allow_remote: bool = False
    queries: Path = paths.QUERIES
    ontology: bool = True
    cache_mb: int = 64  # answers kept for identical requests; 0 turns the cache off
    body_timeout: float = 10.0  # seconds to receive a request body


class _HttpError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        self.status, self.message, self.headers = status, message, headers
        super().__init__(message)


def _parse(query: str, what: str) -> dict[str, list[str]]:
    try:
        return parse_qs(query, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise _HttpError(400, f"the {what} is not valid UTF-8") from None


async def _read_request(request: Request, settings: EndpointSettings) -> dict[str, list[str]]:
    """The protocol parameters of a GET, HEAD or POST request; ``query`` holds the query."""
    params = _parse(request.url.query, "query string")
    if request.method in ("GET", "HEAD"):
        if "update" in params:
            raise _HttpError(403, "SPARQL Update is not accepted: this endpoint is read-only")
        return params
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "application/sparql-update":
        raise _HttpError(403, "SPARQL Update is not accepted: this endpoint is read-only")
    body = await _bounded_body(request, settings.max_query_bytes * 3, settings.body_timeout)
    if ctype == "application/sparql-query":
        if "query" in params or "update" in params:
            raise _HttpError(400, "a query sent as the body must not also be in the URL")
        try:
            return {**params, "query": [body.decode("utf-8")]}
        except UnicodeDecodeError:
            raise _HttpError(400, "the query is not valid UTF-8") from None
    if ctype != "application/x-www-form-urlencoded":
        raise _HttpError(
            415,
            "send the query as application/sparql-query or "
            "application/x-www-form-urlencoded (query=...)",
        )
    try:
        form = _parse(body.decode("ascii"), "form")  # URL-encoded: anything else is no form
    except UnicodeDecodeError:
        raise _HttpError(400, "the form is not valid UTF-8") from None
    if "update" in form:
        raise _HttpError(403, "SPARQL Update is not accepted: this endpoint is read-only")
    if "query" in form and "query" in params:
        raise _HttpError(400, "give the query in the URL or in the form, not in both")
    return {**params, **form}


async def _bounded_body(request: Request, limit: int, seconds: float) -> bytes:
    """The request body; 413 past ``limit`` bytes, 408 if it takes over ``seconds``."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _HttpError(413, f"the request is larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    with anyio.move_on_after(seconds) as deadline:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _HttpError(413, f"the request is larger than {limit} bytes")
            chunks.append(chunk)
    if deadline.cancelled_caught:
        raise _HttpError(408, f"the request body took longer than {seconds:g} s")
    return b"".join(chunks)


class _AnswerCache:
    """Whole 200 answers to identical GET requests, served without the app: the graph is
    read-only, so the same request always gets the same bytes. Least recently used answers
    leave first; the total is bounded in bytes.

    The key holds every request part the answer depends on: path, query string, Accept
    and whether an Origin was sent (CORS headers).
    """

    def __init__(self, app: ASGIApp, megabytes: int) -> None:
        self.app = app
        self.capacity = megabytes * 1024 * 1024
        self.size = 0
        self._items: OrderedDict[tuple, tuple[list, bytes]] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            not self.capacity
            or scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or scope["path"] != "/sparql"
            or b"query=" not in scope["query_string"]
        ):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        key = (scope["query_string"], headers.get(b"accept"), b"origin" in headers)
        hit = self._items.get(key)
        if hit is not None:
            self._items.move_to_end(key)
            response_headers, body = hit
            await send({"type": "http.response.start", "status": 200, "headers": response_headers})
            head = scope["method"] == "HEAD"
            await send({"type": "http.response.body", "body": b"" if head else body})
            return
        started: dict = {}
        chunks: list[bytes] = []

        async def keeping(message: Message) -> None:
            if message["type"] == "http.response.start":
                started.update(message)
            elif started.get("status") == 200:
                chunks.append(message.get("body", b""))
                if not message.get("more_body") and scope["method"] == "GET":
                    self._keep(key, started["headers"], b"".join(chunks))
            await send(message)

        await self.app(scope, receive, keeping)

    def _keep(self, key: tuple, headers: list, body: bytes) -> None:
        if len(body) > self.capacity // 16 or key in self._items:
            return
        self._items[key] = (list(headers), body)
        self.size += len(body)
        while self.size > self.capacity:
            _, (_, old) = self._items.popitem(last=False)
            self.size -= len(old)


def create_app(settings: EndpointSettings, pool: WorkerPool | None = None) -> Starlette:
    """The ASGI app; starts its worker processes unless a ``pool`` is given."""
    pool = pool or WorkerPool(
        settings.graph_files,
        size=settings.workers,
        ontology=settings.ontology,
        memory_mb=settings.memory_mb,
    )
    catalog = load_catalog(settings.queries)

    async def sparql(request: Request) -> Response:
        try:
            params = await _read_request(request, settings)
            if "query" not in params:
                if params:
                    names = ", ".join(sorted(params))
                    raise _HttpError(400, f"no query parameter (got {names})")
                if "text/html" in request.headers.get("accept", ""):
                    return _page()
                return Response(_SERVICE_DESCRIPTION, media_type="text/turtle")
            answer = await _answer(request, params)
            return Response(answer.body, media_type=answer.media_type)
        except _HttpError as error:
            return PlainTextResponse(
                error.message + "\n", status_code=error.status, headers=error.headers
            )
        except Exception:  # never let a request take the server down
            log.exception("unexpected error answering a query")
            return PlainTextResponse("internal error; see the server log\n", status_code=500)

    async def _answer(request: Request, params: dict[str, list[str]]) -> Answer:
        queries = params["query"]
        if len(queries) > 1:
            raise _HttpError(400, "give exactly one query parameter")
        text = queries[0]
        if not text.strip():
            raise _HttpError(400, "the query is empty")
        if len(text.encode("utf-8")) > settings.max_query_bytes:
            raise _HttpError(413, f"the query is longer than {settings.max_query_bytes} bytes")
        dataset = Dataset(
            tuple(params.get("default-graph-uri", ())), tuple(params.get("named-graph-uri", ()))
        )
        if dataset and not settings.allow_remote:
            foreign = sorted(set(dataset.default + dataset.named) - pool.graph_names)
            if foreign:
                local = ", ".join(sorted(pool.graph_names))
                raise _HttpError(
                    400, f"<{foreign[0]}> is not a graph of this endpoint (its graphs: {local})"
                )
        job = Job(
            text,
            max_results=settings.max_results,
            max_chars=settings.max_chars,
            allow_remote=settings.allow_remote,
            dataset=dataset or None,
            accept=request.headers.get("accept", ""),
            format=params.get("format", [None])[0],
        )
        try:
            answer = await pool.run(job, timeout=settings.timeout)
        except (QueryTimeout, PoolBusy) as error:
            raise _HttpError(503, str(error), {"Retry-After": "2"}) from None
        except (ResultTooLarge, QueryError) as error:
            prefix = "query syntax error: " if isinstance(error, QueryError) else ""
            raise _HttpError(400, f"{prefix}{error}") from None
        except QueryRefused as error:
            raise _HttpError(403, str(error)) from None
        except NotAcceptable as error:
            raise _HttpError(406, str(error)) from None
        except (QueryFailed, WorkerDied) as error:
            raise _HttpError(500, f"the query failed in the engine: {error}") from None
        assert isinstance(answer, Answer)
        return answer

    async def queries(request: Request) -> Response:
        listed = [
            {
                "name": q.name,
                "title": q.title,
                "description": q.description,
                "parameters": [
                    {
                        "name": p.name,
                        "kind": p.kind,
                        "default": p.default,
                        "description": p.description,
                    }
                    for p in q.parameters
                ],
                "text": q.text,
            }
            for q in catalog.values()
        ]
        return JSONResponse(listed)

    async def home(request: Request) -> Response:
        return _page()

    async def health(request: Request) -> Response:
        alive = pool.alive
        return JSONResponse(
            {
                "status": "ok" if alive else "degraded",
                "triples": pool.triples,
                "workers": pool.size,
                "workers_alive": alive,
                "sandbox": pool.sandbox,
            },
            status_code=200 if alive else 503,
        )

    return Starlette(
        routes=[
            Route("/", home),
            Route("/sparql", sparql, methods=["GET", "HEAD", "POST"]),
            Route("/queries", queries),
            Route("/health", health),
        ],
        middleware=[
            Middleware(
                CORSMiddleware,
                allow_origins=["*"],
                allow_methods=["GET", "POST"],
                allow_headers=["Content-Type", "Accept"],
                max_age=600,
            ),
            Middleware(_NoSniff),
            Middleware(_AnswerCache, megabytes=settings.cache_mb),
        ],
        lifespan=_closing(pool),
    )


class _NoSniff:
    """Adds ``X-Content-Type-Options: nosniff`` to every answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-content-type-options", b"nosniff"),
                ]
            await send(message)

        await self.app(scope, receive, sending)


def _closing(pool: WorkerPool) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        pool.close()

    return lifespan


# the endpoint is named by a relative IRI (the address the client used): a Host header
# is never written into an answer
_SERVICE_DESCRIPTION = (
    "@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .\n\n"
    "[] a sd:Service ;\n    sd:endpoint <> ;\n"
    "    sd:supportedLanguage sd:SPARQL11Query ;\n"
    "    sd:feature sd:UnionDefaultGraph ;\n"
    "    sd:resultFormat "
    + " ,\n        ".join(f"<http://www.w3.org/ns/formats/{name}>" for name in _SERVICE_FORMATS)
    + " .\n"
)


def _page() -> HTMLResponse:
    html = (Path(__file__).parent / "templates" / "sparql.html").read_text(encoding="utf-8")
    return HTMLResponse(html, headers={"Content-Security-Policy": _PAGE_CSP})
